"""multiple-choice (no upstream pipeline): softmax over the choices' logits of AlbertForMultipleChoice."""

from __future__ import annotations

import pytest
import torch

from albert.pipelines import PipelineError, pipeline
from albert.tasks.examples import ChoiceExample
from albert.tasks.preprocess import encode_multiple_choice

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


@pytest.mark.parametrize("context", ["Dinner was late. The man opened the fridge.", ""])
def test_question_items_are_packed_as_fine_tuning_packs_them(mc, tokenizer, context):
    item = {"context": context, "question": "What did he do?", "choices": ["took out milk", "flew away"]}
    example = ChoiceExample("q1", context, item["question"], item["choices"], label=None)
    (feature,) = encode_multiple_choice([example], tokenizer, max_length=128)
    (row,) = mc.preprocess(item, {})
    assert row.features["input_ids"] == feature["input_ids"]
    assert row.features["token_type_ids"] == feature["token_type_ids"]
    if not context:  # an empty context is no context
        assert mc({"question": item["question"], "choices": item["choices"]}) == mc(item)


def test_question_items_need_string_fields(mc):
    with pytest.raises(PipelineError, match="'context' and 'question' must be strings"):
        mc({"context": 3, "question": "q", "choices": ["a"]})
    with pytest.raises(PipelineError, match="question"):
        mc({"context": "c", "choices": ["a"]})


def test_truncation_cuts_as_fine_tuning_does(mc, tokenizer):
    """Too long for the model: an error, or with truncation=True exactly fine-tuning's cut."""
    context, question = "The man opened the fridge. " * 120, "What next? " * 80
    item = {"context": context, "question": question, "choices": ["took out milk", "flew away"]}
    example = ChoiceExample("q1", context, question, item["choices"], label=None)
    (feature,) = encode_multiple_choice([example], tokenizer, max_length=mc.max_length)
    (row,) = mc.preprocess(item, {"truncation": True})
    assert row.features["input_ids"] == feature["input_ids"]
    assert max(map(len, row.features["input_ids"])) == mc.max_length
    with pytest.raises(PipelineError, match="truncation=True"):
        mc(item)
