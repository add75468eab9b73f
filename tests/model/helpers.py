"""Inputs and model pairs shared by the fast-path and padding-removal tests."""

from __future__ import annotations

import copy

import torch

import albert
from albert.config import AlbertConfig
from tests.conftest import tiny_kwargs


def padded_inputs(batch: int = 4, seq: int = 9, vocab: int = 99, left: bool = True) -> dict:
    """Right padding, a hole, and (with `left`) left padding, whose pooled [CLS] vector differs."""
    g = torch.Generator().manual_seed(3)
    ids = torch.randint(5, vocab, (batch, seq), generator=g)
    mask = torch.ones(batch, seq, dtype=torch.long)
    mask[0, -4:] = 0  # right padding
    if left:
        mask[1, :2] = 0  # left padding
    mask[2, 3] = 0  # a hole
    types = torch.randint(0, 2, (batch, seq), generator=g)
    return dict(input_ids=ids, attention_mask=mask, token_type_ids=types)


def pair(cls: str = "AlbertModel", **overrides) -> tuple[torch.nn.Module, torch.nn.Module]:
    """(reference, fast) models with the same weights."""
    ref = getattr(albert, cls)(AlbertConfig(**tiny_kwargs(**overrides))).eval().disable_fast_paths()
    fast = copy.deepcopy(ref).enable_fast_paths()
    return ref, fast
