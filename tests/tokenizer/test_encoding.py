"""The maps of a tokenizer output (BatchEncoding): sequence ids, word ids, token / word / character maps
against transformers' fast tokenizer, and what they refuse."""

from __future__ import annotations

import pytest


def test_sequence_ids(tok):
    enc = tok("the city", "was", padding="max_length", max_length=12)
    seq = enc.sequence_ids()
    n_a = len(tok.encode("the city", add_special_tokens=False))
    assert seq[: n_a + 2] == [None] + [0] * n_a + [None]
    assert seq[-1] is None and 1 in seq


def test_word_ids_fast(small_fast, hf_small):
    texts = ["the school was first", "Café  naïve, über", "the [MASK] city"]
    ours = small_fast(texts)
    theirs = hf_small(texts)
    for i in range(len(texts)):
        assert ours.word_ids(i) == theirs.word_ids(i)
    with pytest.raises(IndexError):
        ours.word_ids(5)


def maps_of(enc, row: int, texts: tuple[str, str | None], max_word: int = 12) -> dict:
    """Every token/word/character map of one row, asked for every index (transformers' word_to_chars
    raises a TypeError for a word the row lacks; that is recorded as None)."""

    def word_chars(w: int, s: int):
        try:
            return enc.word_to_chars(row, w, sequence_index=s)
        except TypeError:
            return None

    n = len(enc.sequence_ids(row))
    seqs = [s for s in (0, 1) if texts[s] is not None]
    return {
        "token": [(enc.token_to_word(row, t), enc.token_to_sequence(row, t), enc.token_to_chars(row, t))
                  for t in range(n)],
        "char": [(enc.char_to_token(row, c, sequence_index=s), enc.char_to_word(row, c, sequence_index=s))
                 for s in seqs for c in range(len(texts[s]) + 1)],
        "word": [(enc.word_to_tokens(row, w, sequence_index=s), word_chars(w, s))
                 for s in seqs for w in range(max_word)],
    }  # fmt: skip


@pytest.mark.parametrize(
    "kwargs",
    [{}, {"padding": "max_length", "max_length": 24}, {"padding": True, "padding_side": "left"},
     {"truncation": "only_second", "max_length": 12, "stride": 2, "return_overflowing_tokens": True},
     {"return_tensors": "pt", "padding": True}],
)  # fmt: skip
def test_token_word_and_character_maps_match_transformers(small_fast, hf_small, kwargs):
    firsts = ["the school was first", "  Café  naïve, über  ", "the [MASK] city"]
    seconds = ["it was the first school in the city and the old town", "a b", "über alles"]
    for pairs in (None, seconds):
        ours = small_fast(firsts, pairs, **kwargs)
        theirs = hf_small(firsts, pairs, **kwargs)
        rows = len(theirs["input_ids"])
        assert len(ours["input_ids"]) == rows
        for row in range(rows):
            sample = (
                theirs["overflow_to_sample_mapping"][row] if "overflow_to_sample_mapping" in theirs else row
            )
            texts = (firsts[sample], None if pairs is None else pairs[sample])
            assert maps_of(ours, row, texts) == maps_of(theirs, row, texts), (pairs is not None, row)
            # transformers' tokens() gives a [MASK] that swallowed the space before it as " [MASK]"
            assert ours.tokens(row) == [t.replace(" [MASK]", "[MASK]") for t in theirs.tokens(row)]
    one = small_fast("the school was first")  # one text: single indices address row 0
    assert (
        one.char_to_token(5) == one.char_to_token(0, 5) == hf_small("the school was first").char_to_token(5)
    )
    assert one.word_to_tokens(1) == hf_small("the school was first").word_to_tokens(1)


def test_word_to_chars_of_a_word_the_row_lacks_is_none(small_fast):
    # transformers raises "TypeError: CharSpan() argument after * must be an iterable" here
    assert small_fast("the city").word_to_chars(7) is None


def test_token_maps_past_the_row_are_none_as_in_transformers(small_fast, hf_small):
    ours, theirs = small_fast("the city"), hf_small("the city")
    for ask in ("token_to_word", "token_to_sequence", "token_to_chars"):
        assert getattr(ours, ask)(99) is None and getattr(theirs, ask)(99) is None, ask
    assert ours.token_to_word(1) == theirs.token_to_word(1) == 0


def test_maps_need_the_fast_tokenizer_and_a_sequence_0_or_1(small_slow, small_fast):
    enc = small_slow("the city")
    for ask in (enc.tokens, lambda: enc.char_to_token(1), lambda: enc.word_to_tokens(0)):
        with pytest.raises(ValueError, match="only available on outputs of AlbertTokenizerFast"):
            ask()
    with pytest.raises(ValueError, match="sequence_index must be 0 or 1, got 2"):
        small_fast("the city").char_to_token(1, sequence_index=2)
    with pytest.raises(IndexError, match="batch index 3"):
        small_fast(["the city"]).char_to_token(3, 1)


def test_word_ids_slow_raises(small_slow):
    with pytest.raises(ValueError, match="AlbertTokenizerFast"):
        small_slow("the city").word_ids()


def test_is_fast_n_sequences_and_convert_to_tensors_as_in_transformers(
    small_slow, small_fast, hf, small_spm_dir
):
    hf_fast = hf.AlbertTokenizerFast.from_pretrained(small_spm_dir)
    hf_slow = hf.AlbertTokenizer.from_pretrained(small_spm_dir)
    for ours, theirs in ((small_fast, hf_fast), (small_slow, hf_slow)):
        for args in (("the city",), ("the city", "was new")):
            a, b = ours(*args), theirs(*args)
            assert (a.is_fast, a.n_sequences) == (b.is_fast, b.n_sequences), (ours.is_fast, args)
        for kind, axis in (("pt", True), ("np", False)):
            texts = "the city" if axis else ["the city", "a"]
            a = ours(texts, padding=True).convert_to_tensors(kind, prepend_batch_axis=axis)
            b = theirs(texts, padding=True).convert_to_tensors(kind, prepend_batch_axis=axis)
            assert {k: (tuple(v.shape), str(v.dtype), v.tolist()) for k, v in a.items()} == {
                k: (tuple(v.shape), str(v.dtype), v.tolist()) for k, v in b.items()
            }
    encoding = small_fast("the city")
    assert (
        encoding.convert_to_tensors(None) is encoding
        and encoding["input_ids"] == small_fast("the city")["input_ids"]
    )
