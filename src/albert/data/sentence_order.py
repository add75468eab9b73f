"""Sentence-order prediction (SOP) instances from tokenised documents, as in ALBERT's original recipe (§2.2).

Pure functions with an explicit `numpy.random.Generator`. A document is a list of sentences, each a 1-D
integer array of token ids (no special tokens). Labels: 0 = original order, 1 = swapped (or, for
one-sentence chunks with `random_document_negatives`, B taken from another document).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import numpy as np

Document = Sequence[np.ndarray]

ORIGINAL_ORDER = 0
SWAPPED = 1


class SopInstance(NamedTuple):
    """Two segments and the SOP label; segments hold token ids without [CLS]/[SEP]."""

    tokens_a: np.ndarray
    tokens_b: np.ndarray
    label: int


def target_length(max_num_tokens: int, short_seq_prob: float, generator: np.random.Generator) -> int:
    """`max_num_tokens`, or with probability `short_seq_prob` a length uniform in [2, max_num_tokens]."""
    if generator.random() < short_seq_prob:
        return int(generator.integers(2, max_num_tokens + 1))
    return max_num_tokens


def truncate_pair(
    tokens_a: np.ndarray, tokens_b: np.ndarray, max_num_tokens: int, generator: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Trim the pair to at most `max_num_tokens` tokens, one token at a time from the longer segment
    (B on ties), each removal from the front or the back with probability 0.5.

    Same distribution as the original token-by-token loop, computed in closed form: the number removed
    from each segment follows from the lengths, and the front share of k removals is Binomial(k, 0.5).
    """
    len_a, len_b = len(tokens_a), len(tokens_b)
    excess = len_a + len_b - max_num_tokens
    if excess <= 0:
        return tokens_a, tokens_b
    gap = min(abs(len_a - len_b), excess)  # first the longer segment is cut down to the shorter one
    rest = excess - gap  # then removals alternate, B first because it wins ties
    cut_a = (gap if len_a > len_b else 0) + rest // 2
    cut_b = (gap if len_a <= len_b else 0) + rest - rest // 2
    if len_a - cut_a < 1 or len_b - cut_b < 1:
        raise ValueError(f"cannot truncate a {len_a}+{len_b} pair to {max_num_tokens} tokens")
    front_a, front_b = (int(x) for x in generator.binomial([cut_a, cut_b], 0.5))
    return (
        tokens_a[front_a : len_a - (cut_a - front_a)],
        tokens_b[front_b : len_b - (cut_b - front_b)],
    )


def pack_pair(
    tokens_a: np.ndarray, tokens_b: np.ndarray, cls_token_id: int, sep_token_id: int
) -> tuple[np.ndarray, np.ndarray]:
    """`[CLS] A [SEP] B [SEP]` and its token types (0 for `[CLS] A [SEP]`, 1 for `B [SEP]`), each (T,) int64."""
    len_a, len_b = len(tokens_a), len(tokens_b)
    input_ids = np.empty(len_a + len_b + 3, dtype=np.int64)
    input_ids[0] = cls_token_id
    input_ids[1 : 1 + len_a] = tokens_a
    input_ids[1 + len_a] = sep_token_id
    input_ids[2 + len_a : -1] = tokens_b
    input_ids[-1] = sep_token_id
    token_type_ids = np.zeros_like(input_ids)
    token_type_ids[len_a + 2 :] = 1
    return input_ids, token_type_ids


def _random_document_segment(
    documents: Sequence[Document], document_index: int, length: int, generator: np.random.Generator
) -> np.ndarray:
    """At least `length` tokens (at least one sentence) of another document, from a random sentence on."""
    other = int(generator.integers(0, len(documents) - 1))
    other += other >= document_index  # uniform over the other documents, no retries needed
    document = documents[other]
    start = int(generator.integers(0, len(document)))
    pieces, total = [], 0
    for sentence in document[start:]:
        pieces.append(sentence)
        total += len(sentence)
        if total >= length:
            break
    return np.concatenate(pieces)


def create_sop_instances(
    documents: Sequence[Document],
    document_index: int,
    *,
    max_num_tokens: int,
    short_seq_prob: float,
    generator: np.random.Generator,
    random_document_negatives: bool = True,
) -> list[SopInstance]:
    """Chunk one document into SOP instances, following the original recipe step by step.

    1. One target length per document: `max_num_tokens`, or with `short_seq_prob` uniform in [2, max].
    2. Whole sentences are appended to a chunk until it reaches the target or the document ends.
    3. A chunk of >= 2 sentences is split after k sentences, k uniform in [1, len - 1]; A and B are swapped
       with probability 0.5 (label 1) or kept (label 0).
    4. A one-sentence chunk: with `random_document_negatives` (the default, matching the original and its
       quirk 1) B is drawn from a different random document and the label is 1, an NSP-style negative
       inside the "swapped" class. Without it (or when `documents` holds a single document) the sentence
       is split at a uniformly random token and treated as a two-segment chunk, so no text is lost.
    5. The pair is truncated to `max_num_tokens` (`truncate_pair`).

    Args:
        documents: all documents of the pool (random negatives come from here); empty sentences and empty
            documents must have been dropped.
        document_index: which document to chunk.
        max_num_tokens: max_seq_length - 3 (room for [CLS] and two [SEP]).
    Returns:
        The instances, in document order.
    """
    if max_num_tokens < 2:
        raise ValueError(f"max_num_tokens={max_num_tokens} must be >= 2 (max_seq_length >= 5)")
    document = documents[document_index]
    target = target_length(max_num_tokens, short_seq_prob, generator)
    instances: list[SopInstance] = []
    chunk: list[np.ndarray] = []
    chunk_length = 0
    for i, sentence in enumerate(document):
        chunk.append(sentence)
        chunk_length += len(sentence)
        if i < len(document) - 1 and chunk_length < target:
            continue
        instance = _chunk_to_instance(
            chunk, documents, document_index, target, random_document_negatives, generator
        )
        if instance is not None:
            a, b = truncate_pair(instance.tokens_a, instance.tokens_b, max_num_tokens, generator)
            instances.append(SopInstance(a, b, instance.label))
        chunk, chunk_length = [], 0
    return instances


def _chunk_to_instance(
    chunk: list[np.ndarray],
    documents: Sequence[Document],
    document_index: int,
    target: int,
    random_document_negatives: bool,
    generator: np.random.Generator,
) -> SopInstance | None:
    """Steps 3-4 of `create_sop_instances` for one chunk (before truncation); None if it cannot be paired."""
    if len(chunk) == 1:
        sentence = chunk[0]
        if random_document_negatives and len(documents) > 1:
            tokens_b = _random_document_segment(documents, document_index, target - len(sentence), generator)
            return SopInstance(sentence, tokens_b, SWAPPED)
        if len(sentence) < 2:
            return None
        split = int(generator.integers(1, len(sentence)))
        first, second = sentence[:split], sentence[split:]
    else:
        split = int(generator.integers(1, len(chunk)))
        first, second = np.concatenate(chunk[:split]), np.concatenate(chunk[split:])
    if generator.random() < 0.5:
        return SopInstance(second, first, SWAPPED)
    return SopInstance(first, second, ORIGINAL_ORDER)
