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
