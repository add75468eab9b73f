"""Fixtures of the serve tests: pipelines built once per session (the built-in model and tiny heads)."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def fill_mask_pipe():
    from albert.pipelines import pipeline

    return pipeline("fill-mask", batch_size=8)


@pytest.fixture(scope="session")
def classifier_pipe(tmp_path_factory):
    from albert.pipelines import pipeline
    from tests.serve.helpers import tiny_model_dir

    labels = {0: "negative", 1: "neutral", 2: "positive"}
    path = tiny_model_dir(
        tmp_path_factory.mktemp("cls"), "AlbertForSequenceClassification", num_labels=3, id2label=labels
    )
    return pipeline("text-classification", path, batch_size=8)


@pytest.fixture(scope="session")
def qa_pipe(tmp_path_factory):
    from albert.pipelines import pipeline
    from tests.serve.helpers import tiny_model_dir

    path = tiny_model_dir(tmp_path_factory.mktemp("qa"), "AlbertForQuestionAnswering")
    return pipeline("question-answering", path, batch_size=8)
