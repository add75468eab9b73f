"""ALBERT's text preprocessing, as pure functions.

These reproduce, step by step, what the original ALBERT code (and `transformers.AlbertTokenizer`) does to
a string before SentencePiece sees it (contract §6.2):

1. lowercase everything except special-token occurrences (one character at a time, see
   `lowercase_chars`), then split the text on special tokens, stripping whitespace next to tokens that
   ask for it (`[MASK]` eats the spaces on its left);
2. per chunk: collapse whitespace (`remove_space`), turn ```` `` ```` and ``''`` into ``"``, strip accents
   (NFKD, then drop every character with a non-zero canonical combining class), lowercase;
3. after SentencePiece: the digit-comma rule (`split_digit_comma_piece`).

The Unicode tables used by the fast tokenizer's Rust pipeline are built here too, from the running
Python's `unicodedata`, so both tokenizers share one definition of "whitespace" and "accent".
"""

from __future__ import annotations

import itertools
import re
import sys
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from functools import lru_cache

SPIECE_UNDERLINE = "▁"

# Characters where CPython's `str.lower` depends on context (Final_Sigma): lowering a string that
# contains one differs from lowering its characters one by one.
_CONTEXT_LOWER = "\u03a3"


# ----- the per-chunk steps ------------------------------------------------------------------------


def remove_space(text: str) -> str:
    """Trim and collapse every run of (Unicode) whitespace to one space: ``" ".join(text.split())``."""
    return " ".join(text.split())


def replace_quotes(text: str) -> str:
    """LaTeX-style quotes ```` `` ```` and ``''`` become ``"`` (left to right, non-overlapping)."""
    if "`" in text:
        text = text.replace("``", '"')
    if "'" in text:
        text = text.replace("''", '"')
    return text


def strip_accents(text: str) -> str:
    """NFKD, then drop every character whose canonical combining class is not 0.

    This is ALBERT's rule; note it is *not* "drop category Mn" (what `tokenizers.StripAccents` does):
    Thai vowel signs such as U+0E35 are Mn with class 0 and survive here.
    """
    if text.isascii():  # NFKD is the identity on ASCII and there are no combining marks
        return text
    return _combining_regex().sub("", unicodedata.normalize("NFKD", text))


def lowercase_chars(text: str) -> str:
    """Lowercase one character at a time, as transformers' `tokenize` does before splitting.

    Equal to `str.lower` except for a capital sigma at the end of a word, which `str.lower` turns into
    final sigma "ς" while a per-character lower gives "σ".
    """
    if _CONTEXT_LOWER in text:
        return "".join(ch.lower() for ch in text)
    return text.lower()


def preprocess_text(
    text: str, *, remove_space: bool = True, keep_accents: bool = False, do_lower_case: bool = True
) -> str:
    """ALBERT's `preprocess_text` for one chunk (no special tokens inside): space, quotes, accents, case."""
    if remove_space:
        text = " ".join(text.split())
    text = replace_quotes(text)
    if not keep_accents:
        text = strip_accents(text)
    if do_lower_case:
        # Again after NFKD, which can produce capitals ("ℌ" -> "H"). A whole-string lower, as upstream.
        text = text.lower()
    return text


# ----- special tokens -----------------------------------------------------------------------------


def token_regex(tokens: Iterable[str]) -> re.Pattern[str] | None:
    """A regex matching any of `tokens`, longest first (so the longest token wins at a position)."""
    unique = sorted({t for t in tokens if t}, key=len, reverse=True)
    if not unique:
        return None
    return re.compile("|".join(re.escape(t) for t in unique))


def lowercase_outside(text: str, tokens: re.Pattern[str] | None) -> str:
    """Lowercase `text` (per character) except where `tokens` matches.

    Lowercasing happens *before* the split on special tokens, so "<PAD>" becomes the special "<pad>"
    while "[mask]" is no longer "[MASK]": both are upstream behaviour.
    """
    if tokens is None:
        return lowercase_chars(text)
    out: list[str] = []
    last = 0
    for m in tokens.finditer(text):
        out.append(lowercase_chars(text[last : m.start()]))
        out.append(m.group())
        last = m.end()
    out.append(lowercase_chars(text[last:]))
    return "".join(out)


