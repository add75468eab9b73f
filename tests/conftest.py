"""Fixtures shared by the whole suite: tiny configs and the location of the shared real data."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

pytest_plugins = ["tests.fake_hub"]  # the `fake_hub` fixture (no network in tests)

# Every model in the suite is tiny: one thread avoids thread-pool overhead that dominates such ops
# (and keeps a 2-core CI machine responsive).
torch.set_num_threads(1)

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO_ROOT.parent / "shared" / "data"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """`../shared/data` beside the repository; tests needing it skip (with the reason) when absent."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"real data not available: {SHARED_DATA} does not exist (it sits beside the repo in CI)")
    return SHARED_DATA


@pytest.fixture(autouse=True)
def _seed() -> None:
    torch.manual_seed(0)


MODEL_CLASSES = [  # every model class, by name (the same in albert and transformers)
    "AlbertModel",
    "AlbertForPreTraining",
    "AlbertForMaskedLM",
    "AlbertForSequenceClassification",
    "AlbertForMultipleChoice",
    "AlbertForTokenClassification",
    "AlbertForQuestionAnswering",
]


def tiny_kwargs(**overrides) -> dict:
    """HF tester-sized ALBERT hyperparameters (as keyword arguments valid for both libraries)."""
    kwargs = dict(
        vocab_size=99,
        embedding_size=8,
        hidden_size=16,
        num_hidden_layers=2,
        num_hidden_groups=1,
        inner_group_num=1,
        num_attention_heads=4,
        intermediate_size=20,
        max_position_embeddings=32,
        hidden_act="gelu_new",
        hidden_dropout_prob=0.0,
        attention_probs_dropout_prob=0.0,
    )
    kwargs.update(overrides)
    return kwargs
