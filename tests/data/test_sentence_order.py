"""Tests for albert.data.sentence_order: SOP labels against real content order, lengths, truncation, packing."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from albert.data.sentence_order import (
    ORIGINAL_ORDER,
    SWAPPED,
    create_sop_instances,
    pack_pair,
    target_length,
    truncate_pair,
)


def numbered_documents(num_documents: int, rng: np.random.Generator) -> list[list[np.ndarray]]:
    """Document d holds increasing ids in [d * 100_000, (d + 1) * 100_000): order and origin are readable."""
    documents = []
    for d in range(num_documents):
        lengths = rng.integers(1, 40, size=int(rng.integers(1, 30)))
        bounds = d * 100_000 + np.concatenate(([0], np.cumsum(lengths)))
        documents.append([np.arange(lo, hi) for lo, hi in zip(bounds[:-1], bounds[1:])])
    return documents


def make_instances(documents, *, seed: int = 0, max_num_tokens: int = 61, **kwargs):
    rng = np.random.default_rng(seed)
    kwargs = {"short_seq_prob": 0.1, **kwargs}
    return [
        (d, x)
        for d in range(len(documents))
        for x in create_sop_instances(documents, d, max_num_tokens=max_num_tokens, generator=rng, **kwargs)
    ]


def reference_truncation_lengths(len_a: int, len_b: int, max_num_tokens: int) -> tuple[int, int]:
    """The original's loop: drop one token from the longer segment (B on ties) until the pair fits."""
    while len_a + len_b > max_num_tokens:
        if len_a > len_b:
            len_a -= 1
        else:
            len_b -= 1
    return len_a, len_b


