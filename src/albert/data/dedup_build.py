"""A resumable, de-duplicated build of training and held-out shards from a whole corpus.

`build_pretraining_shards` builds one shard directory in one go. For a corpus that takes many minutes to
tokenise, `build_deduplicated_shards` cuts the work into *parts* (consecutive files of about `part_bytes`
bytes each), writes each part's shard as soon as it is done and records it in `manifest.json`; a rerun
after a crash or a kill skips the parts already recorded. When all parts are done it writes the usual
`metadata.json`, so the result is an ordinary shard directory (`PretrainingDataset`, `albert pretrain`).

De-duplication is exact, on paragraphs: the first occurrence of a paragraph (whitespace collapsed, at least
`min_dedup_chars` characters; shorter lines such as "Yes." or "CHAPTER I." are ordinary repetition) in
corpus order is kept, later copies are dropped. The held-out split is de-duplicated against the whole
training split as well, so no held-out paragraph was trained on. The hashes of the paragraphs each part
kept are saved beside its shard (`part_XXXXX.hashes.npy`), which is all a resumed build needs to know.

Layout of `output_dir`:

    train/  manifest.json, shard_XXXXX.{tokens,index}.npy, part_XXXXX.hashes.npy, then metadata.json
    eval/   the same for the held-out files
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from albert.data.build import pool_instances, tokenize_documents, write_shard_metadata
from albert.data.corpus import (
    CorpusFormat,
    CorpusSource,
    Document,
    corpus_files,
    document_sentences,
    read_documents,
)
from albert.data.sentence_order import SWAPPED
from albert.data.shards import (
    save_array_atomic,
    write_json_atomic,
    write_shard,
)
from albert.data.vocab import BatchEncoder, Vocabulary

logger = logging.getLogger(__name__)

MANIFEST_FILE = "manifest.json"
FileList = list[tuple[Path, CorpusFormat]]


def paragraph_hash(paragraph: str) -> int:
    """64-bit hash of a paragraph with its whitespace collapsed (stable across runs and machines)."""
    digest = hashlib.blake2b(" ".join(paragraph.split()).encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "little", signed=True)


def dedup_document(
    document: Document, seen: set[int], min_chars: int, new_hashes: list[int]
) -> tuple[Document, int, int]:
    """Drop the paragraphs of `document` already in `seen`; add the kept ones to `seen` and `new_hashes`.

    Returns:
        (kept paragraphs, dropped paragraphs, dropped characters).
    """
    kept: Document = []
    dropped = dropped_chars = 0
    for paragraph in document:
        if len(paragraph) >= min_chars:
            key = paragraph_hash(paragraph)
            if key in seen:
                dropped += 1
                dropped_chars += len(paragraph)
                continue
            seen.add(key)
            new_hashes.append(key)
        kept.append(paragraph)
    return kept, dropped, dropped_chars


def plan_parts(files: FileList, part_bytes: int) -> list[FileList]:
    """Consecutive files grouped until each group holds at least `part_bytes` bytes (the last may hold less).

    Decided from file sizes alone, so a rerun plans the same parts without reading anything.
    """
    parts: list[FileList] = []
    current: FileList = []
    size = 0
    for path, fmt in files:
        current.append((path, fmt))
        size += os.path.getsize(path)
        if size >= part_bytes:
            parts.append(current)
            current, size = [], 0
    if current:
        parts.append(current)
    return parts


def _build_part(
    files: FileList, index: int, output: Path, seen: set[int], encode: BatchEncoder,
    vocabulary: Vocabulary, settings: dict[str, Any],
) -> dict[str, Any]:  # fmt: skip
    """Read, de-duplicate, split, tokenise and chunk one part; write its shard and hashes; its manifest entry."""
    stats = {
        "documents": 0,
        "paragraphs_dropped": 0,
        "characters_dropped": 0,
        "sentences": 0,
        "characters": 0,
    }
    new_hashes: list[int] = []
    pool: list[list[str]] = []
    for path, fmt in files:
        for document in read_documents(path, fmt):
            kept, dropped, dropped_chars = dedup_document(
                document, seen, settings["min_dedup_chars"], new_hashes
            )
            stats["paragraphs_dropped"] += dropped
            stats["characters_dropped"] += dropped_chars
            sentences = document_sentences(kept, settings["language"])
            if sentences:
                pool.append(sentences)
                stats["documents"] += 1
                stats["sentences"] += len(sentences)
                stats["characters"] += sum(len(s) for s in sentences)
    instances = pool_instances(
        tokenize_documents(pool, encode),
        max_num_tokens=settings["max_seq_length"] - 3,
        short_seq_prob=settings["short_seq_prob"],
        dupe_factor=settings["dupe_factor"],
        random_document_negatives=settings["random_document_negatives"],
        generator=np.random.default_rng([settings["seed"], index]),
    )
    entry = write_shard(output, f"shard_{index:05d}", instances, vocabulary.vocab_size)
    save_array_atomic(output / f"part_{index:05d}.hashes.npy", np.asarray(new_hashes, dtype=np.int64))
    swapped = sum(x.label == SWAPPED for x in instances)
    return {
        **entry,
        "files": [str(path.name) for path, _ in files],
        "label_counts": [len(instances) - swapped, swapped],
        **stats,
    }


def _load_manifest(output: Path, settings: dict[str, Any], names: list[list[str]]) -> dict[str, Any]:
    """The manifest of an interrupted build with the same settings and parts, or a fresh one."""
    path = output / MANIFEST_FILE
    fresh = {"settings": settings, "parts": names, "done": []}
    if not path.is_file():
        return fresh
    manifest = json.loads(path.read_text(encoding="utf-8"))
    if manifest["settings"] != settings or manifest["parts"] != fresh["parts"]:
        raise ValueError(
            f"{output} holds a build with other settings or files ({manifest['settings']}); "
            f"delete {output} to rebuild with {settings}"
        )
    return manifest


def build_split(
    corpus: Sequence[CorpusSource], encode: BatchEncoder, vocabulary: Vocabulary,
    output_dir: str | os.PathLike[str], *, seen: set[int], settings: dict[str, Any], part_bytes: int,
) -> dict[str, Any]:  # fmt: skip
    """Build (or finish building) one split into `output_dir`; `seen` gains every kept paragraph hash.

    Returns:
        The split's `metadata.json` content.
    """
    output = Path(output_dir)
    output.mkdir(parents=True, exist_ok=True)
    parts = plan_parts(corpus_files(corpus), part_bytes)
    manifest = _load_manifest(output, settings, [[p.name for p, _ in part] for part in parts])
    done = {entry["name"]: entry for entry in manifest["done"]}
    started = time.perf_counter()
    for index, files in enumerate(parts):
        name = f"shard_{index:05d}"
        if name in done:  # finished by an earlier run: only its paragraphs' hashes are needed
            seen.update(np.load(output / f"part_{index:05d}.hashes.npy").tolist())
            continue
        entry = _build_part(files, index, output, seen, encode, vocabulary, settings)
        manifest["done"].append(entry)
        write_json_atomic(output / MANIFEST_FILE, manifest)
        logger.info("%s part %d/%d: %d instances, %d tokens, %d duplicate paragraphs dropped (%.0f s)",
                    output.name, index + 1, len(parts), entry["num_instances"], entry["num_tokens"],
                    entry["paragraphs_dropped"], time.perf_counter() - started)  # fmt: skip
    return _finish(output, manifest, vocabulary)


def _finish(output: Path, manifest: dict[str, Any], vocabulary: Vocabulary) -> dict[str, Any]:
    """Write `word_start.npy` and, last, `metadata.json` (same format as `build_pretraining_shards`)."""
    entries = sorted(manifest["done"], key=lambda e: e["name"])
    keys = ("documents", "sentences", "characters", "paragraphs_dropped", "characters_dropped")
    stats: dict[str, Any] = {k: sum(e[k] for e in entries) for k in keys}
    stats["files"] = sum(len(e["files"]) for e in entries)
    stats["label_counts"] = [sum(e["label_counts"][i] for e in entries) for i in (0, 1)]
    shards = [{k: e[k] for k in ("name", "num_instances", "num_tokens")} for e in entries]
    return write_shard_metadata(output, vocabulary, dict(manifest["settings"]), shards, stats)


def build_deduplicated_shards(
    train: Sequence[CorpusSource], held_out: Sequence[CorpusSource], encode: BatchEncoder,
    vocabulary: Vocabulary, output_dir: str | os.PathLike[str], *, max_seq_length: int = 128,
    short_seq_prob: float = 0.1, dupe_factor: int = 1, random_document_negatives: bool = True,
    seed: int = 12345, min_dedup_chars: int = 30, part_bytes: int = 8_000_000, language: str = "en",
) -> dict[str, dict[str, Any]]:  # fmt: skip
    """Build `output_dir/train` and `output_dir/eval` (held out), de-duplicated, resumably (module doc).

    Args:
        train, held_out: files or directories, or `(path, format)` pairs (see `corpus.read_documents`).
        encode, vocabulary: as `build_pretraining_shards`.
        max_seq_length, short_seq_prob, dupe_factor, random_document_negatives: as `build_pretraining_shards`.
        seed: part k of the training split uses `default_rng([seed, k])`, of the held-out split `seed + 1`.
        min_dedup_chars: paragraphs shorter than this are never treated as duplicates.
        part_bytes: raw bytes per part: the unit of resumption and the pool for random-document negatives.
    Returns:
        {"train": metadata, "eval": metadata}.
    """
    if max_seq_length < 5:
        raise ValueError(f"max_seq_length={max_seq_length} must be >= 5")
    if dupe_factor < 1:
        raise ValueError(f"dupe_factor={dupe_factor} must be >= 1")
    settings = {
        "max_seq_length": max_seq_length, "short_seq_prob": short_seq_prob, "dupe_factor": dupe_factor,
        "random_document_negatives": random_document_negatives, "seed": seed,
        "min_dedup_chars": min_dedup_chars, "language": language,
    }  # fmt: skip
    seen: set[int] = set()
    output = Path(output_dir)
    result = {}
    for split, sources, split_seed in (("train", train, seed), ("eval", held_out, seed + 1)):
        result[split] = build_split(
            sources, encode, vocabulary, output / split, seen=seen,
            settings={**settings, "seed": split_seed}, part_bytes=part_bytes,
        )  # fmt: skip
    return result
