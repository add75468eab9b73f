"""Labels of the TF classes: integer class ids of any width, float or bool class ids refused (a cast
would cut 1.7 to 1, and -99.5 to a class), label shapes known only when a graph runs, the padding warning
and `from_pretrained(add_pooling_layer=False)` as on the torch classes."""

from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf

import albert
import albert.tf
from albert.model import inputs as torch_inputs
from tests.conftest import flat_multiple_choice_case
from tests.tf.conftest import config_for, make_inputs, make_labels

HEADS_AND_FLOAT_LABELS = {
    "TFAlbertForMaskedLM": {"labels": "labels"},
    "TFAlbertForPreTraining": {"sentence_order_label": "sentence_order_label"},
    "TFAlbertForMultipleChoice": {"labels": "labels"},
    "TFAlbertForTokenClassification": {"labels": "labels"},
    "TFAlbertForQuestionAnswering": {"start_positions": "start_positions"},
}


@pytest.mark.parametrize("cls_name", HEADS_AND_FLOAT_LABELS)
def test_float_class_ids_are_a_type_error_naming_them(cls_name: str) -> None:
    model = getattr(albert.tf, cls_name)(config_for("shared"))
    labels = make_labels(cls_name)
    [(key, name)] = HEADS_AND_FLOAT_LABELS[cls_name].items()
    labels[key] = labels[key].astype(np.float32) + 0.3
    with pytest.raises(TypeError, match=rf"{name} must be integer class ids .* float32 tensor; .*tf.cast"):
        model(**make_inputs(cls_name), **labels)


def test_single_label_classification_refuses_float_labels() -> None:
    config = config_for("shared", problem_type="single_label_classification")
    model = albert.tf.TFAlbertForSequenceClassification(config)
    with pytest.raises(TypeError, match="labels must be integer class ids"):
        model(**make_inputs("AlbertForSequenceClassification"), labels=np.array([1.0, 0.0]))


@pytest.mark.parametrize("dtype", [np.int8, np.int16, np.int32, np.uint8, np.int64])
def test_integer_labels_of_any_width_give_the_int64_loss(dtype) -> None:
    model = albert.tf.TFAlbertForTokenClassification(config_for("shared"))
    inputs = make_inputs("AlbertForTokenClassification")
    labels = make_labels("AlbertForTokenClassification")["labels"]
    reference = float(model(**inputs, labels=labels).loss)
    if np.issubdtype(dtype, np.unsignedinteger):
        labels = np.where(labels < 0, 0, labels)  # no -100 in an unsigned type
        reference = float(model(**inputs, labels=labels).loss)
    assert float(model(**inputs, labels=labels.astype(dtype)).loss) == pytest.approx(reference, abs=1e-6)


def test_multi_label_labels_of_unknown_shape_in_a_graph() -> None:
    """Labels (None, None) in a tf.function (a generator dataset's spec): checked when the graph runs."""
    config = config_for("shared", num_labels=3, problem_type="multi_label_classification")
    model = albert.tf.TFAlbertForSequenceClassification(config)
    inputs = make_inputs("AlbertForSequenceClassification")
    ids = tf.constant(inputs["input_ids"], tf.int32)
    labels = np.array([[1, 0, 1], [0, 0, 1]], np.float32)
    loss = tf.function(
        lambda i, y: model(input_ids=i, labels=y).loss,
        input_signature=[tf.TensorSpec((None, None), tf.int32), tf.TensorSpec((None, None), tf.float32)],
    )
    np.testing.assert_allclose(
        float(loss(ids, labels)), float(model(input_ids=ids, labels=labels).loss), atol=1e-6
    )
    with pytest.raises(tf.errors.InvalidArgumentError, match="multi-label classification needs labels"):
        loss(ids, labels[:, :2])
    with pytest.raises(ValueError, match=r"needs labels of shape \(2, 3\) .* got \(2, 2\)"):
        model(input_ids=ids, labels=labels[:, :2])


def test_answer_positions_of_unknown_rank_in_a_graph() -> None:
    model = albert.tf.TFAlbertForQuestionAnswering(config_for("shared"))
    inputs = make_inputs("AlbertForQuestionAnswering")
    ids = tf.constant(inputs["input_ids"], tf.int32)
    start, end = np.array([1, 3]), np.array([2, 40])  # 40: outside the sequence, ignored
    loss = tf.function(
        lambda i, s, e: model(input_ids=i, start_positions=s, end_positions=e).loss,
        input_signature=[tf.TensorSpec((None, None), tf.int32)] + [tf.TensorSpec(None, tf.int64)] * 2,
    )
    eager = float(model(input_ids=ids, start_positions=start, end_positions=end).loss)
    np.testing.assert_allclose(float(loss(ids, start, end)), eager, atol=1e-6)
    np.testing.assert_allclose(float(loss(ids, start[:, None], end[:, None])), eager, atol=1e-6)


def test_padding_without_a_mask_is_warned_about(caplog) -> None:
    torch_inputs._warn_once.cache_clear()
    model = albert.tf.TFAlbertModel(config_for("shared"))
    padded = np.array([[2, 7, 9, 3], [2, 8, 3, 0]])
    with caplog.at_level("WARNING", logger="albert.model.inputs"):
        model(input_ids=padded, attention_mask=(padded != 0).astype(np.int32))
        assert not caplog.records
        model(input_ids=padded)
    assert ["no attention_mask was given" in r.getMessage() for r in caplog.records] == [True]


def test_from_pretrained_takes_add_pooling_layer(tmp_path) -> None:
    albert.tf.TFAlbertModel(config_for("shared")).save_pretrained(tmp_path)
    model = albert.tf.TFAlbertModel.from_pretrained(tmp_path, add_pooling_layer=False)
    assert model.pooler is None and not any("pooler" in name for name in model.named_variables())
    out = model(**make_inputs("AlbertModel"))
    full = albert.tf.TFAlbertModel.from_pretrained(tmp_path)(**make_inputs("AlbertModel"))
    assert out.pooler_output is None
    np.testing.assert_allclose(out.last_hidden_state, full.last_hidden_state, atol=1e-6)
    with pytest.raises(ValueError, match="add_pooling_layer"):
        albert.tf.TFAlbertForMaskedLM.from_pretrained(tmp_path, add_pooling_layer=False)


def test_multiple_choice_takes_one_row_of_positions_and_a_flat_mask(tmp_path) -> None:
    """As transformers (and our torch class): every input flattened to (-1, T)."""
    inputs, ref = flat_multiple_choice_case(tmp_path, config_for("shared"))
    model = albert.tf.TFAlbertForMultipleChoice.from_pretrained(tmp_path)
    np.testing.assert_allclose(np.asarray(model(**inputs).logits), ref, atol=1e-5)
