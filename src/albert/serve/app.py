"""The HTTP app: `POST /v1/{task}`, `GET /healthz`, `GET /metrics`, `GET /v1/info`, the try-out page
at `/` and the OpenAPI docs at `/docs` (schema at `/openapi.json`).

    app = create_app("fill-mask", load=lambda: pipeline("fill-mask", batch_size=32), parse_input=parse_line)

The pipeline is built by `load` in a background thread when the app starts (`/healthz` answers 503
"loading" until then), and run by one `BatchWorker` thread. Every refused request is answered
`{"error": "..."}` with a 4xx status (503 while loading or shutting down, or when a request times out).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import importlib.resources
import logging
import threading
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import asdict
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from albert.serve.batching import BatchWorker, Job, QueueFull, params_key
from albert.serve.limits import Limits, ParsedRequest, RequestError, check_tokens, parse_request
from albert.serve.metrics import Metrics
from albert.serve.work import check_work

logger = logging.getLogger(__name__)

REQUEST_SCHEMA = {
    "type": "object",
    "required": ["inputs"],
    "properties": {
        "inputs": {
            "description": "one input (a string, read as `albert run` reads a line, or a JSON object such as "
            '{"question": ..., "context": ...}) or a list of them',
            "anyOf": [
                {"type": "string"},
                {"type": "object"},
                {"type": "array", "items": {"anyOf": [{"type": "string"}, {"type": "object"}]}},
            ],
        },
        "parameters": {"type": "object", "description": "the pipeline's call parameters, e.g. top_k"},
    },
    "example": {"inputs": "The capital of France is [MASK].", "parameters": {"top_k": 3}},
}
# Seconds the model worker gets at shutdown to finish the pipeline call it is in (see lifespan).
SHUTDOWN_GRACE_S = 5.0
ERROR_SCHEMA = {"type": "object", "properties": {"error": {"type": "string"}}}
ERROR_STATUSES = {
    400: "malformed JSON, or JSON nested too deeply",
    404: "another task than the server's",
    413: "body, input, number of inputs or the work asked of the model over the server's limits",
    422: "missing or wrong-typed fields, bad parameters, or an input the pipeline rejects",
    429: "the queue is full; retry later",
    503: "loading, shutting down, or the request timed out",
}


class ServeState:
    """What the routes share: the pipeline (once loaded), its worker, the status shown by /healthz."""

    def __init__(
        self,
        task: str,
        model: str,
        limits: Limits,
        parse_input: Callable[[str, str], Any],
        on_loaded: Callable[[str | None], None] | None = None,
    ) -> None:
        self.task, self.model, self.limits, self.parse_input = task, model, limits, parse_input
        self.on_loaded = on_loaded
        self.metrics = Metrics()
        self.pipe: Any = None
        self.worker: BatchWorker | None = None
        self.status = "loading"  # -> "ready" -> "draining"; or "failed"
        self.arriving = 0  # requests being read and checked, not yet queued
        self.error: str | None = None

    def load(self, load: Callable[[], Any]) -> None:
        """Build the pipeline and start its worker (run in a thread at startup)."""
        try:
            pipe = load()
        except Exception as e:
            self.error, self.status = str(e), "failed"
            if self.on_loaded is not None:  # the caller reports it (the CLI: once, as its error)
                self.on_loaded(self.error)
            else:
                logger.error("could not load the model: %s", e)
            return
        self.pipe = pipe
        self.worker = BatchWorker(
            pipe,
            max_batch_size=self.limits.max_batch_size,
            max_wait_ms=self.limits.max_wait_ms,
            max_queue=self.limits.max_queue,
            metrics=self.metrics,
            arriving=lambda: self.arriving,
        )
        self.worker.start()
        if self.status == "loading":
            self.status = "ready"
        if self.on_loaded is not None:
            self.on_loaded(None)

    def count_tokens(self, text: str) -> int:
        """Tokens of `text` by the pipeline's tokenizer, special tokens not counted."""
        return len(self.pipe.tokenizer(text, add_special_tokens=False)["input_ids"])

    def drain(self) -> None:
        """Refuse new requests from now on (in-flight ones are still answered)."""
        if self.status in ("loading", "ready"):
            self.status = "draining"


