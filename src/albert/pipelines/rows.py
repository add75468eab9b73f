"""The pipelines' unit of work: a Row (one model input made from an item), and the length-grouped
batches the rows are cut into and padded as (`Pipeline.iter_results` is their one user)."""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import torch


@dataclass
class Row:
    """One model input made from an item: padded-later token features plus data for postprocess.

    `features` holds `input_ids`, `token_type_ids` and `attention_mask` as lists of ints, or, for
    multiple choice, as lists of C lists (one per choice).
    """

    features: dict[str, list]
    extras: dict[str, Any] = field(default_factory=dict)

    @property
    def nested(self) -> bool:
        ids = self.features["input_ids"]
        return bool(ids) and isinstance(ids[0], list)

    @property
    def length(self) -> int:
        ids = self.features["input_ids"]
        return max(map(len, ids)) if self.nested else len(ids)

    @property
    def group(self) -> int:
        """Rows batch together only within a group (multiple choice: the number of choices)."""
        return len(self.features["input_ids"]) if self.nested else 0


def make_row(encoding: Mapping[str, Any], index: int | None = None, **extras: Any) -> Row:
    """A Row from a tokenizer output (`index` picks one sequence of a batched/overflowing output).

    Missing `attention_mask` / `token_type_ids` default to ones / zeros, as the model would assume.
    """

    def pick(name: str) -> list[int] | None:
        value = encoding.get(name) if hasattr(encoding, "get") else None
        if value is None:
            return None
        return list(value[index]) if index is not None else list(value)

    ids = pick("input_ids")
    features = {
        "input_ids": ids,
        "token_type_ids": pick("token_type_ids") or [0] * len(ids),
        "attention_mask": pick("attention_mask") or [1] * len(ids),
    }
    return Row(features, extras)


def collate(rows: list[Row], pad_id: int) -> dict[str, torch.Tensor]:
    """Pad rows (right side, as the ALBERT tokenizers do) to the longest and stack: (B, T) or (B, C, T)."""
    width = max(row.length for row in rows)
    batch: dict[str, torch.Tensor] = {}
    for name in ("input_ids", "token_type_ids", "attention_mask"):
        fill = pad_id if name == "input_ids" else 0
        if rows[0].nested:
            data = [[seq + [fill] * (width - len(seq)) for seq in row.features[name]] for row in rows]
        else:
            data = [row.features[name] + [fill] * (width - len(row.features[name])) for row in rows]
        batch[name] = torch.tensor(data, dtype=torch.long)
    return batch


def length_sorted_batches(rows: list[Row], batch_size: int) -> list[list[int]]:
    """Row indices cut into batches of rows with similar length (and the same group)."""
    order = sorted(range(len(rows)), key=lambda i: (rows[i].group, rows[i].length))
    batches: list[list[int]] = []
    for _, members in itertools.groupby(order, key=lambda i: rows[i].group):
        members = list(members)
        batches.extend(members[k : k + batch_size] for k in range(0, len(members), batch_size))
    return batches
