"""Is the Hugging Face Hub reachable? One quick check per process and endpoint, so that a machine
without network fails at once with one clear message instead of huggingface_hub's half minute of
retries (each logged)."""

from __future__ import annotations

import functools
import os
import socket
from urllib.parse import urlsplit

PROXY_VARIABLES = ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy")
CONNECT_TIMEOUT_S = 5.0


@functools.cache
def unreachable_reason(endpoint: str) -> str | None:
    """None when a TCP connection to `endpoint` (a URL) opens within CONNECT_TIMEOUT_S, else why not.

    Behind a proxy a direct connection says nothing, so the check is left to huggingface_hub (None)."""
    if any(os.environ.get(name) for name in PROXY_VARIABLES):
        return None
    url = urlsplit(endpoint)
    if not url.hostname:
        return f"{endpoint!r} is not a URL"
    port = url.port or (443 if url.scheme == "https" else 80)
    try:
        with socket.create_connection((url.hostname, port), timeout=CONNECT_TIMEOUT_S):
            return None
    except OSError as e:
        return f"cannot connect to {endpoint}: {e.strerror or e}"
