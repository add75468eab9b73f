"""The data protocol of the training loop: a *batch source* yields one process's micro-batches of an epoch.

    source(epoch: int, start: int) -> Iterable[dict[str, Tensor]]

returns this process's micro-batches of epoch `epoch`, skipping its first `start` ones (the loop passes
`start > 0` only when resuming mid-epoch). `len(source)`, if defined, is the number of micro-batches per
epoch per process; without it, give `--max-steps`. For exact resume the batches must be a function of
(epoch, position) only: derive any randomness (shuffling, dynamic masking) from a generator seeded with
(seed, epoch, ...), never from the global RNG. In DDP every process must yield the same number of batches.

`as_batch_source` adapts what callers usually have:
* a callable with the signature above: used as is;
* a map-style `Dataset`: `ShardedBatches` (shuffled per epoch, split across ranks, batched with
  `collate_fn`, resumed by slicing the index list: nothing is re-read);
* an `IterableDataset`: batched by a `DataLoader` each epoch; resuming re-reads the skipped part;
* any other re-iterable of batches (a `DataLoader`, a list): iterated each epoch, `set_epoch(epoch)`
  called on it or its sampler if they have one; resuming re-reads the skipped part.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any, Protocol

import torch
from torch.utils.data import DataLoader, Dataset, IterableDataset, default_collate

Batch = Mapping[str, Any]


class BatchSource(Protocol):
    """A callable `(epoch, start) -> iterable of micro-batches`; optionally sized (see module docstring)."""

    def __call__(self, epoch: int, start: int) -> Iterable[Batch]: ...


class ShardedBatches:
    """Micro-batches of a map-style Dataset: a per-epoch permutation split across ranks like
    `DistributedSampler` (rank r takes every world_size-th index; the list is padded by wrapping around so
    all ranks have equal length), cut into micro-batches, collated in a DataLoader (optionally with workers).

    Rank r's batch k and the other ranks' batch k together are the single-process batch k of size
    batch_size x world_size, so a DDP run sees the same global batches as one process would.
    """

    def __init__(
        self,
        dataset: Dataset,
        *,
        batch_size: int,
        collate_fn: Callable[[list[Any]], Batch] | None = None,
        shuffle: bool = True,
        drop_last: bool = False,
        seed: int = 0,
        rank: int = 0,
        world_size: int = 1,
        num_workers: int = 0,
        pin_memory: bool = False,
    ) -> None:
        self.dataset = dataset
        self.batch_size = batch_size
        self.collate_fn = collate_fn or default_collate
        self.shuffle = shuffle
        self.drop_last = drop_last
        self.seed = seed
        self.rank = rank
        self.world_size = world_size
        self.num_workers = num_workers
        self.pin_memory = pin_memory
        if len(dataset) == 0:  # type: ignore[arg-type]
            raise ValueError("the training dataset is empty")

    def _per_rank(self) -> int:
        return math.ceil(len(self.dataset) / self.world_size)  # type: ignore[arg-type]

    def __len__(self) -> int:
        n = self._per_rank()
        return n // self.batch_size if self.drop_last else math.ceil(n / self.batch_size)

    def indices(self, epoch: int) -> list[int]:
        """This rank's example indices for `epoch`, in order."""
        n = len(self.dataset)  # type: ignore[arg-type]
        if self.shuffle:
            g = torch.Generator().manual_seed(self.seed * 1_000_003 + epoch)
            order = torch.randperm(n, generator=g).tolist()
        else:
            order = list(range(n))
        total = self._per_rank() * self.world_size
        order += order[: total - n]  # pad by wrapping so every rank gets the same count
        return order[self.rank : total : self.world_size]

    def __call__(self, epoch: int, start: int) -> Iterable[Batch]:
        if hasattr(self.dataset, "set_epoch"):
            self.dataset.set_epoch(epoch)
        idx = self.indices(epoch)
        batches = [idx[i : i + self.batch_size] for i in range(0, len(idx), self.batch_size)]
        if self.drop_last and batches and len(batches[-1]) < self.batch_size:
            batches.pop()
        # An explicit generator keeps the DataLoader from drawing its worker seed from the global RNG,
        # which would shift the training RNG stream differently in resumed and uninterrupted runs.
        g = torch.Generator().manual_seed(self.seed * 1_000_003 + epoch)
        return DataLoader(
            self.dataset,
            batch_sampler=batches[start:],
            collate_fn=self.collate_fn,
            num_workers=self.num_workers,
            generator=g,
            pin_memory=self.pin_memory,
        )


class _IterableSource:
    """Adapter for re-iterable inputs: iterate each epoch, skip `start` batches by reading them."""

    def __init__(self, make_iterable: Callable[[int], Iterable[Batch]], length: int | None) -> None:
        self._make = make_iterable
        self._length = length

    def __call__(self, epoch: int, start: int) -> Iterator[Batch]:
        return itertools.islice(iter(self._make(epoch)), start, None)

    def __len__(self) -> int:
        if self._length is None:
            raise TypeError("batch source of unknown length")
        return self._length


def _set_epoch(obj: Any, epoch: int) -> None:
    for target in (
        obj,
        getattr(obj, "sampler", None),
        getattr(obj, "batch_sampler", None),
        getattr(obj, "dataset", None),
    ):
        if target is not None and hasattr(target, "set_epoch"):
            target.set_epoch(epoch)
            return


def _len_or_none(obj: Any) -> int | None:
    try:
        return len(obj)
    except TypeError:
        return None


def as_batch_source(
    data: Any,
    *,
    batch_size: int,
    collate_fn: Callable[[list[Any]], Batch] | None = None,
    shuffle: bool = True,
    drop_last: bool = False,
    seed: int = 0,
    rank: int = 0,
    world_size: int = 1,
    num_workers: int = 0,
    pin_memory: bool = False,
) -> BatchSource:
    """Turn training data of any supported kind (module docstring) into a `BatchSource`."""
    if isinstance(data, IterableDataset):

        def loader(epoch: int) -> Iterable[Batch]:
            _set_epoch(data, epoch)
            g = torch.Generator().manual_seed(seed * 1_000_003 + epoch)
            return DataLoader(
                data, batch_size=batch_size, collate_fn=collate_fn, num_workers=num_workers, generator=g
            )

        length = _len_or_none(data)
        return _IterableSource(loader, None if length is None else math.ceil(length / batch_size))
    if callable(data) and not isinstance(data, (Dataset, DataLoader)):
        return data
    if isinstance(data, Dataset) and hasattr(data, "__len__") and hasattr(data, "__getitem__"):
        return ShardedBatches(
            data,
            batch_size=batch_size,
            collate_fn=collate_fn,
            shuffle=shuffle,
            drop_last=drop_last,
            seed=seed,
            rank=rank,
            world_size=world_size,
            num_workers=num_workers,
            pin_memory=pin_memory,
        )
    if isinstance(data, Iterable):
        if iter(data) is data:
            raise TypeError(
                "training data is a one-shot iterator; pass a re-iterable (list, DataLoader) or a callable"
            )

        def again(epoch: int) -> Iterable[Batch]:
            _set_epoch(data, epoch)
            return data

        return _IterableSource(again, _len_or_none(data))
    raise TypeError(f"unsupported training data of type {type(data).__name__}; see albert.training.batches")


def source_length(source: BatchSource) -> int | None:
    """Micro-batches per epoch per process, or None when the source does not say."""
    try:
        return len(source)  # type: ignore[arg-type]
    except TypeError:
        return None
