"""The pure functions that cut, pack and pad token sequences into the rows of a tokenizer output.

Truncation and overflow follow `tokenizers` (what transformers' fast tokenizers do), for both of our
tokenizers:

* the budget for the text is `max_length` minus the special tokens ([CLS], [SEP]s);
* `longest_first` on a pair: if both are long, the shorter one keeps `budget // 2` tokens and the longer one
  the rest (`tokenizers`' rule; transformers' slow tokenizer removes one token at a time from the longer
  sequence, which can differ by one token when the budget is odd);
* overflow: windows of the truncated length that start `length - stride` tokens apart, until one reaches the
  end; every window becomes its own row, with `overflow_to_sample_mapping` naming its input.
"""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from typing import Any

from albert.tokenizer.encoding import Encoded, RowLayout

VERY_LARGE_INTEGER = int(1e30)  # transformers' "no limit" model_max_length

TRUNCATION_STRATEGIES = ("longest_first", "only_first", "only_second")


# ----- truncation ---------------------------------------------------------------------------------


def resolve_truncation(
    truncation: bool | str | None, max_length: int | None, padding: bool | str | None = False
) -> str | None:
    """The strategy name, or None for no truncation. `None` means longest_first when a max_length is given
    without padding, and no truncation otherwise (transformers' rule: `padding="max_length", max_length=8`
    alone pads to 8 and leaves longer inputs whole)."""
    if truncation is None:
        return "longest_first" if max_length is not None and resolve_padding(padding) is None else None
    if truncation is False or truncation == "do_not_truncate":
        return None
    if truncation is True:
        return "longest_first"
    if truncation in TRUNCATION_STRATEGIES:
        return str(truncation)
    raise ValueError(f"truncation must be True, False or one of {TRUNCATION_STRATEGIES}, got {truncation!r}")


def check_pad_multiple(
    strategy: str | None, padding: bool | str | None, pad_to_multiple_of: int | None, max_length: int | None
) -> None:
    """Truncating to max_length and padding to a multiple that max_length is not would overshoot it."""
    if (
        strategy
        and resolve_padding(padding)
        and pad_to_multiple_of
        and max_length
        and max_length % pad_to_multiple_of
    ):
        raise ValueError(
            f"truncation to max_length={max_length} and padding to a multiple of {pad_to_multiple_of} contradict "
            "each other: choose a max_length that is a multiple of pad_to_multiple_of"
        )


def windows(length: int, size: int, stride: int, side: str = "right") -> list[tuple[int, int]]:
    """Token windows [start, stop) of at most `size` tokens, each starting `size - stride` after the last,
    until one reaches the end. The first window is the truncated sequence; the others overflow.

    `side="left"` (truncation_side) mirrors them: the first window holds the last `size` tokens, and
    each next one ends `size - stride` before the previous one (`tokenizers`' left truncation)."""
    if side == "left":
        return [(length - stop, length - start) for start, stop in windows(length, size, stride)]
    if length <= size:
        return [(0, length)]
    if size <= 0:
        raise ValueError("max_length leaves no room for the text after the special tokens")
    if stride >= size:
        raise ValueError(f"stride ({stride}) must be smaller than the truncated length ({size})")
    out, start = [], 0
    while True:
        stop = min(start + size, length)
        out.append((start, stop))
        if stop == length:
            return out
        start += size - stride


def longest_first_lengths(n1: int, n2: int, budget: int) -> tuple[int, int]:
    """How many tokens each sequence of a pair keeps under `longest_first` (`tokenizers`' rule)."""
    swap = n1 > n2
    short, long_ = (n2, n1) if swap else (n1, n2)
    long_ = short if short > budget else max(short, budget - short)
    if short + long_ > budget:
        short, long_ = budget // 2, budget // 2 + budget % 2
    return (long_, short) if swap else (short, long_)


