"""The call API: pairs, truncation (stride, overflow), padding, tensors, masks, offsets (the maps of
its outputs, word ids included: test_encoding.py).

Truncation, overflow and padding are compared with transformers' fast tokenizer loaded from our own saved
directory (so both start from the same pieces).
"""

from __future__ import annotations

import pickle

import numpy as np
import pytest
import torch

from albert.tokenizer import AlbertTokenizer, AlbertTokenizerFast, BatchEncoding

TEXTS = [
    "The school was the first in the city.",
    "A new film and a new album, the season after the war.",
    "Café naïve über résumé",
    "world",
    "",
]
PAIRS = [
    "Which team won the game?",
    "the river",
    "music of the church and the state and the university",
    "He was at the house in the year of the film.",
    "x",
]


def as_lists(enc) -> dict:
    def row(key, r):
        if isinstance(r, int):  # overflow_to_sample_mapping
            return r
        return [tuple(o) for o in r] if key == "offset_mapping" else list(r)

    return {k: [row(k, r) for r in v] for k, v in enc.items()}


def test_single_and_batch_shapes(tok):
    enc = tok("The school was first.")
    assert isinstance(enc, BatchEncoding) and isinstance(enc, dict)
    assert list(enc) == ["input_ids", "token_type_ids", "attention_mask"]
    ids = enc.input_ids  # attribute access
    assert ids[0] == tok.cls_token_id and ids[-1] == tok.sep_token_id
    assert enc["token_type_ids"] == [0] * len(ids) and enc["attention_mask"] == [1] * len(ids)
    batch = tok(["a b", "the city"])
    assert [len(r) for r in batch["input_ids"]] == [
        len(tok("a b")["input_ids"]),
        len(tok("the city")["input_ids"]),
    ]
    assert tok([])["input_ids"] == []


def test_pair_and_token_types(tok):
    a = tok.encode("the city", add_special_tokens=False)
    b = tok.encode("was new", add_special_tokens=False)
    enc = tok("the city", "was new", return_special_tokens_mask=True)
    assert enc["input_ids"] == [2, *a, 3, *b, 3]
    assert enc["token_type_ids"] == [0] * (len(a) + 2) + [1] * (len(b) + 1)
    assert enc["special_tokens_mask"] == [1] + [0] * len(a) + [1] + [0] * len(b) + [1]
    assert tok.create_token_type_ids_from_sequences(a, b) == enc["token_type_ids"]
    assert tok.get_special_tokens_mask(a, b) == enc["special_tokens_mask"]
    assert (
        tok.get_special_tokens_mask(enc["input_ids"], already_has_special_tokens=True)
        == enc["special_tokens_mask"]
    )
    assert tok.encode("the city", "was new") == enc["input_ids"]
    assert tok.tokenize("the city", pair="was new", add_special_tokens=True)[0] == "[CLS]"
    assert tok.num_special_tokens_to_add(pair=True) == 3


def test_bulk_ids(tok):
    texts = ["the city", "Was new, 1,000", ""]
    ids = tok(texts, add_special_tokens=False, return_token_type_ids=False, return_attention_mask=False)[
        "input_ids"
    ]
    assert ids == [tok.encode(t, add_special_tokens=False) for t in texts]
    assert ids[2] == []


def test_no_special_tokens_and_flags(tok):
    enc = tok(
        "the city", "was", add_special_tokens=False, return_token_type_ids=False, return_attention_mask=False
    )
    assert list(enc) == ["input_ids"]
    assert enc["input_ids"] == tok.encode("the city", add_special_tokens=False) + tok.encode(
        "was", add_special_tokens=False
    )


CALLS = [
    {"padding": True},
    {"padding": "longest", "pad_to_multiple_of": 8},
    {"padding": "max_length", "max_length": 24, "truncation": True},
    {"truncation": True, "max_length": 7},
    {"truncation": "longest_first", "max_length": 9},
    {"truncation": "longest_first", "max_length": 10},
    {"truncation": "longest_first", "max_length": 12, "stride": 2, "return_overflowing_tokens": True},
    {"max_length": 9},  # max_length alone means longest_first, as upstream
]
PAIR_ONLY_CALLS = [
    {"truncation": "only_second", "max_length": 14},
    {"truncation": "only_first", "max_length": 16},
    {
        "truncation": "only_second",
        "max_length": 14,
        "stride": 3,
        "return_overflowing_tokens": True,
        "padding": True,
    },
    {"truncation": "only_first", "max_length": 16, "stride": 1, "return_overflowing_tokens": True},
]


