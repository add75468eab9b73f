"""On-disk format of tokenised, unmasked SOP instances: memory-mapped `.npy` shards plus `metadata.json`.

Layout of a shard directory:

    metadata.json             written last: settings, special ids, shard list (its presence = complete)
    word_start.npy            (V,) bool, whole-word rule per piece (masking needs it, not the tokenizer)
    shard_00000.tokens.npy    flat uint16 (V <= 65536) or int32 token ids: A then B of every instance
    shard_00000.index.npy     (N, 4) int64 rows [start, len_a, len_b, sop_label] into the tokens array

Every file is written to a temporary name and moved into place with `os.replace`, so a crash never leaves
a truncated file under a final name. Reading uses `np.load(mmap_mode="r")`, so corpora larger than RAM
stream from the page cache.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from albert.atomic_files import atomic_write, atomic_write_json
from albert.data.sentence_order import SopInstance

FORMAT_VERSION = 1
METADATA_FILE = "metadata.json"
WORD_START_FILE = "word_start.npy"


def token_dtype(vocab_size: int) -> np.dtype:
    """uint16 halves the disk and page-cache footprint for vocabularies that fit (ALBERT's 30k does)."""
    return np.dtype(np.uint16) if vocab_size <= 2**16 else np.dtype(np.int32)


def save_array_atomic(path: Path, array: np.ndarray) -> None:
    """`np.save` onto `path` atomically."""
    atomic_write(path, lambda f: np.save(f, array), binary=True)


def write_json_atomic(path: Path, data: dict[str, Any]) -> None:
    """JSON onto `path` atomically."""
    atomic_write_json(path, data)


def write_shard(
    directory: Path, name: str, instances: Sequence[SopInstance], vocab_size: int
) -> dict[str, int]:
    """Write one shard atomically; returns its entry for `metadata.json` (name, instances, tokens)."""
    dtype = token_dtype(vocab_size)
    len_a = np.fromiter((len(x.tokens_a) for x in instances), dtype=np.int64, count=len(instances))
    len_b = np.fromiter((len(x.tokens_b) for x in instances), dtype=np.int64, count=len(instances))
    starts = np.concatenate(([0], np.cumsum(len_a + len_b)[:-1])) if instances else np.zeros(0, np.int64)
    labels = np.fromiter((x.label for x in instances), dtype=np.int64, count=len(instances))
    index = np.stack([starts, len_a, len_b, labels], axis=1).astype(np.int64).reshape(-1, 4)
    pieces = [part for x in instances for part in (x.tokens_a, x.tokens_b)]
    tokens = np.concatenate(pieces).astype(dtype) if pieces else np.zeros(0, dtype)
    save_array_atomic(directory / f"{name}.tokens.npy", tokens)
    save_array_atomic(directory / f"{name}.index.npy", index)
    return {"name": name, "num_instances": len(instances), "num_tokens": int(tokens.size)}


class ShardReader:
    """Random access to every instance of a shard directory, through memory maps.

    Files are opened lazily in each process (and dropped when pickled), so the reader can be handed to
    DataLoader workers under any start method without copying the data.
    """

    def __init__(self, directory: str | os.PathLike[str]) -> None:
        self.directory = Path(directory)
        metadata_path = self.directory / METADATA_FILE
        if not metadata_path.is_file():
            raise FileNotFoundError(
                f"{metadata_path} not found: not a shard directory, or its build did not finish "
                "(run build_pretraining_shards again)"
            )
        self.metadata: dict[str, Any] = json.loads(metadata_path.read_text(encoding="utf-8"))
        if self.metadata.get("format_version") != FORMAT_VERSION:
            raise ValueError(
                f"{self.directory}: unsupported shard format {self.metadata.get('format_version')}"
            )
        counts = [shard["num_instances"] for shard in self.metadata["shards"]]
        self._first = np.concatenate(([0], np.cumsum(counts))).astype(
            np.int64
        )  # global index of each shard's first
        self._arrays: list[tuple[np.ndarray, np.ndarray]] | None = None

    def __len__(self) -> int:
        return int(self._first[-1])

    def __getstate__(self) -> dict[str, Any]:
        return {**self.__dict__, "_arrays": None}

    def _open(self) -> list[tuple[np.ndarray, np.ndarray]]:
        if self._arrays is None:
            self._arrays = [
                (
                    np.load(self.directory / f"{s['name']}.tokens.npy", mmap_mode="r"),
                    np.load(self.directory / f"{s['name']}.index.npy", mmap_mode="r"),
                )
                for s in self.metadata["shards"]
            ]
        return self._arrays

    def word_start(self) -> np.ndarray:
        """(V,) bool table saved with the shards."""
        return np.load(self.directory / WORD_START_FILE)

    def instance(self, index: int) -> SopInstance:
        """Instance `index` (global over all shards), segments as int64 arrays."""
        if not 0 <= index < len(self):
            raise IndexError(f"instance {index} out of range for {len(self)} instances")
        shard = int(np.searchsorted(self._first, index, side="right")) - 1
        tokens, rows = self._open()[shard]
        start, len_a, len_b, label = (int(v) for v in rows[index - self._first[shard]])
        segment = np.asarray(tokens[start : start + len_a + len_b], dtype=np.int64)
        return SopInstance(segment[:len_a], segment[len_a:], label)
