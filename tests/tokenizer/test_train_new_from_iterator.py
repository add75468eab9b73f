"""`AlbertTokenizerFast.train_new_from_iterator` (transformers' way to retrain a tokenizer on new text):
the same preprocessing, special tokens and ALBERT id layout, a new vocabulary of the size asked, and files
that both of transformers' ALBERT tokenizers read with the same ids."""

from __future__ import annotations

import pytest

from albert.tokenizer import AlbertTokenizer, AlbertTokenizerFast
from albert.tokenizer.spm_proto import parse_spm_model

TEXT = "The Café [MASK] was new, and the school (old) cost £5 - or €6."


@pytest.fixture(scope="module")
def original(small_spm) -> AlbertTokenizerFast:
    return AlbertTokenizerFast(vocab_file=str(small_spm))


def test_a_new_vocabulary_in_albert_layout_that_transformers_reads(hf, original, synthetic_corpus, tmp_path):
    batches = [synthetic_corpus[i : i + 64] for i in range(0, len(synthetic_corpus), 64)]
    new = original.train_new_from_iterator(iter(batches), 300, num_threads=1)
    assert len(new) == 300 and type(new) is AlbertTokenizerFast
    assert new.convert_ids_to_tokens(list(range(13))) == original.convert_ids_to_tokens(list(range(13)))
    assert new.get_vocab() != original.get_vocab()
    flat = original.train_new_from_iterator(synthetic_corpus, 300, num_threads=1)  # texts, not batches
    assert flat.get_vocab() == new.get_vocab()
    new.save_pretrained(tmp_path)
    ids = new(TEXT)["input_ids"]
    assert ids.count(new.mask_token_id) == 1
    assert hf.AlbertTokenizerFast.from_pretrained(tmp_path)(TEXT)["input_ids"] == ids
    assert hf.AlbertTokenizer.from_pretrained(tmp_path)(TEXT)["input_ids"] == ids
    assert AlbertTokenizer.from_pretrained(tmp_path)(TEXT)["input_ids"] == ids  # spiece.model is there


def test_settings_and_special_tokens_carry_over(original, small_spm, synthetic_corpus):
    cased = AlbertTokenizerFast(vocab_file=str(small_spm), do_lower_case=False, keep_accents=True)
    cased.add_special_tokens({"additional_special_tokens": ["<ent>"]})
    new = cased.train_new_from_iterator(
        synthetic_corpus,
        300,
        new_special_tokens=["<rel>"],
        special_tokens_map={"[CLS]": "<cls>"},
        num_threads=1,
    )
    assert not new.do_lower_case and new.keep_accents
    pieces = parse_spm_model(new._model.serialized).pieces
    assert any(c.isupper() for p in pieces for c in p) and "é" in "".join(pieces)  # trained on cased text
    assert (
        new.cls_token == "<cls>"
        and new.cls_token_id == 2
        and new.convert_ids_to_tokens([3, 4]) == ["[SEP]", "[MASK]"]
    )
    assert new.additional_special_tokens == ["<ent>", "<rel>"]
    assert new("a <rel> b")["input_ids"].count(new.convert_tokens_to_ids("<rel>")) == 1


def test_bad_text_is_named(original):
    with pytest.raises(TypeError, match="got one string; wrap it in a list"):
        original.train_new_from_iterator("just one text", 100)
    with pytest.raises(TypeError, match="got an item of type int"):
        original.train_new_from_iterator([["a text"], 7], 100)
    with pytest.raises(ValueError, match="the training text is empty"):
        original.train_new_from_iterator([[], ["   "]], 100)
