"""Attention math in jax.numpy, the same as `albert.model.attention`'s eager path.

- the additive padding mask `(1 - mask) * finfo.min`, shape (B, 1, 1, T);
- `head_mask` (1, N, 1, 1) multiplies the attention probabilities of each head;
- relative position scores (`relative_key`, `relative_key_query`) are added after the mask, unscaled.

Notation: B batch, N heads, T tokens, D head size.
"""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp


def padding_mask_to_additive(attention_mask: jax.Array, dtype: jnp.dtype) -> jax.Array:
    """(B, T) mask with 1 = attend, 0 = padding -> (B, 1, 1, T) additive mask in `dtype`."""
    mask = attention_mask[:, None, None, :].astype(dtype)
    return (1.0 - mask) * jnp.finfo(dtype).min


def relative_position_scores(
    query: jax.Array,
    key: jax.Array,
    distance_embedding: jax.Array,
    *,
    max_position_embeddings: int,
    with_key: bool,
) -> jax.Array:
    """Shaw-style relative position terms (not scaled).

    Args:
        query, key: (B, N, T, D).
        distance_embedding: (2 * max_position_embeddings - 1, D) table indexed by l - r.
        with_key: also add the key-side term ("relative_key_query").
    Returns:
        (B, N, T, T) scores.
    """
    t = query.shape[2]
    if t > max_position_embeddings:
        raise ValueError(
            f"sequence length {t} exceeds max_position_embeddings ({max_position_embeddings}), "
            "the range of the relative distance table"
        )
    positions = jnp.arange(t)
    distance = positions[:, None] - positions[None, :]  # (T, T), l - r
    table = distance_embedding[distance + max_position_embeddings - 1].astype(query.dtype)  # (T, T, D)
    scores = jnp.einsum("bhld,lrd->bhlr", query, table)
    if with_key:
        scores = scores + jnp.einsum("bhrd,lrd->bhlr", key, table)
    return scores


def attention_scores(
    query: jax.Array,
    key: jax.Array,
    additive_mask: jax.Array | None,
    extra_scores: jax.Array | None,
) -> jax.Array:
    """q k^T / sqrt(D) + mask [+ relative]: (B, N, T, T) pre-softmax scores."""
    scores = jnp.einsum("bhld,bhrd->bhlr", query, key) / math.sqrt(query.shape[-1])
    if additive_mask is not None:
        scores = scores + additive_mask
    if extra_scores is not None:  # the reference adds relative terms after the mask, unscaled
        scores = scores + extra_scores
    return scores
