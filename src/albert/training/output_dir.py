"""A run's output directory: what an earlier run left there, and replacing it only when asked.

A training command never writes over the model, results or checkpoints of an earlier run in its output
directory unless told to: `--resume` continues that run, `--start-over` deletes it first (only what runs
write there, named in the warning). Pretraining adds its data fingerprint on top (`fingerprint.py`).
"""

from __future__ import annotations

import logging
import shutil
from collections.abc import Iterable
from pathlib import Path

from albert.training.distributed import is_main_process

logger = logging.getLogger(__name__)

# What a fine-tuning run leaves in its directory once it has trained. (Not finetune_config.json: under
# torchrun rank 0 writes it before training, possibly before the other ranks have looked.)
FINETUNE_OUTPUTS = ("eval_results.json", "model.safetensors", "checkpoints")


def earlier_outputs(out: Path, names: Iterable[str]) -> list[str]:
    """Those of `names` that exist in `out`."""
    return [name for name in names if (out / name).exists()]


def delete_outputs(out: Path, names: list[str]) -> None:
    """Delete `names` in `out` (files or directories), saying so: what `--start-over` does."""
    if names:
        logger.warning("--start-over: deleting %s in %s", ", ".join(names), out)
    for name in names:
        path = out / name
        shutil.rmtree(path) if path.is_dir() else path.unlink()


def check_finetune_output(out: Path, *, resume: str | None, start_over: bool) -> None:
    """Refuse (ValueError) to fine-tune into `out` over an earlier run unless resuming it or `start_over`
    (then rank 0 deletes that run's results, model and checkpoints before anything is trained)."""
    if resume is not None:
        return
    earlier = earlier_outputs(out, FINETUNE_OUTPUTS)
    if earlier and not start_over:
        raise ValueError(
            f"--output {out} holds an earlier run ({', '.join(earlier)}) that this one would replace: pass "
            "--resume latest to continue it, --start-over to replace it, or choose another --output"
        )
    if earlier and is_main_process():
        delete_outputs(out, earlier)
