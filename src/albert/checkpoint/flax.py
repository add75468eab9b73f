"""Flax parameters <-> checkpoint files: the torch-layout `model.safetensors` (Hugging Face names) and
transformers' Flax `flax_model.msgpack`. Conversions are pure functions on numpy dicts (no torch);
files are read with safetensors' numpy API and `flax.serialization`.

Three namings meet here, all derived from the one table in `albert.checkpoint.hf`:
- HF names (`albert.encoder.albert_layer_groups.0.albert_layers.0.attention.query.weight`): the files;
- canonical names, our torch model's (`backbone.encoder.groups.0.layers.0.attention.qkv.weight`);
- our Flax params paths, the canonical names with linen's leaf names: Dense `kernel` (the torch
  weight transposed: (in, out)), Embed `embedding`, LayerNorm `scale`, and `groups_0` / `layers_0`
  for list entries.
transformers' Flax tree is the HF names with the same leaf renames (`.../attention/query/kernel`).
"""

from __future__ import annotations

import logging
import os
import re
from pathlib import Path
from typing import Any

import jax
import numpy as np
from flax import serialization
from flax.traverse_util import flatten_dict, unflatten_dict

from albert.atomic_files import atomic_write
from albert.checkpoint import SAFETENSORS_INDEX_NAME, SAFETENSORS_NAME, TORCH_NAME
from albert.checkpoint.hf import from_hf_state_dict, to_hf_state_dict
from albert.checkpoint.layouts import (
    file_or_shards,
    flax_name_to_hf,
    stored_format,
    to_torch_layout,
)
from albert.config import CONFIG_NAME, AlbertConfig
from albert.hub import resolve_file

logger = logging.getLogger(__name__)

FLAX_WEIGHTS_NAME = "flax_model.msgpack"
Arrays = dict[str, np.ndarray]

# canonical module names whose `weight` is an embedding table / a LayerNorm scale (others are Dense)
_EMBEDDINGS = ("word", "position", "token_type", "distance_embedding")
_NORMS = ("norm", "attention_norm", "output_norm")
_LIST_ENTRY = re.compile(r"^(groups|layers)_(\d+)$")


# HF names <-> our names: `albert.checkpoint.hf.from_hf_state_dict` / `to_hf_state_dict` (numpy arrays too).


# ----- canonical names <-> our Flax params -----


def canonical_to_params(state: Arrays) -> dict:
    """Canonical torch-layout arrays -> our nested Flax params (Dense weights transposed)."""
    flat = {}
    for key, array in state.items():
        *modules, leaf = key.split(".")
        path: list[str] = []
        for part in modules:
            if part.isdigit() and path and path[-1] in ("groups", "layers"):
                path[-1] = f"{path[-1]}_{part}"
            else:
                path.append(part)
        if leaf == "weight":
            if path[-1] in _EMBEDDINGS:
                leaf = "embedding"
            elif path[-1] in _NORMS:
                leaf = "scale"
            else:
                leaf, array = "kernel", array.T
        flat[(*path, leaf)] = array
    return unflatten_dict(flat)


def params_to_canonical(params: dict) -> Arrays:
    """Our nested Flax params -> canonical torch-layout numpy arrays."""
    state: Arrays = {}
    for path, array in flatten_dict(dict(params)).items():
        *modules, leaf = path
        names = [_LIST_ENTRY.sub(r"\1.\2", m) for m in modules]
        array = np.asarray(array)
        if leaf in ("kernel", "embedding", "scale"):
            array = array.T if leaf == "kernel" else array
            leaf = "weight"
        state[".".join([*names, leaf])] = np.ascontiguousarray(array)
    return state


# ----- HF names <-> transformers' Flax tree -----


def hf_flax_tree_to_hf(tree: dict) -> Arrays:
    """transformers' Flax params (nested) -> HF torch-layout names and arrays."""
    state: Arrays = {}
    for path, array in flatten_dict(tree).items():
        name, transpose = flax_name_to_hf([str(p) for p in path])
        array = np.asarray(array)
        state[name] = np.ascontiguousarray(array.T if transpose else array)
    return state


