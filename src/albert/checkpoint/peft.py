"""A PEFT LoRA adapter trained on transformers' ALBERT, converted for our classes (same outputs).

An adapter is keyed by module names, and ours are not transformers' (`hf.py`): `attention.dense` is our
`attention.output`, `ffn` our `feed_forward.up`, and query / key / value are one fused `qkv`. LoRA on
query and value becomes one LoRA on `qkv` whose rank is the sum of theirs: A stacks their A matrices,
B is block-structured (query's B in the query rows and columns, value's in the value ones, zeros
elsewhere), so (B A) x is exactly what the separate adapters add. Each adapter's scaling (alpha / r,
or alpha / sqrt(r) with rsLoRA) is folded into its B and the converted ranks get alpha = r (scaling 1),
so modules with different ranks keep their own scales. Training the converted adapter further adapts
the key rows too (B is then no longer block-structured); for inference and merging it is exact.

Reads `adapter_config.json` + `adapter_model.safetensors` (or `adapter_model.bin`); writes the same two
files. Needs no PEFT import: the files are plain JSON and tensors.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

import torch
from safetensors.torch import load_file, save_file

from albert.atomic_files import atomic_write_json
from albert.checkpoint.hf import from_hf_state_dict, module_from_hf

PREFIX = "base_model.model."
# Module names of our own model (`encoder.groups.0.layers.0...`, `backbone.`, our heads): an adapter that
# `convert_lora_adapter` already wrote.
_OURS = re.compile(r"(^|\.)groups\.\d+\.layers\.\d+\.|^(backbone|mlm_head|sop_head)\.")
_LORA_KEY = re.compile(r"^(?P<module>.+)\.lora_(?P<ab>[AB])(?:\.(?P<adapter>[^.]+))?\.weight$")
_QKV_ROW = {"query": 0, "key": 1, "value": 2}
# Options whose adapters this conversion cannot express (DoRA's magnitudes, LoRA biases, per-layer
# selection by index, adapters on parameters instead of modules).
_UNSUPPORTED = {"use_dora": False, "lora_bias": False, "bias": "none", "layers_to_transform": None,
                "target_parameters": None, "fan_in_fan_out": False}  # fmt: skip


def _pattern_value(patterns: dict[str, Any], module: str, default: Any) -> Any:
    """PEFT's rank_pattern / alpha_pattern lookup: the first key that matches the end of the module path."""
    for key, value in patterns.items():
        if re.match(rf"(.*\.)?({key})$", module):
            return value
    return default


def _read(source: Path) -> tuple[dict[str, Any], dict[str, torch.Tensor]]:
    config_path = source / "adapter_config.json"
    if not config_path.is_file():
        raise FileNotFoundError(f"{source} has no adapter_config.json: is it a directory saved by PEFT?")
    config = json.loads(config_path.read_text(encoding="utf-8"))
    if config.get("peft_type") != "LORA":
        raise ValueError(f"{source}: only LoRA adapters convert, this one is {config.get('peft_type')!r}")
    problems = [
        f"{k}={config[k]!r}" for k, plain in _UNSUPPORTED.items() if config.get(k) not in (None, plain)
    ]
    if problems:
        raise ValueError(
            f"{source}: {', '.join(problems)} is not converted (only plain LoRA on modules); merge the "
            "adapter into transformers' model instead (merge_and_unload, save_pretrained) and load that"
        )
    weights = source / "adapter_model.safetensors"
    if weights.is_file():
        return config, load_file(str(weights))
    legacy = source / "adapter_model.bin"
    if legacy.is_file():
        return config, torch.load(legacy, map_location="cpu", weights_only=True)
    raise FileNotFoundError(f"{source} has no adapter_model.safetensors (or adapter_model.bin)")


