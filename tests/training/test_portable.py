"""Compact checkpoints: a third of the size, and a run resumed from one follows the uninterrupted run."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from albert import AlbertConfig, AlbertForMaskedLM
from albert.training import TrainArgs, train
from albert.training.portable import compact_checkpoint
from albert.training.state import STATE_NAME, load_training_state
from tests.conftest import tiny_kwargs
from tests.training.helpers import ShiftDataset, train_losses


def _model(seed: int) -> AlbertForMaskedLM:
    torch.manual_seed(seed)
    return AlbertForMaskedLM(AlbertConfig(**tiny_kwargs()))


def _args(**kw) -> TrainArgs:
    base = dict(batch_size=4, max_steps=8, save_every=4, optimizer="lamb", lr=1e-2, warmup_steps=2,
                log_every=1, progress_bar=False, plot=False)  # fmt: skip
    return TrainArgs(**{**base, **kw})


def test_compact_checkpoint_resumes_close_to_the_uninterrupted_run(tmp_path: Path) -> None:
    straight = train(_model(0), ShiftDataset(40), args=_args(output_dir=str(tmp_path / "a")))
    source = tmp_path / "a" / "checkpoints" / "step-00000004"
    # keep_last=3 keeps step 4; compact it, then continue from the compact copy in a fresh directory.
    sizes = compact_checkpoint(source, tmp_path / "pack")
    assert sizes["model.safetensors"] < 0.6 * (source / "model.safetensors").stat().st_size
    moments = load_training_state(tmp_path / "pack")["optimizer"]["state"]
    assert all(
        v.dtype == torch.bfloat16
        for s in moments.values()
        for v in s.values()
        if torch.is_tensor(v) and v.dim() > 0
    )
    resumed = train(
        _model(1), ShiftDataset(40), args=_args(output_dir=str(tmp_path / "b"), resume=str(tmp_path / "pack"))
    )
    expected, got = train_losses(straight.history), train_losses(resumed.history)
    assert sorted(got) == list(range(5, 9))
    for step in got:
        assert got[step] == pytest.approx(expected[step], rel=2e-2)


def test_compacting_something_else_names_it(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match=STATE_NAME):
        compact_checkpoint(tmp_path, tmp_path / "pack")
