"""TensorFlow activations by their `config.hidden_act` name: the formulas of `albert.model.activations`,
written with the same operations in the same order so that fp32 outputs agree to rounding."""

from __future__ import annotations

import math
from collections.abc import Callable

import tensorflow as tf

_SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)


def gelu(x: tf.Tensor) -> tf.Tensor:
    """The exact (erf) GELU, as torch's `F.gelu`."""
    return 0.5 * x * (1.0 + tf.math.erf(x / tf.cast(math.sqrt(2.0), x.dtype)))


def gelu_new(x: tf.Tensor) -> tf.Tensor:
    """The tanh approximation ALBERT v2 (and the original TF code's `gelu`) uses."""
    return 0.5 * x * (1.0 + tf.tanh(_SQRT_2_OVER_PI * (x + 0.044715 * tf.pow(x, 3.0))))


def gelu_fast(x: tf.Tensor) -> tf.Tensor:
    return 0.5 * x * (1.0 + tf.tanh(x * 0.7978845608 * (1.0 + 0.044715 * x * x)))


def quick_gelu(x: tf.Tensor) -> tf.Tensor:
    return x * tf.sigmoid(1.702 * x)


def mish(x: tf.Tensor) -> tf.Tensor:
    return x * tf.tanh(tf.math.softplus(x))


ACT2FN: dict[str, Callable[[tf.Tensor], tf.Tensor]] = {
    "gelu": gelu,
    "gelu_new": gelu_new,
    "gelu_accurate": gelu_new,
    "gelu_fast": gelu_fast,
    "gelu_pytorch_tanh": lambda x: tf.nn.gelu(x, approximate=True),
    "gelu_python": gelu,
    "quick_gelu": quick_gelu,
    "relu": tf.nn.relu,
    "relu6": tf.nn.relu6,
    "silu": tf.nn.silu,
    "swish": tf.nn.silu,
    "tanh": tf.tanh,
    "sigmoid": tf.sigmoid,
    "mish": mish,
    "linear": tf.identity,
}


def get_activation(name: str) -> Callable[[tf.Tensor], tf.Tensor]:
    """The activation for `name`; a ValueError names the known ones."""
    try:
        return ACT2FN[name]
    except KeyError:
        raise ValueError(f"unknown activation {name!r}; expected one of {', '.join(ACT2FN)}") from None