def truncate_ids(
    ids: list[int], pair_ids: list[int] | None, remove: int, strategy: str, stride: int, side: str
) -> tuple[list[int], list[int] | None, list[int]]:
    """Remove `remove` tokens from a sequence or pair (transformers' `truncate_sequences`): returns the kept
    ids, the kept pair ids and the overflowing tokens (the removed ones plus `stride` kept ones before them;
    none for a pair under longest_first, which splits the cut as `longest_first_lengths` does)."""
    if remove <= 0:
        return ids, pair_ids, []
    if strategy not in TRUNCATION_STRATEGIES:
        raise ValueError(f"truncation_strategy must be one of {TRUNCATION_STRATEGIES}, got {strategy!r}")
    if strategy == "longest_first" and pair_ids is not None:
        budget = max(len(ids) + len(pair_ids) - remove, 0)
        n1, n2 = longest_first_lengths(len(ids), len(pair_ids), budget)
        keep = (lambda x, n: x[len(x) - n :]) if side == "left" else (lambda x, n: x[:n])
        return keep(ids, n1), keep(pair_ids, n2), []
    second = strategy == "only_second"
    if second and pair_ids is None:
        raise ValueError(
            "truncation_strategy='only_second' needs pair_ids; use 'longest_first' or 'only_first'"
        )
    target = pair_ids if second else ids
    assert target is not None
    if len(target) <= remove:
        which = "second" if second else "first"
        raise ValueError(
            f"cannot remove {remove} tokens from the {which} sequence, which has {len(target)}: choose a larger "
            "max_length or another truncation strategy"
        )
    window = min(len(target), stride + remove)
    if side == "left":
        kept, overflow = target[remove:], target[:window]
    else:
        kept, overflow = target[:-remove], target[-window:]
    return (ids, kept, overflow) if second else (kept, pair_ids, overflow)


def plan_rows(
    len_a: int,
    len_b: int | None,
    strategy: str | None,
    budget: int,
    stride: int,
    overflow: bool,
    side: str = "right",
) -> list[tuple[tuple[int, int], tuple[int, int] | None]]:
    """Rows (window of A, window of B) for one input. Without `overflow` only the first row is kept.
    `side` is the truncation side."""
    whole_b = None if len_b is None else (0, len_b)
    total = len_a + (len_b or 0)
    if strategy is None or total <= budget:
        return [((0, len_a), whole_b)]
    if strategy == "only_second" and len_b is None:
        raise ValueError("truncation='only_second' needs a text_pair; use 'longest_first' or 'only_first'")
    if strategy == "longest_first":
        if len_b is None:
            wa, wb = windows(len_a, budget, stride, side), [None]
        else:
            n1, n2 = longest_first_lengths(len_a, len_b, budget)
            wa, wb = windows(len_a, n1, stride, side), windows(len_b, n2, stride, side)
    else:
        first = strategy == "only_first"
        target = len_a if first else len_b
        assert target is not None
        keep = target - (total - budget)
        if keep <= 0:
            which = "first" if first else "second"
            raise ValueError(
                f"cannot truncate only the {which} sequence ({target} tokens) to fit max_length: the other "
                f"sequence alone needs {total - target} of the {budget} tokens available"
            )
        if first:
            wa, wb = windows(len_a, keep, stride, side), [whole_b]
        else:
            wa, wb = [(0, len_a)], windows(target, keep, stride, side)
    if not overflow:
        return [(wa[0], wb[0])]
    # The order of `tokenizers`' Encoding.merge_with: main, then each overflow of A with every window of
    # B, then A's main window with each overflow of B.
    rows = [(wa[0], wb[0])]
    for a in wa[1:]:
        rows.extend((a, b) for b in wb)
    rows.extend((wa[0], b) for b in wb[1:])
    return rows


