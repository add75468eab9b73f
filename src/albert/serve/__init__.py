"""`albert serve`: one pipeline over HTTP, with requests batched together by one model worker.

    from albert.cli import parse_line
    from albert.pipelines import pipeline
    from albert.serve import Limits, bind, create_app, make_server

    limits = Limits(max_batch_size=32)
    load = lambda: pipeline("fill-mask", batch_size=limits.max_batch_size)
    app = create_app("fill-mask", load, parse_input=parse_line, limits=limits)
    make_server(app).run(sockets=[bind("127.0.0.1", 8000)])

Needs the `serve` extra (FastAPI, uvicorn, prometheus_client); the names are imported on first use so
that `albert.serve.limits` (used by the CLI's --help) loads without them. See docs/serving.md.
"""

from __future__ import annotations

import importlib
from typing import Any

_HOMES = {
    "create_app": "albert.serve.app",
    "Limits": "albert.serve.limits",
    "RequestError": "albert.serve.limits",
    "DrainingServer": "albert.serve.server",
    "bind": "albert.serve.server",
    "make_server": "albert.serve.server",
}


def __getattr__(name: str) -> Any:
    if name not in _HOMES:
        raise AttributeError(f"module 'albert.serve' has no attribute {name!r}")
    return getattr(importlib.import_module(_HOMES[name]), name)


__all__ = sorted(_HOMES)
