"""Bad input gives a clear TypeError / ValueError / IndexError, never a crash deep inside."""

from __future__ import annotations

import pytest


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


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        (
            {"truncation": True, "max_length": 2.5},
            TypeError,
            r"max_length must be an int, got 2.5 \(int\(2.5\)",
        ),
        ({"truncation": True, "max_length": "10"}, TypeError, "max_length must be an int, got '10'"),
        ({"truncation": True, "max_length": 8, "stride": "2"}, TypeError, "stride must be an int"),
        ({"padding": True, "pad_to_multiple_of": "8"}, TypeError, "pad_to_multiple_of must be an int"),
        (
            {"padding": True, "pad_to_multiple_of": 0},
            ValueError,
            "pad_to_multiple_of must be >= 1 or None, got 0",
        ),
        ({"padding": True, "pad_to_multiple_of": -8}, ValueError, "pad_to_multiple_of must be >= 1"),
    ],
)
def test_length_options_must_be_ints(tok, kwargs, error, match):
    # (a float max_length used to fail inside list slicing; pad_to_multiple_of=0 was silently ignored)
    with pytest.raises(error, match=match):
        tok(["the school", "was"], **kwargs)
    if "stride" not in kwargs:
        with pytest.raises(error, match=match):
            tok.prepare_for_model([5, 6, 7], **kwargs)


def test_a_misspelt_padding_side_is_an_error_not_left_padding(tok):
    texts = ["the school was first", "a"]
    with pytest.raises(ValueError, match="padding_side must be 'right' or 'left', got 'rigth'"):
        tok(texts, padding=True, padding_side="rigth")
    rows = tok(texts)
    with pytest.raises(ValueError, match="got 'Right'"):
        tok.pad(rows, padding_side="Right")
    tok.padding_side = "middle"
    try:
        with pytest.raises(ValueError, match="got 'middle'"):
            tok(texts, padding=True)
    finally:
        tok.padding_side = "right"
    assert tok(texts, padding=True, padding_side="left")["attention_mask"][1][0] == 0


def test_pad_names_what_it_was_given(tok):
    with pytest.raises(TypeError, match=r"encoded examples .* got a list of list; to pad rows of ids, pass"):
        tok.pad([[2, 3], [2]])
    with pytest.raises(TypeError, match="input_ids row 0 must be a list of ids, got str"):
        tok.pad({"input_ids": "abc"})
    with pytest.raises(TypeError, match="a dict or a list of dicts, got str"):
        tok.pad("the school")
    with pytest.raises(TypeError, match="max_length must be an int"):
        tok.pad({"input_ids": [[2, 3], [2]]}, padding="max_length", max_length=4.0)


def test_a_special_token_cannot_be_unset(tok):
    with pytest.raises(ValueError, match=r"the pad_token cannot be unset \(None\)"):
        tok.pad_token = None
    assert tok.pad_token == "<pad>"


@pytest.mark.parametrize("option", ["do_lower_case", "keep_accents", "remove_space", "split_special_tokens"])
def test_on_off_options_must_be_booleans(small_spm_dir, option):
    # A hand-edited tokenizer_config.json with "false" (a string) was read as True.
    from albert.tokenizer import AlbertTokenizer, AlbertTokenizerFast

    for cls in (AlbertTokenizer, AlbertTokenizerFast):
        with pytest.raises(TypeError, match=f"{option} must be True or False, got 'false'"):
            cls.from_pretrained(small_spm_dir, **{option: "false"})
        assert getattr(cls.from_pretrained(small_spm_dir, **{option: 0}), option) is False


def test_a_directory_without_tokenizer_files_is_listed_briefly(tmp_path):
    from albert.tokenizer import AlbertTokenizer

    for k in range(40):
        (tmp_path / f"file{k:02d}.txt").write_text("x")
    with pytest.raises(FileNotFoundError, match=r"found: file00.txt, .* file11.txt, \.\.\. \(28 more\)"):
        AlbertTokenizer.from_pretrained(tmp_path)
