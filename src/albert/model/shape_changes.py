"""Changing a model's shape after it is built, as transformers' methods do: a new vocabulary size
(`resize_token_embeddings`, `set_input_embeddings`) and fewer attention heads (`prune_heads`). The config
follows each change (a new frozen config), so `save_pretrained` / `from_pretrained` keep the new shapes.
Mixed into `AlbertPreTrainedModel` (`base.py`), which provides `config`, `backbone_model`,
`get_input_embeddings` and `tie_weights`.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn


class ShapeChangesMixin:
    """Vocabulary resizing and head pruning for `AlbertPreTrainedModel`."""

    config: Any
    backbone_model: Any
    get_input_embeddings: Any
    tie_weights: Any

    def set_input_embeddings(self, value: nn.Embedding) -> None:
        """Replace the token embeddings ((V, E), E = config.embedding_size); an MLM decoder is re-tied to
        them (transformers leaves it on the old matrix until `tie_weights()`)."""
        if not isinstance(value, nn.Embedding) or value.embedding_dim != self.config.embedding_size:
            raise ValueError(
                f"set_input_embeddings needs an nn.Embedding of width embedding_size="
                f"{self.config.embedding_size}, got {value!r}"
            )
        self._install_embeddings(value)

    def _install_embeddings(self, new: nn.Embedding) -> None:
        """`new` as the token embeddings; the vocabulary size, MLM bias and decoder tying follow it."""
        self.backbone_model.embeddings.word = new
        if new.num_embeddings != self.config.vocab_size:
            self.resize_output_bias(new.num_embeddings)
            self._use_config(self.config.replace(vocab_size=new.num_embeddings))
        self.tie_weights()

    def prune_heads(self, heads_to_prune: dict[int, list[int]]) -> None:
        """Remove attention heads, as transformers: {distinct layer: [head numbers]}, where distinct layer
        k is inner layer k % inner_group_num of group k // inner_group_num (0 in released models, whose
        one layer is shared by every application, so all 12 or 24 applications lose the heads). Head
        numbers are the original ones; the union with earlier prunings is kept in `config.pruned_heads`,
        so `save_pretrained` / `from_pretrained` (ours and transformers') keep the smaller shapes."""
        requested = self.config.replace(pruned_heads=heads_to_prune).pruned_heads  # validated
        merged = {k: set(v) for k, v in self.config.pruned_heads.items()}
        for layer, heads in requested.items():
            merged.setdefault(layer, set()).update(heads)
        config = self.config.replace(pruned_heads={k: sorted(v) for k, v in merged.items()})
        groups, inner = self.backbone_model.encoder.groups, config.inner_group_num
        for key, heads in config.pruned_heads.items():  # key: group * inner_group_num + inner layer
            prune_attention_heads(groups[key // inner].layers[key % inner].attention, set(heads))
        self._use_config(config)

    def _use_config(self, config: Any) -> None:
        """The new (frozen) config after a shape change, for the model and the AlbertModel inside."""
        self.config = config
        self.backbone_model.config = config

    def resize_token_embeddings(
        self,
        new_num_tokens: int | None = None,
        pad_to_multiple_of: int | None = None,
        mean_resizing: bool = True,
    ) -> nn.Embedding:
        """Grow or shrink the vocabulary; the MLM decoder stays tied to the embeddings.

        `pad_to_multiple_of` rounds the size up (e.g. 8 or 64, for faster matrix products on GPUs); None
        for both returns the embeddings unchanged, as transformers. New rows are drawn from a normal with
        the old rows' mean and covariance (`mean_resizing=True`, as transformers >= 4.46) or
        Normal(0, initializer_range). New MLM bias entries are 0.
        """
        old = self.get_input_embeddings()
        if new_num_tokens is None and pad_to_multiple_of is None:
            return old
        if new_num_tokens is None:
            new_num_tokens = old.num_embeddings
        if pad_to_multiple_of is not None:
            if (
                isinstance(pad_to_multiple_of, bool)
                or not isinstance(pad_to_multiple_of, int)
                or pad_to_multiple_of < 1
            ):
                raise ValueError(f"pad_to_multiple_of must be an int >= 1, got {pad_to_multiple_of!r}")
            new_num_tokens = -(-new_num_tokens // pad_to_multiple_of) * pad_to_multiple_of
        if isinstance(new_num_tokens, bool) or not isinstance(new_num_tokens, int) or new_num_tokens <= 0:
            raise ValueError(f"new_num_tokens must be a positive int, got {new_num_tokens!r}")
        old_n, dim = old.weight.shape
        new = nn.Embedding(
            new_num_tokens, dim, padding_idx=old.padding_idx, device=old.weight.device, dtype=old.weight.dtype
        )
        n = min(old_n, new_num_tokens)
        with torch.no_grad():
            if new_num_tokens > old_n:
                extra = new_num_tokens - old_n
                if mean_resizing:
                    new.weight[old_n:] = _sample_like(old.weight.float(), extra).to(new.weight.dtype)
                else:
                    new.weight[old_n:].normal_(0.0, self.config.initializer_range)
            new.weight[:n] = old.weight[:n]
        self._install_embeddings(new)
        return new

    def resize_output_bias(self, new_num_tokens: int) -> None:
        """Resize the MLM output bias (no-op for classes without an MLM head)."""


def _sample_like(weight: torch.Tensor, count: int) -> torch.Tensor:
    """`count` rows from a normal with the rows' mean and 1e-9 x their covariance (the mean if degenerate)."""
    mean = weight.mean(0)
    centered = weight - mean
    covariance = 1e-9 * (centered.T @ centered) / weight.shape[0]
    try:
        return torch.distributions.MultivariateNormal(mean, covariance_matrix=covariance).sample((count,))
    except ValueError:  # not positive definite (e.g. fewer rows than columns)
        return mean.expand(count, -1).clone()


def prune_attention_heads(attention: Any, heads: set[int]) -> None:
    """Remove from a `backbone.SelfAttention` the heads numbered `heads` (original numbers; ones already
    gone are skipped): the rows of Q, K and V and the columns of the output projection that are theirs."""
    keep = [i for i, h in enumerate(attention.kept_heads) if h not in heads]  # positions in the weights now
    if len(keep) == attention.num_heads:
        return
    n, d = attention.num_heads, attention.head_size
    qkv, out = attention.qkv, attention.output
    attention.qkv = nn.Linear(
        qkv.in_features, 3 * len(keep) * d, device=qkv.weight.device, dtype=qkv.weight.dtype
    )
    attention.output = nn.Linear(
        len(keep) * d, out.out_features, device=out.weight.device, dtype=out.weight.dtype
    )
    with torch.no_grad():
        attention.qkv.weight.copy_(qkv.weight.view(3, n, d, -1)[:, keep].reshape(-1, qkv.in_features))
        attention.qkv.bias.copy_(qkv.bias.view(3, n, d)[:, keep].reshape(-1))
        attention.output.weight.copy_(out.weight.view(-1, n, d)[:, keep].reshape(out.out_features, -1))
        attention.output.bias.copy_(out.bias)
    attention.qkv.requires_grad_(qkv.weight.requires_grad)
    attention.output.requires_grad_(out.weight.requires_grad)
    attention.kept_heads = [attention.kept_heads[i] for i in keep]
    attention.num_heads = len(keep)
