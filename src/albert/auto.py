"""transformers' Auto entry points for ALBERT checkpoints: `AutoConfig`, `AutoTokenizer`, `AutoModel`
and `AutoModelFor...`, so that code written for transformers runs after swapping the import.

    >>> from albert import AutoModelForMaskedLM, AutoTokenizer
    >>> tokenizer = AutoTokenizer.from_pretrained("path/to/albert-base-v2")      # AlbertTokenizerFast
    >>> model = AutoModelForMaskedLM.from_pretrained("path/to/albert-base-v2", dtype="auto")

They read the directory or hub id (`config.json`'s `model_type` and `architectures`,
`tokenizer_config.json`'s `tokenizer_class`), refuse a non-ALBERT checkpoint with an error naming what it
is, and return this library's classes. The model classes are one table, `MODEL_CLASSES`.
"""

from __future__ import annotations

import importlib
import json
import os
from pathlib import Path
from typing import Any, ClassVar

from albert.config import CONFIG_NAME, PRESETS, AlbertConfig
from albert.hub import HUB_OPTION_NAMES, hub_options, resolve_file

# Auto class name -> (module, class) it builds; the class is imported on first use, so the Flax and
# TensorFlow rows import jax / tensorflow only when one of them is used.
_TASKS = ("", "ForPreTraining", "ForMaskedLM", "ForSequenceClassification", "ForMultipleChoice",
          "ForTokenClassification", "ForQuestionAnswering")  # fmt: skip
_FRAMEWORKS = {"": "albert.model", "Flax": "albert.flax", "TF": "albert.tf"}  # name prefix -> package
MODEL_CLASSES: dict[str, tuple[str, str]] = {
    f"{prefix}AutoModel{task}": (module, f"{prefix}AlbertModel" if not task else f"{prefix}Albert{task}")
    for prefix, module in _FRAMEWORKS.items()
    for task in _TASKS
}
TOKENIZER_CONFIG_NAME = "tokenizer_config.json"
ALBERT_TOKENIZER_CLASSES = ("AlbertTokenizer", "AlbertTokenizerFast")


# ----- what a checkpoint is ------------------------------------------------------------------------


def read_json_file(name_or_path: str | os.PathLike, filename: str, hub: dict[str, Any]) -> dict | None:
    """`filename` of a directory or hub id as a dict; None when it is absent (or `name_or_path` is a
    preset name or a single file)."""
    name = str(name_or_path)
    if name.removeprefix("albert/") in PRESETS or Path(name).is_file():
        return None
    with hub_options(**hub):
        path = resolve_file(name_or_path, filename, required=False)
    if path is None:
        return None
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except json.JSONDecodeError as e:
        raise ValueError(f"{path} is not valid JSON: {e}") from None
    if not isinstance(data, dict):
        raise ValueError(f"{path} must hold a JSON object, not a {type(data).__name__}")
    return data


def check_albert_config(config: dict[str, Any], source: str | os.PathLike) -> None:
    """Raise ValueError naming the `model_type` (and `architectures`) of a non-ALBERT config.json."""
    model_type = config.get("model_type", "albert")
    architectures = config.get("architectures") or []
    foreign = [a for a in architectures if not isinstance(a, str) or "Albert" not in a]
    if model_type == "albert" and not foreign:
        return
    listed = f" and architectures {architectures}" if architectures else ""
    raise ValueError(
        f"{source} holds a model_type {model_type!r}{listed} checkpoint, not ALBERT; albert-lite loads only "
        "ALBERT checkpoints (model_type 'albert'): use transformers' Auto classes for this one"
    )


def _hub_kwargs(kwargs: dict[str, Any]) -> dict[str, Any]:
    return {k: kwargs[k] for k in HUB_OPTION_NAMES if k in kwargs}


# ----- AutoConfig ----------------------------------------------------------------------------------


class _NotInstantiable:
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        name = type(self).__name__
        raise TypeError(
            f"{name} is a factory: use {name}.from_pretrained(path_or_hub_id) instead of {name}()"
        )


