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


@pytest.mark.parametrize("cls", [AlbertTokenizer, AlbertTokenizerFast], ids=lambda c: c.__name__)
@pytest.mark.parametrize("setting", [False, True])
def test_a_call_can_override_the_setting_for_itself(hf, small_spm, cls, setting):
    """`tok(text, split_special_tokens=...)` (and encode / tokenize / encode_plus) decide for that call
    only, as upstream; the word ids read later from the output follow the call's choice. (Compared with
    transformers' slow tokenizer: its fast one adds a piece before a special token after a space.)"""
    ours = _ours(cls, small_spm, split_special_tokens=setting)
    slow = hf.AlbertTokenizer(str(small_spm), split_special_tokens=setting)
    fast = hf.AlbertTokenizerFast(vocab_file=str(small_spm), split_special_tokens=setting)
    for text in TEXTS:
        for call in (not setting, setting, None):
            kw = {} if call is None else {"split_special_tokens": call}
            want = slow(text, **kw)["input_ids"]
            assert ours(text, **kw)["input_ids"] == want, (text, call)
            assert ours.encode(text, **kw) == slow.encode(text, **kw) == want
            assert ours.encode_plus(text, **kw)["input_ids"] == want
            assert ours([text, text], **kw)["input_ids"] == [want, want]
            assert ours.tokenize(text, **kw) == slow.tokenize(text, **kw), (text, call)
            if ours.is_fast and (setting if call is None else call):
                assert ours(text, **kw).word_ids() == fast(text, **kw).word_ids(), (text, call)
        assert ours(text)["input_ids"] == slow(text)["input_ids"]  # the setting itself is unchanged
    assert ours.split_special_tokens is setting
