"""Task heads on top of the encoder, and the losses of each task (plain functions).

The MLM head mirrors the factorised embedding: H -> E (dense, activation, LayerNorm), then E -> V with
the word-embedding matrix itself (tied) plus a separate output bias.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from albert.config import AlbertConfig
from albert.model.fast import FastPaths, activation_for


class MaskedLMHead(nn.Module):
    """h (..., H) -> logits (..., V). `decoder.weight` is the word-embedding table when tied."""

    def __init__(self, config: AlbertConfig) -> None:
        super().__init__()
        self.dense = nn.Linear(config.hidden_size, config.embedding_size)
        self.activation_name = config.hidden_act
        self.activation = activation_for(config.hidden_act, fused=FastPaths().fused_gelu)  # see fast.py
        self.norm = nn.LayerNorm(config.embedding_size, eps=config.layer_norm_eps)
        self.decoder = nn.Linear(config.embedding_size, config.vocab_size)
        self.bias = nn.Parameter(torch.zeros(config.vocab_size))
        self.decoder.bias = self.bias

    def init_extra_parameters(self) -> None:
        nn.init.zeros_(self.bias)

    def forward(self, h: torch.Tensor) -> torch.Tensor:
        return self.decoder(self.norm(self.activation(self.dense(h))))


class SentenceOrderHead(nn.Module):
    """pooled (B, H) -> (B, num_labels) logits: is the segment pair in its original order (0) or swapped (1)?"""

    def __init__(self, config: AlbertConfig) -> None:
        super().__init__()
        self.dropout = nn.Dropout(classifier_dropout(config))
        self.classifier = nn.Linear(config.hidden_size, config.num_labels)

    def forward(self, pooled: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.dropout(pooled))


def classifier_dropout(config: AlbertConfig) -> float:
    """Dropout before a classifier: `classifier_dropout_prob`, or the hidden dropout when that is None."""
    p = config.classifier_dropout_prob
    return config.hidden_dropout_prob if p is None else p


# ----- losses (PyTorch cross-entropy with ignore_index -100, mean over the counted items) -----


def holds_integers(labels: torch.Tensor) -> bool:
    """Whether `labels` has an integer dtype (any width, signed or not; not bool)."""
    return not (labels.dtype.is_floating_point or labels.dtype.is_complex or labels.dtype == torch.bool)


def class_ids(labels: torch.Tensor, name: str = "labels") -> torch.Tensor:
    """Class ids of any integer dtype as int64, the only index type cross-entropy takes: int32 labels
    (numpy's default on some platforms, JAX's everywhere), int16 and int8 work here, where transformers
    fails inside torch ("expected target dtype to be Long or Byte")."""
    if not holds_integers(labels):
        raise TypeError(
            f"{name} must be integer class ids (-100 = ignored), got a {labels.dtype} tensor; "
            f"convert them with {name}.long()"
        )
    return labels.long()


def masked_lm_loss(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """logits (B, T, V) or (M, V), labels with the same leading shape; -100 = not predicted."""
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]).float(), class_ids(labels).reshape(-1))


def sentence_order_loss(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """logits (B, 2), labels (B,) with 0 = original order, 1 = swapped."""
    labels = class_ids(labels, "sentence_order_label")
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]).float(), labels.reshape(-1))


def sequence_classification_loss(
    logits: torch.Tensor, labels: torch.Tensor, problem_type: str
) -> torch.Tensor:
    """logits (B, n). Regression: MSE; single label: CE over labels (B,); multi-label: BCE, labels (B, n)."""
    if problem_type == "regression":
        labels = labels.to(logits.dtype)
        if logits.shape[-1] == 1:
            return F.mse_loss(logits.squeeze(), labels.squeeze())
        return F.mse_loss(logits, labels)
    if problem_type == "single_label_classification":
        return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), class_ids(labels).reshape(-1))
    if labels.shape != logits.shape:
        raise ValueError(
            f"multi-label classification needs labels of shape {tuple(logits.shape)} (one 0/1 column per "
            f"label), got {tuple(labels.shape)}"
        )
    return F.binary_cross_entropy_with_logits(logits, labels.to(logits.dtype))


def infer_problem_type(num_labels: int, labels: torch.Tensor) -> str:
    """The reference's rule: one label -> regression; integer labels -> single-label; else multi-label
    (every integer dtype counts here; transformers counts int64 and int32 only)."""
    if num_labels == 1:
        return "regression"
    if holds_integers(labels):
        return "single_label_classification"
    return "multi_label_classification"


def span_loss(
    start_logits: torch.Tensor,
    end_logits: torch.Tensor,
    start_positions: torch.Tensor,
    end_positions: torch.Tensor,
) -> torch.Tensor:
    """Mean of start and end cross-entropies. Positions outside [0, T) are ignored (clamped to T)."""
    t = start_logits.shape[1]
    if start_positions.dim() > 1:
        start_positions = start_positions.squeeze(-1)
    if end_positions.dim() > 1:
        end_positions = end_positions.squeeze(-1)
    start_positions = class_ids(start_positions, "start_positions").clamp(0, t)
    end_positions = class_ids(end_positions, "end_positions").clamp(0, t)
    start = F.cross_entropy(start_logits, start_positions, ignore_index=t)
    end = F.cross_entropy(end_logits, end_positions, ignore_index=t)
    return (start + end) / 2
