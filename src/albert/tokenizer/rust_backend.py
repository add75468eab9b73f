"""The `tokenizers` (Rust) pipelines behind `AlbertTokenizerFast`, built from a SentencePiece model.

Goal: the same pieces as SentencePiece after ALBERT's preprocessing (contract §6.2), not the pipeline that
transformers' converter writes (§6.4), which differs from the slow tokenizer on user-defined symbols
("(", "-", ...), accents (Mn vs combining class) and digit-comma pieces.

How each difference is closed:

* user-defined symbols stay vocabulary pieces, scored as SentencePiece scores them inside its lattice
  (`len * max(FLT_MIN, max normal score) - 0.1`), instead of being split out as added tokens;
* accents: NFKD, then a regex that removes exactly the characters with combining class != 0;
* words: split on " " only (SentencePiece's notion of whitespace after its own normaliser), then "▁" in
  front of every word; Unicode whitespace that the charsmap would not turn into " " is mapped to " " in
  Python first (1:1, so offsets stay exact);
* control pieces ("<pad>", "[CLS]", ...) can never be produced by SentencePiece from text; here their
  vocabulary strings get a trailing space, which no word contains, so the Unigram lattice cannot match
  them either. Special tokens are split out in Python, exactly as the slow tokenizer does;
* digit-comma pieces: replaced after encoding by a precomputed table (`digit_comma_table`).

Four pipelines share the model: `bare` (no normaliser: ASCII text that Python has lowercased and that
holds no control character or quote pair, i.e. most text), `ascii` (quotes, lowercase; the charsmap's
rules for ASCII, i.e. control characters, are applied in Python with an offset map), `full`
(any text: quotes, NFKD, accent strip, lowercase, charsmap) and `raw` (text preprocessed in Python:
charsmap only). `hf_tokenizer_json` writes the `full` pipeline in the layout transformers expects.
"""

from __future__ import annotations

import base64
import json
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from tokenizers import AddedToken, Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, processors

from albert.tokenizer.normalize import (
    SPIECE_UNDERLINE,
    char_class,
    combining_ranges,
    decomposable_codepoints,
    is_digit_comma_piece,
    python_whitespace,
    split_digit_comma_piece,
)
from albert.tokenizer.spm_proto import BYTE, CONTROL, NORMAL, UNIGRAM, UNKNOWN, UNUSED, USER_DEFINED, SpmModel

FLT_MIN = 1.1754943508222875e-38  # SentencePiece starts its max-score search from FLT_MIN, not -inf
DIGIT_COMMA_PENALTY = -100.0  # what transformers' converter gives digit-comma pieces in tokenizer.json


def check_supported(model: SpmModel) -> None:
    """The Rust pipeline reproduces unigram models with SentencePiece's default whitespace handling."""
    problems = []
    if model.model_type != UNIGRAM:
        problems.append("model type is not unigram")
    if model.byte_fallback:
        problems.append("byte_fallback is on")
    if model.treat_whitespace_as_suffix:
        problems.append("treat_whitespace_as_suffix is on")
    if not (model.add_dummy_prefix and model.remove_extra_whitespaces and model.escape_whitespaces):
        problems.append("the normaliser does not add a dummy prefix / collapse and escape whitespace")
    if problems:
        raise ValueError(
            "AlbertTokenizerFast cannot reproduce this SentencePiece model (" + "; ".join(problems) + "); "
            "use AlbertTokenizer (the SentencePiece-backed one)"
        )


def unigram_vocab(model: SpmModel, *, for_saving: bool = False) -> list[tuple[str, float]]:
    """(piece, score) for the Rust Unigram model, index = id (see the module docstring)."""
    normal = [s for s, t in zip(model.scores, model.types) if t == NORMAL]
    top = max(FLT_MIN, max(normal, default=FLT_MIN))
    vocab = []
    for piece, score, kind in zip(model.pieces, model.scores, model.types):
        if kind == USER_DEFINED:
            score = len(piece) * top - 0.1
        elif kind in (CONTROL, UNKNOWN, UNUSED, BYTE):
            if not for_saving:
                piece += " "  # unreachable by the lattice: words never contain " "
        elif for_saving and is_digit_comma_piece(piece):
            score = DIGIT_COMMA_PENALTY
        vocab.append((piece, float(score)))
    return vocab


def normalizer_steps(
    model: SpmModel, *, kind: str, do_lower_case: bool, keep_accents: bool, whitespace_fix: str = ""
) -> list:
    """Normalisers for pipeline `kind`: "bare" (none), "ascii" (quotes, lowercase: Python has already
    applied the charsmap's ASCII rules), "full" or "raw" (charsmap only)."""
    if kind == "bare":
        return []
    steps: list = []
    if kind != "raw":
        if whitespace_fix:
            steps.append(normalizers.Replace(Regex("[" + _onig_escape(whitespace_fix) + "]"), " "))
        steps += [normalizers.Replace("``", '"'), normalizers.Replace("''", '"')]
        if kind == "full" and not keep_accents:
            steps += [
                normalizers.NFKD(),
                normalizers.Replace(Regex(char_class(combining_ranges(), onig=True)), ""),
            ]
        if do_lower_case:
            steps.append(normalizers.Lowercase())
    if model.charsmap and kind != "ascii":
        steps.append(normalizers.Precompiled(model.charsmap))
    return steps


