"""Fixtures for the pipeline tests: tiny random checkpoints (built once per session) and pipelines."""

from __future__ import annotations

from pathlib import Path

import pytest
import transformers

from albert.tokenizer import AlbertTokenizerFast
from tests.pipelines.tiny_models import SPAN_TASKS, reference_tokenizer, tiny_model_dirs


@pytest.fixture(scope="session")
def model_dirs(tmp_path_factory) -> dict[str, Path]:
    """task -> checkpoint directory (config, weights and tokenizer files written by transformers)."""
    return tiny_model_dirs(tmp_path_factory.getbasetemp() / "albert-tiny")


@pytest.fixture(scope="session")
def tokenizer(model_dirs):
    return AlbertTokenizerFast.from_pretrained(model_dirs["fill-mask"])


@pytest.fixture(scope="session")
def make_pipelines(model_dirs, tokenizer):
    """task -> (transformers pipeline, our pipeline) on the same checkpoint; built once per task."""
    from albert.pipelines import pipeline

    cache: dict[str, tuple] = {}

    def make(task: str, model_task: str | None = None):
        if task not in cache:
            path = model_dirs[model_task or task]
            # Spans and words are compared with transformers' own ALBERT tokenizer (converted from the
            # SentencePiece model), not with transformers running our tokenizer.json.
            kwargs = (
                {"tokenizer": reference_tokenizer(str(path / "spiece.model"))} if task in SPAN_TASKS else {}
            )
            cache[task] = (
                transformers.pipeline(task, model=str(path), **kwargs),
                pipeline(task, path, tokenizer),
            )
        return cache[task]

    return make
