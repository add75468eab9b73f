"""Metrics of a run: one JSON object per line in `metrics.jsonl`, and `curves.png` drawn from it.

Records look like `{"split": "train", "step": 100, "epoch": 0, "loss": 2.31, "lr": ..., ...}` and
`{"split": "eval", "step": 100, "epoch": 0, "loss": ..., "mlm_accuracy": ...}`.
"""

from __future__ import annotations

import json
import logging
import math
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

from albert.training import distributed as dist_utils

logger = logging.getLogger(__name__)

METRICS_NAME = "metrics.jsonl"
PLOT_NAME = "curves.png"


class MetricsWriter:
    """Appends records to `metrics.jsonl` (flushed per line, so a crash loses at most the current one)."""

    def __init__(self, path: Path, *, truncate_after_step: int | None = None) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        if truncate_after_step is not None and path.exists():
            # On resume, drop what an interrupted run logged after its last checkpoint: it is replayed.
            kept = [r for r in read_metrics(path) if r.get("step", 0) <= truncate_after_step]
            path.write_text("".join(json.dumps(r) + "\n" for r in kept), encoding="utf-8")
        elif truncate_after_step is None:
            path.write_text("", encoding="utf-8")
        self._file = path.open("a", encoding="utf-8")

    def write(self, record: Mapping[str, Any]) -> None:
        self._file.write(json.dumps(_jsonable(record)) + "\n")
        self._file.flush()

    def close(self) -> None:
        self._file.close()


def _jsonable(record: Mapping[str, Any]) -> dict[str, Any]:
    out = {}
    for key, value in record.items():
        if hasattr(value, "item"):  # 0-d tensors / numpy scalars
            value = value.item()
        if isinstance(value, float) and not math.isfinite(value):
            value = str(value)  # JSON has no NaN/inf
        out[key] = value
    return out


def read_metrics(path: Path) -> list[dict[str, Any]]:
    """All records of a `metrics.jsonl` (a torn last line from a crash is skipped)."""
    records = []
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        try:
            records.append(json.loads(line))
        except json.JSONDecodeError:
            continue
    return records


def plot_curves(records: list[dict[str, Any]], path: Path) -> Path | None:
    """Draw the training/eval loss and the eval metrics against the step into a PNG.

    Returns the path, or None (with a log line) if matplotlib is not installed or nothing was logged.
    """
    try:
        import matplotlib

        matplotlib.use("Agg")  # no display needed
        import matplotlib.pyplot as plt
    except ImportError:
        logger.info("matplotlib is not installed: no %s (pip install 'albert-lite[plot]')", path.name)
        return None
    train = [r for r in records if r.get("split") == "train" and _num(r.get("loss"))]
    evals = [r for r in records if r.get("split") == "eval"]
    if not train and not evals:
        return None
    eval_keys = sorted(
        {k for r in evals for k, v in r.items() if k not in ("split", "step", "epoch") and _num(v)}
    )
    loss_keys = [k for k in eval_keys if "loss" in k]
    other_keys = [k for k in eval_keys if "loss" not in k]
    fig, axes = plt.subplots(1, 2 if other_keys else 1, figsize=(11 if other_keys else 6, 4), squeeze=False)
    ax = axes[0][0]
    if train:
        ax.plot([r["step"] for r in train], [r["loss"] for r in train], label="train loss", lw=1)
    for key in loss_keys:
        pts = [(r["step"], r[key]) for r in evals if _num(r.get(key))]
        ax.plot(*zip(*pts), marker="o", ms=3, label=f"eval {key}")
    ax.set_xlabel("step")
    ax.set_ylabel("loss")
    ax.grid(alpha=0.3)
    ax.legend()
    if other_keys:
        ax = axes[0][1]
        for key in other_keys:
            pts = [(r["step"], r[key]) for r in evals if _num(r.get(key))]
            ax.plot(*zip(*pts), marker="o", ms=3, label=key)
        ax.set_xlabel("step")
        ax.set_ylabel("eval metric")
        ax.grid(alpha=0.3)
        ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def _num(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


@dataclass
class IntervalStats:
    """Training sums since the last log line; `flush` turns them into a record (one collective over ranks)."""

    steps: int = 0
    tokens: int = 0
    since: float = field(default_factory=time.perf_counter)
    _pending: list[tuple[torch.Tensor, torch.Tensor]] = field(default_factory=list)

    def add(self, loss: torch.Tensor, grad_norm: torch.Tensor, tokens: int) -> None:
        self._pending.append((loss, grad_norm))  # device tensors: read (a host sync) only at flush time
        self.steps += 1
        self.tokens += tokens

    def flush(
        self, *, step: int, epoch: int, lr: float, tokens_before: int, elapsed_s: float, device: torch.device
    ) -> dict[str, Any]:
        """The train record of the interval: mean loss over steps and ranks, tokens/s over all ranks."""
        losses = sum(float(loss) for loss, _ in self._pending)
        norms = sum(float(norm) for _, norm in self._pending)  # identical on all ranks after the all-reduce
        loss_sum, tokens = dist_utils.all_reduce_sum([losses, float(self.tokens)], device)
        now = time.perf_counter()
        record = {
            "split": "train",
            "step": step,
            "epoch": epoch,
            "loss": loss_sum / (self.steps * dist_utils.get_world_size()),
            "lr": lr,
            "grad_norm": norms / self.steps,
            "tokens_per_s": tokens / max(now - self.since, 1e-9),
            "tokens": tokens_before + int(tokens),
            "elapsed_s": round(elapsed_s, 3),
        }
        self._pending.clear()
        self.steps, self.tokens, self.since = 0, 0, now
        return record
