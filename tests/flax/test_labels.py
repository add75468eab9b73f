"""Label mistakes are errors, as in the torch classes, never a NaN or a silently wrong loss: one label
per row of logits (checked under `jax.jit` too: shapes are static), integer class ids, and values in
[0, C) or the ignore index -100 (checked on concrete labels; under `jax.jit`, where the values are
tracers, a bad value makes the loss NaN, never a wrong finite number)."""

from __future__ import annotations

import jax
import numpy as np
import pytest

import albert
from albert.config import AlbertConfig
from albert.flax import heads
from tests.conftest import flat_multiple_choice_case, tiny_kwargs

CONFIG = AlbertConfig(**tiny_kwargs())  # vocab 99, num_labels 2
LOGITS = np.random.RandomState(0).randn(2, 3, 5).astype(np.float32)  # (B, T, C)


@pytest.mark.parametrize(
    ("labels", "message"),
    [
        ([[0, 1, 5], [0, 1, 2]], "labels contains 5, outside \\[0, 4\\] \\(config.vocab_size = 5\\)"),
        ([[0, 1, -5], [0, 1, 2]], "labels contains -5, outside \\[0, 4\\]"),  # not wrapped round to 0
        ([[0, 1, 2**40], [0, 1, 2]], "labels contains 1099511627776"),  # int64: not wrapped to int32
        ([[0, 1, 2, 3]], "labels has shape \\(1, 4\\) but the logits have shape \\(2, 3, 5\\)"),
        ([0, 1], "one label per row of logits, labels of shape \\(2, 3\\) \\(6 in all, got 2\\)"),
        (
            [[0.0, 1.0, 2.0], [0.0, 1.0, 2.0]],
            "labels must be integer class ids, got dtype float64; convert them with labels.astype",
        ),
    ],
)
def test_bad_mlm_labels_are_named(labels, message):
    with pytest.raises(ValueError, match=message):
        heads.masked_lm_loss(LOGITS, np.array(labels))


def test_good_labels_keep_the_loss():
    labels = np.array([[0, -100, 4], [-100, 1, 2]])
    picked = jax.nn.log_softmax(LOGITS)[[0, 0, 1, 1], [0, 2, 1, 2], [0, 4, 1, 2]]
    np.testing.assert_allclose(heads.masked_lm_loss(LOGITS, labels), -picked.mean(), rtol=1e-6)
    # any shape with one label per row is taken, as torch's flattening losses take it
    np.testing.assert_allclose(heads.masked_lm_loss(LOGITS, labels.reshape(-1)), -picked.mean(), rtol=1e-6)


def test_sequence_level_losses_name_their_labels():
    logits = LOGITS[:, 0, :2]  # (B, 2)
    with pytest.raises(ValueError, match="sentence_order_label contains 2, outside \\[0, 1\\]"):
        heads.sentence_order_loss(logits, np.array([0, 2]))
    with pytest.raises(ValueError, match="labels has shape \\(3,\\) but the logits have shape \\(2, 2\\)"):
        heads.sequence_classification_loss(logits, np.array([0, 1, 1]), "single_label_classification")
    with pytest.raises(ValueError, match="regression needs one float target per logit"):
        heads.sequence_classification_loss(LOGITS[:, 0, :1], np.ones(3, np.float32), "regression")
    with pytest.raises(ValueError, match="end_positions has shape \\(3,\\)"):
        heads.span_loss(LOGITS[..., 0], LOGITS[..., 1], np.array([0, 1]), np.array([0, 1, 2]))


def test_under_jit_shapes_are_checked_and_bad_values_give_nan():
    loss = jax.jit(heads.masked_lm_loss)
    ok = np.array([[0, 1, 2], [3, 4, -100]])
    assert np.isfinite(loss(LOGITS, ok))
    for bad in (-5, 5):  # -5 wrapped round to class 0 before: a finite, wrong loss
        labels = ok.copy()
        labels[0, 0] = bad
        assert np.isnan(loss(LOGITS, labels)), bad
    with pytest.raises(ValueError, match="labels has shape \\(2, 4\\)"):
        loss(LOGITS, np.zeros((2, 4), np.int32))


