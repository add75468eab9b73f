"""Task heads (linen) and the losses of each task (jax.numpy functions), as `albert.model.heads`.

Losses follow PyTorch's cross-entropy conventions: targets equal to the ignore index (-100) are left
out and the mean is over the counted items (NaN when none is counted, as in PyTorch). They are
computed in float32 whatever the compute dtype.

Labels are checked as torch's losses check them, with our messages: one label per item (the shapes are
static, so this holds under `jax.jit` too), integer class ids, and values in [0, C) or the ignore
index. The values can be checked only on concrete arrays (an eager call); under `jax.jit` they are
tracers, and a bad class id makes the loss NaN instead (never a wrong finite number: see
`cross_entropy`).
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
from flax import linen as nn

from albert.config import AlbertConfig
from albert.flax.activations import get_activation
from albert.flax.inputs import check_range
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
        """h (..., H), word_embeddings (V, E) -> (..., V) float32 logits whatever `dtype` is."""
        x = self.norm(self.activation(self.dense(h)))  # (..., E)
        if self.config.tie_word_embeddings:
            logits = jnp.einsum("...e,ve->...v", x, word_embeddings.astype(self.dtype))
        else:
            logits = self.decoder(x)
        # The float32 bias makes the logits float32, as in transformers' Flax head: half-precision logits
        # (3 significant digits in bf16) would tie top-k candidates over a 30k vocabulary.
        return logits + self.bias


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


def check_class_labels(
    labels: jax.Array, logits_shape: tuple[int, ...], ignore_index: int, *, name: str, classes: str
) -> jax.Array:
    """Integer labels, one per item of logits (..., C) (any shape with that many elements, as torch's
    flattening losses take), each in [0, C) or `ignore_index`. Returns the labels flattened to (items,).

    `classes` names where C comes from in the message (e.g. "config.num_labels"). The shape and dtype
    checks always run; the value check only on concrete labels (`check_range`: not under `jax.jit`).
    """
    if not isinstance(labels, jax.Array):  # numpy keeps int64: a huge id is not wrapped before the check
        labels = np.asarray(labels)
    items, c = int(np.prod(logits_shape[:-1])), logits_shape[-1]
    if not jnp.issubdtype(labels.dtype, jnp.integer):
        raise ValueError(
            f"{name} must be integer class ids, got dtype {labels.dtype}; convert them with "
            f"{name}.astype('int32') (ignored positions: -100)"
        )
    if labels.size != items:
        raise ValueError(
            f"{name} has shape {tuple(labels.shape)} but the logits have shape {tuple(logits_shape)}: give "
            f"one label per row of logits, {name} of shape {tuple(logits_shape[:-1])} ({items} in all, "
            f"got {labels.size})"
        )
    fix = f"give class ids below {c}, or {ignore_index} where no loss is wanted"
    check_range(name, labels, c, classes, ignore=ignore_index, fix=fix)
    # int32 for the comparisons that follow: in int8 a class count of 30000 wraps round, and in uint8
    # -100 is 156, a class id.
    return jnp.asarray(labels, jnp.int32).reshape(-1)


def cross_entropy(
    logits: jax.Array,
    labels: jax.Array,
    ignore_index: int = IGNORE_INDEX,
    *,
    name: str = "labels",
    classes: str = "the number of classes",
) -> jax.Array:
    """logits (..., C), integer labels with one per item (...); mean over labels != ignore_index.

    Labels are checked by `check_class_labels` (`name`, `classes`: for its messages).
    """
    labels = check_class_labels(labels, logits.shape, ignore_index, name=name, classes=classes)
    logits = logits.reshape(-1, logits.shape[-1]).astype(jnp.float32)
    counted = labels != ignore_index
    # Under jit a bad label is not caught above: jnp's gather would wrap a negative one round (a
    # wrong, finite loss) and fill a too large one with NaN. Make every bad one NaN, so it shows.
    valid = (labels >= 0) & (labels < logits.shape[-1])
    log_probs = jax.nn.log_softmax(logits, axis=-1)
    picked = jnp.take_along_axis(log_probs, jnp.where(valid, labels, 0)[:, None], axis=-1)[:, 0]
    picked = jnp.where(valid, picked, jnp.nan)
    return -jnp.sum(jnp.where(counted, picked, 0.0)) / jnp.sum(counted)


def masked_lm_loss(logits: jax.Array, labels: jax.Array) -> jax.Array:
    """logits (B, T, V), labels (B, T); -100 = not predicted."""
    return cross_entropy(logits, labels, classes="config.vocab_size")


def sentence_order_loss(logits: jax.Array, labels: jax.Array) -> jax.Array:
    """logits (B, 2), labels (B,) with 0 = original order, 1 = swapped."""
    return cross_entropy(logits, labels, name="sentence_order_label", classes="config.num_labels")


def sequence_classification_loss(logits: jax.Array, labels: jax.Array, problem_type: str) -> jax.Array:
    """logits (B, n). Regression: MSE; single label: CE over labels (B,); multi-label: BCE, labels (B, n)."""
    logits = logits.astype(jnp.float32)
    if problem_type == "single_label_classification":  # class ids checked before any int32 conversion
        return cross_entropy(logits, labels, classes="config.num_labels")
    labels = jnp.asarray(labels)
    if problem_type == "regression":
        if labels.size != logits.size:  # torch only warns, and broadcasts
            raise ValueError(
                f"regression needs one float target per logit: labels of shape {tuple(logits.shape)} "
                f"(or {tuple(logits.shape[:-1])} when num_labels = 1), got {tuple(labels.shape)}"
            )
        labels = labels.astype(jnp.float32)
        if logits.shape[-1] == 1:
            logits, labels = jnp.squeeze(logits), jnp.squeeze(labels)
        return jnp.mean((logits - labels) ** 2)
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
        """(B,) or (B, 1) -> (B,) in [0, T]: clipped in a type that holds T and the positions given (numpy
        keeps int64, so 2**32 + 3 stays past the end and ignored; int8 would wrap T = 150 round)."""
        if not isinstance(positions, jax.Array):
            positions = np.asarray(positions)
        if not jnp.issubdtype(positions.dtype, jnp.integer):
            return positions  # check_class_labels names the dtype
        if isinstance(positions, np.ndarray):
            return np.clip(positions.astype(np.int64), 0, t).reshape(-1)
        return jnp.clip(positions.astype(jnp.int32), 0, t).reshape(-1)

    start = cross_entropy(start_logits, clamp(start_positions), t, name="start_positions", classes="seq_len")
    end = cross_entropy(end_logits, clamp(end_positions), t, name="end_positions", classes="seq_len")
    return (start + end) / 2
