"""multiple-choice (no upstream pipeline): softmax over the choices' logits of AlbertForMultipleChoice."""

from __future__ import annotations

import pytest
import torch

from albert.pipelines import PipelineError, pipeline

ITEM = {
    "prompt": "The man opened the fridge",
    "choices": ["and took out milk.", "and flew away.", "then slept."],
}


@pytest.fixture(scope="module")
def mc(model_dirs, tokenizer):
    return pipeline("multiple-choice", model_dirs["multiple-choice"], tokenizer, batch_size=2)


def test_scores_are_softmax_of_model_logits(mc, tokenizer):
    enc = tokenizer([ITEM["prompt"]] * 3, ITEM["choices"], padding=True, return_tensors="pt")
    with torch.no_grad():
        logits = mc.model(**{k: v.unsqueeze(0) for k, v in enc.items()}).logits[0]
    expected = torch.softmax(logits, -1).tolist()
    result = mc(ITEM)
    assert [r["score"] for r in result] == sorted(expected, reverse=True)
    for r in result:
        assert r["choice"] == ITEM["choices"][r["index"]]
        assert r["score"] == pytest.approx(expected[r["index"]], abs=1e-6)
    assert sum(r["score"] for r in result) == pytest.approx(1.0)


def test_batches_items_with_different_numbers_of_choices(mc):
    items = [ITEM, {"prompt": "p", "choices": ["a", "b"]}, ITEM, {"prompt": "q", "choices": ["only one"]}]
    results = mc(items)
    assert [len(r) for r in results] == [3, 2, 3, 1]
    assert [r["index"] for r in results[0]] == [r["index"] for r in results[2]]
    assert [r["score"] for r in results[0]] == pytest.approx([r["score"] for r in results[2]], abs=1e-6)
    assert len(mc(ITEM, top_k=1)) == 1


def test_bad_items(mc):
    with pytest.raises(PipelineError, match="choices"):
        mc({"prompt": "p", "choices": []})
    with pytest.raises(PipelineError, match="prompt"):
        mc("just a string")
