"""Extractive QA (SQuAD v1.1): contexts cut into overlapping windows, answers mapped to token spans
through character offsets, and n-best span decoding back to character spans of the context.

Windows follow the original BERT/ALBERT `run_squad`: the question is cut to `max_query_length` tokens;
the context tokens are covered by windows of up to `max_length - len(question) - 3` tokens whose starts
are `doc_stride` tokens apart (so `doc_stride` is the step, not the overlap). A training window that
does not contain the whole answer points at [CLS] (position 0), as the original does for SQuAD v1.1.
At decoding, a start token is only taken from the window where it has the most context on both sides.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from albert.tasks.examples import QAExample
from albert.tasks.preprocess import Feature, pack, tokenize


@dataclass
class Window:
    """Where a window's context tokens sit. Packed position `lead + k` holds context token `start + k`
    (k < length); the context's offsets and the example's window spans are shared, not copied, so that
    the ~90k windows of SQuAD train stay small."""

    example_index: int
    lead: int
    start: int
    length: int
    context_offsets: list[tuple[int, int]]
    spans: list[tuple[int, int]]
    index: int
    """This window's number among `spans` (the windows of its example)."""

    def offset(self, position: int) -> tuple[int, int] | None:
        """Context character span of packed token `position`; None for question / special tokens."""
        k = position - self.lead
        return self.context_offsets[self.start + k] if 0 <= k < self.length else None

    def is_max_context(self, position: int) -> bool:
        """Whether packed token `position` has more context here than in any other window."""
        return len(self.spans) == 1 or _max_context(self.spans, self.index, self.start + position - self.lead)

    @property
    def offsets(self) -> list[tuple[int, int] | None]:
        """`offset(p)` for every packed position p."""
        return [self.offset(p) for p in range(self.lead + self.length + 1)]


def window_starts(num_tokens: int, window: int, stride: int) -> list[tuple[int, int]]:
    """(start, length) of the windows covering `num_tokens` context tokens."""
    spans, start = [], 0
    while True:
        length = min(window, num_tokens - start)
        spans.append((start, length))
        if start + length >= num_tokens:
            return spans
        start += min(length, stride)


def _max_context(spans: list[tuple[int, int]], index: int, position: int) -> bool:
    """True if context token `position` has more context in window `index` than in any other window
    (score = min(tokens left, tokens right) + 0.01 x window length, as in the original)."""

    def score(start: int, length: int) -> float:
        if not start <= position < start + length:
            return -1.0
        return min(position - start, start + length - 1 - position) + 0.01 * length

    scores = [score(*span) for span in spans]
    return max(range(len(spans)), key=scores.__getitem__) == index


def answer_tokens(offsets: Sequence[tuple[int, int]], start: int, end: int) -> tuple[int, int] | None:
    """Indices (first, last) of the tokens covering characters [start, end), or None if none do."""
    first = next((i for i, (_, b) in enumerate(offsets) if b > start), None)
    last = next((i for i in range(len(offsets) - 1, -1, -1) if offsets[i][0] < end), None)
    return (first, last) if first is not None and last is not None and first <= last else None


def _trim(context: str, start: int, end: int) -> tuple[int, int]:
    while start < end and context[start].isspace():  # offsets may include the space before a word
        start += 1
    return start, end


def char_span(
    context: str, offsets: Sequence[tuple[int, int] | None], first: int, last: int
) -> tuple[int, int]:
    """Character span of the packed tokens first..last, without a leading space."""
    return _trim(context, offsets[first][0], offsets[last][1])  # type: ignore[index]


def encode_qa(
    examples: Sequence[QAExample],
    tokenizer: Any,
    *,
    max_length: int = 384,
    doc_stride: int = 128,
    max_query_length: int = 64,
) -> tuple[list[Feature], list[Window]]:
    """Features (with `start_positions`/`end_positions` of the first answer) and their windows."""
    question_ids, _ = tokenize(tokenizer, [e.question for e in examples])
    contexts = sorted({e.context for e in examples})  # ~5 questions share a SQuAD paragraph
    ids, offsets = tokenize(tokenizer, contexts, offsets=True)
    by_context = {c: (i, o) for c, i, o in zip(contexts, ids, offsets)}
    features: list[Feature] = []
    windows: list[Window] = []
    for index, (example, question) in enumerate(zip(examples, question_ids)):
        question = question[:max_query_length]
        context_ids, context_offsets = by_context[example.context]
        room = max_length - len(question) - 3
        if room < 1:
            raise ValueError(f"max_length={max_length} leaves no room for the context after the question")
        answer = None
        if example.answers:
            answer = answer_tokens(context_offsets, example.answers[0].start, example.answers[0].end)
        spans = window_starts(len(context_ids), room, doc_stride)
        lead = len(question) + 2  # [CLS] question [SEP]
        for w, (start, length) in enumerate(spans):
            feature = pack(tokenizer, question, context_ids[start : start + length])
            feature["input_ids"] = np.asarray(feature["input_ids"], dtype=np.int32)  # compact: 90k of them
            feature["token_type_ids"] = np.asarray(feature["token_type_ids"], dtype=np.int8)
            inside = answer is not None and start <= answer[0] and answer[1] < start + length
            positions = (lead + answer[0] - start, lead + answer[1] - start) if inside else (0, 0)  # type: ignore[index]
            feature["start_positions"], feature["end_positions"] = positions
            features.append(feature)
            windows.append(Window(index, lead, start, length, context_offsets, spans, w))
    return features, windows


@dataclass
class Prediction:
    """The best answer of one example: its text, character start and score (start + end logit)."""

    text: str
    start: int
    score: float


def decode(
    examples: Sequence[QAExample],
    windows: Sequence[Window],
    start_logits: Sequence[torch.Tensor],
    end_logits: Sequence[torch.Tensor],
    *,
    n_best: int = 20,
    max_answer_length: int = 30,
) -> list[Prediction]:
    """Best span per example over its windows: the `n_best` highest start and end logits of each window
    are paired (end >= start, at most `max_answer_length` tokens, start in its max-context window) and the
    pair with the highest start + end logit wins. Examples without a valid span get an empty answer."""
    best: list[Prediction | None] = [None] * len(examples)
    for window, starts, ends in zip(windows, start_logits, end_logits):
        n = window.lead + window.length + 1
        starts, ends = starts[:n].float(), ends[:n].float()
        top_starts = torch.topk(starts, min(n_best, n)).indices.tolist()
        top_ends = torch.topk(ends, min(n_best, n)).indices.tolist()
        current = best[window.example_index]
        for s in top_starts:
            first = window.offset(s)
            if first is None or not window.is_max_context(s):
                continue
            for e in top_ends:
                last = window.offset(e)
                if last is None or e < s or e - s + 1 > max_answer_length:
                    continue
                score = float(starts[s] + ends[e])
                if current is None or score > current.score:
                    context = examples[window.example_index].context
                    a, b = _trim(context, first[0], last[1])
                    current = Prediction(context[a:b], a, score)
        best[window.example_index] = current
    return [p if p is not None else Prediction("", -1, float("-inf")) for p in best]
