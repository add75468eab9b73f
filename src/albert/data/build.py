"""`build_pretraining_shards`: corpus files → sentences → token ids → SOP instances → shards on disk.

Documents are gathered into pools of about `shard_chars` characters; each pool is tokenised, shuffled,
turned into instances `dupe_factor` times (fresh chunking each pass, as the original's passes) and written
as one shard. Memory is bounded by one pool, so the corpus itself may be larger than RAM. Random-document
negatives come from the same pool, as they did in the original when it was run per input shard.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from albert.data.corpus import CorpusSource, corpus_files, document_sentences, read_documents
from albert.data.sentence_order import SWAPPED, SopInstance, create_sop_instances
from albert.data.shards import (
    FORMAT_VERSION,
    METADATA_FILE,
    WORD_START_FILE,
    save_array_atomic,
    write_json_atomic,
    write_shard,
)
from albert.data.vocab import BatchEncoder, Vocabulary

logger = logging.getLogger(__name__)

_ENCODE_BATCH = 4096  # sentences per encoder call: large enough for SentencePiece's threads


def tokenize_documents(documents: Sequence[list[str]], encode: BatchEncoder) -> list[list[np.ndarray]]:
    """Encode every sentence; drop sentences that encode to nothing, then empty documents.

    Returns:
        documents as lists of (len,) int32 arrays.
    """
    flat = [sentence for document in documents for sentence in document]
    ids: list[list[int]] = []
    for i in range(0, len(flat), _ENCODE_BATCH):
        ids.extend(encode(flat[i : i + _ENCODE_BATCH]))
    tokenized, position = [], 0
    for document in documents:
        sentences = [
            np.asarray(x, dtype=np.int32) for x in ids[position : position + len(document)] if len(x)
        ]
        position += len(document)
        if sentences:
            tokenized.append(sentences)
    return tokenized


def pool_instances(
    documents: list[list[np.ndarray]],
    *,
    max_num_tokens: int,
    short_seq_prob: float,
    dupe_factor: int,
    random_document_negatives: bool,
    generator: np.random.Generator,
) -> list[SopInstance]:
    """Shuffle a pool's documents and make SOP instances from each, `dupe_factor` passes."""
    order = generator.permutation(len(documents))
    documents = [documents[i] for i in order]
    instances: list[SopInstance] = []
    for _ in range(dupe_factor):
        for index in range(len(documents)):
            instances.extend(
                create_sop_instances(
                    documents,
                    index,
                    max_num_tokens=max_num_tokens,
                    short_seq_prob=short_seq_prob,
                    generator=generator,
                    random_document_negatives=random_document_negatives,
                )
            )
    return instances


