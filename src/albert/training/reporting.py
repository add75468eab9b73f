"""What a training run reports: `train_args.json` and `metrics.jsonl` (rank 0, with an output
directory), the progress bar or log lines, the callbacks, and the history `train` returns."""

from __future__ import annotations

import json
import logging
import math
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from tqdm import tqdm

from albert.training.metrics_log import METRICS_NAME, MetricsWriter
from albert.training.state import LoopState, atomic_write_text
from albert.training.train_args import TrainArgs

logger = logging.getLogger(__name__)


class RunReport:
    """The outputs of one `train` call (see the module docstring); `close()` when the run ends."""

    def __init__(
        self,
        args: TrainArgs,
        out: Path | None,
        *,
        is_main: bool,
        st: LoopState,
        resumed: bool,
        total_steps: int,
        callbacks: Sequence[Callable[[dict[str, Any]], None]],
    ) -> None:
        self.is_main, self.callbacks = is_main, callbacks
        self.writer: MetricsWriter | None = None
        if out is not None and is_main:
            out.mkdir(parents=True, exist_ok=True)
            atomic_write_text(out / "train_args.json", json.dumps(args.to_dict(), indent=2) + "\n")
            # a resumed run rewrites the records after its checkpoint's step (they are trained again)
            self.writer = MetricsWriter(out / METRICS_NAME, truncate_after_step=st.step if resumed else None)
        self.show_bar = args.progress_bar and is_main and sys.stderr.isatty()
        self.bar = tqdm(
            total=total_steps, initial=st.step, unit="step", disable=not self.show_bar, file=sys.stderr
        )
        self.total_steps = total_steps
        self.history: list[dict[str, Any]] = []

    def emit(self, record: dict[str, Any]) -> None:
        """Keep `record` in the history; on rank 0 write it to metrics.jsonl and pass it to the callbacks."""
        self.history.append(record)
        if self.writer is not None:
            self.writer.write(record)
            for callback in self.callbacks:
                callback(record)

    def step_done(self) -> None:
        self.bar.update(1)

    def train_record(self, record: dict[str, Any], lr: float) -> None:
        """Emit an interval's training record and show it; a non-finite loss stops the run."""
        self.emit(record)
        step = record["step"]
        if self.show_bar:
            self.bar.set_postfix(
                loss=f"{record['loss']:.4f}", lr=f"{lr:.2e}", tok_s=f"{record['tokens_per_s']:.0f}"
            )
        elif self.is_main:  # under torchrun, rank 0 tells the run's story
            logger.info("step %d/%d  loss %.4f  lr %.3e  %.0f tok/s", step, self.total_steps, record["loss"], lr,
                        record["tokens_per_s"])  # fmt: skip
        if not math.isfinite(record["loss"]):
            raise FloatingPointError(
                f"training loss is {record['loss']} at step {step}: lower --lr (or raise --warmup-steps), "
                "or use fp32 if --mixed-precision fp16 overflowed"
            )

    def close(self) -> None:
        self.bar.close()
        if self.writer is not None:
            self.writer.close()
