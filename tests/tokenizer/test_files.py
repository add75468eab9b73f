"""from_pretrained / save_pretrained: transformers reads what we write, we read what transformers writes."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from albert.tokenizer import AlbertTokenizer, AlbertTokenizerFast
from albert.tokenizer.spm_proto import parse_spm_model

SAMPLE = [
    "The school was the first in the city, in 1,000,000 years.",
    "  Café  über naïve ``quoted'' (bracketed) - £5 – €10 [MASK] end  ",
    "I was born in 92000, and this is falsé.",
]


@pytest.fixture(params=[AlbertTokenizer, AlbertTokenizerFast], ids=["slow", "fast"])
def cls(request):
    return request.param


def test_saved_files_equal_transformers(cls, small_spm, hf, tmp_path):
    written = cls(small_spm).save_pretrained(tmp_path / "ours")
    assert sorted(p.split("/")[-1] for p in written) == sorted(
        ["spiece.model", "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json"]
    )
    hf.AlbertTokenizer(str(small_spm)).save_pretrained(tmp_path / "theirs")
    for name in ("tokenizer_config.json", "special_tokens_map.json"):
        ours = json.loads((tmp_path / "ours" / name).read_text())
        theirs = json.loads((tmp_path / "theirs" / name).read_text())
        assert ours == theirs, name
    assert (tmp_path / "ours" / "spiece.model").read_bytes() == small_spm.read_bytes()


def test_transformers_loads_our_directory(cls, small_spm, hf, parity_lines, tmp_path):
    ours = cls(small_spm)
    ours.save_pretrained(tmp_path)
    lines = parity_lines[::5]
    expected = AlbertTokenizer(small_spm)(lines)["input_ids"]
    slow = hf.AlbertTokenizer.from_pretrained(tmp_path)
    assert [slow.encode(t) for t in lines] == expected
    auto = hf.AutoTokenizer.from_pretrained(tmp_path)  # the fast one, built from our tokenizer.json
    assert type(auto).__name__ == "AlbertTokenizerFast"
    got = auto(lines)["input_ids"]
    same = sum(a == b for a, b in zip(got, expected))
    print(f"\ntransformers' fast tokenizer on our tokenizer.json: {same}/{len(lines)} lines equal ours")
    assert same >= 0.995 * len(lines)
    assert auto(SAMPLE)["input_ids"] == ours(SAMPLE)["input_ids"]


def test_round_trip_keeps_options(cls, small_spm_dir, tmp_path):
    tok = cls.from_pretrained(small_spm_dir, do_lower_case=False, keep_accents=True, model_max_length=64)
    tok.save_pretrained(tmp_path)
    again = cls.from_pretrained(tmp_path)
    assert (again.do_lower_case, again.keep_accents, again.model_max_length) == (False, True, 64)
    assert again(SAMPLE)["input_ids"] == tok(SAMPLE)["input_ids"]
    assert again.mask_token == "[MASK]" and again._specials["mask_token"].lstrip


def test_load_spiece_model_alone(cls, small_spm_dir, small_slow, tmp_path):
    shutil.copy(small_spm_dir / "spiece.model", tmp_path / "spiece.model")
    tok = cls.from_pretrained(tmp_path)
    assert tok(SAMPLE)["input_ids"] == small_slow(SAMPLE)["input_ids"]
    direct = cls.from_pretrained(tmp_path / "spiece.model")  # a bare model file works too
    assert direct(SAMPLE)["input_ids"] == small_slow(SAMPLE)["input_ids"]


def test_load_tokenizer_json_alone(small_spm_dir, small_slow, tmp_path):
    shutil.copy(small_spm_dir / "tokenizer.json", tmp_path / "tokenizer.json")
    tok = AlbertTokenizerFast.from_pretrained(tmp_path)
    assert tok(SAMPLE)["input_ids"] == small_slow(SAMPLE)["input_ids"]
    with pytest.raises(FileNotFoundError, match="AlbertTokenizerFast"):
        AlbertTokenizer.from_pretrained(tmp_path)
    with pytest.raises(ValueError, match="no spiece.model"):
        tok.save_vocabulary(tmp_path)
    written = tok.save_pretrained(tmp_path / "again")
    assert not any(p.endswith("spiece.model") for p in written)
    assert (
        AlbertTokenizerFast.from_pretrained(tmp_path / "again")(SAMPLE)["input_ids"]
        == tok(SAMPLE)["input_ids"]
    )


def test_load_transformers_fast_directory(cls, small_spm, small_slow, hf, tmp_path):
    """transformers' fast tokenizer saves the user-defined symbols as added tokens and a tokenizer.json of
    its own; we read the vocabulary and keep ALBERT's (slow) behaviour."""
    hf.AlbertTokenizerFast(vocab_file=str(small_spm)).save_pretrained(tmp_path)
    tok = cls.from_pretrained(tmp_path)
    assert tok(SAMPLE)["input_ids"] == small_slow(SAMPLE)["input_ids"]
    if cls is AlbertTokenizerFast:  # tokenizer.json alone: digit-comma pieces carry transformers' -100
        (tmp_path / "spiece.model").unlink()
        json_only = AlbertTokenizerFast.from_pretrained(tmp_path)
        assert (
            json_only("The school (first) - in Paris.")["input_ids"]
            == small_slow("The school (first) - in Paris.")["input_ids"]
        )


