"""Tests for albert.data.shards: atomic writes and memory-mapped round trips."""

from __future__ import annotations

import json
import pickle
from pathlib import Path

import numpy as np
import pytest

from albert.data.sentence_order import SopInstance
from albert.data.shards import (
    FORMAT_VERSION,
    METADATA_FILE,
    WORD_START_FILE,
    ShardReader,
    token_dtype,
    write_json_atomic,
    write_shard,
)


def random_instances(count: int, rng: np.random.Generator, high: int = 30_000) -> list[SopInstance]:
    return [
        SopInstance(
            rng.integers(0, high, int(rng.integers(1, 50))),
            rng.integers(0, high, int(rng.integers(1, 50))),
            int(rng.integers(0, 2)),
        )
        for _ in range(count)
    ]


def finish(directory: Path, shards: list[dict[str, int]], vocab_size: int) -> None:
    np.save(directory / WORD_START_FILE, np.ones(vocab_size, dtype=bool))
    write_json_atomic(directory / METADATA_FILE, {"format_version": FORMAT_VERSION, "shards": shards})


def test_round_trip_through_memory_maps(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    first, second = random_instances(30, rng), random_instances(17, rng)
    entries = [
        write_shard(tmp_path, "shard_00000", first, 30_000),
        write_shard(tmp_path, "shard_00001", second, 30_000),
    ]
    finish(tmp_path, entries, 30_000)
    reader = ShardReader(tmp_path)
    assert len(reader) == 47
    for i, expected in enumerate(first + second):
        got = reader.instance(i)
        np.testing.assert_array_equal(got.tokens_a, expected.tokens_a)
        np.testing.assert_array_equal(got.tokens_b, expected.tokens_b)
        assert got.label == expected.label
    tokens, _ = reader._open()[0]
    assert isinstance(tokens, np.memmap) and tokens.dtype == np.uint16
    assert not list(tmp_path.glob(".*.tmp")), "temporary files left behind"
    with pytest.raises(IndexError):
        reader.instance(47)


def test_token_dtype_widens_for_large_vocabularies() -> None:
    assert token_dtype(30_000) == np.uint16 and token_dtype(65_536) == np.uint16
    assert token_dtype(65_537) == np.int32


def test_large_vocabulary_ids_survive(tmp_path: Path) -> None:
    instances = random_instances(5, np.random.default_rng(1), high=200_000)
    finish(tmp_path, [write_shard(tmp_path, "shard_00000", instances, 200_000)], 200_000)
    np.testing.assert_array_equal(ShardReader(tmp_path).instance(4).tokens_b, instances[4].tokens_b)


def test_pickling_drops_open_memory_maps(tmp_path: Path) -> None:
    finish(
        tmp_path,
        [write_shard(tmp_path, "shard_00000", random_instances(3, np.random.default_rng(2)), 100)],
        100,
    )
    reader = ShardReader(tmp_path)
    reader.instance(0)
    clone = pickle.loads(pickle.dumps(reader))
    assert clone._arrays is None
    np.testing.assert_array_equal(clone.instance(2).tokens_a, reader.instance(2).tokens_a)


def test_incomplete_directory_is_refused(tmp_path: Path) -> None:
    write_shard(tmp_path, "shard_00000", random_instances(3, np.random.default_rng(3)), 100)
    with pytest.raises(FileNotFoundError, match="did not finish"):
        ShardReader(tmp_path)
    (tmp_path / METADATA_FILE).write_text(json.dumps({"format_version": 99, "shards": []}))
    with pytest.raises(ValueError, match="format"):
        ShardReader(tmp_path)
