"""Fixtures shared by the whole suite: tiny configs and the location of the shared real data."""

from __future__ import annotations

from pathlib import Path

import numpy as np
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


def flat_multiple_choice_case(directory: Path, config) -> tuple[dict, np.ndarray]:
    """Our torch AlbertForMultipleChoice (random weights) saved to `directory`, NumPy inputs in the shapes
    transformers' flattening to (-1, T) also takes (a (B*C, T) mask, a (1, T) row of position ids), and
    the torch logits (B, C) for them: what the Flax and TF classes must reproduce."""
    import albert

    model = albert.AlbertForMultipleChoice(config).eval()
    model.save_pretrained(directory)
    mask = np.ones((6, 6), np.int64)  # B*C = 2 * 3 rows
    mask[0, -2:] = 0
    inputs = dict(
        input_ids=np.random.default_rng(3).integers(5, 99, (2, 3, 6)),
        attention_mask=mask,
        position_ids=np.arange(1, 7)[None],
    )
    with torch.no_grad():
        logits = model(**{k: torch.as_tensor(v) for k, v in inputs.items()}).logits
    return inputs, logits.numpy()
