"""SIGTERM during training: the loop finishes the step, checkpoints, returns; a resume then continues exactly."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest

from albert.training import TrainArgs, train
from albert.training.interrupt import StopRequest
from albert.training.state import latest_checkpoint, load_training_state
from tests.training.helpers import ShiftDataset, make_model, train_losses


def _args(**kw) -> TrainArgs:
    base = dict(
        batch_size=4, max_steps=8, save_every=100, lr=1e-2, log_every=1, progress_bar=False, plot=False
    )
    return TrainArgs(**{**base, **kw})


def test_sigterm_checkpoints_the_current_step_and_resume_continues(tmp_path: Path) -> None:
    straight = train(make_model(0), ShiftDataset(40), args=_args(output_dir=str(tmp_path / "a")))

    calls = []

    def loss_signalling_in_step_3(model, batch):
        calls.append(1)
        if len(calls) == 3:
            os.kill(os.getpid(), signal.SIGTERM)
        return model(**batch).loss

    out = str(tmp_path / "b")
    stopped = train(
        make_model(0), ShiftDataset(40), args=_args(output_dir=out), loss_fn=loss_signalling_in_step_3
    )
    assert stopped.step == 3 and latest_checkpoint(Path(out) / "checkpoints").name == "step-00000003"
    assert signal.getsignal(signal.SIGTERM) is not None  # the previous handler is back
    resumed = train(make_model(1), ShiftDataset(40), args=_args(output_dir=out, resume="latest"))
    expected, got = train_losses(straight.history), train_losses(resumed.history)
    assert sorted(got) == list(range(4, 9)) and all(got[s] == expected[s] for s in got)


def test_stop_between_log_steps_still_logs_and_counts_tokens(tmp_path: Path) -> None:
    calls = []

    def loss_signalling_in_step_5(model, batch):
        calls.append(1)
        if len(calls) == 5:  # the next log step would be 8
            os.kill(os.getpid(), signal.SIGTERM)
        return model(**batch).loss

    out = tmp_path / "c"
    args = _args(output_dir=str(out), log_every=4)
    stopped = train(make_model(0), ShiftDataset(40), args=args, loss_fn=loss_signalling_in_step_5)
    assert stopped.step == 5
    assert [r["step"] for r in stopped.history if r["split"] == "train"] == [4, 5]
    assert load_training_state(out / "checkpoints" / "step-00000005")["loop"]["tokens"] == 5 * 4 * 6


def test_second_signal_interrupts_at_once() -> None:
    request = StopRequest().install()
    try:
        os.kill(os.getpid(), signal.SIGINT)
        assert request.requested
        with pytest.raises(KeyboardInterrupt):
            os.kill(os.getpid(), signal.SIGINT)
    finally:
        request.restore()


class _Killed(Exception):
    """Stands for SIGKILL: the process ends where it is, nothing after runs."""


def test_a_stop_during_an_evaluation_loses_only_that_evaluation(tmp_path: Path) -> None:
    """A scheduler's SIGTERM, then SIGKILL after its grace period, during a long pass over the dev set:
    the step was checkpointed before the pass (marked eval_pending), so the resumed run evaluates it
    first and ends as an uninterrupted run does (before: the checkpoint came after the pass, and the
    epoch was lost)."""

    def eval_fn(model):
        return {"loss": float(sum(p.detach().abs().sum() for p in model.parameters()))}

    args = dict(eval_every=4, save_every=4, metric_for_best="loss")
    straight = train(make_model(0), ShiftDataset(40), args=_args(output_dir=str(tmp_path / "a"), **args),
                     eval_fn=eval_fn)  # fmt: skip
    calls = []

    def killed_in_the_second_evaluation(model):
        calls.append(1)
        if len(calls) == 2:
            raise _Killed
        return eval_fn(model)

    out = tmp_path / "b"
    with pytest.raises(_Killed):
        train(make_model(0), ShiftDataset(40), args=_args(output_dir=str(out), **args),
              eval_fn=killed_in_the_second_evaluation)  # fmt: skip
    saved = load_training_state(latest_checkpoint(out / "checkpoints"))["loop"]
    assert saved["step"] == 8 and saved["eval_pending"]
    resumed = train(make_model(1), ShiftDataset(40), args=_args(output_dir=str(out), resume="latest", **args),
                    eval_fn=eval_fn)  # fmt: skip
    evals = {r["step"]: r["loss"] for r in straight.history if r["split"] == "eval"}
    assert {r["step"]: r["loss"] for r in resumed.history if r["split"] == "eval"} == {8: evals[8]}
    assert resumed.best_step == straight.best_step
    assert not load_training_state(latest_checkpoint(out / "checkpoints"))["loop"]["eval_pending"]


def test_a_stop_request_at_an_evaluation_step_checkpoints_without_the_pass(tmp_path: Path) -> None:
    calls = []

    def loss_signalling_in_step_4(model, batch):
        calls.append(1)
        if len(calls) == 4:
            os.kill(os.getpid(), signal.SIGTERM)
        return model(**batch).loss

    evaluated = []
    out = tmp_path / "d"
    stopped = train(make_model(0), ShiftDataset(40), args=_args(output_dir=str(out), eval_every=4),
                    loss_fn=loss_signalling_in_step_4, eval_fn=lambda m: evaluated.append(1) or {"loss": 1.0})  # fmt: skip
    assert stopped.step == 4 and evaluated == []  # exits without a pass over the dev set, as documented
    assert load_training_state(out / "checkpoints" / "step-00000004")["loop"]["eval_pending"]
    train(make_model(1), ShiftDataset(40), args=_args(output_dir=str(out), eval_every=4, resume="latest"),
          eval_fn=lambda m: evaluated.append(1) or {"loss": 1.0})  # fmt: skip
    assert len(evaluated) == 2  # step 4's, on resuming, then step 8's


def test_resuming_with_other_data_order_or_optimizer_settings_is_refused(tmp_path: Path) -> None:
    """--optimizer lamb on an AdamW checkpoint crashed with KeyError 'bias_correction'; another batch size
    or seed was accepted and silently skipped or repeated examples; a new weight decay was ignored."""
    out = str(tmp_path / "r")
    train(make_model(0), ShiftDataset(40), args=_args(output_dir=out, max_steps=4, save_every=2))
    for changed, message in (
        ({"optimizer": "lamb"}, "--optimizer 'adamw' -> 'lamb'"),
        ({"batch_size": 8}, "--batch-size 4 -> 8"),
        ({"seed": 3}, "--seed 42 -> 3"),
        ({"weight_decay": 0.1}, "--weight-decay 0.01 -> 0.1"),
    ):
        with pytest.raises(ValueError, match=f"that run was trained with other settings \\({message}\\)"):
            train(make_model(0), ShiftDataset(40), args=_args(output_dir=out, resume="latest", **changed))
    # what may change: the number of steps (and the learning rate, evaluation, saving)
    assert train(make_model(0), ShiftDataset(40), args=_args(output_dir=out, resume="latest")).step == 8


def test_a_corrupt_checkpoint_is_named_with_the_one_before_it(tmp_path: Path) -> None:
    out = tmp_path / "c"
    train(make_model(0), ShiftDataset(40), args=_args(output_dir=str(out), max_steps=4, save_every=2))
    (out / "checkpoints" / "step-00000004" / "training_state.pt").write_bytes(b"")  # a partial copy
    with pytest.raises(ValueError, match=r"training_state.pt cannot be read \(EOFError: empty file\).*truncated "
                       r"or corrupt; resume from the one before it instead: --resume .*step-00000002"):  # fmt: skip
        train(make_model(0), ShiftDataset(40), args=_args(output_dir=str(out), resume="latest"))
