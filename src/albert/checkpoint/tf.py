"""Weights for the TensorFlow classes, as NumPy arrays (no torch): file formats and name/layout mapping.

Three namings meet here:
- HF (PyTorch layout): the names and (out, in) weights of `model.safetensors` (see `hf.py`, whose name
  tables are reused as they are);
- ours: the PyTorch state-dict names of `albert.model` (Q/K/V fused into one `qkv`);
- TF: the variable names of `albert.tf` (= ours with Keras leaf names: kernel (in, out), gamma, beta,
  embeddings).
`hf_to_tf` / `tf_to_hf` go between the first and the last; `read_h5_weights` turns transformers'
`tf_model.h5` (Keras 2 weight names) into HF names.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

import numpy as np

from albert.checkpoint.hf import from_hf_state_dict, to_hf_state_dict
from albert.checkpoint.layouts import (
    TF_LEAVES,
    file_or_shards,
    stored_format,
    tf_mlm_bias,
    tf_name_to_hf,
    to_torch_layout,
)
from albert.config import CONFIG_NAME, AlbertConfig
from albert.hub import resolve_file

logger = logging.getLogger(__name__)

SAFETENSORS_NAME = "model.safetensors"
SAFETENSORS_INDEX_NAME = "model.safetensors.index.json"
TF_H5_NAME = "tf_model.h5"
# Our parameters that are embedding tables ((rows, width), no transpose) rather than Dense kernels.
_EMBEDDING_STEMS = ("embeddings.word", "embeddings.position", "embeddings.token_type", "distance_embedding",
                    "mlm_head.decoder")  # fmt: skip

Arrays = dict[str, np.ndarray]


# HF names <-> our names: `albert.checkpoint.hf.from_hf_state_dict` / `to_hf_state_dict` (numpy arrays too).


# ----- our PyTorch names <-> TF variable names ------------------------------------------------------


def ours_to_tf(ours: Arrays) -> Arrays:
    """PyTorch names/layouts -> TF variable names/layouts (Dense weights transposed to (in, out))."""
    tf_arrays: Arrays = {}
    for key, array in ours.items():
        stem, leaf = key.rsplit(".", 1)
        if stem.endswith("norm"):
            tf_arrays[f"{stem}.{'gamma' if leaf == 'weight' else 'beta'}"] = array
        elif stem.endswith(_EMBEDDING_STEMS):
            tf_arrays[f"{stem}.embeddings"] = array
        elif key == "mlm_head.bias":
            tf_arrays[key] = array
        elif leaf == "weight":
            tf_arrays[f"{stem}.kernel"] = np.ascontiguousarray(array.T)
        else:
            tf_arrays[key] = array
    return tf_arrays


def tf_to_ours(tf_arrays: Arrays) -> Arrays:
    """TF variable names/layouts -> PyTorch names/layouts (the inverse of `ours_to_tf`)."""
    ours: Arrays = {}
    for key, array in tf_arrays.items():
        stem, leaf = key.rsplit(".", 1)
        if leaf not in TF_LEAVES:
            raise KeyError(f"unexpected TF variable {key!r} (leaf {leaf!r})")
        ours[f"{stem}.{TF_LEAVES[leaf]}"] = np.ascontiguousarray(array.T) if leaf == "kernel" else array
    return ours


def hf_to_tf(hf: Arrays) -> tuple[Arrays, list[str]]:
    """HF-named arrays -> TF variable arrays, and the HF names not recognised."""
    ours, unknown = from_hf_state_dict(hf)
    return ours_to_tf(ours), unknown


def tf_to_hf(tf_arrays: Arrays, *, tie_word_embeddings: bool = True) -> Arrays:
    return to_hf_state_dict(tf_to_ours(tf_arrays), tie_word_embeddings=tie_word_embeddings)


# ----- transformers' tf_model.h5 --------------------------------------------------------------------


def h5_name_to_hf(name: str) -> tuple[str, bool]:
    """A Keras 2 weight name of transformers' TF classes -> (HF name, transpose?).

    `tf_albert_for_masked_lm/albert/encoder/albert_layer_groups_._0/albert_layers_._0/ffn/kernel:0`
    -> `albert.encoder.albert_layer_groups.0.albert_layers.0.ffn.weight`, transposed."""
    return tf_name_to_hf(name.split("/", 1)[1])  # without the model's own scope


def read_h5_weights(path: str | os.PathLike) -> Arrays:
    """All weights of a transformers `tf_model.h5`, with HF names and PyTorch layouts.

    (The TF MLM head's two output biases: `layouts.tf_mlm_bias`.)"""
    import h5py

    hf: Arrays = {}
    try:
        with h5py.File(path, "r") as f:
            for layer in _names(f, "layer_names"):
                group = f[layer]
                for weight in _names(group, "weight_names"):
                    _put(hf, *h5_name_to_hf(weight), group[weight])
    except (OSError, KeyError) as e:
        raise ValueError(
            f"{path} is not a Keras weights file as transformers writes (tf_model.h5): {e}"
        ) from e
    return tf_mlm_bias(hf)


def read_h5_file_or_shards(name_or_path: str | os.PathLike) -> Arrays | None:
    """`tf_model.h5`, or the shards `save_pretrained(max_shard_size=...)` writes instead (`tf_model.h5.
    index.json`; a shard holds one dataset per weight, named without the model's scope), HF-named in
    PyTorch layouts; None when the directory has neither."""
    found = file_or_shards(name_or_path, TF_H5_NAME)
    if found is None:
        return None
    path, shards = found
    if not shards:
        return read_h5_weights(path)
    import h5py  # (only when there is an h5 file to read)

    hf: Arrays = {}
    for shard_path in shards:
        try:
            with h5py.File(shard_path, "r") as f:
                for weight in _names(f, "layer_names"):
                    _put(hf, *tf_name_to_hf(weight), f[weight])
        except (OSError, KeyError) as e:
            raise ValueError(f"{shard_path} is not a weights shard as transformers writes: {e}") from e
    return tf_mlm_bias(hf)


def _put(hf: Arrays, name: str, transpose: bool, dataset: Any) -> None:
    array = np.asarray(dataset)
    hf[name] = np.ascontiguousarray(array.T) if transpose else array


def _names(group: Any, attribute: str) -> list[str]:
    """A list of names stored as an HDF5 attribute; Keras splits a long one into `name0`, `name1`, ...
    (attributes are limited to 64 kB)."""
    if attribute in group.attrs:
        values = list(group.attrs[attribute])
    else:
        values, k = [], 0
        while f"{attribute}{k}" in group.attrs:
            values.extend(group.attrs[f"{attribute}{k}"])
            k += 1
        if not values:
            raise KeyError(f"no {attribute!r} attribute")
    return [_text(v) for v in values]


def _text(value: Any) -> str:
    return value.decode("utf-8") if isinstance(value, bytes) else str(value)


# ----- reading and writing model directories --------------------------------------------------------


def _read_safetensors(path: Path) -> Arrays:
    from safetensors import SafetensorError
    from safetensors.numpy import load_file

    try:
        state, fmt = load_file(str(path)), stored_format(path)
    except (SafetensorError, OSError, TypeError, ValueError) as e:
        raise ValueError(
            f"{path} is not a safetensors file NumPy can read (corrupt, or bfloat16?): {e}"
        ) from e
    return to_torch_layout(state, fmt, path)  # (a file transformers' Flax or TF class saved)


def read_weights(name_or_path: str | os.PathLike) -> Arrays:
    """HF-named NumPy arrays from `model.safetensors` or else `tf_model.h5` (either also sharded)."""
    found = file_or_shards(name_or_path, SAFETENSORS_NAME)
    if found is not None:
        path, shards = found
        return {k: v for file in shards or [path] for k, v in _read_safetensors(file).items()}
    hf = read_h5_file_or_shards(name_or_path)
    if hf is not None:
        return hf
    raise FileNotFoundError(
        f"{name_or_path} has no {SAFETENSORS_NAME}, {SAFETENSORS_INDEX_NAME}, {TF_H5_NAME} or "
        f"{TF_H5_NAME}.index.json for the TensorFlow classes (a pytorch_model.bin needs torch: load it with albert.AlbertModel.from_pretrained and "
        "save_pretrained it to get model.safetensors)"
    )


def write_hf_weights(
    hf: Arrays, directory: str | os.PathLike, config: AlbertConfig, architecture: str
) -> Path:
    """Write `model.safetensors` (HF names, atomically, usual permissions) and `config.json`."""
    from safetensors.numpy import save_file

    from albert.checkpoint import umask_mode

    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    tmp = directory / (SAFETENSORS_NAME + ".tmp")
    save_file({k: np.ascontiguousarray(v) for k, v in hf.items()}, str(tmp), metadata={"format": "pt"})
    os.chmod(tmp, umask_mode())
    os.replace(tmp, directory / SAFETENSORS_NAME)
    (directory / SAFETENSORS_INDEX_NAME).unlink(missing_ok=True)
    config.save_pretrained(directory, architectures=[architecture], torch_dtype="float32")
    return directory


def load_tf_model(cls: type, name_or_path: str | os.PathLike, *, config: AlbertConfig | None = None,
                  dtype: str | None = None, model_kwargs: dict[str, Any] | None = None,
                  **config_overrides: Any):  # fmt: skip
    """Build the TF class `cls` from a model directory or hub id (any ALBERT class's weights);
    `model_kwargs` go to its constructor (`add_pooling_layer=False`).

    Head weights absent from the files are newly initialised and named in a warning; weights the class
    does not use are logged."""
    if config is not None:
        config = AlbertConfig.coerce(config)  # transformers' AlbertConfig too
    else:
        config = AlbertConfig.from_json_file(resolve_file(name_or_path, CONFIG_NAME))
    if config_overrides:
        config = config.replace(**config_overrides)
    arrays, unknown = hf_to_tf(read_weights(name_or_path))
    if cls.torch_class_name == "AlbertModel":  # a bare encoder: drop the prefix and any head
        arrays = {k.removeprefix("backbone."): v for k, v in arrays.items() if k.startswith("backbone.")}
    model = cls(config, **(model_kwargs or {}), **({"dtype": dtype} if dtype else {}))
    missing = model.assign_variables(arrays, source=str(name_or_path))
    names = model.named_variables()
    unused = [k for k in arrays if k not in names] + unknown
    if missing:
        logger.warning(
            "Some weights of %s were not in %s and are newly initialised (train them before use): %s",
            cls.__name__, name_or_path, ", ".join(missing),
        )  # fmt: skip
    if unused:
        logger.info("Weights in %s not used by %s: %s", name_or_path, cls.__name__, ", ".join(unused))
    return model


def save_tf_model(model, directory: str | os.PathLike) -> Path:
    """config.json + model.safetensors (HF names, PyTorch layout, float32) of a TF model."""
    config: AlbertConfig = model.config
    hf = tf_to_hf(model.variables_as_numpy(), tie_word_embeddings=config.tie_word_embeddings)
    return write_hf_weights(hf, directory, config, model.torch_class_name)
