"""The original google-research/albert checkpoints (TF1 `model.ckpt-*` + `albert_config.json`).

The variable names are those of its `modeling.py` / `run_pretraining.py`; the table below maps each to the
HF name (PyTorch layout), marking the Dense kernels, which are stored (in, out) and get transposed. The
checks name the problem: a variable the config needs but the checkpoint lacks, a shape that disagrees with
the config, a name we do not know. Optimizer slots (`adam_m`, `adam_v`, ...) and `global_step` are skipped.
`module/` (TF-Hub exports) is stripped.
"""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
from pathlib import Path

import numpy as np

from albert.checkpoint.tf import Arrays, write_hf_weights
from albert.config import AlbertConfig

logger = logging.getLogger(__name__)

_LAYER = "bert/encoder/transformer/group_{g}/inner_group_{i}/"
_HF_LAYER = "albert.encoder.albert_layer_groups.{g}.albert_layers.{i}."
# (original name, HF name, transpose). {g} group, {i} inner layer.
ORIGINAL_TABLE: list[tuple[str, str, bool]] = [
    ("bert/embeddings/word_embeddings", "albert.embeddings.word_embeddings.weight", False),
    ("bert/embeddings/token_type_embeddings", "albert.embeddings.token_type_embeddings.weight", False),
    ("bert/embeddings/position_embeddings", "albert.embeddings.position_embeddings.weight", False),
    ("bert/embeddings/LayerNorm/gamma", "albert.embeddings.LayerNorm.weight", False),
    ("bert/embeddings/LayerNorm/beta", "albert.embeddings.LayerNorm.bias", False),
    (
        "bert/encoder/embedding_hidden_mapping_in/kernel",
        "albert.encoder.embedding_hidden_mapping_in.weight",
        True,
    ),
    (
        "bert/encoder/embedding_hidden_mapping_in/bias",
        "albert.encoder.embedding_hidden_mapping_in.bias",
        False,
    ),
    *[
        (
            f"{_LAYER}attention_1/self/{part}/{leaf}",
            f"{_HF_LAYER}attention.{part}.{hf_leaf}",
            leaf == "kernel",
        )
        for part in ("query", "key", "value")
        for leaf, hf_leaf in (("kernel", "weight"), ("bias", "bias"))
    ],
    (_LAYER + "attention_1/output/dense/kernel", _HF_LAYER + "attention.dense.weight", True),
    (_LAYER + "attention_1/output/dense/bias", _HF_LAYER + "attention.dense.bias", False),
    (_LAYER + "LayerNorm/gamma", _HF_LAYER + "attention.LayerNorm.weight", False),
    (_LAYER + "LayerNorm/beta", _HF_LAYER + "attention.LayerNorm.bias", False),
    (_LAYER + "ffn_1/intermediate/dense/kernel", _HF_LAYER + "ffn.weight", True),
    (_LAYER + "ffn_1/intermediate/dense/bias", _HF_LAYER + "ffn.bias", False),
    (_LAYER + "ffn_1/intermediate/output/dense/kernel", _HF_LAYER + "ffn_output.weight", True),
    (_LAYER + "ffn_1/intermediate/output/dense/bias", _HF_LAYER + "ffn_output.bias", False),
    (_LAYER + "LayerNorm_1/gamma", _HF_LAYER + "full_layer_layer_norm.weight", False),
    (_LAYER + "LayerNorm_1/beta", _HF_LAYER + "full_layer_layer_norm.bias", False),
    ("bert/pooler/dense/kernel", "albert.pooler.weight", True),
    ("bert/pooler/dense/bias", "albert.pooler.bias", False),
    ("cls/predictions/transform/dense/kernel", "predictions.dense.weight", True),
    ("cls/predictions/transform/dense/bias", "predictions.dense.bias", False),
    ("cls/predictions/transform/LayerNorm/gamma", "predictions.LayerNorm.weight", False),
    ("cls/predictions/transform/LayerNorm/beta", "predictions.LayerNorm.bias", False),
    ("cls/predictions/output_bias", "predictions.bias", False),
    ("cls/seq_relationship/output_weights", "sop_classifier.classifier.weight", False),  # stored (2, H)
    ("cls/seq_relationship/output_bias", "sop_classifier.classifier.bias", False),
]
_SKIPPED = re.compile(
    r"(^|/)(global_step|adam_m|adam_v|AdamWeightDecayOptimizer(_\d+)?|Adam(_\d+)?|beta[12]_power)$"
)


