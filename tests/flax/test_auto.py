"""`FlaxAutoModel...` read a checkpoint written by the torch classes and give the Flax class, with the
torch model's outputs (fp32, 1e-5)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import albert
from albert import AlbertConfig, AlbertForMaskedLM
from tests.conftest import tiny_kwargs


@pytest.fixture(scope="module")
def masked_lm_dir(tmp_path_factory):
    torch.manual_seed(0)
    path = tmp_path_factory.mktemp("flax-auto")
    AlbertForMaskedLM(AlbertConfig(**tiny_kwargs())).eval().save_pretrained(path)
    return path


def test_flax_auto_classes_build_the_flax_classes(masked_lm_dir):
    model = albert.FlaxAutoModelForMaskedLM.from_pretrained(masked_lm_dir)
    assert type(model).__name__ == "FlaxAlbertForMaskedLM"
    ids = np.array([[2, 10, 11, 12, 3]], dtype=np.int32)
    torch_model = AlbertForMaskedLM.from_pretrained(masked_lm_dir).eval()
    with torch.no_grad():
        expected = torch_model(input_ids=torch.tensor(ids, dtype=torch.long)).logits.numpy()
    np.testing.assert_allclose(np.asarray(model(ids).logits), expected, atol=1e-5, rtol=0)
    bare = albert.FlaxAutoModel.from_pretrained(masked_lm_dir)
    assert type(bare).__name__ == "FlaxAlbertModel"


def test_flax_auto_from_config_and_non_albert_refusal(masked_lm_dir, tmp_path):
    model = albert.FlaxAutoModelForSequenceClassification.from_config(AlbertConfig(**tiny_kwargs()))
    assert type(model).__name__ == "FlaxAlbertForSequenceClassification"
    (tmp_path / "config.json").write_text('{"model_type": "bert"}')
    with pytest.raises(ValueError, match="model_type 'bert'"):
        albert.FlaxAutoModel.from_pretrained(tmp_path)
