"""`TFAlbertPreTrainedModel`: what every TensorFlow ALBERT class shares (config, variable names, files,
the compiled inference function), and the three Keras layer constructors the model code uses.

Keras 3 with the TensorFlow backend (see docs/tensorflow.md for why not tf_keras). Variables are named
by the attribute path from the model down (`named_variables`), the same path as the PyTorch module
names; only `albert.checkpoint.tf` maps those names to files.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import keras
import numpy as np
import tensorflow as tf

from albert.config import AlbertConfig, check_config, check_unpruned, with_output_defaults
from albert.hub_push import WEIGHT_FILES, PushToHubMixin, save_then_push
from albert.tf.training import KerasFitMixin

logger = logging.getLogger(__name__)

if keras.backend.backend() != "tensorflow":  # pragma: no cover - depends on the user's environment
    raise ImportError(
        f"albert's TensorFlow classes need Keras with the TensorFlow backend, but KERAS_BACKEND is "
        f"{keras.backend.backend()!r}; set KERAS_BACKEND=tensorflow before importing keras"
    )

# Leaf layers whose variables are named by Keras itself ("kernel", "bias", "gamma", "beta", "embeddings").
_LEAF_LAYERS = (keras.layers.Dense, keras.layers.LayerNormalization, keras.layers.Embedding)


def _normal(config: AlbertConfig) -> keras.initializers.Initializer:
    return keras.initializers.RandomNormal(stddev=config.initializer_range)


def dense(parent: keras.layers.Layer, units: int, config: AlbertConfig) -> keras.layers.Dense:
    """A Dense layer initialised as the reference (Normal(0, initializer_range), zero bias)."""
    return keras.layers.Dense(units, kernel_initializer=_normal(config), dtype=parent.dtype_policy)


def embedding(
    parent: keras.layers.Layer, rows: int, width: int, config: AlbertConfig
) -> keras.layers.Embedding:
    return keras.layers.Embedding(
        rows, width, embeddings_initializer=_normal(config), dtype=parent.dtype_policy
    )


def layer_norm(parent: keras.layers.Layer, config: AlbertConfig) -> keras.layers.LayerNormalization:
    return keras.layers.LayerNormalization(epsilon=config.layer_norm_eps, dtype=parent.dtype_policy)


class Layer(keras.layers.Layer):
    """A composite layer: its sub-layers build themselves on first call, so there is nothing to build here
    (Keras' default `build` would warn about "unbuilt state")."""

    def build(self, *args: Any, **kwargs: Any) -> None:
        self.built = True


def named_variables(layer: keras.layers.Layer, prefix: str = "") -> dict[str, keras.Variable]:
    """Every variable under `layer`, keyed by its attribute path (`encoder.groups.0.layers.1.up.kernel`)."""
    if isinstance(layer, _LEAF_LAYERS):
        return {prefix + v.name: v for v in layer.weights}
    found: dict[str, keras.Variable] = {}
    for attr, value in vars(layer).items():
        if attr.startswith("_"):
            continue
        if isinstance(value, keras.Variable):
            found[prefix + attr] = value
        elif isinstance(value, keras.layers.Layer):
            found.update(named_variables(value, f"{prefix}{attr}."))
        elif isinstance(value, (list, tuple)):
            for i, item in enumerate(value):
                if isinstance(item, keras.layers.Layer):
                    found.update(named_variables(item, f"{prefix}{attr}.{i}."))
    return found


class TFAlbertPreTrainedModel(PushToHubMixin, KerasFitMixin, keras.Model):
    """Base class: holds `config`; `from_pretrained` / `save_pretrained` / `infer` / `serving_function`.

    `dtype` (a Keras dtype policy: "float32", "mixed_float16", "mixed_bfloat16") reaches every layer.
    """

    hub_replaces = WEIGHT_FILES  # a push deletes weight files of an earlier save (hub_push.py)

    #: name of the PyTorch class with the same weights (what `save_pretrained` writes as architecture)
    torch_class_name = "AlbertModel"
    # transformers' class attributes that tools read
    main_input_name = "input_ids"
    base_model_prefix = "albert"
    config_class = AlbertConfig
    framework = "tf"

    def __init__(self, config: AlbertConfig, **kwargs: Any) -> None:
        check_config(config)
        check_unpruned(config, type(self).__name__)
        super().__init__(**kwargs)
        self.config = config
        self.name_or_path = ""  # where from_pretrained loaded it from, as upstream
        self._compiled: dict[str, tf.types.experimental.GenericFunction] = {}

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        """`model(**inputs)`, or as in transformers' TF examples `model(inputs)` with the tokenizer's dict
        (Keras itself refuses a dict of arrays as the first positional argument); `return_dict=False` gives
        the output's `to_tuple()`."""
        if args and isinstance(args[0], Mapping):
            inputs = dict(args[0])
            if clash := sorted(set(inputs) & set(kwargs)):
                raise ValueError(
                    f"{clash} given both in the inputs dict and as keyword arguments; pass each once"
                )
            args, kwargs = args[1:], {**inputs, **kwargs}
        return_dict = kwargs.pop("return_dict", None)  # False: the output's to_tuple(), as upstream
        if self.config.output_attentions or self.config.output_hidden_states:  # plain Python, not traced
            kwargs = tf.autograph.experimental.do_not_convert(with_output_defaults)(
                self.config, self.call, args, kwargs
            )
        out = super().__call__(*args, **kwargs)
        return out.to_tuple() if return_dict is False else out

    # ----- variables -----

    def build(self, *args: Any, **kwargs: Any) -> None:
        """Nothing to build up front: `build_variables` runs one eager forward pass instead (Keras' default
        would trace the whole model symbolically first, ~10x slower)."""
        self.built = True

    def build_variables(self) -> None:
        """Create every variable with one tiny forward pass (Keras builds layers on first call), then zero
        the padding row of the word embeddings as the reference's initialisation does."""
        self(**self.dummy_inputs())
        pad = self.config.pad_token_id
        if pad is not None and 0 <= pad < self.config.vocab_size:
            table = self.word_embeddings
            table.assign(
                tf.tensor_scatter_nd_update(table, [[pad]], tf.zeros((1, table.shape[1]), table.dtype))
            )

    def dummy_inputs(self) -> dict[str, tf.Tensor]:
        return {"input_ids": tf.constant([[1, 2]], dtype=tf.int32)}

    def _backbone(self) -> TFAlbertPreTrainedModel:
        """The `TFAlbertModel` inside (the model itself for `TFAlbertModel`). A method, not a property:
        Keras' `load_model` follows every property that returns a layer, and loops on one returning self."""
        return getattr(self, "backbone", self)

    def get_input_embeddings(self) -> keras.layers.Layer:
        """The embeddings layer, as transformers' TF classes: `.weight` is the (V, E) word table."""
        return self._backbone().embeddings

    def num_parameters(self, only_trainable: bool = False) -> int:
        """Number of parameters (the tied MLM decoder once; Keras' dropout seed states are not counted)."""
        variables = self.trainable_weights if only_trainable else self.weights
        return sum(int(np.prod(v.shape)) for v in variables)

    @property
    def word_embeddings(self) -> keras.Variable:
        """The (V, E) word-embedding table (also the tied MLM decoder)."""
        return self._backbone().embeddings.word.embeddings

    def named_variables(self) -> dict[str, keras.Variable]:
        """Variables by name (the PyTorch state-dict names with Keras leaf names: kernel/gamma/beta/...)."""
        return named_variables(self)

    def variables_as_numpy(self) -> dict[str, np.ndarray]:
        return {name: np.asarray(v.numpy()) for name, v in self.named_variables().items()}

    def assign_variables(self, arrays: dict[str, np.ndarray], *, source: str = "weights") -> list[str]:
        """Assign the named arrays (shapes must match); returns the names of variables not in `arrays`."""
        variables = self.named_variables()
        for name, array in arrays.items():
            if name in variables and tuple(variables[name].shape) != tuple(array.shape):
                raise ValueError(
                    f"{source}: weight {name} has shape {tuple(array.shape)} but the config implies "
                    f"{tuple(variables[name].shape)}; the config.json does not match the weights"
                )
        for name, variable in variables.items():
            if name in arrays:
                variable.assign(np.asarray(arrays[name], dtype=variable.dtype))
        return [name for name in variables if name not in arrays]

    # ----- files -----

    @classmethod
    def from_pretrained(
        cls,
        name_or_path: str | os.PathLike,
        *,
        config: AlbertConfig | None = None,
        dtype: str | None = None,
        **config_overrides: Any,
    ) -> TFAlbertPreTrainedModel:
        """Load from a directory or hub id: `model.safetensors` (PyTorch layout) or transformers'
        `tf_model.h5`. `dtype`: a Keras dtype policy such as "mixed_bfloat16" (default float32).
        transformers' `from_pt=True` / `from_tf=True` are accepted (both files are read anyway), as are the
        hub options (`revision`, `cache_dir`, ...), `AlbertConfig` fields as overrides and the
        constructor's `init_options` (`add_pooling_layer` of `TFAlbertModel`)."""
        from albert.checkpoint.tf import load_tf_model
        from albert.hub import hub_options
        from albert.loading import normalise_framework_kwargs

        owner = f"{cls.__name__}.from_pretrained"
        model_kwargs = {k: config_overrides.pop(k) for k in cls.init_options if k in config_overrides}
        options = normalise_framework_kwargs(
            owner, config_overrides, accepted=AlbertConfig.field_names(), reads=("pt", "tf")
        )
        with hub_options(**options.hub):
            model = load_tf_model(
                cls, name_or_path, config=config, dtype=dtype, model_kwargs=model_kwargs, **options.rest
            )
        model.name_or_path = str(name_or_path)
        return model

    def save_pretrained(
        self, directory: str | os.PathLike, *, push_to_hub: bool = False, **push_options: Any
    ) -> Path:
        """Write config.json + model.safetensors in the PyTorch/HF layout (loadable by our torch classes,
        transformers and `from_pretrained`); `push_to_hub=True` then uploads them (`albert.hub_push`)."""
        from albert.checkpoint.tf import save_tf_model

        save = lambda: save_tf_model(self, directory)  # noqa: E731
        return save_then_push(
            save, directory, push_options, push=push_to_hub, what="model", replaces=WEIGHT_FILES
        )

    # ----- Keras serialisation: model.save, ModelCheckpoint, keras.models.load_model -----

    #: constructor arguments that `get_config` adds to the AlbertConfig fields
    keras_args = ("name", "dtype", "trainable")

    #: constructor arguments besides the config that `from_pretrained` passes on (as the torch classes')
    init_options: tuple[str, ...] = ()

    def get_config(self) -> dict[str, Any]:
        """The AlbertConfig as a dict (config.json's keys, as transformers' TF classes) plus the Keras
        `name` and `dtype` policy: what Keras' `model.save("m.keras")` stores to rebuild the model."""
        return {**self.config.to_dict(), "name": self.name, "dtype": self.dtype_policy.name}

    @classmethod
    def from_config(cls, config: Mapping[str, Any] | AlbertConfig) -> TFAlbertPreTrainedModel:
        """A model (fresh weights) from `get_config()`, a config.json dict or an AlbertConfig;
        `keras.models.load_model` then assigns the saved weights."""
        if isinstance(config, AlbertConfig):
            return cls(config)
        fields = dict(config)
        kwargs = {name: fields.pop(name) for name in cls.keras_args if name in fields}
        return cls(AlbertConfig.from_dict(fields), **kwargs)

    # ----- compiled inference -----

    def input_signature(self) -> list[tf.TensorSpec]:
        """The serving inputs: int32 (B, T) ids, mask and token types ((B, C, T) for multiple choice)."""
        shape = (None, None)
        return [
            tf.TensorSpec(shape, tf.int32, name=n) for n in ("input_ids", "attention_mask", "token_type_ids")
        ]

    def serving_function(self) -> tf.types.experimental.GenericFunction:
        """A `tf.function` (inference mode) from the serving inputs to a dict of the output tensors,
        traced once for any batch size and length: what `infer` runs and the SavedModel serves."""
        if "serving" not in self._compiled:

            def serve(input_ids, attention_mask, token_type_ids):
                out = self(input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids)
                return {key: out[key] for key in out.keys() if key not in ("hidden_states", "attentions")}

            self._compiled["serving"] = tf.function(serve, input_signature=self.input_signature())
        return self._compiled["serving"]

    def infer(self, input_ids, attention_mask=None, token_type_ids=None) -> dict[str, tf.Tensor]:
        """Inference through the compiled graph; missing mask / token types default to ones / zeros."""
        input_ids = tf.cast(input_ids, tf.int32)
        if attention_mask is None:
            attention_mask = tf.ones_like(input_ids)
        if token_type_ids is None:
            token_type_ids = tf.zeros_like(input_ids)
        return self.serving_function()(
            input_ids, tf.cast(attention_mask, tf.int32), tf.cast(token_type_ids, tf.int32)
        )
