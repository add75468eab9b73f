"""Tests for albert.data.collate: padding, attention masks, labels and reproducible collate-time masking."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from albert.data.collate import PretrainingCollator, masking_generator, pad_batch
from albert.data.masking import IGNORE_INDEX, MaskingSpec


def example(ids: list[int], split: int, index: int, epoch: int = 0, label: int = 0) -> dict:
    types = np.zeros(len(ids), dtype=np.int64)
    types[split:] = 1
    return {
        "input_ids": np.array(ids),
        "token_type_ids": types,
        "sentence_order_label": label,
        "index": index,
        "epoch": epoch,
    }


@pytest.fixture
def batch_examples(vocabulary) -> list[dict]:
    cls, sep = vocabulary.cls_token_id, vocabulary.sep_token_id
    return [
        example([cls, 20, 21, 22, sep, 30, 31, sep], 5, index=0, label=1),
        example([cls, 40, sep, 50, sep], 3, index=1),
    ]


def test_pad_batch_lengths() -> None:
    sequences = [np.array([1, 2, 3]), np.array([4])]
    assert pad_batch(sequences, 0).tolist() == [[1, 2, 3], [4, 0, 0]]
    assert pad_batch(sequences, -1, pad_to_length=5).shape == (2, 5)
    assert pad_batch(sequences, 0, pad_to_multiple_of=8).shape == (2, 8)
    with pytest.raises(ValueError, match="pad_to_length"):
        pad_batch(sequences, 0, pad_to_length=2)


def test_collated_batch_layout(spec: MaskingSpec, vocabulary, batch_examples: list[dict]) -> None:
    batch = PretrainingCollator(spec, vocabulary.pad_token_id, seed=0, pad_to_multiple_of=4)(batch_examples)
    assert set(batch) == {"input_ids", "attention_mask", "token_type_ids", "labels", "sentence_order_label"}
    assert all(t.dtype == torch.long for t in batch.values())
    assert batch["input_ids"].shape == (2, 8)
    assert batch["attention_mask"].tolist() == [[1] * 8, [1] * 5 + [0] * 3]
    assert batch["token_type_ids"].tolist() == [[0] * 5 + [1] * 3, [0, 0, 0, 1, 1, 0, 0, 0]]
    assert batch["sentence_order_label"].tolist() == [1, 0]
    assert (batch["input_ids"][1, 5:] == vocabulary.pad_token_id).all()
    labels = batch["labels"]
    assert (labels[1, 5:] == IGNORE_INDEX).all()
    assert ((labels != IGNORE_INDEX).sum(dim=1) >= 1).all()


def test_masks_depend_only_on_seed_epoch_and_index(
    spec: MaskingSpec, vocabulary, batch_examples: list[dict]
) -> None:
    collate = PretrainingCollator(spec, vocabulary.pad_token_id, seed=0)
    alone = collate(batch_examples[1:])
    together = collate(batch_examples)
    torch.testing.assert_close(together["labels"][1, :5], alone["labels"][0, :5])
    other_seed = PretrainingCollator(spec, vocabulary.pad_token_id, seed=1)
    long_example = [example([2] + list(range(20, 120)) + [3, 50, 3], 102, index=0)]
    assert not torch.equal(collate(long_example)["labels"], other_seed(long_example)["labels"])
    assert not torch.equal(
        collate(long_example)["labels"], collate([{**long_example[0], "epoch": 1}])["labels"]
    )


def test_static_masking_ignores_epoch() -> None:
    assert masking_generator(0, 5, None).random() == masking_generator(0, 5, None).random()
    assert masking_generator(0, 5, 1).random() != masking_generator(0, 5, 2).random()
    assert masking_generator(0, 5, None).random() != masking_generator(0, 6, None).random()
