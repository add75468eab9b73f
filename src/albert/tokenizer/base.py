"""What both ALBERT tokenizers share: special tokens, vocabulary, decoding, save/load (and, from
`api.py`, the call API).

Subclasses provide `_encode_texts` (texts -> ids without special tokens, optionally offsets),
`_tokenize_text` (pieces) and `convert_tokens_to_string`. Everything else (pairs, truncation with stride and overflow,
padding, tensors, special-token bookkeeping) is shared, so the two tokenizers cannot drift apart.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from albert.tokenizer.added import AddedTokensMixin
from albert.tokenizer.api import CallAPI
from albert.tokenizer.encoding import Encoded
from albert.tokenizer.files import (
    SPECIAL_TOKEN_NAMES,
    SpecialToken,
)
from albert.tokenizer.ids_api import IdsAPI
from albert.tokenizer.inputs import as_id_list, check_text
from albert.tokenizer.normalize import lowercase_outside, split_on_tokens
from albert.tokenizer.rows import VERY_LARGE_INTEGER
from albert.tokenizer.saving import TokenizerFilesMixin
from albert.tokenizer.spm_proto import USER_DEFINED, SpmModel

logger = logging.getLogger(__name__)

DEFAULT_SPECIAL_TOKENS: dict[str, Any] = {
    "bos_token": "[CLS]",
    "eos_token": "[SEP]",
    "unk_token": "<unk>",
    "sep_token": "[SEP]",
    "pad_token": "<pad>",
    "cls_token": "[CLS]",
    # [MASK] swallows the spaces on its left, so "of [MASK]" encodes like "of" + [MASK] (contract §6.1).
    "mask_token": SpecialToken("[MASK]", lstrip=True),
}

# transformers' clean_up_tokenization: no space before these.
_CLEANUP = ((" .", "."), (" ?", "?"), (" !", "!"), (" ,", ","), (" ' ", "'"), (" n't", "n't"), (" 'm", "'m"),
            (" 's", "'s"), (" 've", "'ve"), (" 're", "'re"))  # fmt: skip


class AlbertTokenizerBase(TokenizerFilesMixin, AddedTokensMixin, CallAPI, IdsAPI):
    """Shared behaviour of `AlbertTokenizer` and `AlbertTokenizerFast` (not used directly)."""

    is_fast = False
    model_input_names = ["input_ids", "token_type_ids", "attention_mask"]
    pad_token_type_id = 0

    def __init__(
        self,
        model: SpmModel,
        *,
        do_lower_case: bool = True,
        remove_space: bool = True,
        keep_accents: bool = False,
        model_max_length: int = VERY_LARGE_INTEGER,
        padding_side: str = "right",
        truncation_side: str = "right",
        clean_up_tokenization_spaces: bool = False,
        split_special_tokens: bool = False,
        special_tokens: dict[str, Any] | None = None,
    ) -> None:
        for name, side in (("padding_side", padding_side), ("truncation_side", truncation_side)):
            if side not in ("right", "left"):
                raise ValueError(f"{name} must be 'right' or 'left', got {side!r}")
        self.do_lower_case, self.remove_space, self.keep_accents = (
            _flag("do_lower_case", do_lower_case),
            _flag("remove_space", remove_space),
            _flag("keep_accents", keep_accents),
        )
        self.model_max_length = int(model_max_length) if model_max_length is not None else VERY_LARGE_INTEGER
        self.padding_side, self.truncation_side = padding_side, truncation_side
        self.clean_up_tokenization_spaces = _flag(
            "clean_up_tokenization_spaces", clean_up_tokenization_spaces
        )
        # True: special tokens written in the text are text (e.g. user input that must not inject a [SEP])
        self.split_special_tokens = _flag("split_special_tokens", split_special_tokens)
        self.name_or_path = ""
        self._model = model
        self._pieces = model.pieces
        self._piece_index = {p: i for i, p in enumerate(model.pieces)}
        self._unk_id = model.unk_id
        specials = {
            **DEFAULT_SPECIAL_TOKENS,
            **{k: v for k, v in (special_tokens or {}).items() if v is not None},
        }
        if isinstance(specials["mask_token"], str):  # upstream makes a plain-string mask token lstrip too
            specials["mask_token"] = SpecialToken(specials["mask_token"], lstrip=True)
        self._specials = {
            name: SpecialToken.coerce(specials[name], name=name) for name in SPECIAL_TOKEN_NAMES
        }
        # Special tokens missing from the vocabulary get new ids after it (transformers' added tokens).
        self._added: dict[str, int] = {}
        for tok in self._specials.values():
            if tok.content not in self._piece_index and tok.content not in self._added:
                self._added[tok.content] = len(self._pieces) + len(self._added)
        # Tokens added later (`added.py`): the additional special ones, and every added one's flags.
        self._additional: list[str] = []
        self._extra: dict[str, SpecialToken] = {}
        self._extra_special: set[str] = set()
        self._symbol_ids = frozenset(i for i, kind in enumerate(model.types) if kind == USER_DEFINED)
        self._refresh_added()

    # ----- subclass interface ---------------------------------------------------------------------

    def _encode_texts(self, texts: list[str], *, offsets: bool, split: bool | None = None) -> list[Encoded]:
        raise NotImplementedError

    def _tokenize_text(self, text: str, split: bool | None = None) -> list[str]:
        raise NotImplementedError

    def convert_tokens_to_string(self, tokens: list[str]) -> str:
        raise NotImplementedError

    def _words_of(self, text: str, split: bool | None = None) -> list[int | None]:
        raise ValueError("word_ids() is only available on outputs of AlbertTokenizerFast")

    # ----- special tokens -------------------------------------------------------------------------

    def _split_specials(
        self, text: str, split: bool | None = None
    ) -> tuple[str, list[tuple[int, int, str | None]], bool]:
        """(text to cut, its spans split on special tokens, whether that text is already lowercased).

        Mirrors transformers' `tokenize`: lowercasing comes first, so "<PAD>" becomes the special "<pad>".
        Texts that cannot hold a special token are returned as they are (not lowercased). With
        `split_special_tokens`, only the added tokens that are not special are split on (transformers'
        fast tokenizer; its slow one then splits on no added token at all). `split`: this call's
        `split_special_tokens`, None for the tokenizer's own.
        """
        if self._special_firsts is not None and not any(c in text for c in self._special_firsts):
            return text, ([(0, len(text), None)] if text else []), not self.do_lower_case
        kept, split = (
            (self._plain_re, self._plain_split_re)
            if (self.split_special_tokens if split is None else split)
            else (self._special_re, self._split_re)
        )
        if self.do_lower_case:
            text = lowercase_outside(text, kept)
        return text, split_on_tokens(text, split, self._strip), True

    @property
    def all_special_tokens(self) -> list[str]:
        """Special token strings, transformers' order (bos, eos, unk, sep, pad, cls, mask, then the
        additional ones), no repeats."""
        named = (self._specials[n].content for n in SPECIAL_TOKEN_NAMES)
        return list(dict.fromkeys([*named, *self._additional]))

    @property
    def all_special_ids(self) -> list[int]:
        return [self.convert_tokens_to_ids(t) for t in self.all_special_tokens]

    @property
    def special_tokens_map(self) -> dict[str, Any]:
        out: dict[str, Any] = {name: tok.content for name, tok in self._specials.items()}
        if self._additional:
            out["additional_special_tokens"] = list(self._additional)
        return out

    @property
    def user_defined_symbol_ids(self) -> frozenset[int]:
        """Ids of the vocabulary's user-defined symbols ("(", ".", "-", ... in ALBERT's): SentencePiece
        always makes each a piece of its own, and transformers' converter makes them added tokens."""
        return self._symbol_ids

    def get_added_vocab(self) -> dict[str, int]:
        """The added tokens (the special tokens, as in transformers 4.56, and those of `add_tokens`) -> id,
        by id."""
        contents = {*self.all_special_tokens, *self._extra}
        return dict(sorted(((c, self.convert_tokens_to_ids(c)) for c in contents), key=lambda x: x[1]))

    def _id_of(self, content: str) -> int | None:
        """The id of a piece or added token; None if it has none."""
        return self._added.get(content, self._piece_index.get(content))

    # ----- vocabulary -----------------------------------------------------------------------------

    @property
    def vocab_size(self) -> int:
        """Number of SentencePiece pieces (30000 for ALBERT), without added tokens."""
        return len(self._pieces)

    def __len__(self) -> int:
        return len(self._pieces) + len(self._added)

    def get_vocab(self) -> dict[str, int]:
        vocab = {p: i for i, p in enumerate(self._pieces)}
        vocab.update(self._added)
        return vocab

    def convert_tokens_to_ids(self, tokens: str | Sequence[str] | None) -> int | list[int] | None:
        """Piece(s) -> id(s); unknown pieces give the unk id."""
        if tokens is None:
            return None
        if isinstance(tokens, str):
            if tokens in self._added:
                return self._added[tokens]
            return self._piece_index.get(tokens, self._unk_id)
        if not isinstance(tokens, (list, tuple)):
            raise TypeError(f"tokens must be a str or a list of str, got {type(tokens).__name__}")
        return [self.convert_tokens_to_ids(t) for t in tokens]  # type: ignore[misc]

    def convert_ids_to_tokens(
        self, ids: int | Sequence[int], skip_special_tokens: bool = False
    ) -> str | list[str]:
        """Id(s) -> piece(s); `skip_special_tokens` drops special ones (lists only)."""
        if isinstance(ids, int) or getattr(ids, "ndim", None) == 0:  # also numpy / 0-d tensor scalars
            return self._id_to_token(int(ids))  # type: ignore[arg-type]
        ids = as_id_list(ids)
        return [self._id_to_token(i) for i in ids if not (skip_special_tokens and i in self._special_ids)]

    def _convert_id_to_token(self, index: int) -> str:
        """transformers' private name, which its data collators call (DataCollatorForWholeWordMask)."""
        return self._id_to_token(int(index))

    def _convert_token_to_id(self, token: str) -> int:
        """transformers' private name (the id of one token; unknown pieces give the unk id)."""
        return self.convert_tokens_to_ids(token)  # type: ignore[return-value]

    def _id_to_token(self, i: int) -> str:
        if 0 <= i < len(self._pieces):
            return self._special_ids.get(i) or self._pieces[i]
        if i in self._added_decoder:
            return self._added_decoder[i]
        raise IndexError(f"token id {i} is out of range for a vocabulary of {len(self)} tokens")

    def tokenize(
        self,
        text: str,
        pair: str | None = None,
        add_special_tokens: bool = False,
        split_special_tokens: bool | None = None,
    ) -> list[str]:
        """Text -> pieces (e.g. "▁hello"). Unknown characters keep their text, as SentencePiece does.
        `split_special_tokens` overrides the tokenizer's setting for this call."""
        split = split_special_tokens
        pieces = self._tokenize_text(check_text(text, "text"), split)
        if pair is not None:
            pair_pieces = self._tokenize_text(check_text(pair, "pair"), split)
        if not add_special_tokens:
            return pieces + (pair_pieces if pair is not None else [])
        cls, sep = self.cls_token, self.sep_token
        return [cls, *pieces, sep] + ([*pair_pieces, sep] if pair is not None else [])

    # ----- sequences with special tokens ----------------------------------------------------------

    def build_inputs_with_special_tokens(
        self, token_ids_0: list[int], token_ids_1: list[int] | None = None
    ) -> list[int]:
        """`[CLS] A [SEP]` or `[CLS] A [SEP] B [SEP]`."""
        out = [self.cls_token_id, *token_ids_0, self.sep_token_id]
        return out if token_ids_1 is None else out + [*token_ids_1, self.sep_token_id]

    def create_token_type_ids_from_sequences(
        self, token_ids_0: list[int], token_ids_1: list[int] | None = None
    ) -> list[int]:
        """0 for `[CLS] A [SEP]`, 1 for `B [SEP]`."""
        out = [0] * (len(token_ids_0) + 2)
        return out if token_ids_1 is None else out + [1] * (len(token_ids_1) + 1)

    def get_special_tokens_mask(
        self,
        token_ids_0: list[int],
        token_ids_1: list[int] | None = None,
        already_has_special_tokens: bool = False,
    ) -> list[int]:
        """1 where `build_inputs_with_special_tokens` puts a special token (or, with
        `already_has_special_tokens`, wherever an id is a special token's)."""
        if already_has_special_tokens:
            if token_ids_1 is not None:
                raise ValueError("already_has_special_tokens=True takes a single, already built sequence")
            return [1 if i in self._special_ids else 0 for i in token_ids_0]
        out = [1] + [0] * len(token_ids_0) + [1]
        return out if token_ids_1 is None else out + [0] * len(token_ids_1) + [1]

    def num_special_tokens_to_add(self, pair: bool = False) -> int:
        return 3 if pair else 2

    # ----- decoding -------------------------------------------------------------------------------

    def decode(
        self,
        token_ids: int | Sequence[int] | Any,
        skip_special_tokens: bool = False,
        clean_up_tokenization_spaces: bool | None = None,
        spaces_between_special_tokens: bool = True,
    ) -> str:
        """Ids -> text. Special tokens stay as text ("[CLS] hello world[SEP]") unless skipped.
        `spaces_between_special_tokens=False` joins added tokens to their neighbours without a space."""
        ids = as_id_list(token_ids)
        for i in ids:
            if not 0 <= i < len(self):
                raise IndexError(f"token id {i} is out of range for a vocabulary of {len(self)} tokens")
        text = self._decode_ids(ids, skip_special_tokens, spaces_between_special_tokens)
        clean = (
            self.clean_up_tokenization_spaces
            if clean_up_tokenization_spaces is None
            else clean_up_tokenization_spaces
        )
        if clean:
            for before, after in _CLEANUP:
                text = text.replace(before, after)
        return text

    def _decode_ids(self, ids: list[int], skip_special_tokens: bool, spaces: bool = True) -> str:
        """transformers' `_decode`: added tokens (not special) and additional special tokens past the
        vocabulary stand apart, joined to the rest by spaces; the runs between them go through the
        class's `convert_tokens_to_string`."""
        tokens: list[str] = self.convert_ids_to_tokens(ids, skip_special_tokens)  # type: ignore[assignment]
        apart = self._set_apart
        if not apart or apart.isdisjoint(tokens):
            return self.convert_tokens_to_string(tokens)
        parts: list[str] = []
        run: list[str] = []
        for token in tokens:
            if token not in apart:
                run.append(token)
                continue
            if run and (text := self.convert_tokens_to_string(run)):
                parts.append(text)
            run = []
            parts.append(token)
        if run:
            parts.append(self.convert_tokens_to_string(run))
        return (" " if spaces else "").join(parts)

    def batch_decode(self, sequences: Sequence[Sequence[int]] | Any, **kwargs: Any) -> list[str]:
        if not hasattr(sequences, "tolist") and callable(getattr(sequences, "numpy", None)):
            sequences = sequences.numpy()  # a TensorFlow tensor
        if hasattr(sequences, "tolist"):
            sequences = sequences.tolist()
        return [self.decode(seq, **kwargs) for seq in sequences]

    def clean_up_tokenization(self, text: str) -> str:
        for before, after in _CLEANUP:
            text = text.replace(before, after)
        return text

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(name_or_path={self.name_or_path!r}, vocab_size={self.vocab_size}, "
            f"do_lower_case={self.do_lower_case}, keep_accents={self.keep_accents}, "
            f"model_max_length={self.model_max_length})"
        )