@pytest.mark.parametrize(
    ("cls", "ids", "labels", "message"),
    [
        ("FlaxAlbertForSequenceClassification", (1, 3), [5], "labels contains 5, .*config.num_labels = 2"),
        ("FlaxAlbertForSequenceClassification", (1, 3), [0, 1], "labels has shape \\(2,\\)"),
        ("FlaxAlbertForMaskedLM", (1, 3), [[1, 2, 500]], "labels contains 500, .*config.vocab_size = 99"),
        ("FlaxAlbertForTokenClassification", (1, 3), [[0, 1, 7]], "labels contains 7, .*config.num_labels"),
        ("FlaxAlbertForMultipleChoice", (1, 2, 3), [3], "labels contains 3, .*num_choices = 2"),
    ],
)
def test_the_classes_raise_for_bad_labels(cls, ids, labels, message):
    model = getattr(albert.flax, cls)(CONFIG)
    with pytest.raises(ValueError, match=message):
        model(np.ones(ids, np.int32), labels=np.array(labels))


def _reference_cross_entropy(logits: np.ndarray, labels: np.ndarray, ignore: int = -100) -> float:
    """float64 NumPy: mean of -log softmax at the labels that are not `ignore`."""
    logits = logits.reshape(-1, logits.shape[-1]).astype(np.float64)
    labels = labels.reshape(-1).astype(np.int64)
    log_probs = logits - np.log(np.exp(logits - logits.max(-1, keepdims=True)).sum(-1, keepdims=True))
    log_probs -= logits.max(-1, keepdims=True)
    counted = labels != ignore
    return float(-log_probs[counted, labels[counted]].mean())


@pytest.mark.parametrize("jit", [False, True])
def test_narrow_integer_labels_with_many_classes(jit):
    """int8 labels against 30,000 classes: compared in int8, the class count wrapped round to 48 and every
    id above it made the loss NaN; uint8's 156 equalled -100 cast to uint8 and was dropped as ignored."""
    logits = np.random.RandomState(1).randn(2, 3, 30_000).astype(np.float32)
    loss = jax.jit(heads.masked_lm_loss) if jit else heads.masked_lm_loss
    int8 = np.array([[-100, 100, 7], [120, -100, 3]], np.int8)
    np.testing.assert_allclose(loss(logits, int8), _reference_cross_entropy(logits, int8), rtol=1e-5)
    uint8 = np.array([[156, 20, 30], [40, 156, 3]], np.uint8)
    np.testing.assert_allclose(loss(logits, uint8), _reference_cross_entropy(logits, uint8), rtol=1e-5)


def test_answer_positions_are_clamped_in_a_type_that_holds_them():
    """int8 positions clamped to T = 150 in int8 wrapped T round (a "-106" no one gave); int64 positions
    past 2**32 wrapped to small ones when made jax arrays (a wrong, finite loss)."""
    rng = np.random.RandomState(2)
    start_logits, end_logits = rng.randn(2, 150).astype(np.float32), rng.randn(2, 150).astype(np.float32)

    def expected(start, end):
        clip = lambda p: np.clip(np.asarray(p, np.int64), 0, 150)  # noqa: E731
        return (_reference_cross_entropy(start_logits, clip(start), 150) + _reference_cross_entropy(end_logits, clip(end), 150)) / 2  # fmt: skip

    for start, end in [
        (np.array([1, 127], np.int8), np.array([3, 127], np.int8)),
        (np.array([1, 255], np.uint8), np.array([[3], [200]], np.uint8)),
        (np.array([1, 2**32 + 3]), np.array([3, 2**33])),  # past the end: ignored, not wrapped to 3 and 0
    ]:
        got = heads.span_loss(start_logits, end_logits, start, end)
        np.testing.assert_allclose(got, expected(start, end), rtol=1e-5)


def test_single_label_ids_past_int32_are_named_not_wrapped():
    with pytest.raises(ValueError, match="labels contains 4294967297"):
        heads.sequence_classification_loss(
            LOGITS[:, 0, :3], np.array([0, 2**32 + 1]), "single_label_classification"
        )


def test_multiple_choice_takes_one_row_of_positions_and_a_flat_mask(tmp_path):
    """As transformers (and our torch class): every input flattened to (-1, T)."""
    inputs, ref = flat_multiple_choice_case(tmp_path, CONFIG)
    model = albert.flax.FlaxAlbertForMultipleChoice.from_pretrained(tmp_path)
    np.testing.assert_allclose(np.asarray(model(**inputs).logits), ref, atol=1e-5)
