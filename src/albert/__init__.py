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

# Classes of the other frameworks, imported on first use so that `import albert` never imports them:
# name -> module that defines it. (Left out of __all__: `from albert import *` stays framework-free.)
_LAZY_EXPORTS: dict[str, str] = {
    "FlaxAlbertModel": "albert.flax",
    "FlaxAlbertForPreTraining": "albert.flax",
    "FlaxAlbertForMaskedLM": "albert.flax",
    "FlaxAlbertForSequenceClassification": "albert.flax",
    "FlaxAlbertForMultipleChoice": "albert.flax",
    "FlaxAlbertForTokenClassification": "albert.flax",
    "FlaxAlbertForQuestionAnswering": "albert.flax",
}
_EXTRAS = {"albert.flax": "flax"}  # module -> the pip extra that installs what it needs


def __getattr__(name: str):
    module_name = _LAZY_EXPORTS.get(name)
    if module_name is None:
        raise AttributeError(f"module 'albert' has no attribute {name!r}")
    import importlib

    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as e:
        extra = _EXTRAS.get(module_name, module_name.rsplit(".", 1)[-1])
        raise ImportError(
            f"albert.{name} needs {e.name!r}, which is not installed: pip install 'albert-lite[{extra}]'"
        ) from e
    value = getattr(module, name)
    globals()[name] = value  # later lookups skip __getattr__
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_LAZY_EXPORTS])


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
