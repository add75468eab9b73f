"""Evaluation inside the training loop: run the user's evaluation function on the main process with the
training RNG streams untouched, share the metrics with every process, and track the best value for
best-checkpoint saving and early stopping."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Mapping

import torch
from torch import nn

from albert.training import distributed as dist_utils
from albert.training.distributed import DistInfo
from albert.training.state import LoopState, capture_rng_state, restore_rng_state
from albert.training.train_args import TrainArgs, flag

EvalFn = Callable[[nn.Module], Mapping[str, float]]


def evaluate(
    eval_fn: EvalFn,
    model: nn.Module,
    autocast: Callable[[], contextlib.AbstractContextManager],
    info: DistInfo,
) -> dict[str, float]:
    """`eval_fn(model)` in eval mode without gradients on the main process; its metrics on every process."""
    metrics = None
    if info.is_main:
        rng = capture_rng_state()  # evaluation must not perturb the training streams
        model.eval()
        with torch.no_grad(), autocast():
            metrics = {k: float(v) for k, v in eval_fn(model).items()}
        model.train()
        restore_rng_state(rng)
    return dist_utils.broadcast_object(metrics)


def check_metric_for_best(name: str | None, task_metrics: tuple[str, ...]) -> None:
    """`--metric-for-best` must be one of the evaluation's metrics (the task's, or pretraining's, and `loss`): found now, not
    at the first evaluation, after an epoch of training."""
    if name is None or not task_metrics:
        return
    choices = (*task_metrics, "loss")
    if name not in choices:
        raise ValueError(f"--metric-for-best {name}: the evaluation gives {', '.join(choices)}; choose one")


def track_best(args: TrainArgs, st: LoopState, metrics: dict[str, float]) -> bool:
    """Update the best value / patience counters; True if this evaluation is a new best."""
    key = args.metric_for_best
    if key is None:
        return False
    if key not in metrics:
        raise ValueError(
            f"{flag('metric_for_best')} {key}: not among the evaluation's metrics {sorted(metrics)}; choose one"
        )
    greater = args.greater_is_better if args.greater_is_better is not None else "loss" not in key
    value = metrics[key]
    if st.best_value is None or (value > st.best_value if greater else value < st.best_value):
        st.best_value, st.best_step, st.bad_evals = value, st.step, 0
        return True
    st.bad_evals += 1
    return False