def _flag(name: str, value: Any) -> bool:
    """An on/off option; a string such as "false" (a hand-edited tokenizer_config.json) would otherwise be
    true, silently."""
    if value in (True, False) and not isinstance(value, str):  # bool, 0, 1, numpy bools
        return bool(value)
    raise TypeError(f"{name} must be True or False, got {value!r}")


def _special_property(name: str) -> tuple[property, property]:
    def token(self: AlbertTokenizerBase) -> str:
        return self._specials[name].content

    def token_id(self: AlbertTokenizerBase) -> int:
        return self.convert_tokens_to_ids(self._specials[name].content)  # type: ignore[return-value]

    def set_token(self: AlbertTokenizerBase, value: Any) -> None:
        # transformers' `tok.pad_token = tok.eos_token`: a token the tokenizer already has. A new one
        # would get no id there (the unknown token's, silently); here it is an error saying how to add it.
        if value is None:  # every ALBERT special token has a role in the model's inputs or the pipelines
            raise ValueError(
                f"the {name} cannot be unset (None): AlbertTokenizer keeps all of its special tokens; set it "
                f"to another token of the vocabulary instead (tokenizer.{name} = '...')"
            )
        content = SpecialToken.coerce(value, name=name).content
        if self._id_of(content) is None:
            raise ValueError(
                f"{value!r} cannot be the {name}: it is not in the vocabulary. Add it with "
                f"tokenizer.add_special_tokens({{{name!r}: {value!r}}}), then resize the model "
                "(model.resize_token_embeddings(len(tokenizer)))"
            )
        self._set_named_special(name, value)
        self._refresh_added()

    def set_token_id(self: AlbertTokenizerBase, value: int) -> None:
        set_token(self, self.convert_ids_to_tokens(int(value)))

    token.__doc__ = f"The {name.replace('_', ' ')} string (settable to a token the tokenizer has)."
    token_id.__doc__ = f"The id of the {name.replace('_', ' ')} (settable, as the token)."
    return property(token, set_token), property(token_id, set_token_id)


for _name in SPECIAL_TOKEN_NAMES:
    _tok, _tok_id = _special_property(_name)
    setattr(AlbertTokenizerBase, _name, _tok)
    setattr(AlbertTokenizerBase, _name + "_id", _tok_id)
