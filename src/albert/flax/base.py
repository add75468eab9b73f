"""`FlaxAlbertPreTrainedModel`: what every Flax ALBERT class shares. A class pairs a linen module
(`module_class`, the computation) with its parameters (`params`, a pytree of float32 arrays), as
transformers' Flax classes do; file I/O is delegated to `albert.checkpoint.flax`, the only module
that knows weight names.

    model = FlaxAlbertModel.from_pretrained("albert/albert-base-v2")
    out = model(input_ids, attention_mask=mask)                       # eager
    fast = jax.jit(lambda params, ids: model(ids, params=params))     # compiled
"""

from __future__ import annotations

import dataclasses
import logging
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar

import jax
import jax.numpy as jnp
import numpy as np
from flax import linen as nn
from flax.errors import FlaxError
from flax.traverse_util import flatten_dict, unflatten_dict

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
        input_shape: tuple[int, ...] | None = None,
        seed: int = 0,
        dtype: Any = None,
        _do_init: bool = True,
        *,
        params: dict | None = None,
        **module_kwargs: Any,
    ) -> None:
        """transformers' constructor: `input_shape` is the shape of the zeros `init_weights` traces
        (default `dummy_shape`; the parameters do not depend on it), `_do_init=False` leaves the model
        without parameters (pass them to each call). `params` sets them; `module_kwargs` are the linen
        module's fields (`add_pooling_layer` of `FlaxAlbertModel`)."""
        check_config(config)
        check_unpruned(config, type(self).__name__)
        self.config = config
        self.name_or_path = ""  # where from_pretrained loaded it from, as upstream
        self.dtype = resolve_dtype(dtype)
        self.input_shape = self.check_input_shape(input_shape)
        self.module = self.module_class(
            config=config, dtype=self.dtype, **self.check_module_kwargs(module_kwargs)
        )
        self._params: dict | None = params
        if params is None and _do_init:
            self._params = self.init_weights(jax.random.key(seed), self.input_shape)

    @classmethod
    def check_module_kwargs(cls, kwargs: dict[str, Any]) -> dict[str, Any]:
        """`kwargs`, if each is a field of the linen module (else a TypeError naming what is taken)."""
        fields = _module_fields(cls)
        unknown = sorted(set(kwargs) - set(fields))
        if unknown:
            taken = ["config", "input_shape", "seed", "dtype", "_do_init", "params", *fields]
            raise TypeError(f"{cls.__name__} got unexpected arguments {unknown}; it takes {', '.join(taken)}")
        return kwargs

    @classmethod
    def check_input_shape(cls, input_shape: Any) -> tuple[int, ...]:
        """None -> `dummy_shape`; else the shape of input_ids, (batch, seq_len) or, for multiple
        choice, (batch, num_choices, seq_len)."""
        if input_shape is None:
            return cls.dummy_shape
        shape = tuple(input_shape)
        ok = len(shape) == len(cls.dummy_shape) and all(
            isinstance(n, (int, np.integer)) and n > 0 for n in shape
        )
        if not ok:
            names = "(batch, num_choices, seq_len)" if len(cls.dummy_shape) == 3 else "(batch, seq_len)"
            raise ValueError(
                f"{cls.__name__}: input_shape must be the input_ids shape {names} in positive ints, got "
                f"{input_shape!r}; the parameters do not depend on it, so the default {cls.dummy_shape} does"
            )
        return tuple(int(n) for n in shape)

    # ----- parameters -----

    @property
    def params(self) -> dict:
        """The parameter pytree; a model made with `_do_init=False` has none (an error says what to do)."""
        if self._params is None:
            raise ValueError(
                f"this {type(self).__name__} was created with _do_init=False and holds no parameters: pass "
                "them to each call, model(..., params=params), taking them from "
                "`model, params = from_pretrained(path, _do_init=False)` or "
                "`params = model.init_weights(jax.random.key(0), input_shape)`; or set `model.params = params`"
            )
        return self._params

    @params.setter
    def params(self, value: dict) -> None:
        self._params = value

    def init_weights(
        self, rng: jax.Array, input_shape: tuple[int, ...] | None = None, params: dict | None = None
    ) -> dict:
        """Freshly initialised parameters (the initialisation of `albert.model.base`), traced on zeros of
        `input_shape` (transformers' signature). With `params`, a partial tree of ours, only the leaves
        it lacks are fresh."""
        ids = jnp.zeros(self.check_input_shape(input_shape), dtype=jnp.int32)
        fresh = jax.jit(self.module.init)({"params": rng}, ids)["params"]
        return fresh if params is None else self.merge_params(fresh, params)

    def init_params(self, rng: jax.Array) -> dict:
        """`init_weights(rng)` on `dummy_shape`."""
        return self.init_weights(rng)

    def merge_params(self, fresh: dict, params: Any) -> dict:
        """`fresh` (a complete tree) with the leaves of `params` (a partial tree of ours) put in."""
        if _is_transformers_tree(params):
            raise ValueError(self.transformers_tree_message("params"))
        flat_fresh, flat_given = flatten_dict(dict(fresh)), flatten_dict(dict(params))
        unknown = ["/".join(p) for p in flat_given if p not in flat_fresh]
        if unknown:
            raise ValueError(f"params has entries {type(self).__name__} does not have: {', '.join(unknown)}")
        return unflatten_dict({**flat_fresh, **flat_given})

    def params_shape(self) -> dict:
        """The parameter pytree as `jax.ShapeDtypeStruct`s (traced, nothing computed)."""
        ids = jnp.zeros(self.dummy_shape, dtype=jnp.int32)
        return jax.eval_shape(self.module.init, {"params": jax.random.key(0)}, ids)["params"]

    def params_from_transformers(self, tree: Any) -> dict:
        """transformers' `FlaxAlbert*` parameter tree (`albert/encoder/albert_layer_groups/0/...`, e.g. from
        its `from_pretrained(..., _do_init=False)`) -> ours for this class (`backbone/encoder/groups_0/...`).
        Weights of other heads are dropped; a weight this class needs and `tree` lacks is an error."""
        from albert.checkpoint.flax import hf_flax_tree_to_hf, params_from_hf

        bare = self.module_class.__name__ == "AlbertModule"  # as albert.checkpoint.flax.load_flax_model
        converted = flatten_dict(params_from_hf(hf_flax_tree_to_hf(dict(tree)), bare=bare)[0])
        expected = flatten_dict(dict(self.params_shape()))
        missing = ["/".join(p) for p in expected if p not in converted]
        wrong = ["/".join(p) for p, s in expected.items() if p in converted and converted[p].shape != s.shape]
        if missing or wrong:
            raise ValueError(
                f"the transformers tree does not fit {type(self).__name__} with this config: missing "
                f"{missing}, wrong shapes {wrong}"
            )
        return unflatten_dict({p: jnp.asarray(converted[p], dtype=jnp.float32) for p in expected})

    def transformers_tree_message(self, name: str) -> str:
        """The error for transformers' parameter tree given where ours is expected: the fix."""
        return (
            f"{name} is transformers' FlaxAlbert parameter tree (albert/encoder/albert_layer_groups/0/...); "
            f"albert-lite's has other names (backbone/encoder/groups_0/...). Convert it once with "
            f"`{name} = model.params_from_transformers({name})`, or save the transformers model with "
            "save_pretrained and load that directory with this class's from_pretrained"
        )

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
        params: dict | None = None,
        dropout_rng: jax.Array | None = None,
        train: bool = False,
        output_attentions: bool | None = None,
        output_hidden_states: bool | None = None,
        return_dict: bool | None = None,
        *,
        head_mask: Any = None,
        inputs_embeds: Any = None,
        **labels: Any,
    ):
        """Run the model on numpy or jax arrays (shapes as the torch classes' `forward`).

        The positional order is transformers' Flax one (`params` 5th); `head_mask`, `inputs_embeds` and
        the labels, which transformers' Flax classes do not take, are keyword-only.

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
        if params is not None and not isinstance(params, Mapping):
            raise TypeError(
                f"params (the 5th positional argument, as in transformers) must be a parameter tree, got "
                f"{type(params).__name__}; pass head_mask=... by keyword"
            )
        if output_attentions is None:
            output_attentions = self.config.output_attentions
        if output_hidden_states is None:
            output_hidden_states = self.config.output_hidden_states
        rngs = {} if dropout_rng is None else {"dropout": dropout_rng}
        if train and dropout_rng is None and self.has_dropout():
            raise ValueError("train=True applies dropout and needs dropout_rng=jax.random.key(...)")
        params = self.params if params is None else params
        try:
            out = self.module.apply(
                {"params": params},
                input_ids, attention_mask, token_type_ids, position_ids, head_mask, inputs_embeds,
                deterministic=not train, output_attentions=output_attentions,
                output_hidden_states=output_hidden_states, rngs=rngs,
            )  # fmt: skip
        except FlaxError as e:  # a missing parameter: name the likely cause, transformers' tree
            if _is_transformers_tree(params):
                raise ValueError(self.transformers_tree_message("params")) from e
            raise
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
        input_shape: tuple[int, ...] | None = None,
        _do_init: bool = True,
        **kwargs: Any,
    ) -> FlaxAlbertPreTrainedModel | tuple[FlaxAlbertPreTrainedModel, dict]:
        """Load from a local directory or hub id: `model.safetensors` (torch layout, as our torch classes
        and transformers write it) or transformers' `flax_model.msgpack`. See `albert.checkpoint.flax`.
        transformers' `from_pt=True` / `from_flax=True` are accepted (both files are read anyway), as are the
        hub options (`revision`, `cache_dir`, ...), `AlbertConfig` fields as overrides and the module's
        fields (`add_pooling_layer`). `_do_init=False` returns `(model, params)`, the model without them,
        as transformers does."""
        from albert.checkpoint.flax import load_flax_model
        from albert.hub import hub_options
        from albert.loading import normalise_framework_kwargs

        owner = f"{cls.__name__}.from_pretrained"
        module_kwargs = cls.check_module_kwargs(
            {k: kwargs.pop(k) for k in _module_fields(cls) if k in kwargs}
        )
        options = normalise_framework_kwargs(
            owner, kwargs, accepted=AlbertConfig.field_names(), reads=("pt", "flax")
        )
        with hub_options(**options.hub):
            model = load_flax_model(cls, name_or_path, config=config, dtype=dtype, seed=seed, **options.rest)
        if module_kwargs:  # rebuilt with the options; weights it has no place for (the pooler) are dropped
            rebuilt = cls(model.config, dtype=model.dtype, params={}, **module_kwargs)
            kept = flatten_dict(dict(rebuilt.params_shape()))
            rebuilt.params = unflatten_dict(
                {p: v for p, v in flatten_dict(dict(model.params)).items() if p in kept}
            )
            model = rebuilt
        model.input_shape = cls.check_input_shape(input_shape)
        model.name_or_path = str(name_or_path)
        if not _do_init:
            params, model.params = model.params, None
            return model, params
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


_NOT_OPTIONS = ("config", "dtype", "parent", "name")  # linen module fields the class sets itself
_TRANSFORMERS_NAMES = ("albert_layer_groups", "word_embeddings")  # in transformers' tree, not in ours


def _module_fields(cls: type[FlaxAlbertPreTrainedModel]) -> list[str]:
    """The linen module's fields a user may set (`add_pooling_layer`)."""
    return [f.name for f in dataclasses.fields(cls.module_class) if f.name not in _NOT_OPTIONS]


def _is_transformers_tree(params: Any) -> bool:
    """Whether `params` has transformers' FlaxAlbert names (works on traced trees: only keys are read)."""
    if not isinstance(params, Mapping):
        return False
    return any(part in _TRANSFORMERS_NAMES for path in flatten_dict(dict(params)) for part in path)


def _cast_floats(params: dict, dtype: Any) -> dict:
    """`params` with every floating-point leaf cast to `dtype`."""
    return jax.tree_util.tree_map(
        lambda x: x.astype(dtype) if jnp.issubdtype(x.dtype, jnp.floating) else x, params
    )
