"""Output dataclasses of the Flax models, with the Hugging Face field names.

They are pytrees (`flax.struct.dataclass`), so a jitted function can return them, and they share the
access API of the torch outputs (`out.logits`, `out["logits"]`, `out[0]`, `out.to_tuple()`; None
fields are left out of the tuple form).
"""

from __future__ import annotations

import jax
from flax import struct

from albert.model.outputs import ModelOutput

Arrays = tuple[jax.Array, ...] | None


@struct.dataclass
class FlaxBaseModelOutputWithPooling(ModelOutput):
    last_hidden_state: jax.Array  # (B, T, H)
    pooler_output: jax.Array | None = None  # (B, H)
    hidden_states: Arrays = None  # L + 1 of (B, T, H)
    attentions: Arrays = None  # L x I of (B, N, T, T)


@struct.dataclass
class FlaxAlbertForPreTrainingOutput(ModelOutput):
    loss: jax.Array | None = None
    prediction_logits: jax.Array | None = None  # (B, T, V)
    sop_logits: jax.Array | None = None  # (B, 2)
    hidden_states: Arrays = None
    attentions: Arrays = None


@struct.dataclass
class FlaxMaskedLMOutput(ModelOutput):
    loss: jax.Array | None = None
    logits: jax.Array | None = None  # (B, T, V)
    hidden_states: Arrays = None
    attentions: Arrays = None


@struct.dataclass
class FlaxSequenceClassifierOutput(ModelOutput):
    loss: jax.Array | None = None
    logits: jax.Array | None = None  # (B, num_labels)
    hidden_states: Arrays = None
    attentions: Arrays = None


@struct.dataclass
class FlaxMultipleChoiceModelOutput(ModelOutput):
    loss: jax.Array | None = None
    logits: jax.Array | None = None  # (B, C)
    hidden_states: Arrays = None
    attentions: Arrays = None


@struct.dataclass
class FlaxTokenClassifierOutput(ModelOutput):
    loss: jax.Array | None = None
    logits: jax.Array | None = None  # (B, T, num_labels)
    hidden_states: Arrays = None
    attentions: Arrays = None


@struct.dataclass
class FlaxQuestionAnsweringModelOutput(ModelOutput):
    loss: jax.Array | None = None
    start_logits: jax.Array | None = None  # (B, T)
    end_logits: jax.Array | None = None  # (B, T)
    hidden_states: Arrays = None
    attentions: Arrays = None
