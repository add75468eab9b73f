"""feature-extraction: hidden states as transformers returns them, plus the pooled vectors."""

from __future__ import annotations

import pytest
import torch

from tests.pipelines.tiny_models import assert_same

TEXTS = ["hello world", "a much longer sentence, with some punctuation and 1234 digits."]


def test_matches_transformers(make_pipelines):
    theirs, ours = make_pipelines("feature-extraction", "fill-mask")
    assert_same(ours(TEXTS[0]), theirs(TEXTS[0]))
    assert_same(ours(TEXTS), theirs(TEXTS))


def test_tokenize_kwargs_truncate_as_upstream(make_pipelines):
    theirs, ours = make_pipelines("feature-extraction", "fill-mask")
    options = {"tokenize_kwargs": {"truncation": True, "max_length": 6}}
    assert_same(ours(TEXTS, **options), theirs(TEXTS, **options))
    assert len(ours(TEXTS[1], **options)[0]) == 6


def test_pooling(make_pipelines, tokenizer):
    _, ours = make_pipelines("feature-extraction", "fill-mask")
    enc = tokenizer(TEXTS[1], return_tensors="pt")
    with torch.no_grad():
        out = ours.model(input_ids=enc["input_ids"], token_type_ids=enc["token_type_ids"])
    hidden = out.last_hidden_state[0]
    torch.testing.assert_close(ours(TEXTS[1], pooling="mean", return_tensors=True), hidden.mean(0))
    torch.testing.assert_close(ours(TEXTS[1], pooling="cls", return_tensors=True), hidden[0])
    torch.testing.assert_close(ours(TEXTS[1], pooling="pooler", return_tensors=True), out.pooler_output[0])
    assert ours(TEXTS[1], return_tensors=True).shape == (1, enc["input_ids"].shape[1], 32)
    # Batched with a shorter text: padding must not leak into the mean.
    pooled = ours([TEXTS[0], TEXTS[1]], pooling="mean")
    assert len(pooled) == 2 and len(pooled[1]) == 32
    torch.testing.assert_close(torch.tensor(pooled[1]), hidden.mean(0), rtol=1e-5, atol=1e-5)


def test_bad_pooling(make_pipelines):
    _, ours = make_pipelines("feature-extraction", "fill-mask")
    with pytest.raises(ValueError, match="pooling"):
        ours("x", pooling="max")