def test_labels_match_content_order() -> None:
    documents = numbered_documents(40, np.random.default_rng(0))
    instances = make_instances(documents, random_document_negatives=False)
    labels = np.array([x.label for _, x in instances])
    assert len(instances) > 100
    for d, x in instances:
        assert (x.tokens_a // 100_000 == d).all() and (x.tokens_b // 100_000 == d).all()
        if x.label == ORIGINAL_ORDER:
            assert x.tokens_a.max() < x.tokens_b.min()  # A comes first in the document
        else:
            assert x.label == SWAPPED and x.tokens_b.max() < x.tokens_a.min()
    assert 0.4 < labels.mean() < 0.6  # swapped with probability 0.5


def test_one_sentence_chunks_get_random_document_negatives() -> None:
    documents = numbered_documents(40, np.random.default_rng(1))
    instances = make_instances(documents, random_document_negatives=True)
    cross = [(d, x) for d, x in instances if (x.tokens_b // 100_000 != d).any()]
    assert cross, "expected some random-document negatives"
    for d, x in cross:
        assert x.label == SWAPPED
        assert (x.tokens_a // 100_000 == d).all()
        assert len(np.unique(x.tokens_b // 100_000)) == 1  # B comes from one other document
        assert (np.diff(x.tokens_a) == 1).all()  # A is a single (possibly truncated) sentence


def test_single_document_pool_splits_one_sentence_chunks() -> None:
    """With no other document to draw from, a one-sentence chunk is split inside the sentence."""
    documents = [[np.arange(10)]]
    for seed in range(20):
        [x] = create_sop_instances(
            documents, 0, max_num_tokens=50, short_seq_prob=0, generator=np.random.default_rng(seed)
        )
        assert sorted(np.concatenate([x.tokens_a, x.tokens_b]).tolist()) == list(range(10))
        assert (x.tokens_a.max() < x.tokens_b.min()) == (x.label == ORIGINAL_ORDER)


def test_segments_are_contiguous_and_fit() -> None:
    documents = numbered_documents(30, np.random.default_rng(2))
    for max_num_tokens in (2, 7, 61):
        for _, x in make_instances(documents, max_num_tokens=max_num_tokens, short_seq_prob=0.5):
            assert len(x.tokens_a) >= 1 and len(x.tokens_b) >= 1
            assert len(x.tokens_a) + len(x.tokens_b) <= max_num_tokens
            if (x.tokens_b // 100_000 == x.tokens_a[0] // 100_000).all():
                assert (np.diff(x.tokens_a) == 1).all() and (np.diff(x.tokens_b) == 1).all()


def test_whole_document_is_used_without_random_negatives() -> None:
    """Without truncation (long max), instances tile each document exactly, in order."""
    documents = numbered_documents(20, np.random.default_rng(3))
    instances = make_instances(
        documents, max_num_tokens=100_000, short_seq_prob=0.0, random_document_negatives=False
    )
    for d, document in enumerate(documents):
        pieces = [np.sort(np.concatenate([x.tokens_a, x.tokens_b])) for e, x in instances if e == d]
        np.testing.assert_array_equal(np.concatenate(pieces), np.concatenate(document))


def test_target_length_distribution() -> None:
    rng = np.random.default_rng(4)
    targets = np.array([target_length(509, 0.1, rng) for _ in range(20_000)])
    short = targets[targets < 509]
    assert abs(len(short) / len(targets) - 0.1 * 507 / 508) < 0.01
    assert short.min() >= 2 and abs(short.mean() - 255) < 15


@given(
    len_a=st.integers(1, 60),
    len_b=st.integers(1, 60),
    max_num_tokens=st.integers(2, 100),
    seed=st.integers(0, 1000),
)
def test_truncation_matches_reference_lengths(len_a: int, len_b: int, max_num_tokens: int, seed: int) -> None:
    a, b = np.arange(len_a), np.arange(100, 100 + len_b)
    ta, tb = truncate_pair(a, b, max_num_tokens, np.random.default_rng(seed))
    assert (len(ta), len(tb)) == reference_truncation_lengths(len_a, len_b, max_num_tokens)
    # What is left is one contiguous slice of each segment.
    assert len(ta) == 0 or ta[-1] - ta[0] == len(ta) - 1
    assert len(tb) == 0 or tb[-1] - tb[0] == len(tb) - 1


def test_truncation_cuts_front_and_back_evenly() -> None:
    rng = np.random.default_rng(5)
    fronts = [truncate_pair(np.arange(50), np.arange(5), 25, rng)[0][0] for _ in range(2000)]
    assert abs(np.mean(fronts) - 15) < 0.5  # 30 removals, half from the front on average


def test_pack_pair_layout_and_token_types() -> None:
    input_ids, token_type_ids = pack_pair(
        np.array([10, 11]), np.array([20, 21, 22]), cls_token_id=2, sep_token_id=3
    )
    assert input_ids.tolist() == [2, 10, 11, 3, 20, 21, 22, 3]
    assert token_type_ids.tolist() == [0, 0, 0, 0, 1, 1, 1, 1]


def test_deterministic_per_generator_seed() -> None:
    documents = numbered_documents(10, np.random.default_rng(6))
    first, again, other = (make_instances(documents, seed=s) for s in (7, 7, 8))
    assert len(first) == len(again)
    for (_, x), (_, y) in zip(first, again):
        np.testing.assert_array_equal(x.tokens_a, y.tokens_a)
        assert x.label == y.label
    assert [x.label for _, x in first] != [x.label for _, x in other]


def test_rejects_max_num_tokens_below_two() -> None:
    with pytest.raises(ValueError, match="max_num_tokens"):
        create_sop_instances(
            [[np.arange(3)]], 0, max_num_tokens=1, short_seq_prob=0, generator=np.random.default_rng()
        )


def test_split_point_is_uniform_over_sentence_boundaries() -> None:
    """A chunk of k sentences splits after j sentences, j uniform in [1, k - 1] (recipe step 3)."""
    k = 5
    documents = [[np.arange(i * 10, i * 10 + 10) for i in range(k)]]  # one chunk: the target is never hit
    counts = np.zeros(k, dtype=np.int64)
    rng = np.random.default_rng(9)
    for _ in range(4000):
        [x] = create_sop_instances(
            documents,
            0,
            max_num_tokens=1000,
            short_seq_prob=0,
            generator=rng,
            random_document_negatives=False,
        )
        first = x.tokens_a if x.label == ORIGINAL_ORDER else x.tokens_b
        counts[len(first) // 10] += 1
    assert counts[0] == 0  # never an empty A, never all sentences in A
    np.testing.assert_allclose(counts[1:] / counts.sum(), np.full(k - 1, 1 / (k - 1)), atol=0.025)


def test_random_document_b_fills_the_target_from_a_sentence_start() -> None:
    """A random-document B starts at a sentence boundary of one other document and takes whole sentences
    until it holds at least target - |A| tokens (or that document ends)."""
    rng = np.random.default_rng(10)
    documents = numbered_documents(30, rng)
    documents[0] = [np.arange(5)]  # a one-sentence document: every chunk of it takes a random B
    sentence_starts = {int(s[0]) for document in documents for s in document}
    document_ends = {int(document[-1][-1]) for document in documents}
    others = set()
    for seed in range(300):
        [x] = create_sop_instances(
            documents, 0, max_num_tokens=40, short_seq_prob=0, generator=np.random.default_rng(seed)
        )
        origin = int(x.tokens_b[0]) // 100_000
        others.add(origin)
        assert x.label == SWAPPED and origin != 0
        untruncated_start = int(x.tokens_b[0]) in sentence_starts
        filled = len(x.tokens_a) + len(x.tokens_b) == 40 or int(x.tokens_b[-1]) in document_ends
        assert filled, "B stopped before the target with sentences left in its document"
        if len(x.tokens_a) + len(x.tokens_b) < 40:
            assert untruncated_start  # nothing was cut, so B begins where a sentence begins
    assert len(others) > 20  # drawn across the other documents, not one favourite
