"""Worker for `test_ddp.py`, run under `torchrun --nproc-per-node 2`: trains the stand-in model with DDP.

Usage: python -m torch.distributed.run --standalone --nproc-per-node 2 ddp_worker.py OUTPUT_DIR [signal-rank-0 | resume]
"""

from __future__ import annotations

import dataclasses
import os
import signal
import sys
from pathlib import Path

# Run as a script by torchrun: make `tests.training.helpers` importable from the repository root.
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from albert.training import TrainArgs, train  # noqa: E402
from albert.training.distributed import cleanup, exit_process, get_rank  # noqa: E402
from tests.training.helpers import ShiftDataset, make_model  # noqa: E402

DDP_KW = dict(
    batch_size=2, grad_accum_steps=2, max_steps=6, lr=1e-2, optimizer="lamb", warmup_steps=2, log_every=1,
    eval_every=3, metric_for_best="loss",
)  # fmt: skip


def eval_loss(model) -> dict[str, float]:
    """Loss on 8 fixed held-out rows (rank 0 evaluates; the loop broadcasts the result)."""
    return {"loss": float(model(**ShiftDataset(8, seed=9)[range(8)]).loss)}


def signal_rank_0_in_step_3():
    """A loss function that sends SIGTERM to rank 0 alone, during step 3 (its 5th micro-batch)."""
    calls = []

    def loss(model, batch):
        calls.append(1)
        if len(calls) == 5 and get_rank() == 0:
            os.kill(os.getpid(), signal.SIGTERM)
        return model(**batch).loss

    return loss


def main() -> None:
    args = TrainArgs(output_dir=sys.argv[1], progress_bar=False, plot=False, seed=3, **DDP_KW)
    if sys.argv[2:] == ["signal-rank-0"]:  # every rank stops after step 3, with one checkpoint
        result = train(make_model(0), ShiftDataset(24), args=args, loss_fn=signal_rank_0_in_step_3())
        assert result.step == 3 and result.stopped_early, result
    elif sys.argv[2:] == ["resume"]:  # continue that run to its end
        args = dataclasses.replace(args, resume="latest")
        result = train(make_model(0), ShiftDataset(24), args=args, eval_fn=eval_loss)
        assert result.step == 6 and not result.stopped_early, result
    else:
        result = train(make_model(0), ShiftDataset(24), args=args, eval_fn=eval_loss)
        assert result.step == 6 and result.best_step in (3, 6), (
            result
        )  # every rank: the metrics are broadcast
    cleanup()
    exit_process(0)  # as `albert` under torchrun ends: past the interpreter's teardown


if __name__ == "__main__":
    main()
