"""Added tokens (`add_tokens`, `add_special_tokens`): the ids, tokens and text of transformers' slow
ALBERT tokenizer, from both of ours, and the files in both directions."""

from __future__ import annotations

import pickle
import random

import pytest
from tokenizers import AddedToken

from albert.tokenizer import AlbertTokenizer, AlbertTokenizerFast

from .conftest import make_synthetic_corpus

CLASSES = (AlbertTokenizer, AlbertTokenizerFast)
ADDED = ["Zorblax", "new_tok", "team", "<ent>", AddedToken("<glue>", lstrip=True, rstrip=True)]
SPECIAL = {"additional_special_tokens": ["<E1>", "[Q]"]}
SHOWN = ("Zorblax", "zorblax", "ZORBLAX", "new_tok", "team", "Team", "<ent>", "<ENT>", "<glue>", "<E1>", "<e1>", "[Q]",
         "[MASK]", "<pad>")  # fmt: skip


def with_added(tok):
    """`tok` after the same calls a transformers user makes (returns the two counts)."""
    return tok.add_tokens(ADDED), tok.add_special_tokens(SPECIAL)


def lines_with_added(n: int = 300, seed: int = 3) -> list[str]:
    """Generated lines with added tokens (in several spellings) glued to, or spaced from, the words."""
    rng = random.Random(seed)
    out = []
    for line in make_synthetic_corpus(n, seed=seed):
        words = line.split(" ")
        for _ in range(rng.randint(1, 4)):
            glue = rng.choice(["", " ", "  "])
            words.insert(rng.randrange(len(words) + 1), glue + rng.choice(SHOWN) + rng.choice(["", " ", "x"]))
        out.append(" ".join(words))
    return out


@pytest.fixture(scope="module")
def hf_added(hf, small_spm):
    tok = hf.AlbertTokenizer(str(small_spm))
    with_added(tok)
    return tok


@pytest.fixture(scope="module", params=CLASSES, ids=lambda c: c.__name__)
def ours_added(request, small_spm):
    tok = request.param(str(small_spm))
    with_added(tok)
    return tok


def test_add_calls_answer_as_transformers(hf, small_spm):
    theirs = hf.AlbertTokenizer(str(small_spm))
    counts = with_added(theirs)
    assert counts == (4, 2)  # "team" is a vocabulary piece: no new id, but split on
    for cls in CLASSES:
        ours = cls(str(small_spm))
        assert with_added(ours) == counts
        assert len(ours) == len(theirs)
        assert ours.get_added_vocab() == theirs.get_added_vocab()
        assert ours.additional_special_tokens == theirs.additional_special_tokens == ["<E1>", "[Q]"]
        assert ours.additional_special_tokens_ids == theirs.additional_special_tokens_ids
        assert ours.all_special_tokens == theirs.all_special_tokens
        assert ours.all_special_ids == theirs.all_special_ids
        names = ["zorblax", "<E1>", "[Q]", "<glue>", "team"]
        assert ours.convert_tokens_to_ids(names) == theirs.convert_tokens_to_ids(names)
        assert ours.add_tokens(["Zorblax", "zorblax", "<E1>"]) == 0 and len(ours) == len(theirs)


def test_ids_tokens_and_text_match_transformers_slow(ours_added, hf_added):
    lines = lines_with_added()
    assert any("Zorblax" in x for x in lines) and any("<glue>" in x for x in lines)
    ours, theirs = ours_added(lines), hf_added(lines)
    assert ours["input_ids"] == theirs["input_ids"]
    assert ours["token_type_ids"] == theirs["token_type_ids"]
    pairs = ours_added(lines[:50], lines[50:100])["input_ids"]
    assert pairs == hf_added(lines[:50], lines[50:100])["input_ids"]
    for line in lines[:100]:
        assert ours_added.tokenize(line) == hf_added.tokenize(line), line
    if isinstance(ours_added, AlbertTokenizer):  # the fast class decodes runs as transformers' fast one
        for ids in theirs["input_ids"][:100]:
            assert ours_added.decode(ids) == hf_added.decode(ids)
            assert ours_added.decode(ids, skip_special_tokens=True) == hf_added.decode(
                ids, skip_special_tokens=True
            )
            joined = dict(spaces_between_special_tokens=False)
            assert ours_added.decode(ids, **joined) == hf_added.decode(ids, **joined)


