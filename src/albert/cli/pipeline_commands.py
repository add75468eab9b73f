"""`albert run` (stdin lines in, JSON lines out, per-line errors) and `albert fill-mask` (one text, a
table): the two front ends of the pipelines."""

from __future__ import annotations

import argparse
import json
import sys
import traceback
from collections import deque
from collections.abc import Callable, Iterator
from typing import Any, TextIO

from albert.cli.common import (
    EXIT_OK,
    EXIT_SOME_LINES_FAILED,
    JSON_FORMS,
    JSON_ONLY_TASKS,
    TASK_NAMES,
    add_model_arguments,
    build_pipeline,
    cli_message,
    parse_param,
)

# ----- albert run --------------------------------------------------------------------------------


def add_run_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--task", required=True, choices=TASK_NAMES, help="which pipeline to run")
    add_model_arguments(parser)
    parser.add_argument(
        "--top-k",
        type=int,
        help="how many predictions per input (fill-mask, text-classification, QA, multiple-choice)",
    )
    parser.add_argument("--batch-size", type=int, help="inputs per forward pass (default 16)")
    parser.add_argument(
        "--truncation",
        action="store_true",
        help="cut inputs longer than the model accepts instead of failing (token-classification splits "
        "them into windows instead: -p stride=N with --aggregation-strategy)",
    )
    parser.add_argument(
        "--aggregation-strategy",
        choices=("none", "simple", "first", "average", "max"),
        help="token-classification: how to merge tokens into entities",
    )
    parser.add_argument(
        "--pooling", choices=("mean", "cls", "pooler"), help="feature-extraction: one vector per text"
    )
    parser.add_argument(
        "--candidate-labels", help='zero-shot-classification: the labels, comma-separated ("sports,politics")'
    )
    parser.add_argument(
        "--param", "-p", action="append", default=[], type=parse_param, metavar="KEY=VALUE",
        help="any other pipeline parameter, e.g. -p max_seq_len=256 -p handle_impossible_answer=true",
    )  # fmt: skip


def pipeline_params(args: argparse.Namespace) -> dict[str, Any]:
    """The pipeline parameters given on the command line (unset options are left to the pipeline)."""
    params = dict(args.param)
    for name in ("top_k", "aggregation_strategy", "pooling", "candidate_labels"):
        if getattr(args, name) is not None:
            params[name] = getattr(args, name)
    if args.truncation:
        params["truncation"] = True
    return params


def parse_line(line: str, task: str) -> Any:
    """One stdin line -> one pipeline input: a JSON object when the line starts with "{", else the text."""
    text = line.rstrip("\r\n")
    if text.lstrip().startswith("{"):
        try:
            item = json.loads(text)
        except json.JSONDecodeError as e:
            raise ValueError(f"invalid JSON: {e}") from None
        if not isinstance(item, dict):
            raise ValueError("a JSON line must be an object")
        return item
    if task in JSON_ONLY_TASKS:
        raise ValueError(f"{task} needs a JSON object per line: {JSON_FORMS[task]}")
    return text


def run(args: argparse.Namespace, stdin: TextIO | None = None, stdout: TextIO | None = None) -> int:
    """Read one input per stdin line, write one JSON line per input to stdout, in order.

    A line that fails (bad JSON, no [MASK], too long, ...) gives `{"error": ..., "line": N}` on stdout,
    so output line N always answers input line N, and a message on stderr; the other lines go on.
    """
    from albert.pipelines import ALIASES

    stdin, stdout = stdin or sys.stdin, stdout or sys.stdout
    task = ALIASES.get(args.task, args.task)
    pipe = build_pipeline(args, task, **pipeline_params(args))
    lines: deque[tuple[int, Any]] = deque()  # (line number, input or parse error), oldest first

    read_failure: list[Exception] = []  # raised once the lines read before it are answered
    lines_read = 0

    def items() -> Iterator[Any]:
        nonlocal lines_read
        try:
            for number, line in enumerate(read_lines(stdin), start=1):
                lines_read = number
                try:
                    item: Any = line if isinstance(line, ValueError) else parse_line(line, task)
                except ValueError as e:
                    item = e
                lines.append((number, item))
                if not isinstance(item, Exception):
                    yield item
        except (OSError, UnicodeError) as e:
            read_failure.append(e)

    progress = _progress_bar()
    failures = 0
    write = utf8_writer(stdout)

    def emit(number: int, result: Any) -> None:
        nonlocal failures
        if isinstance(result, Exception):
            failures += 1
            _line_error(progress, number, result, args.debug)
            result = {"error": cli_message(result), "line": number}
        write(json.dumps(result, ensure_ascii=False) + "\n")
        if progress is not None:
            progress.update(1)

    # Interactive input is answered line by line; piped input is read ahead and batched by length.
    window = 1 if stdin.isatty() else None
    for result in pipe.iter_results(items(), return_errors=True, window=window):
        while isinstance(lines[0][1], Exception):  # parse errors queued before this result
            emit(*lines.popleft())
        emit(lines.popleft()[0], result)
    while lines:
        emit(*lines.popleft())
    if progress is not None:
        progress.close()
    if read_failure:
        raise OSError(f"reading stdin failed after line {lines_read}: {read_failure[0]}")
    if failures:
        print(f"albert: {failures} input line(s) failed (see above)", file=sys.stderr)
        return EXIT_SOME_LINES_FAILED
    return EXIT_OK


