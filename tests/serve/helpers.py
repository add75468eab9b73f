"""Real servers for the serve tests: uvicorn on a free 127.0.0.1 port in a thread, and a pipeline
wrapper whose model calls can be held back (to fill the queue, time requests out, and so on)."""

from __future__ import annotations

import contextlib
import re
import shutil
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import torch

from albert.cli import parse_line
from albert.serve import Limits, bind, create_app, make_server

# One client for all the tests (creating an httpx client costs ~0.1-0.3 s: it loads the CA bundle).
http = httpx.Client(timeout=30)
TOKENIZER_FILES = ("spiece.model", "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json")


class Gate:
    """Delegates to a pipeline; while closed, each pipeline call of the worker waits (`entered` is set
    when one has started)."""

    def __init__(self, pipe: Any) -> None:
        self.pipe = pipe
        self.open = threading.Event()
        self.open.set()
        self.entered = threading.Event()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.pipe, name)

    def iter_results(self, items: Any, params: Any = None, **kwargs: Any) -> Iterator[Any]:
        self.entered.set()
        if not self.open.wait(timeout=30):
            raise TimeoutError("the test never opened the gate")
        return self.pipe.iter_results(items, params, **kwargs)


def start_server(app: Any) -> tuple[str, Any, threading.Thread, Any]:
    """(base URL, uvicorn server, its thread, its socket) of `app` served on a free loopback port."""
    sock = bind("127.0.0.1", 0)
    url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    server = make_server(app)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    return url, server, thread, sock


@contextlib.contextmanager
def running_server(
    task: str, load: Callable[[], Any], wait_ready: bool = True, **limits: Any
) -> Iterator[tuple[str, Any]]:
    """(base URL, the app's ServeState) of a real server; drained and stopped on exit."""
    app = create_app(task, load, parse_input=parse_line, limits=Limits(**limits), model="test")
    url, server, thread, sock = start_server(app)
    try:
        if wait_ready:
            wait_until(lambda: http.get(f"{url}/healthz").status_code == 200)
        else:
            wait_until(lambda: server.started)
        yield url, app.state.serve
    finally:
        gate = getattr(app.state.serve, "pipe", None)
        if isinstance(gate, Gate):
            gate.open.set()  # a failed test must not leave the worker held
        server.request_exit()
        thread.join(timeout=20)
        sock.close()
    assert not thread.is_alive(), "the server did not stop"


def wait_until(condition: Callable[[], bool], timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if condition():
                return
        except httpx.TransportError:
            pass
        time.sleep(0.02)
    raise AssertionError("timed out waiting for the server")


def metric(url: str, name: str) -> float:
    """One sample of /metrics, e.g. metric(url, 'albert_requests_total{status="200"}') (0 if absent)."""
    text = http.get(f"{url}/metrics").text
    match = re.search(rf"^{re.escape(name)} (\S+)$", text, re.MULTILINE)
    return float(match.group(1)) if match else 0.0


def tiny_model_dir(path: Path, class_name: str, **config: Any) -> Path:
    """A random tiny model of `albert.<class_name>` with the built-in model's tokenizer files."""
    import albert
    from albert.pipelines import default_model_dir

    torch.manual_seed(0)
    base = dict(embedding_size=16, hidden_size=32, num_hidden_layers=2, num_attention_heads=4)
    cfg = albert.AlbertConfig(vocab_size=16000, intermediate_size=37, initializer_range=0.2, **base, **config)
    getattr(albert, class_name)(cfg).eval().save_pretrained(path)
    for name in TOKENIZER_FILES:
        shutil.copy(default_model_dir() / name, path / name)
    return path


def close_outputs(a: Any, b: Any, tol: float = 1e-5) -> bool:
    """Equal JSON values, floats within `tol` (batches of other compositions round differently)."""
    if isinstance(a, float) or isinstance(b, float):
        return isinstance(a, (int, float)) and isinstance(b, (int, float)) and abs(a - b) <= tol
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(close_outputs(x, y, tol) for x, y in zip(a, b))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(close_outputs(a[k], b[k], tol) for k in a)
    return a == b
