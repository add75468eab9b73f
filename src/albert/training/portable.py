"""A training checkpoint made small enough to travel with the repository, and resumable on any machine.

`compact_checkpoint` rewrites a checkpoint (see `albert.training.state`) with the model weights in fp16 and
the optimizer's floating-point state (Adam/LAMB moments) in bf16: about a third of the fp32 size. It stays
an ordinary checkpoint directory, so `albert pretrain --resume <dir>` (or `train(args.resume=<dir>)`)
continues from it: the weights load back as fp32 and `Optimizer.load_state_dict` casts the moments back to
the parameters' dtype. Counters, the data position and the RNG streams are kept exactly, so the resumed run
differs from an uninterrupted one only by that rounding. bf16, not fp16, for the moments: the second moment
is a squared gradient and underflows fp16.
"""

from __future__ import annotations

import json
import logging
import shutil
from pathlib import Path
from typing import Any

import torch
from safetensors.torch import load_file, save_file

from albert.training.state import STATE_NAME, load_training_state

logger = logging.getLogger(__name__)

WEIGHTS_FILE = "model.safetensors"


def _to_dtype(value: Any, dtype: torch.dtype) -> Any:
    """Floating-point tensors with at least one dimension cast to `dtype`; everything else unchanged."""
    if isinstance(value, torch.Tensor):
        return value.to(dtype) if value.is_floating_point() and value.dim() > 0 else value
    if isinstance(value, dict):
        return {k: _to_dtype(v, dtype) for k, v in value.items()}
    return value


def compact_checkpoint(source: str | Path, destination: str | Path) -> dict[str, int]:
    """Write a compact copy of checkpoint `source` (fp16 weights, bf16 optimizer state) to `destination`.

    Returns:
        {file name: bytes} of what was written.
    """
    source, destination = Path(source), Path(destination)
    state = load_training_state(source)  # raises a clear error when `source` is not a checkpoint
    if not (source / WEIGHTS_FILE).is_file():
        raise FileNotFoundError(f"{source}: no {WEIGHTS_FILE} (only HF-layout checkpoints can be compacted)")
    tmp = destination.with_name(destination.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    for name in ("config.json",):
        if (source / name).is_file():
            shutil.copy2(source / name, tmp / name)
    weights = load_file(source / WEIGHTS_FILE)
    save_file({k: _to_dtype(v, torch.float16) for k, v in weights.items()}, tmp / WEIGHTS_FILE)
    optimizer = state["optimizer"]
    state["optimizer"] = {
        **optimizer,
        "state": {k: _to_dtype(v, torch.bfloat16) for k, v in optimizer["state"].items()},
    }
    state["compacted_from"] = str(source)
    torch.save(state, tmp / STATE_NAME)
    shutil.rmtree(destination, ignore_errors=True)
    tmp.replace(destination)
    sizes = {p.name: p.stat().st_size for p in sorted(destination.iterdir())}
    logger.info("compact checkpoint %s: %s", destination, json.dumps(sizes))
    return sizes