def _onig_escape(chars: str) -> str:
    return "".join(f"\\x{{{ord(c):X}}}" for c in chars)


def _pre_tokenizer(whitespace_split: bool) -> pre_tokenizers.PreTokenizer:
    """Words, each with "▁" in front. SentencePiece splits on " " only; `WhitespaceSplit` (faster) splits on
    all Unicode whitespace, which is the same once Python has mapped all whitespace to " "."""
    split = (
        pre_tokenizers.WhitespaceSplit()
        if whitespace_split
        else pre_tokenizers.Split(" ", behavior="removed")
    )
    return pre_tokenizers.Sequence(
        [split, pre_tokenizers.Metaspace(replacement=SPIECE_UNDERLINE, prepend_scheme="always", split=False)]
    )


def unigram_model(model: SpmModel, vocab: list[tuple[str, float]] | None = None) -> models.Unigram:
    check_supported(model)
    return models.Unigram(vocab or unigram_vocab(model), unk_id=model.unk_id, byte_fallback=False)


def build_pipeline(
    model: SpmModel, steps: list, unigram: models.Unigram | None = None, *, whitespace_split: bool = False
) -> Tokenizer:
    """A Rust tokenizer (no added tokens, no post-processor) for encoding one chunk of text.

    Pass the same `unigram` to several pipelines to share one model (it is reference-counted in Rust).
    `whitespace_split` is only exact when the input holds no whitespace but " " (see `_pre_tokenizer`).
    """
    tok = Tokenizer(unigram if unigram is not None else unigram_model(model))
    if steps:
        tok.normalizer = normalizers.Sequence(steps)
    tok.pre_tokenizer = _pre_tokenizer(whitespace_split)
    tok.decoder = decoders.Metaspace(replacement=SPIECE_UNDERLINE, prepend_scheme="always", split=False)
    return tok


def hf_tokenizer_json(
    model: SpmModel,
    *,
    do_lower_case: bool,
    keep_accents: bool,
    remove_space: bool,
    whitespace_fix: str,
    special_tokens: Sequence[tuple[str, int, bool, bool]],
    cls: tuple[str, int],
    sep: tuple[str, int],
    added_tokens: Sequence[tuple[AddedToken, int]] = (),
) -> str:
    """`tokenizer.json` for transformers' `AlbertTokenizerFast`: the `full` pipeline, special tokens
    `(content, id, lstrip, rstrip)` and the tokens of `add_tokens` `(token, id)` as added tokens, and the
    `[CLS] A [SEP] B [SEP]` template.

    Digit-comma pieces get transformers' -100 score (there is no post-hoc rule in transformers).
    """
    steps = normalizer_steps(
        model,
        kind="full",
        do_lower_case=do_lower_case,
        keep_accents=keep_accents,
        whitespace_fix=whitespace_fix if remove_space else "",
    )
    tok = build_pipeline(model, steps, unigram_model(model, unigram_vocab(model, for_saving=True)))
    tok.add_special_tokens(
        [
            AddedToken(c, special=True, normalized=False, lstrip=ls, rstrip=rs)
            for c, _, ls, rs in special_tokens
        ]
    )
    for token, _ in sorted(added_tokens, key=lambda x: x[1]):
        tok.add_tokens([token])
    expected = [(content, token_id) for content, token_id, _, _ in special_tokens]
    for content, token_id in expected + [(t.content, i) for t, i in added_tokens]:
        if tok.token_to_id(content) != token_id:
            raise ValueError(
                f"added token {content!r} should have id {token_id}, got {tok.token_to_id(content)}"
            )
    tok.post_processor = processors.TemplateProcessing(
        single=f"{cls[0]}:0 $A:0 {sep[0]}:0",
        pair=f"{cls[0]}:0 $A:0 {sep[0]}:0 $B:1 {sep[0]}:1",
        special_tokens=[cls, sep],
    )
    return tok.to_str(pretty=True)


