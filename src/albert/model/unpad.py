"""Padding removal: run the encoder on the real tokens only, packed back to back, and pad afterwards.

A batch of sentences of different lengths padded to the longest one spends much of its matrix
products on padding (32 sentences of 16..256 tokens: 39% padding). Everything in the encoder except
attention acts on each token alone, so it can run on a packed (nnz, H) matrix of the real tokens;
attention runs on each sequence's own rows (`varlen_attention`). The result equals the padded
computation at every real position (the padded keys get exp(finfo.min) = exactly 0 weight there);
padded positions come back as zeros instead of the reference's meaningless values.

The attention kernel: the sequences are packed shortest first, so equal-length sequences sit back to
back and each run of them is one (count, N, L, D) view of the packed matrix: one SDPA call per
distinct length, no copy, no mask, no padded key. Measured against it (`bench/run.py attention`,
results/bench/attention.json, docs/performance.md): one SDPA call per sequence, padding
within length buckets (<= 10% extra tokens) with a key mask, re-padding the whole batch with a key
mask, and nested (jagged) tensors. On CPU every masked call leaves SDPA's fused kernel for a slower
one and padding adds quadratic work, and nested tensors run much slower still; one unmasked call per
length costs about what one call per sequence does when all lengths differ, and less on the
length-sorted batches the pipelines build, where lengths repeat.

Inference on a long packed batch runs in slices of whole sequences (`Packing.slices`,
`slice_rows`): every layer allocates its activations afresh, and a buffer above glibc's largest mmap
threshold (32 MiB; albert-base's rows x 4H FFN activation from ~2,700 tokens on) comes straight from
the kernel each time, paying a page fault per 4 KiB on first touch, twelve times per forward. Slices
whose widest activation stays under 24 MiB are served from the reused heap instead: 32 sentences of
16..256 tokens (5,005 rows) ran 3-4% faster in 2,048-row slices than whole, and 1,024 / 4,096-row
slices gained less (one Intel Xeon core, `bench/run.py varlen`). A padded batch on a CPU (one without
padding to remove, or with attentions asked for) is sliced along the batch the same way (`encode_padded`).
Sequences are independent, so the result is the same computation; with autograd recording nothing is
freed early and there is no slicing.

After mosaicml's `bert_padding.py` (`unpad_input` / `pad_input`), with plain `index_select` /
`index_copy`, whose autograd is already what their custom functions do on CPU.

Notation: B batch, T padded length, nnz real tokens in the batch, N heads, D head size, H = N * D.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import torch
import torch.nn.functional as F
from torch import nn


@dataclass(frozen=True)
class Packing:
    """Where the real tokens of a (B, T) batch are, packed sequence after sequence, shortest first.

    indices: (nnz,) flat positions b * T + t of the real tokens, in packed order: the sequences sorted
        by length (stable), each sequence's tokens in order.
    runs: (first packed row, number of sequences, length) of each group of equal-length sequences,
        back to back in the packed matrix. Python ints, computed once per forward, so the per-layer
        loop never synchronises on a tensor.
    """

    indices: torch.Tensor
    runs: tuple[tuple[int, int, int], ...]
    batch: int
    seq_len: int

    @classmethod
    def from_mask(cls, attention_mask: torch.Tensor) -> Packing:
        """attention_mask (B, T) with 1 = real token, 0 = padding (anywhere, not only at the end)."""
        b, t = attention_mask.shape
        keep = attention_mask != 0  # (B, T)
        lengths = keep.sum(1)  # (B,)
        order = torch.sort(lengths, stable=True).indices  # (B,) shortest first
        rows, cols = keep[order].nonzero(as_tuple=True)  # (nnz,) each, row-major in sorted order
        indices = order[rows] * t + cols  # gather by index is faster than boolean indexing
        runs, start = [], 0
        for length, count in zip(
            *(x.tolist() for x in torch.unique_consecutive(lengths[order], return_counts=True))
        ):
            runs.append((start, count, length))
            start += count * length
        return cls(indices=indices, runs=tuple(runs), batch=b, seq_len=t)

    @property
    def nnz(self) -> int:
        start, count, length = self.runs[-1]
        return start + count * length

    def rows_at(self, positions: torch.Tensor) -> torch.Tensor:
        """positions (B, T) bool, at real tokens only -> (M,) their packed rows, in row-major order."""
        row_of = torch.full((self.batch * self.seq_len,), -1, dtype=torch.long, device=self.indices.device)
        row_of[self.indices] = torch.arange(len(self.indices), device=self.indices.device)
        return row_of[positions.flatten().nonzero().squeeze(1)]

    def slices(self, max_rows: int) -> list[Packing]:
        """This packing cut into consecutive pieces of whole sequences, each at most `max_rows` rows (a
        longer sequence is a piece alone). A piece's runs count rows from its own first row; its indices
        are its own tokens' flat positions, so `pad_input` places a piece's rows in the full (B, T)."""
        pieces: list[Packing] = []
        runs: list[tuple[int, int, int]] = []
        first = rows = 0  # the piece's first packed row; rows in it so far

        def close() -> None:
            nonlocal first, rows, runs
            pieces.append(replace(self, indices=self.indices[first : first + rows], runs=tuple(runs)))
            first, rows, runs = first + rows, 0, []

        for _, count, length in self.runs:
            while count:
                fit = count if length == 0 else (max_rows - rows) // length
                if fit <= 0 and rows:  # the next sequence does not fit: start a new piece
                    close()
                    continue
                take = min(count, max(fit, 1))
                runs.append((rows, take, length))
                rows, count = rows + take * length, count - take
        close()
        return pieces


def unpad_pays(device: torch.device) -> bool:
    """Whether padding removal is the faster path on `device`: on CPUs, not on GPUs.

    On a CPU the matrix products it saves dominate and one attention call per distinct length costs
    little (32 sentences of 16..256 tokens: 2.47x transformers' padded batch, results/bench/varlen.json).
    On a GPU every one of those calls is a kernel launch over a few sequences, where the padded batch is
    one masked fused kernel per layer: on an H200, 32 sentences of 16..512 tokens ran at 0.54x
    transformers' padded batch (bf16, results/bench/cuda.json), so there the padded path is kept.
    """
    return device.type == "cpu"


def graph_is_recorded() -> bool:
    """Under torch.jit.trace or torch.export the computation is recorded once for every later input, so
    nothing may depend on the mask's values: the padded computation is recorded instead of packing."""
    return torch.jit.is_tracing() or torch.compiler.is_exporting()


def can_unpad(attention_mask: torch.Tensor) -> bool:
    """True when the mask has padding to remove and only 0/1 values (the reference uses other values
    as partial additive biases, which packing cannot express)."""
    has_padding = not bool(attention_mask.all())
    return has_padding and bool(((attention_mask == 0) | (attention_mask == 1)).all())


# The widest activation of a slice (rows x max(4H, 3H) floats) stays under this; see the module docstring.
SLICE_BYTES = 24 * 2**20


def slice_rows(widest: int, dtype: torch.dtype, autograd: bool) -> int:
    """Rows per slice for activations `widest` values wide (the FFN's intermediate size or 3H), or no
    limit when autograd is recording (it keeps every activation, so slicing frees nothing)."""
    if autograd:
        return 2**62
    return max(1, SLICE_BYTES // (widest * dtype.itemsize))


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
    # One SDPA call per run of equal-length sequences (see the module docstring for why not padding).
    for start, count, length in packing.runs:
        if length == 0:
            continue
        rows = count * length
        q, k, v = qkv[start : start + rows].view(count, length, 3, n, d).permute(2, 0, 3, 1, 4).unbind(0)
        ctx = F.scaled_dot_product_attention(q, k, v, dropout_p=p)  # (count, N, L, D)
        if head_mask is not None:
            ctx = ctx * head_mask
        contexts.append(ctx.transpose(1, 2).reshape(rows, n * d))  # (count * L, H)
    if not contexts:
        return qkv.new_zeros(nnz, n * d)
    return torch.cat(contexts) if len(contexts) > 1 else contexts[0]


def encode_unpadded(
    encoder: nn.Module,
    x: torch.Tensor,
    attention_mask: torch.Tensor,
    head_mask: torch.Tensor | None,
    use_sdpa: bool,
    output_hidden_states: bool,
    output_positions: torch.Tensor | None,
) -> tuple[torch.Tensor, tuple[torch.Tensor, ...] | None]:
    """`encoder` (backbone.Encoder) on the real tokens of x (B, T, E) -> (B, T, H) with zeros at padding,
    or (M, H) at the (B, T) bool `output_positions`, and the hidden states (B, T, H) each."""
    packing = Packing.from_mask(attention_mask)
    x = unpad_input(x, packing)  # (nnz, E)
    if output_positions is not None and not bool((output_positions & (attention_mask == 0)).any()):
        rows = packing.rows_at(output_positions)  # (M,)
        return encode_packed(encoder, x, packing, head_mask, use_sdpa, False, rows)
    h, hidden_states = encode_packed(encoder, x, packing, head_mask, use_sdpa, output_hidden_states)
    h = pad_input(h, packing)  # (B, T, H), zeros at padding
    if output_positions is not None:  # some at padding: the whole last layer ran; its rows, zeros there
        return h[output_positions], None
    if hidden_states is not None:
        hidden_states = tuple(pad_input(s, packing) for s in hidden_states)
    return h, hidden_states


def encode_packed(
    encoder: nn.Module,
    x: torch.Tensor,
    packing: Packing,
    head_mask: torch.Tensor | None,
    use_sdpa: bool,
    output_hidden_states: bool,
    rows: torch.Tensor | None = None,
) -> tuple[torch.Tensor, tuple[torch.Tensor, ...] | None]:
    """`encoder` on packed real tokens x (nnz, E) -> (nnz, H), or (M, H) at the packed `rows`, and the
    hidden states (nnz, H) each; in slices of whole sequences where no autograd records (`slice_rows`)."""
    outputs, picked, start = [], [], 0
    for piece in packing.slices(max_rows(encoder, x)):
        end, mine = start + piece.nnz, None
        if rows is not None:
            mine = ((rows >= start) & (rows < end)).nonzero().squeeze(1)  # which of `rows` are in the slice
            picked.append(mine)
        h, hidden_states, _ = encoder(
            x[start:end],  # (slice rows, E)
            None,
            head_mask,
            use_sdpa=use_sdpa,
            output_hidden_states=output_hidden_states,
            output_attentions=False,
            packing=piece,
            rows=None if mine is None else rows[mine] - start,
        )
        outputs.append((h, hidden_states))
        start = end
    if len(outputs) == 1:
        return outputs[0]
    h = torch.cat([h for h, _ in outputs])  # (nnz, H), or (M, H) in slice order
    if rows is not None:
        h = h[torch.argsort(torch.cat(picked))]  # (M, H) in the order of `rows`
    return h, _cat_per_layer([states for _, states in outputs])


def encode_padded(
    encoder: nn.Module,
    x: torch.Tensor,
    additive_mask: torch.Tensor | None,
    head_mask: torch.Tensor | None,
    use_sdpa: bool,
    output_hidden_states: bool,
    output_attentions: bool,
    rows: torch.Tensor | None,
) -> tuple[torch.Tensor, tuple[torch.Tensor, ...] | None, tuple[torch.Tensor, ...] | None]:
    """`encoder` on a padded batch x (B, T, E) with its (B, 1, 1, T) additive mask -> (B, T, H), or (M, H)
    at the flat token indices `rows`, the hidden states and the attentions. On a CPU, where no autograd
    records and no graph is recorded, in slices of whole sequences of at most `max_rows` tokens, as the
    packed batch (a batch without padding, e.g. 32 x 256, takes this path)."""
    kwargs = dict(
        use_sdpa=use_sdpa, output_hidden_states=output_hidden_states, output_attentions=output_attentions
    )
    if x.device.type != "cpu" or graph_is_recorded():  # (a recorded graph must not branch on shapes)
        return encoder(x, additive_mask, head_mask, rows=rows, **kwargs)
    b, t = x.shape[:2]
    per = max(1, max_rows(encoder, x) // max(t, 1))  # sequences per slice
    if per >= b:
        return encoder(x, additive_mask, head_mask, rows=rows, **kwargs)
    outputs = []
    for lo in range(0, b, per):
        hi = lo + per
        mine = None if rows is None else rows[(rows >= lo * t) & (rows < hi * t)] - lo * t  # rows are sorted
        mask = None if additive_mask is None else additive_mask[lo:hi]
        outputs.append(encoder(x[lo:hi], mask, head_mask, rows=mine, **kwargs))
    h = torch.cat([o[0] for o in outputs])  # (B, T, H) or (M, H)
    hidden_states = _cat_per_layer([o[1] for o in outputs])
    return h, hidden_states, _cat_per_layer([o[2] for o in outputs])


def _cat_per_layer(parts: list[tuple[torch.Tensor, ...] | None]) -> tuple[torch.Tensor, ...] | None:
    """Per-slice tuples of per-layer tensors -> one tuple, each layer's slices joined along the batch."""
    return None if parts[0] is None else tuple(torch.cat(layer) for layer in zip(*parts))


def max_rows(encoder: nn.Module, x: torch.Tensor) -> int:
    """`slice_rows` for this encoder and input: no limit while autograd records."""
    config = encoder.config
    autograd = torch.is_grad_enabled() and (
        x.requires_grad or any(p.requires_grad for p in encoder.parameters())
    )
    return slice_rows(max(config.intermediate_size, 3 * config.hidden_size), x.dtype, autograd)
