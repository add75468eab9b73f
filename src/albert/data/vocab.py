"""What the data pipeline needs to know about a tokenizer: its pieces, special ids and a batch encoder.

Nothing here imports `albert.tokenizer`: any object with the Hugging Face tokenizer API, or a raw
`sentencepiece.SentencePieceProcessor`, can be adapted, so the pipeline works with any ALBERT-style vocabulary.
"""

from __future__ import annotations

import string
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

# A batch encoder maps sentences to token ids without special tokens. Batched so that SentencePiece can
# use its own threads.
BatchEncoder = Callable[[list[str]], list[list[int]]]

# The original's punctuation: ASCII punctuation except ' < = > (a piece such as "s'" or "'s" is its own word
# there; "<" only counts at the start of a piece).
_PUNCTUATION = frozenset(string.punctuation) - frozenset("'<=>")
_CONTINUATION_CHARS = frozenset(string.ascii_lowercase) | _PUNCTUATION


def is_word_start_piece(piece: str) -> bool:
    """The original recipe's whole-word rule (recipe §2.2 "Masking", step 1) for SentencePiece pieces.

    A piece starts a new word if it begins with "▁" or "<", is a single punctuation character, or has any
    character outside a–z (case-insensitive) and the original's punctuation (`_PUNCTUATION`), so that
    digits and non-English pieces always form their own unit. Every other piece continues the previous word.
    """
    if not piece or piece.startswith(("▁", "<")) or piece in _PUNCTUATION:
        return True
    return any(ch.lower() not in _CONTINUATION_CHARS for ch in piece)


@dataclass(frozen=True)
class Vocabulary:
    """Pieces (index = id) and the special ids of an ALBERT-style vocabulary."""

    pieces: tuple[str, ...]
    cls_token_id: int
    sep_token_id: int
    mask_token_id: int
    pad_token_id: int

    def __post_init__(self) -> None:
        for name in ("cls_token_id", "sep_token_id", "mask_token_id", "pad_token_id"):
            value = getattr(self, name)
            if not 0 <= value < len(self.pieces):
                raise ValueError(f"{name}={value} is outside the vocabulary of {len(self.pieces)} pieces")

    @property
    def vocab_size(self) -> int:
        return len(self.pieces)

    @property
    def special_ids(self) -> tuple[int, ...]:
        """Ids that are never chosen for masking: [CLS], [SEP], [MASK] and padding."""
        return (self.cls_token_id, self.sep_token_id, self.mask_token_id, self.pad_token_id)

    def word_start_table(self) -> np.ndarray:
        """(V,) bool: whether each piece starts a word (see `is_word_start_piece`)."""
        return np.fromiter((is_word_start_piece(p) for p in self.pieces), dtype=bool, count=len(self.pieces))

    @classmethod
    def from_tokenizer(cls, tokenizer: Any) -> Vocabulary:
        """Adapt an object with the Hugging Face tokenizer API (`albert.tokenizer.AlbertTokenizer`, or
        `transformers.AlbertTokenizer`): `vocab_size`, `convert_ids_to_tokens` and `*_token_id`."""
        pieces = tuple(tokenizer.convert_ids_to_tokens(list(range(tokenizer.vocab_size))))
        return cls(
            pieces=pieces,
            cls_token_id=tokenizer.cls_token_id,
            sep_token_id=tokenizer.sep_token_id,
            mask_token_id=tokenizer.mask_token_id,
            pad_token_id=tokenizer.pad_token_id,
        )

    @classmethod
    def from_sentencepiece(cls, processor: Any) -> Vocabulary:
        """Adapt a `sentencepiece.SentencePieceProcessor` trained with ALBERT's control symbols."""
        pieces = tuple(processor.id_to_piece(i) for i in range(processor.get_piece_size()))
        ids = {piece: i for i, piece in enumerate(pieces)}
        missing = [p for p in ("[CLS]", "[SEP]", "[MASK]") if p not in ids]
        if missing or processor.pad_id() < 0:
            raise ValueError(f"SentencePiece model lacks ALBERT's special pieces {missing or ['<pad>']}")
        return cls(
            pieces=pieces,
            cls_token_id=ids["[CLS]"],
            sep_token_id=ids["[SEP]"],
            mask_token_id=ids["[MASK]"],
            pad_token_id=processor.pad_id(),
        )


def batch_encoder(tokenizer: Any) -> BatchEncoder:
    """A `BatchEncoder` for a tokenizer object.

    A `SentencePieceProcessor` encodes the whole batch in C++ (no normalisation beyond its own model's);
    anything else is called as `tokenizer.encode(text, add_special_tokens=False, split_special_tokens=True)`
    sentence by sentence, which keeps the tokenizer's own normalisation (ALBERT lowercases and strips
    accents) and reads "[SEP]" in the text as text, not as a control id inside a segment.
    """
    if hasattr(tokenizer, "encode_as_ids") and hasattr(tokenizer, "get_piece_size"):
        return lambda texts: tokenizer.encode(texts)

    def encode(texts: Sequence[str]) -> list[list[int]]:
        return [tokenizer.encode(text, add_special_tokens=False, split_special_tokens=True) for text in texts]

    return encode
