"""Model files in the Hugging Face layout: `config.json` + `model.safetensors` (HF key names).

`load_model` reads `model.safetensors`, sharded safetensors with `model.safetensors.index.json`, or
`pytorch_model.bin` (only through `torch.load(weights_only=True)`: arbitrary pickles are never run).
`save_model` writes safetensors atomically, omitting tied tensors as transformers does.
"""

from __future__ import annotations

import importlib
import logging
import os
from pathlib import Path
from typing import Any

import torch

from albert.atomic_files import atomic_write_json, umask_mode
from albert.checkpoint.hf import from_hf_state_dict, to_hf_state_dict
from albert.checkpoint.layouts import shard_names, stored_format, to_torch_layout
from albert.config import CONFIG_NAME, AlbertConfig
from albert.devices import warn_if_bf16_is_slow
from albert.hub import resolve_file

logger = logging.getLogger(__name__)

SAFETENSORS_NAME = "model.safetensors"
SAFETENSORS_INDEX_NAME = "model.safetensors.index.json"
TORCH_NAME = "pytorch_model.bin"
TORCH_INDEX_NAME = "pytorch_model.bin.index.json"

_DTYPES = {"float32": torch.float32, "float16": torch.float16, "bfloat16": torch.bfloat16, "fp32": torch.float32,
           "fp16": torch.float16, "half": torch.float16, "bf16": torch.bfloat16}  # fmt: skip


def _read_safetensors(path: Path) -> dict[str, torch.Tensor]:
    from safetensors import SafetensorError
    from safetensors.torch import load_file

    try:
        state, fmt = load_file(str(path)), stored_format(path)
    except (SafetensorError, OSError, RuntimeError) as e:
        raise ValueError(f"{path} is not a readable safetensors file (corrupt or truncated?): {e}") from e
    return to_torch_layout(state, fmt, path)  # (a file transformers' Flax or TF class saved)


def _read_torch(path: Path) -> dict[str, torch.Tensor]:
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as e:  # the unpickler raises many types; all mean "not a plain weights file"
        raise ValueError(
            f"{path} could not be read as a plain PyTorch weights file (corrupt, or it contains objects "
            f"other than tensors, which are not loaded for safety): {e}"
        ) from e
    if not isinstance(state, dict):
        raise ValueError(f"{path} holds a {type(state).__name__}, not a state dict")
    return state


def _read_sharded(name_or_path: str | os.PathLike, index_path: Path, reader) -> dict[str, torch.Tensor]:
    state: dict[str, torch.Tensor] = {}
    for shard in shard_names(index_path):
        state.update(reader(resolve_file(name_or_path, shard)))
    return state


def read_state_dict(name_or_path: str | os.PathLike, weights: str | None = None) -> dict[str, torch.Tensor]:
    """All tensors of a model directory or hub repo, with the names as stored; `weights="tf"` / `"flax"`
    (transformers' `from_tf` / `from_flax`) read its `tf_model.h5` / `flax_model.msgpack` instead."""
    if weights in ("tf", "flax"):
        return {
            k: torch.from_numpy(v.copy()) for k, v in _other_framework_weights(name_or_path, weights).items()
        }
    for name, reader, sharded in (
        (SAFETENSORS_NAME, _read_safetensors, False),
        (SAFETENSORS_INDEX_NAME, _read_safetensors, True),
        (TORCH_NAME, _read_torch, False),
        (TORCH_INDEX_NAME, _read_torch, True),
    ):
        path = resolve_file(name_or_path, name, required=False)
        if path is not None:
            return _read_sharded(name_or_path, path, reader) if sharded else reader(path)
    raise FileNotFoundError(
        f"{name_or_path} has no weights: expected {SAFETENSORS_NAME}, {SAFETENSORS_INDEX_NAME}, {TORCH_NAME} "
        f"or {TORCH_INDEX_NAME}"
    )


def _other_framework_weights(name_or_path: str | os.PathLike, weights: str) -> dict[str, Any]:
    """HF-named NumPy arrays of transformers' TensorFlow (h5py) or Flax (flax) weight file."""
    module, filename = {
        "tf": ("albert.checkpoint.tf", "tf_model.h5"),
        "flax": ("albert.checkpoint.flax", "flax_model.msgpack"),
    }[weights]
    try:
        readers = importlib.import_module(module)
        if weights == "tf":
            state = readers.read_h5_file_or_shards(name_or_path)
        else:
            tree = readers.read_msgpack_file_or_shards(name_or_path)
            state = None if tree is None else readers.hf_flax_tree_to_hf(tree)
    except ImportError as e:
        raise ImportError(
            f"from_{weights}=True reads {filename}, which needs {e.name}: pip install 'albert-lite[{weights}]'"
        ) from None
    if state is None:
        raise FileNotFoundError(
            f"from_{weights}=True reads {filename} (or its shards, {filename}.index.json), which {name_or_path} "
            f"does not have; drop from_{weights} to read {SAFETENSORS_NAME} or {TORCH_NAME}"
        )
    return state


