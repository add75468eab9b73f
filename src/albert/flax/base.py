"""`FlaxAlbertPreTrainedModel`: what every Flax ALBERT class shares. A class pairs a linen module
(`module_class`, the computation) with its parameters (`params`, a pytree of float32 arrays), as
transformers' Flax classes do; file I/O is delegated to `albert.checkpoint.flax`, the only module
that knows weight names.

    model = FlaxAlbertModel.from_pretrained("albert/albert-base-v2")
    out = model(input_ids, attention_mask=mask)                       # eager
    fast = jax.jit(lambda params, ids: model(ids, params=params))     # compiled
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any, ClassVar

import jax
import jax.numpy as jnp
import numpy as np
from flax import linen as nn

from albert.config import AlbertConfig, check_config, check_unpruned
from albert.hub_push import WEIGHT_FILES, PushToHubMixin, save_then_push

logger = logging.getLogger(__name__)

DTYPES = {"float32": jnp.float32, "bfloat16": jnp.bfloat16, "float16": jnp.float16,
          "fp32": jnp.float32, "bf16": jnp.bfloat16, "fp16": jnp.float16}  # fmt: skip


def resolve_dtype(dtype: Any) -> jnp.dtype:
    """None / "float32" / "bfloat16" / "float16" (or a jnp dtype) -> the compute dtype."""
    if dtype is None:
        return jnp.dtype(jnp.float32)
    if isinstance(dtype, str):
        if dtype not in DTYPES:
            raise ValueError(f"unknown dtype {dtype!r}; use one of {', '.join(DTYPES)} or a jnp dtype")
        return jnp.dtype(DTYPES[dtype])
    resolved = jnp.dtype(dtype)
    if resolved not in (jnp.float32, jnp.bfloat16, jnp.float16):
        raise ValueError(f"compute dtype must be float32, bfloat16 or float16, got {resolved}")
    return resolved


class FlaxAlbertPreTrainedModel(PushToHubMixin):
    """Base class: `config`, `module` (linen), `params` (pytree) and the compute `dtype`.

    `params` are float32 whatever `dtype` is: `dtype` only sets the precision of the computation.
    Subclasses set `module_class`, `label_names` (the label arguments of `__call__`) and `compute_loss`.
    """

    hub_replaces = WEIGHT_FILES  # a push deletes weight files of an earlier save (hub_push.py)

    module_class: ClassVar[type[nn.Module]]
    # transformers' class attributes that tools read
    main_input_name: ClassVar[str] = "input_ids"
    base_model_prefix: ClassVar[str] = "albert"
    config_class: ClassVar[type] = AlbertConfig
    framework: ClassVar[str] = "flax"
    label_names: ClassVar[tuple[str, ...]] = ()
    dummy_shape: ClassVar[tuple[int, ...]] = (1, 1)  # input_ids shape used to trace `module.init`

    def __init__(
        self,
        config: AlbertConfig,
        *,
        dtype: Any = None,
        seed: int = 0,
        params: dict | None = None,
        **module_kwargs: Any,
    ) -> None:
        check_config(config)
        check_unpruned(config, type(self).__name__)
        self.config = config
        self.name_or_path = ""  # where from_pretrained loaded it from, as upstream
        self.dtype = resolve_dtype(dtype)
        self.module = self.module_class(config=config, dtype=self.dtype, **module_kwargs)
        self.params = self.init_params(jax.random.key(seed)) if params is None else params

    # ----- parameters -----

    def init_params(self, rng: jax.Array) -> dict:
        """Freshly initialised parameters (the initialisation of `albert.model.base`)."""
        ids = jnp.zeros(self.dummy_shape, dtype=jnp.int32)
        return jax.jit(self.module.init)({"params": rng}, ids)["params"]

    def params_shape(self) -> dict:
        """The parameter pytree as `jax.ShapeDtypeStruct`s (traced, nothing computed)."""
        ids = jnp.zeros(self.dummy_shape, dtype=jnp.int32)
        return jax.eval_shape(self.module.init, {"params": jax.random.key(0)}, ids)["params"]

    @property
    def params_shape_tree(self) -> dict:
        """transformers' name for `params_shape()`."""
        return self.params_shape()

    def num_parameters(self) -> int:
        return sum(int(np.prod(p.shape)) for p in jax.tree_util.tree_leaves(self.params))

    # transformers' Flax helpers: a copy of a parameter tree with its floating-point leaves cast
    # (`model.params = model.to_bf16(model.params)`); integer leaves are kept.
    def to_bf16(self, params: dict) -> dict:
        return _cast_floats(params, jnp.bfloat16)

    def to_fp16(self, params: dict) -> dict:
        return _cast_floats(params, jnp.float16)

    def to_fp32(self, params: dict) -> dict:
        return _cast_floats(params, jnp.float32)

    # ----- forward -----

    def __call__(
        self,
        input_ids: Any = None,
        attention_mask: Any = None,
        token_type_ids: Any = None,
        position_ids: Any = None,
        head_mask: Any = None,
        inputs_embeds: Any = None,
        *,
        params: dict | None = None,
        dropout_rng: jax.Array | None = None,
        train: bool = False,
        output_attentions: bool | None = None,
        output_hidden_states: bool | None = None,
        return_dict: bool | None = None,
        **labels: Any,
    ):
        """Run the model on numpy or jax arrays (shapes as the torch classes' `forward`).

        Args:
            params: the parameters to use (default `self.params`); pass them explicitly under `jax.jit`
                or `jax.grad`.
            train: apply dropout; needs `dropout_rng` when the config has dropout.
            output_attentions, output_hidden_states: None takes the config's value (default False).
            return_dict: False gives the output's `to_tuple()`, as upstream.
            **labels: the class's `label_names`; when given, `out.loss` is the task loss.
        """
        unknown = sorted(set(labels) - set(self.label_names))
        if unknown:
            raise TypeError(
                f"{type(self).__name__} got unexpected arguments {unknown}; its labels are {list(self.label_names)}"
            )
        if output_attentions is None:
            output_attentions = self.config.output_attentions
        if output_hidden_states is None:
            output_hidden_states = self.config.output_hidden_states
        rngs = {} if dropout_rng is None else {"dropout": dropout_rng}
        if train and dropout_rng is None and self.has_dropout():
            raise ValueError("train=True applies dropout and needs dropout_rng=jax.random.key(...)")
        out = self.module.apply(
            {"params": self.params if params is None else params},
            input_ids, attention_mask, token_type_ids, position_ids, head_mask, inputs_embeds,
            deterministic=not train, output_attentions=output_attentions,
            output_hidden_states=output_hidden_states, rngs=rngs,
        )  # fmt: skip
        given = {k: v for k, v in labels.items() if v is not None}
        if given:
            out = out.replace(loss=self.compute_loss(out, **given))
        return out.to_tuple() if return_dict is False else out

    def compute_loss(self, out: Any, **labels: Any) -> jax.Array | None:
        """The task loss from the outputs and labels (none for the bare encoder)."""
        return None

    def has_dropout(self) -> bool:
        c = self.config
        probs = (c.hidden_dropout_prob, c.attention_probs_dropout_prob, c.classifier_dropout_prob or 0.0)
        return any(p > 0 for p in probs)

    # ----- files -----

    @classmethod
    def from_pretrained(
        cls,
        name_or_path: str | os.PathLike,
        *,
        config: AlbertConfig | None = None,
        dtype: Any = None,
        seed: int = 0,
        **config_overrides: Any,
    ) -> FlaxAlbertPreTrainedModel:
        """Load from a local directory or hub id: `model.safetensors` (torch layout, as our torch classes
        and transformers write it) or transformers' `flax_model.msgpack`. See `albert.checkpoint.flax`.
        transformers' `from_pt=True` / `from_flax=True` are accepted (both files are read anyway), as are the
        hub options (`revision`, `cache_dir`, ...) and `AlbertConfig` fields as overrides."""
        from albert.checkpoint.flax import load_flax_model
        from albert.hub import hub_options
        from albert.loading import normalise_framework_kwargs

        owner = f"{cls.__name__}.from_pretrained"
        options = normalise_framework_kwargs(
            owner, config_overrides, accepted=AlbertConfig.field_names(), reads=("pt", "flax")
        )
        with hub_options(**options.hub):
            model = load_flax_model(cls, name_or_path, config=config, dtype=dtype, seed=seed, **options.rest)
        model.name_or_path = str(name_or_path)
        return model

    def save_pretrained(
        self, directory: str | os.PathLike, *, push_to_hub: bool = False, **push_options: Any
    ) -> Path:
        """Write config.json, model.safetensors (torch layout: `albert.AlbertModel` and transformers load
        it) and flax_model.msgpack (transformers' Flax layout) into `directory`; `push_to_hub=True` then
        uploads them (`albert.hub_push`)."""
        from albert.checkpoint.flax import save_flax_model

        save = lambda: save_flax_model(self, directory)  # noqa: E731
        return save_then_push(
            save, directory, push_options, push=push_to_hub, what="model", replaces=WEIGHT_FILES
        )


def _cast_floats(params: dict, dtype: Any) -> dict:
    """`params` with every floating-point leaf cast to `dtype`."""
    return jax.tree_util.tree_map(
        lambda x: x.astype(dtype) if jnp.issubdtype(x.dtype, jnp.floating) else x, params
    )
