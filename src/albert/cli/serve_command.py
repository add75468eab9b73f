"""`albert serve`: a pipeline over HTTP (the server itself is `albert.serve`)."""

from __future__ import annotations

import argparse
import dataclasses
import functools
import sys
from typing import Any

from albert.cli.common import EXIT_ERROR, EXIT_OK, TASK_NAMES, add_model_arguments, build_pipeline
from albert.cli.pipeline_commands import parse_line


def add_serve_arguments(parser: argparse.ArgumentParser) -> None:
    from albert.serve.limits import Limits  # light: no web stack imported for --help

    defaults = Limits()
    parser.add_argument("--task", required=True, choices=TASK_NAMES, help="which pipeline to serve")
    add_model_arguments(parser)
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8000, help="port (default 8000; 0 = any free port)")
    parser.add_argument(
        "--no-fast-paths", action="store_true",
        help="run the model's reference code instead of its fast paths (model.enable_fast_paths())",
    )  # fmt: skip
    limits = (
        ("max_batch_size", int, "inputs per forward pass, from all waiting requests together"),
        ("max_wait_ms", float, "how long to wait for more requests before running a partial batch"),
        ("max_queue", int, "inputs allowed to wait for the model; beyond, requests get 429"),
        ("max_items", int, "inputs per request; beyond, 413"),
        ("max_body_bytes", int, "request body size; beyond, 413"),
        ("max_input_chars", int, "characters per input; beyond, 413"),
        (
            "max_input_tokens",
            int,
            "tokens of all the texts of one input; beyond, 413 (by default the model's"
            " own limit applies: 422 past it, unless the request asks for truncation)",
        ),
        ("timeout_s", float, "seconds from a request's arrival to its answer; beyond, 503"),
        ("max_top_k", int, "top_k of fill-mask and question-answering; beyond, 413"),
        ("max_predictions", int, "fill-mask predictions per request ([MASK] tokens x top_k); beyond, 413"),
        (
            "max_sequences",
            int,
            "model sequences per request for question-answering (context windows), zero-shot (labels),"
            " multiple-choice (choices) and ner with stride (windows); beyond, 413",
        ),
    )
    for name, kind, text in limits:
        default = getattr(defaults, name)
        parser.add_argument(
            f"--{name.replace('_', '-')}", type=kind, default=default, help=f"{text} (default {default})"
        )


def serve(args: argparse.Namespace) -> int:
    """Serve a pipeline over HTTP until SIGTERM or Ctrl+C: POST /v1/TASK with {"inputs": ..., "parameters":
    {...}}, a try-out page at /, /healthz, /metrics (Prometheus) and API docs at /docs."""
    from albert.hub import resolve_file
    from albert.pipelines import ALIASES
    from albert.serve.limits import Limits

    try:
        from albert.serve import bind, create_app, make_server
    except ImportError as e:
        print(
            f"albert: error: {e}; install the web stack with: pip install 'albert-lite[serve]'",
            file=sys.stderr,
        )
        return EXIT_ERROR
    task = ALIASES.get(args.task, args.task)
    limits = Limits(**{f.name: getattr(args, f.name) for f in dataclasses.fields(Limits)})
    if not 0 <= args.port <= 65535:
        raise ValueError(f"--port {args.port}: must be in 0..65535 (0 = any free port)")
    args.batch_size = limits.max_batch_size

    def load() -> Any:
        pipe = build_pipeline(args, task)
        if not args.no_fast_paths:  # unpadded attention: batches of mixed lengths cost no padding
            pipe.model.enable_fast_paths()
        return pipe

    if args.model is not None:  # a wrong path or hub id: one line now, not after the port is taken
        resolve_file(args.model, "config.json")
    sock = bind(args.host, args.port)
    host, port = sock.getsockname()[:2]
    url = f"http://{host}:{port}/"
    on_loaded = functools.partial(report_loaded, task, url)
    model = args.model or "built-in"
    app = create_app(task, load, parse_input=parse_line, limits=limits, model=model, on_loaded=on_loaded)
    # The address first (port 0 picks one), but "serving" only once the model has loaded.
    print(
        f"albert: loading the model ({model}) for {task}; {url} answers 503 until it is ready",
        file=sys.stderr,
    )
    if host not in ("127.0.0.1", "::1", "localhost"):
        print(
            "albert: note: the server has no authentication; expose it only through a proxy that "
            "authenticates clients (and terminates TLS)",
            file=sys.stderr,
        )
    verbose = getattr(args, "verbose", False)
    make_server(app, log_level="info" if verbose else "warning", access_log=verbose).run(sockets=[sock])
    return EXIT_ERROR if app.state.serve.status == "failed" else EXIT_OK


def report_loaded(task: str, url: str, error: str | None) -> None:
    """Say once whether the model loaded: where it is served, or why not (the server then stops)."""
    if error is None:
        print(f"albert: serving {task} on {url} (POST /v1/{task}; docs at /docs)", file=sys.stderr)
    else:
        print(f"albert: error: could not load the model: {error}", file=sys.stderr)
