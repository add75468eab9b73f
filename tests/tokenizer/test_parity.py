"""Parity: ours (slow) == transformers (slow); ours (fast) == ours (slow); random Unicode.

The tests run on a small vocabulary trained in the session and generated text, so they run anywhere;
`test_parity_on_the_real_vocabulary` repeats the line checks on the real 30k vocabulary and real text of
`../shared/data` (it skips, with the reason, where that is absent). The agreement rates are printed
(`pytest -s` shows them).
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from albert.tokenizer import AlbertTokenizer, AlbertTokenizerFast
from albert.tokenizer.spm_proto import parse_spm_model


def _diff(a: list, b: list) -> tuple[int, int, int]:
    """(common prefix length, end of the differing part in a, in b)."""
    i = 0
    while i < min(len(a), len(b)) and a[i] == b[i]:
        i += 1
    ja, jb = len(a), len(b)
    while ja > i and jb > i and a[ja - 1] == b[jb - 1]:
        ja, jb = ja - 1, jb - 1
    return i, ja, jb


def assert_is_score_tie(slow, fast, text: str, scores) -> None:
    """The only accepted slow/fast difference (docs/tokenizers.md): two segmentations of the same
    characters whose scores tie within float32 resolution. SentencePiece sums scores in float32 over the
    whole sentence, `tokenizers` in float64 per word, so they may break such ties differently."""
    ids_s = slow.encode(text, add_special_tokens=False)
    ids_f = fast.encode(text, add_special_tokens=False)
    i, ja, jb = _diff(ids_s, ids_f)
    part_s, part_f = ids_s[i:ja], ids_f[i:jb]
    pieces_s, pieces_f = slow.convert_ids_to_tokens(part_s), slow.convert_ids_to_tokens(part_f)
    assert "".join(pieces_s) == "".join(pieces_f), (text, pieces_s, pieces_f)
    gap = sum(scores[k] for k in part_f) - sum(scores[k] for k in part_s)
    assert -1e-6 <= gap < 1e-3, (text, pieces_s, pieces_f, gap)


# ----- the checks, on any vocabulary ---------------------------------------------------------------


def check_slow_equals_transformers_slow(ours, theirs, lines: list[str]) -> None:
    got = ours(lines, add_special_tokens=True)["input_ids"]
    expected = [theirs.encode(t) for t in lines]
    same = sum(a == b for a, b in zip(got, expected))
    print(f"\nours slow == transformers slow: {same}/{len(lines)} lines ({100 * same / len(lines):.2f}%)")
    assert same == len(lines), [t for t, a, b in zip(lines, got, expected) if a != b][:3]
    for text in lines[:300]:  # tokenize() too, on a part (upstream's is slow)
        assert ours.tokenize(text) == theirs.tokenize(text)


def check_fast_equals_slow(slow, fast, lines: list[str], spm_path) -> None:
    ids_slow = slow(lines)["input_ids"]
    ids_fast = fast(lines)["input_ids"]
    assert ids_fast == fast(lines, return_offsets_mapping=True)["input_ids"]  # the offsets path agrees
    same = sum(a == b for a, b in zip(ids_slow, ids_fast))
    print(f"\nours fast == ours slow: {same}/{len(lines)} lines ({100 * same / len(lines):.2f}%)")
    scores = parse_spm_model(spm_path.read_bytes()).scores
    for text, a, b in zip(lines, ids_slow, ids_fast):
        if a != b:
            assert_is_score_tie(slow, fast, text, scores)
    assert same >= 0.999 * len(lines)


def check_fast_vs_transformers_fast(ours, theirs, slow, lines: list[str]) -> None:
    """Reported, not required: transformers' fast tokenizer (converted from spiece.model) splits the
    user-defined symbols ( ) " - . off as added tokens, penalises digit-comma pieces and turns trailing
    whitespace into a "▁" piece, so it differs from the slow one on many lines. On the other lines all three
    agree."""
    got = ours(lines)["input_ids"]
    expected = theirs(lines)["input_ids"]
    same = sum(a == b for a, b in zip(got, expected))
    slow_same = sum(a == b for a, b in zip(slow(lines)["input_ids"], expected))
    print(f"\nours fast == transformers fast: {same}/{len(lines)} ({100 * same / len(lines):.2f}%); "
          f"transformers fast == slow: {slow_same}/{len(lines)}")  # fmt: skip
    plain = [i for i, t in enumerate(lines) if not any(c in t for c in '()"-.,–£€') and t == t.strip()]
    assert plain and all(got[i] == expected[i] for i in plain)


def check_options_match_transformers(hf, spm_path, lines: list[str], kw: dict) -> None:
    reference = hf.AlbertTokenizer(str(spm_path), **kw)
    expected = [reference.encode(t) for t in lines]
    slow, fast = AlbertTokenizer(spm_path, **kw), AlbertTokenizerFast(spm_path, **kw)
    assert slow(lines)["input_ids"] == expected
    scores = parse_spm_model(spm_path.read_bytes()).scores
    for text, a, b in zip(lines, expected, fast(lines)["input_ids"]):
        if a != b:
            assert_is_score_tie(slow, fast, text, scores)


OPTIONS = [{"keep_accents": True}, {"do_lower_case": False}, {"remove_space": False}]


# ----- a vocabulary trained here, generated text ----------------------------------------------------


def test_ours_slow_equals_transformers_slow(small_slow, hf_small_slow, parity_lines):
    check_slow_equals_transformers_slow(small_slow, hf_small_slow, parity_lines)


def test_ours_fast_equals_ours_slow(small_slow, small_fast, parity_lines, small_spm):
    check_fast_equals_slow(small_slow, small_fast, parity_lines, small_spm)


def test_ours_fast_vs_transformers_fast(small_fast, hf_small_fast, small_slow, parity_lines):
    check_fast_vs_transformers_fast(small_fast, hf_small_fast, small_slow, parity_lines)


@pytest.mark.parametrize("kw", OPTIONS)
def test_options_match_transformers(hf, small_spm, parity_lines, kw):
    check_options_match_transformers(hf, small_spm, parity_lines[::10], kw)


# ----- the real vocabulary and real text (../shared/data) -------------------------------------------


def test_parity_on_the_real_vocabulary(real_slow, real_fast, hf, real_spm, real_lines):
    """Every check above on the real 30k vocabulary and a few thousand real lines."""
    check_slow_equals_transformers_slow(real_slow, hf.AlbertTokenizer(str(real_spm)), real_lines)
    check_fast_equals_slow(real_slow, real_fast, real_lines, real_spm)
    hf_fast = hf.AlbertTokenizerFast(vocab_file=str(real_spm))
    check_fast_vs_transformers_fast(real_fast, hf_fast, real_slow, real_lines)
    for kw in OPTIONS:
        check_options_match_transformers(hf, real_spm, real_lines[::10], kw)


def test_known_score_tie_example(real_slow, real_fast, real_spm):
    """The documented example: in a long paragraph SentencePiece's float32 sum makes "ru"+"ling" (total
    -18.83404) win over "rul"+"ing" (-18.83397); on its own, "(ruling" gives "rul ing" in both."""
    assert real_slow.tokenize("(ruling") == real_fast.tokenize("(ruling") == ["▁", "(", "rul", "ing"]
    paragraph = (
        'Known as the "Grachtengordel", three of the canals were mostly for residential development: the '
        '"Herengracht" (where "Heren" refers to "Heren Regeerders van de stad Amsterdam" (ruling lords of '
        'Amsterdam), and "gracht" means canal, so the name can be roughly translated as "Canal of the lords"), '
        '"Keizersgracht" (Emperor\'s Canal), and "Prinsengracht" (Prince\'s Canal).'
    )
    scores = parse_spm_model(real_spm.read_bytes()).scores
    if real_slow.encode(paragraph) != real_fast.encode(paragraph):
        assert_is_score_tie(real_slow, real_fast, paragraph, scores)


# ----- random text ----------------------------------------------------------------------------------

_ALPHABET = st.characters(codec="utf-8")
_TEXT = st.text(
    alphabet=st.one_of(_ALPHABET, st.sampled_from(list(" \t\n``''[MASK]<pad>,0123456789éÉıİΣ\u0301\u0e35"))),
    max_size=60,
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=_TEXT, pair=st.one_of(st.none(), _TEXT))
def test_random_unicode_slow_equals_fast(small_slow, small_fast, small_spm, text, pair):
    a = small_slow(text, pair)
    b = small_fast(text, pair, return_offsets_mapping=True)
    if a["input_ids"] != b["input_ids"]:  # e.g. "<{RRR": "rr r" (slow) vs "r rr" (fast), an exact tie
        for part in (text, pair):
            if part is not None:
                assert_is_score_tie(small_slow, small_fast, part, small_slow._model.scores)
    else:
        assert a["token_type_ids"] == b["token_type_ids"]
    n = len(text)
    for start, end in b["offset_mapping"]:
        assert 0 <= start <= end <= max(n, len(pair or ""))
    assert isinstance(small_fast.decode(b["input_ids"]), str) and isinstance(
        small_slow.decode(a["input_ids"]), str
    )


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=_TEXT)
def test_random_unicode_matches_transformers_slow(small_slow, hf_small_slow, text):
    assert small_slow.encode(text) == hf_small_slow.encode(text)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.text(max_size=40), keep_accents=st.booleans(), lower=st.booleans(), space=st.booleans())
def test_random_unicode_options_small_vocab(small_spm_dir, text, keep_accents, lower, space):
    kw = {"keep_accents": keep_accents, "do_lower_case": lower, "remove_space": space}
    slow, fast = _cached(AlbertTokenizer, small_spm_dir, kw), _cached(AlbertTokenizerFast, small_spm_dir, kw)
    if slow.encode(text) != fast.encode(text):
        assert_is_score_tie(slow, fast, text, slow._model.scores)


_CACHE: dict = {}


def _cached(cls, directory, kw):
    key = (cls, str(directory), tuple(sorted(kw.items())))
    if key not in _CACHE:
        _CACHE[key] = cls.from_pretrained(directory, **kw)
    return _CACHE[key]
