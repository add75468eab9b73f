"""Input value checks inside `tf.function` (`infer`, the SavedModel signature, Keras `fit` / `predict`):
an id outside its table or a sequence longer than max_position_embeddings fails our assertion, whose
message is the eager `ValueError`'s, and not the embedding gather (which on GPU returns zeros)."""

from __future__ import annotations

import re

import keras
import numpy as np
import pytest
import tensorflow as tf

import albert.tf
from tests.tf.conftest import config_for

# (inputs, the eager error's text): vocab 99, type_vocab 2, max_position_embeddings 32
BAD_INPUTS = {
    "id over the vocabulary": (dict(input_ids=[[5, 6, 150]]), "input_ids contains 150, outside [0, 98]"),
    "negative id": (dict(input_ids=[[5, -3, 6]]), "input_ids contains -3, outside [0, 98]"),
    "token type": (dict(input_ids=[[5, 6]], token_type_ids=[[0, 2]]), "token_type_ids contains 2"),
    "position": (dict(input_ids=[[5, 6]], position_ids=[[0, 40]]), "position_ids contains 40"),
    "too long": (dict(input_ids=[[5] * 40]), "sequence length 40 exceeds max_position_embeddings (32)"),
}


def eager_message(model: albert.tf.TFAlbertPreTrainedModel, inputs: dict) -> str:
    with pytest.raises(ValueError) as caught:
        model(**inputs)
    return str(caught.value)


def graph_message_as_text(error: tf.errors.InvalidArgumentError) -> str:
    """tf.debugging.Assert prints each piece in brackets: "assertion failed: [a] [150] [b]" -> "a150b"."""
    pieces = re.search(r"assertion failed: \[(.*)\]$", error.message, re.MULTILINE)
    assert pieces, error.message
    return pieces.group(1).replace("] [", "")


@pytest.mark.parametrize("case", BAD_INPUTS)
def test_graph_checks_give_the_eager_message(case):
    model = albert.tf.TFAlbertModel(config_for("shared"))
    inputs, text = BAD_INPUTS[case]
    inputs = {k: tf.constant(v, tf.int32) for k, v in inputs.items()}
    eager = eager_message(model, inputs)
    assert text in eager
    dynamic = tf.TensorSpec((None, None), tf.int32)  # T unknown: the length is checked at run time
    graph = tf.function(
        lambda kw: model(**kw).last_hidden_state, input_signature=[{k: dynamic for k in inputs}]
    )
    with pytest.raises(tf.errors.InvalidArgumentError, match="assertion failed") as caught:
        graph(inputs)
    assert graph_message_as_text(caught.value) in eager  # the same words (Keras wraps the eager one)
    assert text in graph_message_as_text(caught.value)


def test_infer_and_predict_check_ids_and_length():
    model = albert.tf.TFAlbertForSequenceClassification(config_for("shared"))
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"input_ids contains \] \[150\]"):
        model.infer(tf.constant([[5, 6, 150]]))
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"sequence length \] \[40\] \[ exceeds"):
        model.infer(tf.fill((1, 40), 5))
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"input_ids contains \] \[150\]"):
        model.predict(np.array([[5, 6, 150]], np.int32), verbose=0)
    good = tf.constant([[5, 6, 7]])
    np.testing.assert_allclose(model.infer(good)["logits"], model(input_ids=good).logits, atol=1e-6)


def test_multiple_choice_and_inputs_embeds_are_checked_in_graphs():
    choices = albert.tf.TFAlbertForMultipleChoice(config_for("shared"))
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"input_ids contains \] \[99\]"):
        choices.infer(tf.constant([[[5, 6], [7, 99]]]))
    encoder = albert.tf.TFAlbertModel(config_for("shared"))
    embeds = tf.TensorSpec((None, None, encoder.config.embedding_size), tf.float32)
    graph = tf.function(lambda e: encoder(inputs_embeds=e).last_hidden_state, input_signature=[embeds])
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"sequence length \] \[33\]"):
        graph(tf.zeros((1, 33, encoder.config.embedding_size)))
    assert graph(tf.zeros((1, 32, encoder.config.embedding_size))).shape == (1, 32, 16)


def test_xla_compiled_training_still_runs():
    """XLA drops graph assertions: jit_compile=True fit must keep working (unchecked there)."""
    model = albert.tf.TFAlbertForSequenceClassification(config_for("shared"))
    model.compile(optimizer=keras.optimizers.SGD(0.1), jit_compile=True)
    x, y = np.full((2, 5), 7, np.int32), np.array([0, 1], np.int32)
    history = model.fit(x, y, epochs=1, verbose=0)
    assert np.isfinite(history.history["loss"][0])
