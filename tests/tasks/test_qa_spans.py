"""SQuAD windows and offsets: gold character spans survive the trip to token spans and back, in every
window (including later ones), and n-best decoding returns them."""

from __future__ import annotations

import torch

from albert.tasks.examples import Answer, QAExample
from albert.tasks.qa_spans import _max_context, char_span, decode, encode_qa, window_starts

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


def test_window_starts_step_by_stride():
    assert window_starts(10, 4, 2) == [(0, 4), (2, 4), (4, 4), (6, 4)]
    assert window_starts(3, 4, 2) == [(0, 3)]
    assert window_starts(9, 4, 4) == [(0, 4), (4, 4), (8, 1)]


def test_max_context_prefers_the_centred_window():
    spans = [(0, 4), (2, 4)]
    assert not _max_context(spans, 0, 3) and _max_context(spans, 1, 3)  # 0 tokens right vs 1 on each side
    assert _max_context(spans, 0, 1) and not _max_context(spans, 1, 1)  # only window 0 has it


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


def test_decode_n_best_returns_gold_spans(tokenizer):
    exs = examples()
    features, windows = encode_qa(exs, tokenizer, max_length=32, doc_stride=8, max_query_length=16)
    starts, ends = [], []
    for feature in features:
        n = len(feature["input_ids"])
        s, e = torch.full((n,), -5.0), torch.full((n,), -5.0)
        if feature["start_positions"] or feature["end_positions"]:
            s[feature["start_positions"]], e[feature["end_positions"]] = 5.0, 5.0
        s[0] = e[0] = 9.0  # [CLS] scores highest but is not a context token: never an answer
        starts.append(s)
        ends.append(e)
    predictions = decode(exs, windows, starts, ends, n_best=3, max_answer_length=30)
    assert [p.text for p in predictions] == ANSWERS
    assert [p.start for p in predictions] == [e.answers[0].start for e in exs]


def test_decode_respects_max_answer_length_and_order(tokenizer):
    ex = QAExample("q", "who", "John visited Paris in the spring.", [Answer("John", 0)])
    (feature,), windows = encode_qa([ex], tokenizer, max_length=64)
    context_positions = [i for i, o in enumerate(windows[0].offsets) if o is not None]
    first, last = context_positions[0], context_positions[-1]
    s, e = torch.zeros(len(feature["input_ids"])), torch.zeros(len(feature["input_ids"]))
    s[first], e[last] = 10.0, 10.0  # the best pair spans the whole context
    e[first] = 9.0
    (whole,) = decode([ex], windows, [s], [e], max_answer_length=64)
    assert (whole.text, whole.start) == (ex.context, 0)
    (short,) = decode([ex], windows, [s], [e], max_answer_length=1)  # only the first piece fits
    assert (short.text, short.start) == (ex.context[: windows[0].offsets[first][1]], 0)
    s2 = torch.zeros_like(s)
    s2[last], e2 = 10.0, torch.zeros_like(e)
    e2[first] = 10.0  # end before start: not a span
    (p,) = decode([ex], windows, [s2], [e2], n_best=1, max_answer_length=64)
    assert p.text == ""
