"""What a fine-tuning run is configured by: the recipe's defaults (`FINETUNE_DEFAULTS`), a task's
`TrainArgs`, the defaults `albert finetune --help` shows, and the checks of `finetune`'s own numbers."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from albert.cli_options import overlay
from albert.tasks.examples import check_count
from albert.tasks.task import TASKS, DataOptions, Task
from albert.training.train_args import EXCLUSIVE, TrainArgs

# Defaults that differ from TrainArgs' (which suit pretraining): the paper's fine-tuning recipe (AdamW,
# linear warmup then decay, Table 14's ~10% warmup, clip 1.0) at a batch size and length a CPU manages.
FINETUNE_DEFAULTS: dict[str, Any] = {
    "optimizer": "adamw",
    "batch_size": 32,
    "epochs": 3,
    "warmup_ratio": 0.1,
    "weight_decay": 0.01,
    "keep_last": 1,
}


# Options that ask for something only an evaluation gives (an --eval-every alone is harmless: a shared
# set of options may carry it into a run without a dev file).
EVAL_OPTIONS = ("early_stopping_patience", "metric_for_best")


def finetune_train_args(
    task: Task, overrides: dict[str, Any], *, output_dir: str, has_eval: bool
) -> TrainArgs:
    """TrainArgs of a fine-tuning run: task defaults (learning rate, best-checkpoint metric), then `overrides`."""
    values = {**FINETUNE_DEFAULTS, "lr": task.default_lr, "output_dir": str(output_dir)}
    if overrides.get("output_dir") not in (None, str(output_dir)):  # checkpoints there, the model here
        raise ValueError(
            f"train_args['output_dir'] ({overrides['output_dir']!r}) differs from output_dir "
            f"({str(output_dir)!r}): the run's one directory is finetune's output_dir; leave it out of train_args"
        )
    if not has_eval:  # they would be ignored without a word (patience asked for a metric, then did nothing)
        given = [key for key in EVAL_OPTIONS if overrides.get(key) is not None]
        if given:
            flags = ", ".join("--" + key.replace("_", "-") for key in given)
            raise ValueError(f"{flags} need(s) --eval: a dev file to evaluate on (Python: eval_file=...)")
    if has_eval:
        values["metric_for_best"] = task.metric_for_best
    if "max_steps" in overrides and "epochs" not in overrides:
        values.pop("epochs")  # --max-steps alone decides the length
    return TrainArgs.from_dict(overlay(values, overrides, EXCLUSIVE))  # an unknown key is named


def data_options(options: Any) -> DataOptions:
    """`finetune`'s `options`: a DataOptions, a dict of its fields (unknown ones named), or None."""
    if options is None:
        return DataOptions()
    if isinstance(options, Mapping):
        known = {f.name for f in dataclasses.fields(DataOptions)}
        unknown = sorted(set(options) - known)
        if unknown:
            raise ValueError(
                f"unknown data option(s) {', '.join(unknown)}; known: {', '.join(sorted(known))}"
            )
        return DataOptions(**options)
    if not isinstance(options, DataOptions):
        raise TypeError(
            f"options must be an albert.tasks.DataOptions (or a dict of its fields), got {type(options).__name__}"
        )
    return options


def finetune_help_defaults() -> dict[str, Any]:
    """The defaults `--help` shows: the recipe's, and the task-dependent ones spelled out per task."""
    by_lr: dict[float, list[str]] = {}
    for name, task in TASKS.items():
        by_lr.setdefault(task.default_lr, []).append(name)
    lrs = "; ".join(f"{lr} for {', '.join(names)}" for lr, names in by_lr.items())
    metrics = "; ".join(f"{task.metric_for_best} for {name}" for name, task in TASKS.items())
    return {**FINETUNE_DEFAULTS, "lr": lrs, "metric_for_best": f"with --eval: {metrics}"}


def check_counts_and_rates(*values: Any) -> None:
    """`max_train_examples`, `max_eval_examples` (None or >= 1), `dropout`, `classifier_dropout` (None or
    in [0, 1)), named by their flags."""
    train_examples, eval_examples, *rates = values
    check_count("max_train_examples", train_examples)
    check_count("max_eval_examples", eval_examples)
    for name, value in zip(("dropout", "classifier_dropout"), rates):
        if value is not None and (
            isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value < 1
        ):
            raise ValueError(f"--{name.replace('_', '-')}: must be a number in [0, 1), got {value!r}")
