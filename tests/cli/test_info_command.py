"""`albert info`: parameter counts from the config (checked against the real model), a checkpoint's
tensors, and the warning when config.json and the weights disagree."""

from __future__ import annotations

import json

import pytest

from albert import cli
from albert.config import PRESETS


def test_info_preset(capsys):
    assert cli.main(["info", "albert-base-v2", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)["parameters"]
    assert report["total"] == 11_683_584  # the published ~12M of albert-base
    assert (
        report["unshared_bert_total"] - report["factorisation_saves"] - report["sharing_saves"]
        == report["total"]
    )
    assert cli.main(["info", "albert-base-v2"]) == 0
    assert "saved by cross-layer sharing" in capsys.readouterr().out


@pytest.mark.parametrize(
    "overrides",
    [{}, {"num_hidden_groups": 2, "inner_group_num": 2}, {"position_embedding_type": "relative_key"}],
)
def test_parameter_report_counts_the_real_model(overrides):
    from albert.model import AlbertModel

    config = PRESETS["albert-base-v2"].replace(
        hidden_size=64,
        num_attention_heads=4,
        intermediate_size=96,
        num_hidden_layers=4,
        vocab_size=500,
        **overrides,
    )
    assert cli.parameter_report(config)["total"] == AlbertModel(config).num_parameters()


def test_info_checkpoint(capsys, dirs):
    assert cli.main(["info", str(dirs["question-answering"]), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["checkpoint_parameters"] == data["parameters"]["total"] - data["parameters"]["pooler"] + 66


def test_info_warns_when_config_and_weights_disagree(capsys, dirs, tmp_path):
    import shutil

    assert cli.main(["info", str(dirs["fill-mask"]), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["config_weight_disagreements"] == []
    broken = tmp_path / "broken"
    shutil.copytree(dirs["fill-mask"], broken)
    config = json.loads((broken / "config.json").read_text())
    (broken / "config.json").write_text(json.dumps({**config, "vocab_size": config["vocab_size"] + 7,
                                                    "num_hidden_groups": 2}))  # fmt: skip
    assert cli.main(["info", str(broken)]) == cli.EXIT_ERROR
    captured = capsys.readouterr()
    assert "parameters (encoder + pooler, from the config)" in captured.out  # the report is still printed
    assert "config.json and the weights disagree" in captured.err
    assert f"embeddings.word.weight: shape ({config['vocab_size']}, 16) in the weights" in captured.err
    assert "encoder.groups.1." in captured.err and "the weights lack it" in captured.err


def test_an_unknown_name_lists_the_presets(capsys):
    assert cli.main(["info", "albert-base-v9"]) == 1
    assert "no such directory: albert-base-v9 (albert info also takes a preset name: albert-base-v1" in (
        capsys.readouterr().err
    )