@pytest.mark.parametrize(
    ("kwargs", "pairs"),
    [(k, False) for k in CALLS] + [(k, True) for k in CALLS + PAIR_ONLY_CALLS],
)
def test_matches_transformers_fast(tok, hf_small, kwargs, pairs):
    texts, others = TEXTS[:4], (PAIRS[:4] if pairs else None)
    long_ = [t + " and the season of the war in the city" for t in TEXTS[:4]]
    short = ["the city", "a", "new film", "war"]
    if kwargs.get("truncation") == "only_first":  # the truncated text must be able to absorb the cut alone
        texts, others = long_, short
    elif kwargs.get("truncation") == "only_second":
        texts, others = short, long_
    call = {"return_special_tokens_mask": True, **kwargs}
    if tok.is_fast:
        call["return_offsets_mapping"] = True
    ours = as_lists(tok(texts, others, **call))
    theirs = as_lists(hf_small(texts, others, **call))
    assert ours == theirs


def test_overflow_windows_cover_the_text(tok):
    text = " ".join(["the school of the city was new"] * 6)
    ids = tok.encode(text, add_special_tokens=False)
    enc = tok(text, max_length=12, stride=3, truncation=True, return_overflowing_tokens=True)
    rows = enc["input_ids"]
    assert len(rows) > 1 and enc["overflow_to_sample_mapping"] == [0] * len(rows)
    windows = [r[1:-1] for r in rows]
    assert all(len(w) <= 10 for w in windows)
    assert windows[0] == ids[:10] and windows[1][:3] == windows[0][-3:]  # 3 tokens of overlap
    assert windows[-1][-1] == ids[-1]


def test_tensors(tok):
    pt = tok(TEXTS[:3], padding=True, return_tensors="pt")
    assert pt["input_ids"].dtype == torch.long and pt["input_ids"].shape == pt["attention_mask"].shape
    assert pt.to("cpu") is pt
    npa = tok(TEXTS[:3], padding=True, return_tensors="np")
    assert npa["input_ids"].dtype == np.int64 and npa["input_ids"].tolist() == pt["input_ids"].tolist()
    single = tok("the city", return_tensors="pt")
    assert single["input_ids"].shape[0] == 1
    assert tok.encode("the city", return_tensors="pt").tolist() == [tok.encode("the city")]
    with pytest.raises(ValueError, match="padding=True"):
        tok(TEXTS[:3], return_tensors="pt")


def test_padding_left_and_pad_method(tok):
    enc = tok(["the", "the city was new"], padding=True, padding_side="left")
    assert enc["input_ids"][0][0] == tok.pad_token_id and enc["attention_mask"][0][0] == 0
    unpadded = tok(["the", "the city was new"])
    padded = tok.pad(unpadded, return_tensors="pt")
    assert padded["input_ids"].tolist() == tok(["the", "the city was new"], padding=True)["input_ids"]
    rows = [{"input_ids": r} for r in unpadded["input_ids"]]
    assert tok.pad(rows)["attention_mask"] == tok(["the", "the city was new"], padding=True)["attention_mask"]


def test_model_max_length_is_the_default_limit(small_spm_dir):
    tok = AlbertTokenizerFast.from_pretrained(small_spm_dir, model_max_length=6)
    assert len(tok("the school was the first in the city", truncation=True)["input_ids"]) == 6
    assert len(tok("the school was the first in the city")["input_ids"]) > 6  # no truncation asked
    assert tok("a", padding="max_length")["input_ids"][-1] == tok.pad_token_id


def test_split_into_words(tok):
    words = ["The", "school", "was", "new"]
    enc = tok(words, is_split_into_words=True)
    flat = [i for w in words for i in tok.encode(w, add_special_tokens=False)]
    assert enc["input_ids"] == [2, *flat, 3]
    if tok.is_fast:
        per_word = [len(tok.encode(w, add_special_tokens=False)) for w in words]
        assert enc.word_ids() == [None] + [w for w, n in enumerate(per_word) for _ in range(n)] + [None]
    batch = tok([words, ["city"]], is_split_into_words=True)
    assert batch["input_ids"][0] == enc["input_ids"]


def test_encode_and_encode_plus_take_words_too(tok, hf_small):
    words = ["The", "school", "was", "new"]
    expected = hf_small.encode(words, is_split_into_words=True)
    assert tok.encode(words, is_split_into_words=True) == expected
    assert tok.encode_plus(words, is_split_into_words=True)["input_ids"] == expected
    with pytest.raises(TypeError, match="with is_split_into_words=True, text must be a list of str"):
        tok.encode_plus([words], is_split_into_words=True)


