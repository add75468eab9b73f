"""The commands that write a model directory (`export`, `convert-tf-checkpoint`; `convert-lora-adapter` in
tests/training/test_peft.py) refuse an --output that already holds files unless --overwrite: they replace
files by name, which lost the model that was there or left a mix of two."""

from __future__ import annotations

import pytest

from albert.cli import main


@pytest.fixture
def occupied(tmp_path):
    out = tmp_path / "model"
    out.mkdir()
    for name in ("config.json", "model.safetensors", "spiece.model"):
        (out / name).write_text("the user's")
    return out


def test_convert_tf_checkpoint_keeps_a_model_that_is_there(occupied, tmp_path, capsys):
    argv = ["convert-tf-checkpoint", str(tmp_path / "model.ckpt-1"), "--config", str(tmp_path / "c.json"),
            "--output", str(occupied)]  # fmt: skip
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert f"--output {occupied} already holds config.json, model.safetensors, spiece.model" in err
    assert "choose a new or empty directory, or pass --overwrite" in err
    assert (occupied / "model.safetensors").read_text() == "the user's"
    assert main([*argv, "--overwrite"]) == 1  # past the check: now the missing checkpoint is the error
    assert "already holds" not in capsys.readouterr().err


def test_export_keeps_a_model_that_is_there(occupied, capsys):
    pytest.importorskip("tensorflow", reason="the TF extra")
    assert main(["export", str(occupied), "--format", "saved_model", "--output", str(occupied)]) == 1
    assert "already holds config.json" in capsys.readouterr().err
    assert (occupied / "config.json").read_text() == "the user's"


def test_an_output_that_is_a_file_is_named(tmp_path, capsys):
    (tmp_path / "f").write_text("x")
    argv = ["convert-tf-checkpoint", "ckpt", "--config", "c.json", "--output", str(tmp_path / "f")]
    assert main(argv) == 1
    assert "is a file; give a directory" in capsys.readouterr().err