def _pattern(template: str) -> re.Pattern[str]:
    return re.compile(
        re.escape(template).replace(r"\{g\}", r"(?P<g>\d+)").replace(r"\{i\}", r"(?P<i>\d+)") + "$"
    )


_FROM_ORIGINAL = [(_pattern(orig), hf, transpose) for orig, hf, transpose in ORIGINAL_TABLE]
_TO_ORIGINAL = [(_pattern(hf), orig, transpose) for orig, hf, transpose in ORIGINAL_TABLE]


def original_to_hf(arrays: Arrays) -> Arrays:
    """Original variable name -> HF name (PyTorch layout). Unknown names raise a ValueError naming them."""
    hf: Arrays = {}
    unknown = []
    for raw, array in arrays.items():
        name = raw.removeprefix("module/")
        if _SKIPPED.search(name):
            continue
        for pattern, target, transpose in _FROM_ORIGINAL:
            m = pattern.match(name)
            if m:
                hf[target.format(**m.groupdict())] = np.ascontiguousarray(array.T) if transpose else array
                break
        else:
            unknown.append(raw)
    if unknown:
        raise ValueError(
            f"unknown variable name(s) in the checkpoint: {', '.join(sorted(unknown))}; expected the names of "
            "google-research/albert's modeling.py (bert/embeddings/..., bert/encoder/transformer/group_N/"
            "inner_group_M/..., bert/pooler/dense/..., cls/predictions/..., cls/seq_relationship/...)"
        )
    return hf


def hf_to_original(hf: Arrays) -> Arrays:
    """The inverse of `original_to_hf` (HF names of an AlbertForPreTraining -> original names)."""
    original: Arrays = {}
    for name, array in hf.items():
        for pattern, target, transpose in _TO_ORIGINAL:
            m = pattern.match(name)
            if m:
                original[target.format(**m.groupdict())] = (
                    np.ascontiguousarray(array.T) if transpose else array
                )
                break
        else:
            raise KeyError(f"{name!r} has no counterpart in the original ALBERT checkpoints")
    return original


def expected_shapes(config: AlbertConfig) -> dict[str, tuple[int, ...]]:
    """HF name -> shape of every weight an original pretraining checkpoint holds for `config`."""
    V, E, H, F = config.vocab_size, config.embedding_size, config.hidden_size, config.intermediate_size  # noqa: N806
    shapes = {
        "albert.embeddings.word_embeddings.weight": (V, E),
        "albert.embeddings.token_type_embeddings.weight": (config.type_vocab_size, E),
        "albert.embeddings.position_embeddings.weight": (config.max_position_embeddings, E),
        "albert.embeddings.LayerNorm.weight": (E,), "albert.embeddings.LayerNorm.bias": (E,),
        "albert.encoder.embedding_hidden_mapping_in.weight": (H, E),
        "albert.encoder.embedding_hidden_mapping_in.bias": (H,),
        "albert.pooler.weight": (H, H), "albert.pooler.bias": (H,),
        "predictions.dense.weight": (E, H), "predictions.dense.bias": (E,),
        "predictions.LayerNorm.weight": (E,), "predictions.LayerNorm.bias": (E,), "predictions.bias": (V,),
        "sop_classifier.classifier.weight": (2, H), "sop_classifier.classifier.bias": (2,),
    }  # fmt: skip
    layer = {
        **{f"attention.{p}.weight": (H, H) for p in ("query", "key", "value", "dense")},
        **{f"attention.{p}.bias": (H,) for p in ("query", "key", "value", "dense")},
        "attention.LayerNorm.weight": (H,), "attention.LayerNorm.bias": (H,),
        "ffn.weight": (F, H), "ffn.bias": (F,), "ffn_output.weight": (H, F), "ffn_output.bias": (H,),
        "full_layer_layer_norm.weight": (H,), "full_layer_layer_norm.bias": (H,),
    }  # fmt: skip
    for g in range(config.num_hidden_groups):
        for i in range(config.inner_group_num):
            shapes.update({_HF_LAYER.format(g=g, i=i) + k: v for k, v in layer.items()})
    return shapes


