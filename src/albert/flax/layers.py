"""Layer factories carrying the initialisation of `albert.model.base`: Dense and Embed weights
~ Normal(0, initializer_range), biases 0, the padding row of the word embeddings 0, LayerNorm 1/0.

Parameters are always float32 (`param_dtype`); `dtype` is the compute dtype (float32, bfloat16 or
float16).
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
from flax import linen as nn

from albert.config import AlbertConfig


def dense(config: AlbertConfig, features: int, dtype: jnp.dtype, *, use_bias: bool = True) -> nn.Dense:
    return nn.Dense(
        features,
        use_bias=use_bias,
        dtype=dtype,
        param_dtype=jnp.float32,
        kernel_init=nn.initializers.normal(config.initializer_range),
    )


def embed(
    config: AlbertConfig, rows: int, features: int, dtype: jnp.dtype, *, padding_idx: int | None = None
):
    normal = nn.initializers.normal(config.initializer_range)

    def init(key: jax.Array, shape: tuple[int, ...], dtype: jnp.dtype = jnp.float32) -> jax.Array:
        table = normal(key, shape, dtype)
        if padding_idx is not None and 0 <= padding_idx < shape[0]:
            table = table.at[padding_idx].set(0.0)
        return table

    return nn.Embed(rows, features, dtype=dtype, param_dtype=jnp.float32, embedding_init=init)


def layer_norm(config: AlbertConfig, dtype: jnp.dtype) -> nn.LayerNorm:
    return nn.LayerNorm(epsilon=config.layer_norm_eps, dtype=dtype, param_dtype=jnp.float32)
