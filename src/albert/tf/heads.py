"""Task heads on top of the TF encoder, and the losses of each task (plain functions), as
`albert.model.heads`: the MLM head projects H -> E and decodes with the word-embedding table (tied) plus
its own bias. Losses are computed in float32, -100 labels are ignored and the mean is over counted items
(as PyTorch's cross-entropy)."""

from __future__ import annotations

import keras
import tensorflow as tf

from albert.config import AlbertConfig
from albert.tf.activations import get_activation
from albert.tf.base import Layer, dense, embedding, layer_norm


class MaskedLMHead(Layer):
    """h (..., H) -> logits (..., V) = LN(act(dense(h))) @ table^T + bias; the table is the word embeddings
    (passed in) unless `tie_word_embeddings` is False, then the head's own `decoder` table."""

    def __init__(self, config: AlbertConfig, **kwargs) -> None:
        super().__init__(**kwargs)
        self.dense = dense(self, config.embedding_size, config)
        self.activation = get_activation(config.hidden_act)
        self.norm = layer_norm(self, config)
        self.bias = self.add_weight(shape=(config.vocab_size,), initializer="zeros", name="bias")
        self.decoder = None
        if not config.tie_word_embeddings:
            self.decoder = embedding(self, config.vocab_size, config.embedding_size, config)
            self.decoder.build((None,))

    def call(self, h: tf.Tensor, word_embeddings: tf.Tensor) -> tf.Tensor:
        x = self.norm(self.activation(self.dense(h)))  # (..., E)
        table = word_embeddings if self.decoder is None else self.decoder.embeddings  # (V, E)
        logits = tf.matmul(x, tf.cast(table, x.dtype), transpose_b=True)
        return logits + tf.cast(self.bias, x.dtype)


class SentenceOrderHead(Layer):
    """pooled (B, H) -> (B, num_labels) logits: original order (0) or swapped (1)."""

    def __init__(self, config: AlbertConfig, **kwargs) -> None:
        super().__init__(**kwargs)
        self.dropout = keras.layers.Dropout(classifier_dropout(config), dtype=self.dtype_policy)
        self.classifier = dense(self, config.num_labels, config)

    def call(self, pooled: tf.Tensor, training: bool = False) -> tf.Tensor:
        return self.classifier(self.dropout(pooled, training=training))


def classifier_dropout(config: AlbertConfig) -> float:
    """Dropout before a classifier: `classifier_dropout_prob`, or the hidden dropout when that is None."""
    p = config.classifier_dropout_prob
    return config.hidden_dropout_prob if p is None else p


# ----- losses ---------------------------------------------------------------------------------------


def class_ids(labels, name: str = "labels") -> tf.Tensor:
    """Class ids of any integer dtype as int64 (as `albert.model.heads.class_ids`); float or bool labels
    are a TypeError, where a cast would cut 1.7 to 1 and -99.5 (a mangled -100) to a class."""
    labels = tf.convert_to_tensor(labels)
    if not labels.dtype.is_integer:
        raise TypeError(
            f"{name} must be integer class ids (-100 = ignored), got a {labels.dtype.name} tensor; "
            f"convert them with tf.cast({name}, tf.int64)"
        )
    return tf.cast(labels, tf.int64)


def cross_entropy(
    logits: tf.Tensor, labels: tf.Tensor, ignore_index: int | tf.Tensor = -100, name: str = "labels"
) -> tf.Tensor:
    """Mean softmax cross-entropy over the items whose label is not `ignore_index`.
    logits (..., C), labels (...) integer class ids; NaN when every label is ignored (as PyTorch)."""
    logits = tf.reshape(tf.cast(logits, tf.float32), (-1, tf.shape(logits)[-1]))
    labels = tf.reshape(class_ids(labels, name), (-1,))
    counted = tf.not_equal(labels, tf.cast(ignore_index, tf.int64))
    safe = tf.where(counted, labels, tf.zeros_like(labels))
    losses = tf.nn.sparse_softmax_cross_entropy_with_logits(labels=safe, logits=logits)
    weights = tf.cast(counted, tf.float32)
    return tf.reduce_sum(losses * weights) / tf.reduce_sum(weights)


def sequence_classification_loss(logits: tf.Tensor, labels: tf.Tensor, problem_type: str) -> tf.Tensor:
    """logits (B, n). Regression: MSE; single label: CE over labels (B,); multi-label: BCE, labels (B, n)."""
    logits = tf.cast(logits, tf.float32)
    if problem_type == "regression":
        labels = tf.cast(labels, tf.float32)
        if logits.shape[-1] == 1:
            return tf.reduce_mean(tf.square(tf.squeeze(logits) - tf.squeeze(labels)))
        return tf.reduce_mean(tf.square(logits - labels))
    if problem_type == "single_label_classification":
        return cross_entropy(logits, labels)
    message = (
        f"multi-label classification needs labels of shape {tuple(logits.shape)} (one 0/1 column per "
        f"label), got {tuple(labels.shape)}"
    )
    if not labels.shape.is_compatible_with(logits.shape):
        raise ValueError(message)
    labels = tf.cast(labels, tf.float32)
    if not labels.shape.is_fully_defined():  # in a graph: the dimensions not known yet are checked there
        labels = tf.ensure_shape(labels, [None] * logits.shape.rank)
        check = tf.debugging.assert_equal(tf.shape(labels), tf.shape(logits), message=message)
        with tf.control_dependencies([check]):
            labels = tf.identity(labels)
    return tf.reduce_mean(tf.nn.sigmoid_cross_entropy_with_logits(labels=labels, logits=logits))


def infer_problem_type(num_labels: int, labels: tf.Tensor) -> str:
    """The reference's rule: one label -> regression; integer labels -> single-label; else multi-label."""
    if num_labels == 1:
        return "regression"
    return "single_label_classification" if labels.dtype.is_integer else "multi_label_classification"


def span_loss(start_logits, end_logits, start_positions, end_positions) -> tf.Tensor:
    """Mean of start and end cross-entropies. Positions outside [0, T) are ignored (clamped to T)."""
    t = start_logits.shape[1] if start_logits.shape[1] is not None else tf.shape(start_logits)[1]

    t = tf.cast(t, tf.int64)

    def clamp(positions: tf.Tensor, name: str) -> tf.Tensor:
        positions = tf.reshape(class_ids(positions, name), (-1,))  # (B,) or (B, 1) -> (B,)
        return tf.clip_by_value(positions, 0, t)

    start = cross_entropy(start_logits, clamp(start_positions, "start_positions"), ignore_index=t)
    end = cross_entropy(end_logits, clamp(end_positions, "end_positions"), ignore_index=t)
    return (start + end) / 2
