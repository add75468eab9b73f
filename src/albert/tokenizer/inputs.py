"""Checks that turn what a caller passes (texts, pairs, word lists, ids) into plain lists, with clear
TypeErrors for anything else."""

from __future__ import annotations

import re
from typing import Any

_SURROGATE = re.compile("[\ud800-\udfff]")


def check_text(text: Any, name: str) -> str:
    """`text` itself if it is a str of Unicode text; TypeError or ValueError (a lone surrogate) otherwise."""
    if not isinstance(text, str):
        raise TypeError(f"{name} must be a str, got {describe(text)}")
    return check_unicode(text, name)


def check_unicode(text: str, name: str) -> str:
    """ValueError for a lone surrogate (U+D800-U+DFFF): Python strings may hold one (e.g. from
    `errors="surrogateescape"`), but it is not text and neither SentencePiece nor `tokenizers` take it."""
    found = _SURROGATE.search(text)
    if found:
        raise ValueError(
            f"{name} contains a lone surrogate U+{ord(found.group()):04X} at character {found.start()}, which "
            "is not Unicode text; remove it, or decode the bytes with errors='replace'"
        )
    return text


def check_count(value: Any, name: str, minimum: int, *, optional: bool = True) -> None:
    """A length option (`max_length`, `stride`, `pad_to_multiple_of`) must be an int >= `minimum` (or None
    where `optional`): a float or a string would otherwise fail deep in slicing with no name."""
    if value is None and optional:
        return
    if isinstance(value, bool) or not isinstance(value, int):
        hint = f" (int({value!r}) if you meant it)" if isinstance(value, (float, str)) else ""
        raise TypeError(f"{name} must be an int, got {value!r}{hint}")
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}" + (" or None" if optional else "") + f", got {value}")


def check_lengths(max_length: Any, stride: Any, pad_to_multiple_of: Any) -> None:
    """The call's length options, each checked by `check_count`."""
    check_count(max_length, "max_length", 0)
    check_count(stride, "stride", 0, optional=False)
    check_count(pad_to_multiple_of, "pad_to_multiple_of", 1)


def describe(value: Any) -> str:
    """What a value is, for error messages ("a list of int")."""
    if isinstance(value, (list, tuple)) and value:
        return f"a {type(value).__name__} of {type(value[0]).__name__}"
    return "None" if value is None else type(value).__name__


def split_pairs(text: Any, text_pair: Any, split_words: bool) -> tuple[Any, Any]:
    """transformers' batch of pairs, `[(a, b), ...]` as `text` alone, as (texts, pairs); else unchanged."""
    if text_pair is not None or split_words or not isinstance(text, (list, tuple)) or not text:
        return text, text_pair
    if all(isinstance(t, (list, tuple)) and len(t) == 2 and all(isinstance(x, str) for x in t) for t in text):
        return [t[0] for t in text], [t[1] for t in text]
    return text, text_pair


def as_batch(value: Any, name: str, split_words: bool) -> tuple[bool, list]:
    """(batched?, list of texts or of word lists) with clear TypeErrors for anything else."""
    if not split_words:
        if isinstance(value, str):
            return False, [check_unicode(value, name)]
        if isinstance(value, (list, tuple)):
            for i, item in enumerate(value):
                if not isinstance(item, str):
                    raise TypeError(
                        f"{name} must be a str or a list of str; item {i} is {describe(item)} "
                        "(to pass words, use is_split_into_words=True; ids are not accepted as text)"
                    )
                check_unicode(item, f"{name} item {i}")
            return True, list(value)
        raise TypeError(f"{name} must be a str or a list of str, got {describe(value)}")
    if isinstance(value, (list, tuple)) and all(isinstance(w, str) for w in value):
        return False, [[check_unicode(w, f"{name} word {j}") for j, w in enumerate(value)]]
    if isinstance(value, (list, tuple)) and all(
        isinstance(ws, (list, tuple)) and all(isinstance(w, str) for w in ws) for ws in value
    ):
        return True, [[check_unicode(w, f"{name} item {i} word {j}") for j, w in enumerate(ws)]
                      for i, ws in enumerate(value)]  # fmt: skip
    raise TypeError(f"with is_split_into_words=True, {name} must be a list of str or a list of lists of str")


def as_id_list(ids: Any) -> list[int]:
    """Token ids (int, list, tuple, numpy array, torch / TensorFlow / JAX tensor) -> list of int."""
    if not hasattr(ids, "tolist") and callable(getattr(ids, "numpy", None)):  # a TensorFlow tensor
        ids = ids.numpy()
    if hasattr(ids, "tolist"):
        ids = ids.tolist()
    if isinstance(ids, int):
        return [ids]
    if not isinstance(ids, (list, tuple)):
        raise TypeError(f"token ids must be an int or a list of int, got {type(ids).__name__}")
    out = []
    for i in ids:
        if isinstance(i, bool) or not isinstance(i, int):
            if hasattr(i, "__index__") and not isinstance(i, bool):
                i = int(i)
            else:
                raise TypeError(f"token ids must be ints, got {type(i).__name__}")
        out.append(i)
    return out


def plain_list(value: Any) -> Any:
    """A row or value as plain Python (lists of numbers), from lists, tuples, numpy or framework tensors."""
    if hasattr(value, "tolist"):
        return value.tolist()
    return list(value) if isinstance(value, (list, tuple)) else value


def is_one_row(value: Any) -> bool:
    """Whether `value` is one row of ids (a list or 1-D array of ints), not a list of rows."""
    value = plain_list(value)
    return isinstance(value, list) and (not value or not isinstance(value[0], (list, tuple)))