def build_rows(
    enc_a: list[Encoded],
    enc_b: list[Encoded] | None,
    *,
    cls_id: int,
    sep_id: int,
    specials: bool,
    strategy: str | None,
    budget: int,
    stride: int,
    overflow: bool,
    keys: Sequence[str],
    side: str = "right",
) -> tuple[dict[str, list], list[RowLayout]]:
    """Rows `[CLS] A [SEP] (B [SEP])` for every input (several with overflow), as columns `keys` (a subset
    of input_ids, token_type_ids, attention_mask, special_tokens_mask, offset_mapping)."""
    cols: dict[str, list] = {k: [] for k in keys}
    layouts: list[RowLayout] = []
    if strategy is None and enc_b is None and not specials and list(keys) == ["input_ids"]:
        # Bulk encoding (e.g. pretraining data): just the ids.
        cols["input_ids"] = [a.ids for a in enc_a]
        return cols, [RowLayout(i, (0, len(a.ids)), None, False) for i, a in enumerate(enc_a)]
    if (
        strategy is None
        and enc_b is None
        and specials
        and list(keys) == ["input_ids", "token_type_ids", "attention_mask"]
    ):
        # The common case (single texts, no truncation, default outputs), kept lean.
        ids_col, types_col, mask_col = cols["input_ids"], cols["token_type_ids"], cols["attention_mask"]
        for i, a in enumerate(enc_a):
            n = len(a.ids) + 2
            ids_col.append([cls_id, *a.ids, sep_id])
            types_col.append([0] * n)
            mask_col.append([1] * n)
            layouts.append(RowLayout(i, (0, n - 2), None, True))
        return cols, layouts
    for i, a in enumerate(enc_a):
        b = enc_b[i] if enc_b is not None else None
        for wa, wb in plan_rows(
            len(a.ids), None if b is None else len(b.ids), strategy, budget, stride, overflow, side
        ):
            _append_row(cols, a, b, wa, wb, specials, cls_id, sep_id)
            layouts.append(RowLayout(i, wa, wb, specials))
    return cols, layouts


def _append_row(
    cols: dict[str, list], a: Encoded, b: Encoded | None, wa, wb, specials: bool, cls_id, sep_id
) -> None:
    ids_a = a.ids[wa[0] : wa[1]]
    ids_b = b.ids[wb[0] : wb[1]] if b is not None and wb is not None else None
    n_a, n_b = len(ids_a), (len(ids_b) if ids_b is not None else None)
    if specials:
        ids = [cls_id, *ids_a, sep_id] + ([*ids_b, sep_id] if ids_b is not None else [])
        types = [0] * (n_a + 2) + ([1] * (n_b + 1) if n_b is not None else [])
        special_mask = [1] + [0] * n_a + [1] + ([0] * n_b + [1] if n_b is not None else [])
    else:
        ids = ids_a + (ids_b or [])
        types = [0] * n_a + [1] * (n_b or 0)
        special_mask = [0] * len(ids)
    cols["input_ids"].append(ids)
    if "token_type_ids" in cols:
        cols["token_type_ids"].append(types)
    if "attention_mask" in cols:
        cols["attention_mask"].append([1] * len(ids))
    if "special_tokens_mask" in cols:
        cols["special_tokens_mask"].append(special_mask)
    if "offset_mapping" in cols:
        off_a = a.offsets[wa[0] : wa[1]]  # type: ignore[index]
        off_b = b.offsets[wb[0] : wb[1]] if b is not None and wb is not None else None  # type: ignore[index]
        if specials:
            row = [(0, 0), *off_a, (0, 0)] + ([*off_b, (0, 0)] if off_b is not None else [])
        else:
            row = list(off_a) + list(off_b or [])
        cols["offset_mapping"].append(row)


def resolve_padding(padding: bool | str | None) -> str | None:
    """ "longest", "max_length" or None (no padding)."""
    if padding is False or padding == "do_not_pad" or padding is None:
        return None
    if padding is True or padding == "longest":
        return "longest"
    if padding == "max_length":
        return "max_length"
    raise ValueError(f"padding must be True, False, 'longest' or 'max_length', got {padding!r}")


# ----- padding and tensors ------------------------------------------------------------------------