def hf_to_hf_flax_tree(state: Arrays) -> dict:
    """HF torch-layout names -> transformers' Flax params (nested), as its `from_pt` conversion does."""
    flat = {}
    for key, array in state.items():
        *modules, leaf = key.split(".")
        if leaf == "weight":
            owner = modules[-1]
            if "LayerNorm" in owner or owner.endswith("layer_norm"):
                leaf = "scale"
            elif owner.endswith("embeddings") or owner == "distance_embedding":
                leaf = "embedding"
            else:
                leaf, array = "kernel", array.T
        flat[(*modules, leaf)] = np.ascontiguousarray(array)
    return unflatten_dict(flat)


# ----- files -----


def read_safetensors(path: Path) -> Arrays:
    """A safetensors file as numpy arrays; bfloat16 tensors come back as float32."""
    from safetensors import SafetensorError
    from safetensors.numpy import load_file

    try:
        state, fmt = load_file(str(path)), stored_format(path)
    except (SafetensorError, OSError) as e:
        raise ValueError(f"{path} is not a readable safetensors file (corrupt or truncated?): {e}") from e
    state = {k: v.astype(np.float32) if v.dtype.name == "bfloat16" else v for k, v in state.items()}
    return to_torch_layout(state, fmt, path)  # (a file transformers' Flax or TF class saved)


def read_msgpack(path: Path) -> dict:
    """transformers' `flax_model.msgpack`: a nested dict of numpy arrays."""
    try:
        return serialization.msgpack_restore(Path(path).read_bytes())
    except Exception as e:  # msgpack raises several types; all mean "not a Flax params file"
        raise ValueError(f"{path} is not a readable Flax msgpack file (corrupt or truncated?): {e}") from e


def read_msgpack_file_or_shards(name_or_path: str | os.PathLike) -> dict | None:
    """transformers' `flax_model.msgpack` as a nested dict, or the shards `save_pretrained(max_shard_size=
    ...)` writes instead (`flax_model.msgpack.index.json`; each shard a part of the same tree) merged into
    one; None when the directory has neither."""
    found = file_or_shards(name_or_path, FLAX_WEIGHTS_NAME)
    if found is None:
        return None
    path, shards = found
    if not shards:
        return read_msgpack(path)
    flat: dict = {}
    for shard in shards:
        flat.update(flatten_dict(read_msgpack(shard)))
    return unflatten_dict(flat)


def read_hf_state(name_or_path: str | os.PathLike) -> Arrays:
    """The weights of a model directory or hub repo under HF names (torch layout), as numpy arrays.

    Tries `model.safetensors`, its sharded form, then `flax_model.msgpack` (also sharded).
    """
    found = file_or_shards(name_or_path, SAFETENSORS_NAME)
    if found is not None:
        path, shards = found
        return {k: v for file in shards or [path] for k, v in read_safetensors(file).items()}
    tree = read_msgpack_file_or_shards(name_or_path)
    if tree is not None:
        return hf_flax_tree_to_hf(tree)
    hint = ""
    if resolve_file(name_or_path, TORCH_NAME, required=False) is not None:
        hint = (
            f" It has only {TORCH_NAME} (a pickle, read only by torch): convert it once with "
            "albert.AlbertModel.from_pretrained(path).save_pretrained(path)."
        )
    raise FileNotFoundError(
        f"{name_or_path} has no weights the Flax classes read: expected {SAFETENSORS_NAME}, "
        f"{SAFETENSORS_INDEX_NAME}, {FLAX_WEIGHTS_NAME} or {FLAX_WEIGHTS_NAME}.index.json.{hint}"
    )


