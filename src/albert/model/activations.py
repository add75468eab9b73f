"""Activation functions by their `config.hidden_act` name (the names transformers uses).

Each formula is written with the same operations, in the same order, as the reference so that fp32
outputs agree to rounding: "gelu" is the exact erf GELU, "gelu_new" the tanh approximation ALBERT v2
was trained with (computed with `pow(x, 3.0)`), and "gelu_pytorch_tanh" is torch's fused tanh GELU,
mathematically equal to "gelu_new" but not bit-identical.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch
import torch.nn.functional as F

_SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)


def gelu_new(x: torch.Tensor) -> torch.Tensor:
    return 0.5 * x * (1.0 + torch.tanh(_SQRT_2_OVER_PI * (x + 0.044715 * torch.pow(x, 3.0))))


def gelu_fast(x: torch.Tensor) -> torch.Tensor:
    return 0.5 * x * (1.0 + torch.tanh(x * 0.7978845608 * (1.0 + 0.044715 * x * x)))


def gelu_python(x: torch.Tensor) -> torch.Tensor:
    return x * 0.5 * (1.0 + torch.erf(x / math.sqrt(2.0)))


def quick_gelu(x: torch.Tensor) -> torch.Tensor:
    return x * torch.sigmoid(1.702 * x)


# Named functions, not lambdas: a model holding them must pickle (`torch.save(model)`, spawned workers).
def gelu_tanh(x: torch.Tensor) -> torch.Tensor:
    """torch's fused tanh-approximate GELU (the gelu_new formula in one kernel)."""
    return F.gelu(x, approximate="tanh")


def identity(x: torch.Tensor) -> torch.Tensor:
    return x


def gelu_tanh_(x: torch.Tensor) -> torch.Tensor:
    """`gelu_tanh` in place (inference: `x` must not be needed by autograd)."""
    return torch.ops.aten.gelu_(x, approximate="tanh")


def gelu_(x: torch.Tensor) -> torch.Tensor:
    return torch.ops.aten.gelu_(x)


# In-place variants of the fused activations, for buffers nobody else holds (`onednn.linear_activation`).
IN_PLACE: dict[Callable[[torch.Tensor], torch.Tensor], Callable[[torch.Tensor], torch.Tensor]] = {
    gelu_tanh: gelu_tanh_,
    F.gelu: gelu_,
    F.relu: F.relu_,
}


ACT2FN: dict[str, Callable[[torch.Tensor], torch.Tensor]] = {
    "gelu": F.gelu,
    "gelu_new": gelu_new,
    "gelu_accurate": gelu_new,  # same formula, same constant
    "gelu_fast": gelu_fast,
    "gelu_pytorch_tanh": gelu_tanh,
    "gelu_python": gelu_python,
    "quick_gelu": quick_gelu,
    "relu": F.relu,
    "relu6": F.relu6,
    "silu": F.silu,
    "swish": F.silu,
    "tanh": torch.tanh,
    "sigmoid": torch.sigmoid,
    "mish": F.mish,
    "linear": identity,
}


def get_activation(name: str) -> Callable[[torch.Tensor], torch.Tensor]:
    """The activation for `name`; a ValueError names the known ones."""
    try:
        return ACT2FN[name]
    except KeyError:
        raise ValueError(f"unknown activation {name!r}; expected one of {', '.join(ACT2FN)}") from None