def test_fast_offsets_point_at_the_added_tokens(small_spm):
    tok = AlbertTokenizerFast(str(small_spm))
    with_added(tok)
    text = "a ZORBLAX b<E1>new_tok  team <glue> end"
    enc = tok(text, return_offsets_mapping=True, add_special_tokens=False)
    shown = {
        tok.convert_ids_to_tokens(i): text[s:e] for i, (s, e) in zip(enc["input_ids"], enc["offset_mapping"])
    }
    assert shown["zorblax"] == "ZORBLAX" and shown["<E1>"] == "<E1>" and shown["new_tok"] == "new_tok"
    assert shown["<glue>"].strip() == "<glue>"
    # an added token is a word of its own
    words, at = enc.word_ids(), enc.tokens().index("<E1>")
    assert words[at - 1] != words[at] != words[at + 1]


def test_decode_sets_added_tokens_apart(ours_added):
    ids = ours_added("a new_tok<ent>team <E1>war", add_special_tokens=False)["input_ids"]
    assert ours_added.decode(ids) == "a new_tok <ent> team <E1> war"
    assert ours_added.decode(ids, skip_special_tokens=True) == "a new_tok <ent> team war"


@pytest.mark.parametrize("cls", CLASSES, ids=lambda c: c.__name__)
def test_saved_by_us_loads_in_transformers_with_the_same_ids(hf, cls, small_spm, tmp_path):
    ours = cls(str(small_spm))
    with_added(ours)
    ours.save_pretrained(tmp_path)
    assert (tmp_path / "added_tokens.json").is_file()
    # (digit-comma strings aside: transformers' fast tokenizer lacks that rule, docs/tokenizers.md)
    lines = [line for line in lines_with_added(100, seed=5) if not any(c.isdigit() for c in line)]
    expected = ours(lines)["input_ids"]
    slow, fast = (
        hf.AlbertTokenizer.from_pretrained(tmp_path),
        hf.AlbertTokenizerFast.from_pretrained(tmp_path),
    )
    assert slow(lines)["input_ids"] == expected
    assert fast(lines)["input_ids"] == expected
    assert len(slow) == len(fast) == len(ours)
    assert slow.additional_special_tokens == fast.additional_special_tokens == ["<E1>", "[Q]"]
    for other in CLASSES:  # and back
        again = other.from_pretrained(tmp_path)
        assert again(lines)["input_ids"] == expected and len(again) == len(ours)
        assert again.get_added_vocab() == ours.get_added_vocab()


@pytest.mark.parametrize("saver", ["AlbertTokenizer", "AlbertTokenizerFast"])
def test_saved_by_transformers_loads_here(hf, saver, small_spm, small_spm_dir, tmp_path, hf_added):
    theirs = getattr(hf, saver).from_pretrained(small_spm_dir)
    with_added(theirs)
    theirs.save_pretrained(tmp_path)
    lines = lines_with_added(100, seed=9)
    expected = hf_added(lines)["input_ids"]  # transformers' slow tokenizer, given the same calls
    for cls in CLASSES:
        ours = cls.from_pretrained(tmp_path)
        assert len(ours) == len(theirs)
        assert ours(lines)["input_ids"] == expected
        assert ours.additional_special_tokens == ["<E1>", "[Q]"]


