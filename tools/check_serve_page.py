"""Check the try-out page of `albert serve` in headless Chromium: load it, submit a sentence, and
compare the rendered top-k bars with the pipeline's answer; also submit a text without [MASK] and check
the error shown. Saves a screenshot.

    python tools/check_serve_page.py                      # starts its own server (built-in model)
    python tools/check_serve_page.py --url http://127.0.0.1:8000 --screenshot page.png

Chromium is driven over the DevTools protocol on a pipe (`--remote-debugging-pipe`: JSON messages
ending in NUL on file descriptors 3 and 4), so nothing but Chromium itself is needed.
Exit status 0 when the page renders the right answer, 1 otherwise.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import fcntl
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

TEXT = "The capital of France is [MASK]."
TOP_K = 5


def find_chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        if path := shutil.which(name):
            return path
    return None


class Browser:
    """A headless Chromium with one page, driven by DevTools protocol messages over a pipe."""

    def __init__(self, executable: str) -> None:
        to_child_r, self._to_child = os.pipe()
        self._from_child, from_child_w = os.pipe()
        # Chromium reads fd 3 and writes fd 4. The child's pipe ends are parked on high descriptors so
        # that dup2 onto 3 and 4 cannot clobber them; close_fds=False because subprocess would close 3
        # and 4 after preexec_fn (Python's own descriptors are close-on-exec anyway).
        high_r = fcntl.fcntl(to_child_r, fcntl.F_DUPFD_CLOEXEC, 100)
        high_w = fcntl.fcntl(from_child_w, fcntl.F_DUPFD_CLOEXEC, 100)
        for fd in (to_child_r, from_child_w):
            os.close(fd)

        def wire_fds() -> None:  # in the child, before exec
            os.dup2(high_r, 3)
            os.dup2(high_w, 4)

        self._profile = tempfile.mkdtemp(prefix="albert-chromium-")
        flags = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
                 "--remote-debugging-pipe", f"--user-data-dir={self._profile}", "--window-size=900,700"]  # fmt: skip
        self.process = subprocess.Popen(
            [executable, *flags, "about:blank"],
            preexec_fn=wire_fds,
            close_fds=False,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        os.close(high_r)
        os.close(high_w)
        self._buffer = b""
        self._next_id = 0
        target = self.send("Target.createTarget", url="about:blank")["targetId"]
        self.session = self.send("Target.attachToTarget", targetId=target, flatten=True)["sessionId"]

    def send(self, method: str, session: bool = False, **params: Any) -> dict[str, Any]:
        """Send one command and wait for its reply (events in between are skipped)."""
        self._next_id += 1
        message: dict[str, Any] = {"id": self._next_id, "method": method, "params": params}
        if session:
            message["sessionId"] = self.session
        os.write(self._to_child, json.dumps(message).encode() + b"\0")
        while True:
            reply = self._read()
            if reply.get("id") == self._next_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})

    def _read(self) -> dict[str, Any]:
        while b"\0" not in self._buffer:
            chunk = os.read(self._from_child, 1 << 16)
            if not chunk:
                raise RuntimeError("Chromium closed the DevTools pipe")
            self._buffer += chunk
        message, self._buffer = self._buffer.split(b"\0", 1)
        return json.loads(message)

    def evaluate(self, expression: str) -> Any:
        result = self.send("Runtime.evaluate", session=True, expression=expression, returnByValue=True)
        if "exceptionDetails" in result:
            raise RuntimeError(f"page script failed: {result['exceptionDetails']}")
        return result["result"].get("value")

    def wait_for(self, expression: str, timeout: float = 20.0) -> Any:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = self.evaluate(expression)
            if value:
                return value
            time.sleep(0.05)
        raise TimeoutError(f"the page never satisfied: {expression}")

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.send("Browser.close")
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(10)
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        for fd in (self._to_child, self._from_child):
            with contextlib.suppress(OSError):
                os.close(fd)
        shutil.rmtree(self._profile, ignore_errors=True)


RENDERED = """[...document.querySelectorAll('#result .row')].map(r => ({
  token: r.querySelector('.token').textContent,
  width: parseFloat(r.querySelector('.bar').style.width),
  label: r.querySelector('.score').textContent}))"""


def check_page(url: str, expected: list[dict[str, Any]], screenshot: Path | None, chromium: str) -> list[str]:
    """Problems found on the page at `url` (empty: all good). `expected`: the pipeline's answer to TEXT."""
    browser = Browser(chromium)
    problems: list[str] = []
    try:
        browser.send("Page.enable", session=True)
        browser.send("Page.navigate", session=True, url=f"{url}/")
        browser.wait_for("document.readyState === 'complete' && !document.getElementById('fill-mask').hidden")
        browser.evaluate(
            f"document.getElementById('text').value = {json.dumps(TEXT)};"
            f"document.getElementById('top-k').value = '{TOP_K}';"
            "document.getElementById('run').click(); true"
        )
        rows = browser.wait_for(f"(() => {{ const rows = {RENDERED}; return rows.length ? rows : null; }})()")
        want = [p["token_str"] if p["token_str"].strip() else "␣" for p in expected]
        if [r["token"] for r in rows] != want:
            problems.append(f"tokens shown {[r['token'] for r in rows]}, pipeline says {want}")
        for row, p in zip(rows, expected):
            if abs(row["width"] - 100 * p["score"]) > 0.06:
                problems.append(
                    f"bar of {p['token_str']!r} is {row['width']}% wide for a score of {p['score']:.4f}"
                )
        if screenshot is not None:
            shot = browser.send("Page.captureScreenshot", session=True, format="png")
            screenshot.write_bytes(base64.b64decode(shot["data"]))
        browser.evaluate(
            "document.getElementById('text').value = 'no mask here'; document.getElementById('run').click(); true"
        )
        error = browser.wait_for(
            "(() => { const e = document.getElementById('error'); return e.hidden ? null : e.textContent; })()"
        )
        if "no mask token" not in error:
            problems.append(f"a text without [MASK] shows {error!r} instead of the server's error")
    finally:
        browser.close()
    return problems


