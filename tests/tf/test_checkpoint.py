"""Files: round trips between our TF and PyTorch classes, and the original google-research/albert TF1
checkpoints (written here by TensorFlow from known weights, converted back, same outputs; clear errors)."""

from __future__ import annotations

import json

import numpy as np
import pytest
import tensorflow as tf
import torch

import albert
import albert.tf
from albert.checkpoint.hf import to_hf_state_dict
from albert.checkpoint.original_tf import convert_original_checkpoint, hf_to_original
from albert.cli import main
from tests.tf.conftest import assert_outputs_close, config_for, make_inputs, torch_model


@pytest.mark.parametrize("cls_name", ["AlbertForPreTraining", "AlbertForQuestionAnswering"])
def test_round_trip_tf_torch_tf(cls_name: str, tmp_path) -> None:
    config = config_for("relkeyquery-L3-G3", tie_word_embeddings=cls_name != "AlbertForPreTraining")
    tfm = getattr(albert.tf, "TF" + cls_name)(config)
    inputs = make_inputs(cls_name)
    tfm.save_pretrained(tmp_path / "tf")
    pt = getattr(albert, cls_name).from_pretrained(tmp_path / "tf")
    with torch.no_grad():
        assert_outputs_close(tfm(**inputs), pt(**{k: torch.as_tensor(v) for k, v in inputs.items()}))
    pt.save_pretrained(tmp_path / "pt")
    again = getattr(albert.tf, "TF" + cls_name).from_pretrained(tmp_path / "pt")
    before, after = tfm.variables_as_numpy(), again.variables_as_numpy()
    assert before.keys() == after.keys()
    for name in before:
        np.testing.assert_array_equal(before[name], after[name], err_msg=name)
    saved = json.loads((tmp_path / "tf" / "config.json").read_text())
    assert saved["architectures"] == [cls_name]


def test_task_model_from_bare_encoder_warns_about_new_head(tmp_path, caplog) -> None:
    albert.tf.TFAlbertModel(config_for("shared")).save_pretrained(tmp_path)
    with caplog.at_level("WARNING"):
        albert.tf.TFAlbertForSequenceClassification.from_pretrained(tmp_path)
    assert "classifier.kernel" in caplog.text and "newly initialised" in caplog.text


def test_config_that_disagrees_with_weights_is_named(tmp_path) -> None:
    albert.tf.TFAlbertModel(config_for("shared")).save_pretrained(tmp_path)
    with pytest.raises(ValueError, match="intermediate_size|config.json does not match"):
        albert.tf.TFAlbertModel.from_pretrained(tmp_path, intermediate_size=24)


def test_missing_weights_file_is_named(tmp_path) -> None:
    config_for("shared").save_pretrained(tmp_path)
    with pytest.raises(FileNotFoundError, match="tf_model.h5"):
        albert.tf.TFAlbertModel.from_pretrained(tmp_path)


# ----- original TF1 checkpoints ---------------------------------------------------------------------


def _write_tf1_checkpoint(variables: dict[str, np.ndarray], prefix) -> str:
    """A checkpoint as google-research/albert's TF1 code wrote it: raw variable names, via a v1 Saver."""
    with tf.Graph().as_default():
        tf_vars = [tf.compat.v1.Variable(array, name=name) for name, array in variables.items()]
        saver = tf.compat.v1.train.Saver(tf_vars)
        with tf.compat.v1.Session() as session:
            session.run(tf.compat.v1.global_variables_initializer())
            return saver.save(session, str(prefix))


def _original_files(tmp_path, config, extra: dict | None = None, drop: str | None = None):
    """Known weights (a torch AlbertForPreTraining) as an original checkpoint + albert_config.json."""
    pt = torch_model("AlbertForPreTraining", config)
    hf = {k: v.numpy() for k, v in to_hf_state_dict(pt.state_dict()).items()}
    original = hf_to_original(hf)
    original["global_step"] = np.array(1000, dtype=np.int64)
    original["bert/embeddings/word_embeddings/adam_m"] = np.zeros_like(
        original["bert/embeddings/word_embeddings"]
    )
    original.update(extra or {})
    original.pop(drop, None)
    ckpt = _write_tf1_checkpoint(original, tmp_path / "model.ckpt-1000")
    original_config = {k: v for k, v in config.to_dict().items() if k in _ORIGINAL_KEYS}
    original_config.update(hidden_act="gelu", down_scale_factor=1, net_structure_type=0, gap_size=0)
    (tmp_path / "albert_config.json").write_text(json.dumps(original_config))
    return pt, ckpt, tmp_path / "albert_config.json"


_ORIGINAL_KEYS = ("attention_probs_dropout_prob", "hidden_dropout_prob", "embedding_size", "hidden_size",
                  "initializer_range", "intermediate_size", "max_position_embeddings", "num_attention_heads",
                  "num_hidden_layers", "num_hidden_groups", "inner_group_num", "type_vocab_size", "vocab_size")  # fmt: skip


def test_original_checkpoint_converts_with_equal_outputs(tmp_path) -> None:
    config = config_for("L5-G2-I2", hidden_act="gelu_new")
    pt, ckpt, config_path = _original_files(tmp_path, config)
    (tmp_path / "30k-clean.model").write_bytes(b"spm")
    out = tmp_path / "converted"
    argv = ["convert-tf-checkpoint", ckpt, "--config", str(config_path), "--output", str(out),
            "--spm-model", str(tmp_path / "30k-clean.model")]  # fmt: skip
    assert main(argv) == 0
    assert (out / "spiece.model").read_bytes() == b"spm"
    inputs = make_inputs("AlbertForPreTraining")
    with torch.no_grad():
        expected = pt(**{k: torch.as_tensor(v) for k, v in inputs.items()})
    converted_tf = albert.tf.TFAlbertForPreTraining.from_pretrained(out)
    assert converted_tf.config.hidden_act == "gelu_new"  # the original "gelu" is the tanh form
    assert_outputs_close(expected, converted_tf(**inputs))
    with torch.no_grad():
        assert_outputs_close(expected, albert.AlbertForPreTraining.from_pretrained(out).disable_fast_paths()(
            **{k: torch.as_tensor(v) for k, v in inputs.items()}))  # fmt: skip


@pytest.mark.parametrize(
    "change,message",
    [
        (
            dict(drop="bert/encoder/transformer/group_1/inner_group_0/ffn_1/intermediate/dense/kernel"),
            "missing variable bert/encoder/transformer/group_1/inner_group_0/ffn_1/intermediate/dense/kernel",
        ),
        (
            dict(extra={"bert/pooler/dense/kernel": np.zeros((16, 8), np.float32)}),
            r"bert/pooler/dense/kernel has shape \(16, 8\) but the config implies \(16, 16\)",
        ),
        (
            dict(extra={"bert/encoder/transformer/group_0/inner_group_0/mystery": np.zeros(3, np.float32)}),
            "unknown variable name.*mystery",
        ),
    ],
)
def test_original_checkpoint_errors_are_clear(change: dict, message: str, tmp_path) -> None:
    config = config_for("L5-G2-I2", hidden_act="gelu_new")
    _, ckpt, config_path = _original_files(tmp_path, config, **change)
    with pytest.raises(ValueError, match=message):
        convert_original_checkpoint(ckpt, config_path, tmp_path / "out")


def test_not_a_checkpoint_is_named(tmp_path) -> None:
    config_for("shared").save_pretrained(tmp_path)
    with pytest.raises(ValueError, match="is not a TensorFlow checkpoint"):
        convert_original_checkpoint(tmp_path / "nope", tmp_path / "config.json", tmp_path / "out")
