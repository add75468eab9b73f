"""Checkpoints of a training run: the model in the HF layout plus `training_state.pt`, written atomically.

Layout under `<output_dir>/checkpoints/`:

    step-00000100/         config.json + model.safetensors (model.save_pretrained) + training_state.pt
    step-00000200/
    latest                 text file naming the newest complete checkpoint ("step-00000200")
    best                   text file naming the best checkpoint (when a metric is tracked)

A checkpoint is written into `step-XXXXXXXX.tmp-<random>` and renamed into place only when complete; the
pointer files are replaced with `os.replace` after an fsync. A crash at any moment therefore leaves the
previous checkpoint and pointers intact (plus a stale `.tmp-` directory, removed by the next save).
A checkpoint directory loads with `from_pretrained` (it ignores `training_state.pt`).

`training_state.pt` holds only tensors and plain Python values (the numpy RNG state is converted), so it
loads with `torch.load(weights_only=True)`.
"""

from __future__ import annotations

import logging
import os
import random
import re
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from albert.atomic_files import atomic_write_text, umask_mode
from albert.atomic_files import fsync_dir as _fsync_dir

logger = logging.getLogger(__name__)

STATE_NAME = "training_state.pt"
WEIGHTS_NAME = "model.pt"  # only for models without save_pretrained (test stand-ins)


@dataclass
class LoopState:
    """Counters saved in every checkpoint; `batch_in_epoch` is this process's data position."""

    step: int = 0
    epoch: int = 0
    batch_in_epoch: int = 0
    tokens: int = 0
    elapsed_s: float = 0.0
    best_value: float | None = None
    best_step: int | None = None
    bad_evals: int = 0
    eval_pending: bool = False
    """Saved before this step's evaluation (or instead of it, on a stop request): a resume evaluates first."""


_STEP_DIR = re.compile(r"^step-(\d+)$")
FORMAT_VERSION = 1


# ----------------------------------------------------------------------------------------------- RNG


def capture_rng_state() -> dict[str, Any]:
    """Python, numpy, torch CPU and all CUDA generator states, as weights-only-loadable values."""
    np_state = np.random.get_state(legacy=False)
    state: dict[str, Any] = {
        "python": random.getstate(),
        "numpy": {
            "bit_generator": np_state["bit_generator"],
            "key": torch.from_numpy(np_state["state"]["key"].astype(np.int64)),
            "pos": int(np_state["state"]["pos"]),
            "has_gauss": int(np_state["has_gauss"]),
            "gauss": float(np_state["gauss"]),
        },
        "torch": torch.get_rng_state(),
    }
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def restore_rng_state(state: dict[str, Any]) -> None:
    """Inverse of `capture_rng_state`."""
    version, internal, gauss = state["python"]
    random.setstate((version, tuple(internal), gauss))
    np_state = state["numpy"]
    np.random.set_state(
        {
            "bit_generator": np_state["bit_generator"],
            "state": {"key": np_state["key"].numpy().astype(np.uint32), "pos": np_state["pos"]},
            "has_gauss": np_state["has_gauss"],
            "gauss": np_state["gauss"],
        }
    )
    torch.set_rng_state(state["torch"])
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


# ------------------------------------------------------------------------------------------- writing


def save_model(model: nn.Module, directory: Path) -> None:
    """`model.save_pretrained(directory)` when the model has it, else its state dict as `model.pt`."""
    if hasattr(model, "save_pretrained"):
        model.save_pretrained(directory)
    else:
        torch.save(model.state_dict(), directory / WEIGHTS_NAME)


def load_model_weights(model: nn.Module, directory: Path) -> None:
    """Load the weights saved by `save_model` into the existing `model` (strictly)."""
    if (directory / WEIGHTS_NAME).exists():
        state = torch.load(directory / WEIGHTS_NAME, map_location="cpu", weights_only=True)
    elif hasattr(type(model), "from_pretrained"):
        # Reading the HF-named file needs the model's own name mapping; from_pretrained knows it.
        state = type(model).from_pretrained(directory).state_dict()
    else:
        raise FileNotFoundError(
            f"{directory}: no {WEIGHTS_NAME} and {type(model).__name__} has no from_pretrained"
        )
    check_same_model(model, state, directory)
    model.load_state_dict(state, strict=True)


def check_same_model(model: nn.Module, state: dict[str, torch.Tensor], directory: Path) -> None:
    """A resumed run must build the model its checkpoint holds: name what differs (shapes, missing or
    extra weights) and the fix, instead of torch's list of every size mismatch."""
    own = model.state_dict()
    changed = [f"{k} {tuple(state[k].shape)} there, {tuple(v.shape)} here"
               for k, v in own.items() if k in state and state[k].shape != v.shape]  # fmt: skip
    missing, extra = sorted(own.keys() - state.keys()), sorted(state.keys() - own.keys())
    if not (changed or missing or extra):
        return
    shown = changed[:3] + [f"{k} only here" for k in missing[:2]] + [f"{k} only there" for k in extra[:2]]
    total = len(changed) + len(missing) + len(extra)
    more = f", ... ({total - len(shown)} more)" if total > len(shown) else ""
    raise ValueError(
        f"the checkpoint {directory} holds another model than this run builds ({'; '.join(shown)}{more}): "
        f"resume with the model options the run was started with (its config: {directory / 'config.json'}), "
        "or start a new run (--start-over, or another output directory)"
    )


