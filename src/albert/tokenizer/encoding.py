"""Tokenizer outputs: `Encoded` (one text's ids, offsets, word ids) and `BatchEncoding` (a call's result)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass
class Encoded:
    """One text encoded without special tokens. Offsets are (start, end) characters of the text."""

    ids: list[int]
    offsets: list[tuple[int, int]] | None = None
    words: list[int | None] | None = None
    tokens: list[str] | None = None


@dataclass(frozen=True)
class RowLayout:
    """Which parts of input `sample` a row holds: token windows of the first and second sequence."""

    sample: int
    a: tuple[int, int]
    b: tuple[int, int] | None
    specials: bool
    pad_left: int = 0
    pad_right: int = 0


class BatchEncoding(dict):
    """The output of a tokenizer call: a dict of `input_ids`, `token_type_ids`, `attention_mask`, ...

    Keys are also attributes (`enc.input_ids`). `to(device)` moves tensors; `word_ids(i)` and
    `sequence_ids(i)` describe the tokens of row `i`.
    """

    def __init__(
        self,
        data: dict[str, Any] | None = None,
        *,
        layouts: list[RowLayout] | None = None,
        word_source: Callable[[int, int], list[int | None] | None] | None = None,
    ) -> None:
        super().__init__(data or {})
        self._layouts = layouts
        self._word_source = word_source

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        try:
            return self[name]
        except KeyError:
            raise AttributeError(f"BatchEncoding has no key {name!r}; keys: {list(self)}") from None

    def __getstate__(self) -> dict:
        return {"data": dict(self), "layouts": self._layouts}

    def __setstate__(self, state: dict) -> None:
        self.update(state["data"])
        self._layouts, self._word_source = state["layouts"], None

    def to(self, device: Any) -> BatchEncoding:
        """Move every tensor to `device` (a torch device or string); returns self."""
        for key, value in self.items():
            if hasattr(value, "to") and callable(value.to):
                self[key] = value.to(device)
        return self

    def _layout(self, batch_index: int) -> RowLayout:
        if self._layouts is None:
            raise ValueError("this BatchEncoding was not produced by a tokenizer call")
        if not -len(self._layouts) <= batch_index < len(self._layouts):
            raise IndexError(f"batch index {batch_index} out of range for {len(self._layouts)} rows")
        return self._layouts[batch_index]

    def sequence_ids(self, batch_index: int = 0) -> list[int | None]:
        """Per token: 0 (first sequence), 1 (second sequence) or None (special token or padding)."""
        lay = self._layout(batch_index)
        return _with_specials(
            lay, [0] * (lay.a[1] - lay.a[0]), None if lay.b is None else [1] * (lay.b[1] - lay.b[0])
        )

    def word_ids(self, batch_index: int = 0) -> list[int | None]:
        """Per token: the index of the word it comes from (whitespace-separated words; None for special
        tokens and padding). Only AlbertTokenizerFast outputs have it, as in transformers."""
        lay = self._layout(batch_index)
        if self._word_source is None:
            raise ValueError("word_ids() is only available on outputs of AlbertTokenizerFast")
        words_a = self._word_source(lay.sample, 0)
        words_b = self._word_source(lay.sample, 1) if lay.b is not None else None
        assert words_a is not None
        return _with_specials(
            lay,
            words_a[lay.a[0] : lay.a[1]],
            None if words_b is None or lay.b is None else words_b[lay.b[0] : lay.b[1]],
        )


def _with_specials(lay: RowLayout, a: list, b: list | None) -> list:
    if lay.specials:
        row = [None, *a, None] + ([] if b is None else [*b, None])
    else:
        row = list(a) + ([] if b is None else list(b))
    return [None] * lay.pad_left + row + [None] * lay.pad_right
