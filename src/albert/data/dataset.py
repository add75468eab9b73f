"""Reading shards for training: a map-style dataset, a resumable rank-aware sampler, and a DataLoader factory.

The sampler yields `(epoch, index)` keys. The order of epoch e is a permutation drawn from `(seed, e)`; rank
r of w takes every w-th instance of it, so the w ranks together consume exactly the sequence a single
process would, and one number, the global count of samples consumed so far, says where to resume.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset, Sampler

from albert.data.collate import PretrainingCollator, PretrainingExample
from albert.data.masking import MaskingSpec
from albert.data.sentence_order import pack_pair
from albert.data.shards import ShardReader

_ORDER_STREAM = 0x4F5244  # keeps the order RNG stream apart from the masking stream of the same seed


class PretrainingDataset(Dataset):
    """Unmasked `[CLS] A [SEP] B [SEP]` instances of a shard directory (`build_pretraining_shards`).

    Indexing with `(epoch, index)` (what `PretrainingSampler` yields) or a plain `index` returns a
    `PretrainingExample`; masking happens in `PretrainingCollator`. A plain index takes its epoch from
    `set_epoch`, so samplers that yield ints (`albert.training.ShardedBatches`, `DistributedSampler`) still
    get fresh masks every epoch, provided DataLoader workers are started after `set_epoch` (not persistent).
    """

    def __init__(self, shard_dir: str | os.PathLike[str]) -> None:
        self.reader = ShardReader(shard_dir)
        self.metadata: dict[str, Any] = self.reader.metadata
        self.cls_token_id: int = self.metadata["cls_token_id"]
        self.sep_token_id: int = self.metadata["sep_token_id"]
        self.mask_token_id: int = self.metadata["mask_token_id"]
        self.pad_token_id: int = self.metadata["pad_token_id"]
        self.max_seq_length: int = self.metadata["max_seq_length"]
        self.epoch = 0

    def set_epoch(self, epoch: int) -> None:
        """The epoch given to examples indexed by a plain int (it keys their dynamic masks)."""
        self.epoch = epoch

    def __len__(self) -> int:
        return len(self.reader)

    def __getitem__(self, key: int | tuple[int, int]) -> PretrainingExample:
        epoch, index = key if isinstance(key, tuple) else (self.epoch, key)
        instance = self.reader.instance(int(index))
        input_ids, token_type_ids = pack_pair(
            instance.tokens_a, instance.tokens_b, self.cls_token_id, self.sep_token_id
        )
        return {
            "input_ids": input_ids,
            "token_type_ids": token_type_ids,
            "sentence_order_label": instance.label,
            "index": int(index),
            "epoch": int(epoch),
        }

    def masking_spec(
        self,
        *,
        masked_lm_prob: float = 0.15,
        max_predictions_per_seq: int = 20,
        max_ngram: int = 3,
        favor_shorter_ngram: bool = True,
    ) -> MaskingSpec:
        """The `MaskingSpec` for this vocabulary (word-start table and special ids saved with the shards)."""
        return MaskingSpec(
            word_start=self.reader.word_start(),
            special_ids=(self.cls_token_id, self.sep_token_id, self.mask_token_id, self.pad_token_id),
            mask_token_id=self.mask_token_id,
            masked_lm_prob=masked_lm_prob,
            max_predictions_per_seq=max_predictions_per_seq,
            max_ngram=max_ngram,
            favor_shorter_ngram=favor_shorter_ngram,
        )


class PretrainingSampler(Sampler[tuple[int, int]]):
    """Deterministic, resumable, rank-aware order over `num_instances` instances, epoch after epoch.

    The global stream is epoch 0's permutation, then epoch 1's, … (each drawn from `(seed, epoch)`; the
    identity if not `shuffle`). An epoch holds `num_instances // world_size * world_size` samples: the last
    few of each permutation are skipped so every rank gets the same count. Rank r yields global positions
    `consumed_samples + r, consumed_samples + r + world_size, …`.

    Args:
        num_instances: dataset length.
        seed: order seed.
        rank, world_size: this process's share (`torch.distributed.get_rank()` / `get_world_size()`).
        consumed_samples: samples already consumed by all ranks together (optimizer steps × global batch
            size); a multiple of `world_size`. Resuming with the same value and world size continues
            exactly where the stream stopped.
        shuffle: False gives the identity order (evaluation).
        num_epochs: stop after this many epochs (counted from epoch 0); None streams forever.
    """

    def __init__(
        self,
        num_instances: int,
        *,
        seed: int,
        rank: int = 0,
        world_size: int = 1,
        consumed_samples: int = 0,
        shuffle: bool = True,
        num_epochs: int | None = None,
    ) -> None:
        if not 0 <= rank < world_size:
            raise ValueError(f"rank={rank} must be in [0, world_size={world_size})")
        if num_instances < world_size:
            raise ValueError(f"{num_instances} instances cannot feed {world_size} ranks")
        if consumed_samples < 0 or consumed_samples % world_size:
            raise ValueError(
                f"consumed_samples={consumed_samples} must be a non-negative multiple of {world_size}"
            )
        self.num_instances = num_instances
        self.seed = seed
        self.rank = rank
        self.world_size = world_size
        self.consumed_samples = consumed_samples
        self.shuffle = shuffle
        self.num_epochs = num_epochs
        self.epoch_size = num_instances // world_size * world_size  # global samples per epoch

    def position(self) -> tuple[int, int]:
        """`(epoch, offset)` of `consumed_samples`: offset = global samples already consumed in that epoch."""
        return divmod(self.consumed_samples, self.epoch_size)

    def epoch_order(self, epoch: int) -> np.ndarray:
        """(num_instances,) int64, the global order of `epoch` (8 bytes per instance, built once per epoch)."""
        if not self.shuffle:
            return np.arange(self.num_instances)
        return np.random.default_rng([self.seed, _ORDER_STREAM, epoch]).permutation(self.num_instances)

    def __iter__(self) -> Iterator[tuple[int, int]]:
        epoch, offset = self.position()
        while self.num_epochs is None or epoch < self.num_epochs:
            order = self.epoch_order(epoch)[offset + self.rank : self.epoch_size : self.world_size]
            for index in order.tolist():
                yield epoch, index
            epoch, offset = epoch + 1, 0

    def __len__(self) -> int:
        if self.num_epochs is None:
            raise TypeError("an endless PretrainingSampler (num_epochs=None) has no length")
        return max(0, self.num_epochs * self.epoch_size - self.consumed_samples) // self.world_size


def pretraining_dataloader(
    shard_dir: str | os.PathLike[str],
    *,
    batch_size: int,
    seed: int,
    rank: int = 0,
    world_size: int = 1,
    consumed_samples: int = 0,
    num_epochs: int | None = None,
    static_masking: bool = False,
    masked_lm_prob: float = 0.15,
    max_predictions_per_seq: int = 20,
    pad_to_length: int | None = None,
    pad_to_multiple_of: int | None = 8,
    num_workers: int = 0,
    pin_memory: bool = False,
) -> DataLoader:
    """A DataLoader of masked, padded batches for `rank` of `world_size` (see `PretrainingCollator`).

    Args:
        batch_size: per-rank micro-batch size. Global batch = batch_size × world_size × accumulation steps.
        consumed_samples: where to resume (see `PretrainingSampler`); 0 for a fresh run.
        num_epochs: None for an endless stream (step-based training).
    """
    dataset = PretrainingDataset(shard_dir)
    sampler = PretrainingSampler(
        len(dataset),
        seed=seed,
        rank=rank,
        world_size=world_size,
        consumed_samples=consumed_samples,
        num_epochs=num_epochs,
    )
    collator = PretrainingCollator(
        dataset.masking_spec(masked_lm_prob=masked_lm_prob, max_predictions_per_seq=max_predictions_per_seq),
        dataset.pad_token_id,
        seed=seed,
        static_masking=static_masking,
        pad_to_length=pad_to_length,
        pad_to_multiple_of=pad_to_multiple_of,
    )
    return DataLoader(
        dataset,
        batch_size=batch_size,
        sampler=sampler,
        collate_fn=collator,
        num_workers=num_workers,
        pin_memory=pin_memory and torch.cuda.is_available(),
        drop_last=True,
        persistent_workers=num_workers > 0,
    )
