"""Running the app under uvicorn: bind, serve, and on SIGTERM (or Ctrl+C) drain and return.

On the first SIGTERM/SIGINT the app stops taking requests (`/healthz` 503 "draining", new inference
requests 503), uvicorn stops accepting connections and waits for the in-flight requests to be
answered (each within the app's `timeout_s`: 200, or 503 once timed out; uvicorn gives up on its
connections after `timeout_s` + 5 s), then the model worker gets a few seconds to end its pipeline call,
whose requests have all been answered, and `serve` returns normally (exit status 0). A second Ctrl+C
forces the exit.
"""

from __future__ import annotations

import contextlib
import signal
import socket
import threading
from collections.abc import Generator
from types import FrameType
from typing import Any

import uvicorn

DRAIN_SIGNALS = (signal.SIGINT, signal.SIGTERM)


class DrainingServer(uvicorn.Server):
    """uvicorn's server that tells the app to drain on a signal and does not re-raise the signal after
    its graceful shutdown (uvicorn does, which would make the exit status 143 instead of 0)."""

    def __init__(self, config: uvicorn.Config, state: Any) -> None:
        super().__init__(config)
        self.state = state  # albert.serve.app.ServeState

    def request_exit(self) -> None:
        """Drain and stop (what SIGTERM does; callable from any thread)."""
        self.state.drain()
        self.should_exit = True

    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        if threading.current_thread() is not threading.main_thread():
            yield  # signals reach the main thread only; use request_exit()
            return
        previous = {sig: signal.signal(sig, self._on_signal) for sig in DRAIN_SIGNALS}
        try:
            yield
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)

    def _on_signal(self, sig: int, frame: FrameType | None) -> None:
        if self.should_exit and sig == signal.SIGINT:
            self.force_exit = True
        self.request_exit()

    async def on_tick(self, counter: int) -> bool:
        if self.state.status == "failed":  # the model did not load: stop instead of answering 503 forever
            return True
        return await super().on_tick(counter)


def bind(host: str, port: int) -> socket.socket:
    """A listening TCP socket (port 0: a free port, read it back with `sock.getsockname()[1]`)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as e:
        sock.close()
        raise OSError(
            f"cannot listen on {host}:{port}: {e.strerror}; pick another --port or --host"
        ) from None
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


def make_server(app: Any, *, log_level: str = "warning", access_log: bool = False) -> DrainingServer:
    """A DrainingServer for `app` (one made by `create_app`); run it with `server.run(sockets=[sock])`."""
    # A request ends within timeout_s (answered or 503); the margin covers reading and writing it. A client
    # that trickles its body in keeps its connection, and so the shutdown, no longer than that.
    grace = app.state.serve.limits.timeout_s + 5
    config = uvicorn.Config(
        app, log_level=log_level, access_log=access_log, lifespan="on", timeout_graceful_shutdown=grace
    )
    return DrainingServer(config, app.state.serve)
