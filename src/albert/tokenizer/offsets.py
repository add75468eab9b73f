"""Character offsets of the fast tokenizer: repairs for what the Rust normalisers drop or move.

Pure functions over (start, end) lists; `fast.py` applies them per chunk of text.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from functools import lru_cache

from albert.tokenizer.normalize import SPIECE_UNDERLINE, char_class, combining_ranges


def may_drop_characters(chunk: str) -> bool:
    """Whether normalising `chunk` can drop characters of it: combining marks, "``" / "''" pairs,
    control and format characters (a quick test; False means offsets need no repair)."""
    if "``" in chunk or "''" in chunk or not chunk.isprintable():
        return True
    if chunk.isascii():
        return False
    bmp, everything = _combining_regexes()
    if bmp.search(chunk) is not None:
        return True
    return max(chunk) > "\uffff" and everything.search(chunk) is not None


@lru_cache(maxsize=1)
def _combining_regexes() -> tuple[re.Pattern[str], re.Pattern[str]]:
    """Combining characters: the BMP ones (a fast regex), and all of them."""
    ranges = combining_ranges()
    return re.compile(char_class([r for r in ranges if r[1] < 0x10000])), re.compile(char_class(ranges))


def cover_dropped_characters(
    text: str, offsets: list[tuple[int, int]], first: int, start: int, end: int
) -> None:
    """Give characters the normaliser dropped to a token (in place, for tokens `first:` of one chunk
    spanning `start:end`): combining accents to the token before them, anything else that is not
    whitespace (the first quote of "``", control characters) to the token after them."""
    original = offsets[first:]
    for j, (_, b) in enumerate(original):
        nxt = original[j + 1][0] if j + 1 < len(original) else end
        k = b
        while k < nxt and unicodedata.combining(text[k]):
            k += 1
        if k > b:
            offsets[first + j] = (offsets[first + j][0], k)
    covered = start
    for j, (a, _) in enumerate(original):
        if a > covered:
            new = a
            while new > covered and not text[new - 1].isspace() and not unicodedata.combining(text[new - 1]):
                new -= 1
            if new < a:  # every token starting at `a` (e.g. "▁" and the piece after it) moves together
                for i in range(j, len(original)):
                    if original[i][0] != a:
                        break
                    offsets[first + i] = (new, offsets[first + i][1])
        covered = max(covered, offsets[first + j][1])


def spans_in_original(text: str, spans: list) -> list:
    """Spans over the per-character lowercased `text` -> spans over `text` itself."""
    starts = []  # index in `text` of each character of the lowercased text
    for i, ch in enumerate(text):
        starts += [i] * len(ch.lower())
    starts.append(len(text))
    return [(starts[a], starts[b] if b < len(starts) else len(text), token) for a, b, token in spans]


def split_offsets(pieces: list[str], span: tuple[int, int]) -> list[tuple[int, int]]:
    """Offsets for the pieces that replace one digit-comma piece covering `span`: the comma is the last
    character; the others share the rest in order of their lengths ("▁" alone takes the next character,
    as `tokenizers` reports it)."""
    start, end = span
    comma = max(start, end - 1)
    out, cursor = [], start
    for piece in pieces[:-1]:
        n = len(piece.lstrip(SPIECE_UNDERLINE))
        out.append((min(cursor, comma), min(cursor + max(n, 1), comma)))
        cursor += n
    out.append((comma, end))
    return out


def with_leading_space(
    text: str, pieces: Sequence[str], offsets: Sequence[tuple[int, int]]
) -> list[tuple[int, int]]:
    """`offsets` in the convention of transformers' converted ALBERT tokenizer, which maps a piece's "▁" to
    the whitespace character before the word: a piece starting with "▁" that follows whitespace starts at
    the last whitespace character, and a lone "▁" covers just that character. (Our offsets start at the
    word itself; the pipelines use these so that their `start`/`end` are transformers'.)"""
    out = []
    for piece, (start, end) in zip(pieces, offsets):
        if piece.startswith(SPIECE_UNDERLINE) and 0 < start <= len(text) and text[start - 1].isspace():
            start -= 1
            if piece == SPIECE_UNDERLINE:
                end = start + 1
        out.append((start, end))
    return out
