"""Task heads (linen) and the losses of each task (jax.numpy functions), as `albert.model.heads`.

Losses follow PyTorch's cross-entropy conventions: targets equal to the ignore index (-100) are left
out and the mean is over the counted items (NaN when none is counted, as in PyTorch). They are
computed in float32 whatever the compute dtype.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
from flax import linen as nn

from albert.config import AlbertConfig
from albert.flax.activations import get_activation
from albert.flax.layers import dense, layer_norm
from albert.model.heads import classifier_dropout

IGNORE_INDEX = -100


class MaskedLMHead(nn.Module):
    """h (..., H) -> logits (..., V): dense H -> E, activation, LayerNorm, then E -> V with the word
    embeddings (tied, passed in) or an own `decoder` kernel, plus the output `bias`."""

    config: AlbertConfig
    dtype: jnp.dtype = jnp.float32

    def setup(self) -> None:
        c = self.config
        self.dense = dense(c, c.embedding_size, self.dtype)
        self.activation = get_activation(c.hidden_act)
        self.norm = layer_norm(c, self.dtype)
        if not c.tie_word_embeddings:
            self.decoder = dense(c, c.vocab_size, self.dtype, use_bias=False)
        self.bias = self.param("bias", nn.initializers.zeros, (c.vocab_size,), jnp.float32)

    def __call__(self, h: jax.Array, word_embeddings: jax.Array) -> jax.Array:
        """h (..., H), word_embeddings (V, E) -> (..., V)."""
        x = self.norm(self.activation(self.dense(h)))  # (..., E)
        if self.config.tie_word_embeddings:
            logits = jnp.einsum("...e,ve->...v", x, word_embeddings.astype(self.dtype))
        else:
            logits = self.decoder(x)
        return logits + self.bias.astype(self.dtype)


class SentenceOrderHead(nn.Module):
    """pooled (B, H) -> (B, num_labels) logits: is the segment pair in its original order (0) or swapped (1)?"""

    config: AlbertConfig
    dtype: jnp.dtype = jnp.float32

    def setup(self) -> None:
        self.dropout = nn.Dropout(classifier_dropout(self.config))
        self.classifier = dense(self.config, self.config.num_labels, self.dtype)

    def __call__(self, pooled: jax.Array, deterministic: bool) -> jax.Array:
        return self.classifier(self.dropout(pooled, deterministic=deterministic))


# ----- losses -----


def cross_entropy(logits: jax.Array, labels: jax.Array, ignore_index: int = IGNORE_INDEX) -> jax.Array:
    """logits (..., C), integer labels (...); mean over labels != ignore_index."""
    logits = logits.reshape(-1, logits.shape[-1]).astype(jnp.float32)
    labels = jnp.asarray(labels).reshape(-1)
    counted = labels != ignore_index
    log_probs = jax.nn.log_softmax(logits, axis=-1)
    picked = jnp.take_along_axis(log_probs, jnp.where(counted, labels, 0)[:, None], axis=-1)[:, 0]
    return -jnp.sum(jnp.where(counted, picked, 0.0)) / jnp.sum(counted)


def masked_lm_loss(logits: jax.Array, labels: jax.Array) -> jax.Array:
    """logits (B, T, V), labels (B, T); -100 = not predicted."""
    return cross_entropy(logits, labels)


def sentence_order_loss(logits: jax.Array, labels: jax.Array) -> jax.Array:
    """logits (B, 2), labels (B,) with 0 = original order, 1 = swapped."""
    return cross_entropy(logits, labels)


def sequence_classification_loss(logits: jax.Array, labels: jax.Array, problem_type: str) -> jax.Array:
    """logits (B, n). Regression: MSE; single label: CE over labels (B,); multi-label: BCE, labels (B, n)."""
    logits = logits.astype(jnp.float32)
    labels = jnp.asarray(labels)
    if problem_type == "regression":
        labels = labels.astype(jnp.float32)
        if logits.shape[-1] == 1:
            logits, labels = jnp.squeeze(logits), jnp.squeeze(labels)
        return jnp.mean((logits - labels) ** 2)
    if problem_type == "single_label_classification":
        return cross_entropy(logits, labels)
    if labels.shape != logits.shape:
        raise ValueError(
            f"multi-label classification needs labels of shape {tuple(logits.shape)} (one 0/1 column per "
            f"label), got {tuple(labels.shape)}"
        )
    labels = labels.astype(jnp.float32)
    # log(1 + exp(x)) - x * y, in the overflow-free form
    return jnp.mean(jnp.maximum(logits, 0) - logits * labels + jnp.log1p(jnp.exp(-jnp.abs(logits))))


def infer_problem_type(num_labels: int, labels: jax.Array) -> str:
    """The reference's rule: one label -> regression; integer labels -> single-label; else multi-label."""
    if num_labels == 1:
        return "regression"
    if jnp.issubdtype(jnp.asarray(labels).dtype, jnp.integer):
        return "single_label_classification"
    return "multi_label_classification"


def span_loss(
    start_logits: jax.Array, end_logits: jax.Array, start_positions: jax.Array, end_positions: jax.Array
) -> jax.Array:
    """Mean of start and end cross-entropies. Positions outside [0, T) are ignored (clamped to T)."""
    t = start_logits.shape[1]

    def clamp(positions: jax.Array) -> jax.Array:
        positions = jnp.asarray(positions)
        if positions.ndim > 1:
            positions = positions.squeeze(-1)
        return jnp.clip(positions, 0, t)

    start = cross_entropy(start_logits, clamp(start_positions), ignore_index=t)
    end = cross_entropy(end_logits, clamp(end_positions), ignore_index=t)
    return (start + end) / 2
