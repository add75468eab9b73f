"""`torchrun --nproc-per-node 2 -m albert finetune ...` on CPU (gloo): the two processes train what one
process trains with the same global batch, and rank 0 alone saves, scores and reports the model."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from albert.model import AlbertForSequenceClassification
from albert.training.finetune import finetune
from tests.tasks.conftest import write
from tests.tasks.finetune_data import SENTENCES

STEPS = 6


def _cli_flags(batch_size: int) -> list[str]:
    return ["--max-steps", str(STEPS), "--batch-size", str(batch_size), "--lr", "3e-3", "--warmup-ratio", "0",
            "--eval-every", "3", "--log-every", "1", "--seed", "0", "--classifier-dropout", "0",
            "--no-progress-bar", "--no-plot"]  # fmt: skip


@pytest.mark.skipif(not torch.distributed.is_available(), reason="torch.distributed not available")
def test_two_processes_fine_tune_like_one_and_rank_0_alone_saves(tmp_path: Path, base_model_dir) -> None:
    rows = "".join(f"{a}\t{b}\t{y}\n" for a, b, y in SENTENCES * 2)
    data = write(tmp_path, "train.tsv", "sentence1\tsentence2\tlabel\n" + rows)
    out = tmp_path / "ddp"
    env = {**os.environ, "OMP_NUM_THREADS": "1", "CUDA_VISIBLE_DEVICES": "", "PYTHONPATH": "src"}
    launcher = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc-per-node", "2", "-m"]
    cmd = [*launcher, "albert", "-v", "finetune", "text-classification", "--train", str(data), "--eval",
           str(data), "--model", str(base_model_dir), "--output", str(out), *_cli_flags(4)]  # fmt: skip
    repo = Path(__file__).resolve().parents[2]
    proc = subprocess.run(cmd, env=env, cwd=repo, capture_output=True, text=True, timeout=240)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-8000:]

    # one report, one save: the other rank neither prints the summary nor writes or scores the model
    summaries = [line for line in proc.stdout.splitlines() if line.startswith("{")]
    assert len(summaries) == 1, proc.stdout
    assert proc.stderr.count("saved the fine-tuned model to") == 1, proc.stderr[-4000:]
    assert proc.stderr.count("training examples") == 1, proc.stderr[-4000:]
    reported = json.loads(summaries[0])
    assert (
        reported["steps"] == STEPS
        and reported["metrics"] == json.loads((out / "eval_results.json").read_text())["metrics"]
    )

    # the same run in one process with the same global batch (2 x 4)
    train_args = dict(max_steps=STEPS, batch_size=8, lr=3e-3, warmup_ratio=0.0, eval_every=3, log_every=1,
                      seed=0, progress_bar=False, plot=False)  # fmt: skip
    one = finetune("text-classification", data, data, output_dir=tmp_path / "one", model=base_model_dir,
                   train_args=train_args, classifier_dropout=0.0)  # fmt: skip
    assert reported["best_step"] == one.best_step
    assert reported["metrics"] == pytest.approx(one.metrics, rel=1e-5, abs=1e-6)
    a = AlbertForSequenceClassification.from_pretrained(out).state_dict()
    b = AlbertForSequenceClassification.from_pretrained(tmp_path / "one").state_dict()
    for name in b:
        torch.testing.assert_close(a[name], b[name], rtol=1e-5, atol=1e-5, msg=name)  # reduction order
