"""Tiny ALBERT checkpoints for the documentation-example and Auto tests, built in the test session.

One SentencePiece vocabulary (at most 250 pieces, trained in about a second on the documentation's sentences)
and, per model class, a randomly initialised `transformers` model saved beside its tokenizer files, so
that the same directory feeds transformers and albert-lite. No shared data and no network needed.
"""

from __future__ import annotations

import random
import shutil
from pathlib import Path

import pytest

# The sentences of the ALBERT documentation's examples (and the multiple-choice docstring's).
DOC_SENTENCES = [
    "Plants create [MASK] through a process known as photosynthesis.",
    "Plants create energy through a process known as [MASK].",
    "In Italy, pizza served in formal settings, such as at a restaurant, is presented unsliced.",
    "It is eaten with a fork and a knife.",
    "It is eaten while held in the hand.",
]
_WORDS = str.split(
    "plants create energy through a process known as photosynthesis in italy pizza served formal settings "
    "such at restaurant is presented unsliced it eaten with fork and knife while held the hand sun light "
    "water leaves green grow food cook table eat people city paris france capital river"
)
TINY = dict(
    embedding_size=16,
    hidden_size=32,
    num_hidden_layers=2,
    num_attention_heads=4,
    intermediate_size=37,
    max_position_embeddings=128,
    hidden_act="gelu_new",
    # Wider than the default 0.02 so that the random models make confident, distinct predictions.
    initializer_range=0.2,
)
LABELS = {"id2label": {0: "negative", 1: "neutral", 2: "positive"}}


def corpus(n_lines: int = 400, seed: int = 0) -> list[str]:
    rng = random.Random(seed)
    lines = [s.replace("[MASK]", "energy") for s in DOC_SENTENCES] * 20
    lines += [" ".join(rng.choice(_WORDS) for _ in range(rng.randint(4, 12))) + "." for _ in range(n_lines)]
    return lines


def build_tokenizer_dir(path: Path) -> Path:
    """spiece.model + tokenizer_config.json + special_tokens_map.json (our trainer, ALBERT's settings)."""
    from albert.tokenizer import train_sentencepiece

    train_sentencepiece(None, path, sentences=corpus(), vocab_size=250, num_threads=1, hard_vocab_limit=False)
    return path


def build_checkpoints(root: Path, class_names: list[str]) -> dict[str, Path]:
    """class name -> directory with a `transformers.<class name>` (random, seeded) and the tokenizer."""
    transformers = pytest.importorskip("transformers", reason="transformers is the reference")
    import torch

    from albert.tokenizer import AlbertTokenizer

    tokenizer_dir = build_tokenizer_dir(root / "tokenizer")
    vocab_size = AlbertTokenizer.from_pretrained(tokenizer_dir).vocab_size
    dirs = {}
    for seed, name in enumerate(class_names):
        torch.manual_seed(seed)
        extra = LABELS if name in ("AlbertForSequenceClassification", "AlbertForTokenClassification") else {}
        config = transformers.AlbertConfig(vocab_size=vocab_size, **TINY, **extra)
        dirs[name] = root / name
        getattr(transformers, name)(config).eval().save_pretrained(dirs[name])
        for file in tokenizer_dir.iterdir():
            shutil.copy(file, dirs[name] / file.name)
    return dirs
