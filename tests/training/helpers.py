"""A tiny stand-in model and dataset for the training tests (also imported by the DDP worker script)."""

from __future__ import annotations

from types import SimpleNamespace

import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.data import Dataset

VOCAB = 16
SEQ = 6


class TinyModel(nn.Module):
    """Embedding -> LayerNorm -> one Linear applied twice (ALBERT-style sharing) -> vocab head."""

    def __init__(self, dim: int = 16, dropout: float = 0.0) -> None:
        super().__init__()
        self.embed = nn.Embedding(VOCAB, dim)
        self.norm = nn.LayerNorm(dim)
        self.shared = nn.Linear(dim, dim)
        self.drop = nn.Dropout(dropout)
        self.head = nn.Linear(dim, VOCAB)

    def forward(
        self, input_ids: torch.Tensor, labels: torch.Tensor | None = None, **_: object
    ) -> SimpleNamespace:
        h = self.norm(self.embed(input_ids))
        for _ in range(2):
            h = h + self.drop(torch.tanh(self.shared(h)))
        logits = self.head(h)
        # Fixed-length rows: the token mean is the mean of per-example means, so accumulation and DDP
        # averages equal the big-batch loss exactly.
        loss = None if labels is None else F.cross_entropy(logits.flatten(0, 1), labels.flatten())
        return SimpleNamespace(loss=loss, logits=logits)


class ShiftDataset(Dataset):
    """`n` rows of random ids whose labels are the ids shifted by one (learnable, so loss can fall)."""

    def __init__(self, n: int, seed: int = 0) -> None:
        g = torch.Generator().manual_seed(seed)
        self.ids = torch.randint(0, VOCAB, (n, SEQ), generator=g)

    def __len__(self) -> int:
        return len(self.ids)

    def __getitem__(self, i: int) -> dict[str, torch.Tensor]:
        ids = self.ids[i]
        return {"input_ids": ids, "attention_mask": torch.ones_like(ids), "labels": (ids + 1) % VOCAB}


def make_model(seed: int = 0, **kwargs: object) -> TinyModel:
    torch.manual_seed(seed)
    return TinyModel(**kwargs)


def train_losses(history: list[dict]) -> dict[int, float]:
    return {r["step"]: r["loss"] for r in history if r["split"] == "train"}
