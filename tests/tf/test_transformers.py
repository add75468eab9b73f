"""Parity with transformers 4.56's TFAlbert* classes (Keras 2 via tf_keras), both directions through files:
their `tf_model.h5` into our TF classes, and our `model.safetensors` into theirs (TF and PyTorch).
transformers' TF ALBERT has absolute positions only, and fails with inner_group_num > 1 (an IndexError on
its head mask list), so the structures here are absolute with one layer per group."""

from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf
import torch

import albert.tf
from tests.conftest import tiny_kwargs
from tests.tf.conftest import CLASSES, assert_outputs_close, config_for, make_inputs

transformers = pytest.importorskip("transformers", reason="transformers is the parity reference (test extra)")

STRUCTURES = {"shared": dict(), "L3-G3": dict(num_hidden_layers=3, num_hidden_groups=3, hidden_act="gelu")}


def _hf_config(structure: str):
    return transformers.AlbertConfig(**tiny_kwargs(**STRUCTURES[structure]))


def _no_attn_fields(out) -> dict:
    return {k: out[k] for k in out.keys() if k != "attentions"}


@pytest.mark.parametrize("structure", list(STRUCTURES))
@pytest.mark.parametrize("cls_name", CLASSES)
def test_their_tf_model_h5_loads_with_equal_outputs(cls_name: str, structure: str, tmp_path) -> None:
    theirs = getattr(transformers, "TF" + cls_name)(_hf_config(structure))
    inputs = make_inputs(cls_name)
    expected = theirs({k: tf.constant(v, tf.int32) for k, v in inputs.items()}, output_hidden_states=True)
    theirs.save_pretrained(tmp_path)
    assert (tmp_path / "tf_model.h5").exists() and not (tmp_path / "model.safetensors").exists()
    ours = getattr(albert.tf, "TF" + cls_name).from_pretrained(tmp_path)
    actual = ours(**inputs, output_hidden_states=True)
    assert_outputs_close({k: v for k, v in expected.items()}, _no_attn_fields(actual))


@pytest.mark.parametrize("cls_name", CLASSES)
def test_our_files_load_in_transformers_tf_and_torch(cls_name: str, tmp_path) -> None:
    config = config_for("shared", num_hidden_layers=3, num_hidden_groups=3)
    ours = getattr(albert.tf, "TF" + cls_name)(config)
    inputs = make_inputs(cls_name)
    expected = ours(**inputs)
    ours.save_pretrained(tmp_path)
    # from_pt=True: transformers 4.56's default TF path iterates a `safe_open` handle, which safetensors
    # 0.8 no longer allows (TypeError for any PyTorch safetensors file, not only ours).
    their_tf = getattr(transformers, "TF" + cls_name).from_pretrained(tmp_path, from_pt=True)
    got = their_tf({k: tf.constant(v, tf.int32) for k, v in inputs.items()})
    assert_outputs_close(_no_attn_fields(expected), {k: v for k, v in got.items()})
    their_pt = getattr(transformers, cls_name).from_pretrained(tmp_path, attn_implementation="eager").eval()
    with torch.no_grad():
        got = their_pt(**{k: torch.as_tensor(v) for k, v in inputs.items()})
    assert_outputs_close(_no_attn_fields(expected), {k: v for k, v in got.items()})


def test_their_mlm_logit_bias_is_the_decoder_bias(tmp_path) -> None:
    """transformers' TF MLM head holds two biases and adds `predictions/decoder/bias`: that one is read."""
    theirs = transformers.TFAlbertForMaskedLM(_hf_config("shared"))
    inputs = {"input_ids": np.array([[5, 6, 7]])}
    theirs(inputs)
    head = theirs.predictions
    head.decoder_bias.assign(tf.random.normal(head.decoder_bias.shape))
    expected = theirs(inputs).logits
    theirs.save_pretrained(tmp_path)
    np.testing.assert_allclose(
        albert.tf.TFAlbertForMaskedLM.from_pretrained(tmp_path)(**inputs).logits, expected, atol=1e-5
    )


@pytest.mark.parametrize("cls_name", CLASSES)
def test_attributes_tools_read_equal_transformers(cls_name: str, tmp_path) -> None:
    """num_parameters, the input embeddings' `.weight`, main_input_name, base_model_prefix, config_class,
    framework and name_or_path, as transformers' TF classes have them for the same checkpoint."""
    theirs = getattr(transformers, "TF" + cls_name)(_hf_config("L3-G3"))
    theirs(theirs.dummy_inputs)
    theirs.save_pretrained(tmp_path)
    ours = getattr(albert.tf, "TF" + cls_name).from_pretrained(tmp_path)
    # transformers' TF MLM head holds a second (V,) bias that its logits never read (the decoder bias is
    # the one used: test_their_mlm_logit_bias_is_the_decoder_bias); ours has only the one used.
    unused = theirs.config.vocab_size if "MaskedLM" in cls_name or "PreTraining" in cls_name else 0
    assert ours.num_parameters() == theirs.num_parameters() - unused
    assert ours.num_parameters(only_trainable=True) == theirs.num_parameters(only_trainable=True) - unused
    np.testing.assert_array_equal(
        ours.get_input_embeddings().weight.numpy(), theirs.get_input_embeddings().weight.numpy()
    )
    for name in ("main_input_name", "base_model_prefix", "framework"):
        assert getattr(ours, name) == getattr(theirs, name), name
    assert ours.config_class is albert.AlbertConfig and ours.name_or_path == str(tmp_path)
