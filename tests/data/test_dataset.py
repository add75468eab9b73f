"""Tests for albert.data.dataset: packing, rank sharding, deterministic order and exact resume."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pytest
import torch

from albert.data.dataset import PretrainingDataset, PretrainingSampler, pretraining_dataloader


def take(iterable, count: int) -> list:
    return list(itertools.islice(iterable, count))


def test_examples_are_packed_pairs(shard_dir: Path, vocabulary) -> None:
    dataset = PretrainingDataset(shard_dir)
    assert len(dataset) == dataset.metadata["num_instances"] > 50
    example = dataset[(3, 5)]
    assert (example["epoch"], example["index"]) == (3, 5)
    ids, types = example["input_ids"], example["token_type_ids"]
    assert ids[0] == vocabulary.cls_token_id and ids[-1] == vocabulary.sep_token_id
    assert len(ids) <= 64 and (ids == vocabulary.sep_token_id).sum() == 2
    first_sep = int(np.flatnonzero(ids == vocabulary.sep_token_id)[0])
    assert (types[: first_sep + 1] == 0).all() and (types[first_sep + 1 :] == 1).all()
    assert example["sentence_order_label"] in (0, 1)
    np.testing.assert_array_equal(dataset[5]["input_ids"], ids)
    assert dataset[5]["epoch"] == 0
    dataset.set_epoch(2)
    assert dataset[5]["epoch"] == 2 and dataset[(7, 5)]["epoch"] == 7


@pytest.mark.parametrize("num_instances", [100, 103])
def test_ranks_are_disjoint_and_cover_the_epoch(num_instances: int) -> None:
    world = 4
    shares = [
        list(PretrainingSampler(num_instances, seed=0, rank=r, world_size=world, num_epochs=1))
        for r in range(world)
    ]
    indices = [[i for _, i in share] for share in shares]
    assert all(len(s) == num_instances // world for s in indices)
    union = set().union(*indices)
    assert sum(map(len, indices)) == len(union)  # disjoint
    assert len(union) == num_instances // world * world  # all but the remainder of the epoch
    # Interleaving the ranks gives back the single-process order.
    single = [i for _, i in PretrainingSampler(num_instances, seed=0, num_epochs=1)]
    interleaved = [i for group in zip(*indices) for i in group]
    assert interleaved == single[: len(interleaved)]


def test_order_depends_on_seed_and_epoch() -> None:
    sampler = PretrainingSampler(50, seed=0, num_epochs=2)
    keys = list(sampler)
    assert len(keys) == len(sampler) == 100
    epoch0, epoch1 = [i for e, i in keys if e == 0], [i for e, i in keys if e == 1]
    assert sorted(epoch0) == sorted(epoch1) == list(range(50)) and epoch0 != epoch1
    assert [i for _, i in PretrainingSampler(50, seed=1, num_epochs=1)] != epoch0
    assert [i for _, i in PretrainingSampler(50, seed=0, shuffle=False, num_epochs=1)] == list(range(50))


def test_resume_from_consumed_samples_continues_the_stream() -> None:
    world = 2
    full = [take(PretrainingSampler(30, seed=5, rank=r, world_size=world), 40) for r in range(world)]
    consumed = 46  # 23 samples per rank: crosses into the second epoch (30 per epoch)
    resumed = [
        take(PretrainingSampler(30, seed=5, rank=r, world_size=world, consumed_samples=consumed), 17)
        for r in range(world)
    ]
    for r in range(world):
        assert resumed[r] == full[r][consumed // world :]
    assert PretrainingSampler(30, seed=5, consumed_samples=46).position() == (1, 16)
    with pytest.raises(ValueError, match="multiple"):
        PretrainingSampler(30, seed=5, world_size=2, consumed_samples=3)


def test_dataloader_resume_gives_identical_batches(shard_dir: Path) -> None:
    kwargs = {"batch_size": 4, "seed": 11, "pad_to_multiple_of": None}
    full = take(pretraining_dataloader(shard_dir, **kwargs), 6)
    resumed = take(pretraining_dataloader(shard_dir, consumed_samples=3 * 4, **kwargs), 3)
    for expected, got in zip(full[3:], resumed):
        for key in expected:
            torch.testing.assert_close(got[key], expected[key])


def test_two_ranks_see_the_single_process_global_batch(shard_dir: Path) -> None:
    """Same masks and examples whether a global batch of 8 runs on 1 process or is split over 2 ranks."""
    kwargs = {"seed": 2, "pad_to_length": 64}
    [single] = take(pretraining_dataloader(shard_dir, batch_size=8, **kwargs), 1)
    ranks = [
        take(pretraining_dataloader(shard_dir, batch_size=4, rank=r, world_size=2, **kwargs), 1)[0]
        for r in (0, 1)
    ]
    for key, value in single.items():
        interleaved = torch.stack([ranks[0][key], ranks[1][key]], dim=1).flatten(0, 1)
        torch.testing.assert_close(interleaved, value)


def test_dynamic_masks_change_with_epoch_static_do_not(shard_dir: Path) -> None:
    dataset = PretrainingDataset(shard_dir)
    n = len(dataset)

    def labels_by_index(static: bool) -> dict[tuple[int, int], torch.Tensor]:
        loader = pretraining_dataloader(shard_dir, batch_size=n, seed=4, num_epochs=2, static_masking=static)
        out = {}
        for epoch, batch in enumerate(loader):
            order = PretrainingSampler(n, seed=4).epoch_order(epoch)[:n]
            for row, index in enumerate(order.tolist()):
                out[epoch, index] = batch["labels"][row]
        return out

    dynamic, static = labels_by_index(False), labels_by_index(True)
    assert any(not torch.equal(dynamic[0, i], dynamic[1, i]) for i in range(n))
    assert all(torch.equal(static[0, i], static[1, i]) for i in range(n))
