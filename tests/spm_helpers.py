"""A tiny SentencePiece model with ALBERT's id layout, trained in memory (shared by the test packages)."""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence

import sentencepiece as spm


def train_tiny_spm(sentences: Iterable[str], vocab_size: int, user_defined_symbols: Sequence[str]) -> bytes:
    """A serialized unigram model: pad 0, unk 1, [CLS] 2, [SEP] 3, [MASK] 4, no BOS/EOS.

    The text is used as given (no lower-casing), unlike `albert.tokenizer.train_sentencepiece`, so that
    tests control exactly which pieces exist. `hard_vocab_limit=False` lets tiny corpora fall short of
    `vocab_size`."""
    model = io.BytesIO()
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter(sentences),
        model_writer=model,
        model_type="unigram",
        vocab_size=vocab_size,
        hard_vocab_limit=False,
        pad_id=0,
        unk_id=1,
        bos_id=-1,
        eos_id=-1,
        control_symbols=["[CLS]", "[SEP]", "[MASK]"],
        user_defined_symbols=list(user_defined_symbols),
        minloglevel=2,
    )
    return model.getvalue()
