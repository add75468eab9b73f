"""Inputs with no text in them (empty or whitespace only), where transformers 4.56 answers with artefacts
or fails; docs/differences.md lists each."""

from __future__ import annotations

import pytest


def test_ner_of_whitespace_finds_no_entity(make_pipelines):
    theirs, ours = make_pipelines("token-classification")
    assert ours("   ") == [] and ours("") == []
    assert [e["word"] for e in theirs("   ")] == ["▁"]  # upstream: an entity made of the "▁" piece alone


def test_question_answering_over_a_blank_context_is_the_empty_answer(make_pipelines):
    theirs, ours = make_pipelines("question-answering")
    assert ours(question="who?", context="   ") == {"score": 0.0, "start": 0, "end": 0, "answer": ""}
    upstream = theirs(question="who?", context="   ")
    assert upstream["answer"] == " " and upstream["score"] > 0  # a scored span made of one space


def test_zero_shot_of_an_empty_text_is_scored(make_pipelines):
    theirs, ours = make_pipelines("zero-shot-classification")
    result = ours("", candidate_labels=["a", "b"])
    assert sorted(result["labels"]) == ["a", "b"] and sum(result["scores"]) == pytest.approx(1.0)
    with pytest.raises(ValueError):  # upstream refuses it
        theirs("", candidate_labels=["a", "b"])
