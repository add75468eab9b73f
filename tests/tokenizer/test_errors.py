"""Bad input gives a clear TypeError / ValueError / IndexError, never a crash deep inside."""

from __future__ import annotations

import pytest


@pytest.fixture(params=["slow", "fast"])
def tok(request, small_slow, small_fast):
    return small_slow if request.param == "slow" else small_fast


@pytest.mark.parametrize("bad", [None, 123, 4.5, b"bytes", [1, 2, 3], ["ok", 7], {"a": 1}, [["nested"]]])
def test_call_rejects_non_text(tok, bad):
    with pytest.raises(TypeError, match="must be a str"):
        tok(bad)


@pytest.mark.parametrize("bad", [None, 123, [1, 2, 3], ["a"]])
def test_encode_and_tokenize_reject_non_text(tok, bad):
    with pytest.raises(TypeError, match="must be a str"):
        tok.encode(bad)
    with pytest.raises(TypeError, match="must be a str"):
        tok.tokenize(bad)


def test_int_list_message_points_at_the_problem(tok):
    with pytest.raises(TypeError, match="ids are not accepted as text"):
        tok([101, 102])


def test_pair_mismatch(tok):
    with pytest.raises(ValueError, match="same length"):
        tok(["a", "b"], ["c"])
    with pytest.raises(ValueError, match="same length"):
        tok("a", ["c"])
    with pytest.raises(TypeError, match="text_pair"):
        tok("a", 5)


def test_split_into_words_needs_lists(tok):
    with pytest.raises(TypeError, match="is_split_into_words"):
        tok("not a list", is_split_into_words=True)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"padding": "sideways"}, "padding must be"),
        ({"truncation": "middle"}, "truncation must be"),
        ({"truncation": True, "max_length": 1}, "shorter than the 2 special tokens"),
        ({"truncation": True, "max_length": 6, "stride": 4, "return_overflowing_tokens": True}, "stride"),
        ({"truncation": "only_second", "max_length": 4}, "needs a text_pair"),
        ({"stride": -1}, "stride must be"),
        ({"max_length": -3}, "max_length must be"),
        ({"return_tensors": "torch", "padding": True}, "return_tensors"),
        ({"padding": "max_length"}, "needs max_length"),
    ],
)
def test_bad_options(tok, kwargs, match):
    with pytest.raises(ValueError, match=match):
        tok("the school was the first in the city and the war", **kwargs)


def test_unexpected_keyword(tok):
    with pytest.raises(TypeError):
        tok("a", retrun_tensors="pt")  # a typo must not pass silently


def test_ragged_tensors(tok):
    with pytest.raises(ValueError, match="padding=True"):
        tok(["a", "the school was first"], return_tensors="np")


def test_decode_bad_ids(tok):
    with pytest.raises(IndexError, match="out of range"):
        tok.decode([5, 10_000])
    with pytest.raises(IndexError, match="out of range"):
        tok.decode([-100])
    with pytest.raises(TypeError, match="ints"):
        tok.decode(["a"])
    with pytest.raises(TypeError):
        tok.decode(None)
    with pytest.raises(IndexError):
        tok.convert_ids_to_tokens(999_999)
    with pytest.raises(TypeError):
        tok.convert_tokens_to_ids(5)


def test_bad_constructor_arguments(small_spm_dir):
    from albert.tokenizer import AlbertTokenizer, AlbertTokenizerFast

    with pytest.raises(TypeError, match="vocab_file"):
        AlbertTokenizerFast()
    with pytest.raises(ValueError, match="padding_side"):
        AlbertTokenizer(small_spm_dir / "spiece.model", padding_side="middle")
    with pytest.raises(TypeError):
        AlbertTokenizer(small_spm_dir / "spiece.model", not_an_option=True)  # type: ignore[call-arg]
    with pytest.raises(TypeError, match="mask_token"):
        AlbertTokenizer(small_spm_dir / "spiece.model", mask_token=3)
    with pytest.raises(TypeError, match="sp_model_kwargs"):
        AlbertTokenizer(small_spm_dir / "spiece.model", sp_model_kwargs={"no_such_flag": 1})
