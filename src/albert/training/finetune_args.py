"""What a fine-tuning run is configured by: the recipe's defaults (`FINETUNE_DEFAULTS`), a task's
`TrainArgs`, the defaults `albert finetune --help` shows, and the checks of `finetune`'s own numbers."""

from __future__ import annotations

from typing import Any

from albert.cli_options import overlay
from albert.tasks.examples import check_count
from albert.tasks.task import TASKS, Task
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
