"""question-answering: same answers, offsets and scores as transformers, long contexts included."""

from __future__ import annotations

import pytest

from albert.pipelines import PipelineError
from tests.pipelines.tiny_models import assert_same, assert_same_ids

# Texts that transformers' converted tokenizer splits into the same pieces as ours (checked below): not
# "(x" or "x-ray", where its converter puts a "▁" after the symbol (docs/tokenizers.md).
CONTEXT = (
    "My name is Wolfgang and I live in Berlin. " * 3
    + "The Eiffel tower, built 1887 - 1889, stands in Paris, France; it is 330 m tall. 生活的真谛是 x ray."
)
LONG = " ".join(f"Sentence number {i} talks about topic{i} and place{i}." for i in range(36))
CASES = [
    ("Where do I live?", CONTEXT, {}),
    ("Where do I live?", CONTEXT, {"top_k": 5}),
    ("How tall?", CONTEXT, {"top_k": 3, "max_answer_len": 4, "handle_impossible_answer": True}),
    ("Which topic?", LONG, {"top_k": 4, "max_seq_len": 64, "doc_stride": 16}),
    ("Which topic?", LONG, {}),
    ("Which?", LONG, {"top_k": 3, "align_to_words": False, "max_seq_len": 100, "doc_stride": 30}),
    ("Which?", LONG, {"max_seq_len": 48, "doc_stride": 20, "handle_impossible_answer": True}),
]


@pytest.mark.parametrize(("question", "context", "kwargs"), CASES, ids=[str(k) for _, _, k in CASES])
def test_matches_transformers(make_pipelines, question, context, kwargs):
    theirs, ours = make_pipelines("question-answering")
    assert_same_ids([question, context], theirs.tokenizer, ours.tokenizer)
    expected = theirs(question=question, context=context, **kwargs)
    assert_same(ours({"question": question, "context": context}, **kwargs), expected)
    assert_same(ours(question=question, context=context, **kwargs), expected)


def test_lists_of_questions(make_pipelines):
    theirs, ours = make_pipelines("question-answering")
    questions, contexts = ["a?", "who?", "where?"], ["b c d e f g", CONTEXT, LONG]
    kwargs = {"top_k": 2, "max_seq_len": 96, "doc_stride": 32}
    assert_same(
        ours(question=questions, context=contexts, **kwargs),
        theirs(question=questions, context=contexts, **kwargs),
    )
    assert_same(ours(question=questions, context=CONTEXT), theirs(question=questions, context=CONTEXT))


def test_answers_are_context_slices(make_pipelines):
    _, ours = make_pipelines("question-answering")
    for answer in ours(question="Which topic?", context=LONG, top_k=10, max_seq_len=64, doc_stride=16):
        assert LONG[answer["start"] : answer["end"]] == answer["answer"]
        assert not answer["answer"][1:2].isspace()  # at most the one space before the first word


def test_word_alignment_without_word_ids(make_pipelines, tokenizer):
    """A tokenizer whose output has no word_ids(): words are rebuilt from the pieces, same answers."""
    _, ours = make_pipelines("question-answering")

    class PlainDictTokenizer:
        def __init__(self, inner):
            self._inner = inner

        def __call__(self, *args, **kwargs):
            return dict(self._inner(*args, **kwargs))  # drops the encodings behind word_ids()

        def __getattr__(self, name):
            return getattr(self._inner, name)

    from albert.pipelines import QuestionAnsweringPipeline

    plain = QuestionAnsweringPipeline(ours.model, PlainDictTokenizer(tokenizer))
    for question, context, kwargs in CASES:  # ours matches transformers on these (test above)
        expected = ours(question=question, context=context, **kwargs)
        assert_same(plain(question=question, context=context, **kwargs), expected, tol=0.0)


def test_errors(make_pipelines):
    _, ours = make_pipelines("question-answering")
    with pytest.raises(PipelineError, match="non-empty"):
        ours(question="", context="x")
    with pytest.raises(PipelineError, match="question"):
        ours({"context": "only a context"})
    with pytest.raises(PipelineError, match="too long"):
        ours(question="why " * 80, context="because", max_seq_len=48, doc_stride=8)
    with pytest.raises(ValueError, match="max_seq_len"):
        ours(question="q", context="c", max_seq_len=10_000)


def test_positional_question_context_and_max_question_len(make_pipelines):
    """transformers' `qa(question, context)` and its `max_question_len` (without effect with a fast
    tokenizer, as there)."""
    theirs, ours = make_pipelines("question-answering")
    expected = theirs(question="Where do I live?", context=CONTEXT, max_question_len=4)
    assert_same(ours("Where do I live?", CONTEXT, max_question_len=4), expected)
    assert_same(ours("Where do I live?", CONTEXT), theirs("Where do I live?", CONTEXT))
    with pytest.raises(TypeError, match="pass \\(question, context\\)"):
        ours("q", "c", "extra")


@pytest.mark.filterwarnings("ignore:topk parameter is deprecated")
def test_upstream_padding_and_topk_are_accepted(make_pipelines):
    """transformers' `padding` (how its windows are padded: answers do not change) and its deprecated
    `topk` spelling of `top_k`."""
    theirs, ours = make_pipelines("question-answering")
    for padding in ("max_length", "longest", True, "do_not_pad"):
        expected = theirs(question="Where do I live?", context=CONTEXT, padding=padding, top_k=2)
        assert_same(ours(question="Where do I live?", context=CONTEXT, padding=padding, top_k=2), expected)
    expected = theirs(question="Where do I live?", context=CONTEXT, topk=3)
    assert_same(ours(question="Where do I live?", context=CONTEXT, topk=3), expected)
    with pytest.raises(ValueError, match="padding must be one of"):
        ours(question="q", context="c", padding="sideways")
