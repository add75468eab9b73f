"""The keyword arguments people type into `from_pretrained` (from transformers' documentation),
mapped onto albert-lite's: one home for models, tokenizers, configs and the Auto classes.

    dtype / torch_dtype        the weights' dtype (torch_dtype is the older name: one warning, dtype wins)
    attn_implementation        "sdpa" (default) or "eager"; None = default
    device / device_map        one device for the whole model ("auto", "cpu", "cuda", "cuda:N", N, {"": N})
    revision, cache_dir, local_files_only, token, force_download
                               passed to the Hugging Face Hub download (local directories ignore them)
    trust_remote_code, low_cpu_mem_usage
                               accepted and ignored (logged): ALBERT's code is built in; weights are read once
    from_pt / from_tf / from_flax
                               which framework's weight file to read (model.safetensors / tf_model.h5 /
                               flax_model.msgpack); each class reads what it can and says what it cannot

Anything else must be a field the caller accepts (an `AlbertConfig` field such as `num_labels` for a
model or config, a constructor argument for a tokenizer); otherwise the error names the argument.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from typing import Any

import torch

from albert.devices import resolve_device, resolve_device_map
from albert.hub import HUB_OPTION_NAMES

logger = logging.getLogger(__name__)

MODEL_OPTION_NAMES = ("dtype", "torch_dtype", "attn_implementation", "device", "device_map")
IGNORED = {
    "trust_remote_code": "ALBERT's code is built into albert-lite; no code from the checkpoint is ever run",
    "low_cpu_mem_usage": "the weights are read once and loaded in place; there is no second copy to avoid",
    "torchscript": "a model traced by torch.jit.trace returns a tuple, which is what torchscript=True is for",
}
_QUANTISE = "quantise after loading with albert.runtime.prepare_for_inference(model, precision='int8')"
_ONE_DEVICE = "albert-lite puts the whole model on one device: use device_map='auto' or a device"
# transformers arguments we know and do not support, with what to do instead.
UNSUPPORTED = {
    "quantization_config": _QUANTISE,
    "load_in_8bit": _QUANTISE,
    "load_in_4bit": _QUANTISE,
    "return_dict": "pass return_dict=False to the model call for a tuple (outputs are dataclasses otherwise)",
    "ignore_mismatched_sizes": "a head whose shape differs from the checkpoint's cannot be loaded; load "
    "AlbertModel (the encoder) and add your head, or save a checkpoint with the new number of labels",
    "subfolder": "pass the path of the subfolder itself",
    "variant": "pass the directory of the variant's files",
    "max_memory": _ONE_DEVICE,
    "offload_folder": _ONE_DEVICE,
    "offload_state_dict": _ONE_DEVICE,
    "tp_plan": _ONE_DEVICE,
}
_warned: set[str] = set()  # warnings given once per process


@dataclass(frozen=True)
class LoadingOptions:
    """`from_pretrained` keyword arguments sorted out: model options, hub options and the rest."""

    dtype: torch.dtype | str | None = None
    attn_implementation: str = "sdpa"
    device: torch.device | None = None
    weights: str | None = None  # "pt", "tf" or "flax": from_pt / from_tf / from_flax
    hub: dict[str, Any] = field(default_factory=dict)
    rest: dict[str, Any] = field(default_factory=dict)


def normalise_loading_kwargs(
    owner: str,
    kwargs: Mapping[str, Any],
    *,
    accepted: Collection[str],
    what: str,
    model: bool = True,
) -> LoadingOptions:
    """Sort `kwargs` of `owner` (e.g. "AlbertForMaskedLM.from_pretrained"); see the module docstring.

    `accepted` are the other names `owner` takes (described as `what` in errors). With `model=False`
    (tokenizers, configs) the model options are accepted and ignored, as transformers does.
    """
    rest = dict(kwargs)
    weights = weights_format(owner, {k: rest.pop(k) for k in WEIGHT_FLAGS if k in rest})
    model_options = {k: rest.pop(k) for k in MODEL_OPTION_NAMES if k in rest}
    hub = {k: rest.pop(k) for k in HUB_OPTION_NAMES if k in rest}
    for name, reason in IGNORED.items():
        if name in rest:
            logger.info("%s: %s=%r accepted and ignored: %s", owner, name, rest.pop(name), reason)
    for name in rest:
        if name not in accepted:
            raise ValueError(unsupported_message(owner, name, what))
    if not model:
        given = {k: v for k, v in model_options.items() if v is not None}
        if given:
            logger.info("%s: %s have no effect here (they apply to models)", owner, ", ".join(given))
        return LoadingOptions(weights=weights, hub=hub, rest=rest)
    dtype = merge_dtype(model_options.get("dtype"), model_options.get("torch_dtype"))
    device = merge_device(model_options.get("device"), model_options.get("device_map"))
    attn = model_options.get("attn_implementation") or "sdpa"
    return LoadingOptions(
        dtype=dtype, attn_implementation=attn, device=device, weights=weights, hub=hub, rest=rest
    )


def is_loading_option(name: str, accepted: Collection[str] = ()) -> bool:
    """Whether `normalise_loading_kwargs` takes `name`: a model, hub or weight option, an ignored one, or
    one of `accepted`."""
    return (
        name in accepted
        or name in MODEL_OPTION_NAMES
        or name in HUB_OPTION_NAMES
        or name in IGNORED
        or (name in WEIGHT_FLAGS)
    )


WEIGHT_FLAGS = ("from_pt", "from_tf", "from_flax")
_FRAMEWORK_FILES = {"pt": "model.safetensors", "tf": "tf_model.h5", "flax": "flax_model.msgpack"}
_FRAMEWORK_CLASSES = {"pt": "AlbertModel / Albert…", "tf": "TFAlbert…", "flax": "FlaxAlbert…"}


def normalise_framework_kwargs(
    owner: str, kwargs: Mapping[str, Any], *, accepted: Collection[str], reads: tuple[str, ...]
) -> LoadingOptions:
    """`from_pretrained` keyword arguments of the TensorFlow and Flax classes: hub options, config fields
    (`accepted`, kept in `rest`), torch-only options (logged, no effect) and `from_pt` / `from_tf` /
    `from_flax`, where a file the class cannot read (`reads`: "pt", "tf", "flax") is an error saying what
    to do."""
    options = normalise_loading_kwargs(
        owner, kwargs, accepted=accepted, what="an AlbertConfig field", model=False
    )
    if options.weights is not None and options.weights not in reads:
        readable = " or ".join(_FRAMEWORK_FILES[r] for r in reads)
        raise ValueError(
            f"{owner} reads {readable}; from_{options.weights}=True names {_FRAMEWORK_FILES[options.weights]}: "
            f"load it with the {_FRAMEWORK_CLASSES[options.weights]} class and save_pretrained it (that writes "
            "model.safetensors, which every albert-lite class reads)"
        )
    return options


def weights_format(owner: str, flags: Mapping[str, Any]) -> str | None:
    """The file format transformers' `from_pt=True` / `from_tf=True` / `from_flax=True` names: "pt", "tf", "flax"."""
    for name, value in flags.items():
        if not isinstance(value, bool):
            raise ValueError(f"{owner}: {name} must be True or False, got {value!r}")
    chosen = [name for name, value in flags.items() if value]
    if len(chosen) > 1:
        raise ValueError(f"{owner}: {' and '.join(chosen)} were both given; pass the one that names the file")
    return chosen[0].removeprefix("from_") if chosen else None


