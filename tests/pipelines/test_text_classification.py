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
    ("I love it", {"return_all_scores": True}),  # transformers' deprecated form: label order, in a list
    (["I love it", "bad"], {"return_all_scores": True}),
    ("I love it", {"return_all_scores": False}),
    (
        "the old man saw a small red boat near the quiet harbour on a cold and windy morning " * 3,
        {"truncation": True, "max_length": 12},
    ),  # transformers' **tokenizer_kwargs
    (
        "the old man saw a small red boat near the quiet harbour on a cold and windy morning " * 3,
        {"max_length": 12},
    ),  # max_length alone truncates (no padding asked)
    (
        "the old man saw a small red boat near the quiet harbour on a cold and windy morning " * 3,
        {"truncation": "only_first", "max_length": 16, "padding": "max_length"},
    ),
    (
        dict(
            text="the old man saw a small red boat near the quiet harbour on a cold and windy morning " * 3,
            text_pair="a b c",
        ),
        {"truncation": "only_first", "max_length": 20, "top_k": None},
    ),
]


@pytest.mark.filterwarnings("ignore:`return_all_scores` is now deprecated")
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


def test_tokenizer_arguments_are_checked(make_pipelines):
    _, ours = make_pipelines("text-classification")
    with pytest.raises(ValueError, match="max_length must be an int from 1 to"):
        ours("x", max_length=10**6)
    with pytest.raises(ValueError, match="truncation must be one of"):
        ours("x", truncation="sideways")