def pad_rows(
    columns: dict[str, list[list]], target: int, side: str, fill: dict[str, Any]
) -> tuple[list[int], list[int]]:
    """Pad every row of every column to `target` on `side` ("right" or "left"), in place.

    Returns the left and right padding added to each row.
    """
    if side not in ("right", "left"):  # (a misspelt side would otherwise pad on the left, silently)
        raise ValueError(f"padding_side must be 'right' or 'left', got {side!r}")
    n_rows = len(columns["input_ids"])
    lefts, rights = [0] * n_rows, [0] * n_rows
    for r in range(n_rows):
        missing = target - len(columns["input_ids"][r])
        if missing <= 0:
            continue
        for key, rows in columns.items():
            pad = [fill[key]] * missing
            rows[r] = rows[r] + pad if side == "right" else pad + rows[r]
        if side == "right":
            rights[r] = missing
        else:
            lefts[r] = missing
    return lefts, rights


TOKEN_KEYS = ("input_ids", "token_type_ids", "attention_mask", "special_tokens_mask", "offset_mapping")


def as_tensors(data: dict[str, Any], kind: str) -> dict[str, Any]:
    """A tokenizer output's values as tensors of `kind`: rows of token keys stacked (`to_tensor`), other
    values (flat lists, labels, lengths) as they are (`to_array`); values that are tensors already stay."""
    out = {}
    for key, value in data.items():
        nested = isinstance(value, (list, tuple)) and bool(value) and isinstance(value[0], (list, tuple))
        if hasattr(value, "shape"):
            out[key] = value
        elif key in TOKEN_KEYS and nested:
            out[key] = to_tensor(value, kind, key)
        else:
            out[key] = to_array(value, kind)
    return out


def to_array(values: Any, kind: str) -> Any:
    """Values that are not token rows (`labels`, ...) as a tensor of `kind` ("pt", "np", "tf", "jax") made
    from the Python values, as transformers' BatchEncoding makes it (float labels: torch's float32)."""
    if kind not in _TENSOR_KINDS:
        raise ValueError(f"return_tensors must be None, 'pt', 'np', 'tf' or 'jax', got {kind!r}")
    framework = importlib.import_module(_TENSOR_KINDS[kind][0])
    make = {"pt": "tensor", "np": "asarray", "tf": "constant", "jax": "asarray"}[kind]
    try:
        return getattr(framework, make)(values)
    except (ValueError, TypeError) as e:
        raise ValueError(
            f"cannot make one {kind} tensor of values of different shapes ({e}): {str(values)[:80]}"
        ) from None


def to_tensor(rows: Sequence, kind: str, key: str) -> Any:
    """Stack equal-length rows into a torch ("pt") or numpy ("np") int64 array, or a TensorFlow ("tf")
    or JAX ("jax") int32 one (the dtype transformers gives those two)."""
    if kind not in _TENSOR_KINDS:
        raise ValueError(f"return_tensors must be None, 'pt', 'np', 'tf' or 'jax', got {kind!r}")
    lengths = {len(r) for r in rows}
    if len(lengths) > 1:
        raise ValueError(
            f"cannot stack {key} rows of different lengths {sorted(lengths)} into one tensor: pass "
            "padding=True (or padding='max_length' with max_length=...)"
        )
    import numpy as np

    if kind == "np":
        return np.asarray(rows, dtype=np.int64)
    if kind == "pt":
        import torch

        return torch.tensor(rows, dtype=torch.long)
    module, extra = _TENSOR_KINDS[kind]
    try:
        framework = importlib.import_module(module)
    except ImportError:
        raise ImportError(
            f"return_tensors={kind!r} needs {module}, which is not installed: pip install 'albert-lite[{extra}]', "
            "or use return_tensors='np'"
        ) from None
    array = np.asarray(rows, dtype=np.int32)
    return framework.constant(array) if kind == "tf" else framework.asarray(array)


_TENSOR_KINDS = {
    "pt": ("torch", ""),
    "np": ("numpy", ""),
    "tf": ("tensorflow", "tf"),
    "jax": ("jax.numpy", "flax"),
}
