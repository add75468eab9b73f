"""Batch collation for pretraining: n-gram masking at collate time, then padding into tensors.

The masks of an example depend only on `(seed, epoch, index)` (or `(seed, index)` with static masking),
never on the batch, the rank or the number of DataLoader workers. So a resumed run, or the same global
batch split over several DDP ranks, sees exactly the same masks.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypedDict

import numpy as np
import torch

from albert.data.masking import IGNORE_INDEX, MaskingSpec, mask_tokens

_MASK_STREAM = 0x4D4C4D  # keeps the masking RNG stream apart from other streams keyed by the same seed


class PretrainingExample(TypedDict):
    """One unmasked, unpadded instance as `PretrainingDataset` returns it."""

    input_ids: np.ndarray  # (T,) int64, [CLS] A [SEP] B [SEP]
    token_type_ids: np.ndarray  # (T,) int64
    sentence_order_label: int  # 0 = original order, 1 = swapped
    index: int  # global instance index in the shard directory
    epoch: int


def masking_generator(seed: int, index: int, epoch: int | None) -> np.random.Generator:
    """The generator that masks instance `index`: keyed by `(seed, epoch, index)`, or `(seed, index)` when
    `epoch` is None (static masking: the same masks every epoch)."""
    key = [seed, _MASK_STREAM, index] if epoch is None else [seed, _MASK_STREAM, index, epoch]
    return np.random.default_rng(key)


def pad_batch(
    sequences: Sequence[np.ndarray],
    pad_value: int,
    *,
    pad_to_length: int | None = None,
    pad_to_multiple_of: int | None = None,
) -> torch.Tensor:
    """Right-pad 1-D sequences into a (B, T) int64 tensor, T = longest (or `pad_to_length`), rounded up to a
    multiple of `pad_to_multiple_of` (8 suits tensor cores)."""
    longest = max(len(s) for s in sequences)
    length = longest if pad_to_length is None else pad_to_length
    if length < longest:
        raise ValueError(f"pad_to_length={pad_to_length} is shorter than a sequence of {longest} tokens")
    if pad_to_multiple_of:
        length = -(-length // pad_to_multiple_of) * pad_to_multiple_of
    out = np.full((len(sequences), length), pad_value, dtype=np.int64)
    for row, sequence in zip(out, sequences):
        row[: len(sequence)] = sequence
    return torch.from_numpy(out)


class PretrainingCollator:
    """`collate_fn` for pretraining: masks each example with its own generator, then pads.

    Returns a dict of tensors: `input_ids`, `attention_mask`, `token_type_ids`, `labels` (each (B, T)
    int64; `labels` is `IGNORE_INDEX` except at masked positions) and `sentence_order_label` (B,).

    Args:
        spec: masking settings (`PretrainingDataset.masking_spec(...)`).
        pad_token_id: padding id for `input_ids`.
        seed: masking seed (the order seed may be the same: the streams are kept apart).
        static_masking: the same masks every epoch (the original's offline masks, with `dupe_factor`
            copies made at build time) instead of fresh ones (dynamic, the default).
        pad_to_length: pad every batch to this fixed length instead of the batch's longest sequence.
        pad_to_multiple_of: round the padded length up to a multiple of this.
    """

    def __init__(
        self,
        spec: MaskingSpec,
        pad_token_id: int,
        *,
        seed: int,
        static_masking: bool = False,
        pad_to_length: int | None = None,
        pad_to_multiple_of: int | None = None,
    ) -> None:
        self.spec = spec
        self.pad_token_id = pad_token_id
        self.seed = seed
        self.static_masking = static_masking
        self.pad_to_length = pad_to_length
        self.pad_to_multiple_of = pad_to_multiple_of

    def __call__(self, examples: Sequence[PretrainingExample]) -> dict[str, torch.Tensor]:
        masked, labels = [], []
        for example in examples:
            epoch = None if self.static_masking else example["epoch"]
            generator = masking_generator(self.seed, example["index"], epoch)
            ids, lab = mask_tokens(example["input_ids"], self.spec, generator)
            masked.append(ids)
            labels.append(lab)
        pad = {"pad_to_length": self.pad_to_length, "pad_to_multiple_of": self.pad_to_multiple_of}
        input_ids = pad_batch(masked, self.pad_token_id, **pad)
        # Built in numpy: tiny torch CPU ops pay thread-pool overhead that can exceed the masking itself.
        lengths = np.array([len(x) for x in masked])
        attention_mask = np.arange(input_ids.shape[1]) < lengths[:, None]  # (B, T), 1 = attend
        return {
            "input_ids": input_ids,
            "attention_mask": torch.from_numpy(attention_mask.astype(np.int64)),
            "token_type_ids": pad_batch([e["token_type_ids"] for e in examples], 0, **pad),
            "labels": pad_batch(labels, IGNORE_INDEX, **pad),
            "sentence_order_label": torch.tensor(
                [e["sentence_order_label"] for e in examples], dtype=torch.long
            ),
        }
