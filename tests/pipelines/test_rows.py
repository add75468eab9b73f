"""Rows and batches: length-grouped batches (per number of choices), right-side padding."""

from __future__ import annotations

import itertools

from albert.pipelines.rows import Row, collate, length_sorted_batches


def test_length_sorted_batches_group_similar_lengths():
    rows = [Row({"input_ids": [1] * n}) for n in (9, 1, 5, 2, 8, 1)]
    batches = length_sorted_batches(rows, batch_size=2)
    assert sorted(itertools.chain(*batches)) == list(range(6))
    assert [[rows[i].length for i in b] for b in batches] == [[1, 1], [2, 5], [8, 9]]


def test_multiple_choice_rows_batch_only_with_the_same_number_of_choices():
    rows = [Row({"input_ids": [[1] * 3] * c}) for c in (2, 3, 2)]
    assert length_sorted_batches(rows, batch_size=8) == [[0, 2], [1]]


def test_collate_pads_on_the_right():
    rows = [Row({"input_ids": [2, 7, 3], "token_type_ids": [0, 0, 0], "attention_mask": [1, 1, 1]}),
            Row({"input_ids": [2, 3], "token_type_ids": [0, 0], "attention_mask": [1, 1]})]  # fmt: skip
    batch = collate(rows, pad_id=0)
    assert batch["input_ids"].tolist() == [[2, 7, 3], [2, 3, 0]]
    assert batch["attention_mask"].tolist() == [[1, 1, 1], [1, 1, 0]]
