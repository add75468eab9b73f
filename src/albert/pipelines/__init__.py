"""One-line inference: `pipeline(task, model)` returns a callable with transformers' output formats.

    >>> from albert.pipelines import pipeline
    >>> fill = pipeline("fill-mask", "path/to/albert-base-v2")
    >>> fill("The capital of France is [MASK].")[0]["token_str"]
    'paris'

Tasks: fill-mask, text-classification (alias sentiment-analysis), token-classification (alias ner),
question-answering, multiple-choice, feature-extraction, zero-shot-classification. See docs/pipelines.md.
"""

from __future__ import annotations

import os
from typing import Any

import torch

from albert.checkpoint import resolve_dtype
from albert.devices import warn_if_bf16_is_slow
from albert.hub import HUB_OPTION_NAMES, default_model_dir
from albert.loading import merge_device, merge_dtype
from albert.model import AlbertPreTrainedModel
from albert.pipelines.base import DEFAULT_BATCH_SIZE, Pipeline, PipelineError, resolve_device
from albert.pipelines.feature_extraction import FeatureExtractionPipeline
from albert.pipelines.fill_mask import FillMaskPipeline
from albert.pipelines.multiple_choice import MultipleChoicePipeline
from albert.pipelines.question_answering import QuestionAnsweringPipeline
from albert.pipelines.text_classification import TextClassificationPipeline
from albert.pipelines.token_classification import TokenClassificationPipeline
from albert.pipelines.zero_shot_classification import ZeroShotClassificationPipeline
from albert.tokenizer import load_tokenizer

TASKS: dict[str, type[Pipeline]] = {
    cls.task: cls
    for cls in (
        FillMaskPipeline,
        TextClassificationPipeline,
        TokenClassificationPipeline,
        QuestionAnsweringPipeline,
        MultipleChoicePipeline,
        FeatureExtractionPipeline,
        ZeroShotClassificationPipeline,
    )
}
ALIASES = {"sentiment-analysis": "text-classification", "ner": "token-classification"}
# Tasks that a general pretrained (masked-LM) checkpoint serves; the others need a fine-tuned head.
DEFAULT_MODEL_TASKS = ("fill-mask", "feature-extraction")


def pipeline(
    task: str,
    model: str | os.PathLike | AlbertPreTrainedModel | None = None,
    tokenizer: Any = None,
    *,
    device: str | int | torch.device | None = None,
    dtype: str | torch.dtype | None = None,
    batch_size: int = DEFAULT_BATCH_SIZE,
    **kwargs: Any,
) -> Pipeline:
    """Build the pipeline for `task`.

    Args:
        task: one of `TASKS` or an alias ("sentiment-analysis", "ner").
        model: a checkpoint directory, a hub id, an already-loaded model of the task's class, or None
            for the built-in default model (fill-mask and feature-extraction only).
        tokenizer: a tokenizer object or path; default: the model's directory/id.
        device: "cpu" (default), "cuda", "cuda:N", an index N (-1 = cpu) or a torch.device.
        dtype: None (float32, or an already-loaded model's own dtype), "auto" (the dtype the weights are
            stored in, as transformers), "float32", "float16", "bfloat16" or a torch.dtype.
            transformers' `torch_dtype=` and `device_map=` are read as `dtype` and `device`.
        batch_size: inputs per forward pass (inputs are grouped by length to limit padding).
        **kwargs: default call parameters of the task (e.g. `top_k=3`, `aggregation_strategy="simple"`).
    """
    model_kwargs, hub = split_loading_kwargs(kwargs)
    dtype = merge_dtype(dtype, kwargs.pop("torch_dtype", None) or model_kwargs.pop("torch_dtype", None))
    dtype = merge_dtype(dtype, model_kwargs.pop("dtype", None))  # transformers' spellings
    device = merge_device(device, kwargs.pop("device_map", None)) if "device_map" in kwargs else device
    name = ALIASES.get(task, task)
    if name not in TASKS:
        known = ", ".join([*TASKS, *ALIASES])
        raise ValueError(f"unknown task {task!r}; available tasks: {known}")
    cls = TASKS[name]
    target_device = resolve_device(device)
    resolve_dtype(dtype)  # a bad name fails before anything is loaded
    if model is None:
        if name not in DEFAULT_MODEL_TASKS:
            raise ValueError(
                f"task {name!r} needs a fine-tuned model: pass model='path/to/checkpoint_dir' (or a hub id, "
                "or a loaded model with tokenizer=...); only fill-mask and feature-extraction have a default"
            )
        model = default_model_dir()
    if isinstance(model, (str, os.PathLike)):
        tokenizer = model if tokenizer is None else tokenizer
        model = cls.model_class.from_pretrained(
            model, dtype=dtype, device=target_device, **model_kwargs, **hub
        )
    elif isinstance(model, torch.nn.Module):
        if not isinstance(model, cls.model_class):
            raise TypeError(f"task {name!r} needs a {cls.model_class.__name__}, got a {type(model).__name__}")
        if tokenizer is None:
            raise ValueError("a model object was passed without tokenizer=; pass the tokenizer (or its path)")
        if device is not None or dtype is not None:
            model = model.to(device=target_device, dtype=resolve_dtype(dtype, model.dtype))
            warn_if_bf16_is_slow(model.dtype, model.device)
    else:
        raise TypeError(f"model must be a path, a hub id or a model object, got {type(model).__name__}")
    if isinstance(tokenizer, (str, os.PathLike)):
        tokenizer = load_tokenizer(tokenizer, **hub)
    return cls(model, tokenizer, batch_size=batch_size, **kwargs)


def split_loading_kwargs(kwargs: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Pop transformers' loading arguments of `pipeline(...)` from `kwargs`: (`model_kwargs`, for the model's
    `from_pretrained`; the hub options `revision` / `token` / ..., for the model's and the tokenizer's).
    `framework` may only be "pt": these pipelines run the PyTorch classes."""
    framework = kwargs.pop("framework", None)
    if framework not in (None, "pt"):
        raise ValueError(
            f"framework={framework!r}: albert.pipeline runs the PyTorch classes; use framework='pt' (or leave it "
            "out), and the classes of albert.tf / albert.flax directly for TensorFlow or JAX"
        )
    model_kwargs = kwargs.pop("model_kwargs", None) or {}
    if not isinstance(model_kwargs, dict):
        raise TypeError(
            f"model_kwargs must be a dict of from_pretrained arguments, got {type(model_kwargs).__name__}"
        )
    hub = {k: kwargs.pop(k) for k in (*HUB_OPTION_NAMES, "trust_remote_code") if k in kwargs}
    return dict(model_kwargs), hub


__all__ = [
    "ALIASES",
    "TASKS",
    "FeatureExtractionPipeline",
    "FillMaskPipeline",
    "MultipleChoicePipeline",
    "Pipeline",
    "PipelineError",
    "QuestionAnsweringPipeline",
    "TextClassificationPipeline",
    "TokenClassificationPipeline",
    "ZeroShotClassificationPipeline",
    "default_model_dir",
    "load_tokenizer",
    "pipeline",
]