def test_a_new_named_special_token_as_transformers(hf, small_spm):
    for cls in CLASSES:
        ours, theirs = cls(str(small_spm)), hf.AlbertTokenizer(str(small_spm))
        assert (
            ours.add_special_tokens({"pad_token": "[PAD]"})
            == theirs.add_special_tokens({"pad_token": "[PAD]"})
            == 1
        )
        assert (ours.pad_token, ours.pad_token_id, len(ours)) == (
            theirs.pad_token,
            theirs.pad_token_id,
            len(theirs),
        )
        text = "a [PAD] b <pad> c [pad]"  # the old "<pad>" is still cut out, as upstream
        assert ours(text)["input_ids"] == theirs(text)["input_ids"]
        assert ours.pad([{"input_ids": [5]}, {"input_ids": [5, 6]}])["input_ids"][0][1] == ours.pad_token_id


def test_fast_tokenizer_with_added_tokens_pickles(small_spm):
    tok = AlbertTokenizerFast(str(small_spm))
    with_added(tok)
    again = pickle.loads(pickle.dumps(tok))
    text = "x Zorblax <E1> y"
    assert again(text)["input_ids"] == tok(text)["input_ids"]


def test_bad_added_tokens_are_clear_errors(small_spm, tmp_path):
    tok = AlbertTokenizer(str(small_spm))
    with pytest.raises(TypeError, match="must be a str or an AddedToken, got int"):
        tok.add_tokens([3])
    with pytest.raises(ValueError, match="unknown key 'extra_tokens'.*additional_special_tokens"):
        tok.add_special_tokens({"extra_tokens": ["<x>"]})
    with pytest.raises(TypeError, match="use add_tokens"):
        tok.add_special_tokens(["<x>"])  # type: ignore[arg-type]
    with pytest.raises(NotImplementedError, match="single_word=True"):
        tok.add_tokens(AddedToken("<w>", single_word=True))
    assert len(tok) == tok.vocab_size  # nothing was added by the failed calls
    # files whose added ids do not follow from the vocabulary
    tok.add_tokens(["zorblax"])
    tok.save_pretrained(tmp_path)
    config = (
        (tmp_path / "tokenizer_config.json")
        .read_text()
        .replace(f'"{tok.vocab_size}"', f'"{tok.vocab_size + 7}"')
    )
    (tmp_path / "tokenizer_config.json").write_text(config)
    (tmp_path / "added_tokens.json").unlink()
    (tmp_path / "tokenizer.json").unlink()
    with pytest.raises(ValueError, match=r"'zorblax' is saved with id 407.*next free id is 400"):
        AlbertTokenizer.from_pretrained(tmp_path)


def test_resize_embeddings_to_the_tokenizer_and_run(small_spm):
    import torch

    import albert

    tok = AlbertTokenizerFast(str(small_spm))
    with_added(tok)
    config = albert.AlbertConfig(vocab_size=tok.vocab_size, embedding_size=8, hidden_size=16, num_attention_heads=2,
                                 intermediate_size=32, num_hidden_layers=1)  # fmt: skip
    model = albert.AlbertForMaskedLM(config).eval()
    model.resize_token_embeddings(len(tok))
    enc = tok(["a Zorblax b <E1>", "[Q] new_tok"], padding=True, return_tensors="pt")
    assert int(enc["input_ids"].max()) >= tok.vocab_size
    with torch.no_grad():
        logits = model(**enc).logits
    assert logits.shape[-1] == len(tok)


def test_transformers_fast_tokenizer_differs_around_added_tokens(hf, small_spm):
    """docs/differences.md: upstream's fast tokenizer puts a "▁" piece before an added token that follows a
    space, so its ids differ from its own slow tokenizer's; ours give the slow tokenizer's."""
    slow, fast = hf.AlbertTokenizer(str(small_spm)), hf.AlbertTokenizerFast(vocab_file=str(small_spm))
    with_added(slow), with_added(fast)
    text = "a new_tok team <E1> war"
    assert slow.tokenize(text) == ["▁a", "new_tok", "team", "<E1>", "▁war"]
    assert fast.tokenize(text) == ["▁a", "▁", "new_tok", "▁", "team", "▁", "<E1>", "▁war"]
    for cls in CLASSES:
        ours = cls(str(small_spm))
        with_added(ours)
        assert ours.tokenize(text) == slow.tokenize(text)
        assert ours(text)["input_ids"] == slow(text)["input_ids"] != fast(text)["input_ids"]