# Longer than ~80 lines on purpose: 20 lines document every knob, and the body is one streaming pass over
# the corpus whose pool and counters the nested `flush` shares; splitting the pass would scatter that state.
def build_pretraining_shards(
    corpus: Sequence[CorpusSource],
    encode: BatchEncoder,
    vocabulary: Vocabulary,
    output_dir: str | os.PathLike[str],
    *,
    max_seq_length: int = 512,
    short_seq_prob: float = 0.1,
    dupe_factor: int = 1,
    random_document_negatives: bool = True,
    seed: int = 12345,
    shard_chars: int = 50_000_000,
    language: str = "en",
    overwrite: bool = False,
) -> dict[str, Any]:
    """Build tokenised, unmasked SOP shards from corpus files (see `corpus.read_documents` for formats).

    Args:
        corpus: files or directories, or `(path, format)` pairs (e.g. `(books_dir, "gutenberg")` so that a
            book without licence markers is still one document).
        encode: sentences → token ids without special tokens (`vocab.batch_encoder(tokenizer)`).
        vocabulary: pieces and special ids (`Vocabulary.from_tokenizer(tokenizer)`).
        output_dir: created if needed; refuses to overwrite a finished build unless `overwrite`.
        max_seq_length: length of `[CLS] A [SEP] B [SEP]`; segments get `max_seq_length - 3` tokens.
        short_seq_prob: probability that a document's target length is uniform in [2, max] instead.
        dupe_factor: passes over the corpus with fresh chunking (the original used 40 with static masks;
            with dynamic masking 1 is the modern choice).
        random_document_negatives: one-sentence chunks take B from another document (label 1), as the
            original; see `sentence_order.create_sop_instances`.
        seed: makes the build reproducible (pool k uses `default_rng([seed, k])`).
        shard_chars: characters of raw text per pool/shard; bounds memory (≈ 20 bytes per character).
    Returns:
        The metadata written to `output_dir/metadata.json`.
    """
    if max_seq_length < 5:
        raise ValueError(f"max_seq_length={max_seq_length} must be >= 5")
    if dupe_factor < 1:
        raise ValueError(f"dupe_factor={dupe_factor} must be >= 1")
    output = Path(output_dir)
    output.mkdir(parents=True, exist_ok=True)
    if (output / METADATA_FILE).exists():
        if not overwrite:
            raise FileExistsError(f"{output} already holds shards; pass overwrite=True to rebuild")
        (output / METADATA_FILE).unlink()  # the directory is incomplete until the new metadata lands
    for stale in output.glob("shard_*.npy"):
        stale.unlink()

    settings = {
        "max_seq_length": max_seq_length,
        "short_seq_prob": short_seq_prob,
        "dupe_factor": dupe_factor,
        "random_document_negatives": random_document_negatives,
        "seed": seed,
    }
    stats = {"files": 0, "documents": 0, "sentences": 0, "characters": 0, "label_counts": [0, 0]}
    shards: list[dict[str, int]] = []
    pool: list[list[str]] = []
    pool_chars = 0
    started = time.perf_counter()

    def flush() -> None:
        nonlocal pool, pool_chars
        if not pool:
            return
        documents = tokenize_documents(pool, encode)
        generator = np.random.default_rng([seed, len(shards)])
        instances = pool_instances(
            documents,
            max_num_tokens=max_seq_length - 3,
            short_seq_prob=short_seq_prob,
            dupe_factor=dupe_factor,
            random_document_negatives=random_document_negatives,
            generator=generator,
        )
        entry = write_shard(output, f"shard_{len(shards):05d}", instances, vocabulary.vocab_size)
        shards.append(entry)
        swapped = sum(x.label == SWAPPED for x in instances)
        stats["label_counts"][0] += len(instances) - swapped
        stats["label_counts"][1] += swapped
        logger.info(
            "shard %s: %d documents, %d instances, %d tokens (%.0f s so far)",
            entry["name"],
            len(documents),
            entry["num_instances"],
            entry["num_tokens"],
            time.perf_counter() - started,
        )
        pool, pool_chars = [], 0

    for path, fmt in corpus_files(corpus):
        stats["files"] += 1
        for document in read_documents(path, fmt):
            sentences = document_sentences(document, language)
            if not sentences:
                continue
            pool.append(sentences)
            chars = sum(len(s) for s in sentences)
            pool_chars += chars
            stats["documents"] += 1
            stats["sentences"] += len(sentences)
            stats["characters"] += chars
            if pool_chars >= shard_chars:
                flush()
    flush()
    if not shards:
        raise ValueError(f"no text found in {list(corpus)}")

    metadata = write_shard_metadata(output, vocabulary, settings, shards, stats)
    logger.info(
        "built %d instances in %d shards from %d documents in %.0f s",
        metadata["num_instances"],
        len(shards),
        stats["documents"],
        time.perf_counter() - started,
    )
    return metadata


def write_shard_metadata(
    output: Path, vocabulary: Vocabulary, settings: dict[str, Any], shards: list[dict[str, Any]],
    stats: dict[str, Any],
) -> dict[str, Any]:  # fmt: skip
    """Write the word-start table and `metadata.json` of a finished shard directory; returns the metadata.
    `shards`: one {"name", "num_instances", "num_tokens", ...} entry per shard file."""
    save_array_atomic(output / WORD_START_FILE, vocabulary.word_start_table())
    metadata = {
        "format_version": FORMAT_VERSION,
        **settings,
        "vocab_size": vocabulary.vocab_size,
        "cls_token_id": vocabulary.cls_token_id,
        "sep_token_id": vocabulary.sep_token_id,
        "mask_token_id": vocabulary.mask_token_id,
        "pad_token_id": vocabulary.pad_token_id,
        "num_instances": sum(s["num_instances"] for s in shards),
        "num_tokens": sum(s["num_tokens"] for s in shards),
        "stats": stats,
        "shards": shards,
    }
    write_json_atomic(output / METADATA_FILE, metadata)
    return metadata
