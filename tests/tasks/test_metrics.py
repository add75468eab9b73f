"""Metric functions against values computed by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest

from albert.tasks.metrics import (
    classification_metrics,
    multi_label_metrics,
    multiple_choice_metrics,
    ner_metrics,
    normalize_answer,
    regression_metrics,
    squad_exact_match,
    squad_f1,
    squad_metrics,
)


def test_binary_classification():
    # TP=2 TN=1 FP=1 FN=0: P=2/3, R=1, F1=0.8; MCC=(2*1-1*0)/sqrt(3*2*1*2)
    m = classification_metrics([1, 0, 1, 1], [1, 0, 0, 1], num_labels=2)
    assert m["accuracy"] == pytest.approx(0.75)
    assert m["f1"] == pytest.approx(0.8)
    assert m["matthews_correlation"] == pytest.approx(2 / math.sqrt(12))


def test_multiclass_macro_f1():
    # per-class F1: 1, 2/3 (P=1, R=1/2), 2/3 (P=1/2, R=1)
    m = classification_metrics([0, 1, 2, 2], [0, 1, 1, 2], num_labels=3)
    assert m["f1"] == pytest.approx((1 + 2 / 3 + 2 / 3) / 3)
    assert m["accuracy"] == pytest.approx(0.75)


def test_multi_label():
    # subset accuracy 1/2; micro TP=2 FP=1 FN=0 -> 0.8; macro (2/3 + 1) / 2
    m = multi_label_metrics(np.array([[1, 0], [1, 1]]), np.array([[1, 0], [0, 1]]))
    assert m["accuracy"] == pytest.approx(0.5)
    assert m["f1"] == pytest.approx(0.8)
    assert m["f1_macro"] == pytest.approx((2 / 3 + 1) / 2)


def test_regression():
    # y = x^2: Spearman 1; Pearson = 25 / sqrt(5 * 129); MSE = (0 + 4 + 36 + 144) / 4
    m = regression_metrics([1, 2, 3, 4], [1, 4, 9, 16])
    assert m["spearman"] == pytest.approx(1.0)
    assert m["pearson"] == pytest.approx(25 / math.sqrt(645))
    assert m["mse"] == pytest.approx(46.0)
    assert regression_metrics([2, 2, 2], [1, 2, 3])["pearson"] == 0.0  # undefined -> 0, never NaN


def test_ner_entity_level():
    # PER matches, LOC predicted as ORG: P = R = F1 = 1/2; tag accuracy 3/4
    m = ner_metrics([["B-PER", "I-PER", "O", "B-ORG"]], [["B-PER", "I-PER", "O", "B-LOC"]])
    assert (m["precision"], m["recall"], m["f1"]) == pytest.approx((0.5, 0.5, 0.5))
    assert m["accuracy"] == pytest.approx(0.75)
    # a wrong boundary is a wrong entity: I-PER alone starts a new entity under conlleval rules
    assert ner_metrics([["B-PER", "O"]], [["B-PER", "I-PER"]])["f1"] == 0.0


def test_multiple_choice_accuracy():
    assert multiple_choice_metrics([0, 1, 2], [0, 2, 2])["accuracy"] == pytest.approx(2 / 3)


def test_squad_normalisation():
    assert normalize_answer("The  Quick, brown FOX!") == "quick brown fox"
    assert normalize_answer("an apple a day") == "apple day"
    assert normalize_answer("theory") == "theory"  # articles only as whole words
    assert normalize_answer("Saint-Denis") == "saintdenis"  # punctuation removed, not replaced by a space


def test_squad_em_f1():
    assert squad_exact_match("the Denver Broncos", "Denver Broncos!") == 1.0
    # pred {cat, sat}, gold {cat, sat, down}: P=1, R=2/3, F1=0.8
    assert squad_f1("the cat sat", "a cat sat down") == pytest.approx(0.8)
    assert squad_f1("", "cat") == 0.0
    m = squad_metrics(["Denver", "x"], [["Denver Broncos", "Broncos"], ["y"]])
    assert m["exact_match"] == 0.0
    assert m["f1"] == pytest.approx((2 / 3 + 0) / 2)  # best of the gold answers per question
    assert squad_metrics(["Broncos"], [["Denver Broncos", "broncos"]]) == {"exact_match": 1.0, "f1": 1.0}


@pytest.mark.filterwarnings("ignore:A single label was found")  # scikit-learn's, on the one-class data
def test_a_classifier_that_predicts_one_class_is_named_in_the_log(caplog):
    """A run still on the chance plateau (one SST-2 seed: 50.9%, the majority share) gets a warning."""
    with caplog.at_level("WARNING", logger="albert.tasks.metrics"):
        m = classification_metrics([1, 1, 1, 1], [1, 0, 0, 1], num_labels=2)
    assert m["accuracy"] == 0.5 and "all 4 predictions are label 1" in caplog.text
    caplog.clear()
    with caplog.at_level("WARNING", logger="albert.tasks.metrics"):
        classification_metrics([1, 0, 1, 1], [1, 0, 0, 1], num_labels=2)
        classification_metrics([1, 1], [1, 1], num_labels=2)  # one class in the data: nothing to say
    assert caplog.text == ""


def test_the_declared_metric_names_are_the_keys_the_metrics_give():
    # --metric-for-best is checked against these before training: they must not drift from the functions
    from albert.tasks import metrics

    assert tuple(metrics.classification_metrics([0, 1], [0, 1], 2)) == metrics.CLASSIFICATION
    assert (
        tuple(metrics.multi_label_metrics(np.eye(2, dtype=int), np.eye(2, dtype=int))) == metrics.MULTI_LABEL
    )
    assert tuple(metrics.regression_metrics([0.1, 0.5], [0.2, 0.4])) == metrics.REGRESSION
    assert tuple(metrics.ner_metrics([["B-X", "O"]], [["B-X", "O"]])) == metrics.NER
    assert tuple(metrics.multiple_choice_metrics([1], [1])) == metrics.MULTIPLE_CHOICE
    assert tuple(metrics.squad_metrics(["a"], [["a"]])) == metrics.SQUAD