@pytest.mark.parametrize("kind", ["pt", "np"])
def test_overflow_mapping_and_lengths_come_as_tensors_too(tok, hf_small, kind):
    # the sliding-window call of docs/tokenizers.md with return_tensors used to fail in our tensor maker
    kwargs = dict(truncation="only_second", max_length=16, stride=4, padding=True, return_tensors=kind,
                  return_overflowing_tokens=True)  # fmt: skip
    question, context = PAIRS[1], " ".join(TEXTS[:2] * 2)
    ours, theirs = tok(question, context, **kwargs), hf_small(question, context, **kwargs)
    assert ours["input_ids"].shape[0] > 1
    for key in ("input_ids", "overflow_to_sample_mapping"):
        assert ours[key].tolist() == theirs[key].tolist(), key
        assert ours[key].dtype == theirs[key].dtype, key
    lengths = tok(["the school was new", "a"], padding=True, return_length=True, return_tensors=kind)[
        "length"
    ]
    assert lengths.tolist() == [len(tok.encode("the school was new")), len(tok.encode("a"))]


def test_the_length_of_one_text_is_a_number(tok, hf, small_spm_dir, hf_small):
    # transformers' two classes disagree (docs/differences.md): its slow one gives n, its fast one [n];
    # both of ours give n, as a batch gives [n, ...]
    n = len(tok.encode("the city"))
    assert tok("the city", return_length=True)["length"] == n
    assert tok(["the city"], return_length=True)["length"] == [n]
    assert hf.AlbertTokenizer.from_pretrained(small_spm_dir)("the city", return_length=True)["length"] == n
    assert hf_small("the city", return_length=True)["length"] == [n]
    assert not hasattr(tok("the city"), "encodings")  # differences.md: no tokenizers.Encoding objects


def test_a_pair_without_special_tokens_keeps_two_token_types(tok, hf, small_spm_dir, hf_small):
    # transformers' two ALBERT tokenizers disagree here (docs/differences.md): both of ours give the fast
    # one's token types; prepare_for_model (ids, no text) keeps transformers' single type.
    a, b = "the city", "was new"
    ours = tok(a, b, add_special_tokens=False)["token_type_ids"]
    n_a = len(tok.encode(a, add_special_tokens=False))
    assert ours == hf_small(a, b, add_special_tokens=False)["token_type_ids"]
    assert ours == [0] * n_a + [1] * (len(ours) - n_a)
    hf_slow = hf.AlbertTokenizer.from_pretrained(small_spm_dir)
    assert hf_slow(a, b, add_special_tokens=False)["token_type_ids"] == [0] * len(ours)


def test_decode_and_convert(tok):
    ids = tok.encode("the city was new")
    assert tok.decode(ids, skip_special_tokens=True) == "the city was new"
    assert tok.batch_decode([ids, ids], skip_special_tokens=True) == ["the city was new"] * 2
    assert tok.decode(torch.tensor(ids), skip_special_tokens=True) == "the city was new"
    assert tok.decode(ids[1]) == tok.convert_ids_to_tokens(ids[1]).replace("▁", "")
    pieces = tok.convert_ids_to_tokens(ids)
    assert tok.convert_tokens_to_ids(pieces) == ids
    assert tok.convert_ids_to_tokens(ids, skip_special_tokens=True) == pieces[1:-1]
    assert tok.convert_tokens_to_ids("never-a-piece") == tok.unk_token_id
    spaced = tok.encode("the city , was new .", add_special_tokens=False)
    assert tok.decode(spaced) == "the city , was new ."
    assert tok.decode(spaced, clean_up_tokenization_spaces=True) == "the city, was new."


def test_properties(tok):
    assert tok.model_input_names == ["input_ids", "token_type_ids", "attention_mask"]
    assert tok.special_tokens_map["mask_token"] == "[MASK]"
    assert tok.get_added_vocab() == {"[CLS]": 2, "[SEP]": 3, "<unk>": 1, "<pad>": 0, "[MASK]": 4}
    assert len(tok) == tok.vocab_size == 400 == len(tok.get_vocab())
    assert "vocab_size=400" in repr(tok)


def test_mask_token_swallows_left_space(tok):
    assert tok.encode("the [MASK] city") == tok.encode("the[MASK] city")
    assert tok.tokenize("the  [MASK]") == ["▁the", "[MASK]"]
    # "[mask]" is not the special token (case matters; lowercasing spares special tokens).
    assert tok.mask_token_id not in tok.encode("the [mask] city")


