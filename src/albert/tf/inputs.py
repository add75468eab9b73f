"""Input validation for `TFAlbertModel.call`: the checks of `albert.model.inputs`, on TensorFlow tensors.

Shapes are checked whenever they are known (always in eager mode, and for the static dimensions inside
`tf.function`). Value ranges (token ids inside the vocabulary, ...) and the sequence length are checked
in both modes with the same wording: a `ValueError` in eager mode, and a `tf.debugging.Assert` in the
graph inside `tf.function` (`infer`, SavedModel, Keras `fit` / `predict`), where a bad id would otherwise
fail deep in the embedding gather on CPU and silently give zero vectors on GPU. XLA (`jit_compile=True`)
drops graph assertions, so there the checks do not run.
"""

from __future__ import annotations

import numpy as np
import tensorflow as tf

from albert.config import AlbertConfig
from albert.model.inputs import warn_if_padded

_NO_POSITIONS = (
    "the input has no positions (shape {shape}): give each sequence at least one token (the tokenizer "
    "adds [CLS] and [SEP])"
)


def check_inputs(
    config: AlbertConfig,
    input_ids: tf.Tensor | None,
    attention_mask: tf.Tensor | None,
    token_type_ids: tf.Tensor | None,
    position_ids: tf.Tensor | None,
    inputs_embeds: tf.Tensor | None,
) -> tuple[tf.Tensor | None, tf.Tensor, tf.Tensor, tf.Tensor]:
    """Validate, convert, fill the defaults. Returns ids, mask (B, T), token types (B, T), positions.

    Inside `tf.function` the returned tensors are readable only after the value checks have passed, so
    that a bad id fails the assertion and not the embedding gather it guards."""
    checks: list[tf.Operation | None] = []  # graph-mode assertions (None in eager mode)
    if (input_ids is None) == (inputs_embeds is None):
        raise ValueError("pass exactly one of input_ids or inputs_embeds (got both or neither)")
    if input_ids is not None:
        input_ids = tf.convert_to_tensor(input_ids)
        if input_ids.shape.rank != 2:
            raise ValueError(f"input_ids must have shape (batch, seq_len), got {tuple(input_ids.shape)}")
        if input_ids.dtype.is_floating:
            raise ValueError(f"input_ids must be integer token ids, got dtype {input_ids.dtype.name}")
        checks.append(_check_range("input_ids", input_ids, config.vocab_size, "vocab_size"))
        first = input_ids
    else:
        inputs_embeds = tf.convert_to_tensor(inputs_embeds)
        if inputs_embeds.shape.rank != 3 or inputs_embeds.shape[-1] != config.embedding_size:
            raise ValueError(
                f"inputs_embeds must have shape (batch, seq_len, embedding_size={config.embedding_size}), "
                f"got {tuple(inputs_embeds.shape)} (ALBERT embeds in E, not in the hidden size)"
            )
        first = inputs_embeds
    if first.shape[1] == 0:
        raise ValueError(_NO_POSITIONS.format(shape=tuple(first.shape)))
    checks.append(_check_length(first, config.max_position_embeddings))
    shape = tf.shape(first)[:2]
    eager_ids = input_ids is not None and tf.executing_eagerly()  # a graph has no values to look at
    if attention_mask is None and eager_ids and config.pad_token_id is not None:
        warn_if_padded(input_ids.numpy(), config.pad_token_id)
    attention_mask = _fill("attention_mask", attention_mask, first, shape, tf.ones)
    token_type_ids = _fill("token_type_ids", token_type_ids, first, shape, tf.zeros)
    checks.append(_check_range("token_type_ids", token_type_ids, config.type_vocab_size, "type_vocab_size"))
    if position_ids is None:
        position_ids = tf.range(shape[1])[None, :]  # (1, T), broadcast over B
    else:
        position_ids = tf.convert_to_tensor(position_ids)
        if position_ids.shape.rank != 2 or not _compatible(position_ids.shape[-1], first.shape[1]):
            raise ValueError(
                f"position_ids must have shape (batch or 1, seq_len), got {tuple(position_ids.shape)}"
            )
        limit = config.max_position_embeddings
        checks.append(_check_range("position_ids", position_ids, limit, "max_position_embeddings"))
    return _after(checks, input_ids, attention_mask, token_type_ids, position_ids)


