"""`AlbertTokenizerFast`: the ALBERT tokenizer on `tokenizers` (Rust), with character offsets.

It gives the same ids as `AlbertTokenizer` (our SentencePiece one) rather than those of transformers'
`AlbertTokenizerFast`; how the Rust pipeline is made to agree is described in `rust_backend.py`. Python does
what Rust cannot: splitting on special tokens (like the slow tokenizer), mapping a few whitespace
characters to spaces, routing each chunk to the ASCII / full / pre-normalised pipeline, and the
digit-comma rule as a table lookup on the ids.
"""

from __future__ import annotations

import logging
import os
import re
from pathlib import Path
from typing import Any

from albert.tokenizer.base import AlbertTokenizerBase
from albert.tokenizer.encoding import Encoded
from albert.tokenizer.files import parse_model_file
from albert.tokenizer.normalize import (
    SPIECE_UNDERLINE,
    lowercase_chars,
    preprocess_text,
    python_whitespace,
)
from albert.tokenizer.offsets import (
    cover_dropped_characters,
    may_drop_characters,
    spans_in_original,
    split_offsets,
)
from albert.tokenizer.retrain import RetrainMixin
from albert.tokenizer.rows import VERY_LARGE_INTEGER
from albert.tokenizer.rust_backend import (
    build_pipeline,
    check_supported,
    digit_comma_table,
    hard_characters,
    normalizer_steps,
    spm_model_from_tokenizer_json,
    tokenizer_json_dict,
    tokenizer_json_for,
    unigram_model,
    whitespace_fix_chars,
)

logger = logging.getLogger(__name__)


