"""Character offsets (fast tokenizer) point at the right characters of the original text; decoding
inverts encoding up to ALBERT's normalisation."""

from __future__ import annotations

import unicodedata

import pytest

from albert.tokenizer.normalize import preprocess_text


def spans(tok, text: str) -> list[tuple[str, str]]:
    """(piece, original text under its offsets) for each token, special tokens excluded."""
    enc = tok(text, return_offsets_mapping=True, add_special_tokens=False)
    pieces = tok.convert_ids_to_tokens(enc["input_ids"])
    return [(p, text[a:b]) for p, (a, b) in zip(pieces, enc["offset_mapping"])]


def test_mask_offsets(real_fast):
    enc = real_fast("The capital of [MASK] is Paris.", return_offsets_mapping=True)
    # [MASK] swallows the space on its left, and its span says so (as in transformers).
    assert enc["offset_mapping"] == [
        (0, 0),
        (0, 3),
        (4, 11),
        (12, 14),
        (14, 21),
        (22, 24),
        (25, 30),
        (30, 31),
        (0, 0),
    ]


def test_accents_quotes_whitespace(real_fast):
    assert spans(real_fast, "Café  über\t\tnaïve") == [
        ("▁cafe", "Café"),
        ("▁", "ü"),  # a standalone "▁" gets the span of the piece's first character, as in tokenizers
        ("uber", "über"),
        ("▁naive", "naïve"),
    ]
    # `` and '' are one piece ("), spanning both characters.
    assert spans(real_fast, "``Hi'' there") == [
        ("▁", "``"),
        ('"', "``"),
        ("hi", "Hi"),
        ('"', "''"),
        ("▁there", "there"),
    ]
    text = "  Hello \n\n world\u3000again  "
    assert spans(real_fast, text) == [("▁hello", "Hello"), ("▁world", "world"), ("▁again", "again")]
    # Decomposed accents (combining marks) belong to their letter.
    assert spans(real_fast, "Cafe\u0301 ok") == [("▁cafe", "Cafe\u0301"), ("▁ok", "ok")]
    # Deleted control characters do not shift the offsets of what follows.
    assert spans(real_fast, "\x01xyz a\x01b") == [
        ("▁", "\x01x"),
        ("xy", "\x01xy"),
        ("z", "z"),
        ("▁ab", "a\x01b"),
    ]


def test_offsets_with_pairs_and_specials(real_fast):
    enc = real_fast("Who?", "Paris [SEP] France", return_offsets_mapping=True)
    pieces = real_fast.convert_ids_to_tokens(enc["input_ids"])
    assert pieces == ["[CLS]", "▁who", "?", "[SEP]", "▁paris", "[SEP]", "▁france", "[SEP]"]
    assert enc["offset_mapping"] == [(0, 0), (0, 3), (3, 4), (0, 0), (0, 5), (6, 11), (12, 18), (0, 0)]


def test_digit_comma_offsets(real_fast):
    # "▁2010," is one vocabulary piece, split by the digit-comma rule; the comma gets its own character.
    assert spans(real_fast, "In 2010, we") == [("▁in", "In"), ("▁2010", "2010"), (",", ","), ("▁we", "we")]


def check_offsets(tok, lines: list[str]) -> None:
    """Each piece equals its span of the original text once normalised (lowercase, accents, NFKC)."""
    enc = tok(lines, return_offsets_mapping=True, add_special_tokens=False)
    total = good = 0
    for text, ids, offsets in zip(lines, enc["input_ids"], enc["offset_mapping"]):
        assert all(0 <= a <= b <= len(text) for a, b in offsets)
        assert [a for a, _ in offsets] == sorted(a for a, _ in offsets)
        for piece, (a, b) in zip(tok.convert_ids_to_tokens(ids), offsets):
            if piece in ("<unk>", "▁"):
                continue
            total += 1
            good += unicodedata.normalize("NFKC", preprocess_text(text[a:b])) == piece.lstrip("▁")
    print(f"\noffsets: {good}/{total} pieces equal their normalised span ({100 * good / total:.3f}%)")
    # The rest are characters that become several pieces (e.g. "½" -> "1⁄2"), which no offset can split.
    assert good >= 0.999 * total


def check_decode_inverts_encode(tok, lines: list[str]) -> None:
    checked = 0
    for text in lines:
        ids = tok.encode(text)
        if tok.unk_token_id in ids or any(unicodedata.category(c) in ("Cf", "Co") for c in text):
            continue  # <unk> loses the text; format characters are mapped by the charsmap
        expected = " ".join(unicodedata.normalize("NFKC", preprocess_text(text)).split())
        assert tok.decode(ids, skip_special_tokens=True) == expected, text
        checked += 1
    assert checked > 0.8 * len(lines)


def check_decode_matches_transformers(ours_slow, ours_fast, hf_slow, hf_fast) -> None:
    import random

    rng = random.Random(0)
    for _ in range(50):
        ids = [rng.randrange(len(ours_slow)) for _ in range(rng.randrange(1, 20))] + rng.sample(range(5), 3)
        rng.shuffle(ids)
        for skip in (False, True):
            assert ours_slow.decode(ids, skip_special_tokens=skip) == hf_slow.decode(
                ids, skip_special_tokens=skip
            )
            assert ours_fast.decode(ids, skip_special_tokens=skip) == hf_fast.decode(
                ids, skip_special_tokens=skip
            )


def test_offsets_on_generated_text(small_fast, parity_lines):
    check_offsets(small_fast, parity_lines)


@pytest.mark.parametrize("kind", ["slow", "fast"])
def test_decode_inverts_encode(kind, small_slow, small_fast, parity_lines):
    check_decode_inverts_encode(small_slow if kind == "slow" else small_fast, parity_lines)


def test_decode_matches_transformers(small_slow, small_fast, hf_small_slow, hf_small_fast):
    check_decode_matches_transformers(small_slow, small_fast, hf_small_slow, hf_small_fast)


def test_offsets_and_decoding_on_the_real_vocabulary(real_slow, real_fast, hf_slow, hf_fast, real_lines):
    """The checks above on the real 30k vocabulary and real text of ../shared/data."""
    check_offsets(real_fast, real_lines)
    for tok in (real_slow, real_fast):
        check_decode_inverts_encode(tok, real_lines)
    check_decode_matches_transformers(real_slow, real_fast, hf_slow, hf_fast)
