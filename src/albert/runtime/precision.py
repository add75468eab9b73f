"""Inference modes: `prepare_for_inference(model, precision=...)` -> the model, ready to serve.

- "fp32" (exact): eval mode and the fast paths (fused GELU, padding removal: on by default, see
  `albert.model.fast`); within 1e-5 of the reference at every real position.
- "bf16": the weights and activations in bfloat16. Fast only where the hardware multiplies bf16 in
  matrix units (AMX on Intel Xeon, recent GPUs); on a CPU with AVX512-BF16 alone its matrix products
  ran at about half the fp32 rate, and without it torch emulates bf16 (a warning says so; measured in
  docs/performance.md).
- "int8": dynamic int8 quantisation (fbgemm) of the encoder's Linear layers; activations are
  quantised per batch on the fly. The task heads stay fp32. Approximate: see the docs for top-1
  agreement and the largest logit change.
"""

from __future__ import annotations

import logging
import warnings

import torch
from torch import nn

from albert.devices import warn_if_bf16_is_slow
from albert.model.base import AlbertPreTrainedModel

logger = logging.getLogger(__name__)

PRECISIONS = ("fp32", "bf16", "int8")


def prepare_for_inference(
    model: AlbertPreTrainedModel, *, precision: str = "fp32", fast_paths: bool = True
) -> AlbertPreTrainedModel:
    """Return `model` in eval mode with the fast paths on (`fast_paths=False`: `disable_fast_paths()`),
    converted to `precision`.

    fp32 and bf16 convert `model` in place; int8 returns a quantised copy (the original is untouched).
    """
    if precision not in PRECISIONS:
        raise ValueError(f"precision must be one of {', '.join(PRECISIONS)}, got {precision!r}")
    model.eval()
    if fast_paths:
        model.enable_fast_paths()
    else:
        model.disable_fast_paths()
    if precision == "bf16":
        warn_if_bf16_is_slow(torch.bfloat16, model.device)
        return model.to(torch.bfloat16)
    if precision == "int8":
        return quantize_int8(model)
    return model


def quantize_int8(model: AlbertPreTrainedModel) -> AlbertPreTrainedModel:
    """A copy of `model` whose encoder Linear layers are dynamically quantised to int8 (CPU only)."""
    if model.device.type != "cpu":
        raise ValueError("int8 dynamic quantisation runs on CPU only; move the model with .cpu() first")
    encoder = model.backbone_model.encoder
    # Only the encoder: that is where the FLOPs are, and the (tied) MLM decoder and small heads keep
    # their fp32 accuracy.
    names = {
        f"{prefix}.{name}" if prefix else name
        for prefix in (_prefix_of(model, encoder),)
        for name, module in encoder.named_modules()
        if isinstance(module, nn.Linear)
    }
    with warnings.catch_warnings():
        # torch deprecates its eager quantisation API (in favour of torchao, a dependency we do not take):
        # the warnings name torch functions the user never called, and nothing they can change. It
        # still works in the pinned torch; tests/runtime checks that int8 stays quantised and close.
        warnings.filterwarnings("ignore", "torch.ao.quantization is deprecated", DeprecationWarning)
        warnings.filterwarnings(
            "ignore", "torch.quantize_per_tensor, torch.quantize_per_channel", UserWarning
        )
        quantized = torch.ao.quantization.quantize_dynamic(model, names, dtype=torch.qint8, inplace=False)
    logger.info("int8: quantised %d Linear layers of the encoder", len(names))
    return quantized


def _prefix_of(model: nn.Module, target: nn.Module) -> str:
    for name, module in model.named_modules():
        if module is target:
            return name
    raise ValueError("module not found in model")
