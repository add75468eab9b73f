"""transformers' ids-level tokenizer API: `prepare_for_model`, `truncate_sequences` and the
`max_len_*` properties, for callers that bring their own ids (mixed into `AlbertTokenizerBase`; the rows
are built by the same pure functions of `rows.py` as the call's)."""

from __future__ import annotations

from typing import Any

from albert.tokenizer.encoding import BatchEncoding, Encoded
from albert.tokenizer.inputs import as_id_list, check_lengths
from albert.tokenizer.rows import (
    VERY_LARGE_INTEGER,
    build_rows,
    check_pad_multiple,
    resolve_padding,
    resolve_truncation,
    to_tensor,
    truncate_ids,
)


class IdsAPI:
    """Ids in, one model input out (transformers' lower-level API)."""

    # Provided by AlbertTokenizerBase (pad() by CallAPI).
    model_max_length: int

    @property
    def max_len_single_sentence(self) -> int:
        """The most text tokens one sequence can have within model_max_length ([CLS] and [SEP] aside)."""
        return self.model_max_length - self.num_special_tokens_to_add(False)

    @property
    def max_len_sentences_pair(self) -> int:
        """The most text tokens a pair can have within model_max_length ([CLS] and two [SEP]s aside)."""
        return self.model_max_length - self.num_special_tokens_to_add(True)

    def truncate_sequences(
        self,
        ids: list[int],
        pair_ids: list[int] | None = None,
        num_tokens_to_remove: int = 0,
        truncation_strategy: str = "longest_first",
        stride: int = 0,
    ) -> tuple[list[int], list[int] | None, list[int]]:
        """Cut `num_tokens_to_remove` ids: (ids, pair_ids, overflowing tokens), on `truncation_side`.

        A pair under longest_first is cut as the tokenizer call cuts it (`rows.longest_first_lengths`) and
        returns no overflowing tokens, as in transformers (docs/differences.md: its rule there differs)."""
        ids, pair = as_id_list(ids), None if pair_ids is None else as_id_list(pair_ids)
        strategy = "longest_first" if truncation_strategy is True else str(truncation_strategy)
        side = self._checked_truncation_side()
        return truncate_ids(ids, pair, int(num_tokens_to_remove), strategy, stride, side)

    # Over 80 lines only by transformers' 17 keyword arguments, one per line; the body is ~40 lines.
    def prepare_for_model(
        self,
        ids: list[int],
        pair_ids: list[int] | None = None,
        add_special_tokens: bool = True,
        padding: bool | str = False,
        truncation: bool | str | None = None,
        max_length: int | None = None,
        stride: int = 0,
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
        prepend_batch_axis: bool = False,
    ) -> BatchEncoding:
        """One model input from ids (e.g. `convert_tokens_to_ids` of your own tokens): special tokens, token
        types, truncation (`truncate_sequences`), padding, as transformers' `prepare_for_model`. Flat lists,
        or 1-D tensors (2-D with `prepend_batch_axis=True`)."""
        if return_offsets_mapping:
            raise NotImplementedError(
                "return_offsets_mapping needs the text (ids carry no character offsets): call the tokenizer on it"
            )
        ids, pair = as_id_list(ids), None if pair_ids is None else as_id_list(pair_ids)
        check_lengths(max_length, stride, pad_to_multiple_of)
        strategy = resolve_truncation(truncation, max_length, padding)
        if strategy is not None and max_length is None and self.model_max_length < VERY_LARGE_INTEGER:
            max_length = self.model_max_length
        check_pad_multiple(strategy, padding, pad_to_multiple_of, max_length)
        if return_overflowing_tokens and strategy == "longest_first" and pair is not None:
            raise ValueError(
                "overflowing tokens of a pair cannot be returned with truncation='longest_first': use "
                "'only_first' or 'only_second'"
            )
        total = (
            len(ids)
            + len(pair or [])
            + (self.num_special_tokens_to_add(pair is not None) if add_special_tokens else 0)
        )
        overflow: list[int] = []
        if strategy is not None and max_length is not None and total > max_length:
            ids, pair, overflow = self.truncate_sequences(ids, pair, total - max_length, strategy, stride)
        keys = ["input_ids"]
        keys += ["token_type_ids"] if return_token_type_ids is not False else []
        keys += ["special_tokens_mask"] if return_special_tokens_mask else []
        enc_b = None if pair is None else [Encoded(pair)]
        if not add_special_tokens and pair is not None:  # transformers: one token type without special tokens
            ids, enc_b = ids + pair, None
        cols, _ = build_rows([Encoded(ids)], enc_b, cls_id=self.cls_token_id, sep_id=self.sep_token_id,
                             specials=add_special_tokens, strategy=None, budget=0, stride=0, overflow=False,
                             keys=keys)  # fmt: skip
        if resolve_padding(padding) is not None or return_attention_mask is not False:
            cols = dict(
                self.pad(cols, padding, max_length, pad_to_multiple_of, padding_side, return_attention_mask)
            )
        data: dict[str, Any] = {k: v[0] for k, v in cols.items()}
        if return_overflowing_tokens:  # (transformers counts past max_length, negative when shorter)
            data["overflowing_tokens"] = overflow
            data["num_truncated_tokens"] = total - (max_length if max_length is not None else total)
        if return_length:
            data["length"] = len(data["input_ids"])
        if return_tensors is not None:
            data = {k: as_tensor(v, return_tensors, k, prepend_batch_axis) for k, v in data.items()}
        return BatchEncoding(data)


def as_tensor(value: list[int] | int, kind: str, key: str, batch_axis: bool) -> Any:
    """A list as a 1-D tensor, an int as a 0-D one; with `batch_axis` one dimension more in front."""
    t = to_tensor([value if isinstance(value, list) else [value]], kind, key)[0]  # (n,) or (1,)
    if not isinstance(value, list):
        t = t[0]  # ()
    return t[None] if batch_axis else t
