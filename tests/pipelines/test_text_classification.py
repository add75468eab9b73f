"""text-classification: same labels and scores as transformers' TextClassificationPipeline."""

from __future__ import annotations

import pytest

from tests.pipelines.tiny_models import assert_same

PAIR = {"text": "The cat sat.", "text_pair": "A cat was sitting."}
CASES = [
    ("I love it", {}),
    (["I love it", "terrible, really bad", ""], {}),
    (PAIR, {}),
    ([PAIR, {"text": "one", "text_pair": "two three"}], {"top_k": 2}),
    ("I love it", {"top_k": None}),
    ("I love it", {"top_k": 1}),
    (["x y", "z"], {"top_k": 2, "function_to_apply": "sigmoid"}),
    ("softmax off", {"function_to_apply": "none", "top_k": None}),
]


@pytest.mark.parametrize(("inputs", "kwargs"), CASES)
def test_matches_transformers(make_pipelines, inputs, kwargs):
    theirs, ours = make_pipelines("text-classification")
    assert_same(ours(inputs, **kwargs), theirs(inputs, **kwargs))


def test_labels_come_from_id2label(make_pipelines):
    _, ours = make_pipelines("text-classification")
    assert {d["label"] for d in ours("anything", top_k=None)} == {"negative", "neutral", "positive"}


def test_default_function_follows_problem_type(make_pipelines):
    _, ours = make_pipelines("text-classification")
    config = ours.model.config
    try:
        ours.model.config = config.replace(problem_type="multi_label_classification")
        assert ours.default_function() == "sigmoid"
        ours.model.config = config.replace(problem_type="regression")
        assert ours.default_function() == "none"
        ours.model.config = config.replace(problem_type=None)
        assert ours.default_function() == "softmax"
    finally:
        ours.model.config = config


def test_bad_inputs(make_pipelines):
    _, ours = make_pipelines("text-classification")
    with pytest.raises(ValueError, match="text_pair"):
        ours({"text": "a", "pair": "b"})
    with pytest.raises(ValueError, match="function_to_apply"):
        ours("a", function_to_apply="relu")