def spm_model_from_tokenizer_json(data: dict) -> SpmModel:
    """Rebuild the SentencePiece view (pieces, scores, types, charsmap) of a Unigram `tokenizer.json`.

    Special added tokens that are vocabulary pieces become control pieces (the unk one unknown),
    non-special ones user-defined. Scores are taken as written: a file from transformers' converter has
    -100 on digit-comma pieces, which cannot be undone (see docs/tokenizers.md).
    """
    model = data.get("model") or {}
    if model.get("type") != "Unigram":
        raise ValueError(f"tokenizer.json holds a {model.get('type')!r} model; ALBERT uses Unigram")
    if model.get("byte_fallback"):
        raise ValueError("tokenizer.json uses byte_fallback, which ALBERT vocabularies do not")
    vocab = model.get("vocab")
    if not isinstance(vocab, list) or not vocab:
        raise ValueError("its Unigram model has no vocab (a list of [piece, score] pairs)")
    pieces = [str(p) for p, _ in vocab]
    scores = [float(s) for _, s in vocab]
    types = [NORMAL] * len(pieces)
    index = {p: i for i, p in enumerate(pieces)}
    unk_id = model.get("unk_id")
    for added in data.get("added_tokens", []):
        i = index.get(added["content"])
        if i is not None:
            types[i] = CONTROL if added.get("special") else USER_DEFINED
    if unk_id is not None:
        types[unk_id] = UNKNOWN
    return SpmModel(
        pieces=tuple(pieces),
        scores=tuple(scores),
        types=tuple(types),
        charsmap=_find_charsmap(data.get("normalizer")),
    )


def _find_charsmap(node: object) -> bytes:
    if isinstance(node, dict):
        if node.get("type") == "Precompiled" and node.get("precompiled_charsmap"):
            return base64.b64decode(node["precompiled_charsmap"])
        for value in node.values():
            found = _find_charsmap(value)
            if found:
                return found
    elif isinstance(node, list):
        for value in node:
            found = _find_charsmap(value)
            if found:
                return found
    return b""


@dataclass(frozen=True)
class DigitCommaFix:
    """Replacement of one digit-comma piece: its ids and piece strings."""

    ids: tuple[int, ...]
    pieces: tuple[str, ...]


def digit_comma_table(
    pieces: Sequence[str], encode_as_pieces: Callable[[str], list[str]], piece_to_id: Callable[[str], int]
) -> dict[int, DigitCommaFix]:
    """For every digit-comma piece id, what the digit-comma rule replaces it with.

    The rule depends only on the piece, so without subword sampling it can be applied as a table lookup.
    """
    table = {}
    for i, piece in enumerate(pieces):
        if is_digit_comma_piece(piece):
            new = split_digit_comma_piece(piece, encode_as_pieces)
            table[i] = DigitCommaFix(tuple(piece_to_id(p) for p in new), tuple(new))
    return table


def tokenizer_json_dict(text: str) -> dict:
    """Parse a tokenizer.json, with a ValueError that says what is wrong."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as e:
        raise ValueError(f"tokenizer.json is not valid JSON: {e}") from None
    if not isinstance(data, dict):
        raise ValueError("tokenizer.json must hold a JSON object")
    return data


def whitespace_fix_chars(model: SpmModel) -> str:
    """Whitespace (for `str.split`) that the charsmap does not turn into " ": ALBERT's `remove_space`
    makes these spaces, so the fast tokenizer maps them to " " before the Rust pipeline (1:1)."""
    charsmap = normalizers.Precompiled(model.charsmap) if model.charsmap else None
    return "".join(
        c for c in python_whitespace() if c != " " and (charsmap.normalize_str(c) if charsmap else c) != " "
    )


@lru_cache(maxsize=4)
def hard_characters(do_lower_case: bool, keep_accents: bool) -> str:
    """Characters the Rust normalisers cannot treat like Python; texts holding one are preprocessed in
    Python (offsets inside them are then approximate).

    * NFKD: the Rust tables are older than this Python's (e.g. U+1FBF0 SEGMENTED DIGIT ZERO);
    * a capital sigma produced by NFKD (mathematical Σ letters): Python lowercases it with the
      context-dependent final-sigma rule, Rust one character at a time.
    """
    if keep_accents:
        return ""
    rust_nfkd = normalizers.NFKD()
    out = []
    for cp in decomposable_codepoints():
        ch = chr(cp)
        nfkd = unicodedata.normalize("NFKD", ch)
        if rust_nfkd.normalize_str(ch) != nfkd or (do_lower_case and "\u03a3" in nfkd):
            out.append(ch)
    return "".join(out)


def tokenizer_json_for(tok: Any, whitespace_fix: str) -> str:
    """The tokenizer.json that makes transformers' AlbertTokenizerFast behave like `tok` (see the module docstring)."""
    unique = {t.content: t for t in tok._specials.values()}.values()
    specials = sorted(
        ((t.content, tok.convert_tokens_to_ids(t.content), t.lstrip, t.rstrip) for t in unique),
        key=lambda x: x[1],
    )
    added = [
        (AddedToken(f.content, special=c in tok._extra_special, normalized=f.normalized, lstrip=f.lstrip,
                    rstrip=f.rstrip), tok.convert_tokens_to_ids(c))
        for c, f in tok._extra.items()
    ]  # fmt: skip
    return hf_tokenizer_json(
        tok._model,
        do_lower_case=tok.do_lower_case,
        keep_accents=tok.keep_accents,
        remove_space=tok.remove_space,
        whitespace_fix=whitespace_fix,
        special_tokens=specials,  # type: ignore[arg-type]
        cls=(tok.cls_token, tok.cls_token_id),
        sep=(tok.sep_token, tok.sep_token_id),
        added_tokens=added,
    )
