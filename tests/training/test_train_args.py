"""`TrainArgs` validation: every error names the command-line flag."""

from __future__ import annotations

import pytest

from albert.training import TrainArgs


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({}, "--max-steps or --epochs"),
        ({"max_steps": 0}, "--max-steps: must be an integer >= 1"),
        ({"epochs": 1.5}, "--epochs"),
        ({"max_steps": 1, "batch_size": 0}, "--batch-size"),
        ({"max_steps": 1, "grad_accum_steps": -1}, "--grad-accum-steps"),
        ({"max_steps": 1, "optimizer": "sgd"}, "--optimizer: must be one of lamb, adamw, got 'sgd'"),
        ({"max_steps": 1, "lr": 0.0}, "--lr"),
        ({"max_steps": 1, "lr_schedule": "cosine"}, "--lr-schedule"),
        ({"max_steps": 1, "mixed_precision": "fp8"}, "--mixed-precision"),
        ({"max_steps": 1, "adam_beta2": 1.0}, "--adam-beta2"),
        ({"max_steps": 1, "max_grad_norm": -1.0}, "--max-grad-norm"),
        (
            {"max_steps": 1, "warmup_steps": 10, "warmup_ratio": 0.1},
            "--warmup-steps or --warmup-ratio, not both",
        ),
        ({"max_steps": 1, "warmup_ratio": 1.5}, "--warmup-ratio"),
        ({"max_steps": 1, "early_stopping_patience": 2}, "--early-stopping-patience needs --metric-for-best"),
        ({"max_steps": 1, "resume": "latest"}, "--resume latest needs --output-dir"),
        ({"max_steps": 1, "num_workers": -2}, "--num-workers"),
        ({"max_steps": 1, "keep_last": 0}, "--keep-last"),
    ],
)
def test_invalid_args_name_the_flag(kwargs: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message.replace("(", r"\(")):
        TrainArgs(**kwargs)


def test_effective_defaults_follow_the_optimizer() -> None:
    lamb = TrainArgs(max_steps=10, optimizer="lamb")
    assert (lamb.schedule, lamb.use_bias_correction) == ("original", False)
    adamw = TrainArgs(max_steps=10)
    assert (adamw.schedule, adamw.use_bias_correction) == ("linear", True)
    assert TrainArgs(max_steps=10, optimizer="lamb", lr_schedule="linear").schedule == "linear"


def test_warmup_from_ratio_or_steps() -> None:
    assert TrainArgs(max_steps=1, warmup_ratio=0.1).warmup_for(250) == 25
    assert TrainArgs(max_steps=1, warmup_steps=7).warmup_for(250) == 7
    assert TrainArgs(max_steps=1).warmup_for(250) == 0


def test_a_warmup_longer_than_the_run_is_warned_about(caplog) -> None:
    with caplog.at_level("WARNING", logger="albert"):
        assert TrainArgs(max_steps=2, warmup_steps=2, lr=1e-3).warmup_for(2) == 2
        assert caplog.records == []
        assert TrainArgs(max_steps=2, warmup_steps=100, lr=1e-3).warmup_for(2) == 100
    assert (
        "--warmup-steps 100 is longer than the run (2 steps): the learning rate never reaches --lr 0.001"
        in caplog.text
    )


def test_dict_round_trip_and_unknown_keys() -> None:
    args = TrainArgs(max_steps=5, lr=1e-3, output_dir="out")
    assert TrainArgs.from_dict(args.to_dict()) == args
    with pytest.raises(ValueError, match="--learning-rate"):
        TrainArgs.from_dict({"max_steps": 5, "learning_rate": 1e-3})


def test_an_optional_number_takes_none_on_the_command_line():
    # --max-grad-norm's help says "None disables clipping"; argparse refused "None" as a float
    import argparse

    from albert.cli_options import add_dataclass_arguments

    parser = argparse.ArgumentParser()
    add_dataclass_arguments(parser, TrainArgs)
    assert parser.parse_args(["--max-grad-norm", "None"]).max_grad_norm is None
    assert parser.parse_args(["--max-grad-norm", "0.5"]).max_grad_norm == 0.5
    assert parser.parse_args(["--max-steps", "none"]).max_steps is None
    with pytest.raises(SystemExit):
        parser.parse_args(["--max-grad-norm", "big"])
