"""Keras `fit` / `evaluate` / `predict` on our TensorFlow classes, against transformers' TF classes
(Keras 2) fine-tuned the same way from the same weights."""

from __future__ import annotations

import keras
import numpy as np
import pytest
import tensorflow as tf
import torch

import albert
from tests.conftest import tiny_kwargs
from tests.tf.conftest import make_inputs, make_labels

transformers = pytest.importorskip("transformers", reason="transformers is the parity reference (test extra)")
tf_keras = pytest.importorskip("tf_keras", reason="transformers' TF classes need tf_keras (test extra)")

NO_DROPOUT = dict(hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0, classifier_dropout_prob=0.0)
CLASSES = ("AlbertForSequenceClassification", "AlbertForTokenClassification", "AlbertForQuestionAnswering",
           "AlbertForMaskedLM", "AlbertForMultipleChoice")  # fmt: skip


def batches(cls_name: str, n: int = 3) -> list[tuple[dict, dict]]:
    """`n` batches of (inputs, labels) as int32 arrays."""
    out = []
    for i in range(n):
        inputs = {k: v.astype(np.int32) for k, v in make_inputs(cls_name).items()}
        inputs["input_ids"] = (inputs["input_ids"] + 7 * i) % 90 + 5
        labels = {k: np.asarray(v).astype(np.int32) for k, v in make_labels(cls_name).items()}
        if "end_positions" in labels:  # inside the sequence: transformers' TF loss fails on others
            labels["end_positions"] = np.array([2, 5], np.int32)
        out.append((inputs, labels))
    return out


def as_dataset(data: list[tuple[dict, dict]], labels_as_y: bool) -> tf.data.Dataset:
    def gen():
        for x, y in data:
            yield (x, y["labels"] if labels_as_y and list(y) == ["labels"] else y)

    first = gen().__next__()
    signature = tf.nest.map_structure(lambda a: tf.TensorSpec(a.shape, tf.int32), first)
    dataset = tf.data.Dataset.from_generator(gen, output_signature=signature)
    # A known length: Keras 3.15 averages an extra, empty step into the logs of a dataset without one.
    return dataset.apply(tf.data.experimental.assert_cardinality(len(data)))


@pytest.mark.parametrize("cls_name", CLASSES)
def test_fit_and_evaluate_match_transformers(cls_name, tmp_path):
    torch.manual_seed(0)
    config = transformers.AlbertConfig(**tiny_kwargs(**NO_DROPOUT))
    getattr(transformers, cls_name)(config).save_pretrained(tmp_path)
    data = batches(cls_name)
    ours = getattr(albert, "TF" + cls_name).from_pretrained(tmp_path)
    theirs = getattr(transformers, "TF" + cls_name).from_pretrained(tmp_path, from_pt=True)
    ours.compile(optimizer=keras.optimizers.SGD(0.1))
    theirs.compile(optimizer=tf_keras.optimizers.SGD(0.1))
    got = ours.fit(as_dataset(data, labels_as_y=True), epochs=2, verbose=0, shuffle=False).history["loss"]
    want = theirs.fit(as_dataset(data, labels_as_y=False), epochs=2, verbose=0, shuffle=False).history["loss"]
    np.testing.assert_allclose(got, want, rtol=1e-4)
    assert got[1] < got[0]
    evaluated = ours.evaluate(as_dataset(data, labels_as_y=True), verbose=0, return_dict=True)["loss"]
    np.testing.assert_allclose(evaluated, theirs.evaluate(as_dataset(data, False), verbose=0), rtol=1e-4)
    # the trained weights: predictions on the first batch
    x = data[0][0]
    np.testing.assert_allclose(ours(x).to_tuple()[0], theirs(x)[0], atol=1e-4, rtol=1e-4)


def test_predict_gives_the_outputs_and_metrics_see_the_logits():
    config = albert.AlbertConfig(**tiny_kwargs(num_labels=2, **NO_DROPOUT))
    model = albert.TFAlbertForSequenceClassification(config)
    model.compile(optimizer=keras.optimizers.Adam(1e-3), metrics=["accuracy"])
    data = batches("AlbertForSequenceClassification", 2)
    logs = model.evaluate(as_dataset(data, labels_as_y=True), verbose=0, return_dict=True)
    expected = np.mean([np.argmax(model(**x).logits, -1) == y["labels"] for x, y in data])
    assert logs["accuracy"] == pytest.approx(expected)
    predicted = model.predict(as_dataset(data, labels_as_y=True), verbose=0)
    assert list(predicted) == ["logits"]
    np.testing.assert_allclose(predicted["logits"][:2], model(**data[0][0]).logits, atol=1e-6)


def test_fit_without_labels_or_with_sample_weights_is_a_clear_error():
    model = albert.TFAlbertForSequenceClassification(albert.AlbertConfig(**tiny_kwargs()))
    model.compile(optimizer="sgd")
    x = {"input_ids": np.full((2, 4), 5, np.int32)}
    with pytest.raises(ValueError, match="fit / evaluate need labels"):
        model.fit(x, epochs=1, verbose=0)
    with pytest.raises(ValueError, match="sample_weight is not supported"):
        model.fit(x, np.array([0, 1]), sample_weight=np.ones(2), epochs=1, verbose=0)


