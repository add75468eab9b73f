"""`TFAutoModel...` read a checkpoint written by the torch classes and give the TensorFlow class, with the
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
    path = tmp_path_factory.mktemp("tf-auto")
    AlbertForMaskedLM(AlbertConfig(**tiny_kwargs())).eval().save_pretrained(path)
    return path


def test_flax_auto_classes_build_the_flax_classes(masked_lm_dir):
    model = albert.TFAutoModelForMaskedLM.from_pretrained(masked_lm_dir)
    assert type(model).__name__ == "TFAlbertForMaskedLM"
    ids = np.array([[2, 10, 11, 12, 3]], dtype=np.int32)
    torch_model = AlbertForMaskedLM.from_pretrained(masked_lm_dir).eval()
    with torch.no_grad():
        expected = torch_model(input_ids=torch.tensor(ids, dtype=torch.long)).logits.numpy()
    np.testing.assert_allclose(model(ids).logits.numpy(), expected, atol=1e-5, rtol=0)
    bare = albert.TFAutoModel.from_pretrained(masked_lm_dir)
    assert type(bare).__name__ == "TFAlbertModel"


def test_flax_auto_from_config_and_non_albert_refusal(masked_lm_dir, tmp_path):
    model = albert.TFAutoModelForSequenceClassification.from_config(AlbertConfig(**tiny_kwargs()))
    assert type(model).__name__ == "TFAlbertForSequenceClassification"
    (tmp_path / "config.json").write_text('{"model_type": "bert"}')
    with pytest.raises(ValueError, match="model_type 'bert'"):
        albert.TFAutoModel.from_pretrained(tmp_path)
