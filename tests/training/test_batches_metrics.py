"""Batch sources (sharding, resume by slicing, iterable datasets) and the metrics files (truncation on
resume, optional plotting)."""

from __future__ import annotations

import logging
import math
import sys
from pathlib import Path

import pytest
import torch
from torch.utils.data import IterableDataset

from albert.training import ShardedBatches, TrainArgs, train
from albert.training.batches import as_batch_source, source_length
from albert.training.metrics_log import MetricsWriter, plot_curves, read_metrics
from tests.training.helpers import ShiftDataset, make_model


def _ids(batches) -> list[list[int]]:
    return [b["input_ids"][:, 0].tolist() for b in batches]


def test_sharded_batches_split_the_single_process_batches() -> None:
    data = ShiftDataset(10)
    single = ShardedBatches(data, batch_size=4, seed=1)
    ranks = [ShardedBatches(data, batch_size=2, seed=1, rank=r, world_size=2) for r in range(2)]
    assert len(single) == 3 and [len(r) for r in ranks] == [3, 3]  # 10 rows -> 5 per rank
    order = single.indices(0)
    assert sorted(order) == list(range(10)) and order != single.indices(1)  # a new permutation per epoch
    for k, batch in enumerate(_ids(single(0, 0))[:2]):  # full batches: union of the ranks' batch k
        from_ranks = [x for r in ranks for x in _ids(r(0, 0))[k]]
        assert sorted(batch) == sorted(from_ranks)
    assert _ids(single(0, 2)) == _ids(single(0, 0))[2:]  # resume = slicing, no re-reading


def test_sharded_batches_pad_by_wrapping_and_drop_last() -> None:
    ranks = [
        ShardedBatches(ShiftDataset(5), batch_size=2, shuffle=False, rank=r, world_size=2) for r in range(2)
    ]
    assert [r.indices(0) for r in ranks] == [[0, 2, 4], [1, 3, 0]]
    assert len(ShardedBatches(ShiftDataset(5), batch_size=2, drop_last=True)) == 2


class _Stream(IterableDataset):
    def __init__(self) -> None:
        self.epoch = -1

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def __iter__(self):
        data = ShiftDataset(6, seed=self.epoch)
        return iter(data[i] for i in range(len(data)))


def test_iterable_dataset_is_batched_and_gets_its_epoch() -> None:
    stream = _Stream()
    source = as_batch_source(stream, batch_size=4)
    assert source_length(source) is None
    batches = list(source(3, 1))
    assert stream.epoch == 3 and len(batches) == 1 and batches[0]["input_ids"].shape == (2, 6)
    result = train(
        make_model(0), stream, args=TrainArgs(batch_size=4, max_steps=3, progress_bar=False, plot=False)
    )
    assert result.step == 3


def test_nan_loss_stops_training() -> None:
    with pytest.raises(FloatingPointError, match="step 1: lower --lr"):
        train(
            make_model(0),
            ShiftDataset(8),
            args=TrainArgs(max_steps=3, batch_size=4, log_every=1, progress_bar=False),
            loss_fn=lambda model, batch: model(**batch).loss * math.nan,
        )


def test_metrics_truncated_after_the_resumed_step(tmp_path: Path) -> None:
    path = tmp_path / "metrics.jsonl"
    writer = MetricsWriter(path)
    for step in (1, 2, 3):
        writer.write({"split": "train", "step": step, "loss": torch.tensor(0.5), "grad_norm": math.inf})
    writer.close()
    with path.open("a") as f:
        f.write('{"split": "train", "st')  # torn line of a crash
    MetricsWriter(path, truncate_after_step=2).close()
    assert read_metrics(path) == [
        {"split": "train", "step": 1, "loss": 0.5, "grad_norm": "inf"},
        {"split": "train", "step": 2, "loss": 0.5, "grad_norm": "inf"},
    ]


def test_plot_is_optional(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # import fails as if not installed
    with caplog.at_level(logging.INFO):
        assert plot_curves([{"split": "train", "step": 1, "loss": 1.0}], tmp_path / "curves.png") is None
    assert "matplotlib is not installed" in caplog.text
    assert not (tmp_path / "curves.png").exists()