def unsupported_message(owner: str, name: str, what: str) -> str:
    """The error for an argument `owner` does not take: what to do instead, or what it does take."""
    if name in UNSUPPORTED:
        return f"{owner} does not support {name}=: {UNSUPPORTED[name]}"
    return (
        f"{owner} got an unsupported argument {name!r}: it is neither {what} nor one of the loading "
        f"arguments ({', '.join([*MODEL_OPTION_NAMES, *HUB_OPTION_NAMES, *WEIGHT_FLAGS, *IGNORED])})"
    )


def merge_dtype(dtype: Any, torch_dtype: Any) -> Any:
    """`dtype`, or its older name `torch_dtype` (one warning per process; `dtype` wins when both are given)."""
    if torch_dtype is None:
        return dtype
    if "torch_dtype" not in _warned:
        _warned.add("torch_dtype")
        clash = f"; dtype={dtype!r} was given too and is used" if dtype not in (None, torch_dtype) else ""
        logger.warning("torch_dtype is the older name of dtype: pass dtype= instead%s", clash)
    return torch_dtype if dtype is None else dtype


def merge_device(device: Any, device_map: Any) -> torch.device | None:
    """The one device of `device` and/or `device_map` (None when neither is given)."""
    from_map = None if device_map is None else resolve_device_map(device_map)
    if device is None:
        return from_map
    target = resolve_device(device)
    if from_map is not None and from_map != target:
        raise ValueError(f"device={device!r} and device_map={device_map!r} disagree; pass only one of them")
    return target


__all__ = [
    "IGNORED",
    "MODEL_OPTION_NAMES",
    "UNSUPPORTED",
    "WEIGHT_FLAGS",
    "LoadingOptions",
    "merge_device",
    "merge_dtype",
    "normalise_framework_kwargs",
    "normalise_loading_kwargs",
    "unsupported_message",
    "weights_format",
]
