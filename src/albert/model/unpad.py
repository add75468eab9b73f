"""Padding removal: run the encoder on the real tokens only, packed back to back, and pad afterwards.

A batch of sentences of different lengths padded to the longest one spends most of its matrix
products on padding (32 sentences of 16..256 tokens: ~45% padding). Everything in the encoder except
attention acts on each token alone, so it can run on a packed (nnz, H) matrix of the real tokens;
attention runs per sequence on its slice of that matrix (`varlen_attention`). The result equals the
padded computation at every real position (the padded keys get exp(finfo.min) = exactly 0 weight
there); padded positions come back as zeros instead of the reference's meaningless values.

After mosaicml's `bert_padding.py` (`unpad_input` / `pad_input`), with plain `index_select` /
`index_copy`, whose autograd is already what their custom functions do on CPU.

Notation: B batch, T padded length, nnz real tokens in the batch, N heads, D head size, H = N * D.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F


@dataclass(frozen=True)
class Packing:
    """Where the real tokens of a (B, T) batch are.

    indices: (nnz,) flat positions b * T + t of the real tokens, in row-major order.
    cu_seqlens: B + 1 offsets: sequence b is rows cu_seqlens[b]:cu_seqlens[b + 1] of the packed matrix.
        Python ints, computed once per forward, so the per-layer loop never synchronises on a tensor.
    """

    indices: torch.Tensor
    cu_seqlens: tuple[int, ...]
    batch: int
    seq_len: int

    @classmethod
    def from_mask(cls, attention_mask: torch.Tensor) -> Packing:
        """attention_mask (B, T) with 1 = real token, 0 = padding (anywhere, not only at the end)."""
        b, t = attention_mask.shape
        keep = attention_mask.reshape(-1) != 0
        indices = keep.nonzero().squeeze(1)  # (nnz,); gather by index is faster than boolean indexing
        lengths = keep.view(b, t).sum(1).tolist()
        cu = [0]
        for n in lengths:
            cu.append(cu[-1] + n)
        return cls(indices=indices, cu_seqlens=tuple(cu), batch=b, seq_len=t)

    @property
    def nnz(self) -> int:
        return self.cu_seqlens[-1]


def can_unpad(attention_mask: torch.Tensor) -> bool:
    """True when the mask has padding to remove and only 0/1 values (the reference uses other values
    as partial additive biases, which packing cannot express)."""
    has_padding = not bool(attention_mask.all())
    return has_padding and bool(((attention_mask == 0) | (attention_mask == 1)).all())


def unpad_input(x: torch.Tensor, packing: Packing) -> torch.Tensor:
    """x (B, T, ...) -> (nnz, ...): the real tokens, back to back."""
    return x.reshape(packing.batch * packing.seq_len, *x.shape[2:]).index_select(0, packing.indices)


def pad_input(x: torch.Tensor, packing: Packing) -> torch.Tensor:
    """x (nnz, ...) -> (B, T, ...) with zeros at the padded positions."""
    rows = packing.batch * packing.seq_len
    out = x.new_zeros(rows, *x.shape[1:]).index_copy(0, packing.indices, x)
    return out.view(packing.batch, packing.seq_len, *x.shape[1:])


def varlen_attention(
    qkv: torch.Tensor,
    packing: Packing,
    *,
    head_mask: torch.Tensor | None,
    dropout_p: float,
    training: bool,
) -> torch.Tensor:
    """Self-attention of each sequence over its own tokens.

    Args:
        qkv: (nnz, 3, N, D) packed queries, keys and values.
        head_mask: (1, N, 1, 1) or None; multiplies each head's context (= its probabilities).
    Returns:
        context (nnz, H).
    """
    nnz, _, n, d = qkv.shape
    p = dropout_p if training else 0.0
    contexts = []
    # One SDPA call per sequence: no padded key is ever touched, and the call overhead (~tens of us)
    # is small next to the per-token matrix products. Equal-length neighbours could share a call,
    # but real batches rarely have them.
    for start, end in zip(packing.cu_seqlens[:-1], packing.cu_seqlens[1:]):
        if end == start:
            continue
        q, k, v = qkv[start:end].permute(1, 2, 0, 3).unsqueeze(1).unbind(0)  # each (1, N, L, D)
        ctx = F.scaled_dot_product_attention(q, k, v, dropout_p=p)  # (1, N, L, D)
        if head_mask is not None:
            ctx = ctx * head_mask
        contexts.append(ctx[0].transpose(0, 1).reshape(end - start, n * d))  # (L, H)
    if not contexts:
        return qkv.new_zeros(nnz, n * d)
    return torch.cat(contexts) if len(contexts) > 1 else contexts[0]