def _step_dirs(root: Path) -> list[tuple[int, Path]]:
    found = []
    if root.is_dir():
        for p in root.iterdir():
            m = _STEP_DIR.match(p.name)
            if m and p.is_dir():
                found.append((int(m.group(1)), p))
    return sorted(found)


def save_checkpoint(
    root: Path,
    step: int,
    model: nn.Module,
    state: dict[str, Any],
    *,
    keep_last: int,
    best: Path | None = None,
) -> Path:
    """Write checkpoint `root/step-<step>` atomically, point `latest` at it, prune to `keep_last` (+ best).

    Returns the checkpoint directory. Re-saving an existing step replaces it (old copy removed last).
    """
    root.mkdir(parents=True, exist_ok=True)
    for stale in root.glob("step-*.tmp-*"):  # left by a crash during an earlier save
        shutil.rmtree(stale, ignore_errors=True)
    final = root / f"step-{step:08d}"
    tmp = Path(tempfile.mkdtemp(prefix=f"{final.name}.tmp-", dir=root))
    tmp.chmod(umask_mode(directory=True))  # mkdtemp's 0o700 would outlive the rename
    save_model(model, tmp)
    torch.save({"format_version": FORMAT_VERSION, **state}, tmp / STATE_NAME)
    for f in tmp.iterdir():  # data on disk before the rename makes it visible
        if f.is_file():
            with open(f, "rb") as fh:
                os.fsync(fh.fileno())
    _fsync_dir(tmp)
    if final.exists():  # a directory cannot be renamed onto a non-empty one: move the old one aside first
        old = final.with_name(f"{final.name}.tmp-old")
        shutil.rmtree(old, ignore_errors=True)
        os.replace(final, old)
        os.replace(tmp, final)
        shutil.rmtree(old, ignore_errors=True)
    else:
        os.replace(tmp, final)
    _fsync_dir(root)
    atomic_write_text(root / "latest", final.name + "\n")
    keep = {final, *([best] if best is not None else [])}
    for _, path in _step_dirs(root)[: -keep_last or None]:
        if path not in keep:
            shutil.rmtree(path, ignore_errors=True)
    logger.info("saved checkpoint %s", final)
    return final


def read_pointer(root: Path, name: str) -> Path | None:
    """The checkpoint a pointer file (`latest`, `best`) names, or None if absent or dangling."""
    pointer = root / name
    if not pointer.is_file():
        return None
    target = root / pointer.read_text(encoding="utf-8").strip()
    return target if (target / STATE_NAME).is_file() else None


def latest_checkpoint(root: Path) -> Path | None:
    """The newest complete checkpoint under `root` (the `latest` pointer, else the highest step dir)."""
    found = read_pointer(root, "latest")
    if found is not None:
        return found
    complete = [p for _, p in _step_dirs(root) if (p / STATE_NAME).is_file()]
    return complete[-1] if complete else None


def load_training_state(checkpoint: Path) -> dict[str, Any]:
    """`training_state.pt` of a checkpoint, loaded weights-only onto the CPU."""
    path = Path(checkpoint) / STATE_NAME
    if not path.is_file():
        raise FileNotFoundError(f"{path}: not a training checkpoint (no {STATE_NAME})")
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as e:  # EOFError (empty), RuntimeError (truncated zip), UnpicklingError, ...
        raise ValueError(
            f"{path} cannot be read ({type(e).__name__}: {str(e)[:120] or 'empty file'}): it is truncated or "
            f"corrupt{_earlier_checkpoint_hint(Path(checkpoint))}"
        ) from None
    version = state.get("format_version") if isinstance(state, dict) else type(state).__name__
    if version != FORMAT_VERSION:
        raise ValueError(f"{path}: unsupported training state format {version!r}")
    return state


def _earlier_checkpoint_hint(checkpoint: Path) -> str:
    """A hint naming the run's checkpoint before `checkpoint` (to resume from), or "" if it has none."""
    earlier = sorted(
        (
            p
            for p in checkpoint.parent.glob("step-*")
            if p.name < checkpoint.name and (p / STATE_NAME).is_file()
        ),
        key=lambda p: p.name,
    )
    return f"; resume from the one before it instead: --resume {earlier[-1]}" if earlier else ""


def resolve_resume(resume: str | None, output_dir: str | None) -> Path | None:
    """The checkpoint `--resume` refers to (see `TrainArgs.resume`), or None to start fresh."""
    if resume is None:
        return None
    if resume in ("latest", "auto"):
        root = Path(output_dir or ".") / "checkpoints"
        found = latest_checkpoint(root)
        if found is None and resume == "latest":
            raise FileNotFoundError(f"--resume latest: no checkpoint under {root}")
        return found
    path = Path(resume)
    if not (path / STATE_NAME).is_file():
        raise FileNotFoundError(f"--resume {resume}: not a training checkpoint (no {STATE_NAME} in it)")
    return path
