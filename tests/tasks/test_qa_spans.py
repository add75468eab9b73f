"""QA windows and offsets: gold character spans survive the trip to token spans and back, in every
window (including later ones), and decoding returns them. (The decoding's parity with transformers'
pipeline is tested in tests/pipelines/test_question_answering.py and test_transformers_spans.py.)"""

from __future__ import annotations

import time

import numpy as np
import pytest
import torch

from albert.tasks.examples import Answer, QAExample
from albert.tasks.qa_spans import (
    Window,
    char_span,
    decode,
    decode_answers,
    encode_qa,
    window_count,
    window_spans,
    word_ids,
)

SENTENCES = [
    "John visited Paris in the spring.",
    "Mary works for Google near the river.",
    "The capital of France is Paris.",
    "A red cat lives in London with a blue dog.",
    "Germany and England played a boring game.",
    "The film was great fun, said the actor.",
]
ANSWERS = ["John", "Google", "France", "blue dog", "England", "the actor"]


def examples() -> list[QAExample]:
    context = " ".join(SENTENCES)
    out = []
    for i, answer in enumerate(ANSWERS):
        start = context.index(answer, context.index(SENTENCES[i]))
        out.append(QAExample(f"q{i}", "who or what is it", context, [Answer(answer, start)]))
    return out


def test_doc_stride_is_the_overlap():
    assert window_spans(10, 4, 2) == [(0, 4), (2, 4), (4, 4), (6, 4)]  # step 4 - 2
    assert window_spans(10, 4, 1) == [(0, 4), (3, 4), (6, 4)]  # step 3: the last ends at the end
    assert window_spans(3, 4, 2) == [(0, 3)]
    assert window_spans(9, 4, 0) == [(0, 4), (4, 4), (8, 1)]
    with pytest.raises(
        ValueError, match=r"doc_stride 4 must be smaller than the 4 .* lower doc_stride \(--doc-stride\)"
    ):
        window_spans(9, 4, 4)
    assert window_spans(4, 4, 128) == [(0, 4)]  # one window: the overlap does not matter


def test_words_split_at_user_defined_symbols():
    """ "NATO." is the words "NATO" and "." (the "." piece is a user-defined symbol, id 9 here)."""
    text = "He joined NATO. Ok"
    offsets = [(0, 2), (2, 9), (9, 14), (14, 15), (15, 18)]  # with the space before each word
    assert word_ids(text, [5, 6, 7, 9, 8], offsets, frozenset({9})) == [0, 1, 2, 3, 4]
    assert word_ids(text, [5, 6, 7, 10, 8], offsets, frozenset({9})) == [0, 1, 2, 2, 3]


def test_gold_span_round_trip_in_every_window(tokenizer):
    exs = examples()
    features, windows = encode_qa(exs, tokenizer, max_length=32, doc_stride=8, max_query_length=16)
    per_example = {i: [] for i in range(len(exs))}
    for feature, window in zip(features, windows):
        per_example[window.example_index].append((feature, window))
    later = 0
    for i, example in enumerate(exs):
        assert len(per_example[i]) > 3  # the context really is split into many windows
        found = 0
        for w, (feature, window) in enumerate(per_example[i]):
            s, e = feature["start_positions"], feature["end_positions"]
            assert len(feature["input_ids"]) <= 32
            if (s, e) == (0, 0):  # answer not (wholly) in this window: points at [CLS]
                continue
            found += 1
            later += w >= 2
            a, b = char_span(example.context, window.offsets, s, e)
            assert (example.context[a:b], a) == (example.answers[0].text, example.answers[0].start)
        assert found >= 1
    assert later >= 3  # answers were recovered from windows after the first two


def test_question_is_cut_and_context_offsets_only_on_context_tokens(tokenizer):
    ex = QAExample("q", "what " * 50, "John visited Paris.", [Answer("Paris", 13)])
    (feature,), (window,) = encode_qa([ex], tokenizer, max_length=64, max_query_length=5)
    assert list(feature["token_type_ids"]).count(0) == 5 + 2  # [CLS] 5 question pieces [SEP]
    assert all(o is None for o in window.offsets[:7]) and window.offsets[-1] is None
    assert all(o is not None for o in window.offsets[7:-1])