class AlbertTokenizerFast(RetrainMixin, AlbertTokenizerBase):
    """ALBERT tokenizer backed by `tokenizers`: same ids as `AlbertTokenizer`, plus offsets and word ids.

    Args:
        vocab_file: `spiece.model` (preferred: exact scores).
        tokenizer_file: `tokenizer.json` (a Unigram one, e.g. from the Hub), used when there is no
            vocab_file. Its normaliser is not used: the pipeline is rebuilt from the flags below.
        do_lower_case, remove_space, keep_accents, special tokens, model_max_length: as `AlbertTokenizer`.
        sp_model_kwargs: accepted for compatibility; subword sampling is not available here.
    """

    is_fast = True

    def __init__(
        self,
        vocab_file: str | os.PathLike | None = None,
        tokenizer_file: str | os.PathLike | None = None,
        do_lower_case: bool = True,
        remove_space: bool = True,
        keep_accents: bool = False,
        bos_token: Any = None,
        eos_token: Any = None,
        unk_token: Any = None,
        sep_token: Any = None,
        pad_token: Any = None,
        cls_token: Any = None,
        mask_token: Any = None,
        sp_model_kwargs: dict[str, Any] | None = None,
        model_max_length: int = VERY_LARGE_INTEGER,
        padding_side: str = "right",
        truncation_side: str = "right",
        clean_up_tokenization_spaces: bool = False,
        split_special_tokens: bool = False,
    ) -> None:
        if vocab_file is not None:
            _, model = parse_model_file(vocab_file)
        elif tokenizer_file is not None:
            path = Path(tokenizer_file)
            if not path.is_file():
                raise FileNotFoundError(f"tokenizer.json not found: {path}")
            try:
                model = spm_model_from_tokenizer_json(tokenizer_json_dict(path.read_text(encoding="utf-8")))
            except (ValueError, TypeError) as e:  # (a hand-edited file: name it)
                raise ValueError(f"{path}: {e}") from None
        else:
            raise TypeError(
                "AlbertTokenizerFast needs vocab_file (spiece.model) or tokenizer_file (tokenizer.json)"
            )
        if (sp_model_kwargs or {}).get("enable_sampling"):
            logger.warning(
                "AlbertTokenizerFast ignores sp_model_kwargs sampling; use AlbertTokenizer to sample"
            )
        check_supported(model)
        self.vocab_file = None if vocab_file is None else str(vocab_file)
        self.tokenizer_file = None if tokenizer_file is None else str(tokenizer_file)
        super().__init__(
            model,
            do_lower_case=do_lower_case,
            remove_space=remove_space,
            keep_accents=keep_accents,
            model_max_length=model_max_length,
            padding_side=padding_side,
            truncation_side=truncation_side,
            clean_up_tokenization_spaces=clean_up_tokenization_spaces,
            split_special_tokens=split_special_tokens,
            special_tokens=dict(
                bos_token=bos_token,
                eos_token=eos_token,
                unk_token=unk_token,
                sep_token=sep_token,
                pad_token=pad_token,
                cls_token=cls_token,
                mask_token=mask_token,
            ),  # fmt: skip
        )
        self._build()

    def _build(self) -> None:
        model = self._model
        unigram = unigram_model(model)  # one Rust model shared by the four pipelines
        flags = {"do_lower_case": self.do_lower_case, "keep_accents": self.keep_accents}
        self._pipes = {
            kind: build_pipeline(
                model,
                normalizer_steps(model, kind=kind, **flags),
                unigram,
                whitespace_split=self.remove_space or kind == "bare",
            )  # fmt: skip
            for kind in ("bare", "ascii", "full", "raw")
        }
        self._backend = self._pipes["full"]
        # With remove_space, all whitespace becomes " " in Python (1:1, offsets stay exact).
        ws = "".join(c for c in python_whitespace() if c != " ") if self.remove_space else ""
        hard = hard_characters(self.do_lower_case, self.keep_accents)
        self._ws_table = str.maketrans({c: " " for c in ws})
        # The charsmap on ASCII (control characters: deleted, or made spaces), applied in Python with an
        # offset map: the Rust normaliser misplaces offsets after a deleted character.
        charsmap = self._pipes["raw"].normalizer if model.charsmap else None
        ascii_map = {c: charsmap.normalize_str(c) for c in map(chr, range(128))} if charsmap else {}
        ascii_map = {c: out for c, out in ascii_map.items() if out != c}
        if any(len(out) > 1 for out in ascii_map.values()):
            raise ValueError("this charsmap expands ASCII characters; AlbertTokenizerFast cannot mirror it")
        self._ascii_map = {ord(c): out for c, out in ascii_map.items()}
        printable_changed = "".join(c for c in ascii_map if c.isprintable())
        self._ascii_changed = re.compile(f"[{re.escape(printable_changed)}]") if printable_changed else None
        deleted = "".join(c for c, out in ascii_map.items() if not out)
        # None when the normaliser deletes no ASCII character (nfkc, identity: "[]" is no pattern).
        self._ascii_deleted = re.compile(f"[{re.escape(deleted)}]") if deleted else None
        self._hard = frozenset(hard)
        table = digit_comma_table(self._pieces, self._reencoder(), self.convert_tokens_to_ids)  # type: ignore[arg-type]
        self._fix = {i: (list(f.ids), list(f.pieces)) for i, f in table.items()}
        self._fix_ids = frozenset(self._fix)

    @property
    def backend_tokenizer(self):
        """The Rust `tokenizers.Tokenizer` for general (non-ASCII) chunks, no special tokens."""
        return self._backend

    def _encode_pieces(self, text: str) -> list[str]:
        """SentencePiece's `encode(text, out_type=str)` on already normalised text, by the Rust model."""
        return self._pipes["raw"].encode(text, add_special_tokens=False).tokens

    def _reencoder(self):
        """The encoder the digit-comma rule re-encodes with: SentencePiece itself when the model file is
        at hand (so that ties between equal-score segmentations break as in the slow tokenizer)."""
        if not self._model.serialized:
            return self._encode_pieces
        import sentencepiece as spm

        sp = spm.SentencePieceProcessor()
        sp.LoadFromSerializedProto(self._model.serialized)
        return lambda text: sp.encode(text, out_type=str)

    # ----- encoding -------------------------------------------------------------------------------

    def _route(self, chunk: str) -> tuple[str, str, list[int] | None]:
        """(pipeline kind, chunk text to feed it, positions in `chunk` of the fed characters or None
        when they are the same)."""
        if chunk.isascii():
            plain = "``" not in chunk and "''" not in chunk
            positions = None
            changed = self._ascii_changed is not None and self._ascii_changed.search(chunk) is not None
            if changed or not chunk.isprintable():
                chunk = chunk.translate(self._ws_table)  # whitespace -> " " (1:1)
                deleted = self._ascii_deleted
                if deleted is not None and deleted.search(chunk) is not None:  # the charsmap deletes some
                    positions = [i for i, c in enumerate(chunk) if self._ascii_map.get(ord(c), c)]
                chunk = chunk.translate(self._ascii_map)
            if not plain:
                return "ascii", chunk, positions
            return "bare", chunk.lower() if self.do_lower_case else chunk, positions  # ASCII lower is 1:1
        if self._hard.isdisjoint(chunk):
            # Whitespace other than " " is not printable; so are a few other characters, harmlessly.
            return "full", chunk if chunk.isprintable() else chunk.translate(self._ws_table), None
        # Rare characters the Rust normalisers get wrong: preprocess in Python (offsets approximate).
        text = lowercase_chars(chunk) if self.do_lower_case else chunk
        return "raw", preprocess_text(text, remove_space=self.remove_space, keep_accents=self.keep_accents,
                                      do_lower_case=self.do_lower_case), None  # fmt: skip

    def _run(
        self, texts: list[str], *, detail: bool, tokens: bool = False, split: bool | None = None
    ) -> list[Encoded]:
        """Encode texts without special tokens; `detail` adds offsets and word ids, `tokens` the pieces."""
        groups: dict[str, list[str]] = {kind: [] for kind in self._pipes}
        plans: list[list[tuple]] = []
        firsts, route = self._special_firsts, self._route
        for text in texts:
            if firsts is not None:
                for c in firsts:
                    if c in text:
                        break
                else:  # no special token possible: one chunk, the whole text
                    kind, chunk, positions = route(text)
                    group = groups[kind]
                    plans.append([(kind, len(group), 0, len(text), positions)])
                    group.append(chunk)
                    continue
            cut, spans, _ = self._split_specials(text, split)
            if len(cut) != len(text):  # lowercasing changed lengths ("İ" -> "i̇"): map spans back to the text
                spans = spans_in_original(text, spans)
            plan = []
            for start, end, token in spans:
                if token is not None:
                    plan.append((None, token, start, end, None))
                    continue
                kind, chunk, positions = route(text[start:end])
                group = groups[kind]
                plan.append((kind, len(group), start, end, positions))
                group.append(chunk)
            plans.append(plan)
        results = {}
        for kind, chunks in groups.items():
            if chunks:
                pipe = self._pipes[kind]
                if detail or tokens:
                    results[kind] = pipe.encode_batch(chunks, add_special_tokens=False)
                else:  # no offsets tracked (tokenizers >= 0.20; encode_batch before that)
                    encode = getattr(pipe, "encode_batch_fast", pipe.encode_batch)
                    results[kind] = encode(chunks, add_special_tokens=False)
        if detail or tokens:
            return [self._stitch(plan, results, text, tokens) for plan, text in zip(plans, texts)]
        out = []
        fix_ids = self._fix_ids
        for plan in plans:
            if len(plan) == 1 and plan[0][0] is not None:  # the common case: one plain chunk
                ids = results[plan[0][0]][plan[0][1]].ids
                out.append(Encoded(ids if fix_ids.isdisjoint(ids) else self._fix_ids_only(ids)))
                continue
            ids = []
            for kind, ref, _, _, _ in plan:
                if kind is None:
                    ids.append(self.convert_tokens_to_ids(ref))
                else:
                    chunk_ids = results[kind][ref].ids
                    ids += chunk_ids if fix_ids.isdisjoint(chunk_ids) else self._fix_ids_only(chunk_ids)
            out.append(Encoded(ids))
        return out

    def _stitch(self, plan: list, results: dict, text: str, want_tokens: bool) -> Encoded:
        """Ids, offsets, word ids (and tokens) of one text from its chunks' encodings."""
        if len(plan) == 1 and plan[0][0] == "bare" and plan[0][4] is None and not want_tokens:
            # Most text: one chunk that Rust saw as it is (up to 1:1 changes), nothing dropped.
            enc = results["bare"][plan[0][1]]
            if self._fix_ids.isdisjoint(enc.ids):
                return Encoded(enc.ids, enc.offsets, enc.word_ids)
        ids: list[int] = []
        offsets: list[tuple[int, int]] = []
        words: list[int | None] = []
        tokens: list[str] = []
        next_word = 0
        for kind, ref, start, end, positions in plan:
            if kind is None:  # a special token: one word of its own, as in `tokenizers`
                ids.append(self.convert_tokens_to_ids(ref))  # type: ignore[arg-type]
                offsets.append((start, end))
                words.append(next_word)
                tokens.append(ref)
                next_word += 1
                continue
            enc = results[kind][ref]
            chunk_ids, chunk_offsets, chunk_words = enc.ids, enc.offsets, enc.word_ids
            limit = end - start
            if positions is not None:  # characters were deleted before Rust saw the chunk
                n = len(positions)
                chunk_offsets = [
                    (positions[a] if a < n else limit, positions[b - 1] + 1 if b else 0)
                    for a, b in chunk_offsets
                ]
            if kind == "raw":  # offsets into the Python-preprocessed text: keep them inside the chunk
                chunk_offsets = [(min(a, limit), min(b, limit)) for a, b in chunk_offsets]
            if start:
                chunk_offsets = [(a + start, b + start) for a, b in chunk_offsets]
            if next_word:
                chunk_words = [w + next_word for w in chunk_words]
            first = len(offsets)
            if self._fix_ids.isdisjoint(chunk_ids):
                ids += chunk_ids
                offsets += chunk_offsets
                words += chunk_words
                if want_tokens:
                    tokens += enc.tokens
            else:
                for i, o, w, t in zip(chunk_ids, chunk_offsets, chunk_words, enc.tokens):
                    if i in self._fix_ids:
                        new_ids, new_pieces = self._fix[i]
                        ids += new_ids
                        offsets += split_offsets(new_pieces, o)
                        words += [w] * len(new_ids)
                        tokens += new_pieces
                    else:
                        ids.append(i)
                        offsets.append(o)
                        words.append(w)
                        tokens.append(t)
            if (kind != "bare" or positions is not None) and may_drop_characters(text[start:end]):
                cover_dropped_characters(text, offsets, first, start, end)
            next_word = (max(words[first:]) + 1) if len(words) > first else next_word
        return Encoded(ids, offsets, words, tokens)

    def _fix_ids_only(self, ids: list[int]) -> list[int]:
        out: list[int] = []
        for i in ids:
            if i in self._fix_ids:
                out += self._fix[i][0]
            else:
                out.append(i)
        return out

    def _encode_texts(self, texts: list[str], *, offsets: bool, split: bool | None = None) -> list[Encoded]:
        return self._run(texts, detail=offsets, split=split)

    def _words_of(self, text: str, split: bool | None = None) -> list[int | None]:
        return self._run([text], detail=True, split=split)[0].words  # type: ignore[return-value]

    def _tokenize_text(self, text: str, split: bool | None = None) -> list[str]:
        return self._run([text], detail=True, tokens=True, split=split)[0].tokens  # type: ignore[return-value]

    # ----- decoding -------------------------------------------------------------------------------

    def convert_tokens_to_string(self, tokens: list[str]) -> str:
        """Pieces -> text with the Metaspace rule of transformers' fast tokenizer: "▁" is a space, and is
        dropped in the first token."""
        return "".join(
            t.replace(SPIECE_UNDERLINE, "") if i == 0 else t.replace(SPIECE_UNDERLINE, " ")
            for i, t in enumerate(tokens)
        )

    # ----- files ----------------------------------------------------------------------------------

    def _save_extra(self, directory: Path, name: str) -> list[str]:
        path = directory / name
        path.write_text(tokenizer_json_for(self, whitespace_fix_chars(self._model)), encoding="utf-8")
        return [str(path)]

    def __getstate__(self) -> dict:
        state = self.__dict__.copy()
        for key in ("_pipes", "_backend"):
            state.pop(key, None)
        return state

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        self._build()

    @classmethod
    def _from_files(cls, vocab_file: Path | None, tokenizer_file: Path | None, init: dict[str, Any]):
        # spiece.model has the true scores; a converted tokenizer.json has -100 on digit-comma pieces.
        if vocab_file is not None:
            return cls(vocab_file=vocab_file, **init)
        return cls(tokenizer_file=tokenizer_file, **init)


def load_tokenizer(name_or_path: str | os.PathLike[str], **hub: Any) -> AlbertTokenizerFast:
    """The fast ALBERT tokenizer saved with a model (the fast one: the pipelines and the NER and QA tasks
    need character offsets). `hub`: loading arguments such as `revision` or `token`."""
    return AlbertTokenizerFast.from_pretrained(name_or_path, **hub)
