"""transformers' `train_new_from_iterator` for `AlbertTokenizerFast`: the same tokenizer with a vocabulary
learned from new text (SentencePiece unigram, `spm_train.py`)."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from albert.tokenizer.spm_train import flatten_batches, train_unigram


class RetrainMixin:
    """Mixed into `AlbertTokenizerFast`, whose special tokens, settings and pieces it reads."""

    _specials: dict[str, Any]
    _additional: list[str]
    _pieces: Any
    user_defined_symbol_ids: Any
    do_lower_case: bool
    keep_accents: bool
    remove_space: bool
    padding_side: str
    truncation_side: str

    def train_new_from_iterator(
        self,
        text_iterator: Any,
        vocab_size: int,
        length: int | None = None,
        new_special_tokens: list[str] | None = None,
        special_tokens_map: dict[str, str] | None = None,
        **kwargs: Any,
    ) -> Any:
        """A tokenizer like this one (preprocessing, special tokens, ALBERT's id layout and symbols) with a
        new `vocab_size`-piece vocabulary learned from `text_iterator` (texts, or batches of texts as
        transformers' examples give). transformers trains a `tokenizers` unigram; this trains SentencePiece,
        as ALBERT's own vocabulary was, so the result also has a `spiece.model` for `AlbertTokenizer`.
        `special_tokens_map` renames special tokens ({"[CLS]": "<cls>"}); `new_special_tokens` are added;
        `kwargs` are SentencePiece trainer options. `length` (a progress hint upstream) is not needed."""
        rename = dict(special_tokens_map or {})
        named = {name: rename.get(tok.content, tok.content) for name, tok in self._specials.items()}
        pad, unk = named.get("pad_token", "<pad>"), named.get("unk_token", "<unk>")
        control = [
            named[n] for n in ("cls_token", "sep_token", "mask_token", "bos_token", "eos_token") if n in named
        ]
        control = [c for c in dict.fromkeys(control) if c not in (pad, unk)]
        symbols = [self._pieces[i] for i in sorted(self.user_defined_symbol_ids)]
        kwargs.pop(
            "show_progress", None
        )  # a `tokenizers` trainer option; SentencePiece logs with verbose=True
        with tempfile.TemporaryDirectory(prefix="albert-vocab-") as tmp:
            path = train_unigram(
                flatten_batches(text_iterator),
                Path(tmp),
                vocab_size=vocab_size,
                do_lower_case=self.do_lower_case,
                keep_accents=self.keep_accents,
                remove_space=self.remove_space,
                user_defined_symbols=symbols,
                control_symbols=control,
                pad_piece=pad,
                unk_piece=unk,
                **kwargs,
            )
            new = type(self)(vocab_file=path, **self._init_config(), **named)
        new.vocab_file = None  # the model is in memory; the temporary file is gone
        new.padding_side, new.truncation_side = self.padding_side, self.truncation_side
        additional = [rename.get(t, t) for t in self._additional] + list(new_special_tokens or [])
        if additional:
            new.add_special_tokens({"additional_special_tokens": additional})
        return new
