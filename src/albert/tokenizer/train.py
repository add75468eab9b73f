"""Train a new SentencePiece vocabulary with ALBERT's settings and id layout (contract §6.9).

ALBERT's `30k-clean.model` was trained as a unigram model with `<pad>`=0, `<unk>`=1, no BOS/EOS, control
symbols [CLS] [SEP] [MASK] (ids 2-4), user-defined symbols ( ) " - . – £ € (ids 5-12),
character_coverage 0.99995 and the nmt_nfkc normaliser. The training text goes through the same ALBERT
preprocessing as encoding does (lowercase, accents, quotes, whitespace), so that the vocabulary is
learned on what the tokenizer will feed SentencePiece.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

import sentencepiece as spm

from albert.tokenizer.fast import AlbertTokenizerFast
from albert.tokenizer.normalize import lowercase_chars, preprocess_text

logger = logging.getLogger(__name__)

ALBERT_USER_DEFINED_SYMBOLS = ("(", ")", '"', "-", ".", "–", "£", "€")
ALBERT_CONTROL_SYMBOLS = ("[CLS]", "[SEP]", "[MASK]")


class VocabularyTrainingError(ValueError):
    """SentencePiece refused to train, in our words: `no_text` (nothing left to learn from), or `vocab_size`
    above `max_vocab_size`, what the text can give."""

    def __init__(self, message: str, *, no_text: bool = False, max_vocab_size: int | None = None) -> None:
        super().__init__(message)
        self.no_text, self.max_vocab_size = no_text, max_vocab_size

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
        return cls(f"SentencePiece training failed: {message.strip()}")


def _lines(files: Sequence[Path]) -> Iterator[str]:
    for path in files:
        with open(path, encoding="utf-8", errors="replace") as f:
            for line in f:
                yield line.lstrip("\ufeff")


# Over 80 lines only by its documentation (one Args line per SentencePiece option); the body is ~65 lines.
def train_sentencepiece(
    files: str | os.PathLike | Sequence[str | os.PathLike] | None,
    output_dir: str | os.PathLike,
    *,
    vocab_size: int = 30000,
    sentences: Iterable[str] | None = None,
    do_lower_case: bool = True,
    keep_accents: bool = False,
    remove_space: bool = True,
    character_coverage: float = 0.99995,
    input_sentence_size: int = 0,
    shuffle_input_sentence: bool = True,
    max_sentence_length: int = 4192,
    max_sentencepiece_length: int = 16,
    user_defined_symbols: Sequence[str] = ALBERT_USER_DEFINED_SYMBOLS,
    control_symbols: Sequence[str] = ALBERT_CONTROL_SYMBOLS,
    num_threads: int | None = None,
    write_tokenizer_files: bool = True,
    verbose: bool = False,
    **spm_options: Any,
) -> Path:
    """Train an ALBERT-layout unigram SentencePiece model on text files (one sentence/paragraph a line).

    Args:
        files: text file(s); blank lines are skipped. Or None, with `sentences`.
        output_dir: directory for `spiece.model` (+ `spiece.vocab`), created if needed. With
            `write_tokenizer_files` it also gets tokenizer_config.json etc., so that
            `AlbertTokenizer.from_pretrained(output_dir)` works.
        vocab_size: number of pieces, including the 5 special and 8 user-defined ones.
        sentences: an iterable of texts, used in addition to (or instead of) `files`.
        do_lower_case, keep_accents, remove_space: the preprocessing applied to the training text; they
            are saved in tokenizer_config.json, so encoding later uses the same.
        input_sentence_size: if > 0, train on at most this many lines (sampled when
            `shuffle_input_sentence`), for big corpora.
        max_sentence_length: longer lines (in bytes) are skipped by SentencePiece.
        spm_options: any other `SentencePieceTrainer` option (e.g. `seed_sentencepiece_size`).

    Returns:
        The path of the trained `spiece.model`.
    """
    if files is None:
        paths: list[Path] = []
    elif isinstance(files, (str, os.PathLike)):
        paths = [Path(files)]
    else:
        paths = [Path(f) for f in files]
    for path in paths:
        if not path.is_file():
            raise FileNotFoundError(f"training file not found: {path}")
    if not paths and sentences is None:
        raise ValueError("train_sentencepiece needs files or sentences")
    if vocab_size <= 5 + len(user_defined_symbols):
        raise ValueError(f"vocab_size={vocab_size} leaves no room for learned pieces")
    out = Path(output_dir)
    out.mkdir(parents=True, exist_ok=True)

    def texts() -> Iterator[str]:
        sources: list[Iterable[str]] = [_lines(paths)] if paths else []
        if sentences is not None:
            sources.append(sentences)
        for source in sources:
            for line in source:
                if do_lower_case:
                    line = lowercase_chars(line)
                line = preprocess_text(line, remove_space=remove_space, keep_accents=keep_accents,
                                       do_lower_case=do_lower_case)  # fmt: skip
                if line.strip():
                    yield line

    options: dict[str, Any] = {
        "model_prefix": str(out / "spiece"),
        "model_type": "unigram",
        "vocab_size": vocab_size,
        "pad_id": 0,
        "unk_id": 1,
        "bos_id": -1,
        "eos_id": -1,
        "control_symbols": list(control_symbols),
        "user_defined_symbols": list(user_defined_symbols),
        "character_coverage": character_coverage,
        "normalization_rule_name": "nmt_nfkc",
        "input_sentence_size": input_sentence_size,
        "shuffle_input_sentence": shuffle_input_sentence,
        "max_sentence_length": max_sentence_length,
        "max_sentencepiece_length": max_sentencepiece_length,
        "num_threads": num_threads or min(os.cpu_count() or 1, 16),
        "minloglevel": 0 if verbose else 2,  # SentencePiece's own INFO lines on fd 2, unless verbose
        **spm_options,
    }
    logger.info("training a %d-piece SentencePiece model into %s", vocab_size, out)
    with open(os.devnull, "w") as devnull:
        try:
            spm.SentencePieceTrainer.train(
                sentence_iterator=texts(), logstream=None if verbose else devnull, **options
            )
        except RuntimeError as e:
            raise VocabularyTrainingError.from_sentencepiece(str(e), vocab_size) from None
    model_path = out / "spiece.model"
    if write_tokenizer_files:  # the fast tokenizer writes the same files as the slow one, which imports us
        tok = AlbertTokenizerFast(
            vocab_file=model_path,
            do_lower_case=do_lower_case,
            keep_accents=keep_accents,
            remove_space=remove_space,
        )
        tok.save_pretrained(out)
    return model_path
