"""The TF classes against our PyTorch classes on the same weights (through files): every class, four
structures, all outputs (hidden states and attention maps too), losses, and one training step's gradients."""

from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf
import torch

import albert.tf
from albert.checkpoint.hf import to_hf_state_dict
from albert.checkpoint.tf import hf_to_tf
from tests.tf.conftest import (
    ATOL,
    CLASSES,
    CONFIGS,
    as_numpy,
    assert_outputs_close,
    config_for,
    make_inputs,
    make_labels,
    torch_model,
)


def _pair(cls_name: str, config, tmp_path):
    pt = torch_model(cls_name, config)
    pt.save_pretrained(tmp_path)
    return pt, getattr(albert.tf, "TF" + cls_name).from_pretrained(tmp_path)


@pytest.mark.parametrize("structure", list(CONFIGS))
@pytest.mark.parametrize("cls_name", CLASSES)
def test_outputs_and_losses_match_torch(cls_name: str, structure: str, tmp_path) -> None:
    config = config_for(structure, num_labels=2 if cls_name.endswith("QuestionAnswering") else 3)
    pt, tfm = _pair(cls_name, config, tmp_path)
    inputs = {**make_inputs(cls_name), **make_labels(cls_name, num_labels=config.num_labels)}
    flags = dict(output_hidden_states=True, output_attentions=True)
    with torch.no_grad():
        expected = pt(**{k: torch.as_tensor(v) for k, v in inputs.items()}, **flags)
    actual = tfm(**inputs, **flags)
    assert_outputs_close(expected, actual)
    if cls_name != "AlbertModel":
        assert "loss" in actual.keys()
    assert len(actual.hidden_states) == config.num_hidden_layers + 1
    assert len(actual.attentions) == config.num_hidden_layers * config.inner_group_num


@pytest.mark.parametrize("structure", ["L5-G2-I2", "relkeyquery-L3-G3"])
def test_head_mask_inputs_embeds_position_ids_match_torch(structure: str, tmp_path) -> None:
    config = config_for(structure)
    pt, tfm = _pair("AlbertModel", config, tmp_path)
    inputs = make_inputs("AlbertModel")
    rng = np.random.default_rng(3)
    head_mask = rng.integers(0, 2, (config.num_hidden_layers, config.num_attention_heads)).astype(np.float32)
    embeds = rng.normal(size=(2, 7, config.embedding_size)).astype(np.float32)
    positions = np.array([[3, 1, 4, 1, 5, 9, 2]])
    extra = dict(head_mask=head_mask, inputs_embeds=embeds, position_ids=positions)
    del inputs["input_ids"]
    with torch.no_grad():
        expected = pt(**{k: torch.as_tensor(v) for k, v in {**inputs, **extra}.items()})
    assert_outputs_close(expected, tfm(**inputs, **extra))


def _torch_grads_as_tf(pt) -> dict[str, np.ndarray]:
    grads = {name: p.grad for name, p in pt.named_parameters() if p.grad is not None}
    hf = to_hf_state_dict(grads, tie_word_embeddings=pt.config.tie_word_embeddings)
    arrays, unknown = hf_to_tf({k: v.numpy() for k, v in hf.items()})
    assert not unknown
    if not any(k.startswith("backbone.") for k in pt.state_dict()):
        arrays = {k.removeprefix("backbone."): v for k, v in arrays.items()}
    return arrays


@pytest.mark.parametrize(
    "cls_name,structure",
    [(c, "L5-G2-I2") for c in CLASSES[1:]] + [("AlbertForMaskedLM", "relkeyquery-L3-G3")],
)
def test_training_step_gradients_match_torch(cls_name: str, structure: str, tmp_path) -> None:
    config = config_for(structure, classifier_dropout_prob=0.0)  # training mode, deterministic
    pt, tfm = _pair(cls_name, config, tmp_path)
    inputs = {**make_inputs(cls_name), **make_labels(cls_name)}
    pt.train()
    loss = pt(**{k: torch.as_tensor(v) for k, v in inputs.items()}).loss
    loss.backward()
    expected = _torch_grads_as_tf(pt)
    variables = tfm.named_variables()
    with tf.GradientTape() as tape:
        tf_loss = tfm(**inputs, training=True).loss
    grads = tape.gradient(tf_loss, list(variables.values()))
    np.testing.assert_allclose(float(tf_loss), loss.item(), atol=ATOL)
    assert set(expected) == {n for n, g in zip(variables, grads) if g is not None}
    for name, grad in zip(variables, grads):
        if grad is not None:
            np.testing.assert_allclose(
                as_numpy(tf.convert_to_tensor(grad)), expected[name], atol=ATOL, err_msg=name
            )