class AutoConfig(_NotInstantiable):
    """`AutoConfig.from_pretrained(path)` -> `AlbertConfig` (after checking the checkpoint is ALBERT)."""

    @classmethod
    def from_pretrained(cls, name_or_path: str | os.PathLike, **kwargs: Any) -> AlbertConfig:
        """The config of a directory, config.json file, hub id or preset; `kwargs` as
        `AlbertConfig.from_pretrained` (field overrides and loading arguments)."""
        config = read_json_file(name_or_path, CONFIG_NAME, _hub_kwargs(kwargs))
        if config is not None:
            check_albert_config(config, name_or_path)
        return AlbertConfig.from_pretrained(name_or_path, **kwargs)

    @staticmethod
    def for_model(model_type: str, **kwargs: Any) -> AlbertConfig:
        """A fresh config of `model_type` ("albert" only) with `kwargs` as fields."""
        if model_type != "albert":
            raise ValueError(
                f"model_type {model_type!r} is not ALBERT; albert-lite builds only 'albert' configs"
            )
        return AlbertConfig(**kwargs)


# ----- AutoTokenizer -------------------------------------------------------------------------------


class AutoTokenizer(_NotInstantiable):
    """`AutoTokenizer.from_pretrained(path)` -> `AlbertTokenizerFast` (or `AlbertTokenizer` with
    `use_fast=False`, as transformers)."""

    @classmethod
    def from_pretrained(cls, name_or_path: str | os.PathLike, *, use_fast: bool = True, **kwargs: Any):
        """The tokenizer of a directory, single spiece.model/tokenizer.json file or hub id; `kwargs` as
        `AlbertTokenizerFast.from_pretrained` (constructor overrides and loading arguments)."""
        from albert.tokenizer import AlbertTokenizer, AlbertTokenizerFast

        hub = _hub_kwargs(kwargs)
        tokenizer_config = read_json_file(name_or_path, TOKENIZER_CONFIG_NAME, hub) or {}
        declared = tokenizer_config.get("tokenizer_class")
        if declared is not None and declared not in ALBERT_TOKENIZER_CLASSES:
            raise ValueError(
                f"{name_or_path} holds a {declared} tokenizer (tokenizer_config.json tokenizer_class), not "
                "ALBERT's; albert-lite loads only AlbertTokenizer / AlbertTokenizerFast files"
            )
        if declared is None:  # no declaration: the model's config.json says what the directory is
            config = read_json_file(name_or_path, CONFIG_NAME, hub)
            if config is not None:
                check_albert_config(config, name_or_path)
        target = AlbertTokenizerFast if use_fast else AlbertTokenizer
        return target.from_pretrained(name_or_path, **kwargs)


# ----- AutoModel... --------------------------------------------------------------------------------


class AutoModelBase(_NotInstantiable):
    """What every `AutoModel...` class does; `target` names the class it builds (a `MODEL_CLASSES` row)."""

    target: ClassVar[tuple[str, str]]

    @classmethod
    def model_class(cls) -> type:
        """The class this Auto class builds (imported now)."""
        module, name = cls.target
        return getattr(importlib.import_module(module), name)

    @classmethod
    def from_pretrained(cls, name_or_path: str | os.PathLike, *model_args: Any, **kwargs: Any):
        """The checkpoint's weights in `model_class()`; `kwargs` as its `from_pretrained` (dtype,
        device_map, attn_implementation, config overrides, loading arguments)."""
        if model_args:
            raise TypeError(
                f"{cls.__name__}.from_pretrained takes the path and keyword arguments only; got "
                f"{len(model_args)} more positional argument(s) (pass config=... by keyword)"
            )
        if kwargs.get("config") is None:
            config = read_json_file(name_or_path, CONFIG_NAME, _hub_kwargs(kwargs))
            if config is not None:
                check_albert_config(config, name_or_path)
        return cls.model_class().from_pretrained(name_or_path, **kwargs)

    @classmethod
    def from_config(cls, config: Any, **kwargs: Any):
        """A randomly initialised `model_class()` for `config` (an AlbertConfig or transformers' one).

        `kwargs`: `attn_implementation`, `dtype` / `torch_dtype`, `device` / `device_map`."""
        from albert.loading import normalise_loading_kwargs

        if not isinstance(config, AlbertConfig):
            to_dict = getattr(config, "to_dict", None)
            if to_dict is None:
                raise TypeError(f"config must be an AlbertConfig, got {type(config).__name__}")
            data = to_dict()
            check_albert_config(data, f"the {type(config).__name__} given")
            config = AlbertConfig.from_dict(data)
        owner = f"{cls.__name__}.from_config"
        options = normalise_loading_kwargs(owner, kwargs, accepted=(), what="a from_config argument")
        if options.hub:  # nothing is downloaded: a hub option here is a mistake worth naming
            raise ValueError(
                f"{owner} reads no files; {', '.join(options.hub)} apply only to from_pretrained"
            )
        from albert.checkpoint import resolve_dtype

        model = cls.model_class()(config, attn_implementation=options.attn_implementation)
        return model.to(dtype=resolve_dtype(options.dtype, model.dtype) or model.dtype, device=options.device)