def test_a_failed_call_adds_nothing(small_spm):
    tok = AlbertTokenizerFast(str(small_spm))
    with pytest.raises(TypeError, match="got int"):
        tok.add_tokens(["zorblax", 3])
    with pytest.raises(TypeError, match="got NoneType"):
        tok.add_special_tokens({"additional_special_tokens": ["<E1>", None]})
    assert len(tok) == tok.vocab_size and tok.additional_special_tokens == []
    assert tok.tokenize("zorblax <E1>") == AlbertTokenizerFast(str(small_spm)).tokenize("zorblax <E1>")


@pytest.mark.parametrize("which", ["slow", "fast"])
def test_setting_a_special_token_attribute(hf, small_spm, which):
    """transformers' `tok.pad_token = tok.eos_token` (and `tok.pad_token_id = i`): the same ids and padding;
    a token the tokenizer lacks is an error saying how to add it (transformers gives it the unknown id)."""
    from albert.tokenizer import AlbertTokenizer, AlbertTokenizerFast

    ours = (
        AlbertTokenizer(str(small_spm)) if which == "slow" else AlbertTokenizerFast(vocab_file=str(small_spm))
    )
    theirs = (
        hf.AlbertTokenizer(str(small_spm))
        if which == "slow"
        else hf.AlbertTokenizerFast(vocab_file=str(small_spm))
    )
    for tok in (ours, theirs):
        tok.pad_token = tok.eos_token
    assert (ours.pad_token, ours.pad_token_id) == (theirs.pad_token, theirs.pad_token_id)
    texts = ["the city", "the war was new"]
    assert ours(texts, padding=True)["input_ids"] == theirs(texts, padding=True)["input_ids"]
    for tok in (ours, theirs):
        tok.sep_token_id = 5
    assert (ours.sep_token, ours.sep_token_id) == (theirs.sep_token, theirs.sep_token_id)
    # the new [SEP] goes into the rows as in transformers' slow tokenizer (its fast one keeps the old id in
    # its post-processor: docs/differences.md)
    reference = hf.AlbertTokenizer(str(small_spm))
    reference.sep_token_id = 5
    assert ours("a", "b")["input_ids"] == reference("a", "b")["input_ids"]
    with pytest.raises(
        ValueError, match=r"'<new>' cannot be the pad_token: .*add_special_tokens\(\{'pad_token': '<new>'\}\)"
    ):
        ours.pad_token = "<new>"


@pytest.mark.parametrize("which", ["slow", "fast"])
def test_added_tokens_decoder_and_encoder(hf, small_spm, which):
    """Both of ours list what transformers' slow tokenizer lists (its fast one also lists ALBERT's
    user-defined pieces ( ) " - . as added tokens: one of its slow/fast differences, docs/differences.md)."""
    from albert.tokenizer import AlbertTokenizer, AlbertTokenizerFast

    ours = (
        AlbertTokenizer(str(small_spm)) if which == "slow" else AlbertTokenizerFast(vocab_file=str(small_spm))
    )
    theirs = hf.AlbertTokenizer(str(small_spm))
    for tok in (ours, theirs):
        tok.add_tokens(["newtok"])
        tok.add_special_tokens({"additional_special_tokens": ["<e1>"]})

    def flags(decoder):
        return {
            i: (t.content, t.lstrip, t.rstrip, t.single_word, t.normalized, t.special)
            for i, t in decoder.items()
        }

    assert flags(ours.added_tokens_decoder) == flags(theirs.added_tokens_decoder)
    assert ours.added_tokens_encoder == theirs.added_tokens_encoder
