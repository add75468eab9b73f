"""Tokens added after the SentencePiece vocabulary: transformers' `add_tokens` / `add_special_tokens`.

An added token is cut out of the text before SentencePiece sees it, exactly where the special tokens are
(`AlbertTokenizerBase._split_specials`), so both tokenizers give the ids of transformers' *slow* ALBERT
tokenizer (contract §6.2):

* `add_tokens("Zorblax")` stores "zorblax" when the tokenizer lowercases (a normalised, non-special token
  is lowercased on the way in, as upstream), so it matches "Zorblax", "zorblax" and "ZORBLAX";
* a special token (`add_special_tokens({"additional_special_tokens": [...]})`, or `special_tokens=True`)
  is matched as written, and text around it is not lowercased into it;
* a token that is already a vocabulary piece keeps the piece's id and is still cut out of the text;
* a new token gets the next id (`len(tokenizer)`), so `model.resize_token_embeddings(len(tokenizer))`
  makes room for it.

transformers' fast tokenizer differs (an extra "▁" piece before an added token that follows a space; the
token's text keeps its capitals): `docs/differences.md`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from albert.tokenizer.files import SPECIAL_TOKEN_NAMES, SpecialToken
from albert.tokenizer.normalize import token_regex

ADDITIONAL = "additional_special_tokens"


def _as_token_list(tokens: Any) -> list[Any]:
    return list(tokens) if isinstance(tokens, (list, tuple)) else [tokens]


def _coerce(token: Any, *, special: bool, what: str) -> tuple[SpecialToken, bool]:
    """(flags, is special) of a str or an AddedToken (`tokenizers.AddedToken`, transformers' too)."""
    if isinstance(token, str):
        return SpecialToken(token, normalized=not special), special
    if isinstance(getattr(token, "content", None), str):
        flags = SpecialToken.coerce(token, name=what)
        if flags.single_word:
            raise NotImplementedError(
                f"{what} {flags.content!r} has single_word=True, which albert-lite does not support; "
                "add it without single_word"
            )
        return flags, special or bool(getattr(token, "special", False))
    raise TypeError(f"{what} must be a str or an AddedToken, got {type(token).__name__}: {token!r}")


class AddedTokensMixin:
    """transformers' added-token API over the state that `AlbertTokenizerBase` keeps:

    `_specials` (the seven named special tokens), `_additional` (the additional special tokens, in order),
    `_extra` (every added token other than the named ones -> its flags), `_extra_special` (which of those
    were added as special) and `_added` (content -> id for the ids past the vocabulary).
    """

    _specials: dict[str, SpecialToken]
    _additional: list[str]
    _extra: dict[str, SpecialToken]
    _extra_special: set[str]
    _added: dict[str, int]
    _symbol_ids: frozenset[int]
    _pieces: tuple[str, ...] | list[str]
    do_lower_case: bool
    all_special_tokens: list[str]

    def get_added_vocab(self) -> dict[str, int]:  # provided by AlbertTokenizerBase
        raise NotImplementedError

    def _refresh_added(self) -> None:
        """Recompute what encoding and decoding derive from the special and added tokens."""
        self._added_decoder = {i: c for c, i in self._added.items()}
        specials = self.all_special_tokens
        self._special_ids = {self.convert_tokens_to_ids(c): c for c in specials}
        # Lowercasing leaves the special tokens and the normalised added ones as written (transformers'
        # `tokenize`); the text is then cut on every special and added token.
        kept = [c for c, t in self._extra.items() if t.normalized and c not in self._extra_special]
        self._special_re = token_regex([*specials, *kept])
        self._split_re = token_regex([*specials, *self._extra])
        # The same without the special tokens (`split_special_tokens=True`).
        plain = [c for c in self._extra if c not in specials]
        self._plain_re, self._plain_split_re = (
            token_regex([c for c in kept if c in plain]),
            token_regex(plain),
        )
        tokens = [*self._specials.values(), *self._extra.values()]
        self._strip = {t.content: (t.lstrip, t.rstrip) for t in tokens}
        # Texts without any of these characters cannot contain a special token, even after lowercasing.
        firsts = {t.content[0] for t in tokens}
        self._special_firsts = None if any(c.isalpha() for c in firsts) else tuple(firsts)
        # Decoding sets these apart (transformers' `_decode`): added tokens that are not special, and
        # additional special tokens past the vocabulary.
        self._set_apart = {c for c in self._extra if c not in specials} | {
            c for c in self._additional if self.convert_tokens_to_ids(c) >= len(self._pieces)
        }

    def convert_tokens_to_ids(self, tokens: Any) -> Any:  # provided by AlbertTokenizerBase
        raise NotImplementedError

    def __len__(self) -> int:  # provided by AlbertTokenizerBase
        raise NotImplementedError

    @property
    def additional_special_tokens(self) -> list[str]:
        """The special tokens added by `add_special_tokens({"additional_special_tokens": [...]})`."""
        return list(self._additional)

    @property
    def additional_special_tokens_ids(self) -> list[int]:
        return [self.convert_tokens_to_ids(t) for t in self._additional]

    def add_tokens(self, new_tokens: Any, special_tokens: bool = False) -> int:
        """Add tokens (a str, an AddedToken or a list of them) that the text is split on before
        SentencePiece. Returns how many got a new id; resize the model with `len(tokenizer)`."""
        new = self._add(_as_token_list(new_tokens), special=special_tokens, what="new_tokens")
        self._refresh_added()
        return new

    def add_special_tokens(
        self, special_tokens_dict: Mapping[str, Any], replace_additional_special_tokens: bool = True
    ) -> int:
        """Set named special tokens (`{"pad_token": "[PAD]"}`) and/or add `additional_special_tokens`
        (which replace the previous list unless `replace_additional_special_tokens=False`; tokens once
        added keep their ids). Returns how many got a new id."""
        if not isinstance(special_tokens_dict, Mapping):
            raise TypeError(
                "add_special_tokens takes a dict such as {'additional_special_tokens': ['<e1>']}, got "
                f"{type(special_tokens_dict).__name__}; use add_tokens(...) for a list of tokens"
            )
        allowed = (*SPECIAL_TOKEN_NAMES, ADDITIONAL)
        for key in special_tokens_dict:
            if key not in allowed:
                raise ValueError(
                    f"add_special_tokens: unknown key {key!r}; the keys are {', '.join(allowed)}"
                )
        for name, value in special_tokens_dict.items():  # check everything before changing anything
            if name == ADDITIONAL:
                for token in _as_token_list(value):
                    _coerce(token, special=True, what=ADDITIONAL)
            else:
                SpecialToken.coerce(value, name=name)
        new = 0
        for name, value in special_tokens_dict.items():
            if name != ADDITIONAL:
                new += self._set_named_special(name, value)
                continue
            tokens = _as_token_list(value)
            new += self._add(tokens, special=True, what=ADDITIONAL)
            contents = [_coerce(t, special=True, what=ADDITIONAL)[0].content for t in tokens]
            if replace_additional_special_tokens and contents:
                self._additional = list(dict.fromkeys(contents))
            else:
                self._additional += [c for c in dict.fromkeys(contents) if c not in self._additional]
        self._refresh_added()
        return new

    def _set_named_special(self, name: str, value: Any) -> int:
        """Make `value` the `name` special token (e.g. pad_token); the previous one stays split on."""
        flags = SpecialToken.coerce(value, name=name)
        old = self._specials[name]
        if old.content == flags.content:
            self._specials[name] = flags
            return 0
        others = {t.content for n, t in self._specials.items() if n != name} | set(self._additional)
        if old.content not in others:  # the old token is still cut out of the text, as upstream
            self._extra.setdefault(old.content, old)
            self._extra_special.add(old.content)
        new = self._new_id(flags.content)
        self._specials[name] = flags
        self._extra.pop(flags.content, None)
        self._extra_special.discard(flags.content)
        return new

    def _add(self, tokens: Iterable[Any], *, special: bool, what: str) -> int:
        """Register each token (transformers' `_add_tokens` rules); returns the number of new ids."""
        named = {t.content for t in self._specials.values()}
        checked = []  # every token checked before any is added
        for token in tokens:
            if isinstance(token, str) and (token in self._extra or token in named):
                continue
            is_special = special or (isinstance(token, str) and token in self._additional)
            checked.append(_coerce(token, special=is_special, what=what))
        new = 0
        for flags, is_special in checked:
            if not flags.content:
                continue
            if not is_special and flags.normalized and self.do_lower_case:
                flags = SpecialToken(flags.content.lower(), flags.lstrip, flags.rstrip, False, True)
            if flags.content in named or flags.content in self._extra:
                continue
            new += self._new_id(flags.content)
            self._extra[flags.content] = flags
            if is_special:
                self._extra_special.add(flags.content)
                if flags.content not in self._additional:
                    self._additional.append(flags.content)
        return new

    def _new_id(self, content: str) -> int:
        """Give `content` the next id unless it has one (a vocabulary piece or an earlier added token)."""
        if self._id_of(content) is not None:
            return 0
        self._added[content] = len(self)
        return 1

    def _id_of(self, content: str) -> int | None:  # provided by AlbertTokenizerBase
        raise NotImplementedError

    def _restore_added(self, entries: list[tuple[int, SpecialToken, bool]], additional: list[str]) -> None:
        """Re-create saved added tokens `(id, flags, special)` at their saved ids; a file whose ids do not
        follow from the vocabulary is an error (it was not written by a tokenizer of this vocabulary)."""
        named = {t.content for t in self._specials.values()}
        for token_id, flags, special in sorted(entries, key=lambda e: e[0]):
            if flags.content in named:
                continue
            if flags.single_word:
                raise NotImplementedError(
                    f"the added token {flags.content!r} has single_word=True, which albert-lite does not support"
                )
            if not special and flags.normalized and self.do_lower_case:
                flags = SpecialToken(flags.content.lower(), flags.lstrip, flags.rstrip, False, True)
            known = self._id_of(flags.content)
            if not special and known == token_id and token_id in self._symbol_ids:
                continue  # transformers' fast tokenizer lists "(", "-", ... so: they are vocabulary pieces
            if known is None and token_id == len(self):
                self._added[flags.content] = token_id
            elif known != token_id:
                raise ValueError(
                    f"the added token {flags.content!r} is saved with id {token_id}, but this vocabulary "
                    f"gives it {'no id' if known is None else known} and the next free id is {len(self)}: "
                    "the tokenizer files do not belong together (re-save the tokenizer with transformers)"
                )
            self._extra[flags.content] = flags
            if special:
                self._extra_special.add(flags.content)
        for content in additional:
            if content not in self._extra and content not in named:
                self._add([content], special=True, what=ADDITIONAL)
        self._additional = list(dict.fromkeys(additional))
        self._refresh_added()

    def _flags(self, content: str) -> SpecialToken:
        """The flags of a special or added token."""
        named = {t.content: t for t in self._specials.values()}
        return named.get(content) or self._extra[content]

    @property
    def added_tokens_decoder(self) -> dict[int, Any]:
        """id -> `tokenizers.AddedToken` of every special and added token (transformers' attribute)."""
        from tokenizers import AddedToken

        return {int(i): AddedToken(**flags) for i, flags in self._added_tokens_json().items()}

    @property
    def added_tokens_encoder(self) -> dict[str, int]:
        """content -> id of every special and added token."""
        return {str(token): i for i, token in sorted(self.added_tokens_decoder.items())}

    def _added_tokens_json(self) -> dict[str, dict[str, Any]]:
        """tokenizer_config.json's `added_tokens_decoder`: id -> flags of every special and added token."""
        specials = set(self.all_special_tokens) | self._extra_special
        return {
            str(i): self._flags(c).to_json(special=c in specials) for c, i in self.get_added_vocab().items()
        }
