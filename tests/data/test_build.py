"""Tests for albert.data.build: corpus → shards end to end, on synthetic text and (when present) real data."""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np
import pytest
import sentencepiece as spm

from albert.data.build import build_pretraining_shards
from albert.data.dataset import PretrainingDataset, pretraining_dataloader
from albert.data.masking import IGNORE_INDEX
from albert.data.vocab import Vocabulary, batch_encoder


def shard_bytes(directory: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(directory.glob("shard_*.npy"))}


def test_metadata_and_instances(shard_dir: Path) -> None:
    metadata = json.loads((shard_dir / "metadata.json").read_text())
    assert len(metadata["shards"]) >= 2  # shard_chars forces several pools
    assert metadata["max_seq_length"] == 64 and metadata["mask_token_id"] == 4
    zeros, ones = metadata["stats"]["label_counts"]
    assert zeros + ones == metadata["num_instances"] and 0.3 < ones / metadata["num_instances"] < 0.7
    dataset = PretrainingDataset(shard_dir)
    assert max(len(dataset[i]["input_ids"]) for i in range(len(dataset))) <= 64


def test_build_is_deterministic_and_seed_dependent(tmp_path: Path, encode, vocabulary, make_corpus) -> None:
    corpus = make_corpus(tmp_path / "corpus", num_documents=15)
    runs = {}
    for name, seed in (("a", 1), ("b", 1), ("c", 2)):
        build_pretraining_shards([corpus], encode, vocabulary, tmp_path / name, max_seq_length=32, seed=seed)
        runs[name] = shard_bytes(tmp_path / name)
    assert runs["a"] == runs["b"] and runs["a"] != runs["c"]


def test_dupe_factor_multiplies_passes(tmp_path: Path, encode, vocabulary, make_corpus) -> None:
    corpus = make_corpus(tmp_path / "corpus", num_documents=15)
    one = build_pretraining_shards(
        [corpus], encode, vocabulary, tmp_path / "one", max_seq_length=32, short_seq_prob=0
    )
    three = build_pretraining_shards(
        [corpus], encode, vocabulary, tmp_path / "three", max_seq_length=32, short_seq_prob=0, dupe_factor=3
    )
    assert 2.5 * one["num_instances"] < three["num_instances"] < 3.5 * one["num_instances"]


def test_refuses_to_overwrite_a_finished_build(tmp_path: Path, encode, vocabulary, make_corpus) -> None:
    corpus = make_corpus(tmp_path / "corpus", num_documents=5)
    build_pretraining_shards([corpus], encode, vocabulary, tmp_path / "out", max_seq_length=32)
    with pytest.raises(FileExistsError, match="overwrite"):
        build_pretraining_shards([corpus], encode, vocabulary, tmp_path / "out", max_seq_length=32)
    build_pretraining_shards(
        [corpus], encode, vocabulary, tmp_path / "out", max_seq_length=32, overwrite=True
    )


def test_mixed_formats(tmp_path: Path, encode, vocabulary, make_sentences) -> None:
    text = make_sentences(40, seed=9)
    wiki = f'<doc id="1" url="u" title="T">\nT\n\n{" ".join(text[:20])}\n</doc>\n'
    book = (
        "header\n*** START OF THE PROJECT GUTENBERG EBOOK X ***\n"
        + "\n\n".join(text[20:])
        + "\n*** END OF THE PROJECT GUTENBERG EBOOK X ***\nlicence\n"
    )
    (tmp_path / "c").mkdir()
    (tmp_path / "c" / "wiki_00").write_text(wiki, encoding="utf-8")
    (tmp_path / "c" / "book.txt").write_text(book, encoding="utf-8")
    metadata = build_pretraining_shards(
        [tmp_path / "c"], encode, vocabulary, tmp_path / "out", max_seq_length=48
    )
    assert metadata["stats"]["documents"] == 2 and metadata["stats"]["sentences"] == 40


def test_real_corpus_with_real_vocabulary(real_data: Path, tmp_path: Path) -> None:
    """A Wikipedia file and a Gutenberg book through the real 30k ALBERT vocabulary."""
    model = real_data / "spm" / "albert-30k-clean.model"
    if not model.is_file():
        pytest.skip(f"{model} not found")
    processor = spm.SentencePieceProcessor(model_file=str(model))
    vocabulary = Vocabulary.from_sentencepiece(processor)
    assert (vocabulary.cls_token_id, vocabulary.sep_token_id, vocabulary.mask_token_id) == (2, 3, 4)
    corpus = real_data / "corpus"
    sources = [
        corpus / "wikipedia_en_2015" / "AA" / "wiki_00",
        (corpus / "gutenberg" / "11-0.txt", "gutenberg"),
    ]
    encode = batch_encoder(processor)
    started = time.perf_counter()
    metadata = build_pretraining_shards(
        sources, lambda xs: encode([x.lower() for x in xs]), vocabulary, tmp_path, max_seq_length=128
    )
    assert time.perf_counter() - started < 20
    assert metadata["stats"]["documents"] == 38 + 1
    assert metadata["num_instances"] > 1000
    loader = pretraining_dataloader(tmp_path, batch_size=16, seed=0)
    batch = next(iter(loader))
    assert batch["input_ids"].shape[0] == 16 and batch["input_ids"].shape[1] <= 128
    predicted = (batch["labels"] != IGNORE_INDEX).sum(dim=1)
    lengths = batch["attention_mask"].sum(dim=1)
    expected = np.minimum(20, np.maximum(1, np.round(0.15 * lengths.numpy())))
    assert (predicted.numpy() <= expected).all() and predicted.sum() > 0.9 * expected.sum()
    first = batch["input_ids"][0][batch["attention_mask"][0].bool()].tolist()
    pieces = [processor.id_to_piece(i) for i in first]
    assert pieces[0] == "[CLS]" and pieces[-1] == "[SEP]" and pieces.count("[SEP]") == 2
    # The licence never reaches the shards.
    dataset = PretrainingDataset(tmp_path)
    text = " ".join(processor.decode(dataset[i]["input_ids"].tolist()) for i in range(len(dataset)))
    assert "gutenberg" not in text and "alice" in text
