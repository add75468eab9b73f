"""Evaluation: run a task model over encoded examples and score it; `evaluate(...)` for a saved model and
the `albert evaluate TASK --model DIR --eval FILE` entry point (`add_evaluate_arguments`, `run_evaluate`).

The same `make_eval_fn` serves the training loop's periodic evaluation during fine-tuning.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import logging
import os
import random
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

import torch
from torch import nn

from albert.cli_options import add_dataclass_arguments, given
from albert.tasks.examples import check_count
from albert.tasks.preprocess import IGNORE_INDEX, Collator, Feature
from albert.tasks.task import TASKS, DataOptions, Encoded, Task, get_task
from albert.tokenizer import load_tokenizer

logger = logging.getLogger(__name__)

FINETUNE_CONFIG = "finetune_config.json"  # task and data options of a fine-tuned model directory
T = TypeVar("T")


def subset(examples: list[T], count: int | None, seed: int) -> list[T]:
    """`count` examples drawn at random (seeded), in file order; all of them when count is None or larger."""
    if count is None or count >= len(examples):
        return examples
    keep = sorted(random.Random(seed).sample(range(len(examples)), count))
    return [examples[i] for i in keep]


def _length(feature: Feature) -> int:
    ids = feature["input_ids"]
    return max(len(r) for r in ids) if isinstance(ids[0], list) else len(ids)


def run_model(
    model: nn.Module, features: Sequence[Feature], collator: Collator, *, batch_size: int = 32
) -> tuple[list[dict[str, torch.Tensor]], float | None]:
    """Per-feature outputs (`logits` or `start_logits`/`end_logits`, float32 on the CPU, still padded to
    their batch's length) and the loss over the batches that have labels (None if none do): each batch's
    mean weighted by the labels it averaged (tokens for token classification), so that it is the mean over
    the whole file whatever the batch size.

    Features are batched in order of length so that little compute goes to padding.
    """
    device = next(model.parameters()).device
    order = sorted(range(len(features)), key=lambda i: _length(features[i]))
    outputs: list[dict[str, torch.Tensor]] = [{}] * len(features)
    loss_sum, counted = 0.0, 0
    for i in range(0, len(order), batch_size):
        index = order[i : i + batch_size]
        batch = {k: v.to(device) for k, v in collator([features[j] for j in index]).items()}
        out = model(**batch)
        if out.loss is not None:
            weight = _labels_counted(batch, len(index))
            loss_sum += float(out.loss) * weight
            counted += weight
        fields = {name: getattr(out, name, None) for name in ("logits", "start_logits", "end_logits")}
        fields = {k: v.detach().float().cpu() for k, v in fields.items() if v is not None}
        for row, j in enumerate(index):
            outputs[j] = {k: v[row] for k, v in fields.items()}
    return outputs, (loss_sum / counted if counted else None)


def _labels_counted(batch: dict[str, torch.Tensor], rows: int) -> int:
    """How many labels a batch's mean loss averaged: the labelled tokens of token classification (-100
    is ignored), every entry of multi-label targets, else one per row (classification, regression,
    multiple choice, question answering's start/end pair)."""
    labels = batch.get("labels")
    if labels is None or labels.dim() < 2:
        return rows
    return labels.numel() if labels.is_floating_point() else int((labels != IGNORE_INDEX).sum())


def score(
    task: Task, model: nn.Module, encoded: Encoded, options: DataOptions, *, pad_token_id: int,
    batch_size: int = 32,
) -> dict[str, float]:  # fmt: skip
    """The task metrics (and `loss`) of `model` on `encoded`; the caller sets eval mode / no_grad."""
    outputs, loss = run_model(model, encoded.features, Collator(pad_token_id), batch_size=batch_size)
    result = task.score(encoded, outputs, model.config, options)
    return {**result, **({"loss": loss} if loss is not None else {})}


def make_eval_fn(
    task: Task, encoded: Encoded, options: DataOptions, *, pad_token_id: int, batch_size: int
) -> Callable[[nn.Module], dict[str, float]]:
    """`eval_fn(model) -> metrics` for `albert.training.train` (which sets eval mode and no_grad)."""

    def eval_fn(model: nn.Module) -> dict[str, float]:
        return score(task, model, encoded, options, pad_token_id=pad_token_id, batch_size=batch_size)

    return eval_fn


def run_directory(model_dir: str | os.PathLike[str]) -> Path:
    """Where a fine-tuned model's tokenizer and `finetune_config.json` are: the model directory itself,
    or, for a checkpoint of a run (`RUN/checkpoints/step-N`, which holds weights only), the run's."""
    path = Path(model_dir)
    run = path.parent.parent
    is_checkpoint = path.parent.name == "checkpoints" and not (path / FINETUNE_CONFIG).is_file()
    return run if is_checkpoint and (run / FINETUNE_CONFIG).is_file() else path


def saved_options(model_dir: str | os.PathLike[str]) -> DataOptions:
    """The data options a model was fine-tuned with (`finetune_config.json`), else the defaults."""
    path = run_directory(model_dir) / FINETUNE_CONFIG
    if not path.is_file():
        return DataOptions()
    saved = json.loads(path.read_text(encoding="utf-8")).get("data", {})
    names = {f.name for f in dataclasses.fields(DataOptions)}
    return DataOptions(**{k: v for k, v in saved.items() if k in names})


def check_saved_task(model_dir: str | os.PathLike[str], task: str) -> None:
    """A model fine-tuned for another task (its `finetune_config.json` says which) is named as such: its
    head would otherwise fail somewhere inside, differently for each task, or score nonsense."""
    path = run_directory(model_dir) / FINETUNE_CONFIG
    saved = json.loads(path.read_text(encoding="utf-8")).get("task") if path.is_file() else None
    if saved is not None and saved != task:
        raise ValueError(f"{model_dir} was fine-tuned for {saved}, not {task}: albert evaluate {saved} ...")


def evaluate(
    task: str,
    model: str | os.PathLike[str] | nn.Module,
    eval_file: str | os.PathLike[str],
    *,
    tokenizer: Any = None,
    options: DataOptions | None = None,
    batch_size: int = 32,
    device: str | None = None,
    max_examples: int | None = None,
    seed: int = 42,
) -> dict[str, float]:
    """Metrics of a fine-tuned model on a labelled file, e.g. `{"accuracy": 0.91, "f1": ..., "loss": ...}`.

    Args:
        task: a name of `albert.tasks.TASKS`.
        model: a fine-tuned model directory (its tokenizer is loaded from it too; a checkpoint of a run,
            `RUN/checkpoints/step-N`, takes the run's) or a model object.
        eval_file: the file to score, in any format the task reads.
        options: how to read/encode the file; None = the options saved with the model directory.
        max_examples: score a seeded random subset of this many examples.
    """
    spec = get_task(task)
    check_count("batch_size", batch_size, optional=False)  # (0 and -1 failed deep inside, after loading)
    check_count("max_examples", max_examples)
    if isinstance(model, (str, os.PathLike)):
        check_saved_task(model, spec.name)
        options = options or saved_options(model)
        tokenizer = tokenizer if tokenizer is not None else load_tokenizer(run_directory(model))
        model = spec.model_class.from_pretrained(model, device=device)
    elif tokenizer is None:
        raise ValueError("a model object needs tokenizer=...")
    options = spec.fit_to_model(options or DataOptions(), model.config.max_position_embeddings)
    examples = subset(spec.read(eval_file, options), max_examples, seed)
    encoded = spec.encode(examples, tokenizer, getattr(model.config, "label2id", None), options)
    model.eval()
    with torch.no_grad():
        return score(
            spec, model, encoded, options, pad_token_id=tokenizer.pad_token_id, batch_size=batch_size
        )


# ----- command line ----------------------------------------------------------------------------------


def add_evaluate_arguments(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """Flags of `albert evaluate TASK --model DIR --eval FILE ...`."""
    parser.add_argument("task", choices=list(TASKS), help="the task the model was fine-tuned for")
    parser.add_argument(
        "--model",
        required=True,
        help="fine-tuned model directory (with its tokenizer), or a checkpoint of a run: RUN/checkpoints/step-N",
    )
    parser.add_argument("--eval", required=True, dest="eval_file", help="labelled file to score")
    parser.add_argument("--batch-size", type=int, default=32, help="inputs per forward pass (default: 32)")
    parser.add_argument("--max-examples", type=int, default=None, help="score a random subset of this size")
    parser.add_argument("--seed", type=int, default=42, help="seed of --max-examples (default: 42)")
    parser.add_argument("--device", default=None, help="cpu, cuda, cuda:N (default: cpu)")
    group = parser.add_argument_group("data (default: as saved with the model)")
    add_dataclass_arguments(group, DataOptions, show_defaults=False)  # the saved ones apply
    return parser


def run_evaluate(args: argparse.Namespace) -> int:
    """Score a fine-tuned model directory on a labelled file; prints the metrics as one JSON object."""
    options = dataclasses.replace(saved_options(args.model), **given(args, DataOptions))
    metrics = evaluate(
        args.task, args.model, args.eval_file, options=options, batch_size=args.batch_size,
        device=args.device, max_examples=args.max_examples, seed=args.seed,
    )  # fmt: skip
    sys.stdout.write(json.dumps(metrics) + "\n")
    return 0