def test_question_answering_positions_past_the_end_are_ignored(tmp_path):
    """docs/differences.md: transformers' TF question answering fails on a position past the sequence
    (its torch class ignores it, as ours do in both frameworks)."""
    torch.manual_seed(0)
    transformers.AlbertForQuestionAnswering(transformers.AlbertConfig(**tiny_kwargs())).save_pretrained(
        tmp_path
    )
    x = {k: v.astype(np.int32) for k, v in make_inputs("AlbertForQuestionAnswering").items()}
    y = {"start_positions": np.array([1, 3], np.int32), "end_positions": np.array([2, 40], np.int32)}
    ours = albert.TFAlbertForQuestionAnswering.from_pretrained(tmp_path)
    loss = float(ours(**x, **y).loss)
    theirs_torch = transformers.AlbertForQuestionAnswering.from_pretrained(tmp_path).eval()
    with torch.no_grad():
        expected = theirs_torch(**{k: torch.as_tensor(v).long() for k, v in {**x, **y}.items()}).loss
    assert loss == pytest.approx(float(expected), abs=1e-5)
    theirs_tf = transformers.TFAlbertForQuestionAnswering.from_pretrained(tmp_path, from_pt=True)
    with pytest.raises(tf.errors.InvalidArgumentError, match="outside the valid range"):
        theirs_tf(x, **y)


def ten_times_cross_entropy(module):
    """A loss the model's own never equals: 10 x sparse softmax cross-entropy (Keras 3 or tf_keras)."""
    cross_entropy = module.losses.SparseCategoricalCrossentropy(from_logits=True)
    return lambda y_true, y_pred: 10.0 * cross_entropy(y_true, y_pred)


@pytest.mark.parametrize("cls_name", ["AlbertForSequenceClassification", "AlbertForQuestionAnswering"])
def test_a_compiled_loss_is_trained_on_as_in_transformers(cls_name, tmp_path):
    """compile(loss=...) replaces the model's loss (transformers' TF train_step does the same): labels
    as a tensor go with `logits`, a dict of labels with the outputs named for them (start/end_logits)."""
    torch.manual_seed(0)
    getattr(transformers, cls_name)(transformers.AlbertConfig(**tiny_kwargs(**NO_DROPOUT))).save_pretrained(
        tmp_path
    )
    data = batches(cls_name)
    ours = getattr(albert, "TF" + cls_name).from_pretrained(tmp_path)
    theirs = getattr(transformers, "TF" + cls_name).from_pretrained(tmp_path, from_pt=True)
    ours.compile(optimizer=keras.optimizers.SGD(0.1), loss=ten_times_cross_entropy(keras))
    theirs.compile(optimizer=tf_keras.optimizers.SGD(0.1), loss=ten_times_cross_entropy(tf_keras))
    got = ours.fit(as_dataset(data, labels_as_y=True), epochs=2, verbose=0, shuffle=False).history["loss"]
    want = theirs.fit(as_dataset(data, labels_as_y=True), epochs=2, verbose=0, shuffle=False).history["loss"]
    np.testing.assert_allclose(got, want, rtol=1e-4)
    model_loss = np.mean([float(ours(**x, **y).loss) for x, y in data])
    evaluated = ours.evaluate(as_dataset(data, labels_as_y=True), verbose=0, return_dict=True)["loss"]
    assert evaluated > 5 * model_loss  # the compiled loss, not the model's


def test_compile_without_a_loss_or_with_auto_trains_on_the_models_loss():
    """Also after an earlier compile(loss=...): Keras alone would keep that loss."""
    model = albert.TFAlbertForSequenceClassification(albert.AlbertConfig(**tiny_kwargs(**NO_DROPOUT)))
    data = batches("AlbertForSequenceClassification", 2)
    model_loss = np.mean([float(model(**x, **y).loss) for x, y in data])
    model.compile(optimizer="sgd", loss=ten_times_cross_entropy(keras))
    assert not model.trains_on_model_loss
    for loss in ({}, {"loss": "auto"}, {"loss": "passthrough"}):
        model.compile(optimizer="sgd", **loss)
        assert model.trains_on_model_loss
        logs = model.evaluate(as_dataset(data, labels_as_y=True), verbose=0, return_dict=True)
        assert logs["loss"] == pytest.approx(model_loss, rel=1e-5)


def test_a_compiled_loss_takes_sample_weights_labels_in_x_and_feeds_the_metrics():
    model = albert.TFAlbertForSequenceClassification(albert.AlbertConfig(**tiny_kwargs(**NO_DROPOUT)))
    model.compile(
        optimizer="sgd",
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )
    (x, y), _ = batches("AlbertForSequenceClassification", 2)
    per_example = keras.losses.sparse_categorical_crossentropy(
        y["labels"], model(**x).logits, from_logits=True
    )
    weights = np.array([1.0, 0.0], np.float32)
    logs = model.evaluate(x, y["labels"], sample_weight=weights, verbose=0, return_dict=True)
    assert logs["loss"] == pytest.approx(float(per_example[0]) / 2, rel=1e-5)  # Keras: sum / batch size
    logs = model.evaluate({**x, "labels": y["labels"]}, verbose=0, return_dict=True)  # labels in x
    assert logs["loss"] == pytest.approx(float(np.mean(per_example)), rel=1e-5)
    expected = np.mean(np.argmax(model(**x).logits, -1) == y["labels"])
    assert logs["accuracy"] == pytest.approx(expected)


def test_compiled_loss_labels_that_match_no_output_are_named():
    model = albert.TFAlbertForQuestionAnswering(albert.AlbertConfig(**tiny_kwargs()))
    model.compile(optimizer="sgd", loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    x = {"input_ids": np.full((2, 4), 5, np.int32)}
    y = {"start_positions": np.array([1, 2]), "span_end": np.array([2, 3])}
    with pytest.raises(ValueError, match=r"labels \['span_end'\] match no output"):
        model.fit(x, y, epochs=1, verbose=0)
