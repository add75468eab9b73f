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
    FlaxAutoModel,
    FlaxAutoModelForMaskedLM,
    FlaxAutoModelForMultipleChoice,
    FlaxAutoModelForPreTraining,
    FlaxAutoModelForQuestionAnswering,
    FlaxAutoModelForSequenceClassification,
    FlaxAutoModelForTokenClassification,
    TFAutoModel,
    TFAutoModelForMaskedLM,
    TFAutoModelForMultipleChoice,
    TFAutoModelForPreTraining,
    TFAutoModelForQuestionAnswering,
    TFAutoModelForSequenceClassification,
    TFAutoModelForTokenClassification,
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

# Names resolved on first use (module `__getattr__`) so that `import albert` never imports an optional
# framework. One line per name: name -> the module that defines it. (Left out of __all__: `from albert
# import *` stays framework-free.)
_LAZY: dict[str, str] = {
    "TFAlbertPreTrainedModel": "albert.tf",
    "TFAlbertModel": "albert.tf",
    "TFAlbertForPreTraining": "albert.tf",
    "TFAlbertForMaskedLM": "albert.tf",
    "TFAlbertForSequenceClassification": "albert.tf",
    "TFAlbertForMultipleChoice": "albert.tf",
    "TFAlbertForTokenClassification": "albert.tf",
    "TFAlbertForQuestionAnswering": "albert.tf",
    "FlaxAlbertPreTrainedModel": "albert.flax",
    "FlaxAlbertModel": "albert.flax",
    "FlaxAlbertForPreTraining": "albert.flax",
    "FlaxAlbertForMaskedLM": "albert.flax",
    "FlaxAlbertForSequenceClassification": "albert.flax",
    "FlaxAlbertForMultipleChoice": "albert.flax",
    "FlaxAlbertForTokenClassification": "albert.flax",
    "FlaxAlbertForQuestionAnswering": "albert.flax",
}
_EXTRAS = {"albert.tf": "tf", "albert.flax": "flax"}  # module -> the pip extra that installs its framework


def __getattr__(name: str):
    module_name = _LAZY.get(name)
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
    return sorted(set(globals()) | set(_LAZY))


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
    "FlaxAutoModel",
    "FlaxAutoModelForMaskedLM",
    "FlaxAutoModelForMultipleChoice",
    "FlaxAutoModelForPreTraining",
    "FlaxAutoModelForQuestionAnswering",
    "FlaxAutoModelForSequenceClassification",
    "FlaxAutoModelForTokenClassification",
    "TFAutoModel",
    "TFAutoModelForMaskedLM",
    "TFAutoModelForMultipleChoice",
    "TFAutoModelForPreTraining",
    "TFAutoModelForQuestionAnswering",
    "TFAutoModelForSequenceClassification",
    "TFAutoModelForTokenClassification",
    "__version__",
    "pipeline",
]
