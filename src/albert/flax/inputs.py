"""Input validation for the Flax encoder: the checks of `albert.model.inputs` on numpy or jax arrays.

Shapes and dtypes are static, so they are checked even under `jax.jit`; id ranges are checked only
when the values are concrete (an eager call), since a traced array has no values yet.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from albert.config import AlbertConfig
from albert.model.inputs import warn_if_padded

_NO_POSITIONS = (
    "the input has no positions (shape {shape}): give each sequence at least one token (the tokenizer "
    "adds [CLS] and [SEP])"
)


def check_inputs(
    config: AlbertConfig,
    input_ids: jax.Array | None,
    attention_mask: jax.Array | None,
    token_type_ids: jax.Array | None,
    position_ids: jax.Array | None,
    inputs_embeds: jax.Array | None,
) -> tuple[jax.Array | None, jax.Array, jax.Array, jax.Array]:
    """Validate shapes and ranges, fill the defaults. Returns ids, mask, token types, positions."""
    if (input_ids is None) == (inputs_embeds is None):
        raise ValueError("pass exactly one of input_ids or inputs_embeds (got both or neither)")
    if input_ids is not None:
        input_ids = jnp.asarray(input_ids)
        if input_ids.ndim != 2:
            raise ValueError(f"input_ids must have shape (batch, seq_len), got {tuple(input_ids.shape)}")
        if not jnp.issubdtype(input_ids.dtype, jnp.integer):
            raise ValueError(f"input_ids must be integer token ids, got dtype {input_ids.dtype}")
        b, t = input_ids.shape
        check_range("input_ids", input_ids, config.vocab_size, "config.vocab_size")
    else:
        inputs_embeds = jnp.asarray(inputs_embeds)
        if inputs_embeds.ndim != 3 or inputs_embeds.shape[-1] != config.embedding_size:
            raise ValueError(
                f"inputs_embeds must have shape (batch, seq_len, embedding_size={config.embedding_size}), "
                f"got {tuple(inputs_embeds.shape)} (ALBERT embeds in E, not in the hidden size)"
            )
        b, t = inputs_embeds.shape[:2]
    if t == 0:
        raise ValueError(_NO_POSITIONS.format(shape=(b, t)))
    if t > config.max_position_embeddings and position_ids is None:
        raise ValueError(
            f"sequence length {t} exceeds max_position_embeddings ({config.max_position_embeddings}); "
            "truncate the input (tokenizer(..., truncation=True, max_length=...)) or split it into windows"
        )
    if attention_mask is None:
        concrete = input_ids is not None and not isinstance(input_ids, jax.core.Tracer)
        if concrete and config.pad_token_id is not None:
            warn_if_padded(np.asarray(input_ids), config.pad_token_id)
        attention_mask = jnp.ones((b, t), dtype=jnp.int32)
    elif tuple(jnp.shape(attention_mask)) != (b, t):
        raise ValueError(
            f"attention_mask has shape {tuple(jnp.shape(attention_mask))} but the input has shape {(b, t)}"
        )
    if token_type_ids is None:
        token_type_ids = jnp.zeros((b, t), dtype=jnp.int32)
    else:
        if tuple(jnp.shape(token_type_ids)) != (b, t):
            raise ValueError(
                f"token_type_ids has shape {tuple(jnp.shape(token_type_ids))} but the input has shape {(b, t)}"
            )
        check_range("token_type_ids", token_type_ids, config.type_vocab_size, "config.type_vocab_size")
    if position_ids is None:
        position_ids = jnp.arange(t)[None, :]  # (1, T), broadcast over B
    else:
        shape = tuple(jnp.shape(position_ids))
        if len(shape) != 2 or shape[-1] != t or shape[0] not in (1, b):
            raise ValueError(f"position_ids must have shape (batch or 1, {t}), got {shape}")
        check_range(
            "position_ids", position_ids, config.max_position_embeddings, "config.max_position_embeddings"
        )
    return input_ids, jnp.asarray(attention_mask), jnp.asarray(token_type_ids), jnp.asarray(position_ids)


def expand_head_mask(config: AlbertConfig, head_mask: jax.Array | None, dtype: jnp.dtype) -> jax.Array | None:
    """(N,) | (L, N) | (L * I, N) -> (L * I, 1, N, 1, 1): one row per layer run, in run order."""
    if head_mask is None:
        return None
    head_mask = jnp.asarray(head_mask)
    runs, n = config.num_hidden_layers * config.inner_group_num, config.num_attention_heads
    if head_mask.shape == (n,):
        head_mask = jnp.broadcast_to(head_mask, (runs, n))
    elif head_mask.shape == (config.num_hidden_layers, n):
        head_mask = jnp.repeat(head_mask, config.inner_group_num, axis=0)
    elif head_mask.shape != (runs, n):
        raise ValueError(
            f"head_mask must have shape ({n},), ({config.num_hidden_layers}, {n}) or ({runs}, {n}), "
            f"got {tuple(head_mask.shape)}"
        )
    return head_mask.astype(dtype)[:, None, :, None, None]


def check_range(
    name: str,
    ids: jax.Array,
    size: int,
    what: str,
    *,
    ignore: int | None = None,
    fix: str = "check that the tokenizer matches the model",
) -> None:
    """Raise if the integer array `ids` (any shape) has a value outside [0, size) other than `ignore`.

    Only concrete arrays are checked: under `jax.jit` the values do not exist yet (the caller's shape
    checks still run). `what` names where `size` comes from (e.g. "config.vocab_size").
    """
    if isinstance(ids, jax.core.Tracer) or np.size(ids) == 0:
        return  # traced: no values to check
    values = np.asarray(ids)
    if ignore is not None:
        values = values[values != ignore]
        if values.size == 0:
            return
    low, high = int(values.min()), int(values.max())
    if low < 0 or high >= size:
        bad = high if high >= size else low
        raise ValueError(f"{name} contains {bad}, outside [0, {size - 1}] ({what} = {size}); {fix}")
