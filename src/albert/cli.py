"""The `albert` command line (also `python -m albert`): a table of subcommands, each a plain function.

    albert run --task fill-mask --model DIR < texts.txt > results.jsonl
    albert fill-mask "The capital of France is [MASK]." --model DIR
    albert info albert-base-v2

This is the only module that prints; the library reports through `logging` (shown here on stderr).
Exit status: 0 success, 1 fatal error, 2 bad command line, 3 finished but some input lines failed.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import logging
import os
import sys
import traceback
from collections import deque
from collections.abc import Callable, Iterator
from typing import Any, NamedTuple, TextIO

import albert

EXIT_OK, EXIT_ERROR, EXIT_USAGE, EXIT_SOME_LINES_FAILED = 0, 1, 2, 3
TASK_NAMES = (
    "fill-mask", "text-classification", "sentiment-analysis", "token-classification", "ner",
    "question-answering", "multiple-choice", "feature-extraction",
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


# ----- shared options ----------------------------------------------------------------------------


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


# The library's messages name Python arguments; on the command line they name the flags.
CLI_WORDING = (
    ("pass model='path/to/checkpoint_dir' (or a hub id, or a loaded model with tokenizer=...)",
     "pass --model DIR (a fine-tuned checkpoint directory or hub id)"),
    ("use device='cpu'", "use --device cpu"),
    ("pass truncation=True (CLI: --truncation)", "pass --truncation"),
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
    return pipeline(
        task,
        args.model,
        args.tokenizer,
        device=device,
        dtype=args.dtype,
        batch_size=getattr(args, "batch_size", 8),
        **params,
    )


def parse_param(text: str) -> tuple[str, Any]:
    """--param KEY=VALUE; VALUE is read as JSON when it parses (3, true, ["a"]), else kept as a string."""
    key, sep, value = text.partition("=")
    if not sep or not key:
        raise argparse.ArgumentTypeError(f"expected KEY=VALUE, got {text!r}")
    try:
        return key.replace("-", "_"), json.loads(value)
    except json.JSONDecodeError:
        return key.replace("-", "_"), value


# ----- albert run --------------------------------------------------------------------------------


def add_run_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--task", required=True, choices=TASK_NAMES, help="which pipeline to run")
    add_model_arguments(parser)
    parser.add_argument(
        "--top-k",
        type=int,
        help="how many predictions per input (fill-mask, classification, QA, multiple-choice)",
    )
    parser.add_argument("--batch-size", type=int, default=8, help="inputs per forward pass (default 8)")
    parser.add_argument(
        "--truncation",
        action="store_true",
        help="cut inputs longer than the model accepts instead of failing",
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
        "--param", "-p", action="append", default=[], type=parse_param, metavar="KEY=VALUE",
        help="any other pipeline parameter, e.g. -p max_seq_len=256 -p handle_impossible_answer=true",
    )  # fmt: skip


def pipeline_params(args: argparse.Namespace) -> dict[str, Any]:
    """The pipeline parameters given on the command line (unset options are left to the pipeline)."""
    params = dict(args.param)
    for name in ("top_k", "aggregation_strategy", "pooling"):
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


# ----- albert serve ------------------------------------------------------------------------------


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
    )
    for name, kind, text in limits:
        default = getattr(defaults, name)
        parser.add_argument(
            f"--{name.replace('_', '-')}", type=kind, default=default, help=f"{text} (default {default})"
        )


def serve(args: argparse.Namespace) -> int:
    """Serve a pipeline over HTTP until SIGTERM or Ctrl+C: POST /v1/TASK with {"inputs": ..., "parameters":
    {...}}, a try-out page at /, /healthz, /metrics (Prometheus) and API docs at /docs."""
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
    args.batch_size = limits.max_batch_size

    def load() -> Any:
        pipe = build_pipeline(args, task)
        if not args.no_fast_paths:  # unpadded attention: batches of mixed lengths cost no padding
            pipe.model.enable_fast_paths()
        return pipe

    app = create_app(task, load, parse_input=parse_line, limits=limits, model=args.model or "built-in")
    sock = bind(args.host, args.port)
    host, port = sock.getsockname()[:2]
    print(
        f"albert: serving {task} on http://{host}:{port}/ (POST /v1/{task}; docs at /docs)", file=sys.stderr
    )
    if host not in ("127.0.0.1", "::1", "localhost"):
        print(
            "albert: note: the server has no authentication; expose it through a proxy that has",
            file=sys.stderr,
        )
    verbose = getattr(args, "verbose", False)
    make_server(app, log_level="info" if verbose else "warning", access_log=verbose).run(sockets=[sock])
    state = app.state.serve
    if state.status == "failed":
        print(f"albert: error: could not load the model: {state.error}", file=sys.stderr)
        return EXIT_ERROR
    return EXIT_OK


# ----- albert info -------------------------------------------------------------------------------


def add_info_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("model", help="checkpoint directory, hub id, or preset name such as albert-base-v2")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of text")


def parameter_report(config: Any) -> dict[str, int]:
    """Parameter counts of the encoder (`AlbertModel` with pooler) from the config alone, and of a BERT
    with the same H, L, vocabulary and positions but H-wide embeddings and no sharing."""
    V, P, T = config.vocab_size, config.max_position_embeddings, config.type_vocab_size  # noqa: N806
    E, H, F = config.embedding_size, config.hidden_size, config.intermediate_size  # noqa: N806
    layer = 4 * H * H + 4 * H + 2 * H + H * F + F + F * H + H + 2 * H  # attention + LN + FFN + LN
    if config.position_embedding_type != "absolute":
        layer += (2 * P - 1) * config.head_size  # relative-distance table of each attention
    embeddings = (V + P + T) * E + 2 * E
    projection = E * H + H
    shared = config.num_hidden_groups * config.inner_group_num * layer
    pooler = H * H + H
    depth = config.num_hidden_layers * config.inner_group_num  # layer applications
    bert = (V + P + T) * H + 2 * H + depth * layer + pooler
    return {
        "total": embeddings + projection + shared + pooler,
        "embedding": embeddings,
        "embedding_projection": projection,
        "shared_layers": shared,
        "pooler": pooler,
        "unshared_bert_total": bert,
        "factorisation_saves": (V + P + T) * H + 2 * H - embeddings - projection,
        "sharing_saves": (depth - config.num_hidden_groups * config.inner_group_num) * layer,
    }


def info(args: argparse.Namespace) -> int:
    """Print a model's config and where its parameters are (and are saved, compared with BERT)."""
    from albert.config import PRESETS, AlbertConfig

    config = AlbertConfig.from_pretrained(args.model)
    counts = parameter_report(config)
    stored = None
    disagreements: list[str] = []
    if args.model.removeprefix("albert/") not in PRESETS:
        from albert.checkpoint import read_state_dict

        try:
            tensors = read_state_dict(args.model)
            stored = sum(t.numel() for t in tensors.values() if t.is_floating_point())
        except FileNotFoundError:
            logging.getLogger(__name__).info("no weights in %s; counts come from the config only", args.model)
        else:
            disagreements = config_weight_disagreements(config, tensors)
    if args.json:
        config_dict = config.to_dict()
        print(
            json.dumps(
                {
                    "model": args.model,
                    "config": config_dict,
                    "parameters": counts,
                    "checkpoint_parameters": stored,
                    "config_weight_disagreements": disagreements,
                }
            )
        )
        return warn_disagreements(args.model, disagreements)
    print(f"model: {args.model}")
    print("config:")
    for key, value in config.to_dict().items():
        print(f"  {key:<30} {value}")
    c, L, G, I = counts, config.num_hidden_layers, config.num_hidden_groups, config.inner_group_num  # noqa: N806, E741
    rows = [
        ("parameters (encoder + pooler, from the config)", None),
        ("  total", c["total"]),
        (f"  embedding ((V + P + T) x E = ({config.vocab_size} + {config.max_position_embeddings} + {config.type_vocab_size}) x {config.embedding_size}, + LayerNorm)", c["embedding"]),
        (f"  embedding projection E -> H ({config.embedding_size} -> {config.hidden_size})", c["embedding_projection"]),
        (f"  shared layers ({G} group(s) x {I} layer(s), applied {L} times)", c["shared_layers"]),
        ("  pooler", c["pooler"]),
    ]  # fmt: skip
    if stored is not None:
        rows.append(("all tensors in the checkpoint (incl. task head)", stored))
    rows += [
        (f"unshared BERT of the same shape (E = H = {config.hidden_size}, {L * I} distinct layers)", c["unshared_bert_total"]),
        ("  saved by the factorised embedding", c["factorisation_saves"]),
        ("  saved by cross-layer sharing", c["sharing_saves"]),
    ]  # fmt: skip
    width = max(len(label) for label, _ in rows)
    for label, value in rows:
        print(label if value is None else f"{label:<{width}}  {value:>14,}")
    ratio = c["total"] / c["unshared_bert_total"]
    print(f"ALBERT has {ratio:.1%} of that BERT's parameters ({1 / ratio:.1f}x fewer)")
    return warn_disagreements(args.model, disagreements)


