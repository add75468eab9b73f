"""albert-lite: ALBERT ("A Lite BERT") models, tokenizers, pipelines and pretraining, compatible with
Hugging Face checkpoints.

    >>> from albert import AlbertForMaskedLM
    >>> model = AlbertForMaskedLM.from_pretrained("path/to/checkpoint")

Code written for transformers runs after swapping the import (`albert.auto`, `albert.loading`):

    >>> from albert import AutoModelForMaskedLM, AutoTokenizer
    >>> model = AutoModelForMaskedLM.from_pretrained("path/to/checkpoint", dtype="auto", device_map="auto")
"""

from albert.auto import (
    AutoConfig,
    AutoModel,
    AutoModelForMaskedLM,
    AutoModelForMultipleChoice,
    AutoModelForPreTraining,
    AutoModelForQuestionAnswering,
    AutoModelForSequenceClassification,
    AutoModelForTokenClassification,
    AutoTokenizer,
)
from albert.config import PRESETS, AlbertConfig
from albert.model import (
    AlbertForMaskedLM,
    AlbertForMultipleChoice,
    AlbertForPreTraining,
    AlbertForQuestionAnswering,
    AlbertForSequenceClassification,
    AlbertForTokenClassification,
    AlbertModel,
    AlbertPreTrainedModel,
)
from albert.pipelines import pipeline
from albert.tokenizer import AlbertTokenizer, AlbertTokenizerFast

__version__ = "0.1.0"

__all__ = [
    "PRESETS",
    "AlbertConfig",
    "AlbertForMaskedLM",
    "AlbertForMultipleChoice",
    "AlbertForPreTraining",
    "AlbertForQuestionAnswering",
    "AlbertForSequenceClassification",
    "AlbertForTokenClassification",
    "AlbertModel",
    "AlbertPreTrainedModel",
    "AlbertTokenizer",
    "AlbertTokenizerFast",
    "AutoConfig",
    "AutoModel",
    "AutoModelForMaskedLM",
    "AutoModelForMultipleChoice",
    "AutoModelForPreTraining",
    "AutoModelForQuestionAnswering",
    "AutoModelForSequenceClassification",
    "AutoModelForTokenClassification",
    "AutoTokenizer",
    "__version__",
    "pipeline",
]