def test_one_sgd_step_keeps_parity(tmp_path) -> None:
    """Apply the step on both sides: the updated models still agree."""
    config = config_for("shared", classifier_dropout_prob=0.0)
    pt, tfm = _pair("AlbertForSequenceClassification", config, tmp_path)
    inputs = {
        **make_inputs("AlbertForSequenceClassification"),
        **make_labels("AlbertForSequenceClassification"),
    }
    torch_inputs = {k: torch.as_tensor(v) for k, v in inputs.items()}
    optimizer = torch.optim.SGD(pt.parameters(), lr=0.5)
    pt(**torch_inputs).loss.backward()
    optimizer.step()
    variables = tfm.trainable_variables
    with tf.GradientTape() as tape:
        loss = tfm(**inputs, training=True).loss
    for variable, grad in zip(variables, tape.gradient(loss, variables)):
        variable.assign_sub(0.5 * tf.convert_to_tensor(grad))
    with torch.no_grad():
        expected = pt.eval()(**torch_inputs)
    assert_outputs_close(expected, tfm(**inputs))


def test_dropout_only_in_training(tmp_path) -> None:
    config = config_for("shared", hidden_dropout_prob=0.3, attention_probs_dropout_prob=0.3)
    tfm = albert.tf.TFAlbertForSequenceClassification(config)
    inputs = make_inputs("AlbertForSequenceClassification")
    a, b = tfm(**inputs).logits, tfm(**inputs).logits
    np.testing.assert_array_equal(a, b)
    c = tfm(**inputs, training=True).logits
    assert not np.allclose(a, c)


def test_compiled_inference_matches_eager(tmp_path) -> None:
    config = config_for("relkey-E=H-relu")
    tfm = albert.tf.TFAlbertForTokenClassification(config)
    inputs = make_inputs("AlbertForTokenClassification")
    eager = tfm(**inputs).logits
    np.testing.assert_allclose(tfm.infer(**inputs)["logits"], eager, atol=ATOL)
    longer = make_inputs("AlbertForTokenClassification", batch=3, seq=11)  # no retrace needed for new shapes
    assert tfm.infer(**longer)["logits"].shape == (3, 11, config.num_labels)
    assert tfm.serving_function().experimental_get_tracing_count() == 1


def test_mixed_precision_is_close_to_float32(tmp_path) -> None:
    """bfloat16 compute, float32 variables: logits within 0.05 of float32 on this tiny model (measured
    max |diff| ~ 0.01; bf16 has 8 bits of mantissa)."""
    config = config_for("L5-G2-I2")
    torch_model("AlbertForMaskedLM", config).save_pretrained(tmp_path)
    full = albert.tf.TFAlbertForMaskedLM.from_pretrained(tmp_path)
    mixed = albert.tf.TFAlbertForMaskedLM.from_pretrained(tmp_path, dtype="mixed_bfloat16")
    inputs = make_inputs("AlbertForMaskedLM")
    low = mixed(**inputs).logits
    assert low.dtype == tf.bfloat16
    assert all(v.dtype == "float32" for v in mixed.trainable_variables)
    np.testing.assert_allclose(tf.cast(low, tf.float32), full(**inputs).logits, atol=0.05)


@pytest.mark.parametrize(
    "bad,message",
    [
        (dict(input_ids=np.array([[1, 200]])), "input_ids contains 200"),
        (dict(input_ids=np.array([1, 2])), "input_ids must have shape"),
        (dict(input_ids=np.array([[1, 2]]), attention_mask=np.ones((1, 3))), "attention_mask has shape"),
        (dict(input_ids=np.zeros((1, 40), dtype=np.int64)), "exceeds max_position_embeddings"),
        (dict(input_ids=np.zeros((1, 0), dtype=np.int64)), "no positions"),
        (dict(input_ids=np.array([[1, 2]]), token_type_ids=np.array([[0, 5]])), "token_type_ids contains 5"),
        (dict(input_ids=np.array([[1, 2]]), head_mask=np.ones(3)), "head_mask must have shape"),
    ],
)
def test_bad_input_clear_error(bad: dict, message: str) -> None:
    tfm = albert.tf.TFAlbertModel(config_for("shared"))
    with pytest.raises(ValueError, match=message):
        tfm(**bad)
