"""Input validation for `AlbertModel.forward`: bad input gets a clear error, not an index error deep
inside torch; missing inputs get the reference's defaults."""

from __future__ import annotations

import functools
import logging

import numpy as np
import torch

from albert.config import AlbertConfig
from albert.model.unpad import graph_is_recorded

logger = logging.getLogger(__name__)

_NO_POSITIONS = (
    "the input has no positions (shape {shape}): give each sequence at least one token (the tokenizer "
    "adds [CLS] and [SEP])"
)


def check_inputs(
    config: AlbertConfig,
    input_ids: torch.Tensor | None,
    attention_mask: torch.Tensor | None,
    token_type_ids: torch.Tensor | None,
    position_ids: torch.Tensor | None,
    inputs_embeds: torch.Tensor | None,
) -> tuple[torch.Tensor | None, torch.Tensor, torch.Tensor, torch.Tensor]:
    """Validate shapes and ranges, fill the defaults. Returns ids, mask, token types, positions."""
    if (input_ids is None) == (inputs_embeds is None):
        raise ValueError("pass exactly one of input_ids or inputs_embeds (got both or neither)")
    if input_ids is not None:
        if input_ids.dim() != 2:
            raise ValueError(f"input_ids must have shape (batch, seq_len), got {tuple(input_ids.shape)}")
        if input_ids.dtype.is_floating_point:
            raise ValueError(f"input_ids must be integer token ids, got dtype {input_ids.dtype}")
        shape, device = input_ids.shape, input_ids.device
        _check_range("input_ids", input_ids, config.vocab_size, "vocab_size")
    else:
        if inputs_embeds.dim() != 3 or inputs_embeds.shape[-1] != config.embedding_size:
            raise ValueError(
                f"inputs_embeds must have shape (batch, seq_len, embedding_size={config.embedding_size}), "
                f"got {tuple(inputs_embeds.shape)} (ALBERT embeds in E, not in the hidden size)"
            )
        shape, device = inputs_embeds.shape[:2], inputs_embeds.device
    b, t = shape
    if t == 0:
        raise ValueError(_NO_POSITIONS.format(shape=(b, t)))
    if t > config.max_position_embeddings and position_ids is None:
        raise ValueError(
            f"sequence length {t} exceeds max_position_embeddings ({config.max_position_embeddings}); "
            "truncate the input (tokenizer(..., truncation=True, max_length=...)) or split it into windows"
        )
    if attention_mask is None:
        if input_ids is not None and config.pad_token_id is not None:
            warn_if_padded(input_ids, config.pad_token_id)
        attention_mask = torch.ones(b, t, device=device, dtype=torch.long)
    elif tuple(attention_mask.shape) != (b, t):
        raise ValueError(
            f"attention_mask has shape {tuple(attention_mask.shape)} but the input has shape {(b, t)}"
        )
    if token_type_ids is None:
        token_type_ids = torch.zeros(b, t, device=device, dtype=torch.long)
    else:
        if tuple(token_type_ids.shape) != (b, t):
            raise ValueError(
                f"token_type_ids has shape {tuple(token_type_ids.shape)} but the input has shape {(b, t)}"
            )
        _check_range("token_type_ids", token_type_ids, config.type_vocab_size, "type_vocab_size")
    if position_ids is None:
        position_ids = torch.arange(t, device=device).unsqueeze(0)  # (1, T), broadcast over B
    else:
        if position_ids.dim() != 2 or position_ids.shape[-1] != t or position_ids.shape[0] not in (1, b):
            raise ValueError(
                f"position_ids must have shape (batch or 1, {t}), got {tuple(position_ids.shape)}"
            )
        _check_range("position_ids", position_ids, config.max_position_embeddings, "max_position_embeddings")
    return input_ids, attention_mask, token_type_ids, position_ids


def check_output_positions(
    positions: torch.Tensor | None,
    shape: tuple[int, int],
    output_hidden_states: bool,
    output_attentions: bool,
) -> None:
    """`output_positions` must be a (B, T) bool mask, and rules out the outputs that need every position."""
    if positions is None:
        return
    if positions.dtype != torch.bool or tuple(positions.shape) != tuple(shape):
        raise ValueError(
            f"output_positions must be a bool tensor of the input's shape {tuple(shape)}, got "
            f"{positions.dtype} {tuple(positions.shape)} (e.g. input_ids == tokenizer.mask_token_id)"
        )
    if output_hidden_states or output_attentions:
        raise ValueError(
            "output_positions computes the last layer at those positions only, so it cannot return "
            "hidden_states or attentions of every position; drop one of them"
        )


def expand_head_mask(
    config: AlbertConfig, head_mask: torch.Tensor | None, dtype: torch.dtype
) -> torch.Tensor | None:
    """(N,) | (L, N) | (L * I, N) -> (L * I, 1, N, 1, 1): one row per layer run, in run order."""
    if head_mask is None:
        return None
    runs, n = config.num_hidden_layers * config.inner_group_num, config.num_attention_heads
    if head_mask.dim() == 1 and head_mask.shape[0] == n:
        head_mask = head_mask.expand(runs, n)
    elif head_mask.dim() == 2 and head_mask.shape == (config.num_hidden_layers, n):
        head_mask = head_mask.repeat_interleave(config.inner_group_num, dim=0)
    elif head_mask.dim() != 2 or head_mask.shape != (runs, n):
        raise ValueError(
            f"head_mask must have shape ({n},), ({config.num_hidden_layers}, {n}) or ({runs}, {n}), "
            f"got {tuple(head_mask.shape)}"
        )
    return head_mask.to(dtype)[:, None, :, None, None]


def warn_if_padded(input_ids: torch.Tensor | np.ndarray, pad_token_id: int) -> None:
    """Called when no attention_mask was given. A pad id at either end of a row: a padded batch whose
    padding every token attends to, so each row's outputs differ from the same text alone (transformers'
    torch classes warn too). input_ids (B, T), torch or numpy (the TF and Flax classes pass concrete ids)."""
    if graph_is_recorded() or min(input_ids.shape) == 0:  # recorded first: sizes are traced values there
        return
    if bool((input_ids[:, [0, -1]] == pad_token_id).any()):
        _warn_once(
            f"input_ids hold the pad id ({pad_token_id}) at the start or end of a row but no attention_mask was "
            "given, so the padding is attended to; pass the tokenizer's attention_mask with the ids"
        )


@functools.cache
def _warn_once(message: str) -> None:
    logger.warning(message)


def _check_range(name: str, ids: torch.Tensor, size: int, field: str) -> None:
    if graph_is_recorded() or ids.numel() == 0:  # a recorded graph cannot branch on the values
        return
    low, high = int(ids.min()), int(ids.max())
    if low < 0 or high >= size:
        bad = high if high >= size else low
        raise ValueError(
            f"{name} contains {bad}, outside [0, {size - 1}] (config.{field} = {size}); "
            "check that the tokenizer matches the model"
        )
