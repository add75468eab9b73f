"""ALBERT in JAX/Flax (linen): the seven model classes of `albert.model`, on the same checkpoints.

Install with `pip install albert-lite[flax]`. `import albert` does not import jax: the Flax classes
are exported lazily (`albert.FlaxAlbertModel` imports this package on first use).

Why linen rather than nnx: linen keeps computation (modules) and state (a params pytree) apart, so
`jax.jit` / `jax.grad` / optax act on plain pytrees, and the params tree is the form transformers'
`flax_model.msgpack` stores.
"""

from albert.flax.backbone import AlbertModule, FlaxAlbertModel
from albert.flax.base import FlaxAlbertPreTrainedModel
from albert.flax.outputs import (
    FlaxAlbertForPreTrainingOutput,
    FlaxBaseModelOutputWithPooling,
    FlaxMaskedLMOutput,
    FlaxMultipleChoiceModelOutput,
    FlaxQuestionAnsweringModelOutput,
    FlaxSequenceClassifierOutput,
    FlaxTokenClassifierOutput,
)
from albert.flax.tasks import (
    FlaxAlbertForMaskedLM,
    FlaxAlbertForMultipleChoice,
    FlaxAlbertForPreTraining,
    FlaxAlbertForQuestionAnswering,
    FlaxAlbertForSequenceClassification,
    FlaxAlbertForTokenClassification,
)

__all__ = [
    "AlbertModule",
    "FlaxAlbertForMaskedLM",
    "FlaxAlbertForMultipleChoice",
    "FlaxAlbertForPreTraining",
    "FlaxAlbertForPreTrainingOutput",
    "FlaxAlbertForQuestionAnswering",
    "FlaxAlbertForSequenceClassification",
    "FlaxAlbertForTokenClassification",
    "FlaxAlbertModel",
    "FlaxAlbertPreTrainedModel",
    "FlaxBaseModelOutputWithPooling",
    "FlaxMaskedLMOutput",
    "FlaxMultipleChoiceModelOutput",
    "FlaxQuestionAnsweringModelOutput",
    "FlaxSequenceClassifierOutput",
    "FlaxTokenClassifierOutput",
]