def resolve_dtype(dtype: torch.dtype | str | None, stored: torch.dtype | None = None) -> torch.dtype | None:
    """The one reading of a `dtype=` argument (transformers'): None -> None (the caller's default: float32
    when loading), "auto" -> `stored` (the dtype the weights are stored in, or a loaded model's own), a
    name ("float32", "fp16", "bf16", ...) or a torch.dtype as given."""
    if dtype is None or isinstance(dtype, torch.dtype):
        return dtype
    if dtype == "auto":
        return stored
    if dtype in _DTYPES:
        return _DTYPES[dtype]
    raise ValueError(
        f"unknown dtype {dtype!r}; use None, 'auto', 'float32', 'float16', 'bfloat16' or a torch.dtype"
    )


def stored_dtype(state: dict[str, torch.Tensor]) -> torch.dtype:
    """The dtype floating-point weights were saved in (float32 if there are none)."""
    floats = [t.dtype for t in state.values() if t.is_floating_point()]
    return floats[0] if floats else torch.float32


def load_model(
    cls: type,
    name_or_path: str | os.PathLike,
    *,
    config: AlbertConfig | None = None,
    dtype: torch.dtype | str | None = None,
    attn_implementation: str = "sdpa",
    device: torch.device | str | None = None,
    weights: str | None = None,
    loading_info: dict[str, list[str]] | None = None,
    model_kwargs: dict[str, Any] | None = None,
    **config_overrides: Any,
):
    """Build `cls` from a saved model (any ALBERT class's checkpoint), in eval mode. `weights`: "tf" or
    "flax" to read transformers' TensorFlow / Flax weight file (`from_tf` / `from_flax`). `loading_info`:
    a dict to fill with transformers' `output_loading_info` lists (checkpoint names). `model_kwargs`: the
    constructor's own options (`add_pooling_layer=False` of `AlbertModel`).

    Head weights absent from the checkpoint are freshly initialised and named in a warning; checkpoint
    tensors the class does not use (e.g. the pooler when loading a masked-LM model) are logged.
    """
    if config is not None:
        config = AlbertConfig.coerce(config)  # transformers' AlbertConfig too
    else:
        config = AlbertConfig.from_json_file(_config_file(name_or_path))
    if config_overrides:
        config = config.replace(**config_overrides)
    hf_state = read_state_dict(name_or_path, weights)
    target_dtype = resolve_dtype(dtype, stored_dtype(hf_state)) or torch.float32
    # albert-lite's own names (a model's state_dict saved as it is, e.g. by transformers' Trainer) or HF's
    own = any(k.startswith(("backbone.", "embeddings.word.")) for k in hf_state)
    state, unknown = (dict(hf_state), []) if own else from_hf_state_dict(hf_state)
    model = cls(config, attn_implementation=attn_implementation, **(model_kwargs or {}))
    expected = model.state_dict()
    heads: dict[str, torch.Tensor] = {}  # head weights a bare encoder does not use
    if not any(k.startswith("backbone.") for k in expected):  # a bare encoder: drop the prefix and heads
        heads = {k: v for k, v in state.items() if not k.startswith("backbone.")}
        state = {k.removeprefix("backbone."): v for k, v in state.items() if k.startswith("backbone.")}
    # Shapes must match exactly (a config that disagrees with its weights is a user-visible error).
    for key, tensor in state.items():
        if key in expected and expected[key].shape != tensor.shape:
            raise ValueError(
                f"{name_or_path}: weight {key} has shape {tuple(tensor.shape)} but the config implies "
                f"{tuple(expected[key].shape)}; the config.json does not match the weights"
            )
    result = model.load_state_dict(state, strict=False)
    tied = {"mlm_head.decoder.bias"} | ({"mlm_head.decoder.weight"} if config.tie_word_embeddings else set())
    missing = [k for k in result.missing_keys if k not in tied]
    unused = list(result.unexpected_keys) + unknown
    if missing:
        logger.warning(
            "Some weights of %s were not in %s and are newly initialised (train them before use): %s",
            cls.__name__,
            name_or_path,
            ", ".join(missing),
        )
    if unused:
        logger.info("Weights in %s not used by %s: %s", name_or_path, cls.__name__, ", ".join(unused))
    if loading_info is not None:
        unexpected = {**heads, **{k: state[k] for k in result.unexpected_keys}}
        loading_info.update(hf_loading_info({k: expected[k] for k in missing}, unexpected, unknown))
    model.tie_weights()
    model.to(dtype=target_dtype, device=device)
    warn_if_bf16_is_slow(target_dtype, device)
    return model.eval()


