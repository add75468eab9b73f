"""The one place that knows Hugging Face's ALBERT state-dict names. Pure functions, no I/O.

Our modules have short role names (`backbone.encoder.groups.0.layers.0.feed_forward.up`); HF's are
the historical ones (`albert.encoder.albert_layer_groups.0.albert_layers.0.ffn`). The table below maps
the suffixes with two placeholders, {g} (group) and {i} (inner layer). The only tensor surgery is Q/K/V:
we keep them stacked in one (3H, H) matrix for one matmul instead of three; HF stores three.

Keys in canonical form ("ours") always carry the `backbone.` prefix for encoder weights; the loader
strips it for a bare `AlbertModel`.
"""

from __future__ import annotations

import re

import numpy as np
import torch

LAYER = "encoder.groups.{g}.layers.{i}."
HF_LAYER = "encoder.albert_layer_groups.{g}.albert_layers.{i}."

# (ours, HF) for encoder keys, relative to the backbone.
_BACKBONE_TABLE: list[tuple[str, str]] = [
    ("embeddings.word.weight", "embeddings.word_embeddings.weight"),
    ("embeddings.position.weight", "embeddings.position_embeddings.weight"),
    ("embeddings.token_type.weight", "embeddings.token_type_embeddings.weight"),
    ("embeddings.norm.weight", "embeddings.LayerNorm.weight"),
    ("embeddings.norm.bias", "embeddings.LayerNorm.bias"),
    ("encoder.embedding_projection.weight", "encoder.embedding_hidden_mapping_in.weight"),
    ("encoder.embedding_projection.bias", "encoder.embedding_hidden_mapping_in.bias"),
    (LAYER + "attention.output.weight", HF_LAYER + "attention.dense.weight"),
    (LAYER + "attention.output.bias", HF_LAYER + "attention.dense.bias"),
    (LAYER + "attention.distance_embedding.weight", HF_LAYER + "attention.distance_embedding.weight"),
    (LAYER + "attention_norm.weight", HF_LAYER + "attention.LayerNorm.weight"),
    (LAYER + "attention_norm.bias", HF_LAYER + "attention.LayerNorm.bias"),
    (LAYER + "feed_forward.up.weight", HF_LAYER + "ffn.weight"),
    (LAYER + "feed_forward.up.bias", HF_LAYER + "ffn.bias"),
    (LAYER + "feed_forward.down.weight", HF_LAYER + "ffn_output.weight"),
    (LAYER + "feed_forward.down.bias", HF_LAYER + "ffn_output.bias"),
    (LAYER + "output_norm.weight", HF_LAYER + "full_layer_layer_norm.weight"),
    (LAYER + "output_norm.bias", HF_LAYER + "full_layer_layer_norm.bias"),
    ("pooler.dense.weight", "pooler.weight"),
    ("pooler.dense.bias", "pooler.bias"),
]
# (ours, HF) for head keys (no backbone prefix on either side).
_HEAD_TABLE: list[tuple[str, str]] = [
    ("mlm_head.dense.weight", "predictions.dense.weight"),
    ("mlm_head.dense.bias", "predictions.dense.bias"),
    ("mlm_head.norm.weight", "predictions.LayerNorm.weight"),
    ("mlm_head.norm.bias", "predictions.LayerNorm.bias"),
    ("mlm_head.bias", "predictions.bias"),
    ("mlm_head.decoder.weight", "predictions.decoder.weight"),
    ("sop_head.classifier.weight", "sop_classifier.classifier.weight"),
    ("sop_head.classifier.bias", "sop_classifier.classifier.bias"),
    ("classifier.weight", "classifier.weight"),
    ("classifier.bias", "classifier.bias"),
    ("qa_outputs.weight", "qa_outputs.weight"),
    ("qa_outputs.bias", "qa_outputs.bias"),
]
_QKV = ("query", "key", "value")

# HF keys that carry no information for us: non-persistent buffers saved by 2020-era checkpoints, and
# the MLM decoder bias, which is the same tensor as `predictions.bias`.
IGNORED_HF_SUFFIXES = ("embeddings.position_ids", "embeddings.token_type_ids", "predictions.decoder.bias")


def _pattern(template: str) -> re.Pattern[str]:
    escaped = re.escape(template).replace(r"\{g\}", r"(?P<g>\d+)").replace(r"\{i\}", r"(?P<i>\d+)")
    return re.compile(escaped + "$")


_FROM_HF = [(_pattern(hf), ours) for ours, hf in _BACKBONE_TABLE]
_TO_HF = [(_pattern(ours), hf) for ours, hf in _BACKBONE_TABLE]
_HEAD_FROM_HF = {hf: ours for ours, hf in _HEAD_TABLE}
_HEAD_TO_HF = {ours: hf for ours, hf in _HEAD_TABLE}
_HF_QKV = re.compile(
    r"encoder\.albert_layer_groups\.(?P<g>\d+)\.albert_layers\.(?P<i>\d+)\.attention\.(?P<part>query|key|value)\."
    r"(?P<kind>weight|bias)$"
)
_OURS_QKV = re.compile(
    r"encoder\.groups\.(?P<g>\d+)\.layers\.(?P<i>\d+)\.attention\.qkv\.(?P<kind>weight|bias)$"
)


