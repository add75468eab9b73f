"""Opt-in fast paths: switches that change how the model computes, not what (fp32 within 1e-5 of the
reference at every real position), set with `model.enable_fast_paths(...)`.

They are off by default so that the plain model reproduces `transformers` everywhere, padded positions
and full-vocabulary logits included. What each one changes, and what it costs:

- `fused_gelu`: "gelu_new" (the tanh GELU of ALBERT v2) as torch's fused kernel, one pass instead of
  eight elementwise ops (and one saved tensor instead of six for backward). Same formula; the two
  differ by float rounding (~1e-7).
- `unpad`: padding is removed before the encoder and restored after it (`unpad.py`); padded positions
  of `last_hidden_state` / `hidden_states` are 0. Used when the mask has padding and only 0/1 values,
  without `output_attentions` and with absolute positions; otherwise the padded path runs.
- `sparse_mlm`: the MLM head runs only where `labels != -100` when labels are given, so
  `prediction_logits` / `logits` are (M, V) for those M positions in row-major order (the order of
  `labels[labels != -100]`) instead of (B, T, V); the loss is the same number. Saves the (B, T, V)
  logits, their softmax and gradients: most of a pretraining step's memory.
- `checkpointing`: in training, each layer application keeps only its input and recomputes the rest
  in backward (non-reentrant `torch.utils.checkpoint`): ~1/3 more compute for far less memory.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch
import torch.nn.functional as F

from albert.model.activations import get_activation


@dataclass(frozen=True)
class FastPaths:
    fused_gelu: bool = False
    unpad: bool = False
    sparse_mlm: bool = False
    checkpointing: bool = False


# Fused kernels for activations whose reference formula is spelled out elementwise.
_FUSED: dict[str, Callable[[torch.Tensor], torch.Tensor]] = {
    "gelu_new": lambda x: F.gelu(x, approximate="tanh"),
    "gelu_accurate": lambda x: F.gelu(x, approximate="tanh"),
    "gelu_python": F.gelu,
}


def activation_for(name: str, fused: bool) -> Callable[[torch.Tensor], torch.Tensor]:
    """The activation `name`, as its fused kernel when `fused` and one exists."""
    if fused and name in _FUSED:
        return _FUSED[name]
    return get_activation(name)
