"""The model attributes and helpers code written for transformers reads (counting, FLOPs for its Trainer,
the base model, the head names), equal to transformers' on the same checkpoint."""

from __future__ import annotations

import pytest
import torch

import albert
from tests.conftest import MODEL_CLASSES, tiny_kwargs

transformers = pytest.importorskip("transformers", reason="transformers is the parity reference")


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory):
    path = tmp_path_factory.mktemp("pretraining")
    config = transformers.AlbertConfig(**tiny_kwargs(num_hidden_layers=3, num_hidden_groups=3))
    transformers.AlbertForPreTraining(config).save_pretrained(path)
    return path


@pytest.mark.parametrize("name", MODEL_CLASSES)
def test_counts_and_flops_equal_transformers(checkpoint, name):
    theirs = getattr(transformers, name).from_pretrained(checkpoint)
    ours = getattr(albert, name).from_pretrained(checkpoint)
    for kwargs in ({}, {"exclude_embeddings": True}, {"only_trainable": True}):
        assert ours.num_parameters(**kwargs) == theirs.num_parameters(**kwargs), kwargs
    ours.get_input_embeddings().weight.requires_grad_(False)
    theirs.get_input_embeddings().weight.requires_grad_(False)
    assert ours.num_parameters(only_trainable=True) == theirs.num_parameters(only_trainable=True)
    batch = {"input_ids": torch.ones(3, 7, dtype=torch.long)}
    assert ours.floating_point_ops(batch) == theirs.floating_point_ops(batch)
    assert ours.estimate_tokens(batch) == theirs.estimate_tokens(batch) == 21
    assert ours.base_model is (ours if name == "AlbertModel" else ours.albert)
    assert ours.name_or_path == str(checkpoint) == theirs.name_or_path
    assert (ours.get_output_embeddings() is None) == (theirs.get_output_embeddings() is None)
    assert torch.equal(ours.dummy_inputs["input_ids"], theirs.dummy_inputs["input_ids"])
    assert ours.config_class is albert.AlbertConfig and ours.supports_gradient_checkpointing
    assert not ours.is_gradient_checkpointing
    ours.gradient_checkpointing_enable()
    assert ours.is_gradient_checkpointing


def test_head_names_of_transformers(checkpoint):
    pretraining = albert.AlbertForPreTraining.from_pretrained(checkpoint)
    assert (
        pretraining.predictions is pretraining.mlm_head and pretraining.sop_classifier is pretraining.sop_head
    )
    mlm = albert.AlbertForMaskedLM.from_pretrained(checkpoint)
    assert mlm.predictions.decoder is mlm.get_output_embeddings()


def test_mask_helpers_equal_transformers(checkpoint):
    """get_extended_attention_mask / invert_attention_mask / get_head_mask, which code running the layers
    itself calls, give transformers' tensors (2-D and 3-D masks, dtypes, head masks)."""
    theirs = transformers.AlbertModel.from_pretrained(checkpoint)
    ours = albert.AlbertModel.from_pretrained(checkpoint)
    masks = [
        torch.tensor([[1, 1, 0], [1, 0, 0]]),
        torch.tensor([[1.0, 0.5, 0.0]]),
        torch.ones(2, 3, 3).tril(),
    ]
    for mask in masks:
        for dtype in (None, torch.float16, torch.bfloat16):
            got = ours.get_extended_attention_mask(mask, mask.shape[:2], dtype=dtype)
            want = theirs.get_extended_attention_mask(mask, mask.shape[:2], dtype=dtype)
            assert got.dtype == want.dtype and torch.equal(got, want)
        assert torch.equal(ours.invert_attention_mask(mask), theirs.invert_attention_mask(mask))
    for head_mask in (torch.tensor([1.0, 0.0, 1.0, 1.0]), torch.rand(3, 4)):
        for chunked in (False, True):
            assert torch.equal(
                ours.get_head_mask(head_mask, 3, chunked), theirs.get_head_mask(head_mask, 3, chunked)
            )
    assert ours.get_head_mask(None, 3) == theirs.get_head_mask(None, 3) == [None] * 3
    with pytest.raises(ValueError, match=r"attention_mask must be \(batch, tokens\)"):
        ours.get_extended_attention_mask(torch.ones(3))
