"""Two CPU processes under torchrun (gloo) produce the losses and weights of one process with the same
global batch: DDP gradient averaging, `no_sync` accumulation, per-rank data shards, rank-0 evaluation
broadcast to all ranks, and rank-0 saving."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from albert.training import TrainArgs, train
from albert.training.metrics_log import read_metrics
from albert.training.state import latest_checkpoint, load_model_weights
from tests.training.ddp_worker import DDP_KW, eval_loss
from tests.training.helpers import ShiftDataset, make_model

WORKER = Path(__file__).with_name("ddp_worker.py")
TIMING = ("tokens_per_s", "elapsed_s")


def _records(path: Path) -> list[dict]:
    return [{k: v for k, v in r.items() if k not in TIMING} for r in read_metrics(path)]


def assert_same_record(a: dict, b: dict) -> None:
    """Same keys; numbers within float tolerance, everything else (the split name) exactly equal."""
    assert a.keys() == b.keys(), (a, b)
    for key, value in b.items():
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            assert a[key] == pytest.approx(value, rel=1e-5, abs=1e-6), (key, a, b)
        else:
            assert a[key] == value, (key, a, b)


@pytest.mark.skipif(not torch.distributed.is_available(), reason="torch.distributed not available")
def test_two_processes_match_one_with_the_same_global_batch(tmp_path: Path) -> None:
    env = {**os.environ, "OMP_NUM_THREADS": "1", "CUDA_VISIBLE_DEVICES": ""}
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc-per-node", "2"]
    proc = subprocess.run(
        [*cmd, str(WORKER), str(tmp_path / "ddp")], env=env, capture_output=True, text=True, timeout=180
    )
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-8000:]

    single_kw = {**DDP_KW, "batch_size": DDP_KW["batch_size"] * 2}  # the same global batch in one process
    single = make_model(0)
    args = TrainArgs(output_dir=str(tmp_path / "one"), progress_bar=False, plot=False, seed=3, **single_kw)
    train(single, ShiftDataset(24), args=args, eval_fn=eval_loss)

    ddp, one = _records(tmp_path / "ddp" / "metrics.jsonl"), _records(tmp_path / "one" / "metrics.jsonl")
    assert [(r["split"], r["step"]) for r in ddp] == [(r["split"], r["step"]) for r in one]
    assert [r["step"] for r in ddp if r["split"] == "train"] == list(range(1, 7))
    for a, b in zip(ddp, one):  # train loss, lr, grad norm, token counts; eval loss
        assert_same_record(a, b)
    trained = make_model(1)
    load_model_weights(trained, latest_checkpoint(tmp_path / "ddp" / "checkpoints"))
    for p, q in zip(single.parameters(), trained.parameters()):
        torch.testing.assert_close(p, q, rtol=1e-5, atol=1e-6)


@pytest.mark.skipif(not torch.distributed.is_available(), reason="torch.distributed not available")
def _torchrun_worker(output_dir: Path, *mode: str) -> None:
    env = {**os.environ, "OMP_NUM_THREADS": "1", "CUDA_VISIBLE_DEVICES": ""}
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc-per-node", "2"]
    proc = subprocess.run([*cmd, str(WORKER), str(output_dir), *mode], env=env, capture_output=True, text=True,
                          timeout=180)  # fmt: skip
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-8000:]


@pytest.mark.skipif(not torch.distributed.is_available(), reason="torch.distributed not available")
def test_a_signal_that_reaches_one_rank_stops_every_rank_at_the_same_step(tmp_path: Path) -> None:
    """SIGTERM reaches rank 0 alone during step 3: both ranks stop after step 3 with one checkpoint (had
    only rank 0 stopped, its checkpoint's collectives would have waited for rank 1 forever); `--resume
    latest` then ends where an uninterrupted two-process run ends."""
    _torchrun_worker(tmp_path / "ddp", "signal-rank-0")
    assert latest_checkpoint(tmp_path / "ddp" / "checkpoints").name == "step-00000003"
    assert [r["step"] for r in _records(tmp_path / "ddp" / "metrics.jsonl")][-1] == 3

    _torchrun_worker(tmp_path / "ddp", "resume")
    _torchrun_worker(tmp_path / "uninterrupted")
    resumed, whole = make_model(1), make_model(2)
    load_model_weights(resumed, latest_checkpoint(tmp_path / "ddp" / "checkpoints"))
    load_model_weights(whole, latest_checkpoint(tmp_path / "uninterrupted" / "checkpoints"))
    for p, q in zip(resumed.parameters(), whole.parameters()):
        torch.testing.assert_close(p, q, rtol=0, atol=0)
    assert (
        _records(tmp_path / "ddp" / "metrics.jsonl")[-2:]
        == _records(tmp_path / "uninterrupted" / "metrics.jsonl")[-2:]
    )


@pytest.mark.skipif(not torch.distributed.is_available(), reason="torch.distributed not available")
def test_torchrun_pretrain_reports_once(tmp_path: Path) -> None:
    """`torchrun -m albert pretrain`: both ranks train, rank 0 alone logs the run and prints the report
    (asked before the process group is left, after which every process would call itself rank 0)."""
    from tests.training.test_pretrain import write_corpus

    write_corpus(tmp_path / "train.txt", docs=30, seed=0)
    env = {**os.environ, "OMP_NUM_THREADS": "1", "CUDA_VISIBLE_DEVICES": "", "PYTHONPATH": "src"}
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc-per-node", "2", "-m",
           "albert", "-v", "pretrain", "--corpus", str(tmp_path / "train.txt"), "--vocab-size", "50",
           "--max-seq-length", "32", "--max-predictions-per-seq", "5", "--model-config", "embedding_size=16",
           "hidden_size=32", "num_attention_heads=2", "intermediate_size=64", "num_hidden_layers=2",
           "--output-dir", str(tmp_path / "out"), "--max-steps", "4", "--batch-size", "4", "--log-every", "2",
           "--no-progress-bar", "--no-plot"]  # fmt: skip
    repo = Path(__file__).resolve().parents[2]
    proc = subprocess.run(cmd, env=env, cwd=repo, capture_output=True, text=True, timeout=240)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-8000:]
    assert proc.stderr.count("albert: INFO: done: 4 steps") == 1, proc.stderr[-4000:]
    assert "albert[rank 1]: INFO" not in proc.stderr  # rank 1 speaks only for warnings and errors
    assert proc.stdout.count(str(tmp_path / "out" / "model")) == 1, proc.stdout


def test_the_rank_torchrun_gives_counts_before_the_group_is_joined(tmp_path: Path, monkeypatch) -> None:
    """Work done before the process group exists (checking and clearing the output directory) is rank 0's
    alone: `--start-over` on rank 1 deletes nothing (both ranks deleting at once raced). RANK alone, without
    a WORLD_SIZE above 1, is not torchrun's and means nothing."""
    from albert.training.distributed import get_rank, is_main_process
    from albert.training.output_dir import check_finetune_output

    monkeypatch.setenv("RANK", "1")
    monkeypatch.delenv("WORLD_SIZE", raising=False)
    assert get_rank() == 0 and is_main_process()
    monkeypatch.setenv("WORLD_SIZE", "2")
    assert get_rank() == 1 and not is_main_process()
    (tmp_path / "checkpoints" / "step-00000002").mkdir(parents=True)
    (tmp_path / "eval_results.json").write_text("{}")
    check_finetune_output(tmp_path, resume=None, start_over=True)
    assert (tmp_path / "eval_results.json").is_file() and (
        tmp_path / "checkpoints" / "step-00000002"
    ).is_dir()
    monkeypatch.setenv("RANK", "0")
    check_finetune_output(tmp_path, resume=None, start_over=True)
    assert not (tmp_path / "eval_results.json").exists() and not (tmp_path / "checkpoints").exists()


def test_exit_process_flushes_what_was_said_and_keeps_the_status(tmp_path: Path) -> None:
    script = (
        "import logging, sys\n"
        "from albert.training.distributed import exit_process\n"
        "logging.basicConfig(stream=sys.stderr)\n"
        "print('{\"done\": true}')\n"  # block-buffered: a pipe, not a terminal
        "logging.getLogger('x').warning('a warning')\n"
        "exit_process(3)\n"
        "print('never')\n"
    )
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert (proc.returncode, proc.stdout) == (3, '{"done": true}\n') and "a warning" in proc.stderr


def test_the_cli_ends_a_torchrun_worker_through_exit_process(monkeypatch, capsys) -> None:
    from albert import cli
    from albert.training import distributed

    ended = []
    monkeypatch.setattr(cli, "run_command", lambda args: 0)
    monkeypatch.setattr(distributed, "exit_process", ended.append)
    assert cli.main(["info", "albert-base-v2"]) == 0 and ended == []  # no group was left: a normal return
    monkeypatch.setattr(distributed, "_left_a_group", True)
    cli.main(["info", "albert-base-v2"])
    assert ended == [0]