def _rename(key: str, table: list[tuple[re.Pattern[str], str]]) -> str | None:
    for pattern, target in table:
        m = pattern.match(key)
        if m:
            return target.format(**m.groupdict())
    return None


def normalize_hf_key(key: str) -> str:
    """Generic legacy renames HF applies on load: LayerNorm.gamma/beta -> weight/bias."""
    if key.endswith("LayerNorm.gamma"):
        return key[: -len("gamma")] + "weight"
    if key.endswith("LayerNorm.beta"):
        return key[: -len("beta")] + "bias"
    return key


# The two converters below take torch tensors (the torch classes) or numpy arrays (the Flax and
# TensorFlow converters, which read files without torch): only joining and splitting Q/K/V differ.
Array = torch.Tensor | np.ndarray


def _concat(parts: list[Array]) -> Array:
    return torch.cat(parts) if isinstance(parts[0], torch.Tensor) else np.concatenate(parts)


def _split3(array: Array) -> tuple[Array, ...]:
    return array.chunk(3, dim=0) if isinstance(array, torch.Tensor) else tuple(np.split(array, 3, axis=0))


def from_hf_state_dict(state_dict: dict[str, Array]) -> tuple[dict[str, Array], list[str]]:
    """HF-named tensors (or numpy arrays) -> our names (backbone keys prefixed `backbone.`).

    Accepts the keys of any ALBERT class, with (`albert.`) or without the base-model prefix.
    Returns (converted state dict, HF keys we did not recognise).
    """
    ours: dict[str, Array] = {}
    unknown: list[str] = []
    qkv_parts: dict[tuple[str, str, str], dict[str, Array]] = {}
    decoder_bias = None
    for raw_key, tensor in state_dict.items():
        key = normalize_hf_key(raw_key)
        if key.endswith("predictions.decoder.bias"):
            decoder_bias = tensor
        if key.endswith(IGNORED_HF_SUFFIXES):
            continue
        if key in _HEAD_FROM_HF:
            ours[_HEAD_FROM_HF[key]] = tensor
            continue
        inner = key.removeprefix("albert.")
        m = _HF_QKV.match(inner)
        if m:
            qkv_parts.setdefault((m["g"], m["i"], m["kind"]), {})[m["part"]] = tensor
            continue
        name = _rename(inner, _FROM_HF)
        if name is None:
            unknown.append(raw_key)
        else:
            ours["backbone." + name] = tensor
    for (g, i, kind), parts in qkv_parts.items():
        if set(parts) != set(_QKV):
            missing = sorted(set(_QKV) - set(parts))
            raise ValueError(
                f"checkpoint has an incomplete attention block in group {g}, layer {i}: missing {missing}"
            )
        ours[f"backbone.encoder.groups.{g}.layers.{i}.attention.qkv.{kind}"] = _concat(
            [parts[p] for p in _QKV]
        )
    # Old checkpoints may carry only the decoder's copy of the MLM output bias.
    if decoder_bias is not None and "mlm_head.bias" not in ours:
        ours["mlm_head.bias"] = decoder_bias
    return ours, unknown


def to_hf_state_dict(state_dict: dict[str, Array], *, tie_word_embeddings: bool = True) -> dict[str, Array]:
    """Our names -> HF names, as `transformers.save_pretrained` writes them.

    Backbone keys get the `albert.` prefix when they come from a task model (`backbone.`) and none
    for a bare `AlbertModel`. Tied tensors are omitted as HF omits them: the MLM decoder bias always,
    the decoder weight when tied to the word embeddings.
    """
    hf: dict[str, Array] = {}
    for key, tensor in state_dict.items():
        if key == "mlm_head.decoder.bias" or (key == "mlm_head.decoder.weight" and tie_word_embeddings):
            continue
        if key in _HEAD_TO_HF:
            hf[_HEAD_TO_HF[key]] = tensor
            continue
        prefix, inner = (
            ("albert.", key.removeprefix("backbone.")) if key.startswith("backbone.") else ("", key)
        )
        m = _OURS_QKV.match(inner)
        if m:
            for part, chunk in zip(_QKV, _split3(tensor)):
                hf[
                    f"{prefix}encoder.albert_layer_groups.{m['g']}.albert_layers.{m['i']}.attention.{part}.{m['kind']}"
                ] = chunk
            continue
        name = _rename(inner, _TO_HF)
        if name is None:
            raise KeyError(f"no HF name for parameter {key!r}")
        hf[prefix + name] = tensor
    return hf


def module_from_hf(path: str) -> tuple[str, str | None] | None:
    """An HF module path (`albert.encoder.albert_layer_groups.0.albert_layers.0.attention.query`, any class's
    prefix) -> (our module path, the Q/K/V part it is within our fused `qkv`, or None); None when the path
    names no weight-carrying module we have. Task models' backbone paths get the `backbone.` prefix."""
    key = normalize_hf_key(path + ".weight")
    if key in _HEAD_FROM_HF:
        return _HEAD_FROM_HF[key].removesuffix(".weight"), None
    inner = key.removeprefix("albert.")
    prefix = "backbone." if key.startswith("albert.") else ""
    m = _HF_QKV.match(inner)
    if m:
        return f"{prefix}encoder.groups.{m['g']}.layers.{m['i']}.attention.qkv", m["part"]
    name = _rename(inner, _FROM_HF)
    return None if name is None else (prefix + name.removesuffix(".weight"), None)