class FrameworkAutoModelBase(AutoModelBase):
    """What the `FlaxAutoModel...` / `TFAutoModel...` classes do: the same checkpoint check, then the
    Flax / TensorFlow class's own `from_pretrained` arguments (`config`, `dtype`, config overrides)."""

    @classmethod
    def from_config(cls, config: Any, **kwargs: Any):
        """A randomly initialised `model_class()` for `config` (an AlbertConfig or transformers' one);
        `kwargs` as its constructor (`dtype`, ...)."""
        return cls.model_class()(config, **kwargs)  # the class converts transformers' config


def _auto_model_class(name: str) -> type[AutoModelBase]:
    module, target = MODEL_CLASSES[name]
    doc = f"`{name}.from_pretrained(path)` / `{name}.from_config(config)` -> `{target}` ({module})."
    base = AutoModelBase if module == "albert.model" else FrameworkAutoModelBase
    return type(name, (base,), {"target": (module, target), "__doc__": doc, "__module__": __name__})


AutoModel = _auto_model_class("AutoModel")
AutoModelForPreTraining = _auto_model_class("AutoModelForPreTraining")
AutoModelForMaskedLM = _auto_model_class("AutoModelForMaskedLM")
AutoModelForSequenceClassification = _auto_model_class("AutoModelForSequenceClassification")
AutoModelForMultipleChoice = _auto_model_class("AutoModelForMultipleChoice")
AutoModelForTokenClassification = _auto_model_class("AutoModelForTokenClassification")
AutoModelForQuestionAnswering = _auto_model_class("AutoModelForQuestionAnswering")
FlaxAutoModel = _auto_model_class("FlaxAutoModel")
FlaxAutoModelForPreTraining = _auto_model_class("FlaxAutoModelForPreTraining")
FlaxAutoModelForMaskedLM = _auto_model_class("FlaxAutoModelForMaskedLM")
FlaxAutoModelForSequenceClassification = _auto_model_class("FlaxAutoModelForSequenceClassification")
FlaxAutoModelForMultipleChoice = _auto_model_class("FlaxAutoModelForMultipleChoice")
FlaxAutoModelForTokenClassification = _auto_model_class("FlaxAutoModelForTokenClassification")
FlaxAutoModelForQuestionAnswering = _auto_model_class("FlaxAutoModelForQuestionAnswering")
TFAutoModel = _auto_model_class("TFAutoModel")
TFAutoModelForPreTraining = _auto_model_class("TFAutoModelForPreTraining")
TFAutoModelForMaskedLM = _auto_model_class("TFAutoModelForMaskedLM")
TFAutoModelForSequenceClassification = _auto_model_class("TFAutoModelForSequenceClassification")
TFAutoModelForMultipleChoice = _auto_model_class("TFAutoModelForMultipleChoice")
TFAutoModelForTokenClassification = _auto_model_class("TFAutoModelForTokenClassification")
TFAutoModelForQuestionAnswering = _auto_model_class("TFAutoModelForQuestionAnswering")

__all__ = [
    "MODEL_CLASSES",
    "AutoConfig",
    "AutoModel",
    "AutoModelBase",
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
    "check_albert_config",
]
