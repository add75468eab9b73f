"""The pure preprocessing functions and the SentencePiece model reader."""

from __future__ import annotations

import pytest

from albert.tokenizer.normalize import (
    apply_digit_comma_rule,
    is_digit_comma_piece,
    lowercase_chars,
    lowercase_outside,
    preprocess_text,
    remove_space,
    replace_quotes,
    split_digit_comma_piece,
    split_on_tokens,
    strip_accents,
    token_regex,
)
from albert.tokenizer.spm_proto import CONTROL, NORMAL, UNKNOWN, USER_DEFINED, parse_spm_model


def test_remove_space_collapses_unicode_whitespace():
    assert remove_space("  a \t b\n\nc\u3000d\x85e  ") == "a b c d e"
    assert remove_space(" \n ") == ""


def test_replace_quotes_left_to_right():
    assert replace_quotes("``hi''") == '"hi"'
    assert replace_quotes("```") == '"`'
    assert replace_quotes("it's") == "it's"


def test_strip_accents_uses_combining_class_not_category():
    assert strip_accents("falsé Café naïve") == "false Cafe naive"
    # U+0E35 THAI CHARACTER SARA II is a nonspacing mark (Mn) with combining class 0: it stays.
    assert strip_accents("ปี") == "ปี"
    # NFKD compatibility decomposition: ligature and superscript.
    assert strip_accents("ﬁ²") == "fi2"


def test_lowercase_chars_has_no_final_sigma():
    assert lowercase_chars("ΟΔΟΣ") == "οδοσ"
    assert "ΟΔΟΣ".lower() == "οδος"  # what a whole-string lower would give
    assert lowercase_chars("HeLLo") == "hello"


def test_preprocess_text_order():
    assert preprocess_text("  Héllo   ``World''  ") == 'hello "world"'
    assert preprocess_text("Héllo", keep_accents=True) == "héllo"
    assert preprocess_text("Héllo", do_lower_case=False) == "Hello"
    assert preprocess_text(" a  b ", remove_space=False) == " a  b "
    # NFKD can produce capitals; they are lowercased afterwards.
    assert preprocess_text("ℌ") == "h"


def test_lowercase_outside_spares_tokens():
    regex = token_regex(["[MASK]", "<pad>"])
    assert lowercase_outside("The [MASK] <PAD> [Mask]", regex) == "the [MASK] <pad> [mask]"


def test_split_on_tokens_spans_and_lstrip():
    regex = token_regex(["[MASK]", "[SEP]", "[MA"])
    text = "of  [MASK] is[SEP]x [MA"
    spans = split_on_tokens(text, regex, {"[MASK]": (True, False)})
    assert [(text[a:b], tok) for a, b, tok in spans] == [
        ("of", None),
        ("  [MASK]", "[MASK]"),  # the lstrip token's span takes the spaces it swallowed
        (" is", None),
        ("[SEP]", "[SEP]"),
        ("x ", None),
        ("[MA", "[MA"),
    ]
    assert split_on_tokens("", regex, {}) == []
    assert split_on_tokens("abc", None, {}) == [(0, 3, None)]


def test_rstrip_token():
    regex = token_regex(["<x>"])
    text = "a <x>  b"
    spans = split_on_tokens(text, regex, {"<x>": (False, True)})
    assert [(text[a:b], tok) for a, b, tok in spans] == [("a ", None), ("<x>  ", "<x>"), ("b", None)]


@pytest.mark.parametrize(
    ("piece", "expected"),
    [("▁9,", True), ("2000,", True), ("▁,", False), (",", False), ("a,", False), ("9", False), ("٣,", True)],
)
def test_is_digit_comma_piece(piece, expected):
    assert is_digit_comma_piece(piece) is expected


def test_split_digit_comma_piece():
    # A fake SentencePiece: dummy prefix, then one piece per character.
    def encode(text: str) -> list[str]:
        return ["▁" + text[0], *text[1:]] if text else []

    assert split_digit_comma_piece("▁92,", encode) == ["▁9", "2", ","]
    # A piece that did not start a word loses the "▁" the re-encoding adds...
    assert split_digit_comma_piece("00,", encode) == ["0", "0", ","]

    # ... and a standalone leading "▁" is dropped entirely.
    def encode_split(text: str) -> list[str]:
        return ["▁", *text]

    assert split_digit_comma_piece("12,", encode_split) == ["1", "2", ","]
    assert apply_digit_comma_rule(["▁a", "▁9,", "x"], encode) == ["▁a", "▁9", ",", "x"]


def test_parse_spm_model_real(real_spm):
    model = parse_spm_model(real_spm.read_bytes())
    assert len(model) == 30000
    assert model.pieces[:5] == ("<pad>", "<unk>", "[CLS]", "[SEP]", "[MASK]")
    assert model.types[:6] == (CONTROL, UNKNOWN, CONTROL, CONTROL, CONTROL, USER_DEFINED)
    assert model.pieces[5:13] == ("(", ")", '"', "-", ".", "–", "£", "€")
    assert model.types[13] == NORMAL and model.pieces[29999] == "▁eloquent"
    assert model.normalizer_name == "nmt_nfkc" and len(model.charsmap) > 1000
    assert model.unk_id == 1


def test_parse_spm_model_matches_protobuf(small_spm_dir):
    from sentencepiece import sentencepiece_model_pb2 as pb

    data = (small_spm_dir / "spiece.model").read_bytes()
    proto = pb.ModelProto()
    proto.ParseFromString(data)
    model = parse_spm_model(data)
    assert list(model.pieces) == [p.piece for p in proto.pieces]
    assert list(model.scores) == [p.score for p in proto.pieces]
    assert list(model.types) == [p.type for p in proto.pieces]
    assert model.charsmap == proto.normalizer_spec.precompiled_charsmap


@pytest.mark.parametrize("data", [b"", b"not a model at all", b"\x0a\xff\xff\xff"])
def test_parse_spm_model_rejects_garbage(data):
    with pytest.raises(ValueError, match="not a SentencePiece model"):
        parse_spm_model(data)