def _our_module(hf_module: str) -> tuple[str, str | None]:
    mapped = module_from_hf(hf_module)
    if mapped is None and _OURS.search(hf_module):
        raise ValueError(
            f"the adapter's module {hf_module!r} is already albert-lite's (this adapter was converted "
            "before): load it as it is with peft.PeftModel.from_pretrained(our_model, adapter_dir)"
        )
    if mapped is None:
        raise ValueError(
            f"the adapter's module {hf_module!r} is not a module of transformers' ALBERT we know"
        )
    return mapped


def convert_lora_adapter(source: str | os.PathLike, target: str | os.PathLike) -> Path:
    """Convert the PEFT LoRA adapter in directory `source` (trained on a transformers ALBERT class) into
    `target`, loadable with `peft.PeftModel.from_pretrained(our_model, target)`. Returns `target`."""
    source, target = Path(source), Path(target)
    config, weights = _read(source)
    r_default, alpha_default = config.get("r", 8), config.get("lora_alpha", 8)
    rank_pattern, alpha_pattern = config.get("rank_pattern") or {}, config.get("alpha_pattern") or {}
    lora: dict[str, dict[str, torch.Tensor]] = {}
    others: dict[str, torch.Tensor] = {}
    for key, tensor in weights.items():
        inner = key.removeprefix(PREFIX)
        m = _LORA_KEY.match(inner)
        if m:
            lora.setdefault(m["module"], {})[m["ab"]] = tensor
        else:
            others[inner] = tensor
    # Per our module: [(part or None, A, B scaled)], A (r, in), B (out, r).
    blocks: dict[str, list[tuple[str | None, torch.Tensor, torch.Tensor]]] = {}
    for hf_module, ab in sorted(lora.items()):
        if set(ab) != {"A", "B"}:
            raise ValueError(f"{source}: {hf_module} has lora_{''.join(ab)} without its pair")
        rank = _pattern_value(rank_pattern, hf_module, r_default)
        alpha = _pattern_value(alpha_pattern, hf_module, alpha_default)
        scaling = alpha / (rank**0.5 if config.get("use_rslora") else rank)
        ours, part = _our_module(hf_module)
        blocks.setdefault(ours, []).append((part, ab["A"], ab["B"] * scaling))
    out_weights: dict[str, torch.Tensor] = {}
    ranks: dict[str, int] = {}
    for ours, parts in blocks.items():
        a = torch.cat([p[1] for p in parts])
        if parts[0][0] is None:  # an ordinary module: one adapter
            b = parts[0][2]
        else:  # query / key / value into the fused qkv: block-structured B
            height = parts[0][2].shape[0]
            b = a.new_zeros(3 * height, a.shape[0])
            column = 0
            for part, part_a, part_b in parts:
                row = _QKV_ROW[part] * height
                b[row : row + height, column : column + part_a.shape[0]] = part_b
                column += part_a.shape[0]
        out_weights[f"{PREFIX}{ours}.lora_A.weight"] = a.contiguous()
        out_weights[f"{PREFIX}{ours}.lora_B.weight"] = b.contiguous()
        ranks[ours] = a.shape[0]
    saved, unknown = from_hf_state_dict(others)  # modules_to_save: whole modules, HF names -> ours
    if unknown:
        raise ValueError(f"{source}: saved modules we cannot map: {unknown[:5]}")
    out_weights.update({PREFIX + k: v.contiguous() for k, v in saved.items()})
    to_save = sorted({k.rsplit(".", 1)[0] for k in saved})
    converted = {
        **config,
        "target_modules": sorted(ranks),
        "rank_pattern": ranks,
        "alpha_pattern": dict(ranks),  # alpha = r: scaling 1, each adapter's own is in its B
        "use_rslora": False,
        "modules_to_save": to_save or None,
        "layers_pattern": None,
    }
    target.mkdir(parents=True, exist_ok=True)
    save_file(out_weights, str(target / "adapter_model.safetensors"), metadata={"format": "pt"})
    atomic_write_json(target / "adapter_config.json", converted, sort_keys=True)
    return target
