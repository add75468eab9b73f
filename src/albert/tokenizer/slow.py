"""`AlbertTokenizer`: ALBERT's tokenizer on top of SentencePiece (the reference behaviour, contract §6.2).

Per text: lowercase outside special tokens, split on special tokens, preprocess each chunk (whitespace,
quotes, accents, case), SentencePiece, then the digit-comma rule. The ids equal transformers'
`AlbertTokenizer` (4.56); a batch is encoded with one multi-threaded SentencePiece call, and the
digit-comma rule is a table lookup, which is what makes it faster than upstream.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

import sentencepiece as spm

from albert.tokenizer.base import AlbertTokenizerBase
from albert.tokenizer.encoding import Encoded
from albert.tokenizer.files import parse_model_file
from albert.tokenizer.normalize import apply_digit_comma_rule, lowercase_chars, preprocess_text
from albert.tokenizer.rows import VERY_LARGE_INTEGER
from albert.tokenizer.rust_backend import (
    check_supported,
    digit_comma_table,
    whitespace_fix_chars,
)
from albert.tokenizer.train import train_sentencepiece

logger = logging.getLogger(__name__)


class AlbertTokenizer(AlbertTokenizerBase):
    """ALBERT tokenizer backed by `sentencepiece`; same ids as `transformers.AlbertTokenizer`.

    Args:
        vocab_file: the SentencePiece model (`spiece.model`).
        do_lower_case: lowercase the text (special tokens excepted).
        remove_space: trim and collapse whitespace before SentencePiece.
        keep_accents: keep accents (otherwise NFKD + drop combining characters).
        bos_token ... mask_token: special tokens (str, or dict/AddedToken with lstrip/rstrip flags);
            the mask token swallows the spaces on its left.
        sp_model_kwargs: passed to `SentencePieceProcessor`, e.g. `{"enable_sampling": True,
            "nbest_size": -1, "alpha": 0.1}` for subword regularisation.
        model_max_length: the length `truncation=True` cuts to when no max_length is given.
    """

    def __init__(
        self,
        vocab_file: str | os.PathLike,
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
        data, model = parse_model_file(vocab_file)
        self.sp_model_kwargs = dict(sp_model_kwargs or {})
        self.vocab_file = str(vocab_file)
        self.sp_model = self._load_processor(data)
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
        self._prepare()

    def _load_processor(self, data: bytes) -> spm.SentencePieceProcessor:
        try:
            sp = spm.SentencePieceProcessor(**self.sp_model_kwargs)
        except TypeError as e:
            raise TypeError(f"invalid sp_model_kwargs {self.sp_model_kwargs}: {e}") from None
        try:
            sp.LoadFromSerializedProto(data)
        except (RuntimeError, OSError) as e:
            raise ValueError(f"{self.vocab_file} is not a valid SentencePiece model: {e}") from None
        return sp

    def _prepare(self) -> None:
        # With sampling, the digit-comma rule must re-encode (sampled) like upstream: no table. The table
        # also assumes "," is a piece (otherwise an <unk> could hide a digit-comma surface string).
        sampling = bool(self.sp_model_kwargs.get("enable_sampling"))
        if sampling or self.sp_model.piece_to_id(",") == self._unk_id:
            self._fix = None
        else:
            table = digit_comma_table(self._pieces, self._encode_pieces, self.sp_model.piece_to_id)
            self._fix = {i: list(f.ids) for i, f in table.items()}
            self._fix_ids = frozenset(self._fix)

    def __getstate__(self) -> dict:
        state = self.__dict__.copy()
        state["sp_model"] = None  # SentencePieceProcessor is rebuilt from the model bytes
        return state

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        self.sp_model = self._load_processor(self._model.serialized)

    # ----- encoding -------------------------------------------------------------------------------

    def _encode_pieces(self, text: str) -> list[str]:
        return self.sp_model.encode(text, out_type=str)

    def _chunks(self, text: str, split: bool | None = None) -> list[str | int]:
        """Preprocessed text chunks (str) and special-token ids (int), in order."""
        cut, spans, lowered = self._split_specials(text, split)
        out: list[str | int] = []
        for start, end, token in spans:
            if token is not None:
                out.append(self.convert_tokens_to_ids(token))  # type: ignore[arg-type]
                continue
            chunk = cut[start:end]
            if self.do_lower_case and not lowered:
                chunk = lowercase_chars(chunk)
            out.append(
                preprocess_text(
                    chunk,
                    remove_space=self.remove_space,
                    keep_accents=self.keep_accents,
                    do_lower_case=self.do_lower_case,
                )  # fmt: skip
            )
        return out

    def _encode_texts(self, texts: list[str], *, offsets: bool, split: bool | None = None) -> list[Encoded]:
        if offsets:
            raise NotImplementedError(
                "return_offsets_mapping is only available with AlbertTokenizerFast (as in transformers): "
                "SentencePiece runs on preprocessed text, so its offsets do not point into the input"
            )
        if self._fix is None:
            return [Encoded(self.convert_tokens_to_ids(self._tokenize_text(t, split))) for t in texts]  # type: ignore[arg-type]
        plans = [self._chunks(t, split) for t in texts]
        chunks = [c for plan in plans for c in plan if isinstance(c, str)]
        encoded = iter(self.sp_model.encode(chunks) if chunks else [])
        fix, fix_ids = self._fix, self._fix_ids
        out = []
        for plan in plans:
            ids: list[int] = []
            for item in plan:
                if isinstance(item, int):
                    ids.append(item)
                    continue
                piece_ids = next(encoded)
                if fix_ids.isdisjoint(piece_ids):
                    ids += piece_ids
                else:
                    for i in piece_ids:
                        if i in fix_ids:
                            ids += fix[i]
                        else:
                            ids.append(i)
            out.append(Encoded(ids))
        return out

    def _tokenize_text(self, text: str, split: bool | None = None) -> list[str]:
        pieces: list[str] = []
        for item in self._chunks(text, split):
            if isinstance(item, int):
                pieces.append(self._id_to_token(item))
            elif item:
                pieces += apply_digit_comma_rule(self._encode_pieces(item), self._encode_pieces)
        return pieces

    # ----- decoding -------------------------------------------------------------------------------

    def convert_tokens_to_string(self, tokens: list[str]) -> str:
        """Pieces -> text: runs of pieces are decoded by SentencePiece; special tokens are kept as text,
        with a space before them unless the previous token was special too (upstream's rule)."""
        specials = set(self.all_special_tokens)
        out, run, prev_special = "", [], False
        for tok in tokens:
            if tok in specials:
                if not prev_special:
                    out += " "
                out += self.sp_model.decode(run) + tok
                run, prev_special = [], True
            else:
                run.append(tok)
                prev_special = False
        return (out + self.sp_model.decode(run)).strip()

    # ----- files ----------------------------------------------------------------------------------

    def _init_config(self) -> dict[str, Any]:
        return {**super()._init_config(), "sp_model_kwargs": self.sp_model_kwargs}

    def _save_extra(self, directory: Path, name: str) -> list[str]:
        # Also write tokenizer.json, so that transformers' AlbertTokenizerFast (what AutoTokenizer picks)
        # loads our pipeline instead of converting spiece.model with its own, less exact one.
        try:
            check_supported(self._model)
        except ValueError as e:
            logger.warning("not writing tokenizer.json: %s", e)
            return []
        from albert.tokenizer.rust_backend import tokenizer_json_for

        path = directory / name
        path.write_text(tokenizer_json_for(self, whitespace_fix_chars(self._model)), encoding="utf-8")
        return [str(path)]

    @classmethod
    def _from_files(cls, vocab_file: Path | None, tokenizer_file: Path | None, init: dict[str, Any]):
        return cls(vocab_file, **init)  # type: ignore[arg-type]

    @classmethod
    def train(cls, files: Any, output_dir: str | os.PathLike, **kwargs: Any) -> AlbertTokenizer:
        """Train a new vocabulary with ALBERT's settings (see `albert.tokenizer.train_sentencepiece`) and
        load it. The directory then holds a complete tokenizer (`from_pretrained(output_dir)`)."""
        train_sentencepiece(files, output_dir, **kwargs)
        return cls.from_pretrained(output_dir)  # type: ignore[return-value]