def params_from_hf(state: Arrays, *, bare: bool) -> tuple[dict, list[str]]:
    """HF-named arrays -> our Flax params for a task class (`bare=False`) or `FlaxAlbertModel`.
    Returns (params, names of the checkpoint tensors that were not used)."""
    canonical, unused = from_hf_state_dict(state)
    if bare:  # a bare encoder: drop the prefix and any head
        unused += [k for k in canonical if not k.startswith("backbone.")]
        canonical = {
            k.removeprefix("backbone."): v for k, v in canonical.items() if k.startswith("backbone.")
        }
    return canonical_to_params(canonical), unused


def params_to_hf(params: dict, *, tie_word_embeddings: bool) -> Arrays:
    """Our Flax params -> HF-named torch-layout float arrays, as transformers' `save_pretrained` writes."""
    return to_hf_state_dict(params_to_canonical(params), tie_word_embeddings=tie_word_embeddings)


def load_flax_model(cls: type, name_or_path: str | os.PathLike, *, config: AlbertConfig | None = None,
                    dtype: Any = None, seed: int = 0, **config_overrides: Any):  # fmt: skip
    """Build the Flax class `cls` from a saved model (any ALBERT class's checkpoint).

    Head weights absent from the checkpoint are freshly initialised and named in a warning; checkpoint
    tensors the class does not use are logged. Parameters are float32 whatever the file stores.
    """
    if config is not None:
        config = AlbertConfig.coerce(config)  # transformers' AlbertConfig too
    else:
        config = AlbertConfig.from_json_file(resolve_file(name_or_path, CONFIG_NAME))
    if config_overrides:
        config = config.replace(**config_overrides)
    params, unused = params_from_hf(
        read_hf_state(name_or_path), bare=cls.module_class.__name__ == "AlbertModule"
    )  # the bare encoder (no import of albert.flax: layers)
    model = cls(config, dtype=dtype, params={})
    expected = flatten_dict(dict(model.params_shape()))
    loaded = flatten_dict(params)
    for path, array in loaded.items():
        if path in expected and expected[path].shape != array.shape:
            raise ValueError(
                f"{name_or_path}: weight {'/'.join(path)} has shape {array.shape} but the config implies "
                f"{tuple(expected[path].shape)}; the config.json does not match the weights"
            )
    unused += ["/".join(p) for p in loaded if p not in expected]
    missing = [p for p in expected if p not in loaded]
    fresh = flatten_dict(dict(model.init_params(jax.random.key(seed)))) if missing else {}
    if missing:
        logger.warning(
            "Some weights of %s were not in %s and are newly initialised (train them before use): %s",
            cls.__name__, name_or_path, ", ".join("/".join(p) for p in missing),
        )  # fmt: skip
    if unused:
        logger.info("Weights in %s not used by %s: %s", name_or_path, cls.__name__, ", ".join(unused))
    model.params = unflatten_dict(
        {p: jax.numpy.asarray(loaded[p] if p in loaded else fresh[p], dtype=np.float32) for p in expected}
    )
    return model


def save_flax_model(model, directory: str | os.PathLike) -> Path:
    """Write config.json, model.safetensors (HF names, torch layout) and flax_model.msgpack
    (transformers' Flax tree) into `directory`, each atomically; returns the directory."""
    from safetensors.numpy import save

    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    config: AlbertConfig = model.config
    hf = params_to_hf(model.params, tie_word_embeddings=config.tie_word_embeddings)
    hf = {k: np.ascontiguousarray(v, dtype=np.float32) for k, v in hf.items()}
    weights = save(hf, metadata={"format": "pt"})  # "pt": what transformers' torch loader requires
    atomic_write(directory / SAFETENSORS_NAME, lambda f: f.write(weights), binary=True)
    tree = serialization.msgpack_serialize(hf_to_hf_flax_tree(hf))
    atomic_write(directory / FLAX_WEIGHTS_NAME, lambda f: f.write(tree), binary=True)
    (directory / SAFETENSORS_INDEX_NAME).unlink(missing_ok=True)  # left by an older sharded save: stale
    architecture = type(model).__name__.removeprefix("Flax")  # the torch class name, as transformers writes
    config.save_pretrained(directory, architectures=[architecture], torch_dtype="float32")
    return directory