def test_load_transformers_slow_directory(cls, small_spm, small_slow, hf, tmp_path):
    hf.AlbertTokenizer(str(small_spm), do_lower_case=False).save_pretrained(tmp_path)
    tok = cls.from_pretrained(tmp_path)
    assert tok.do_lower_case is False
    assert tok(SAMPLE)["input_ids"] == AlbertTokenizer(small_spm, do_lower_case=False)(SAMPLE)["input_ids"]


def test_save_vocabulary_prefix(small_slow, tmp_path):
    (path,) = small_slow.save_vocabulary(tmp_path, filename_prefix="x")
    assert path.endswith("x-spiece.model")
    assert parse_spm_model(Path(path).read_bytes()).pieces == small_slow._model.pieces
    with pytest.raises(NotADirectoryError):
        small_slow.save_vocabulary(tmp_path / "missing")


def test_missing_and_corrupt_files(cls, small_spm_dir, tmp_path):
    with pytest.raises(FileNotFoundError, match="nothing"):
        cls.from_pretrained(tmp_path)  # an empty directory
    with pytest.raises(FileNotFoundError):
        cls.from_pretrained(tmp_path / "does-not-exist")
    with pytest.raises(FileNotFoundError, match="not found"):
        cls(tmp_path / "spiece.model")
    (tmp_path / "spiece.model").write_bytes(b"this is not a sentencepiece model")
    with pytest.raises(ValueError, match="spiece.model: not a SentencePiece model"):  # names the file
        cls.from_pretrained(tmp_path)
    shutil.copy(small_spm_dir / "spiece.model", tmp_path / "spiece.model")
    (tmp_path / "tokenizer_config.json").write_text("{not json")
    with pytest.raises(ValueError, match="not valid JSON"):
        cls.from_pretrained(tmp_path)


def test_corrupt_tokenizer_json(tmp_path):
    (tmp_path / "tokenizer.json").write_text("[1, 2")
    with pytest.raises(ValueError, match="not valid JSON"):
        AlbertTokenizerFast.from_pretrained(tmp_path)
    (tmp_path / "tokenizer.json").write_text(json.dumps({"model": {"type": "BPE"}}))
    with pytest.raises(ValueError, match="Unigram"):
        AlbertTokenizerFast.from_pretrained(tmp_path)
    # a hand-edited file without its vocabulary: named with its path (was KeyError: 'vocab')
    (tmp_path / "tokenizer.json").write_text(json.dumps({"model": {"type": "Unigram", "unk_id": 1}}))
    with pytest.raises(ValueError, match=r"tokenizer\.json: its Unigram model has no vocab"):
        AlbertTokenizerFast.from_pretrained(tmp_path)


def test_hub_id_offline_is_a_clear_error(cls, monkeypatch):
    from huggingface_hub import constants

    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", True)  # no network here; fail fast instead of retrying
    with pytest.raises(FileNotFoundError) as err:
        cls.from_pretrained("albert/albert-base-v2-not-cached")
    message = str(err.value)
    assert "albert/albert-base-v2-not-cached" in message and ("local" in message or "cache" in message)


def test_bad_paths(cls):
    with pytest.raises(TypeError):
        cls.from_pretrained(None)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        cls(123)  # type: ignore[arg-type]


def test_padding_and_truncation_sides_survive_a_save(cls, small_spm_dir, hf, tmp_path):
    tok = cls.from_pretrained(small_spm_dir, padding_side="left")
    tok.truncation_side = "left"  # set after loading: transformers would not save this one
    tok.save_pretrained(tmp_path)
    for again in (cls.from_pretrained(tmp_path), hf.AutoTokenizer.from_pretrained(tmp_path)):
        assert (again.padding_side, again.truncation_side) == ("left", "left")
    config = json.loads((tmp_path / "tokenizer_config.json").read_text())
    assert (config["padding_side"], config["truncation_side"]) == ("left", "left")
    cls.from_pretrained(small_spm_dir).save_pretrained(tmp_path / "plain")  # the defaults are not written
    assert "padding_side" not in json.loads((tmp_path / "plain" / "tokenizer_config.json").read_text())


@pytest.mark.parametrize("rule", ["nfkc", "identity"])
def test_vocabularies_whose_normaliser_keeps_ascii_load_in_both_classes(rule, hf, tmp_path):
    # AlbertTokenizerFast failed on these with "re.error: unterminated character set" (an empty
    # character class for the ASCII characters its normaliser deletes: none).
    import sentencepiece as spm

    from tests.tokenizer.conftest import make_synthetic_corpus

    spm.SentencePieceTrainer.train(
        sentence_iterator=iter(make_synthetic_corpus(600)), model_prefix=str(tmp_path / "spiece"),
        vocab_size=120, model_type="unigram", pad_id=0, unk_id=1, bos_id=-1, eos_id=-1,
        control_symbols=["[CLS]", "[SEP]", "[MASK]"], normalization_rule_name=rule, minloglevel=2,
        num_threads=1,
    )  # fmt: skip
    model = tmp_path / "spiece.model"
    texts = ["the city was new.", "the\tschool (was)  first\x07 in 1,200", "Café über"]
    expected = hf.AlbertTokenizer(str(model))(texts)["input_ids"]
    assert AlbertTokenizer(model)(texts)["input_ids"] == expected
    assert AlbertTokenizerFast(model)(texts)["input_ids"] == expected
