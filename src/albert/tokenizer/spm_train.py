"""SentencePiece unigram training with ALBERT's settings and id layout (contract §6.9), from texts.

ALBERT's `30k-clean.model` was trained as a unigram model with `<pad>`=0, `<unk>`=1, no BOS/EOS, control
symbols [CLS] [SEP] [MASK] (ids 2-4), user-defined symbols ( ) " - . – £ € (ids 5-12),
character_coverage 0.99995 and the nmt_nfkc normaliser. The training text goes through the same ALBERT
preprocessing as encoding does (lowercase, accents, quotes, whitespace), so that the vocabulary is
learned on what the tokenizer will feed SentencePiece. `train.py` (files -> a tokenizer directory) and
`AlbertTokenizerFast.train_new_from_iterator` both train through `train_unigram`.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import sentencepiece as spm

from albert.tokenizer.normalize import lowercase_chars, preprocess_text

logger = logging.getLogger(__name__)

ALBERT_USER_DEFINED_SYMBOLS = ("(", ")", '"', "-", ".", "–", "£", "€")
ALBERT_CONTROL_SYMBOLS = ("[CLS]", "[SEP]", "[MASK]")


class VocabularyTrainingError(ValueError):
    """SentencePiece refused to train, in our words: `no_text` (nothing left to learn from), `vocab_size`
    above `max_vocab_size` (what the text can give) or below `min_vocab_size` (what its characters need)."""

    def __init__(
        self,
        message: str,
        *,
        no_text: bool = False,
        max_vocab_size: int | None = None,
        min_vocab_size: int | None = None,
    ) -> None:
        super().__init__(message)
        self.no_text, self.max_vocab_size, self.min_vocab_size = no_text, max_vocab_size, min_vocab_size

    @classmethod
    def from_sentencepiece(cls, message: str, vocab_size: int) -> VocabularyTrainingError:
        if "sentences_.empty()" in message:
            return cls("SentencePiece training failed: the training text is empty", no_text=True)
        limit = re.search(r"Vocabulary size too high \(\d+\)\. Please set it to a value <= (\d+)", message)
        if limit:
            most = int(limit.group(1))
            return cls(
                f"SentencePiece training failed: vocab_size={vocab_size} is more pieces than the training "
                f"text allows (at most {most}); lower vocab_size or train on more text",
                max_vocab_size=most,
            )
        need = re.search(r"Vocabulary size is smaller than required_chars\. \d+ vs (\d+)", message)
        if need:  # (SentencePiece's advice names its own --character_coverage flag)
            least = int(need.group(1))
            return cls(
                f"SentencePiece training failed: vocab_size={vocab_size} is fewer pieces than the training "
                f"text's characters and the special pieces need (at least {least}); raise vocab_size",
                min_vocab_size=least,
            )
        return cls(f"SentencePiece training failed: {message.strip()}")


def flatten_batches(texts: Any) -> Iterator[str]:
    """Texts from an iterable of texts or of batches (lists or tuples) of texts; anything else is an error
    naming what was found."""
    if isinstance(texts, str):
        raise TypeError(
            "expected an iterable of texts (or of batches of texts), got one string; wrap it in a list"
        )
    for item in texts:
        if isinstance(item, str):
            yield item
        elif isinstance(item, (list, tuple)) and all(isinstance(t, str) for t in item):
            yield from item
        else:
            raise TypeError(
                f"expected texts or batches (lists) of texts, got an item of type {type(item).__name__}"
            )


def train_unigram(
    texts: Iterable[str],
    out: Path,
    *,
    vocab_size: int,
    do_lower_case: bool = True,
    keep_accents: bool = False,
    remove_space: bool = True,
    user_defined_symbols: Iterable[str] = ALBERT_USER_DEFINED_SYMBOLS,
    control_symbols: Iterable[str] = ALBERT_CONTROL_SYMBOLS,
    num_threads: int | None = None,
    verbose: bool = False,
    **spm_options: Any,
) -> Path:
    """Train `out/spiece.model` on `texts` (ALBERT-preprocessed here; blank ones skipped). `spm_options`:
    any other `SentencePieceTrainer` option (`pad_piece`, `character_coverage`, ...). Returns its path."""
    user_defined_symbols, control_symbols = list(user_defined_symbols), list(control_symbols)
    if vocab_size <= 2 + len(control_symbols) + len(user_defined_symbols):
        raise ValueError(f"vocab_size={vocab_size} leaves no room for learned pieces")
    out.mkdir(parents=True, exist_ok=True)

    failure: list[Exception] = []  # an error of the caller's iterator, which SentencePiece would reword

    def prepared() -> Iterator[str]:
        try:
            for line in texts:
                if do_lower_case:
                    line = lowercase_chars(line)
                line = preprocess_text(line, remove_space=remove_space, keep_accents=keep_accents,
                                       do_lower_case=do_lower_case)  # fmt: skip
                if line.strip():
                    yield line
        except Exception as e:
            failure.append(e)
            raise

    options: dict[str, Any] = {
        "model_prefix": str(out / "spiece"),
        "model_type": "unigram",
        "vocab_size": vocab_size,
        "pad_id": 0,
        "unk_id": 1,
        "bos_id": -1,
        "eos_id": -1,
        "control_symbols": control_symbols,
        "user_defined_symbols": user_defined_symbols,
        "character_coverage": 0.99995,
        "normalization_rule_name": "nmt_nfkc",
        "num_threads": num_threads or min(os.cpu_count() or 1, 16),
        "minloglevel": 0 if verbose else 2,  # SentencePiece's own INFO lines on fd 2, unless verbose
        **spm_options,
    }
    logger.info("training a %d-piece SentencePiece model into %s", vocab_size, out)
    with open(os.devnull, "w") as devnull:
        try:
            spm.SentencePieceTrainer.train(
                sentence_iterator=prepared(), logstream=None if verbose else devnull, **options
            )
        except RuntimeError as e:
            if failure:
                raise failure[0] from None
            raise VocabularyTrainingError.from_sentencepiece(str(e), vocab_size) from None
    return out / "spiece.model"