def create_app(
    task: str,
    load: Callable[[], Any],
    *,
    parse_input: Callable[[str, str], Any],
    limits: Limits | None = None,
    model: str = "",
    on_loaded: Callable[[str | None], None] | None = None,
) -> FastAPI:
    """The app for one pipeline. `task` is its canonical name; `load()` returns the pipeline (built with
    `batch_size=limits.max_batch_size`); `parse_input(text, task)` reads a string input. `on_loaded(error)`
    is called once loading ended: error None when the model is ready, else why it failed (which is then
    not logged: the caller reports it)."""
    from albert.pipelines import ALIASES

    state = ServeState(task, model, limits or Limits(), parse_input, on_loaded)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        threading.Thread(target=state.load, args=(load,), name="albert-model-loader", daemon=True).start()
        yield
        state.drain()
        # uvicorn has answered every request by now (each within timeout_s: 200, or 503 once timed out),
        # so a pipeline call still running computes for nobody: it gets a short grace, not hours.
        grace = min(state.limits.timeout_s, SHUTDOWN_GRACE_S)
        if state.worker is not None and not await asyncio.to_thread(state.worker.stop, grace):
            logger.warning(
                "the model worker is still in a pipeline call whose requests timed out; exiting without it"
            )

    app = FastAPI(title=f"albert serve: {task}", lifespan=lifespan, version="1")
    app.state.serve = state

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        return JSONResponse({"error": str(exc.detail)}, status_code=exc.status_code)

    @app.post(
        "/v1/{task}",
        summary="run the pipeline on one input or a list of inputs",
        openapi_extra={"requestBody": {"required": True, "content": {"application/json": {"schema": REQUEST_SCHEMA}}}},
        responses={code: {"description": what, "content": {"application/json": {"schema": ERROR_SCHEMA}}}
                   for code, what in ERROR_STATUSES.items()},
    )  # fmt: skip
    async def infer(task: str, request: Request) -> Response:
        """`{"outputs": ...}`: the pipeline's output for one input, a list of outputs for a list."""
        start = time.monotonic()
        state.metrics.in_flight.inc()
        try:
            status, payload = await answer(state, ALIASES.get(task, task), request, start)
        finally:
            state.metrics.in_flight.dec()
        state.metrics.observe_request(status, time.monotonic() - start)
        if status == "disconnected":
            return Response(status_code=499)
        return JSONResponse(payload, status_code=status)

    @app.get("/healthz", summary="200 once the model is loaded; 503 while loading, draining or failed")
    async def healthz() -> JSONResponse:
        body = {"status": state.status, **({"error": state.error} if state.error else {})}
        return JSONResponse(body, status_code=200 if state.status == "ready" else 503)

    @app.get("/metrics", summary="Prometheus metrics")
    async def metrics() -> Response:
        return Response(state.metrics.render(), media_type=state.metrics.content_type)

    @app.get("/v1/info", summary="the task, model and limits of this server")
    async def info() -> dict[str, Any]:
        return {
            "task": state.task,
            "model": state.model,
            "status": state.status,
            "limits": asdict(state.limits),
        }

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    async def page() -> HTMLResponse:
        return HTMLResponse(page_html())

    return app


@functools.cache
def page_html() -> str:
    """The try-out page (package data `albert/serve/static/index.html`)."""
    return (importlib.resources.files("albert.serve") / "static" / "index.html").read_text("utf-8")


async def answer(state: ServeState, task: str, request: Request, start: float) -> tuple[int | str, Any]:
    """(status, JSON body) for one inference request; status "disconnected" when the client left."""
    try:
        parsed, params, job = await admit(state, task, request)
        results = await wait_for_job(state, job, request, state.limits.timeout_s - (time.monotonic() - start))
        if results is None:
            return "disconnected", None
        return 200, {"outputs": outputs(state.pipe, parsed, results, params)}
    except RequestError as e:
        return e.status, {"error": e.message}
    except Exception:  # a bug of ours, not the client's: logged, answered 500, the server carries on
        logger.exception("request failed")
        return 500, {"error": "internal server error (see the server's log)"}


