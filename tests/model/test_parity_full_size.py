"""The slow tier (`python -m pytest -m slow`; not part of CI): parity with `transformers` at the published
ALBERT-base and ALBERT-large shapes (random weights, 128 tokens), where rounding has more layers and wider
sums to grow in than in the tiny models of the default suite."""

from __future__ import annotations

import pytest
import torch
import transformers

import albert
from albert.config import PRESETS


@pytest.mark.slow
@pytest.mark.parametrize("preset", ["albert-base-v2", "albert-large-v2"])
def test_full_size_pretraining_model_matches_transformers(preset, tmp_path):
    config = PRESETS[preset]
    reference = transformers.AlbertForPreTraining(transformers.AlbertConfig(**config.to_dict())).eval()
    reference.save_pretrained(tmp_path)
    ours = albert.AlbertForPreTraining.from_pretrained(tmp_path)
    g = torch.Generator().manual_seed(0)
    ids = torch.randint(5, config.vocab_size, (2, 128), generator=g)
    mask = torch.ones_like(ids)
    mask[1, 100:] = 0
    with torch.no_grad():
        expected = reference(input_ids=ids, attention_mask=mask)
        got = ours(input_ids=ids, attention_mask=mask)
    keep = mask.bool()
    torch.testing.assert_close(
        got.prediction_logits[keep], expected.prediction_logits[keep], atol=1e-5, rtol=1e-5
    )
    torch.testing.assert_close(got.sop_logits, expected.sop_logits, atol=1e-5, rtol=1e-5)
