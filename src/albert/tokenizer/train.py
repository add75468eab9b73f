"""Train a new SentencePiece vocabulary with ALBERT's settings and id layout (contract §6.9) from text
files, into a directory that loads as a tokenizer. The training itself is `spm_train.train_unigram`.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

from albert.tokenizer.fast import AlbertTokenizerFast
from albert.tokenizer.spm_train import (  # noqa: F401 (re-exported: their home before spm_train.py)
    ALBERT_CONTROL_SYMBOLS,
    ALBERT_USER_DEFINED_SYMBOLS,
    VocabularyTrainingError,
    train_unigram,
)


def _lines(files: Sequence[Path]) -> Iterator[str]:
    for path in files:
        with open(path, encoding="utf-8", errors="replace") as f:
            for line in f:
                yield line.lstrip("\ufeff")


# Over 80 lines only by its documentation (one Args line per SentencePiece option); the body is ~45 lines.
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

    def texts() -> Iterator[str]:
        sources: list[Iterable[str]] = [_lines(paths)] if paths else []
        if sentences is not None:
            sources.append(sentences)
        for source in sources:
            yield from source

    model_path = train_unigram(
        texts(),
        out,
        vocab_size=vocab_size,
        do_lower_case=do_lower_case,
        keep_accents=keep_accents,
        remove_space=remove_space,
        user_defined_symbols=user_defined_symbols,
        control_symbols=control_symbols,
        num_threads=num_threads,
        verbose=verbose,
        character_coverage=character_coverage,
        input_sentence_size=input_sentence_size,
        shuffle_input_sentence=shuffle_input_sentence,
        max_sentence_length=max_sentence_length,
        max_sentencepiece_length=max_sentencepiece_length,
        **spm_options,
    )
    if write_tokenizer_files:  # the fast tokenizer writes the same files as the slow one, which imports us
        tok = AlbertTokenizerFast(
            vocab_file=model_path,
            do_lower_case=do_lower_case,
            keep_accents=keep_accents,
            remove_space=remove_space,
        )
        tok.save_pretrained(out)
    return model_path