def read_lines(stdin: TextIO) -> Iterator[str | ValueError]:
    """The lines of stdin decoded as UTF-8 one by one, whatever the locale or PYTHONIOENCODING says; a line
    that is not valid UTF-8 becomes a ValueError (its own error row) instead of ending the run."""
    binary = getattr(stdin, "buffer", None)
    if binary is None:  # a text stream with no bytes underneath (io.StringIO): already decoded
        yield from stdin
        return
    for raw in binary:
        try:
            yield raw.decode("utf-8")
        except UnicodeDecodeError as e:
            yield ValueError(
                f"not valid UTF-8 (byte 0x{raw[e.start]:02x} at character {e.start + 1}); "
                "the input must be UTF-8 text"
            )


def utf8_writer(stdout: TextIO) -> Callable[[str], None]:
    """Write and flush each line at once (results stream out; a later failure loses nothing written),
    as UTF-8 bytes whatever the locale or PYTHONIOENCODING says (JSON lines are UTF-8)."""
    binary = getattr(stdout, "buffer", None)

    def write(line: str) -> None:
        if binary is None:
            stdout.write(line)
            stdout.flush()
        else:
            stdout.flush()  # anything written as text before goes first
            binary.write(line.encode("utf-8"))
            binary.flush()

    return write


def _progress_bar() -> Any:
    """A tqdm bar on stderr when stderr is a terminal (never in pipes or logs)."""
    if not sys.stderr.isatty():
        return None
    from tqdm import tqdm

    return tqdm(unit=" lines", file=sys.stderr, dynamic_ncols=True)


def _line_error(progress: Any, number: int, error: Exception, debug: bool) -> None:
    message = f"albert: line {number}: {cli_message(error)}"
    if debug:
        message += "\n" + "".join(traceback.format_exception(error)).rstrip()
    if progress is not None:
        progress.write(message, file=sys.stderr)
    else:
        print(message, file=sys.stderr)


# ----- albert fill-mask --------------------------------------------------------------------------


def add_fill_mask_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "text", help='a text with one or more [MASK] tokens, e.g. "Paris is the [MASK] of France."'
    )
    add_model_arguments(parser)
    parser.add_argument("--top-k", type=int, default=5, help="predictions per mask (default 5)")
    parser.add_argument(
        "--targets", help="comma-separated candidate tokens to score instead of the whole vocabulary"
    )
    parser.add_argument(
        "--truncation",
        action="store_true",
        help="cut a text longer than the model accepts instead of failing",
    )
    parser.add_argument("--json", action="store_true", help="print the pipeline's JSON instead of a table")


def fill_mask(args: argparse.Namespace) -> int:
    """Print the best fillers of each [MASK] in one text as a table."""
    params: dict[str, Any] = {"top_k": args.top_k}
    if args.truncation:
        params["truncation"] = True
    if args.targets:
        params["targets"] = [t.strip() for t in args.targets.split(",") if t.strip()]
    result = build_pipeline(args, "fill-mask")(args.text, **params)
    if args.json:
        print(json.dumps(result, ensure_ascii=False))
        return EXIT_OK
    per_mask = result if result and isinstance(result[0], list) else [result]
    for n, proposals in enumerate(per_mask, start=1):
        if len(per_mask) > 1:
            print(f"[MASK] {n} of {len(per_mask)}")
        width = max([len("token")] + [len(p["token_str"]) for p in proposals])
        print(f"{'rank':>4}  {'score':>9}  {'token':<{width}}  sequence")
        for rank, p in enumerate(proposals, start=1):
            print(f"{rank:>4}  {p['score']:>9.4g}  {p['token_str']:<{width}}  {p['sequence']}")
    return EXIT_OK