def check_against_config(hf: Arrays, config: AlbertConfig, source: str) -> None:
    """Every expected weight present with the shape the config implies (ValueError naming it otherwise)."""
    to_original = {hf_name: orig for orig, hf_name, _ in ORIGINAL_TABLE}
    for name, shape in expected_shapes(config).items():
        original = _original_name(name, to_original)
        if name not in hf:
            raise ValueError(
                f"{source}: missing variable {original} (needed by the config: {_config_hint(name)})"
            )
        if tuple(hf[name].shape) != shape:
            stored = tuple(hf[name].T.shape) if original.endswith("/kernel") else tuple(hf[name].shape)
            wanted = shape[::-1] if original.endswith("/kernel") else shape
            raise ValueError(
                f"{source}: variable {original} has shape {stored} but the config implies {wanted}; "
                "does albert_config.json belong to this checkpoint?"
            )
    extra = sorted(set(hf) - set(expected_shapes(config)))
    if extra:
        raise ValueError(
            f"{source}: variables beyond what the config describes: {', '.join(_original_name(n, to_original) for n in extra)} "
            f"(num_hidden_groups={config.num_hidden_groups}, inner_group_num={config.inner_group_num})"
        )


def _original_name(hf_name: str, to_original: dict[str, str]) -> str:
    m = re.search(r"albert_layer_groups\.(\d+)\.albert_layers\.(\d+)\.", hf_name)
    if m:
        template = _HF_LAYER + hf_name[m.end() :]
        return to_original.get(template, hf_name).format(g=m[1], i=m[2])
    return to_original.get(hf_name, hf_name)


def _config_hint(name: str) -> str:
    if "albert_layer_groups" in name:
        return "num_hidden_groups / inner_group_num"
    return "every ALBERT pretraining checkpoint has it"


def read_original_config(path: str | os.PathLike) -> AlbertConfig:
    """`albert_config.json` -> AlbertConfig. Its "gelu" is the tanh approximation (the original
    `modeling.gelu`), which transformers calls "gelu_new"; unknown keys are kept in `extra`."""
    try:
        d = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as e:
        raise ValueError(f"cannot read the ALBERT config {path}: {e}") from e
    if d.get("hidden_act") == "gelu":
        d["hidden_act"] = "gelu_new"
        logger.info("hidden_act 'gelu' of the original code is the tanh approximation: using 'gelu_new'")
    return AlbertConfig.from_dict(d)


def read_original_checkpoint(path: str | os.PathLike) -> Arrays:
    """All variables of a TF1 checkpoint (prefix such as `model.ckpt-10000`, or its directory)."""
    import tensorflow as tf

    try:
        reader = tf.train.load_checkpoint(str(path))
    except (ValueError, tf.errors.OpError) as e:
        raise ValueError(
            f"{path} is not a TensorFlow checkpoint (give the prefix, e.g. model.ckpt-10000): {e}"
        ) from e
    return {name: reader.get_tensor(name) for name in reader.get_variable_to_shape_map()}


def convert_original_checkpoint(
    checkpoint: str | os.PathLike,
    config_path: str | os.PathLike,
    output: str | os.PathLike,
    *,
    spm_model: str | os.PathLike | None = None,
) -> Path:
    """Convert an original checkpoint into a model directory (config.json + model.safetensors, an
    AlbertForPreTraining that every class here and transformers load), with `spiece.model` if given."""
    config = read_original_config(config_path)
    hf = original_to_hf(read_original_checkpoint(checkpoint))
    check_against_config(hf, config, str(checkpoint))
    output = write_hf_weights(hf, output, config, "AlbertForPreTraining")
    if spm_model is not None:
        if not Path(spm_model).is_file():
            raise FileNotFoundError(f"no SentencePiece model at {spm_model}")
        shutil.copyfile(spm_model, output / "spiece.model")
    return output
