"""Truncation on both sides (`truncation_side`), every strategy, with and without overflow and stride,
against transformers' fast tokenizer (both of ours follow `tokenizers`: docs/tokenizers.md), and its slow
one for the truncated row where the two upstream tokenizers agree (not `longest_first` on pairs with an
odd budget)."""

from __future__ import annotations

import itertools

import pytest

from albert.tokenizer import AlbertTokenizer, AlbertTokenizerFast

from .conftest import make_synthetic_corpus

SIDES = ("right", "left")
STRATEGIES = ("longest_first", "only_first", "only_second")


def plain_lines() -> list[str]:
    """Generated lines without ALBERT's user-defined symbols ( ) " - . (where transformers' fast
    tokenizer differs from SentencePiece, docs/tokenizers.md) and without digits."""
    out = []
    for line in make_synthetic_corpus(400, seed=11):
        if not any(c in line for c in '()"-.–£€,') and not any(c.isdigit() for c in line):
            out.append(line)
    return out


def _call(tok, a, b, **kwargs):
    try:
        return tok(a, b, **kwargs)
    except BaseException as e:  # both must refuse the same inputs (`tokenizers` panics: a BaseException)
        if isinstance(e, KeyboardInterrupt):
            raise
        return "refused"


@pytest.mark.parametrize("side", SIDES)
def test_rows_match_transformers(hf, small_spm, side):
    lines = plain_lines()
    assert len(lines) > 60
    theirs_fast = hf.AlbertTokenizerFast(vocab_file=str(small_spm), truncation_side=side)
    theirs_slow = hf.AlbertTokenizer(str(small_spm), truncation_side=side)
    ours = [AlbertTokenizer(str(small_spm)), AlbertTokenizerFast(str(small_spm))]
    for tok in ours:
        tok.truncation_side = side  # the attribute, as users set it
    cases = itertools.product(STRATEGIES, (7, 12, 20), (0, 2, 5))
    overflowed = 0
    for n, (strategy, max_length, stride) in enumerate(cases):
        a = lines[n * 2 : n * 2 + 2]
        b = lines[n * 2 + 30 : n * 2 + 32] if strategy != "only_first" or n % 2 else None
        if strategy == "only_second" and b is None:
            continue
        kw = dict(truncation=strategy, max_length=max_length)
        expected = _call(theirs_fast, a, b, **kw)
        for tok in ours:
            got = _call(tok, a, b, **kw)
            assert (got if isinstance(got, str) else got["input_ids"]) == (
                expected if isinstance(expected, str) else expected["input_ids"]
            ), (type(tok).__name__, strategy, max_length)
        if not isinstance(expected, str) and not (strategy == "longest_first" and b is not None):
            assert theirs_slow(a, b, **kw)["input_ids"] == expected["input_ids"]  # upstream's two agree
        kw.update(stride=stride, return_overflowing_tokens=True)
        expected = _call(theirs_fast, a, b, **kw)
        for tok in ours:
            got = _call(tok, a, b, **kw)
            if isinstance(expected, str):
                assert isinstance(got, str), (type(tok).__name__, strategy, max_length, stride, expected)
                continue
            assert got["input_ids"] == expected["input_ids"], (
                type(tok).__name__,
                strategy,
                max_length,
                stride,
            )
            assert got["overflow_to_sample_mapping"] == expected["overflow_to_sample_mapping"]
            overflowed += len(got["input_ids"]) > len(a)
    assert overflowed >= 15  # most cases made overflow rows (18 of the 24 that are not refused)


def test_left_truncation_keeps_the_end(small_fast):
    tok = AlbertTokenizerFast.from_pretrained(small_fast.name_or_path, truncation_side="left")
    ids = tok("the city was new and the school was first", add_special_tokens=False)["input_ids"]
    assert tok("the city was new and the school was first", max_length=5, truncation=True)["input_ids"] == [
        tok.cls_token_id,
        *ids[-3:],
        tok.sep_token_id,
    ]


def test_bad_truncation_side_is_a_clear_error(small_spm):
    with pytest.raises(ValueError, match="truncation_side must be 'right' or 'left', got 'middle'"):
        AlbertTokenizer(str(small_spm), truncation_side="middle")
    tok = AlbertTokenizerFast(str(small_spm))
    tok.truncation_side = "end"
    with pytest.raises(ValueError, match="truncation_side must be 'right' or 'left', got 'end'"):
        tok("the city", truncation=True, max_length=3)