def expand_head_mask(config: AlbertConfig, head_mask, dtype: tf.DType) -> tf.Tensor | None:
    """(N,) | (L, N) | (L * I, N) -> (L * I, 1, N, 1, 1): one row per layer run, in run order."""
    if head_mask is None:
        return None
    head_mask = tf.convert_to_tensor(head_mask)
    runs, n, layers = (
        config.num_hidden_layers * config.inner_group_num,
        config.num_attention_heads,
        config.num_hidden_layers,
    )
    shape = tuple(head_mask.shape)
    if shape == (n,):
        head_mask = tf.broadcast_to(head_mask[None, :], (runs, n))
    elif shape == (layers, n):
        head_mask = tf.repeat(head_mask, config.inner_group_num, axis=0)
    elif shape != (runs, n):
        raise ValueError(f"head_mask must have shape ({n},), ({layers}, {n}) or ({runs}, {n}), got {shape}")
    return tf.cast(head_mask, dtype)[:, None, :, None, None]


def _compatible(a: int | None, b: int | None) -> bool:
    return a is None or b is None or a == b


def _fill(name: str, value, first: tf.Tensor, shape: tf.Tensor, default) -> tf.Tensor:
    """`value` as an int32 tensor of shape (B, T), or the default (ones / zeros) when None."""
    if value is None:
        return default(shape, dtype=tf.int32)
    value = tf.convert_to_tensor(value)
    if value.shape.rank != 2 or not all(_compatible(a, b) for a, b in zip(value.shape, first.shape[:2])):
        raise ValueError(
            f"{name} has shape {tuple(value.shape)} but the input has shape {tuple(first.shape[:2])}"
        )
    return value


def _range_message(name: str, size: int, field: str) -> tuple[str, str]:
    """The text around the offending value: `before + str(value) + after` is the whole message."""
    return f"{name} contains ", (
        f", outside [0, {size - 1}] (config.{field} = {size}); check that the tokenizer matches the model"
    )


def _length_message(limit: int) -> tuple[str, str]:
    """The text around the offending length: `before + str(length) + after` is the whole message."""
    return "sequence length ", (
        f" exceeds max_position_embeddings ({limit}); truncate the input "
        "(tokenizer(..., truncation=True, max_length=...)) or split it into windows"
    )


def _check_range(name: str, ids: tf.Tensor, size: int, field: str) -> tf.Operation | None:
    """Every value of `ids` (any shape, integers) must lie in [0, size): ValueError in eager mode; in the
    graph, returns the assertion (its message holds the offending value)."""
    before, after = _range_message(name, size, field)
    if not tf.executing_eagerly():
        # Empty tensors pass: reduce_max is the dtype's lowest value, reduce_min its highest.
        low, high = tf.reduce_min(ids), tf.reduce_max(ids)
        size_t = tf.cast(size, ids.dtype)
        bad = tf.where(high >= size_t, high, low)
        in_range = tf.logical_and(low >= 0, high < size_t)
        return tf.debugging.Assert(in_range, [before, bad, after], name=f"check_{name}")
    values = np.asarray(ids)
    if values.size == 0:
        return None
    low, high = int(values.min()), int(values.max())
    if low < 0 or high >= size:
        raise ValueError(f"{before}{high if high >= size else low}{after}")
    return None


def _check_length(first: tf.Tensor, limit: int) -> tf.Operation | None:
    """T = first.shape[1] must be <= limit: ValueError when T is static (always in eager mode); when it
    is known only at run time, returns the graph assertion."""
    before, after = _length_message(limit)
    t_static = first.shape[1]
    if t_static is not None:
        if t_static > limit:
            raise ValueError(f"{before}{t_static}{after}")
        return None
    t = tf.shape(first)[1]
    return tf.debugging.Assert(t <= limit, [before, t, after], name="check_sequence_length")


def _after(checks: list[tf.Operation | None], *tensors: tf.Tensor | None) -> tuple:
    """`tensors`, made to wait for the graph assertions in `checks` (unchanged when there are none).
    Without this dependency TF may run the embedding gather first, which fails with its own message on
    CPU and returns zero vectors on GPU."""
    ops = [op for op in checks if op is not None]
    if not ops:
        return tensors
    with tf.control_dependencies(ops):
        return tuple(None if t is None else tf.identity(t) for t in tensors)