def split_on_tokens(
    text: str, tokens: re.Pattern[str] | None, strip: Mapping[str, tuple[bool, bool]]
) -> list[tuple[int, int, str | None]]:
    """Split `text` on the (leftmost, longest) occurrences of `tokens`: a list of (start, end, token),
    token None for the text chunks between them.

    `strip[token] = (lstrip, rstrip)`: an lstrip token removes the whitespace at the end of the chunk on
    its left (its span then starts where that whitespace started, as offsets in `tokenizers` do), an
    rstrip token the whitespace at the start of the chunk on its right. Empty chunks are dropped.
    """
    if tokens is None:
        return [(0, len(text), None)] if text else []
    parts: list[list] = []
    last = 0
    for m in tokens.finditer(text):
        parts.append([last, m.start(), None])
        parts.append([m.start(), m.end(), m.group()])
        last = m.end()
    parts.append([last, len(text), None])
    for i, (_, _, token) in enumerate(parts):
        if token is None:
            continue
        lstrip, rstrip = strip.get(token, (False, False))
        if rstrip and i + 1 < len(parts) and parts[i + 1][2] is None:
            right = parts[i + 1]
            new_start = right[1] - len(text[right[0] : right[1]].lstrip())
            parts[i][1] += new_start - right[0]
            right[0] = new_start
        if lstrip and i > 0 and parts[i - 1][2] is None:
            left = parts[i - 1]
            new_end = left[0] + len(text[left[0] : left[1]].rstrip())
            parts[i][0] -= left[1] - new_end
            left[1] = new_end
    return [(start, end, token) for start, end, token in parts if end > start]


# ----- the digit-comma rule -----------------------------------------------------------------------


def is_digit_comma_piece(piece: str) -> bool:
    """A piece such as "▁2010," or "9,": longer than one character, ends in ",", digit before it."""
    return len(piece) > 1 and piece[-1] == "," and piece[-2].isdigit()


def split_digit_comma_piece(piece: str, encode_as_pieces: Callable[[str], list[str]]) -> list[str]:
    """ALBERT's digit-comma rule for one piece (google-research/bert tokenization, contract §6.2 step 5).

    The piece without its comma and without any "▁" is encoded again; a "▁" that the re-encoding adds in
    front is removed when the original piece did not start a word; the comma becomes its own piece.
    Example: "▁9," -> ["▁9", ","]; with a vocabulary lacking "2000," but having "0,": "0," -> ["0", ","].
    """
    pieces = list(encode_as_pieces(piece[:-1].replace(SPIECE_UNDERLINE, "")))
    if piece[0] != SPIECE_UNDERLINE and pieces and pieces[0][0] == SPIECE_UNDERLINE:
        if len(pieces[0]) == 1:
            pieces = pieces[1:]
        else:
            pieces[0] = pieces[0][1:]
    pieces.append(piece[-1])
    return pieces


def apply_digit_comma_rule(pieces: Sequence[str], encode_as_pieces: Callable[[str], list[str]]) -> list[str]:
    """`split_digit_comma_piece` applied to every digit-comma piece of a SentencePiece output."""
    out: list[str] = []
    for piece in pieces:
        if is_digit_comma_piece(piece):
            out.extend(split_digit_comma_piece(piece, encode_as_pieces))
        else:
            out.append(piece)
    return out


# ----- Unicode tables (from this Python's unicodedata) --------------------------------------------


def _ranges(codepoints: Iterable[int]) -> tuple[tuple[int, int], ...]:
    out: list[tuple[int, int]] = []
    for cp in codepoints:
        if out and out[-1][1] == cp - 1:
            out[-1] = (out[-1][0], cp)
        else:
            out.append((cp, cp))
    return tuple(out)


@lru_cache(maxsize=1)
def _unicode_scan() -> tuple[tuple[tuple[int, int], ...], tuple[int, ...]]:
    """One pass over all code points: (ranges with combining class != 0, code points NFKD changes)."""
    combining, decomposable = [], []
    comb, decomp = unicodedata.combining, unicodedata.decomposition
    # Planes 0-3 and 14 hold every assigned character up to Unicode 16; surrogates are not characters.
    planes = itertools.chain(
        range(0xD800), range(0xE000, 0x40000), range(0xE0000, min(0xF0000, sys.maxunicode))
    )
    for cp in planes:
        ch = chr(cp)
        if comb(ch):
            combining.append(cp)
        if decomp(ch):
            decomposable.append(cp)
    return _ranges(combining), tuple(decomposable)


def combining_ranges() -> tuple[tuple[int, int], ...]:
    """Code point ranges whose canonical combining class is not 0 (what `strip_accents` drops)."""
    return _unicode_scan()[0]


def decomposable_codepoints() -> tuple[int, ...]:
    """Code points that NFKD changes (have a decomposition mapping)."""
    return _unicode_scan()[1]


def python_whitespace() -> str:
    """Every character that `str.split()` treats as whitespace."""
    return "".join(chr(cp) for cp in range(0x3001) if chr(cp).isspace())


def char_class(ranges: Iterable[tuple[int, int]], *, onig: bool = False) -> str:
    """A regex character class for `ranges`: Python `re` syntax, or Oniguruma's (for `tokenizers`)."""

    def esc(cp: int) -> str:
        return f"\\x{{{cp:X}}}" if onig else re.escape(chr(cp))

    return "[" + "".join(esc(a) if a == b else f"{esc(a)}-{esc(b)}" for a, b in ranges) + "]"


@lru_cache(maxsize=1)
def _combining_regex() -> re.Pattern[str]:
    return re.compile(char_class(combining_ranges()))
