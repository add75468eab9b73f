"""transformers' data collators (what its Trainer examples use) run with our tokenizers."""

from __future__ import annotations

import pytest
import torch

from albert.tokenizer import AlbertTokenizer, AlbertTokenizerFast

TEXTS = ["the city was new and the school", "the war", "the first national team of the city"]


@pytest.mark.filterwarnings("ignore:DataCollatorForWholeWordMask is only suitable:UserWarning")
@pytest.mark.parametrize("cls", [AlbertTokenizer, AlbertTokenizerFast], ids=lambda c: c.__name__)
def test_collators(hf, cls, small_spm):
    tok = cls(str(small_spm))
    features = [dict(tok(t)) for t in TEXTS]
    width = max(len(f["input_ids"]) for f in features)
    padded = hf.DataCollatorWithPadding(tok)(features)
    assert padded["input_ids"].tolist() == tok(TEXTS, padding=True)["input_ids"]
    torch.manual_seed(0)
    for collator in (
        hf.DataCollatorForLanguageModeling(tok, mlm_probability=0.5),
        hf.DataCollatorForWholeWordMask(tok, mlm_probability=0.5),
    ):
        batch = collator([dict(f) for f in features])
        assert batch["input_ids"].shape == batch["labels"].shape == (3, width)
        masked = batch["labels"] != -100
        assert masked.any()
        specials = torch.tensor([tok.get_special_tokens_mask(r, already_has_special_tokens=True)
                                 for r in padded["input_ids"].tolist()], dtype=torch.bool)  # fmt: skip
        assert not (masked & specials).any()  # [CLS], [SEP] and padding are never masked
    labelled = [{**f, "labels": [1] * len(f["input_ids"])} for f in features]
    batch = hf.DataCollatorForTokenClassification(tok)(labelled)
    assert batch["labels"].shape == (3, width) and int((batch["labels"] == -100).sum()) > 0


@pytest.mark.parametrize("labels", [[0, 2, 1], [0.5, -1.25, 3.0]], ids=["classes", "regression"])
def test_padding_collator_with_labels_equals_transformers(hf, small_fast, hf_small_fast, labels):
    """`DataCollatorWithPadding` on features with a label (what `Trainer` fine-tuning feeds it): the label
    passes through with its dtype, the token keys are padded, as with transformers' tokenizer."""
    features = [{**dict(small_fast(t)), "labels": y} for t, y in zip(TEXTS, labels)]
    ours = hf.DataCollatorWithPadding(small_fast)([dict(f) for f in features])
    theirs = hf.DataCollatorWithPadding(hf_small_fast)([dict(f) for f in features])
    assert set(ours) == set(theirs)
    for key in theirs:
        assert ours[key].dtype == theirs[key].dtype and torch.equal(ours[key], theirs[key]), key
    single = small_fast.pad({"input_ids": [2, 5, 3], "labels": 1}, padding="max_length", max_length=5)
    assert single == hf_small_fast.pad(
        {"input_ids": [2, 5, 3], "labels": 1}, padding="max_length", max_length=5
    )
