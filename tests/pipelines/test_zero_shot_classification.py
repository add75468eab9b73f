"""zero-shot-classification: same labels, order and scores as transformers' ZeroShotClassificationPipeline."""

from __future__ import annotations

import logging

import pytest
import torch
import transformers

import albert
from tests.pipelines.tiny_models import assert_same

TEXT = "The capital of France is Paris, a city on the river"
LABELS = ["place", "person", "number", "question"]
CASES = [
    (TEXT, {"candidate_labels": LABELS}),
    (TEXT, {"candidate_labels": "place, person,number"}),
    ([TEXT, "I love it", "who was wolfgang"], {"candidate_labels": LABELS}),
    (TEXT, {"candidate_labels": LABELS, "multi_label": True}),
    (TEXT, {"candidate_labels": ["place"]}),  # one label: the entailment-vs-contradiction score
    (TEXT, {"candidate_labels": LABELS, "hypothesis_template": "The topic is {}"}),
    (TEXT, {"candidate_labels": LABELS, "multi_class": True}),  # the old name
]


@pytest.mark.parametrize(("inputs", "kwargs"), CASES)
def test_matches_transformers(make_pipelines, inputs, kwargs):
    theirs, ours = make_pipelines("zero-shot-classification")
    assert_same(ours(inputs, **kwargs), theirs(inputs, **kwargs))


def test_labels_as_the_second_argument_and_as_pipeline_defaults(make_pipelines, model_dirs, tokenizer):
    theirs, ours = make_pipelines("zero-shot-classification")
    assert_same(ours(TEXT, LABELS), theirs(TEXT, LABELS))
    built = albert.pipeline("zero-shot-classification", model_dirs["zero-shot-classification"], tokenizer,
                            candidate_labels=LABELS, multi_label=True)  # fmt: skip
    assert_same(built(TEXT), theirs(TEXT, candidate_labels=LABELS, multi_label=True))


def test_without_an_entailment_label_the_last_output_with_a_warning(model_dirs, tokenizer, caplog):
    path = model_dirs["text-classification"]  # negative / neutral / positive
    theirs = transformers.pipeline("zero-shot-classification", model=str(path))
    with caplog.at_level(logging.WARNING, logger="albert"):
        ours = albert.pipeline("zero-shot-classification", path, tokenizer)
    assert "starts with 'entail'" in caplog.text
    assert ours.entailment_id == theirs.entailment_id == -1
    assert_same(ours(TEXT, LABELS), theirs(TEXT, LABELS))
    assert_same(ours(TEXT, LABELS, multi_label=True), theirs(TEXT, LABELS, multi_label=True))


@pytest.mark.filterwarnings(
    "ignore:overflow encountered:RuntimeWarning", "ignore:invalid value:RuntimeWarning"
)
def test_large_logits_give_scores_not_nan(model_dirs, tokenizer):
    """docs/differences.md: upstream exponentiates raw logits, so logits past ~88 overflow to NaN."""
    path = model_dirs["zero-shot-classification"]
    theirs = transformers.pipeline("zero-shot-classification", model=str(path))
    ours = albert.pipeline("zero-shot-classification", path, tokenizer)
    with torch.no_grad():
        theirs.model.classifier.bias.add_(200.0)
        ours.model.classifier.bias.add_(200.0)
    got, want = ours(TEXT, LABELS), theirs(TEXT, LABELS)
    assert all(s != s for s in want["scores"])  # NaN upstream
    assert sum(got["scores"]) == pytest.approx(1.0) and all(0 <= s <= 1 for s in got["scores"])


def test_bad_arguments_are_clear_errors(make_pipelines):
    _, ours = make_pipelines("zero-shot-classification")
    with pytest.raises(ValueError, match="needs candidate_labels"):
        ours(TEXT)
    with pytest.raises(ValueError, match="candidate_labels is empty"):
        ours(TEXT, candidate_labels=" , ")
    with pytest.raises(TypeError, match="candidate_labels must be a list of strings"):
        ours(TEXT, candidate_labels=[1, 2])
    for template in ("This example is about it.", "This example is about {x}.", "{} and {}"):
        with pytest.raises(ValueError, match="needs one {} where the label goes"):
            ours(TEXT, candidate_labels=LABELS, hypothesis_template=template)
    with pytest.raises(ValueError, match='"text" must be a string, got int'):
        ours({"text": 5}, candidate_labels=LABELS)
    # {"text": ...}: how albert run / albert serve take a text that starts with "{"
    assert ours({"text": TEXT}, candidate_labels=LABELS) == ours(TEXT, candidate_labels=LABELS)
    with pytest.raises(TypeError, match="at most one more positional argument"):
        ours(TEXT, LABELS, "extra")
