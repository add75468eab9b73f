"""`albert` itself: the command table, --help and --version everywhere, exit statuses, errors without
tracebacks (and with one under --debug), and the training commands' help defaults."""

from __future__ import annotations

import re

import pytest

import albert
from albert import cli
from tests.cli.helpers import albert_cmd


def test_fatal_error_exits_non_zero_without_traceback(env, tmp_path):
    proc = albert_cmd(
        env, "run", "--task", "fill-mask", "--model", str(tmp_path / "missing"), stdin="a [MASK]\n"
    )
    assert proc.returncode == cli.EXIT_ERROR
    assert (
        proc.stderr.startswith("albert: error:")
        and "missing" in proc.stderr
        and "Traceback" not in proc.stderr
    )
    assert proc.stdout == ""


def test_usage_and_single_input_errors(run_main, dirs, capsys):
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["run", "--task", "summarization"])
    assert exit_info.value.code == cli.EXIT_USAGE
    assert "invalid choice: 'summarization'" in capsys.readouterr().err
    status, _, err = run_main("fill-mask", "no mask here", "--model", str(dirs["fill-mask"]))
    assert status == cli.EXIT_ERROR and err.strip() == "albert: error: no mask token ([MASK]) in the input"


def test_debug_shows_the_traceback(run_main, tmp_path):
    with pytest.raises(FileNotFoundError):
        run_main("run", "--task", "fill-mask", "--model", str(tmp_path / "missing"), "--debug")


@pytest.mark.parametrize("command", [[], *[[name] for name in cli.COMMANDS]])
def test_help_everywhere(command, capsys):
    with pytest.raises(SystemExit) as exit_info:
        cli.main([*command, "--help"])
    assert exit_info.value.code == 0
    assert "usage: albert" in capsys.readouterr().out


def test_version(capsys):
    with pytest.raises(SystemExit):
        cli.main(["--version"])
    assert capsys.readouterr().out.strip() == f"albert {albert.__version__}"


def help_defaults(parser) -> dict[str, str]:
    """dest -> what `--help` says its default is, for every option whose help names one."""
    claims = {}
    for group in [
        parser,
        *[a for a in parser._actions if hasattr(a, "choices") and isinstance(a.choices, dict)],
    ]:
        for action in group._actions:
            found = re.search(r"\(default: (.*)\)\s*$", action.help or "", re.S)
            if found:
                claims[action.dest] = " ".join(found.group(1).split())
    return claims


@pytest.mark.parametrize("command", ["finetune", "pretrain"])
def test_every_training_help_default_is_the_real_one(command, tmp_path):
    import argparse
    import dataclasses

    from albert.cli_options import build_options
    from albert.tasks import TASKS
    from albert.training.finetune_args import finetune_train_args
    from albert.training.pretrain import PRETRAIN_DEFAULTS
    from albert.training.train_args import TrainArgs

    parser = argparse.ArgumentParser()
    cli.COMMANDS[command].add_arguments(parser)
    claims = help_defaults(parser)
    if command == "finetune":
        runs = [
            finetune_train_args(task, {}, output_dir=str(tmp_path), has_eval=True) for task in TASKS.values()
        ]
    else:
        runs = [
            build_options(TrainArgs, {**PRETRAIN_DEFAULTS, "output_dir": str(tmp_path)}, argparse.Namespace())
        ]
    for run in runs:
        for field in dataclasses.fields(TrainArgs):
            value = getattr(run, field.name)
            if field.name == "output_dir":
                continue
            if field.name not in claims:
                assert value is None, f"--{field.name}: help names no default, the run uses {value!r}"
            else:
                assert str(value) in claims[field.name], (
                    f"--{field.name}: help says {claims[field.name]!r}, run uses {value!r}"
                )