def config_weight_disagreements(config: Any, tensors: dict[str, Any]) -> list[str]:
    """Where a checkpoint's encoder weights disagree with what its config.json implies (shapes, tensors
    missing or left over), one line each; heads and a missing pooler are not counted (any task's head may
    be there, and masked-LM checkpoints have no pooler)."""
    import torch

    from albert.checkpoint.hf import from_hf_state_dict
    from albert.model import AlbertModel

    state, _ = from_hf_state_dict(tensors)
    weights = {k.removeprefix("backbone."): v for k, v in state.items() if k.startswith("backbone.")}
    with torch.device("meta"):  # shapes only: nothing allocated
        expected = AlbertModel(config).state_dict()
    shapes, missing, extra = [], [], []
    for key in sorted(set(expected) | set(weights)):
        if key not in weights and key.startswith("pooler."):
            continue  # masked-LM and token-level checkpoints have no pooler
        if key not in weights:
            missing.append(f"{key}: the config implies it, the weights lack it")
        elif key not in expected:
            extra.append(f"{key}: in the weights, but the config has no place for it")
        elif tuple(weights[key].shape) != tuple(expected[key].shape):
            shapes.append(f"{key}: shape {tuple(weights[key].shape)} in the weights, {tuple(expected[key].shape)} "
                         "from the config")  # fmt: skip
    return shapes + missing + extra


