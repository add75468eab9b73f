"""Training a vocabulary with ALBERT's settings; subword sampling."""

from __future__ import annotations

import pytest

from albert.tokenizer import (
    ALBERT_USER_DEFINED_SYMBOLS,
    AlbertTokenizer,
    AlbertTokenizerFast,
    train_sentencepiece,
)
from albert.tokenizer.normalize import is_digit_comma_piece
from albert.tokenizer.spm_proto import CONTROL, NORMAL, UNKNOWN, USER_DEFINED, parse_spm_model


def test_albert_id_layout(small_spm_dir):
    model = parse_spm_model((small_spm_dir / "spiece.model").read_bytes())
    assert len(model) == 400
    assert model.pieces[:5] == ("<pad>", "<unk>", "[CLS]", "[SEP]", "[MASK]")
    assert model.types[:5] == (CONTROL, UNKNOWN, CONTROL, CONTROL, CONTROL)
    assert model.pieces[5:13] == ALBERT_USER_DEFINED_SYMBOLS and set(model.types[5:13]) == {USER_DEFINED}
    assert set(model.types[13:]) == {NORMAL}
    assert model.normalizer_name == "nmt_nfkc"


def test_training_text_is_preprocessed(small_spm_dir):
    """The corpus has capitals and accents; encoding lowercases and strips them, so must training."""
    pieces = parse_spm_model((small_spm_dir / "spiece.model").read_bytes()).pieces[13:]
    assert not any(c.isupper() for p in pieces for c in p)
    assert not any(c in "éïüçñèû" for p in pieces for c in p)
    assert "▁cafe" in pieces


def test_trained_directory_loads_everywhere(small_spm_dir, hf):
    text = "The Café school, 1,234 (new) “film” – £5"
    ours = AlbertTokenizer.from_pretrained(small_spm_dir)
    assert AlbertTokenizerFast.from_pretrained(small_spm_dir).encode(text) == ours.encode(text)
    assert hf.AlbertTokenizer.from_pretrained(small_spm_dir).encode(text) == ours.encode(text)
    assert hf.AutoTokenizer.from_pretrained(small_spm_dir).encode(text) == ours.encode(text)


def test_train_classmethod_options(tmp_path, synthetic_corpus):
    corpus = tmp_path / "corpus.txt"
    corpus.write_text("\n".join(synthetic_corpus) + "\n\n\n", encoding="utf-8")
    tok = AlbertTokenizer.train(
        [corpus],
        tmp_path / "vocab",
        vocab_size=200,
        do_lower_case=False,
        input_sentence_size=500,
        num_threads=1,
    )
    assert isinstance(tok, AlbertTokenizer) and tok.vocab_size == 200 and tok.do_lower_case is False
    assert any(c.isupper() for p in tok.get_vocab() for c in p)  # cased vocabulary when not lowercasing
    assert (tmp_path / "vocab" / "tokenizer_config.json").is_file()


def test_train_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="training file"):
        train_sentencepiece(tmp_path / "missing.txt", tmp_path / "out")
    with pytest.raises(ValueError, match="needs files or sentences"):
        train_sentencepiece(None, tmp_path / "out")
    with pytest.raises(ValueError, match="vocab_size"):
        train_sentencepiece(None, tmp_path / "out", sentences=["a b c"], vocab_size=10)
    with pytest.raises(ValueError, match="training failed"):  # far more pieces than the text allows
        train_sentencepiece(None, tmp_path / "out", sentences=["a b c"] * 10, vocab_size=5000)
    with pytest.raises(
        ValueError, match=r"vocab_size=20 is fewer pieces .* need \(at least 40\); raise vocab_size"
    ):
        train_sentencepiece(None, tmp_path / "out", sentences=["the quick brown fox jumps over a lazy dog"] * 20,
                            vocab_size=20)  # fmt: skip


def test_subword_sampling(small_spm):
    kwargs = {"enable_sampling": True, "nbest_size": -1, "alpha": 0.1}
    tok = AlbertTokenizer(small_spm, sp_model_kwargs=kwargs)
    text = "unbelievably, 1,000,000 national universities in 2010, 2011, 2012,"
    samples = {tuple(tok.encode(text, add_special_tokens=False)) for _ in range(30)}
    assert len(samples) > 1  # sampling is on
    for ids in samples:
        assert not any(
            is_digit_comma_piece(p) for p in tok.convert_ids_to_tokens(list(ids))
        )  # rule still applied
        assert tok.decode(list(ids)) == text.lower()
    deterministic = AlbertTokenizer(small_spm)
    assert len({tuple(deterministic.encode(text)) for _ in range(5)}) == 1
    assert AlbertTokenizer.from_pretrained(small_spm, sp_model_kwargs=kwargs).sp_model_kwargs == kwargs
