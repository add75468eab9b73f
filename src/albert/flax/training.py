"""Training the Flax models: optax optimizers (AdamW, LAMB) with the torch trainer's weight-decay rule,
and a jitted train step built on `jax.value_and_grad` of the class's loss.

    optimizer = make_optimizer("adamw", learning_rate=1e-4)
    state = TrainState.create(model, optimizer)
    step = make_train_step(model, optimizer)
    state, loss = step(state, batch, jax.random.key(0))  # batch: the model's inputs and labels
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp
import optax
from flax import struct
from flax.traverse_util import path_aware_map

from albert.flax.base import FlaxAlbertPreTrainedModel

OPTIMIZERS = ("adamw", "lamb")


def decay_mask(params: dict) -> dict:
    """True for the parameters that get weight decay: Dense kernels and embedding tables. LayerNorm
    scales and all biases get none (as `albert.training.optim.param_groups`)."""
    return path_aware_map(lambda path, _: path[-1] in ("kernel", "embedding"), params)


def make_optimizer(
    name: str,
    learning_rate: float | optax.Schedule,
    *,
    weight_decay: float = 0.01,
    b1: float = 0.9,
    b2: float = 0.999,
    eps: float = 1e-6,
    max_grad_norm: float | None = 1.0,
) -> optax.GradientTransformation:
    """AdamW or LAMB from optax's parts, decoupled weight decay on `decay_mask`, optional global-norm
    clipping. As in `albert.training.optim`, LAMB's trust ratio applies only where weight decay does
    (kernels and embeddings), one per variable of the original model (three for the fused Q/K/V kernel);
    biases and LayerNorm scales take plain Adam steps."""
    if name == "adamw":
        opt = optax.adamw(learning_rate, b1=b1, b2=b2, eps=eps, weight_decay=weight_decay, mask=decay_mask)
    elif name == "lamb":
        opt = optax.chain(
            optax.scale_by_adam(b1=b1, b2=b2, eps=eps),
            optax.add_decayed_weights(weight_decay, mask=decay_mask),
            optax.masked(scale_by_trust_ratio_per_variable(), decay_mask),
            optax.scale_by_learning_rate(learning_rate),
        )
    else:
        raise ValueError(f"unknown optimizer {name!r}; expected one of {', '.join(OPTIMIZERS)}")
    return opt if max_grad_norm is None else optax.chain(optax.clip_by_global_norm(max_grad_norm), opt)


def scale_by_trust_ratio_per_variable() -> optax.GradientTransformation:
    """optax's `scale_by_trust_ratio` (||w|| / ||u||, 1 where a norm is 0), except that the fused Q/K/V
    kernel (in, 3H) takes one ratio per block of H output columns: the original's query, key and value are
    three variables (recipe §2.5; the torch `Lamb` does the same with `trust_blocks`)."""

    def scale(path: tuple, update: jax.Array, param: jax.Array) -> jax.Array:
        names = [getattr(key, "key", key) for key in path]
        blocks = 3 if names[-2:] == ["qkv", "kernel"] else 1
        u = update.reshape(*update.shape[:-1], blocks, -1)  # (..., blocks, columns per block)
        w = param.reshape(u.shape)
        axes = tuple(i for i in range(u.ndim) if i != u.ndim - 2)  # all but the block axis
        w_norm = jnp.sqrt(jnp.sum(jnp.square(w), axis=axes, keepdims=True))
        u_norm = jnp.sqrt(jnp.sum(jnp.square(u), axis=axes, keepdims=True))
        ratio = jnp.where((w_norm > 0) & (u_norm > 0), w_norm / jnp.where(u_norm > 0, u_norm, 1), 1)
        return (u * ratio).reshape(update.shape).astype(update.dtype)

    def update_fn(updates: Any, state: optax.EmptyState, params: Any = None) -> tuple[Any, optax.EmptyState]:
        if params is None:
            raise ValueError("the LAMB trust ratio needs the parameters: call update(grads, state, params)")
        return jax.tree_util.tree_map_with_path(scale, updates, params), state

    return optax.GradientTransformation(lambda params: optax.EmptyState(), update_fn)


@struct.dataclass
class TrainState:
    """Parameters, optimizer state and the step count: one pytree, carried through the jitted step."""

    params: Any
    opt_state: Any
    step: jax.Array

    @classmethod
    def create(cls, model: FlaxAlbertPreTrainedModel, optimizer: optax.GradientTransformation) -> TrainState:
        return cls(params=model.params, opt_state=optimizer.init(model.params), step=jnp.zeros((), jnp.int32))


def loss_fn(model: FlaxAlbertPreTrainedModel, params: Any, batch: dict, dropout_rng: jax.Array) -> jax.Array:
    """The task loss of `batch` (inputs + labels, by argument name) with dropout on."""
    out = model(**batch, params=params, dropout_rng=dropout_rng, train=True)
    if out.loss is None:
        raise ValueError(
            f"the batch has no labels for {type(model).__name__}; give {list(model.label_names)}"
        )
    return out.loss


def make_train_step(
    model: FlaxAlbertPreTrainedModel, optimizer: optax.GradientTransformation
) -> Callable[[TrainState, dict, jax.Array], tuple[TrainState, jax.Array]]:
    """A jitted `step(state, batch, rng) -> (new state, loss)`: one gradient step."""

    def step(state: TrainState, batch: dict, rng: jax.Array) -> tuple[TrainState, jax.Array]:
        loss, grads = jax.value_and_grad(lambda p: loss_fn(model, p, batch, rng))(state.params)
        updates, opt_state = optimizer.update(grads, state.opt_state, state.params)
        params = optax.apply_updates(state.params, updates)
        return TrainState(params=params, opt_state=opt_state, step=state.step + 1), loss

    return jax.jit(step)
