"""Attention math in TensorFlow: the explicit ("eager") path of `albert.model.attention`, the same
formulas in the same order (additive padding mask, unscaled Shaw relative terms added after the mask,
softmax in the compute dtype, dropout, then `head_mask` on the probabilities).

Notation: B batch, N heads, T tokens, D head size.
"""

from __future__ import annotations

import math

import tensorflow as tf


def padding_mask_to_additive(attention_mask: tf.Tensor, dtype: tf.DType) -> tf.Tensor:
    """(B, T) mask with 1 = attend, 0 = padding -> (B, 1, 1, T) additive mask in `dtype`."""
    mask = tf.cast(attention_mask[:, None, None, :], dtype)
    return (1.0 - mask) * dtype.min


def relative_position_scores(
    query: tf.Tensor,
    key: tf.Tensor,
    distance_embedding: tf.Tensor,
    *,
    max_position_embeddings: int,
    with_key: bool,
) -> tf.Tensor:
    """Shaw-style relative position terms (not scaled). query, key (B, N, T, D); table (2P - 1, D).

    Returns (B, N, T, T): q_l . e(l - r) [+ k_r . e(l - r) for "relative_key_query"].
    """
    t = tf.shape(query)[2]
    positions = tf.range(t)
    distance = positions[:, None] - positions[None, :]  # (T, T), l - r
    table = tf.gather(distance_embedding, distance + max_position_embeddings - 1)  # (T, T, D)
    table = tf.cast(table, query.dtype)
    scores = tf.einsum("bhld,lrd->bhlr", query, table)
    if with_key:
        scores = scores + tf.einsum("bhrd,lrd->bhlr", key, table)
    return scores


def eager_attention(
    query: tf.Tensor,
    key: tf.Tensor,
    value: tf.Tensor,
    *,
    additive_mask: tf.Tensor | None,
    head_mask: tf.Tensor | None,
    dropout,
    training: bool,
    extra_scores: tf.Tensor | None = None,
) -> tuple[tf.Tensor, tf.Tensor]:
    """softmax(q k^T / sqrt(D) + mask [+ relative]) v. Returns (context (B,N,T,D), probs (B,N,T,T)).

    `dropout` is the attention-probability dropout layer (a Keras `Dropout`)."""
    scale = tf.cast(math.sqrt(query.shape[-1]), query.dtype)
    scores = tf.matmul(query, key, transpose_b=True) / scale  # (B, N, T, T)
    if additive_mask is not None:
        scores = scores + additive_mask
    if extra_scores is not None:
        scores = scores + extra_scores
    probs = tf.nn.softmax(scores, axis=-1)
    probs = dropout(probs, training=training)
    if head_mask is not None:
        probs = probs * head_mask
    return tf.matmul(probs, value), probs
