"""`split_special_tokens=True` (transformers' option for text that must not smuggle in a [SEP] or [MASK]):
special tokens written in the text are encoded as text. Without added tokens both of ours equal both of
transformers' tokenizers (but for "<pad>" / "<unk>", which transformers' fast one still matches, unlike
SentencePiece and its slow one); with added tokens that are not special, they are still split on, as in
transformers' fast tokenizer (its slow one then ignores every added token)."""

from __future__ import annotations

import pytest

from albert.tokenizer import AlbertTokenizer, AlbertTokenizerFast

TEXTS = [
    "the city [MASK] was new [SEP] and the school",
    "[CLS]the war[SEP]",
    "a [mask] b [Mask] c",
    "plain text without any",
    "[MASK][MASK] the",
]


def _ours(cls, spm, **kwargs):
    return cls(str(spm), **kwargs) if cls is AlbertTokenizer else cls(vocab_file=str(spm), **kwargs)


@pytest.mark.parametrize("cls", [AlbertTokenizer, AlbertTokenizerFast], ids=lambda c: c.__name__)
def test_special_tokens_in_text_are_text(hf, small_spm, cls, tmp_path):
    ours = _ours(cls, small_spm, split_special_tokens=True)
    slow = hf.AlbertTokenizer(str(small_spm), split_special_tokens=True)
    fast = hf.AlbertTokenizerFast(vocab_file=str(small_spm), split_special_tokens=True)
    for text in TEXTS:
        ids = ours(text)["input_ids"]
        assert ids == slow(text)["input_ids"] == fast(text)["input_ids"], text
        assert ids.count(ours.mask_token_id) == 0 and ids.count(ours.sep_token_id) == 1
    default = _ours(cls, small_spm)
    assert default(TEXTS[0])["input_ids"].count(default.mask_token_id) == 1  # off by default, as upstream
    ours.save_pretrained(tmp_path)
    assert cls.from_pretrained(tmp_path).split_special_tokens is True
    assert hf.AutoTokenizer.from_pretrained(tmp_path).split_special_tokens is True
    ours.split_special_tokens = False  # an attribute, as upstream
    assert ours(TEXTS[0])["input_ids"] == default(TEXTS[0])["input_ids"]


@pytest.mark.parametrize("cls", [AlbertTokenizer, AlbertTokenizerFast], ids=lambda c: c.__name__)
def test_added_tokens_that_are_not_special_are_still_split_on(hf, small_spm, cls):
    ours = _ours(cls, small_spm, split_special_tokens=True)
    fast = hf.AlbertTokenizerFast(vocab_file=str(small_spm), split_special_tokens=True)
    for tok in (ours, fast):
        tok.add_tokens(["newtok"])
        tok.add_special_tokens({"additional_special_tokens": ["<special1>"]})
    # (no added token after a space: there transformers' fast tokenizer adds a piece, docs/differences.md)
    for text in ["newtok<special1>", "newtok, b <special1> c [MASK]", "[SEP]newtok"]:
        assert ours(text)["input_ids"] == fast(text)["input_ids"], text
        assert ours.convert_tokens_to_ids("newtok") in ours(text)["input_ids"]
        assert ours.convert_tokens_to_ids("<special1>") not in ours(text)["input_ids"]
