"""ALBERT in TensorFlow (Keras 3, TensorFlow backend): `TFAlbertModel` and the six task models.

Importing this package imports TensorFlow; `import albert` does not (the `albert.TFAlbert*` names are
resolved lazily). Same config, same weights files and the same numbers as the PyTorch classes; see
docs/tensorflow.md.
"""

from albert.tf.backbone import TFAlbertModel
from albert.tf.base import TFAlbertPreTrainedModel
from albert.tf.tasks import (
    TFAlbertForMaskedLM,
    TFAlbertForMultipleChoice,
    TFAlbertForPreTraining,
    TFAlbertForQuestionAnswering,
    TFAlbertForSequenceClassification,
    TFAlbertForTokenClassification,
)

__all__ = [
    "TFAlbertForMaskedLM",
    "TFAlbertForMultipleChoice",
    "TFAlbertForPreTraining",
    "TFAlbertForQuestionAnswering",
    "TFAlbertForSequenceClassification",
    "TFAlbertForTokenClassification",
    "TFAlbertModel",
    "TFAlbertPreTrainedModel",
]
