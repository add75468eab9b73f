"""The three layouts a `model.safetensors` of transformers can hold, and the torch one made of the others.

transformers' `save_pretrained(..., safe_serialization=True)` writes the layout of the framework that
saved, and says which in the file's metadata (`"format"`):
- `"pt"` (or no metadata): HF names with PyTorch layouts, `...query.weight` (out, in): what albert-lite
  reads and writes;
- `"flax"`: the Flax params paths joined with dots, `...query.kernel` (in, out), LayerNorm `scale`,
  Embed `embedding`;
- `"tf"`: Keras variable names without the model's own scope, `albert/encoder/albert_layer_groups_._0/
  .../query/kernel:0` (in, out), LayerNorm `gamma` / `beta`, embeddings `weight`.
Every loader (torch, Flax, TensorFlow) reads the format and brings the other two to the torch layout
here, so a directory any of transformers' classes saved loads in each of ours. Pure functions on dicts of
arrays (numpy arrays or torch tensors); no framework is imported.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import numpy as np

# Keras leaf -> HF leaf (transformers' TF classes: LayerNorm gamma/beta, Dense kernel, embedding tables)
TF_LEAVES = {"gamma": "weight", "beta": "bias", "embeddings": "weight", "kernel": "weight", "bias": "bias"}
_FLAX_LEAVES = {"kernel": "weight", "embedding": "weight", "scale": "weight"}


def shard_names(index_path: Path) -> list[str]:
    """The shard files a `*.index.json` of transformers' `save_pretrained(max_shard_size=...)` names, in
    order (the index of the torch, TensorFlow and Flax files has the same `weight_map`)."""
    try:
        weight_map = json.loads(Path(index_path).read_text(encoding="utf-8"))["weight_map"]
        return sorted(set(weight_map.values()))
    except (json.JSONDecodeError, KeyError, TypeError, AttributeError) as e:
        raise ValueError(f"{index_path} is not a valid shard index: {e}") from e


def file_or_shards(name_or_path: str | os.PathLike, filename: str) -> tuple[Path, list[Path]] | None:
    """Where a weight file is: (the file, []) or, when it was saved in shards, (its index, [the shards]);
    None when there is neither (`FILENAME` and `FILENAME.index.json`, transformers' names)."""
    from albert.hub import resolve_file

    path = resolve_file(name_or_path, filename, required=False)
    if path is not None:
        return path, []
    index = resolve_file(name_or_path, f"{filename}.index.json", required=False)
    if index is None:
        return None
    return index, [resolve_file(name_or_path, shard) for shard in shard_names(index)]


def stored_format(path: str | os.PathLike) -> str:
    """The `format` a safetensors file's metadata records ("pt" when it records none)."""
    from safetensors import safe_open

    with safe_open(str(path), "np") as f:
        return (f.metadata() or {}).get("format", "pt")


def flax_name_to_hf(parts: list[str]) -> tuple[str, bool]:
    """A transformers Flax params path (`[..., "query", "kernel"]`) -> (HF name, transpose?)."""
    *modules, leaf = parts
    return ".".join([*modules, _FLAX_LEAVES.get(leaf, leaf)]), leaf == "kernel"


def tf_name_to_hf(name: str) -> tuple[str, bool]:
    """A Keras variable name of transformers' TF classes, without the model's scope
    (`albert/encoder/albert_layer_groups_._0/albert_layers_._0/ffn/kernel:0`) -> (HF name, transpose?)."""
    path = name.removesuffix(":0").replace("_._", "/")
    stem, _, leaf = path.rpartition("/")
    return f"{stem.replace('/', '.')}.{TF_LEAVES.get(leaf, leaf)}", leaf == "kernel"


def tf_mlm_bias(state: dict[str, Any]) -> dict[str, Any]:
    """transformers' TF MLM head keeps two output biases and adds `predictions/decoder/bias` to the logits;
    that one is the HF `predictions.bias`."""
    if "predictions.decoder.bias" in state:
        state["predictions.bias"] = state.pop("predictions.decoder.bias")
    return state


def to_torch_layout(arrays: dict[str, Any], fmt: str, source: str | os.PathLike) -> dict[str, Any]:
    """The tensors of a safetensors file stored in layout `fmt` with HF names and PyTorch layouts."""
    if fmt == "pt":
        return arrays
    if fmt not in ("flax", "tf"):
        raise ValueError(
            f"{source} holds weights in the {fmt!r} layout (its safetensors metadata 'format'); albert-lite "
            "reads the 'pt', 'flax' and 'tf' layouts that transformers writes: save the model again with "
            "transformers' PyTorch, Flax or TensorFlow class"
        )
    state: dict[str, Any] = {}
    for key, array in arrays.items():
        name, transpose = flax_name_to_hf(key.split(".")) if fmt == "flax" else tf_name_to_hf(key)
        state[name] = _transposed(array) if transpose else array
    return tf_mlm_bias(state) if fmt == "tf" else state


def _transposed(array: Any) -> Any:
    """A 2-D weight (in, out) as (out, in), contiguous (numpy array or torch tensor)."""
    if isinstance(array, np.ndarray):
        return np.ascontiguousarray(array.T)
    return array.T.contiguous()
