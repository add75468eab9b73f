"""transformers' ids-level API: `prepare_for_model`, `truncate_sequences`, `max_len_single_sentence` /
`max_len_sentences_pair`, and the call's rule that `max_length` alone truncates only without padding.
The reference for the ids-level methods is transformers' slow tokenizer (the Python implementation both of
its tokenizers share); where ours refuses what it silently mishandles, docs/differences.md says so."""

from __future__ import annotations

import logging
import random

import pytest

from albert.tokenizer import AlbertTokenizer, AlbertTokenizerFast
from albert.tokenizer.rows import longest_first_lengths


def _options(rng: random.Random) -> dict:
    kw = dict(
        add_special_tokens=rng.random() < 0.8,
        padding=rng.choice([False, True, "max_length"]),
        truncation=rng.choice([None, True, "only_first", "only_second", False]),
        max_length=rng.choice([None, 6, 9, 14, 20]),
        stride=rng.choice([0, 1, 2]),
        return_overflowing_tokens=rng.random() < 0.4,
        return_special_tokens_mask=rng.random() < 0.5,
        return_length=rng.random() < 0.3,
        pad_to_multiple_of=rng.choice([None, 4]),
    )
    if kw["padding"] == "max_length" and kw["max_length"] is None:
        kw["padding"] = True
    return kw


def _run(tok, ids, pair, kw):
    try:
        return dict(tok.prepare_for_model(ids, pair, **kw))
    except (ValueError, TypeError) as e:
        return type(e).__name__


def _expected(hf_tok, ids, pair, kw, caplog) -> object:
    """transformers' answer, or "ValueError" where ours refuses on purpose: a strategy that cannot cut
    enough (transformers logs an error and returns the input untruncated) and only_second without a pair
    (transformers returns it untruncated without a word)."""
    caplog.clear()
    with caplog.at_level(logging.ERROR, logger="transformers"):
        ref = _run(hf_tok, ids, pair, kw)
    specials = (3 if pair is not None else 2) if kw["add_special_tokens"] else 0
    too_long = kw["max_length"] is not None and len(ids) + len(pair or []) + specials > kw["max_length"]
    if "We need to remove" in caplog.text or (
        kw["truncation"] == "only_second" and pair is None and too_long
    ):
        return "ValueError"
    return ref


@pytest.mark.parametrize("cls", [AlbertTokenizer, AlbertTokenizerFast])
def test_prepare_for_model_matches_transformers(cls, hf_small_slow, small_spm, caplog):
    ours = cls(str(small_spm)) if cls is AlbertTokenizer else cls(vocab_file=str(small_spm))
    rng, compared, odd = random.Random(0), 0, 0
    for _ in range(300):
        ids = [rng.randrange(5, 900) for _ in range(rng.randrange(1, 12))]
        pair = [rng.randrange(5, 900) for _ in range(rng.randrange(0, 12))] if rng.random() < 0.5 else None
        kw = _options(rng)
        side = rng.choice(["right", "left"])
        hf_small_slow.truncation_side = ours.truncation_side = side
        expected = _expected(hf_small_slow, ids, pair, kw, caplog)
        if expected == "TypeError":  # transformers fails: num_truncated_tokens without a max_length
            continue
        actual = _run(ours, ids, pair, kw)
        budget = (kw["max_length"] or 0) - 3
        budget_odd = kw["max_length"] is not None and budget % 2 == 1
        if actual != expected and pair is not None and kw["truncation"] in (True, None) and budget_odd:
            # longest_first on a pair with an odd budget: the call's split (tokenizers' rule, rows.py), so
            # prepare_for_model(ids) equals tok(text) for every input; transformers' slow one differs here.
            odd += 1
            assert (
                actual["token_type_ids"].count(0) - 2 == longest_first_lengths(len(ids), len(pair), budget)[0]
            )
            continue
        assert actual == expected, (ids, pair, kw, side)
        compared += 1
    hf_small_slow.truncation_side = "right"
    assert compared > 250 and odd < 10