def test_pickle_roundtrip(tok):
    clone = pickle.loads(pickle.dumps(tok))
    assert clone(TEXTS)["input_ids"] == tok(TEXTS)["input_ids"]


def test_user_special_token_outside_vocab(small_spm_dir):
    for cls in (AlbertTokenizer, AlbertTokenizerFast):
        tok = cls.from_pretrained(small_spm_dir, mask_token="<mask>")
        assert tok.mask_token_id == 400 and len(tok) == 401
        assert tok.encode("the <mask> city", add_special_tokens=False)[1] == 400
        assert tok.decode([400]) == "<mask>"


def test_only_second_too_short_raises_like_transformers(tok, hf_small):
    long_text = "the school was the first in the city and the season of the war"
    with pytest.raises(ValueError, match="cannot truncate only the second"):
        tok(long_text, "a b", truncation="only_second", max_length=8)
    with pytest.raises(Exception):  # noqa: B017 - the Rust error is a bare Exception
        hf_small(long_text, "a b", truncation="only_second", max_length=8)


@pytest.mark.parametrize("kind, module", [("tf", "tensorflow"), ("jax", "jax")])
def test_tf_and_jax_tensors(tok, kind, module):
    pytest.importorskip(module, reason=f"return_tensors={kind!r} needs {module} (an extra)")
    enc = tok(TEXTS[:3], padding=True, return_tensors=kind)
    expected = tok(TEXTS[:3], padding=True)
    for key in ("input_ids", "attention_mask", "token_type_ids"):
        assert str(enc[key].dtype) in ("int32", "<dtype: 'int32'>")  # transformers' dtype for both
        assert np.asarray(enc[key]).tolist() == expected[key]
    assert (
        np.asarray(tok.pad(tok(TEXTS[:2]), return_tensors=kind)["input_ids"]).tolist()
        == expected["input_ids"][:2]
    )


def test_unknown_tensor_kind_names_the_choices(tok):
    with pytest.raises(ValueError, match="'pt', 'np', 'tf' or 'jax', got 'torch'"):
        tok("the city", return_tensors="torch")


def test_decode_takes_tf_and_jax_tensors(tok):
    tf = pytest.importorskip("tensorflow", reason="TensorFlow is an extra")
    ids = tok(TEXTS[:2], padding=True)["input_ids"]
    assert tok.batch_decode(tf.constant(ids)) == tok.batch_decode(ids)
    assert tok.decode(tf.constant(ids[0])) == tok.decode(ids[0])
    assert tok.decode(tf.constant(ids[0][1])) == tok.decode(ids[0][1])
    jnp = pytest.importorskip("jax.numpy", reason="JAX is an extra")
    assert tok.batch_decode(jnp.asarray(ids)) == tok.batch_decode(ids)
    assert tok.decode(jnp.asarray(ids[0][1])) == tok.decode(ids[0][1])


def test_a_list_of_pairs_and_save_options_as_transformers(hf, small_spm, tmp_path):
    theirs = hf.AlbertTokenizer(str(small_spm))
    pairs = [("the city", "was new"), ["the war", "the school was first"]]
    for cls in (AlbertTokenizer, AlbertTokenizerFast):
        tok = cls(str(small_spm))
        assert tok(pairs, padding=True)["input_ids"] == theirs(pairs, padding=True)["input_ids"]
        assert tok(pairs)["token_type_ids"] == theirs(pairs)["token_type_ids"]
        # legacy_format / filename_prefix name the same files as transformers
        for legacy, prefix in ((True, None), (False, None), (None, "mine")):
            out = tmp_path / f"{cls.__name__}-{legacy}-{prefix}"
            names = {
                p.rsplit("/", 1)[-1]
                for p in tok.save_pretrained(out, legacy_format=legacy, filename_prefix=prefix)
            }
            assert ("spiece.model" in names or "mine-spiece.model" in names) == (legacy is not False)
            assert ("tokenizer.json" in names or "mine-tokenizer.json" in names) == (legacy is not True)
            assert "tokenizer_config.json" in names and "special_tokens_map.json" in names
            if prefix is None:  # a directory without spiece.model is read by the fast class (as upstream)
                reader = AlbertTokenizerFast if legacy is False else cls
                assert reader.from_pretrained(out)("the city")["input_ids"] == tok("the city")["input_ids"]
