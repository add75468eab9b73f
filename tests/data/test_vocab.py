"""Tests for albert.data.vocab: the whole-word rule, vocabulary adapters and batch encoders."""

from __future__ import annotations

import pytest

from albert.data.vocab import Vocabulary, batch_encoder, is_word_start_piece


@pytest.mark.parametrize(
    ("piece", "expected"),
    [
        ("▁the", True),  # word-initial marker
        ("<unk>", True),  # starts with "<"
        (".", True),  # single punctuation character
        ("ing", False),  # lowercase continuation
        ("ING", False),  # the rule lowercases before comparing with a–z
        ("s.", False),  # letters and punctuation only
        ("90", True),  # digits are outside a–z: own unit
        ("é", True),  # non-English characters are always their own unit
        ("£", True),
        ("!'", True),  # the original's punctuation has no ' (nor = > <): a word of its own
        ("'s", True),
        ("s=", True),
        ("!?", False),  # punctuation only, more than one character: continues
    ],
)
def test_word_start_rule(piece: str, expected: bool) -> None:
    assert is_word_start_piece(piece) is expected


def test_from_sentencepiece_has_albert_layout(vocabulary: Vocabulary) -> None:
    assert (vocabulary.pad_token_id, vocabulary.cls_token_id, vocabulary.sep_token_id) == (0, 2, 3)
    assert vocabulary.mask_token_id == 4
    assert vocabulary.pieces[1] == "<unk>"
    table = vocabulary.word_start_table()
    assert table.shape == (vocabulary.vocab_size,) and table.dtype == bool
    assert table[vocabulary.pieces.index("▁")]


def test_from_tokenizer_duck_types_hf_api(vocabulary: Vocabulary) -> None:
    class FakeTokenizer:
        vocab_size = vocabulary.vocab_size
        cls_token_id, sep_token_id, mask_token_id, pad_token_id = 2, 3, 4, 0

        def convert_ids_to_tokens(self, ids: list[int]) -> list[str]:
            return [vocabulary.pieces[i] for i in ids]

        def encode(
            self, text: str, add_special_tokens: bool = True, split_special_tokens: bool = False
        ) -> list[int]:
            assert not add_special_tokens and split_special_tokens
            return [len(text)]

    tokenizer = FakeTokenizer()
    assert Vocabulary.from_tokenizer(tokenizer) == vocabulary
    assert batch_encoder(tokenizer)(["ab", "abc"]) == [[2], [3]]


def test_batch_encoder_for_sentencepiece(sp_processor, encode) -> None:
    ids = encode(["the city.", "war"])
    assert ids == [sp_processor.encode("the city."), sp_processor.encode("war")]


def test_rejects_special_id_outside_vocabulary() -> None:
    with pytest.raises(ValueError, match="mask_token_id"):
        Vocabulary(pieces=("<pad>", "a"), cls_token_id=0, sep_token_id=0, mask_token_id=5, pad_token_id=0)


@pytest.mark.parametrize("cls", ["AlbertTokenizer", "AlbertTokenizerFast"])
def test_text_that_spells_a_special_token_is_text_in_pretraining_data(sp_processor, tmp_path, cls) -> None:
    """Recipe §2.2: the original encodes the corpus with SentencePiece, where "[SEP]" is just characters; a
    control id inside a segment would be attended, never masked, and split a word unit."""
    import albert
    from albert.training.pretrain import _encoder

    (tmp_path / "spiece.model").write_bytes(sp_processor.serialized_model_proto())
    tokenizer = getattr(albert, cls)(str(tmp_path / "spiece.model"))
    text = "a [SEP] b [MASK] c <pad> d [CLS]"
    specials = {0, 2, 3, 4}
    for encode in (batch_encoder(tokenizer), _encoder(tokenizer)):
        (ids,) = encode([text])
        assert not specials & set(ids), tokenizer.convert_ids_to_tokens(ids)
    assert specials & set(tokenizer.encode(text, add_special_tokens=False))  # the tokenizer's own default