def test_prepare_for_model_tensors_and_ids_of_tokens(small_fast, hf_small_slow):
    ids = small_fast.convert_tokens_to_ids(small_fast.tokenize("the city was quiet"))
    pair = small_fast.encode("at night", add_special_tokens=False)
    assert small_fast.prepare_for_model(ids, pair) == small_fast("the city was quiet", "at night")
    flat = small_fast.prepare_for_model(ids, return_tensors="pt")
    batch = small_fast.prepare_for_model(ids, return_tensors="np", prepend_batch_axis=True)
    theirs = hf_small_slow.prepare_for_model(ids, return_tensors="np", prepend_batch_axis=True)
    assert flat["input_ids"].shape == (len(ids) + 2,) and batch["input_ids"].shape == (1, len(ids) + 2)
    assert (batch["input_ids"] == theirs["input_ids"]).all()
    with pytest.raises(NotImplementedError, match="needs the text"):
        small_fast.prepare_for_model(ids, return_offsets_mapping=True)


@pytest.mark.parametrize("side", ["right", "left"])
def test_truncate_sequences_matches_transformers(small_slow, hf_small_slow, side):
    small_slow.truncation_side = hf_small_slow.truncation_side = side
    a, b = list(range(10, 20)), list(range(30, 36))
    try:
        for strategy, pair, remove, stride in [
            ("longest_first", None, 3, 0),
            ("longest_first", None, 3, 2),
            ("only_first", b, 4, 1),
            ("only_second", b, 2, 3),
            ("longest_first", b, 6, 0),  # an even cut: transformers' rule and ours agree
            ("only_first", None, 0, 0),
        ]:
            theirs = hf_small_slow.truncate_sequences(a, pair, remove, strategy, stride)
            assert small_slow.truncate_sequences(a, pair, remove, strategy, stride) == theirs
        with pytest.raises(ValueError, match="cannot remove 12 tokens from the first sequence, which has 10"):
            small_slow.truncate_sequences(a, b, 12, "only_first")
        with pytest.raises(ValueError, match="only_second' needs pair_ids"):
            small_slow.truncate_sequences(a, None, 2, "only_second")
    finally:
        small_slow.truncation_side = hf_small_slow.truncation_side = "right"


def test_max_len_properties(small_fast, hf_small_fast):
    tok = AlbertTokenizerFast(vocab_file=small_fast.vocab_file, model_max_length=128)
    assert (tok.max_len_single_sentence, tok.max_len_sentences_pair) == (126, 125)
    assert small_fast.max_len_single_sentence == hf_small_fast.max_len_single_sentence


@pytest.mark.parametrize("padding", ["max_length", True])
def test_max_length_with_padding_does_not_truncate(
    small_slow, small_fast, hf_small_slow, hf_small_fast, padding
):
    text = "the old man saw a small red boat near the quiet harbour"
    expected = hf_small_fast(text, padding=padding, max_length=6)
    assert hf_small_slow(text, padding=padding, max_length=6) == expected
    assert len(expected["input_ids"]) > 6
    for tok in (small_slow, small_fast):
        assert dict(tok(text, padding=padding, max_length=6)) == dict(expected)
        assert len(tok(text, max_length=6)["input_ids"]) == 6  # without padding, max_length truncates


def test_truncation_and_padding_to_a_contradicting_multiple_is_an_error(small_fast, hf_small_fast):
    with pytest.raises(ValueError, match="Truncation and padding are both activated"):
        hf_small_fast("a b c", truncation=True, padding=True, max_length=6, pad_to_multiple_of=4)
    with pytest.raises(ValueError, match="max_length=6 and padding to a multiple of 4 contradict"):
        small_fast("a b c", truncation=True, padding=True, max_length=6, pad_to_multiple_of=4)