async def admit(state: ServeState, task: str, request: Request) -> tuple[ParsedRequest, dict[str, Any], Job]:
    """Check a request and queue its inputs; raises RequestError. While it is read and checked the request
    counts as arriving, which tells the worker that waiting for company may pay off; it stops counting
    before it is queued, so that the worker, woken by it, does not wait for the request itself."""
    if task != state.task:
        raise RequestError(404, f"this server runs {state.task}; POST /v1/{state.task}")
    if state.status != "ready" or state.worker is None:
        reason = {
            "loading": "the model is still loading",
            "failed": f"the model failed to load: {state.error}",
        }
        raise RequestError(503, reason.get(state.status, "the server is shutting down") + "; retry later")
    state.arriving += 1
    try:
        body = await read_body(request, state.limits.max_body_bytes)
        parsed = parse_request(body, task, state.limits, state.parse_input)
        check_tokens(parsed, state.count_tokens, state.limits)
        if batching := [k for k in ("batch_size", "num_workers") if k in parsed.parameters]:
            raise RequestError(
                422,
                f'"parameters": {", ".join(batching)} is the server\'s to set (albert serve --max-batch-size)',
            )
        try:
            params = state.pipe.params(parsed.parameters)
        except (ValueError, TypeError) as e:
            raise RequestError(422, f'"parameters": {e}') from None
        # priced off the event loop: it may tokenise ~1 MB of text
        await asyncio.to_thread(check_work, state.pipe, task, parsed, params, state.limits)
    finally:
        state.arriving -= 1
    try:
        return parsed, params, state.worker.submit(parsed.items, params, params_key(parsed.parameters))
    except QueueFull as e:
        raise RequestError(429, str(e)) from None


async def read_body(request: Request, limit: int) -> bytes:
    """The request body, refusing (413) more than `limit` bytes without reading the rest."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise RequestError(413, f"the body is {declared} bytes; this server takes at most {limit}")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise RequestError(413, f"the body is over {limit} bytes, the most this server takes")
        chunks.append(chunk)
    return b"".join(chunks)


async def wait_for_job(state: ServeState, job: Job, request: Request, timeout: float) -> list[Any] | None:
    """The job's per-input results; None if the client disconnected first; RequestError(503) on timeout.
    Either way a job still in the queue leaves it (its place is freed)."""
    result = asyncio.wrap_future(job.future)
    disconnect = asyncio.ensure_future(wait_for_disconnect(request))
    try:
        done, _ = await asyncio.wait(
            {result, disconnect}, timeout=max(timeout, 0), return_when=asyncio.FIRST_COMPLETED
        )
    finally:
        disconnect.cancel()
    if result in done:
        return result.result()  # a worker failure (a bug) propagates: 500
    assert state.worker is not None
    state.worker.cancel(job)
    if disconnect in done:
        logger.info("client disconnected; %d input(s) dropped", len(job.items))
        return None
    raise RequestError(
        503, f"timed out after {state.limits.timeout_s:g} s waiting for the model; retry later"
    )


async def wait_for_disconnect(request: Request) -> None:
    while (await request.receive())["type"] != "http.disconnect":
        pass


def outputs(pipe: Any, parsed: ParsedRequest, results: list[Any], params: dict[str, Any]) -> Any:
    """The pipeline's answer shape: `pipe(x)` for one input; one result per input for a list. An input
    the pipeline rejected makes the whole request a 422 naming it."""
    for i, result in enumerate(results):
        if isinstance(result, Exception):
            where = '"inputs"' if parsed.single else f'"inputs"[{i}]'
            raise RequestError(422, f"{where}: {result}")
    if parsed.single:
        return pipe.single_result(parsed.items[0], results[0], params)
    return results
