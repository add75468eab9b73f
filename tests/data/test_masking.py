"""Tests for albert.data.masking: budget, 80/10/10 rates, n-gram spans, whole words, specials, determinism."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from albert.data.masking import IGNORE_INDEX, MaskingSpec, choose_masked_spans, mask_tokens, word_units
from albert.data.sentence_order import pack_pair


@pytest.fixture(scope="module")
def sequences(sp_processor, vocabulary, make_sentences) -> list[np.ndarray]:
    """200 packed `[CLS] A [SEP] B [SEP]` sequences of real pieces, 20-120 tokens."""
    sentences = [np.asarray(x) for x in sp_processor.encode(make_sentences(800, seed=1))]
    out = []
    for i in range(0, 800, 4):
        a, b = np.concatenate(sentences[i : i + 2]), np.concatenate(sentences[i + 2 : i + 4])
        out.append(pack_pair(a, b, vocabulary.cls_token_id, vocabulary.sep_token_id)[0])
    return out


def all_pieces_word_starts(spec: MaskingSpec) -> MaskingSpec:
    return dataclasses.replace(spec, word_start=np.ones_like(spec.word_start))


def test_budget_follows_the_recipe(spec: MaskingSpec) -> None:
    assert spec.num_to_predict(512) == 20  # capped: ~3.9% of a 512-token sequence
    assert spec.num_to_predict(100) == 15
    assert spec.num_to_predict(3) == 1  # never below one prediction
    assert dataclasses.replace(spec, max_predictions_per_seq=80).num_to_predict(512) == 77


def test_masked_fraction_meets_budget(spec: MaskingSpec, sequences: list[np.ndarray]) -> None:
    rng = np.random.default_rng(0)
    counts, budgets = [], []
    for ids in sequences:
        _, labels = mask_tokens(ids, spec, rng)
        counts.append(int((labels != IGNORE_INDEX).sum()))
        budgets.append(spec.num_to_predict(len(ids)))
    assert all(c <= b for c, b in zip(counts, budgets))
    # Whole words and overlap skips can leave a sequence a little under budget, rarely by much.
    assert sum(counts) / sum(budgets) > 0.95


def test_replacement_rates_80_10_10(spec: MaskingSpec, sequences: list[np.ndarray]) -> None:
    rng = np.random.default_rng(1)
    kinds = np.zeros(3)  # [MASK], random, unchanged
    for _ in range(10):
        for ids in sequences:
            masked, labels = mask_tokens(ids, spec, rng)
            at = labels != IGNORE_INDEX
            is_mask = masked[at] == spec.mask_token_id
            unchanged = masked[at] == ids[at]
            kinds += [is_mask.sum(), (~is_mask & ~unchanged).sum(), unchanged.sum()]
    shares = kinds / kinds.sum()
    assert kinds.sum() > 10_000
    # A random draw equals the original (or [MASK]) with probability 1/V, a small shift for V = 150.
    np.testing.assert_allclose(shares, [0.8, 0.1, 0.1], atol=0.015)


def test_first_span_length_distribution_is_one_over_n(spec: MaskingSpec) -> None:
    """With no overlap and no overshoot possible, the first chosen span shows the raw p(n) ∝ 1/n."""
    rng = np.random.default_rng(2)
    lengths, lengths_at_end = np.zeros(4), np.zeros(4)
    unit_lengths = np.ones(40, dtype=np.int64)
    for _ in range(6000):
        first, n = choose_masked_spans(unit_lengths, 10, spec, rng)[0]
        if first < 38:
            lengths[n] += 1
        elif first == 38:
            lengths_at_end[n] += 1  # only n <= 2 fits: renormalised to 2/3, 1/3
    np.testing.assert_allclose(lengths[1:] / lengths.sum(), [6 / 11, 3 / 11, 2 / 11], atol=0.02)
    assert lengths_at_end[3] == 0
    np.testing.assert_allclose(lengths_at_end[1:3] / lengths_at_end.sum(), [2 / 3, 1 / 3], atol=0.12)


def test_favor_longer_ngram_reverses_probabilities(spec: MaskingSpec) -> None:
    longer = dataclasses.replace(spec, favor_shorter_ngram=False)
    rng = np.random.default_rng(3)
    counts = np.bincount([choose_masked_spans(np.ones(50), 10, longer, rng)[0][1] for _ in range(3000)])
    assert counts[3] > counts[2] > counts[1]


def test_overshooting_span_falls_back_to_shorter(spec: MaskingSpec) -> None:
    # Budget 2 with 1-token units: no span of 3 units can ever be chosen, and the total is exactly 2.
    rng = np.random.default_rng(4)
    for _ in range(200):
        spans = choose_masked_spans(np.ones(30, dtype=np.int64), 2, spec, rng)
        assert all(n <= 2 for _, n in spans)
        assert sum(n for _, n in spans) == 2


def test_spans_are_whole_word_units(spec: MaskingSpec, sequences: list[np.ndarray]) -> None:
    rng = np.random.default_rng(5)
    for ids in sequences:
        _, labels = mask_tokens(ids, spec, rng)
        starts, ends = word_units(ids, spec)
        for s, e in zip(starts, ends):
            chosen = labels[s:e] != IGNORE_INDEX
            assert chosen.all() or not chosen.any(), "a word unit was partly masked"


def test_word_units_never_straddle_special_tokens(spec: MaskingSpec, vocabulary) -> None:
    ordinary = np.arange(spec.vocab_size) > 12  # past the specials and user-defined symbols
    continuation = int(np.flatnonzero(~spec.word_start & ordinary)[0])
    word = int(np.flatnonzero(spec.word_start & ordinary)[0])
    cls, sep = vocabulary.cls_token_id, vocabulary.sep_token_id
    ids = np.array([cls, continuation, word, continuation, sep, continuation, continuation, sep])
    starts, ends = word_units(ids, spec)
    assert list(zip(starts.tolist(), ends.tolist())) == [(1, 2), (2, 4), (5, 7)]


def test_special_tokens_are_never_masked(spec: MaskingSpec, sequences: list[np.ndarray], vocabulary) -> None:
    rng = np.random.default_rng(6)
    dense = dataclasses.replace(spec, masked_lm_prob=1.0, max_predictions_per_seq=10_000)
    for ids in sequences:
        padded = np.concatenate([ids, np.full(5, vocabulary.pad_token_id)])
        for s in (spec, dense):
            masked, labels = mask_tokens(padded, s, rng)
            special = np.isin(padded, vocabulary.special_ids)
            assert (labels[special] == IGNORE_INDEX).all()
            assert (masked[special] == padded[special]).all()


def test_labels_hold_originals_only_at_masked_positions(
    spec: MaskingSpec, sequences: list[np.ndarray]
) -> None:
    rng = np.random.default_rng(7)
    for ids in sequences:
        masked, labels = mask_tokens(ids, spec, rng)
        at = labels != IGNORE_INDEX
        assert (labels[at] == ids[at]).all()
        assert (masked[~at] == ids[~at]).all()  # nothing outside the predictions changes
        assert masked.dtype == labels.dtype == np.int64 and masked.shape == ids.shape


def test_deterministic_per_generator_seed(spec: MaskingSpec, sequences: list[np.ndarray]) -> None:
    ids = sequences[0]
    first = mask_tokens(ids, spec, np.random.default_rng(42))
    again = mask_tokens(ids, spec, np.random.default_rng(42))
    other = mask_tokens(ids, spec, np.random.default_rng(43))
    np.testing.assert_array_equal(first[0], again[0])
    np.testing.assert_array_equal(first[1], again[1])
    assert not np.array_equal(first[1], other[1])


@settings(max_examples=60, deadline=None)
@given(
    ids=st.lists(st.integers(0, 149), min_size=1, max_size=80),
    seed=st.integers(0, 2**32 - 1),
    budget=st.integers(1, 40),
)
def test_invariants_on_arbitrary_sequences(spec: MaskingSpec, ids: list[int], seed: int, budget: int) -> None:
    s = dataclasses.replace(spec, max_predictions_per_seq=budget)
    array = np.asarray(ids)
    masked, labels = mask_tokens(array, s, np.random.default_rng(seed))
    at = labels != IGNORE_INDEX
    assert at.sum() <= s.num_to_predict(len(array))
    assert not at[np.isin(array, s.special_ids)].any()
    assert ((masked >= 0) & (masked < s.vocab_size)).all()
    starts, ends = word_units(array, s)
    if (ends - starts <= s.num_to_predict(len(array))).any():
        assert at.any(), "a sequence with a word that fits the budget got no prediction"


def test_every_piece_a_word_gives_token_level_masking(spec: MaskingSpec, sequences: list[np.ndarray]) -> None:
    token_level = all_pieces_word_starts(spec)
    starts, ends = word_units(sequences[0], token_level)
    assert (ends - starts == 1).all()


class _ScriptedGenerator:
    """Stands in for `numpy.random.Generator` in `choose_masked_spans`: a fixed visiting order and draws."""

    def __init__(self, order: list[int], uniforms: list[float]) -> None:
        self.order, self.uniforms = order, uniforms

    def permutation(self, n: int) -> np.ndarray:
        assert n == len(self.order)
        return np.asarray(self.order)

    def random(self, n: int) -> np.ndarray:
        assert n == len(self.uniforms)
        return np.asarray(self.uniforms)


def test_a_span_over_a_covered_unit_is_skipped_without_retry(spec: MaskingSpec) -> None:
    """The original skips an overlapping n-gram; it does not retry with a shorter n at the same start."""
    # p(n) for max_ngram 3: cdf [6/11, 9/11, 1]; 0.7 draws n = 2, 0.0 draws n = 1.
    scripted = _ScriptedGenerator(order=[1, 0, 3, 2], uniforms=[0.7, 0.7, 0.0, 0.0])
    spans = choose_masked_spans(np.ones(4, dtype=np.int64), 4, spec, scripted)
    # Start 1 takes units 1-2; start 0's 2-gram would cover unit 1 again and is dropped (a retry with n = 1
    # would have taken unit 0); start 3 takes unit 3; start 2 is covered. The budget of 4 ends at 3.
    assert spans == [(1, 2), (3, 1)]


def test_random_replacements_draw_from_the_whole_vocabulary_specials_included() -> None:
    """As the original: a "random" replacement is uniform over all V ids, [CLS]/[SEP]/[MASK] among them."""
    special_ids = (0, 1, 2, 3)
    only_random = MaskingSpec(
        word_start=np.ones(10, dtype=bool),
        special_ids=special_ids,
        mask_token_id=3,
        masked_lm_prob=1.0,
        max_predictions_per_seq=1000,
        mask_prob=0.0,
        random_prob=1.0,
    )
    ids = np.array([0, *range(4, 10), 1] * 50)
    rng = np.random.default_rng(8)
    replaced = []
    for _ in range(100):
        masked, labels = mask_tokens(ids, only_random, rng)
        replaced.append(masked[labels != IGNORE_INDEX])
    replaced = np.concatenate(replaced)
    counts = np.bincount(replaced, minlength=10)
    assert len(replaced) > 20_000
    np.testing.assert_allclose(counts / len(replaced), np.full(10, 0.1), atol=0.01)
