"""The `albert` command line (also `python -m albert`): a table of subcommands, each a plain function.

    albert run --task fill-mask --model DIR < texts.txt > results.jsonl
    albert fill-mask "The capital of France is [MASK]." --model DIR
    albert info albert-base-v2

This package is the only place that prints; the library reports through `logging` (shown here on stderr).
Exit status: 0 success, 1 fatal error, 2 bad command line, 3 finished but some input lines failed.

One module per concern: `common` (exit statuses, model options, messages in flag terms),
`pipeline_commands` (run, fill-mask), `serve_command`, `info_command`, `tf_commands`; this module holds
the command table and `main`.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys

import albert
from albert.cli.adapter_command import add_convert_lora_adapter_arguments, convert_lora_adapter
from albert.cli.common import (
    EXIT_ERROR,
    EXIT_OK,
    EXIT_SOME_LINES_FAILED,
    EXIT_USAGE,
    TASK_NAMES,
    Command,
    cli_message,
)
from albert.cli.info_command import add_info_arguments, info, parameter_report
from albert.cli.pipeline_commands import (
    add_fill_mask_arguments,
    add_run_arguments,
    fill_mask,
    parse_line,
    run,
)
from albert.cli.serve_command import add_serve_arguments, serve
from albert.cli.tf_commands import (
    add_convert_tf_checkpoint_arguments,
    add_export_arguments,
    convert_tf_checkpoint,
    export,
)

__all__ = ["COMMANDS", "EXIT_ERROR", "EXIT_OK", "EXIT_SOME_LINES_FAILED", "EXIT_USAGE", "TASK_NAMES", "build_parser",
           "main", "parameter_report", "parse_line"]  # fmt: skip


# To add a subcommand (pretrain, finetune, evaluate, ...): write `def my_command(args) -> int` (returns
# the exit status) and `def add_my_arguments(parser) -> None`, then add one line below. main() builds
# the parser, `--help`, `--debug` and error handling for every entry.
def add_pretrain_arguments(parser: argparse.ArgumentParser) -> None:
    from albert.training.pretrain import add_pretrain_arguments as add

    add(parser)


def pretrain(args: argparse.Namespace) -> int:
    from albert.training.pretrain import run_pretrain

    return run_pretrain(args)


def add_finetune_arguments(parser: argparse.ArgumentParser) -> None:
    from albert.training.finetune import add_finetune_arguments as add

    add(parser)


def finetune(args: argparse.Namespace) -> int:
    from albert.training.finetune import run_finetune

    return run_finetune(args)


def add_evaluate_arguments(parser: argparse.ArgumentParser) -> None:
    from albert.tasks.evaluation import add_evaluate_arguments as add

    add(parser)


def evaluate(args: argparse.Namespace) -> int:
    from albert.tasks.evaluation import run_evaluate

    return run_evaluate(args)


COMMANDS: dict[str, Command] = {
    "run": Command(run, add_run_arguments, "run a pipeline on stdin (one input per line), JSON lines out"),
    "fill-mask": Command(fill_mask, add_fill_mask_arguments, "show the best fillers for [MASK] in a text"),
    "info": Command(info, add_info_arguments, "config and parameter counts of a model"),
    "pretrain": Command(pretrain, add_pretrain_arguments, "pretrain ALBERT (MLM + SOP) on a text corpus"),
    "finetune": Command(finetune, add_finetune_arguments, "fine-tune a model for a task on your files"),
    "evaluate": Command(evaluate, add_evaluate_arguments, "score a fine-tuned model (JSON on stdout)"),
    "convert-tf-checkpoint": Command(
        convert_tf_checkpoint, add_convert_tf_checkpoint_arguments, "convert an original ALBERT TF checkpoint"
    ),
    "convert-lora-adapter": Command(
        convert_lora_adapter,
        add_convert_lora_adapter_arguments,
        "convert a PEFT LoRA adapter trained on transformers' ALBERT",
    ),
    "export": Command(export, add_export_arguments, "export a model for serving (TF SavedModel)"),
    "serve": Command(serve, add_serve_arguments, "serve a pipeline over HTTP (needs albert-lite[serve])"),
}


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    # SUPPRESS: --debug/--verbose may be given before or after the subcommand without overwriting.
    common.add_argument(
        "--debug", action="store_true", default=argparse.SUPPRESS, help="show Python tracebacks"
    )
    common.add_argument(
        "--verbose", "-v", action="store_true", default=argparse.SUPPRESS, help="log progress (INFO)"
    )
    parser = argparse.ArgumentParser(
        prog="albert",
        description="ALBERT models from the command line.",
        epilog="exit status: 0 ok, 1 error, 2 bad arguments, 3 some input lines failed",
        parents=[common],
    )
    parser.add_argument("--version", action="version", version=f"albert {albert.__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name, command in COMMANDS.items():
        doc = (command.function.__doc__ or command.help).strip()
        p = sub.add_parser(name, help=command.help, description=doc, parents=[common])
        command.add_arguments(p)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    args.debug = getattr(args, "debug", False)
    level = logging.INFO if getattr(args, "verbose", False) else logging.WARNING
    prefix = "albert"
    rank = os.environ.get("RANK", "0")  # set by torchrun: every process runs the same command
    if rank != "0":  # rank 0 tells the run's story; the others speak up only for warnings and errors
        level, prefix = logging.WARNING, f"albert[rank {rank}]"
    logging.basicConfig(level=level, format=f"{prefix}: %(levelname)s: %(message)s", stream=sys.stderr)
    # huggingface_hub logs every retry of an unreachable hub; the final error message says it all.
    logging.getLogger("huggingface_hub").setLevel(level if level == logging.INFO else logging.ERROR)
    status = run_command(args)
    distributed = sys.modules.get("albert.training.distributed")  # imported only by training commands
    if distributed is not None and distributed.left_a_process_group():
        distributed.exit_process(status)  # a torchrun worker ends here (see exit_process)
    return status


def run_command(args: argparse.Namespace) -> int:
    """The command's exit status; a user's mistake is one line on stderr, not a traceback (--debug)."""
    try:
        return COMMANDS[args.command].function(args)
    except KeyboardInterrupt:
        print("albert: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # e.g. `albert run ... | head`: the reader left; not an error of ours
        # Point stdout at /dev/null so that the interpreter's final flush does not fail again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK
    except Exception as e:
        if args.debug:
            raise
        print(f"albert: error: {cli_message(e)}", file=sys.stderr)
        return EXIT_ERROR
