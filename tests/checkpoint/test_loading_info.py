"""`from_pretrained(..., output_loading_info=True)`: transformers' `(model, info)` with the same lists of
missing and unexpected weights, in transformers' names, for every class loading every kind of checkpoint."""

from __future__ import annotations

import pytest

import albert
from tests.conftest import MODEL_CLASSES, tiny_kwargs

transformers = pytest.importorskip("transformers", reason="transformers is the parity reference")


@pytest.mark.parametrize("saved", ["AlbertForMaskedLM", "AlbertForPreTraining", "AlbertForQuestionAnswering"])
def test_loading_info_equals_transformers(saved, tmp_path):
    getattr(transformers, saved)(transformers.AlbertConfig(**tiny_kwargs())).save_pretrained(tmp_path)
    for name in MODEL_CLASSES:
        model, theirs = getattr(transformers, name).from_pretrained(tmp_path, output_loading_info=True)
        ours_model, ours = getattr(albert, name).from_pretrained(tmp_path, output_loading_info=True)
        assert isinstance(ours_model, getattr(albert, name))
        assert ours == {k: sorted(v) for k, v in theirs.items()}, name
    assert not isinstance(albert.AlbertModel.from_pretrained(tmp_path), tuple)