def test_decode_returns_gold_spans(tokenizer):
    exs = examples()
    features, windows = encode_qa(exs, tokenizer, max_length=32, doc_stride=8, max_query_length=16)
    starts, ends = [], []
    for feature in features:
        n = len(feature["input_ids"])
        s, e = torch.full((n,), -5.0), torch.full((n,), -5.0)
        if feature["start_positions"] or feature["end_positions"]:
            s[feature["start_positions"]], e[feature["end_positions"]] = 5.0, 5.0
        s[0] = e[0] = 9.0  # [CLS] scores highest but is not a context token: never an answer
        starts.append(s.numpy())
        ends.append(e.numpy())
    predictions = decode(exs, windows, starts, ends, max_answer_len=30)
    assert [p.strip() for p in predictions] == ANSWERS


def test_decode_answers_max_answer_len_order_and_null(tokenizer):
    ex = QAExample("q", "who", "John visited Paris in the spring.", [Answer("John", 0)])
    (feature,), windows = encode_qa([ex], tokenizer, max_length=64)
    context_positions = [i for i, o in enumerate(windows[0].offsets) if o is not None]
    first, last = context_positions[0], context_positions[-1]
    s, e = torch.zeros(len(feature["input_ids"])).numpy(), torch.zeros(len(feature["input_ids"])).numpy()
    s[first], e[last] = 10.0, 10.0  # the best pair spans the whole context
    e[first] = 9.0
    (whole,) = decode_answers(ex.context, windows, [s], [e], max_answer_len=64)
    assert (whole["answer"], whole["start"], whole["end"]) == (ex.context, 0, len(ex.context))
    (short,) = decode_answers(ex.context, windows, [s], [e], max_answer_len=1)  # only the first word fits
    assert short["answer"] == "John"
    s2, e2 = s * 0, e * 0
    s2[last], e2[first] = 10.0, 10.0  # end before start: not a span
    answers = decode_answers(ex.context, windows, [s2], [e2], top_k=50, handle_impossible_answer=True)
    assert all(a["start"] <= a["end"] for a in answers) and ex.context not in [a["answer"] for a in answers]
    assert [a for a in answers if a["answer"] == ""] == [
        {"score": pytest.approx(answers[-1]["score"]), "start": 0, "end": 0, "answer": ""}
    ]


def word_windows(words: list[str], length: int) -> tuple[str, list[Window]]:
    """A context of one token per word and its disjoint windows of `length` tokens (lead 2: a question
    of no tokens), without a tokenizer."""
    offsets = _offsets(words)
    windows = [Window(0, 2, k, min(length, len(words) - k), offsets, list(range(len(words))))
               for k in range(0, len(words), length)]  # fmt: skip
    return " ".join(words), windows


def _offsets(words: list[str]) -> list[tuple[int, int]]:
    out, at = [], 0
    for word in words:
        out.append((at, at + len(word)))
        at += len(word) + 1
    return out


def test_decode_answers_is_not_quadratic_in_the_candidates():
    """75 k distinct candidate spans (2,500 windows x 30): a scan of the answers so far for each
    candidate, as before, took tens of minutes; merging is a lookup now (about a second)."""
    context, windows = word_windows([f"w{i}" for i in range(25_000)], 10)
    rng = np.random.default_rng(0)
    logits = [rng.normal(size=w.size).astype(np.float32) for w in windows]
    began = time.monotonic()
    answers = decode_answers(context, windows, logits, logits[::-1], top_k=10)
    assert time.monotonic() - began < 20
    assert len(answers) == 10 and answers == sorted(answers, key=lambda a: -a["score"])


def test_decode_answers_merges_equal_texts_case_insensitively_into_the_first():
    context, windows = word_windows(["Paris", "x", "PARIS", "y", "paris", "z"], 2)
    best = np.array([0, 0, 5, 0, 0], np.float32)  # [CLS] ? [SEP] word word [SEP]: the first word
    answers = decode_answers(context, windows, [best] * 3, [best] * 3, top_k=3, max_answer_len=1)
    assert (answers[0]["answer"], answers[0]["start"], answers[0]["end"]) == ("Paris", 0, 5)
    alone = decode_answers(context, windows[:1], [best], [best], top_k=1, max_answer_len=1)[0]["score"]
    assert answers[0]["score"] == pytest.approx(3 * alone)  # the three windows' scores added


@pytest.mark.parametrize("room", [1, 2, 5, 8])
def test_window_count_counts_window_spans(room):
    for tokens in range(0, 40):
        for stride in range(0, 10):
            try:
                expected = len(window_spans(tokens, room, stride))
            except ValueError:
                with pytest.raises(ValueError, match="doc_stride"):
                    window_count(tokens, room, stride)
                continue
            assert window_count(tokens, room, stride) == expected, (tokens, room, stride)
