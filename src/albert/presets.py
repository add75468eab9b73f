"""The architectures of the eight released ALBERT checkpoints (from the Hub configs of
albert/albert-{size}-{v1,v2}), as `AlbertConfig` arguments; `albert.config.PRESETS` holds them as configs.

v1 uses exact "gelu" and dropout 0.1 (xxlarge: 0); v2 uses "gelu_new" and no dropout.
"""

from __future__ import annotations

from typing import Any


def _shape(h: int, heads: int, inter: int, layers: int, act: str, dropout: float) -> dict[str, Any]:
    return {
        "hidden_size": h,
        "num_attention_heads": heads,
        "intermediate_size": inter,
        "num_hidden_layers": layers,
        "hidden_act": act,
        "hidden_dropout_prob": dropout,
        "attention_probs_dropout_prob": dropout,
    }


RELEASED_SHAPES: dict[str, dict[str, Any]] = {
    "albert-base-v1": _shape(768, 12, 3072, 12, "gelu", 0.1),
    "albert-large-v1": _shape(1024, 16, 4096, 24, "gelu", 0.1),
    "albert-xlarge-v1": _shape(2048, 16, 8192, 24, "gelu", 0.1),
    "albert-xxlarge-v1": _shape(4096, 64, 16384, 12, "gelu", 0.0),
    "albert-base-v2": _shape(768, 12, 3072, 12, "gelu_new", 0.0),
    "albert-large-v2": _shape(1024, 16, 4096, 24, "gelu_new", 0.0),
    "albert-xlarge-v2": _shape(2048, 16, 8192, 24, "gelu_new", 0.0),
    "albert-xxlarge-v2": _shape(4096, 64, 16384, 12, "gelu_new", 0.0),
}
