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
