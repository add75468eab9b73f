"""What every `albert` subcommand shares: exit statuses, task names, the model options, the library's
messages in command-line terms, and building a pipeline from the options."""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from typing import Any, NamedTuple

EXIT_OK, EXIT_ERROR, EXIT_USAGE, EXIT_SOME_LINES_FAILED = 0, 1, 2, 3
TASK_NAMES = (
    "fill-mask", "text-classification", "sentiment-analysis", "token-classification", "ner",
    "question-answering", "multiple-choice", "feature-extraction", "zero-shot-classification",
)  # fmt: skip
JSON_ONLY_TASKS = ("question-answering", "multiple-choice")
JSON_FORMS = {
    "question-answering": '{"question": ..., "context": ...}',
    "multiple-choice": '{"prompt": ..., "choices": [...]}',
}


class Command(NamedTuple):
    function: Callable[[argparse.Namespace], int]  # returns the exit status
    add_arguments: Callable[[argparse.ArgumentParser], None]
    help: str


def add_model_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--model", help="checkpoint directory or hub id (default: the built-in model, if the task has one)"
    )
    parser.add_argument("--tokenizer", help="tokenizer directory or hub id (default: the model's)")
    parser.add_argument("--device", help="cpu (default), cuda, cuda:N or a GPU index N")
    parser.add_argument(
        "--dtype", choices=("auto", "float32", "float16", "bfloat16"),
        help="weights dtype; auto = the dtype the weights are stored in (default float32)",
    )  # fmt: skip


def add_output_arguments(parser: argparse.ArgumentParser, what: str) -> None:
    """`--output DIR` (new or empty) and `--overwrite`, for the commands that write a model directory."""
    parser.add_argument("--output", required=True, help=f"directory to write {what} to (new or empty)")
    parser.add_argument(
        "--overwrite", action="store_true",
        help="write into an --output that already holds files (files of the same names are replaced)",
    )  # fmt: skip


def check_output_is_free(output: str, overwrite: bool) -> None:
    """Refuse an `--output` that already holds files, unless `--overwrite`: these commands replace files by
    name, which would lose the model that was there or leave a mix of two (its config, another's weights)."""
    from pathlib import Path

    from albert.hub import listing

    directory = Path(output)
    if overwrite or not directory.exists():
        return
    if not directory.is_dir():
        raise NotADirectoryError(f"--output {output} is a file; give a directory")
    if any(directory.iterdir()):
        raise FileExistsError(
            f"--output {output} already holds {listing(directory, shown=5)}; choose a new or empty directory, or pass --overwrite "
            "to replace files of the same names"
        )


# The library's messages name Python arguments; on the command line they name the flags.
CLI_WORDING = (
    ("pass model='path/to/checkpoint_dir' (or a hub id, or a loaded model with tokenizer=...)",
     "pass --model DIR (a fine-tuned checkpoint directory or hub id)"),
    ("use device='cpu'", "use --device cpu"),
    ("pass truncation=True (CLI: --truncation)", "pass --truncation"),
    ("classifier(text, candidate_labels=['sports', 'politics'])", "--candidate-labels 'sports,politics'"),
    ('pass stride=N with aggregation_strategy="simple" to split it into windows '
     "(CLI: -p stride=N --aggregation-strategy simple)",
     "pass -p stride=N --aggregation-strategy simple to split it into windows"),
    ('e.g. aggregation_strategy="simple" (CLI: --aggregation-strategy simple)', "e.g. --aggregation-strategy simple"),
)  # fmt: skip


def cli_message(error: BaseException) -> str:
    """An error's message in command-line terms (flags instead of Python arguments)."""
    message = str(error)
    for python, flags in CLI_WORDING:
        message = message.replace(python, flags)
    return message


def build_pipeline(args: argparse.Namespace, task: str, **params: Any) -> Any:
    from albert.devices import resolve_device
    from albert.pipelines import pipeline  # imported here so that --help stays fast

    device = resolve_device(args.device, argument="--device", cpu_hint="--device cpu")  # CLI wording
    if getattr(args, "batch_size", None) is not None:  # else the pipeline's default
        params["batch_size"] = args.batch_size
    return pipeline(task, args.model, args.tokenizer, device=device, dtype=args.dtype, **params)


def parse_param(text: str) -> tuple[str, Any]:
    """--param KEY=VALUE; VALUE is read as JSON when it parses (3, true, ["a"]), else kept as a string."""
    key, sep, value = text.partition("=")
    if not sep or not key:
        raise argparse.ArgumentTypeError(f"expected KEY=VALUE, got {text!r}")
    try:
        return key.replace("-", "_"), json.loads(value)
    except json.JSONDecodeError:
        return key.replace("-", "_"), value