def _config_file(name_or_path: str | os.PathLike) -> Path:
    """config.json of a checkpoint; a local directory of weights without one is explained (transformers'
    Trainer saves only the state dict of models that are not transformers classes)."""
    path = Path(name_or_path)
    if path.is_dir() and not (path / CONFIG_NAME).is_file() and (path / SAFETENSORS_NAME).is_file():
        raise FileNotFoundError(
            f"{path} has weights but no {CONFIG_NAME} (transformers' Trainer.save_model writes only the weights of "
            "an albert-lite model): pass config= (e.g. config=AlbertConfig.from_pretrained(the_base_model, "
            "num_labels=...)), and save finished models with model.save_pretrained(dir)"
        )
    return resolve_file(name_or_path, CONFIG_NAME)


def hf_loading_info(
    missing: dict[str, torch.Tensor], unexpected: dict[str, torch.Tensor], unknown: list[str]
) -> dict[str, list[str]]:
    """transformers' `output_loading_info` dict, in its weight names, from our missing and unused weights
    (and checkpoint names we did not map)."""
    missing_hf = list(to_hf_state_dict(missing, tie_word_embeddings=False))
    if "mlm_head.bias" in missing:  # transformers also names the decoder's bias, tied to the missing one
        missing_hf.append("predictions.decoder.bias")
    return {
        "missing_keys": sorted(missing_hf),
        "unexpected_keys": sorted([*to_hf_state_dict(unexpected, tie_word_embeddings=False), *unknown]),
        "mismatched_keys": [],  # a shape mismatch is an error (load_model)
        "error_msgs": [],
    }


def save_model(model, directory: str | os.PathLike, *, max_shard_size: int | str | None = None) -> Path:
    """Write `config.json` + `model.safetensors` (HF names) into `directory`; returns the directory.

    Each file is written to a temporary name and renamed, so an interrupted save never leaves a
    half-written file under the final name. `max_shard_size` (bytes, or transformers' "5GB" / "500MiB")
    splits large models into shards with an index, as transformers does.
    """
    max_shard_size = shard_size_bytes(max_shard_size)
    from safetensors.torch import save_file

    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    config: AlbertConfig = model.config
    hf = to_hf_state_dict(model.state_dict(), tie_word_embeddings=config.tie_word_embeddings)
    hf = {k: v.detach().contiguous().cpu() for k, v in hf.items()}
    shards = _split(hf, max_shard_size)
    names = [SAFETENSORS_NAME] if len(shards) == 1 else [
        f"model-{i + 1:05d}-of-{len(shards):05d}.safetensors" for i in range(len(shards))
    ]  # fmt: skip
    for name, shard in zip(names, shards):
        tmp = directory / (name + ".tmp")
        save_file(shard, str(tmp), metadata={"format": "pt"})
        os.chmod(tmp, umask_mode())
        os.replace(tmp, directory / name)
    if len(shards) > 1:
        index = {
            "metadata": {"total_size": sum(t.numel() * t.element_size() for t in hf.values())},
            "weight_map": {k: name for name, shard in zip(names, shards) for k in shard},
        }
        atomic_write_json(directory / SAFETENSORS_INDEX_NAME, index, sort_keys=True)
    stale = directory / (SAFETENSORS_INDEX_NAME if len(shards) == 1 else SAFETENSORS_NAME)
    stale.unlink(missing_ok=True)
    config.save_pretrained(
        directory, architectures=[type(model).__name__], torch_dtype=str(model.dtype).removeprefix("torch.")
    )
    return directory


_SIZE_UNITS = {"B": 1, "KB": 10**3, "MB": 10**6, "GB": 10**9, "TB": 10**12,
               "KIB": 2**10, "MIB": 2**20, "GIB": 2**30, "TIB": 2**40}  # fmt: skip


def shard_size_bytes(value: int | str | None) -> int | None:
    """`max_shard_size` in bytes: an int, or a string with a unit as transformers takes ("5GB" = 5e9,
    "500MiB" = 500 x 2**20)."""
    if value is None or (isinstance(value, int) and not isinstance(value, bool) and value > 0):
        return value
    if isinstance(value, str):
        text = value.strip().upper().replace(" ", "")
        for unit in sorted(_SIZE_UNITS, key=len, reverse=True):
            number = text.removesuffix(unit)
            if number != text:
                try:
                    size = float(number) * _SIZE_UNITS[unit]
                except ValueError:
                    break
                if size >= 1:
                    return int(size)
                break
    raise ValueError(
        f"max_shard_size must be a positive number of bytes or a size such as '5GB', got {value!r}"
    )


def _split(state: dict[str, torch.Tensor], max_bytes: int | None) -> list[dict[str, torch.Tensor]]:
    if not max_bytes:
        return [state]
    shards: list[dict[str, torch.Tensor]] = [{}]
    size = 0
    for key, tensor in state.items():
        nbytes = tensor.numel() * tensor.element_size()
        if shards[-1] and size + nbytes > max_bytes:
            shards.append({})
            size = 0
        shards[-1][key] = tensor
        size += nbytes
    return shards


__all__ = [
    "load_model",
    "resolve_dtype",
    "read_state_dict",
    "resolve_file",
    "save_model",
    "from_hf_state_dict",
    "to_hf_state_dict",
]
