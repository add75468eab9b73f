"""Extractive QA, one implementation for fine-tuning, evaluation and `pipeline("question-answering")`:
contexts cut into overlapping windows, answers mapped to token spans, and span decoding back to
character spans of the context.

The knobs mean what they mean in transformers' QuestionAnsweringPipeline and `run_qa.py`:
* `doc_stride` is the OVERLAP, in tokens, between consecutive windows of the context (not the step
  between their starts, as in the original BERT/ALBERT `run_squad`). A window holds up to
  `max_length - len(question) - 3` context tokens (`[CLS] question [SEP] context [SEP]`), the next one
  starts `room - doc_stride` tokens later, and the last one ends at the context's end: the windows of
  the Rust tokenizer's `stride=` overflow, so the pipeline keeps transformers' windows.
* `max_answer_len` (default 15, transformers' pipeline default; `run_qa.py` uses 30): the longest span
  in tokens. One default everywhere, the pipeline's, because evaluation scores what the pipeline serves.
* Decoding is transformers' pipeline decoding: per window, a softmax over the allowed positions
  (context tokens and [CLS]) of the start and of the end logits; a span scores p_start * p_end; spans are
  widened to whole words (`align_to_words`); answers with the same text (case-insensitive) from different
  windows add their scores. Evaluation takes the best answer, exactly what the pipeline returns.
Training windows that do not hold the whole first answer point at [CLS] (position 0), as in SQuAD v1.1.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from albert.tasks.examples import QAExample
from albert.tasks.preprocess import Feature, pack, tokenize
from albert.tokenizer.offsets import with_leading_space

MAX_ANSWER_LEN = 15
DOC_STRIDE = 128


@dataclass
class Window:
    """Where a window's context tokens sit. Packed position `lead + k` holds context token `start + k`
    (k < length). The context's offsets and words are shared by all windows of a context, not copied, so
    that the ~90k windows of SQuAD train stay small."""

    example_index: int
    lead: int
    start: int
    length: int
    context_offsets: list[tuple[int, int]]
    context_words: list[int]
    """Word index of each context token, as transformers' ALBERT tokenizer numbers words."""

    @property
    def size(self) -> int:
        """Packed length: [CLS] question [SEP] context [SEP]."""
        return self.lead + self.length + 1

    def offset(self, position: int) -> tuple[int, int] | None:
        """Context character span of packed token `position`; None for question / special tokens."""
        k = position - self.lead
        return self.context_offsets[self.start + k] if 0 <= k < self.length else None

    @property
    def offsets(self) -> list[tuple[int, int] | None]:
        """`offset(p)` for every packed position p."""
        return [self.offset(p) for p in range(self.size)]

    def allowed(self, width: int) -> np.ndarray:
        """(width,) bool: positions a span may start or end at ([CLS] and the context tokens)."""
        mask = np.zeros(width, dtype=bool)
        mask[0] = True
        mask[self.lead : self.lead + self.length] = True
        return mask

    def word_spans(self) -> list[tuple[int, int] | None]:
        """Per packed position, the character span of its whole word as far as this window holds it
        (transformers' `word_to_chars` on an overflowing encoding); None outside the context."""
        words = self.context_words[self.start : self.start + self.length]
        offsets = self.context_offsets[self.start : self.start + self.length]
        first: dict[int, int] = {}
        last: dict[int, int] = {}
        for k, w in enumerate(words):
            first.setdefault(w, k)
            last[w] = k
        spans = [(offsets[first[w]][0], offsets[last[w]][1]) for w in words]
        return [None] * self.lead + spans + [None]  # type: ignore[return-value]


def window_spans(num_tokens: int, room: int, doc_stride: int) -> list[tuple[int, int]]:
    """(start, length) of the windows of up to `room` tokens covering `num_tokens` context tokens, each
    overlapping the previous one by `doc_stride` tokens (the windows of the Rust tokenizer's overflow)."""
    if doc_stride >= room and num_tokens > room:
        raise ValueError(
            f"doc_stride {doc_stride} must be smaller than the {room} context tokens a window holds "
            "(max_length - question tokens - 3): lower doc_stride (--doc-stride) or raise max_length "
            "(--max-length)"
        )
    spans, start = [], 0
    while True:
        length = min(room, num_tokens - start)
        spans.append((start, length))
        if start + length >= num_tokens:
            return spans
        start += room - doc_stride


