"""Attention kernels behind one signature: PyTorch SDPA (default) and the explicit "eager" math.

Both take projected queries/keys/values and return the context; only eager can also return the
attention probabilities. What the two paths share is written once:
- the additive padding mask `(1 - mask) * finfo.min`, shape (B, 1, 1, T), as in the reference;
- `head_mask` (B or 1, N, 1, 1) multiplies the probabilities of each head. Under SDPA we apply it to
  the context instead, which is the same product (ctx_h = (m_h * p_h) @ v = m_h * (p_h @ v)):
  transformers 4.x silently ignores `head_mask` under SDPA; we don't.
Relative position scores (`relative_key`, `relative_key_query`) need the raw scores, so they always
run the eager math, as in the reference.

Notation: B batch, N heads, T tokens, D head size.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F


def padding_mask_to_additive(attention_mask: torch.Tensor, dtype: torch.dtype) -> torch.Tensor:
    """(B, T) mask with 1 = attend, 0 = padding -> (B, 1, 1, T) additive mask in `dtype`.

    Non-binary values are used as they are (0.5 -> half the minimum), as transformers 4.x does.
    """
    mask = attention_mask[:, None, None, :].to(dtype)
    return (1.0 - mask) * torch.finfo(dtype).min


def relative_position_scores(
    query: torch.Tensor,
    key: torch.Tensor,
    distance_embedding: torch.Tensor,
    *,
    max_position_embeddings: int,
    with_key: bool,
) -> torch.Tensor:
    """Shaw-style relative position terms added to the attention scores (not scaled).

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
    positions = torch.arange(t, device=query.device)
    distance = positions[:, None] - positions[None, :]  # (T, T), l - r
    table = distance_embedding[distance + max_position_embeddings - 1].to(query.dtype)  # (T, T, D)
    scores = torch.einsum("bhld,lrd->bhlr", query, table)
    if with_key:
        scores = scores + torch.einsum("bhrd,lrd->bhlr", key, table)
    return scores


def eager_attention(
    query: torch.Tensor,
    key: torch.Tensor,
    value: torch.Tensor,
    *,
    additive_mask: torch.Tensor | None,
    head_mask: torch.Tensor | None,
    dropout_p: float,
    training: bool,
    extra_scores: torch.Tensor | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Explicit softmax(q k^T / sqrt(D) + mask [+ relative]) v. Returns (context (B,N,T,D), probs (B,N,T,T))."""
    scores = torch.matmul(query, key.transpose(-1, -2)) / math.sqrt(query.shape[-1])  # (B, N, T, T)
    if additive_mask is not None:
        scores = scores + additive_mask
    if extra_scores is not None:  # the reference adds relative terms after the mask, unscaled
        scores = scores + extra_scores
    probs = torch.softmax(scores, dim=-1)  # in the compute dtype, no fp32 upcast (as the reference)
    probs = F.dropout(probs, p=dropout_p, training=training)
    if head_mask is not None:
        probs = probs * head_mask
    return torch.matmul(probs, value), probs


def sdpa_attention(
    query: torch.Tensor,
    key: torch.Tensor,
    value: torch.Tensor,
    *,
    additive_mask: torch.Tensor | None,
    head_mask: torch.Tensor | None,
    dropout_p: float,
    training: bool,
) -> torch.Tensor:
    """Fused scaled-dot-product attention. Returns the context (B, N, T, D)."""
    context = F.scaled_dot_product_attention(
        query, key, value, attn_mask=additive_mask, dropout_p=dropout_p if training else 0.0
    )
    if head_mask is not None:
        context = context * head_mask
    return context
