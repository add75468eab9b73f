"""Tests for albert.data.dedup_build: exact paragraph de-duplication, held-out split, resumable parts."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from albert.data import dedup_build as db
from albert.data.dataset import PretrainingDataset


def _corpus(directory: Path, make_sentences, files: int = 4, repeat_first: bool = True) -> Path:
    """`files` one-sentence-per-line files of 6 documents; with `repeat_first` the last file copies the first."""
    directory.mkdir(parents=True, exist_ok=True)
    sentences = iter(make_sentences(files * 6 * 8, seed=5))
    texts = [
        "\n\n".join("\n".join(next(sentences) for _ in range(8)) for _ in range(6)) for _ in range(files)
    ]
    if repeat_first:
        texts[-1] = texts[0]
    for i, text in enumerate(texts):
        (directory / f"part_{i}.txt").write_text(text + "\n", encoding="utf-8")
    return directory


def _build(root: Path, corpus: Path, encode, vocabulary, **kw) -> dict:
    files = sorted(corpus.glob("*.txt"))
    return db.build_deduplicated_shards(
        files[:-1],
        files[-1:],
        encode,
        vocabulary,
        root,
        max_seq_length=48,
        part_bytes=1,
        min_dedup_chars=10,
        **kw,
    )


def test_dedup_document_keeps_first_occurrences_and_short_lines() -> None:
    seen: set[int] = set()
    new: list[int] = []
    kept, dropped, chars = db.dedup_document(["a long paragraph here", "Yes.", "a  long paragraph here", "Yes."],
                                             seen, 10, new)  # fmt: skip
    assert kept == ["a long paragraph here", "Yes.", "Yes."] and (dropped, chars) == (1, 22) and len(new) == 1


def test_held_out_split_drops_what_training_saw(tmp_path: Path, encode, vocabulary, make_sentences) -> None:
    corpus = _corpus(tmp_path / "c", make_sentences)
    built = _build(tmp_path / "out", corpus, encode, vocabulary)
    assert built["train"]["num_instances"] > 0 and built["train"]["stats"]["paragraphs_dropped"] == 0
    # The held-out file is a copy of the first training file: every paragraph of it is a duplicate.
    assert built["eval"]["stats"]["paragraphs_dropped"] == 48 and built["eval"]["num_instances"] == 0
    assert len(PretrainingDataset(tmp_path / "out" / "train")) == built["train"]["num_instances"]


def test_killed_build_resumes_with_identical_output(
    tmp_path: Path, encode, vocabulary, make_sentences, monkeypatch: pytest.MonkeyPatch
) -> None:
    corpus = _corpus(tmp_path / "c", make_sentences, files=5, repeat_first=False)
    _build(tmp_path / "whole", corpus, encode, vocabulary)
    real, calls = db._build_part, []

    def dies_on_third(*args, **kwargs):
        calls.append(args[1])
        if len(calls) == 3:
            raise KeyboardInterrupt
        return real(*args, **kwargs)

    monkeypatch.setattr(db, "_build_part", dies_on_third)
    with pytest.raises(KeyboardInterrupt):
        _build(tmp_path / "resumed", corpus, encode, vocabulary)
    manifest = json.loads((tmp_path / "resumed" / "train" / db.MANIFEST_FILE).read_text())
    assert len(manifest["done"]) == 2 and not (tmp_path / "resumed" / "train" / "metadata.json").exists()
    monkeypatch.setattr(db, "_build_part", real)
    calls.clear()
    _build(tmp_path / "resumed", corpus, encode, vocabulary)
    for split in ("train", "eval"):
        a, b = tmp_path / "whole" / split, tmp_path / "resumed" / split
        assert json.loads((a / "metadata.json").read_text()) == json.loads((b / "metadata.json").read_text())
        for f in a.glob("*.npy"):
            assert np.array_equal(np.load(f), np.load(b / f.name)), f.name


def test_other_settings_refuse_to_mix(tmp_path: Path, encode, vocabulary, make_sentences) -> None:
    corpus = _corpus(tmp_path / "c", make_sentences)
    _build(tmp_path / "out", corpus, encode, vocabulary)
    with pytest.raises(ValueError, match="delete"):
        _build(tmp_path / "out", corpus, encode, vocabulary, seed=7)