def window_count(num_tokens: int, room: int, doc_stride: int) -> int:
    """`len(window_spans(num_tokens, room, doc_stride))` without listing the windows (a server counts them
    to refuse a request that would make too many); raises the same ValueError."""
    if num_tokens <= room:
        return 1
    if doc_stride >= room:
        window_spans(num_tokens, room, doc_stride)  # raises, naming the fix
    step = room - doc_stride
    return 1 + -(-(num_tokens - room) // step)  # the k-th window starts at k * step; the last at >= N - room


def word_boundary_ids(tokenizer: Any) -> frozenset[int]:
    """Tokens that are words of their own in transformers' ALBERT tokenizer: the special tokens and the
    vocabulary's user-defined symbols ("(", ".", "-", ...), which its converter makes added tokens."""
    user_defined = getattr(tokenizer, "user_defined_symbol_ids", None)
    if user_defined is None:  # a transformers tokenizer: its added tokens
        user_defined = set(tokenizer.get_added_vocab().values())
    return frozenset(set(user_defined) | set(tokenizer.all_special_ids)) - {tokenizer.unk_token_id}


def word_ids(
    text: str, ids: Sequence[int], offsets: Sequence[tuple[int, int]], boundary: frozenset[int]
) -> list[int]:
    """Word index of each token of `text` (tokenized without special tokens), as transformers' ALBERT
    tokenizer numbers words: a word ends at whitespace and around each `boundary` token ("NATO." is the
    two words "NATO" and ".")."""
    out: list[int] = []
    word, previous = -1, None  # previous: (token id, end offset)
    for token_id, (start, end) in zip(ids, offsets):
        new_word = (
            previous is None
            or token_id in boundary
            or previous[0] in boundary
            or any(c.isspace() for c in text[previous[1] : start])
            or (start < end and text[start].isspace())
        )
        word += int(new_word)
        out.append(word)
        previous = (token_id, end)
    return out


def tokenize_contexts(
    tokenizer: Any, contexts: Sequence[str]
) -> dict[str, tuple[list[int], list[tuple[int, int]], list[int]]]:
    """context -> (token ids, character offsets, word ids), offsets and words as transformers' ALBERT
    tokenizer gives them (a word's offsets include the space before it)."""
    ids, offsets = tokenize(tokenizer, contexts, offsets=True)
    boundary = word_boundary_ids(tokenizer)
    out = {}
    for context, token_ids, spans in zip(contexts, ids, offsets):
        spans = with_leading_space(context, tokenizer.convert_ids_to_tokens(token_ids), spans)
        out[context] = (token_ids, spans, word_ids(context, token_ids, spans, boundary))
    return out


def answer_tokens(offsets: Sequence[tuple[int, int]], start: int, end: int) -> tuple[int, int] | None:
    """Indices (first, last) of the tokens covering characters [start, end), or None if none do."""
    first = next((i for i, (_, b) in enumerate(offsets) if b > start), None)
    last = next((i for i in range(len(offsets) - 1, -1, -1) if offsets[i][0] < end), None)
    return (first, last) if first is not None and last is not None and first <= last else None


def char_span(
    context: str, offsets: Sequence[tuple[int, int] | None], first: int, last: int
) -> tuple[int, int]:
    """Character span of the packed tokens first..last, without a leading space."""
    start, end = offsets[first][0], offsets[last][1]  # type: ignore[index]
    while start < end and context[start].isspace():  # offsets include the space before a word
        start += 1
    return start, end


def pack_windows(
    tokenizer: Any,
    question: list[int],
    context: tuple[list[int], list[tuple[int, int]], list[int]],
    *,
    max_length: int,
    doc_stride: int,
    example_index: int = 0,
) -> tuple[list[Feature], list[Window]]:
    """`[CLS] question [SEP] window [SEP]` for each window of the context (ids, offsets, words)."""
    context_ids, context_offsets, context_words = context
    room = max_length - len(question) - 3
    if room < 1:
        raise ValueError(
            f"max_length={max_length} leaves no room for the context after the question's "
            f"{len(question)} tokens (is the question too long?)"
        )
    features, windows = [], []
    lead = len(question) + 2  # [CLS] question [SEP]
    for start, length in window_spans(len(context_ids), room, doc_stride):
        features.append(pack(tokenizer, question, context_ids[start : start + length]))
        windows.append(Window(example_index, lead, start, length, context_offsets, context_words))
    return features, windows


def encode_qa(
    examples: Sequence[QAExample],
    tokenizer: Any,
    *,
    max_length: int = 384,
    doc_stride: int = DOC_STRIDE,
    max_query_length: int | None = 64,
) -> tuple[list[Feature], list[Window]]:
    """Features (with `start_positions`/`end_positions` of the first answer) and their windows. Questions
    are cut to `max_query_length` tokens (None: never cut, as the pipeline)."""
    question_ids, _ = tokenize(tokenizer, [e.question for e in examples])
    by_context = tokenize_contexts(tokenizer, sorted({e.context for e in examples}))  # ~5 questions each
    features: list[Feature] = []
    windows: list[Window] = []
    for index, (example, question) in enumerate(zip(examples, question_ids)):
        question = question[:max_query_length]
        context = by_context[example.context]
        answer = None
        if example.answers:
            answer = answer_tokens(context[1], example.answers[0].start, example.answers[0].end)
        packed, spans = pack_windows(
            tokenizer, question, context, max_length=max_length, doc_stride=doc_stride, example_index=index
        )
        for feature, window in zip(packed, spans):
            feature["input_ids"] = np.asarray(feature["input_ids"], dtype=np.int32)  # compact: 90k of them
            feature["token_type_ids"] = np.asarray(feature["token_type_ids"], dtype=np.int8)
            end = window.start + window.length
            inside = answer is not None and window.start <= answer[0] and answer[1] < end
            shift = window.lead - window.start
            positions = (answer[0] + shift, answer[1] + shift) if inside else (0, 0)  # type: ignore[index]
            feature["start_positions"], feature["end_positions"] = positions
        features += packed
        windows += spans
    return features, windows


# ----- decoding ----------------------------------------------------------------------------------------


def _masked_softmax(logits: np.ndarray, allowed: np.ndarray) -> np.ndarray:
    """Softmax over the allowed positions (others get logit -10000, as transformers' pipeline)."""
    x = np.where(allowed, logits, np.float32(-10000.0)).astype(np.float32)
    x = np.exp(x - x.max())
    return x / x.sum()


def _best_spans(
    start: np.ndarray, end: np.ndarray, k: int, max_answer_len: int, allowed: np.ndarray
) -> list[tuple[int, int, float]]:
    """The k highest p_start * p_end spans with 0 <= end - start < max_answer_len, as (s, e, score);
    spans whose ends are not allowed positions are dropped afterwards (so fewer than k may remain)."""
    scores = np.tril(np.triu(np.outer(start, end)), max_answer_len - 1)  # (T, T): [s, e]
    flat = scores.ravel()
    if k == 1:
        order = np.array([np.argmax(flat)])
    elif flat.size < k:
        order = np.argsort(-flat)
    else:
        top = np.argpartition(-flat, k)[:k]
        order = top[np.argsort(-flat[top])]
    starts, ends = np.unravel_index(order, scores.shape)
    # Position 0 ([CLS]) stays eligible here, as it does upstream; its probability is already 0.
    ok = allowed.copy()
    ok[0] = True
    return [(int(s), int(e), float(scores[s, e])) for s, e in zip(starts, ends) if ok[s] and ok[e]]


def decode_answers(
    context: str,
    windows: Sequence[Window],
    start_logits: Sequence[Any],
    end_logits: Sequence[Any],
    *,
    top_k: int = 1,
    max_answer_len: int = MAX_ANSWER_LEN,
    align_to_words: bool = True,
    handle_impossible_answer: bool = False,
) -> list[dict[str, Any]]:
    """The `top_k` best answers to one question over its windows, best first, as transformers'
    pipeline gives them: `{"score", "start", "end", "answer"}` (character offsets into `context`).
    `start_logits[i]` / `end_logits[i]`: (T_i,) logits of window i, T_i >= its size (padding is ignored).
    `handle_impossible_answer` adds the empty answer scored by the lowest p_start([CLS]) * p_end([CLS])."""
    null_score = 1e6
    answers: list[dict[str, Any]] = []
    # Answers by lower-cased text: merging a span into an earlier answer is a lookup, not a scan of every
    # answer so far (quadratic: 100 windows x 210 candidates took minutes). Each key has one answer, the
    # first with that text, so this finds what the scan found and adds the scores in the same order.
    by_text: dict[str, dict[str, Any]] = {}
    for window, start_row, end_row in zip(windows, start_logits, end_logits):
        start_row, end_row = np.asarray(start_row, dtype=np.float32), np.asarray(end_row, dtype=np.float32)
        allowed = window.allowed(len(start_row))
        start, end = _masked_softmax(start_row, allowed), _masked_softmax(end_row, allowed)
        null_score = min(null_score, float(start[0] * end[0]))
        start[0] = end[0] = 0.0  # [CLS] is never part of a span
        words = window.word_spans()
        offsets = [o or (0, 0) for o in window.offsets]  # [CLS] -> (0, 0), as the tokenizer gives it
        candidates = top_k * 2 + 10 if align_to_words else top_k  # some merge after word alignment
        for s, e, score in _best_spans(start, end, candidates, max_answer_len, allowed):
            spans = words if align_to_words and words[s] is not None and words[e] is not None else offsets
            begin, finish = spans[s][0], spans[e][1]  # type: ignore[index]
            text = context[begin:finish]
            key = text.lower()
            if key in by_text:
                by_text[key]["score"] += score
            else:
                by_text[key] = {"score": score, "start": begin, "end": finish, "answer": text}
                answers.append(by_text[key])
    if handle_impossible_answer:
        answers.append({"score": null_score, "start": 0, "end": 0, "answer": ""})
    return sorted(answers, key=lambda a: a["score"], reverse=True)[:top_k]


def decode(
    examples: Sequence[QAExample],
    windows: Sequence[Window],
    start_logits: Sequence[Any],
    end_logits: Sequence[Any],
    *,
    max_answer_len: int = MAX_ANSWER_LEN,
) -> list[str]:
    """The best answer text of each example (what the pipeline returns; "" when it finds none)."""
    per_example: dict[int, list[int]] = {}
    for i, window in enumerate(windows):
        per_example.setdefault(window.example_index, []).append(i)
    texts = []
    for index, example in enumerate(examples):
        rows = per_example.get(index, [])
        best = decode_answers(
            example.context,
            [windows[i] for i in rows],
            [start_logits[i] for i in rows],
            [end_logits[i] for i in rows],
            max_answer_len=max_answer_len,
        )
        texts.append(best[0]["answer"] if best else "")
    return texts
