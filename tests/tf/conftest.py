"""Shared helpers of the TensorFlow tests: tiny configs, inputs and labels as NumPy arrays, torch models
saved to disk (the TF classes always get their weights through files)."""

from __future__ import annotations

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import tensorflow as tf  # noqa: E402

import albert  # noqa: E402
from albert.config import AlbertConfig  # noqa: E402
from tests.conftest import MODEL_CLASSES, tiny_kwargs  # noqa: E402

tf.config.threading.set_intra_op_parallelism_threads(1)
tf.config.threading.set_inter_op_parallelism_threads(1)

ATOL = 1e-5
CLASSES = MODEL_CLASSES
# >= 4 structures: shared layers, groups and inner groups, both relative position types, E = H.
CONFIGS = {
    "shared": dict(),
    "L5-G2-I2": dict(num_hidden_layers=5, num_hidden_groups=2, inner_group_num=2, hidden_act="gelu"),
    "relkey-E=H-relu": dict(embedding_size=16, hidden_act="relu", position_embedding_type="relative_key"),
    "relkeyquery-L3-G3": dict(
        num_hidden_layers=3, num_hidden_groups=3, position_embedding_type="relative_key_query"
    ),
}


def config_for(name: str, **overrides) -> AlbertConfig:
    return AlbertConfig(**tiny_kwargs(**{**CONFIGS[name], **overrides}))


def make_inputs(cls_name: str, batch: int = 2, seq: int = 7, choices: int = 3, vocab: int = 99) -> dict:
    """int64 ids, mask with padding at the end of the first example, random token types."""
    shape = (batch, choices, seq) if cls_name.endswith("MultipleChoice") else (batch, seq)
    rng = np.random.default_rng(1)
    mask = np.ones(shape, dtype=np.int64)
    mask[0, ..., -3:] = 0
    return dict(
        input_ids=rng.integers(5, vocab, shape), attention_mask=mask, token_type_ids=rng.integers(0, 2, shape)
    )


def make_labels(cls_name: str, seq: int = 7, vocab: int = 99, num_labels: int = 2) -> dict:
    rng = np.random.default_rng(2)
    name = cls_name.removeprefix("TF")
    if name in ("AlbertForPreTraining", "AlbertForMaskedLM"):
        labels = np.full((2, seq), -100)
        labels[:, 1:3] = rng.integers(0, vocab, (2, 2))
        extra = {"sentence_order_label": np.array([0, 1])} if name == "AlbertForPreTraining" else {}
        return {"labels": labels, **extra}
    if name == "AlbertForSequenceClassification":
        return {"labels": rng.integers(0, num_labels, (2,))}
    if name == "AlbertForMultipleChoice":
        return {"labels": np.array([2, 0])}
    if name == "AlbertForTokenClassification":
        labels = rng.integers(0, num_labels, (2, seq))
        labels[0, -3:] = -100
        return {"labels": labels}
    if name == "AlbertForQuestionAnswering":
        return {"start_positions": np.array([1, 3]), "end_positions": np.array([2, 40])}  # 40: ignored
    return {}


def torch_model(cls_name: str, config: AlbertConfig):
    """Our PyTorch class with random weights (eager attention, so attention maps exist), in eval mode,
    on the reference path (the TF port has no padding removal, so padded positions must match too)."""
    return getattr(albert, cls_name)(config, attn_implementation="eager").eval().disable_fast_paths()


def as_numpy(x) -> np.ndarray:
    if hasattr(x, "detach"):
        return x.detach().cpu().numpy()
    return np.asarray(x)


def assert_outputs_close(expected, actual, atol: float = ATOL) -> None:
    """Every field of two output objects (tuples of hidden states / attentions too) within atol."""
    assert set(expected.keys()) == set(actual.keys()), (expected.keys(), actual.keys())
    for key in expected.keys():
        a, b = expected[key], actual[key]
        pairs = zip(a, b) if isinstance(a, tuple) else [(a, b)]
        if isinstance(a, tuple):
            assert len(a) == len(b), key
        for x, y in pairs:
            np.testing.assert_allclose(as_numpy(y), as_numpy(x), atol=atol, rtol=0, err_msg=key)


@pytest.fixture(autouse=True)
def _tf_seed() -> None:
    keras.utils.set_random_seed(0)