def warn_disagreements(model: str, disagreements: list[str]) -> int:
    """Exit status of `albert info`: 1 (after saying where) when config.json and the weights disagree."""
    if not disagreements:
        return EXIT_OK
    print(
        f"albert: warning: {model}: config.json and the weights disagree (loading will fail):",
        file=sys.stderr,
    )
    for line in disagreements[:10]:
        print(f"  {line}", file=sys.stderr)
    if len(disagreements) > 10:
        print(f"  ... and {len(disagreements) - 10} more", file=sys.stderr)
    return EXIT_ERROR


# ----- the command table -------------------------------------------------------------------------


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


# ----- albert convert-tf-checkpoint / albert export (TensorFlow) ------------------------------------


def add_convert_tf_checkpoint_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "checkpoint", help="TF1 checkpoint prefix of google-research/albert, e.g. model.ckpt-best"
    )
    parser.add_argument("--config", required=True, help="its albert_config.json")
    parser.add_argument("--output", required=True, help="directory to write config.json + model.safetensors")
    parser.add_argument(
        "--spm-model", help="its SentencePiece model (30k-clean.model), copied as spiece.model"
    )


def convert_tf_checkpoint(args: argparse.Namespace) -> int:
    """Convert an original ALBERT TensorFlow checkpoint into a model directory that albert (PyTorch or
    TensorFlow classes) and transformers load."""
    from albert.checkpoint.original_tf import convert_original_checkpoint

    out = convert_original_checkpoint(args.checkpoint, args.config, args.output, spm_model=args.spm_model)
    print(f"wrote {out}")
    return EXIT_OK


EXPORT_FORMATS = ("saved_model",)


def add_export_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("model", help="model directory or hub id")
    parser.add_argument(
        "--format", required=True, choices=EXPORT_FORMATS, help="saved_model: a TF SavedModel"
    )
    parser.add_argument("--output", required=True, help="directory to write")
    parser.add_argument(
        "--class", dest="model_class",
        help="TF class to export, e.g. TFAlbertForSequenceClassification (default: from config.json's "
        "architectures, else TFAlbertModel)",
    )  # fmt: skip


def export(args: argparse.Namespace) -> int:
    """Export a model for serving (SavedModel with a `serving_default` signature)."""
    import albert.tf
    from albert.tf.export import export_saved_model

    name = args.model_class or _tf_class_from_config(args.model)
    if name not in albert.tf.__all__ or name == "TFAlbertPreTrainedModel":
        choices = ", ".join(n for n in albert.tf.__all__ if n != "TFAlbertPreTrainedModel")
        raise ValueError(f"unknown --class {name!r}; choose one of {choices}")
    model = getattr(albert.tf, name).from_pretrained(args.model)
    print(f"wrote {export_saved_model(model, args.output)} ({name})")
    return EXIT_OK


def _tf_class_from_config(model: str) -> str:
    from albert.hub import resolve_file

    architectures = json.loads(resolve_file(model, "config.json").read_text()).get("architectures") or []
    known = ("AlbertModel", "AlbertForPreTraining", "AlbertForMaskedLM", "AlbertForSequenceClassification",
             "AlbertForMultipleChoice", "AlbertForTokenClassification", "AlbertForQuestionAnswering")  # fmt: skip
    first = architectures[0].removeprefix("TF") if architectures else "AlbertModel"
    return "TF" + (first if first in known else "AlbertModel")


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
    logging.basicConfig(level=level, format="albert: %(levelname)s: %(message)s", stream=sys.stderr)
    # huggingface_hub logs every retry of an unreachable hub; the final error message says it all.
    logging.getLogger("huggingface_hub").setLevel(level if level == logging.INFO else logging.ERROR)
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


if __name__ == "__main__":
    sys.exit(main())