@contextlib.contextmanager
def own_server() -> Iterator[tuple[str, Any]]:
    """A fill-mask server with the built-in model on a free loopback port, and its pipeline."""
    from albert.cli import parse_line
    from albert.pipelines import pipeline
    from albert.serve import bind, create_app, make_server

    pipe = pipeline("fill-mask")
    app = create_app("fill-mask", lambda: pipe, parse_input=parse_line, model="built-in")
    sock = bind("127.0.0.1", 0)
    server = make_server(app)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    while app.state.serve.status != "ready":
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}", pipe
    finally:
        server.request_exit()
        thread.join(20)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--url", help="a running fill-mask server (default: start one with the built-in model)"
    )
    parser.add_argument(
        "--screenshot", type=Path, default=Path("serve-page.png"), help="where to save the PNG"
    )
    args = parser.parse_args()
    chromium = find_chromium()
    if chromium is None:
        print("check_serve_page: no chromium found (apt-get install chromium)", file=sys.stderr)
        return 1
    if args.url:
        import httpx

        reply = httpx.post(f"{args.url}/v1/fill-mask", json={"inputs": TEXT, "parameters": {"top_k": TOP_K}})
        problems = check_page(args.url, reply.json()["outputs"], args.screenshot, chromium)
    else:
        with own_server() as (url, pipe):
            problems = check_page(url, pipe(TEXT, top_k=TOP_K), args.screenshot, chromium)
    for problem in problems:
        print(f"check_serve_page: {problem}", file=sys.stderr)
    print(f"check_serve_page: {'FAILED' if problems else 'ok'}; screenshot in {args.screenshot}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
