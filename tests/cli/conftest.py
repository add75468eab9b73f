"""Fixtures of the command-line tests: tiny models on disk, the environment, `cli.main` in process."""

from __future__ import annotations

import io
import os
import sys
from pathlib import Path

import pytest

from albert import cli
from tests.pipelines.tiny_models import tiny_model_dirs


@pytest.fixture(scope="session")
def dirs(tmp_path_factory) -> dict[str, Path]:
    return tiny_model_dirs(tmp_path_factory.getbasetemp() / "albert-tiny-cli")


@pytest.fixture(scope="session")
def env() -> dict[str, str]:
    return dict(os.environ)


@pytest.fixture
def run_main(monkeypatch, capsys, dirs):
    """Call cli.main with `stdin` text; returns (exit status, stdout, stderr)."""

    def call(*args: str, stdin: str = ""):
        monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
        status = cli.main(list(args))
        captured = capsys.readouterr()
        return status, captured.out, captured.err

    return call
