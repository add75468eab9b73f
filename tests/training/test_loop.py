"""The training loop on a tiny stand-in model: it learns, accumulates exactly, resumes exactly, and keeps
the best checkpoint."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from albert.training import TrainArgs, train
from albert.training.metrics_log import read_metrics
from albert.training.state import latest_checkpoint, load_model_weights
from tests.training.helpers import ShiftDataset, make_model, train_losses


def _args(**kw) -> TrainArgs:
    base = dict(batch_size=8, max_steps=4, lr=1e-2, log_every=1, progress_bar=False, plot=False, seed=3)
    base.update(kw)
    return TrainArgs(**base)


def test_overfits_a_tiny_problem() -> None:
    result = train(make_model(0), ShiftDataset(16), args=_args(max_steps=120, lr=3e-2, warmup_steps=5))
    losses = train_losses(result.history)
    assert losses[120] < 0.1 * losses[1], (losses[1], losses[120])
    assert result.step == 120 and result.epoch == 60 and result.tokens == 120 * 8 * 6


def test_lamb_overfits_with_the_original_schedule() -> None:
    result = train(
        make_model(0), ShiftDataset(16), args=_args(max_steps=120, optimizer="lamb", lr=2e-2, warmup_steps=10)
    )
    losses = train_losses(result.history)
    assert losses[120] < 0.1 * losses[1], (losses[1], losses[120])


def test_gradient_accumulation_equals_the_big_batch() -> None:
    big, small = make_model(0), make_model(0)
    a = train(big, ShiftDataset(32), args=_args(batch_size=8, max_steps=6))
    b = train(small, ShiftDataset(32), args=_args(batch_size=4, grad_accum_steps=2, max_steps=6))
    for step, loss in train_losses(a.history).items():
        assert train_losses(b.history)[step] == pytest.approx(loss, rel=1e-5)
    for p, q in zip(big.parameters(), small.parameters()):
        torch.testing.assert_close(p, q, rtol=1e-5, atol=1e-6)


def test_partial_last_window_and_epochs() -> None:
    # 5 micro-batches per epoch with accumulation 2: steps of 2, 2, 1 micro-batches -> 3 steps per epoch.
    result = train(
        make_model(0),
        ShiftDataset(20),
        args=_args(batch_size=4, grad_accum_steps=2, epochs=2, max_steps=None),
    )
    assert (result.step, result.epoch) == (6, 2)
    # --max-steps overrides --epochs (as in transformers): 7 steps = two epochs and one step.
    result = train(
        make_model(0), ShiftDataset(20), args=_args(batch_size=4, grad_accum_steps=2, epochs=1, max_steps=7)
    )
    assert (result.step, result.epoch) == (7, 2)


def _eval_consuming_rng(model: torch.nn.Module) -> dict[str, float]:
    torch.rand(5)  # an evaluation that draws random numbers must not shift training's RNG
    data = ShiftDataset(8, seed=9)[range(8)]
    return {"loss": float(model(**data).loss)}


@pytest.mark.parametrize("optimizer", ["lamb", "adamw"])
def test_resume_is_exact(tmp_path: Path, optimizer: str) -> None:
    # 40 rows / batch 4 = 10 micro-batches, accumulation 2 -> 5 steps per epoch; 12 steps cross two epochs,
    # checkpoints every 4 steps land mid-epoch. Dropout makes the RNG state matter.
    args = dict(
        batch_size=4,
        grad_accum_steps=2,
        max_steps=12,
        save_every=4,
        eval_every=3,
        optimizer=optimizer,
        warmup_steps=3,
    )
    straight = make_model(0, dropout=0.2)
    full = train(
        straight,
        ShiftDataset(40),
        args=_args(output_dir=str(tmp_path / "a"), **args),
        eval_fn=_eval_consuming_rng,
    )

    def crash_at_step_6(record: dict) -> None:
        if record["split"] == "train" and record["step"] == 6:
            raise KeyboardInterrupt("simulated preemption")

    out_b = str(tmp_path / "b")
    with pytest.raises(KeyboardInterrupt):
        train(make_model(0, dropout=0.2), ShiftDataset(40), args=_args(output_dir=out_b, **args), eval_fn=_eval_consuming_rng, callbacks=[crash_at_step_6])  # fmt: skip
    assert latest_checkpoint(Path(out_b) / "checkpoints").name == "step-00000004"
    resumed_model = make_model(1, dropout=0.2)  # different init: the weights must come from the checkpoint
    resumed = train(resumed_model, ShiftDataset(40), args=_args(output_dir=out_b, resume="latest", **args), eval_fn=_eval_consuming_rng)  # fmt: skip

    expected = train_losses(full.history)
    got = train_losses(resumed.history)
    assert sorted(got) == list(range(5, 13))
    assert all(got[s] == expected[s] for s in got), {s: (got[s], expected[s]) for s in got}
    for p, q in zip(straight.parameters(), resumed_model.parameters()):
        assert torch.equal(p, q)
    # metrics.jsonl of the interrupted+resumed run equals the uninterrupted one (timings aside).
    strip = ("tokens_per_s", "elapsed_s")
    records_a = [
        {k: v for k, v in r.items() if k not in strip} for r in read_metrics(tmp_path / "a" / "metrics.jsonl")
    ]
    records_b = [
        {k: v for k, v in r.items() if k not in strip} for r in read_metrics(Path(out_b) / "metrics.jsonl")
    ]
    assert records_a == records_b


def test_best_checkpoint_and_early_stopping(tmp_path: Path) -> None:
    scores = iter([3.0, 2.0, 2.5, 2.6, 2.7, 2.8])
    result = train(
        make_model(0),
        ShiftDataset(16),
        args=_args(
            output_dir=str(tmp_path),
            max_steps=20,
            eval_every=2,
            save_every=1,
            keep_last=1,
            metric_for_best="loss",
            early_stopping_patience=2,
            plot=True,
        ),
        eval_fn=lambda model: {"loss": next(scores), "accuracy": 0.5},
    )
    # early stopping ends the run: finished (pushed, reported), not stopped to be resumed
    assert result.early_stopped and not result.stopped_early and result.step == 8
    assert (result.best_value, result.best_step) == (2.0, 4)
    assert result.best_checkpoint == tmp_path / "checkpoints" / "step-00000004"
    assert (tmp_path / "checkpoints" / "best").read_text().strip() == "step-00000004"
    assert sorted(p.name for p in (tmp_path / "checkpoints").glob("step-*")) == [
        "step-00000004",
        "step-00000008",
    ]
    model = make_model(7)
    load_model_weights(model, result.best_checkpoint)
    evals = [r for r in read_metrics(tmp_path / "metrics.jsonl") if r["split"] == "eval"]
    assert [r["step"] for r in evals] == [2, 4, 6, 8]
    assert json.loads((tmp_path / "train_args.json").read_text())["metric_for_best"] == "loss"
    assert (tmp_path / "curves.png").stat().st_size > 1000


@pytest.mark.parametrize("precision", ["bf16", "fp16"])
def test_mixed_precision_on_cpu(precision: str) -> None:
    result = train(make_model(0), ShiftDataset(16), args=_args(max_steps=3, mixed_precision=precision))
    assert all(torch.isfinite(torch.tensor(v)) for v in train_losses(result.history).values())


def test_batch_source_protocol_and_lists() -> None:
    data = ShiftDataset(8)
    batches = [data[range(0, 4)], data[range(4, 8)]]
    calls = []

    def source(epoch: int, start: int):
        calls.append((epoch, start))
        return batches[start:]

    result = train(make_model(0), source, args=_args(max_steps=3))
    assert result.step == 3 and calls == [(0, 0), (1, 0)]
    assert train(make_model(0), batches, args=_args(epochs=2, max_steps=None)).step == 4
    with pytest.raises(ValueError, match="--epochs needs training data of known length"):
        train(make_model(0), source, args=_args(epochs=1, max_steps=None))
    with pytest.raises(TypeError, match="one-shot iterator"):
        train(make_model(0), iter(batches), args=_args())


def test_the_loop_feeds_lr_at_the_0_based_step_and_clips_before_the_update(monkeypatch) -> None:
    """Recipe §2.5: update number k (from 0) runs at lr_at(k) (lr 0 first, then peak / W, ...), and the
    optimizer sees gradients clipped to a global norm of max_grad_norm."""
    from albert.training.optim import lr_at

    seen: list[tuple[float, float]] = []  # (lr, global gradient norm) at each optimizer step
    original = torch.optim.AdamW.step

    def spy(self, *args, **kwargs):
        grads = [p.grad for group in self.param_groups for p in group["params"] if p.grad is not None]
        seen.append(
            (
                self.param_groups[0]["lr"],
                float(torch.linalg.vector_norm(torch.stack([g.norm() for g in grads]))),
            )
        )
        return original(self, *args, **kwargs)

    monkeypatch.setattr(torch.optim.AdamW, "step", spy)
    model = make_model(0)
    with torch.no_grad():
        model.head.weight.mul_(200.0)  # large logits: gradient norms far above 1
    args = _args(max_steps=10, lr=0.5, warmup_steps=2, max_grad_norm=1.0, lr_schedule="original")
    result = train(model, ShiftDataset(16), args=args)
    want = [lr_at(k, peak=0.5, warmup_steps=2, total_steps=10) for k in range(10)]
    assert [lr for lr, _ in seen] == pytest.approx(want) and want[:3] == pytest.approx([0.0, 0.25, 0.4])
    logged = [r["grad_norm"] for r in result.history if r["split"] == "train"]
    assert min(logged) > 5.0  # the norm before clipping, as logged
    assert max(norm for _, norm in seen) == pytest.approx(1.0, abs=1e-4)
