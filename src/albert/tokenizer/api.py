"""The call API of both tokenizers: `tok(text, text_pair, padding=..., truncation=..., ...)`, `encode`,
`pad` (the ids-level API is `ids_api.py`). Rows are built by the pure functions of `rows.py`; the
tokenizer only supplies `_encode_texts` (ids without special tokens) and its special-token ids.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from albert.tokenizer.encoding import BatchEncoding, Encoded, RowLayout
from albert.tokenizer.inputs import (
    as_batch,
    check_lengths,
    check_text,
    describe,
    is_one_row,
    plain_list,
    split_pairs,
)
from albert.tokenizer.rows import (
    VERY_LARGE_INTEGER,
    as_tensors,
    build_rows,
    check_pad_multiple,
    pad_rows,
    resolve_padding,
    resolve_truncation,
)


class CallAPI:
    """transformers' tokenizer call API over `_encode_texts` (mixed into `AlbertTokenizerBase`)."""

    # Provided by AlbertTokenizerBase (with _encode_texts, _words_of, the special-token ids, ...).
    is_fast: bool
    model_max_length: int
    padding_side: str
    pad_token_type_id: int

    def _checked_truncation_side(self) -> str:
        """`truncation_side`, which users set as an attribute too (`tok.truncation_side = "left"`)."""
        side = getattr(self, "truncation_side", "right")
        if side not in ("right", "left"):
            raise ValueError(f"truncation_side must be 'right' or 'left', got {side!r}")
        return side

    # Over 80 lines only by transformers' 18 keyword arguments, one per line; the body is ~65 lines.
    def __call__(
        self,
        text: str | Sequence[str] | Sequence[Sequence[str]] | None = None,
        text_pair: str | Sequence[str] | Sequence[Sequence[str]] | None = None,
        *,
        add_special_tokens: bool = True,
        padding: bool | str = False,
        truncation: bool | str | None = None,
        max_length: int | None = None,
        stride: int = 0,
        is_split_into_words: bool = False,
        pad_to_multiple_of: int | None = None,
        padding_side: str | None = None,
        return_tensors: str | None = None,
        return_token_type_ids: bool | None = None,
        return_attention_mask: bool | None = None,
        return_overflowing_tokens: bool = False,
        return_special_tokens_mask: bool = False,
        return_offsets_mapping: bool = False,
        return_length: bool = False,
        verbose: bool = True,
        split_special_tokens: bool | None = None,
    ) -> BatchEncoding:
        """Encode a text, a pair, or a batch of them (lists). See docs/tokenizers.md for every option.

        Returns input_ids, token_type_ids and attention_mask (lists, or (B, S) tensors with
        return_tensors="pt"/"np"/"tf"/"jax"); a single text gives flat lists unless return_overflowing_tokens is set.
        """
        text, text_pair = split_pairs(text, text_pair, is_split_into_words)  # [(a, b), ...]
        batched, texts_a = as_batch(text, "text", is_split_into_words)
        texts_b: list | None = None
        if text_pair is not None:
            batched_b, texts_b = as_batch(text_pair, "text_pair", is_split_into_words)
            if batched_b != batched or len(texts_b) != len(texts_a):
                raise ValueError(
                    f"text ({len(texts_a)} inputs) and text_pair ({len(texts_b)} inputs) must both be single "
                    "texts or lists of the same length"
                )
        check_lengths(max_length, stride, pad_to_multiple_of)
        strategy = resolve_truncation(truncation, max_length, padding)
        if strategy is not None and max_length is None:
            max_length = self.model_max_length
            if max_length >= VERY_LARGE_INTEGER:
                strategy = None
        pad_mode = resolve_padding(padding)
        check_pad_multiple(strategy, padding, pad_to_multiple_of, max_length)
        want_offsets = bool(return_offsets_mapping)

        split = split_special_tokens  # None: the tokenizer's own setting
        enc_a = self._encode_inputs(texts_a, is_split_into_words, want_offsets, split)
        enc_b = (
            self._encode_inputs(texts_b, is_split_into_words, want_offsets, split)
            if texts_b is not None
            else None
        )
        n_special = self.num_special_tokens_to_add(enc_b is not None) if add_special_tokens else 0
        budget = (max_length - n_special) if (strategy is not None and max_length is not None) else 0
        if strategy is not None and budget < 0:
            raise ValueError(f"max_length={max_length} is shorter than the {n_special} special tokens")

        keys = ["input_ids"]
        keys += ["token_type_ids"] if return_token_type_ids is not False else []
        keys += ["attention_mask"] if return_attention_mask is not False else []
        keys += ["special_tokens_mask"] if return_special_tokens_mask else []
        keys += ["offset_mapping"] if want_offsets else []
        cols, layouts = build_rows(
            enc_a,
            enc_b,
            cls_id=self.cls_token_id,
            sep_id=self.sep_token_id,
            specials=add_special_tokens,
            strategy=strategy,
            budget=budget,
            stride=stride,
            overflow=return_overflowing_tokens,
            keys=keys,
            side=self._checked_truncation_side(),
        )
        lengths = [len(r) for r in cols["input_ids"]]

        if pad_mode is not None and lengths:
            layouts = self._pad(
                cols, layouts, lengths, pad_mode, max_length, pad_to_multiple_of, padding_side
            )

        data: dict[str, Any] = dict(cols)
        if return_overflowing_tokens:
            data["overflow_to_sample_mapping"] = [la.sample for la in layouts]
        if return_length:
            data["length"] = lengths
        if not batched and not return_overflowing_tokens and return_tensors is None:
            data = {k: v[0] for k, v in data.items()}
        elif return_tensors is not None:  # (overflow_to_sample_mapping and length are flat: one per row)
            data = as_tensors(data, return_tensors)
        if not self.is_fast:
            return BatchEncoding(data, layouts=layouts)
        source = self._fast_source(texts_a, texts_b, enc_a, enc_b, is_split_into_words, split)
        return BatchEncoding(data, layouts=layouts, source=source, id_to_token=self.convert_ids_to_tokens)

    def _pad(
        self,
        cols: dict[str, list],
        layouts: list[RowLayout],
        lengths: list[int],
        pad_mode: str,
        max_length: int | None,
        pad_to_multiple_of: int | None,
        padding_side: str | None,
    ) -> list[RowLayout]:
        """Pad `cols` in place to the longest row or `max_length` (rounded up to `pad_to_multiple_of`);
        returns the layouts with their padding recorded."""
        target = max(lengths) if pad_mode == "longest" else (max_length or self.model_max_length)
        if target >= VERY_LARGE_INTEGER:
            raise ValueError("padding='max_length' needs max_length (the tokenizer has no model_max_length)")
        if pad_to_multiple_of:
            target = -(-target // pad_to_multiple_of) * pad_to_multiple_of
        if self.pad_token_id is None:
            raise ValueError("padding needs a pad token")
        fill = {"input_ids": self.pad_token_id, "token_type_ids": self.pad_token_type_id, "attention_mask": 0,
                "special_tokens_mask": 1, "offset_mapping": (0, 0)}  # fmt: skip
        lefts, rights = pad_rows(cols, target, padding_side or self.padding_side, fill)
        layouts = [
            RowLayout(la.sample, la.a, la.b, la.specials, lp, rp)
            for la, lp, rp in zip(layouts, lefts, rights)
        ]
        return layouts

    def _encode_inputs(
        self, texts: list, split_words: bool, offsets: bool, split: bool | None = None
    ) -> list[Encoded]:
        if not split_words:
            return self._encode_texts(texts, offsets=offsets, split=split)
        # Pre-split words: each word is encoded as a text of its own; offsets are within the word.
        flat = [w for words in texts for w in words]
        encs = self._encode_texts(flat, offsets=offsets, split=split)
        out, k = [], 0
        for words in texts:
            ids: list[int] = []
            offs: list[tuple[int, int]] = []
            word_ids: list[int | None] = []
            for w in range(len(words)):
                e = encs[k]
                k += 1
                ids += e.ids
                word_ids += [w] * len(e.ids)
                if offsets:
                    offs += e.offsets or []
            out.append(Encoded(ids, offs if offsets else None, word_ids))
        return out

    def _fast_source(self, texts_a, texts_b, enc_a, enc_b, split_words: bool, split: bool | None):
        """What BatchEncoding's word and character maps read: a text's word ids or offsets, computed the
        first time they are asked for (most calls never ask)."""

        def source(sample: int, which: int, field: str) -> list:
            enc = (enc_a if which == 0 else enc_b)[sample]
            text = (texts_a if which == 0 else texts_b)[sample]
            if field == "words" and enc.words is None:
                enc.words = self._words_of(text, split)
            if field == "offsets" and enc.offsets is None:
                enc.offsets = self._encode_inputs([text], split_words, True, split)[0].offsets
            return enc.words if field == "words" else enc.offsets

        return source

    def encode(
        self,
        text: str,
        text_pair: str | None = None,
        add_special_tokens: bool = True,
        truncation: bool | str | None = None,
        max_length: int | None = None,
        stride: int = 0,
        padding: bool | str = False,
        return_tensors: str | None = None,
        split_special_tokens: bool | None = None,
        is_split_into_words: bool = False,
    ) -> list[int] | Any:
        """One text (or pair; or a list of words with `is_split_into_words=True`) -> ids. With
        `add_special_tokens=False`: just the pieces' ids."""
        _check_one_input(text, "text", is_split_into_words)
        if text_pair is not None:
            _check_one_input(text_pair, "text_pair", is_split_into_words)
        enc = self(text, text_pair, add_special_tokens=add_special_tokens, truncation=truncation,
                   max_length=max_length, stride=stride, padding=padding, return_tensors=return_tensors,
                   return_token_type_ids=False, return_attention_mask=False,
                   split_special_tokens=split_special_tokens,
                   is_split_into_words=is_split_into_words)  # fmt: skip
        return enc["input_ids"]

    def batch_encode_plus(self, batch_text_or_text_pairs: Sequence, **kwargs: Any) -> BatchEncoding:
        """transformers' older entry point: a list of texts or of (text, pair) tuples."""
        if batch_text_or_text_pairs and all(
            isinstance(x, tuple) and len(x) == 2 for x in batch_text_or_text_pairs
        ):
            return self(
                [a for a, _ in batch_text_or_text_pairs], [b for _, b in batch_text_or_text_pairs], **kwargs
            )
        return self(list(batch_text_or_text_pairs), **kwargs)

    def encode_plus(self, text: str, text_pair: str | None = None, **kwargs: Any) -> BatchEncoding:
        """One text or pair (a list of words each with `is_split_into_words=True`), as `tok(text, pair)`."""
        _check_one_input(text, "text", kwargs.get("is_split_into_words", False))
        return self(text, text_pair, **kwargs)

    def pad(
        self,
        encoded_inputs: dict[str, Any] | list[dict[str, Any]],
        padding: bool | str = True,
        max_length: int | None = None,
        pad_to_multiple_of: int | None = None,
        padding_side: str | None = None,
        return_attention_mask: bool | None = None,
        return_tensors: str | None = None,
        verbose: bool = True,
    ) -> BatchEncoding:
        """Pad already encoded rows (a list of dicts, a dict of lists of rows, or one example), e.g. in a
        collator. The token-aligned keys are padded; other keys (`labels`, ...) pass through, as upstream."""
        check_lengths(max_length, 0, pad_to_multiple_of)
        cols, single = _pad_columns(encoded_inputs)
        if "attention_mask" not in cols and return_attention_mask is not False:
            cols["attention_mask"] = [[1] * len(r) for r in cols["input_ids"]]
        mode = resolve_padding(padding)
        if mode is not None and cols["input_ids"]:
            target = max(map(len, cols["input_ids"])) if mode == "longest" else max_length
            if target is None:
                raise ValueError("padding='max_length' needs max_length")
            if pad_to_multiple_of:
                target = -(-target // pad_to_multiple_of) * pad_to_multiple_of
            fill = {"input_ids": self.pad_token_id, "token_type_ids": self.pad_token_type_id, "attention_mask": 0,
                    "special_tokens_mask": 1, "offset_mapping": (0, 0)}  # fmt: skip
            aligned = {k: v for k, v in cols.items() if k in fill}
            pad_rows(aligned, target, padding_side or self.padding_side, fill)
            cols.update(aligned)
        data: dict[str, Any] = {k: v[0] for k, v in cols.items()} if single else cols
        if return_tensors is not None:
            data = as_tensors(data, return_tensors)
        return BatchEncoding(data)


def _check_one_input(text: Any, name: str, split_words: bool) -> None:
    """`encode` / `encode_plus` take one input: a str, or one list of words with is_split_into_words."""
    if not split_words:
        check_text(text, name)
    elif not (isinstance(text, (list, tuple)) and all(isinstance(w, str) for w in text)):
        raise TypeError(f"with is_split_into_words=True, {name} must be a list of str, got {describe(text)}")


def _pad_columns(encoded: Any) -> tuple[dict[str, list], bool]:
    """What `pad()` is given (a list of dicts, a dict of rows, or one example's dict) as columns of rows
    of plain lists, and whether it was one example."""
    single = isinstance(encoded, Mapping) and is_one_row(encoded.get("input_ids"))
    if single:
        encoded = [encoded]
    if isinstance(encoded, (list, tuple)):
        if not all(isinstance(e, Mapping) for e in encoded):
            raise TypeError(
                f"pad() takes encoded examples (dicts with input_ids, as the tokenizer returns them), got "
                f"{describe(encoded)}; to pad rows of ids, pass {{'input_ids': rows}}"
            )
        keys = list(encoded[0]) if encoded else ["input_ids"]
        cols = {k: [plain_list(e[k]) for e in encoded] for k in keys}
    elif isinstance(encoded, Mapping):
        cols = {k: [plain_list(r) for r in v] for k, v in encoded.items()}
    else:
        raise TypeError(f"pad() takes a dict or a list of dicts, got {describe(encoded)}")
    if "input_ids" not in cols:
        raise ValueError("pad() needs input_ids")
    for r, row in enumerate(cols["input_ids"]):
        if not isinstance(row, list):
            raise TypeError(f"pad(): input_ids row {r} must be a list of ids, got {describe(row)}")
    return cols, single
