"""Fine-tuning: task files -> a task model trained with the shared loop (`albert.training.train`) -> a model
directory that `albert.pipeline`, `albert run` and `transformers` load.

`finetune(...)` is the Python entry point; `add_finetune_arguments` / `run_finetune` back
`albert finetune TASK --train FILE --eval FILE --output DIR ...`. Tasks, readers and metrics live in
`albert.tasks`; this module only wires them to the model, the loop and the output directory.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import logging
import os
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

from albert.cli_options import add_dataclass_arguments, given
from albert.hub import default_model_dir
from albert.hub_push import check_push_target, push_run_directory
from albert.tasks.evaluation import FINETUNE_CONFIG, make_eval_fn, score, subset
from albert.tasks.examples import check_count
from albert.tasks.preprocess import Collator, FeatureDataset
from albert.tasks.task import TASKS, DataOptions, Task, get_task
from albert.tokenizer import load_tokenizer
from albert.training.distributed import broadcast_object, cleanup, is_main_process, training_device
from albert.training.evaluation import check_metric_for_best
from albert.training.finetune_args import (
    check_counts_and_rates,
    data_options,
    finetune_help_defaults,
    finetune_train_args,
)
from albert.training.loop import set_seed, train
from albert.training.metrics_log import METRICS_NAME
from albert.training.model_card import finetune_card, write_model_card
from albert.training.output_dir import RESULTS_NAME, check_finetune_output, check_resumed_finetune
from albert.training.state import atomic_write_text, load_model_weights
from albert.training.train_args import TrainArgs

logger = logging.getLogger(__name__)


@dataclass
class FinetuneResult:
    """What `finetune` returns (also written to `eval_results.json` in the output directory)."""

    output_dir: Path
    metrics: dict[str, float]
    """Evaluation metrics of the saved (best) model; empty without an eval file."""
    best_step: int | None
    steps: int
    train_examples: int
    train_features: int
    eval_examples: int
    wall_time_s: float
    stopped_early: bool = False
    """Stopped on request (SIGTERM, Ctrl-C) before the planned steps: `--resume latest` continues it."""
    pushed_to: str | None = None
    """The Hub commit that holds the saved model, with `push_to_hub`."""
    history: list[dict[str, Any]] = field(default_factory=list, repr=False)


# Over 80 lines by its signature and documentation; the body (~80 lines) reads as the steps of a run.
def finetune(
    task: str,
    train_file: str | os.PathLike[str],
    eval_file: str | os.PathLike[str] | None = None,
    *,
    output_dir: str | os.PathLike[str],
    model: str | os.PathLike[str] | None = None,
    tokenizer: Any = None,
    options: DataOptions | dict[str, Any] | None = None,
    train_args: dict[str, Any] | None = None,
    max_train_examples: int | None = None,
    max_eval_examples: int | None = None,
    dropout: float | None = None,
    classifier_dropout: float | None = None,
    eval_batch_size: int | None = None,
    fast_paths: bool = True,
    push_to_hub: str | None = None,
    hub_private: bool | None = None,
    start_over: bool = False,
) -> FinetuneResult:
    """Fine-tune `model` for `task` on `train_file`, evaluating on `eval_file`, and save it to `output_dir`.

    Args:
        task: a name of `albert.tasks.TASKS` (`text-classification`, `regression`, ...).
        model: a pretrained (or fine-tuned) model directory or hub id; None = the built-in model.
        tokenizer: a tokenizer object, or a saved one's directory or hub id; None = the one saved with
            `model`.
        options: how to read and encode the files (columns, lengths): an `albert.tasks.DataOptions` or
            a dict of its fields.
        train_args: `TrainArgs` fields that override the fine-tuning defaults (`lr`, `epochs`, ...).
        max_train_examples / max_eval_examples: train / evaluate on a seeded random subset.
        dropout / classifier_dropout: override the encoder's and the head's dropout (Table 14's two columns).
        fast_paths: keep the model's default fast paths (padding removed inside the encoder, fused
            GELU; `albert.model.fast`): the same results within float rounding, less compute on batches
            of mixed lengths. False = `disable_fast_paths()`. The saved model is the standard one.
        push_to_hub: a Hub repository id ("me/albert-sst2") to upload the saved directory to at the end
            (not `checkpoints/`), created `hub_private` if missing. Network and token are checked before
            the data is read; a run stopped early is not pushed.
        start_over: replace an earlier run in `output_dir` (its model, results and checkpoints); without
            it such a directory is refused unless `train_args["resume"]` continues that run.

    The output directory holds the best model (by the task's metric, or `metric_for_best`) with its
    tokenizer, `finetune_config.json`, `eval_results.json`, `metrics.jsonl`, `curves.png` and `checkpoints/`.
    """
    started = time.perf_counter()
    spec = get_task(task)
    if push_to_hub is not None:  # now, not after hours of training
        check_push_target(push_to_hub, before="fine-tuning")
    elif hub_private is not None:
        raise ValueError(
            "hub_private is for push_to_hub: name the repository too (CLI: --push-to-hub REPO_ID)"
        )
    options = data_options(options)
    out = Path(output_dir)
    args = finetune_train_args(
        spec, dict(train_args or {}), output_dir=str(out), has_eval=eval_file is not None
    )
    # Now, not after hours of training: a run must not replace an earlier one unasked.
    check_finetune_output(
        out, resume=args.resume, start_over=start_over, inputs={"--model": model, "--tokenizer": tokenizer}
    )
    training_device(args.device)  # a device this machine lacks: an error now, not after reading the data
    check_counts_and_rates(max_train_examples, max_eval_examples, dropout, classifier_dropout)
    check_count("eval_batch_size", eval_batch_size)  # (it failed only at the first evaluation)
    check_metric_for_best(args.metric_for_best, spec.metric_names(options) if eval_file else ())
    set_seed(args.seed)  # the new head's initialisation is part of the run

    train_examples = subset(spec.read(train_file, options), max_train_examples, args.seed)
    eval_examples = subset(spec.read(eval_file, options), max_eval_examples, args.seed) if eval_file else []
    labels = spec.label_names(train_examples)
    label2id = {name: i for i, name in enumerate(labels)} if labels is not None else None

    source = Path(model) if model is not None else default_model_dir()
    if tokenizer is None or isinstance(tokenizer, (str, os.PathLike)):  # a saved tokenizer (dir or hub id)
        tokenizer = load_tokenizer(tokenizer if tokenizer is not None else source)
    net, options = _pretrained_model(spec, source, labels, options, dropout, classifier_dropout, fast_paths)

    # Encode the eval file first: a label unseen in training fails here, not after an epoch.
    evaluation = spec.encode(eval_examples, tokenizer, label2id, options) if eval_examples else None
    train_set = spec.encode(train_examples, tokenizer, label2id, options)
    logger.info("%s: %d training examples (%d inputs), %d evaluation examples", spec.name,
                len(train_examples), len(train_set.features), len(eval_examples))  # fmt: skip

    out.mkdir(parents=True, exist_ok=True)
    config = {
        "task": spec.name,
        "model": str(source),
        "train_file": str(train_file),
        "eval_file": None if eval_file is None else str(eval_file),
        "train_examples": len(train_examples),
        "eval_examples": len(eval_examples),
        "labels": labels,
        "data": dataclasses.asdict(options),
    }
    if args.resume is not None:
        check_resumed_finetune(out, config)
    if is_main_process():  # under torchrun every rank reads the same files; one writes
        atomic_write_text(out / FINETUNE_CONFIG, json.dumps(config, indent=2) + "\n")
    eval_bs = eval_batch_size or args.batch_size
    pad = tokenizer.pad_token_id
    eval_fn = (
        make_eval_fn(spec, evaluation, options, pad_token_id=pad, batch_size=eval_bs) if evaluation else None
    )
    result = train(
        net, FeatureDataset(train_set.features), args=args, eval_fn=eval_fn, collate_fn=Collator(pad)
    )

    outcome = FinetuneResult(
        output_dir=out,
        metrics={},
        best_step=result.best_step,
        steps=result.step,
        train_examples=len(train_examples),
        train_features=len(train_set.features),
        eval_examples=len(eval_examples),
        stopped_early=result.stopped_early,
        wall_time_s=0.0,
        history=result.history,
    )
    # Under torchrun every rank holds the same trained model: rank 0 alone saves, scores and pushes it (the
    # others would write the same files and score the same dev set again), then shares what it found.
    if is_main_process():
        if result.best_checkpoint is not None:  # keep the best evaluation's weights, not the last step's
            load_model_weights(net, result.best_checkpoint)
        net.save_pretrained(out)
        tokenizer.save_pretrained(str(out))
        outcome.metrics = (
            _best_metrics(spec, net, evaluation, result, options, pad, eval_bs, out) if evaluation else {}
        )
        outcome.wall_time_s = round(time.perf_counter() - started, 1)
        _report(outcome, push_to_hub, hub_private, spec, source, args, (train_file, eval_file))
    return broadcast_object(outcome)


def _report(
    outcome: FinetuneResult,
    push_to_hub: str | None,
    hub_private: bool | None,
    spec: Task,
    source: Path,
    args: TrainArgs,
    files: tuple[Any, Any],
) -> None:
    """Write `eval_results.json`, log the outcome and push the saved directory when asked (rank 0)."""
    out = outcome.output_dir
    if outcome.stopped_early:
        best = outcome.best_step  # the saved model is the best evaluation's, when there was one
        held = (
            "that step's model" if best in (None, outcome.steps) else f"the best model so far (step {best})"
        )
        logger.warning(
            "the run was stopped at step %d, before its planned end: %s holds %s; continue the run with "
            "--resume latest (same command)", outcome.steps, out, held
        )  # fmt: skip
    summary = {k: v for k, v in dataclasses.asdict(outcome).items() if k not in ("history", "pushed_to")}
    atomic_write_text(out / RESULTS_NAME, json.dumps({**summary, "output_dir": str(out)}, indent=2) + "\n")
    logger.info("saved the fine-tuned model to %s: %s", out, outcome.metrics)
    if push_to_hub is not None and outcome.stopped_early:
        logger.warning("not pushed to %s: the run is not finished", push_to_hub)
    elif push_to_hub is not None:
        card = finetune_card(push_to_hub, spec.name, spec.model_class.__name__, source, outcome, args, files)
        outcome.pushed_to = _push(out, push_to_hub, hub_private, card)


def _push(out: Path, repo_id: str, private: bool | None, card: str) -> str:
    """Upload a finished run's directory with a model card (`hub_push.push_run_directory`); the commit URL."""
    write_model_card(out, card)
    url = push_run_directory(out, repo_id, what="fine-tuned model", private=private)
    logger.info("pushed %s to %s", out, url)
    return url


def _pretrained_model(
    spec: Any,
    source: Path | str,
    labels: list[str] | None,
    options: DataOptions,
    dropout: float | None,
    classifier_dropout: float | None,
    fast_paths: bool,
) -> tuple[Any, DataOptions]:
    """The task's model class loaded from `source` with the task's head and dropouts, and `options`
    with `max_length` settled within the model's positions."""
    overrides = spec.config_overrides(labels, options)
    if "id2label" in overrides:
        overrides["label2id"] = {name: i for i, name in overrides["id2label"].items()}
    if dropout is not None:
        overrides.update(hidden_dropout_prob=dropout, attention_probs_dropout_prob=dropout)
    if classifier_dropout is not None:
        overrides["classifier_dropout_prob"] = classifier_dropout
    net = spec.model_class.from_pretrained(source, **overrides)
    if not fast_paths:  # on by default (albert.model.fast)
        net.disable_fast_paths()
    return net, spec.fit_to_model(options, net.config.max_position_embeddings)


def _earlier_eval_record(out: Path, step: int | None) -> list[dict[str, Any]]:
    """The evaluation record of `step` in the run's metrics.jsonl (written by every leg), if there."""
    path = out / METRICS_NAME
    if step is None or not path.is_file():
        return []
    records = (json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip())
    return [r for r in records if r.get("split") == "eval" and r.get("step") == step]


def _best_metrics(
    spec: Any, net: Any, evaluation: Any, result: Any, options: DataOptions, pad: int, batch_size: int,
    out: Path,
) -> dict[str, float]:  # fmt: skip
    """The metrics of the kept (best) model: its evaluation record, or a new evaluation when that record
    is not in the run's records (no `metric_for_best`). Nothing for a run stopped on
    request: whoever stopped it wants it to end now, not after a pass over the dev set (the run's own
    evaluations are in metrics.jsonl, and its next leg evaluates)."""
    best = [r for r in result.history if r.get("split") == "eval" and r["step"] == result.best_step]
    best = best or _earlier_eval_record(out, result.best_step)  # an earlier leg's (a resumed run)
    if best:
        return {k: v for k, v in best[-1].items() if k not in ("split", "step", "epoch")}
    if result.stopped_early:
        return {}
    net.eval()
    with torch.no_grad():
        return score(spec, net, evaluation, options, pad_token_id=pad, batch_size=batch_size)


# ----- command line ----------------------------------------------------------------------------------


def add_finetune_arguments(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """Flags of `albert finetune TASK --train FILE [--eval FILE] --output DIR ...`."""
    parser.add_argument("task", choices=list(TASKS), help="what to fine-tune the model for")
    parser.add_argument("--train", required=True, dest="train_file", help="training file")
    parser.add_argument("--eval", dest="eval_file", default=None, help="labelled evaluation file (dev set)")
    parser.add_argument(
        "--model", default=None, help="pretrained model directory or hub id (default: built-in)"
    )
    parser.add_argument(
        "--output", required=True, dest="output_dir", help="directory for the fine-tuned model"
    )
    parser.add_argument("--max-train-examples", type=int, default=None, help="train on a random subset")
    parser.add_argument("--max-eval-examples", type=int, default=None, help="evaluate on a random subset")
    parser.add_argument("--dropout", type=float, default=None, help="encoder dropout (default: the model's)")
    parser.add_argument("--classifier-dropout", type=float, default=None, help="head dropout (default: 0.1)")
    parser.add_argument("--eval-batch-size", type=int, default=None, help="default: --batch-size")
    parser.add_argument(
        "--fast-paths",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="remove padding inside the encoder and fuse GELU: same results, faster (default: on)",
    )
    parser.add_argument(
        "--push-to-hub",
        metavar="REPO_ID",
        default=None,
        help="upload the saved model (with its tokenizer, the run's records and a model card) to this Hugging Face Hub "
        "repository at the end; network and login are checked before training",
    )
    parser.add_argument(
        "--hub-private", action="store_true", default=None, help="create the --push-to-hub repository private"
    )
    parser.add_argument(
        "--start-over",
        action="store_true",
        help="replace an earlier run in --output (its model, results and checkpoints); without it such a "
        "directory is refused unless --resume continues that run",
    )
    add_dataclass_arguments(parser.add_argument_group("data"), DataOptions)
    add_dataclass_arguments(
        parser.add_argument_group("training (defaults: the fine-tuning recipe; lr by task)"),
        TrainArgs,
        skip=("output_dir",),
        defaults=finetune_help_defaults(),
    )
    return parser


def run_finetune(args: argparse.Namespace) -> int:
    """Fine-tune a pretrained model for TASK on a labelled file, evaluating on --eval as it trains, and save
    the best model with its tokenizer to --output. Prints a JSON summary (metrics, steps, wall time)."""
    try:
        result = finetune(
            args.task,
            args.train_file,
            args.eval_file,
            output_dir=args.output_dir,
            model=args.model,
            options=DataOptions(**given(args, DataOptions)),
            train_args=given(args, TrainArgs),
            max_train_examples=args.max_train_examples,
            max_eval_examples=args.max_eval_examples,
            dropout=args.dropout,
            classifier_dropout=args.classifier_dropout,
            eval_batch_size=args.eval_batch_size,
            fast_paths=args.fast_paths,
            push_to_hub=args.push_to_hub,
            hub_private=args.hub_private,
            start_over=args.start_over,
        )
    except BaseException:
        cleanup(wait=False)  # leave torchrun's process group now (nothing to do in one process)
        raise
    cleanup()
    if is_main_process():  # under torchrun, one summary
        summary = {k: v for k, v in dataclasses.asdict(result).items() if k != "history"}
        sys.stdout.write(json.dumps({**summary, "output_dir": str(result.output_dir)}) + "\n")
    return 0
