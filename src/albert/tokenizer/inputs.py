"""Checks that turn what a caller passes (texts, pairs, word lists, ids) into plain lists, with clear
TypeErrors for anything else."""

from __future__ import annotations

from typing import Any


def check_text(text: Any, name: str) -> str:
    """`text` itself if it is a str; TypeError otherwise."""
    if not isinstance(text, str):
        raise TypeError(f"{name} must be a str, got {describe(text)}")
    return text


def describe(value: Any) -> str:
    """What a value is, for error messages ("a list of int")."""
    if isinstance(value, (list, tuple)) and value:
        return f"a {type(value).__name__} of {type(value[0]).__name__}"
    return "None" if value is None else type(value).__name__


def as_batch(value: Any, name: str, split_words: bool) -> tuple[bool, list]:
    """(batched?, list of texts or of word lists) with clear TypeErrors for anything else."""
    if not split_words:
        if isinstance(value, str):
            return False, [value]
        if isinstance(value, (list, tuple)):
            for i, item in enumerate(value):
                if not isinstance(item, str):
                    raise TypeError(
                        f"{name} must be a str or a list of str; item {i} is {describe(item)} "
                        "(to pass words, use is_split_into_words=True; ids are not accepted as text)"
                    )
            return True, list(value)
        raise TypeError(f"{name} must be a str or a list of str, got {describe(value)}")
    if isinstance(value, (list, tuple)) and all(isinstance(w, str) for w in value):
        return False, [list(value)]
    if isinstance(value, (list, tuple)) and all(
        isinstance(ws, (list, tuple)) and all(isinstance(w, str) for w in ws) for ws in value
    ):
        return True, [list(ws) for ws in value]
    raise TypeError(f"with is_split_into_words=True, {name} must be a list of str or a list of lists of str")


def as_id_list(ids: Any) -> list[int]:
    """Token ids (int, list, tuple, numpy array or tensor) -> list of int."""
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
