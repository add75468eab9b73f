"""A run's output directory: what an earlier run left there, and replacing it only when asked.

A training command never writes over the model, results or checkpoints of an earlier run in its output
directory unless told to: `--resume` continues that run, `--start-over` deletes it first (only what runs
write there, named in the warning). Pretraining adds its data fingerprint on top (`fingerprint.py`).
"""

from __future__ import annotations

import json
import logging
import shutil
from collections.abc import Iterable
from pathlib import Path

from albert.tasks.evaluation import FINETUNE_CONFIG
from albert.training.distributed import is_main_process
from albert.training.state import latest_checkpoint

logger = logging.getLogger(__name__)

RESULTS_NAME = "eval_results.json"  # a fine-tuning run's summary
# What a fine-tuning run leaves in its directory once it has trained. (Not finetune_config.json: under
# torchrun rank 0 writes it before training, possibly before the other ranks have looked.)
# Weights that another tool saved count too: a fine-tune would write its config.json over theirs.
FINETUNE_OUTPUTS = (RESULTS_NAME, "model.safetensors", "checkpoints", "model.safetensors.index.json",
                    "pytorch_model.bin", "pytorch_model.bin.index.json", "tf_model.h5", "flax_model.msgpack")  # fmt: skip


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


def check_is_a_directory(out: Path, flag: str) -> None:
    """An output path that exists must be a directory: found now, not when the first file is written."""
    if out.exists() and not out.is_dir():
        raise NotADirectoryError(f"{flag} {out} is a file; give a directory (new, or an earlier run's)")
    if any(parent.exists() and not parent.is_dir() for parent in out.parents):
        raise NotADirectoryError(f"{flag} {out} lies under a file; give a directory")


def check_inputs_outside(out: Path, names: Iterable[str], inputs: dict[str, object]) -> None:
    """Refuse (ValueError) when one of a run's inputs (`{"--model": path, ...}`) is, holds or lies inside one
    of `names` in `out`: replacing those would delete what the run starts from."""
    for flag, value in inputs.items():
        if not isinstance(value, (str, Path)) or not Path(value).exists():
            continue  # a hub id, a loaded object or nothing
        given = Path(value).resolve()
        for name in names:
            target = (out / name).resolve()
            if given == target or target in given.parents or given in target.parents:
                raise ValueError(
                    f"{flag} {value} is what this run starts from, and {out / name} (an earlier run's output "
                    "that this run would replace) is part of it: copy it elsewhere first, or choose another "
                    "--output"
                )


def _continues_a_run_in(out: Path, resume: str | None) -> bool:
    """Whether `resume` continues the run in `out`: `latest`, `auto` that finds a checkpoint there, or a
    checkpoint of `out/checkpoints` (`auto` with none starts afresh; another run's checkpoint starts from
    that run)."""
    root = out / "checkpoints"
    if resume == "latest":
        return True  # (without a checkpoint, resolve_resume says so)
    if resume == "auto":
        return latest_checkpoint(root) is not None
    return resume is not None and Path(resume).resolve().parent == root.resolve()


def check_finetune_output(
    out: Path, *, resume: str | None, start_over: bool, inputs: dict[str, object] | None = None
) -> None:
    """Refuse (ValueError) to fine-tune into `out` over an earlier run unless resuming it or `start_over`
    (then rank 0 deletes that run's results, model and checkpoints before anything is trained). An earlier
    run that this run starts from (`inputs`, e.g. `{"--model": path}`) is never deleted."""
    check_is_a_directory(out, "--output")
    if _continues_a_run_in(out, resume):
        return
    earlier = earlier_outputs(out, FINETUNE_OUTPUTS)
    check_inputs_outside(out, earlier, inputs or {})
    if earlier and not start_over:
        raise ValueError(
            f"--output {out} holds an earlier run ({', '.join(earlier)}) that this one would replace: pass "
            "--resume latest to continue it, --start-over to replace it, or choose another --output"
        )
    if earlier and is_main_process():
        delete_outputs(out, earlier)


# What a resumed fine-tune must share with the run it continues. Not the files' paths: a run may continue
# on another machine, where they differ; the examples' count and labels stand for the data.
RESUMED_KEYS = ("task", "labels", "train_examples", "data")


def check_resumed_finetune(out: Path, config: dict) -> None:
    """Refuse (ValueError) to continue the run in `out` with another task, labels, training examples or
    data options than it was trained with (`finetune_config.json`): its head and its place in the data
    would not fit them."""
    saved_path = out / FINETUNE_CONFIG
    if not saved_path.is_file():
        return
    saved = json.loads(saved_path.read_text(encoding="utf-8"))
    now = json.loads(json.dumps(config))  # as it would be saved (tuples become lists)
    changed = [change for key in RESUMED_KEYS for change in _changes(key, saved.get(key), now.get(key))]
    if changed:
        raise ValueError(
            f"--resume: the run in {out} was trained with other settings ({'; '.join(changed)}); continue it "
            "with the same task, data and options, or pass --start-over to replace it, or choose another --output"
        )


def _changes(key: str, before: object, after: object) -> list[str]:
    """`key before -> after`; for two dicts, one such entry per differing entry (`data.max_length`)."""
    if isinstance(before, dict) and isinstance(after, dict):
        keys = sorted(before.keys() | after.keys())
        return [change for k in keys for change in _changes(f"{key}.{k}", before.get(k), after.get(k))]
    return [] if before == after else [f"{key} {_short(before)} -> {_short(after)}"]


def _short(value: object, limit: int = 80) -> str:
    text = json.dumps(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."
