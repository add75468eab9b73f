"""Tokenizer outputs: `Encoded` (one text's ids, offsets, word ids) and `BatchEncoding` (a call's result)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, NamedTuple


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


class TokenSpan(NamedTuple):
    """Tokens `start` to `end` (exclusive) of a row, as transformers' TokenSpan."""

    start: int
    end: int


class CharSpan(NamedTuple):
    """Characters `start` to `end` (exclusive) of an input text, as transformers' CharSpan."""

    start: int
    end: int


# (sample, sequence 0 or 1, "words" or "offsets") -> that field of the sample's Encoded, computed on first use
FastSource = Callable[[int, int, str], list]


class BatchEncoding(dict):
    """The output of a tokenizer call: a dict of `input_ids`, `token_type_ids`, `attention_mask`, ...

    Keys are also attributes (`enc.input_ids`). `to(device)` moves tensors; `sequence_ids(i)` describes
    the tokens of row `i`, and on outputs of AlbertTokenizerFast, as in transformers, `tokens(i)`,
    `word_ids(i)` and the maps between tokens, words and characters (`char_to_token`, `token_to_chars`,
    `word_to_tokens`, ...).
    """

    def __init__(
        self,
        data: dict[str, Any] | None = None,
        *,
        layouts: list[RowLayout] | None = None,
        source: FastSource | None = None,
        id_to_token: Callable[[list[int]], list[str]] | None = None,
    ) -> None:
        super().__init__(data or {})
        self._layouts = layouts
        self._source = source
        self._id_to_token = id_to_token

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        try:
            return self[name]
        except KeyError:
            raise AttributeError(
                f"BatchEncoding has no attribute or key {name!r}; keys: {list(self)}"
            ) from None

    def __getstate__(self) -> dict:
        return {"data": dict(self), "layouts": self._layouts}

    def __setstate__(self, state: dict) -> None:
        self.update(state["data"])
        self._layouts, self._source, self._id_to_token = state["layouts"], None, None

    @property
    def is_fast(self) -> bool:
        """Whether a fast tokenizer made it (its outputs have the token / word / character maps)."""
        return self._source is not None

    @property
    def n_sequences(self) -> int | None:
        """1 or 2: the texts of the first row, on outputs of AlbertTokenizerFast (None otherwise, as in
        transformers, whose slow tokenizers do not record it)."""
        if self._source is None or not self._layouts:
            return None
        return 1 if self._layouts[0].b is None else 2

    def convert_to_tensors(self, tensor_type: Any = None, prepend_batch_axis: bool = False) -> BatchEncoding:
        """Turn the values into tensors of `tensor_type` ("pt", "np", "tf", "jax"; None: nothing to do) in
        place, as transformers' method does; `prepend_batch_axis` first puts one example in a batch of 1."""
        if tensor_type is None:
            return self
        from albert.tokenizer.rows import as_tensors  # (rows.py imports this module)

        data = {k: [v] for k, v in self.items()} if prepend_batch_axis else dict(self)
        self.update(as_tensors(data, getattr(tensor_type, "value", tensor_type)))
        return self

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

    def _fast_row(self, batch_index: int, field: str, what: str) -> list:
        """Per token of row `batch_index`: `field` ("words" or "offsets") of its text, None at special
        tokens and padding."""
        lay = self._layout(batch_index)
        if self._source is None:
            raise ValueError(
                f"{what}() is only available on outputs of AlbertTokenizerFast (as in transformers)"
            )
        a = self._source(lay.sample, 0, field)[lay.a[0] : lay.a[1]]
        b = None if lay.b is None else self._source(lay.sample, 1, field)[lay.b[0] : lay.b[1]]
        return _with_specials(lay, a, b)

    def word_ids(self, batch_index: int = 0) -> list[int | None]:
        """Per token: the index of the word it comes from (whitespace-separated words; None for special
        tokens and padding). Only AlbertTokenizerFast outputs have it, as in transformers."""
        return self._fast_row(batch_index, "words", "word_ids")

    def tokens(self, batch_index: int = 0) -> list[str]:
        """The pieces of row `batch_index`, special tokens and padding included."""
        self._layout(batch_index)  # checks the index
        if self._id_to_token is None:
            raise ValueError(
                "tokens() is only available on outputs of AlbertTokenizerFast (as in transformers)"
            )
        ids = self["input_ids"]
        ids = ids.tolist() if hasattr(ids, "tolist") else ids
        rows = ids if ids and isinstance(ids[0], list) else [ids]  # one text, not batched: one flat row
        return self._id_to_token(rows[batch_index])

    def token_to_sequence(self, batch_or_token_index: int, token_index: int | None = None) -> int | None:
        """The sequence (0 or 1) a token belongs to; None for special tokens and padding."""
        row, token = _indices(batch_or_token_index, token_index)
        return _at(self.sequence_ids(row), token)

    def token_to_word(self, batch_or_token_index: int, token_index: int | None = None) -> int | None:
        """The word a token comes from (in its own sequence); None for special tokens and padding."""
        row, token = _indices(batch_or_token_index, token_index)
        return _at(self._fast_row(row, "words", "token_to_word"), token)

    def token_to_chars(self, batch_or_token_index: int, token_index: int | None = None) -> CharSpan | None:
        """The characters of its text a token covers; None for special tokens and padding."""
        row, token = _indices(batch_or_token_index, token_index)
        span = _at(self._fast_row(row, "offsets", "token_to_chars"), token)
        return None if span is None else CharSpan(*span)

    def word_to_tokens(
        self, batch_or_word_index: int, word_index: int | None = None, sequence_index: int = 0
    ) -> TokenSpan | None:
        """The tokens of a word of sequence `sequence_index`; None if the row holds none of them."""
        row, word = _indices(batch_or_word_index, word_index)
        words = self._fast_row(row, "words", "word_to_tokens")
        found = [t for t in self._sequence_tokens(row, sequence_index) if words[t] == word]
        return TokenSpan(found[0], found[-1] + 1) if found else None

    def word_to_chars(
        self, batch_or_word_index: int, word_index: int | None = None, sequence_index: int = 0
    ) -> CharSpan | None:
        """The characters of a word of sequence `sequence_index`; None if the row holds none of it
        (transformers raises a TypeError there)."""
        row, word = _indices(batch_or_word_index, word_index)
        tokens = self.word_to_tokens(row, word, sequence_index)
        if tokens is None:
            return None
        offsets = self._fast_row(row, "offsets", "word_to_chars")
        return CharSpan(offsets[tokens.start][0], offsets[tokens.end - 1][1])

    def char_to_token(
        self, batch_or_char_index: int, char_index: int | None = None, sequence_index: int = 0
    ) -> int | None:
        """The first token of sequence `sequence_index` whose characters include `char_index`; None if
        none does (a space, a character outside the row's window)."""
        row, char = _indices(batch_or_char_index, char_index)
        offsets = self._fast_row(row, "offsets", "char_to_token")
        for t in self._sequence_tokens(row, sequence_index):
            if offsets[t] is not None and offsets[t][0] <= char < offsets[t][1]:
                return t
        return None

    def char_to_word(
        self, batch_or_char_index: int, char_index: int | None = None, sequence_index: int = 0
    ) -> int | None:
        """The word of sequence `sequence_index` that includes character `char_index`, or None."""
        row, char = _indices(batch_or_char_index, char_index)
        token = self.char_to_token(row, char, sequence_index)
        return None if token is None else self.token_to_word(row, token)

    def _sequence_tokens(self, batch_index: int, sequence_index: int) -> list[int]:
        """The token positions of one sequence of the row; for a row of one text, every position (as in
        tokenizers, whatever `sequence_index`)."""
        if sequence_index not in (0, 1):
            raise ValueError(f"sequence_index must be 0 or 1, got {sequence_index!r}")
        sequences = self.sequence_ids(batch_index)
        if self._layout(batch_index).b is None:
            return list(range(len(sequences)))
        return [t for t, s in enumerate(sequences) if s == sequence_index]


def _indices(first: int, second: int | None) -> tuple[int, int]:
    """(row, index) from transformers' `(batch_or_index, index=None)` convention: one number is an index
    into row 0."""
    return (0, first) if second is None else (first, second)


def _at(per_token: list, token: int) -> Any:
    """`per_token[token]`, None past either end of the row (as transformers' fast encodings answer)."""
    return per_token[token] if -len(per_token) <= token < len(per_token) else None


def _with_specials(lay: RowLayout, a: list, b: list | None) -> list:
    if lay.specials:
        row = [None, *a, None] + ([] if b is None else [*b, None])
    else:
        row = list(a) + ([] if b is None else list(b))
    return [None] * lay.pad_left + row + [None] * lay.pad_right
