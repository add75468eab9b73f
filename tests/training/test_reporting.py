"""RunReport: what rank 0 writes (train_args.json, metrics.jsonl, callbacks), what other ranks keep (the
history only), and the non-finite loss that stops a run."""

from __future__ import annotations

import json
import math

import pytest

from albert.training.reporting import RunReport
from albert.training.state import LoopState
from albert.training.train_args import TrainArgs


def _record(step: int, loss: float) -> dict:
    return {"split": "train", "step": step, "epoch": 0, "loss": loss, "tokens_per_s": 10.0}


def _report(tmp_path, *, is_main=True, step=0, resumed=False, seen=None):
    args = TrainArgs(output_dir=str(tmp_path), max_steps=10, progress_bar=False)
    return RunReport(args, tmp_path, is_main=is_main, st=LoopState(step=step), resumed=resumed,
                     total_steps=10, callbacks=[seen.append] if seen is not None else [])  # fmt: skip


def test_rank_0_writes_args_records_and_calls_back(tmp_path):
    seen: list = []
    report = _report(tmp_path, seen=seen)
    report.train_record(_record(1, 2.5), lr=1e-3)
    report.emit({"split": "eval", "step": 1, "epoch": 0, "accuracy": 0.5})
    report.close()
    assert json.loads((tmp_path / "train_args.json").read_text())["output_dir"] == str(tmp_path)
    lines = [json.loads(x) for x in (tmp_path / "metrics.jsonl").read_text().splitlines()]
    assert [r["split"] for r in lines] == ["train", "eval"] and seen == lines == report.history


def test_other_ranks_write_nothing(tmp_path):
    seen: list = []
    report = _report(tmp_path / "out", is_main=False, seen=seen)
    report.train_record(_record(1, 2.5), lr=1e-3)
    report.close()
    assert not (tmp_path / "out").exists() and seen == [] and len(report.history) == 1


def test_a_resumed_run_drops_the_records_after_its_checkpoint(tmp_path):
    report = _report(tmp_path)
    for step in (1, 2, 3):
        report.train_record(_record(step, 2.0), lr=1e-3)
    report.close()
    report = _report(tmp_path, step=2, resumed=True)
    report.train_record(_record(3, 1.0), lr=1e-3)
    report.close()
    lines = [json.loads(x) for x in (tmp_path / "metrics.jsonl").read_text().splitlines()]
    assert [(r["step"], r["loss"]) for r in lines] == [(1, 2.0), (2, 2.0), (3, 1.0)]


@pytest.mark.parametrize("loss", [math.nan, math.inf])
def test_a_non_finite_loss_stops_the_run_with_the_fix(tmp_path, loss):
    report = _report(tmp_path)
    with pytest.raises(FloatingPointError, match="at step 4: lower --lr"):
        report.train_record(_record(4, loss), lr=1e-3)
    report.close()
    assert len((tmp_path / "metrics.jsonl").read_text().splitlines()) == 1  # recorded before stopping
