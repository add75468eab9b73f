"""Saving and loading the tokenizer files transformers reads and writes (spiece.model, tokenizer.json,
tokenizer_config.json, special_tokens_map.json, added_tokens.json), and pushing them to the Hub. Mixed
into `AlbertTokenizerBase`; file names and JSON helpers are in `files.py`."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from albert.hub_push import PushToHubMixin, save_then_push
from albert.tokenizer.added import ADDITIONAL
from albert.tokenizer.files import (
    ADDED_TOKENS_FILE,
    CONFIG_FILE,
    INIT_KEYS,
    SPECIAL_TOKENS_MAP_FILE,
    TOKENIZER_FILE,
    VOCAB_FILE,
    added_tokens_in_files,
    find_tokenizer_files,
    init_kwargs_from_config,
    write_json,
)


class TokenizerFilesMixin(PushToHubMixin):
    """`save_pretrained` / `from_pretrained` / `save_vocabulary` / `push_to_hub` of both tokenizers."""

    hub_what = "tokenizer"
    is_fast: bool
    _model: Any
    _specials: dict[str, Any]
    _additional: list[str]
    _pieces: Any

    def _init_config(self) -> dict[str, Any]:
        """Constructor arguments, as saved in tokenizer_config.json."""
        return {
            "do_lower_case": self.do_lower_case,
            "remove_space": self.remove_space,
            "keep_accents": self.keep_accents,
            "model_max_length": self.model_max_length,
            "clean_up_tokenization_spaces": self.clean_up_tokenization_spaces,
            # written only when set, as transformers does
            **({"split_special_tokens": True} if self.split_special_tokens else {}),
            # written when not the default, even when set as an attribute after loading (transformers
            # writes them only when they were constructor arguments: docs/differences.md)
            **{
                side: getattr(self, side)
                for side in ("padding_side", "truncation_side")
                if getattr(self, side, "right") != "right"
            },  # fmt: skip
            "sp_model_kwargs": {},
        }

    def save_vocabulary(
        self, save_directory: str | os.PathLike, filename_prefix: str | None = None
    ) -> tuple[str]:
        """Write `spiece.model` (prefixed with `filename_prefix-` if given) into an existing directory."""
        directory = Path(save_directory)
        if not directory.is_dir():
            raise NotADirectoryError(f"save_vocabulary needs an existing directory, got {directory}")
        if not self._model.serialized:
            raise ValueError(
                "this tokenizer was loaded from tokenizer.json alone and has no spiece.model to save; "
                "save_pretrained() still writes tokenizer.json"
            )
        path = directory / ((filename_prefix + "-" if filename_prefix else "") + VOCAB_FILE)
        path.write_bytes(self._model.serialized)
        return (str(path),)

    def save_pretrained(
        self,
        save_directory: str | os.PathLike,
        legacy_format: bool | None = None,
        filename_prefix: str | None = None,
        push_to_hub: bool = False,
        **push_options: Any,
    ) -> tuple[str, ...]:
        """Write the tokenizer files transformers reads: spiece.model, tokenizer.json,
        tokenizer_config.json and special_tokens_map.json (+ added_tokens.json). Returns the paths written.

        As transformers: `legacy_format=True` writes spiece.model without tokenizer.json, False
        tokenizer.json without spiece.model; `filename_prefix` prefixes those (and added_tokens.json).
        `push_to_hub=True` then uploads them (`repo_id=`, `token=`, ...: `albert.hub_push`)."""
        save = lambda: self._write_files(Path(save_directory), legacy_format, filename_prefix)  # noqa: E731
        return save_then_push(save, save_directory, push_options, push=push_to_hub, what="tokenizer")

    def _write_files(
        self, directory: Path, legacy_format: bool | None, filename_prefix: str | None
    ) -> tuple[str, ...]:
        if directory.is_file():
            raise NotADirectoryError(f"{directory} is a file")
        directory.mkdir(parents=True, exist_ok=True)
        prefix = f"{filename_prefix}-" if filename_prefix else ""
        written: list[str] = []
        if self._model.serialized and legacy_format is not False:
            written += self.save_vocabulary(directory, filename_prefix)
        if legacy_format is not True:
            written += self._save_extra(directory, prefix + TOKENIZER_FILE)
        if not written:
            raise ValueError(
                f"legacy_format={legacy_format!r} leaves nothing to read the vocabulary from (no spiece.model "
                "or no tokenizer.json for this tokenizer); save with legacy_format=None"
            )
        config: dict[str, Any] = {"added_tokens_decoder": self._added_tokens_json(), **self._init_config()}
        for name, tok in self._specials.items():
            config[name] = tok.content
        if self._additional:
            config[ADDITIONAL] = list(self._additional)
        config.update({"extra_special_tokens": {}, "tokenizer_class": "AlbertTokenizer"})
        written.append(write_json(directory / CONFIG_FILE, config))
        special_map: dict[str, Any] = {
            name: (tok.to_json() if (tok.lstrip or tok.rstrip or tok.single_word) else tok.content)
            for name, tok in self._specials.items()
        }
        if self._additional:
            special_map[ADDITIONAL] = [self._flags(c).to_json() for c in self._additional]
        written.append(write_json(directory / SPECIAL_TOKENS_MAP_FILE, special_map))
        past = {c: i for c, i in self.get_added_vocab().items() if i >= len(self._pieces)}
        if past and legacy_format is not False:  # what transformers also writes
            written.append(write_json(directory / (prefix + ADDED_TOKENS_FILE), past))
        return tuple(written)

    def _save_extra(self, directory: Path, name: str) -> list[str]:
        """Write tokenizer.json as `name`; returns the paths written."""
        return []

    @classmethod
    def from_pretrained(cls, name_or_path: str | os.PathLike, **kwargs: Any) -> Any:
        """Load from a tokenizer directory (spiece.model and/or tokenizer.json, tokenizer_config.json,
        special_tokens_map.json), a single spiece.model / tokenizer.json file, or a hub id.

        Keyword arguments override tokenizer_config.json (e.g. `do_lower_case=False`); the loading
        arguments of `albert.loading` (`revision`, `cache_dir`, ...) are accepted too.
        """
        from albert.hub import hub_options
        from albert.loading import normalise_loading_kwargs

        owner = f"{cls.__name__}.from_pretrained"
        options = normalise_loading_kwargs(
            owner, kwargs, accepted=INIT_KEYS, what="a tokenizer argument", model=False
        )
        with hub_options(**options.hub):
            files = find_tokenizer_files(name_or_path, need_vocab=not cls.is_fast, class_name=cls.__name__)
        init = init_kwargs_from_config(files.config)
        init.update(options.rest)
        tok = cls._from_files(files.vocab_file, files.tokenizer_file, init)
        tok.name_or_path = str(name_or_path)
        entries, additional = added_tokens_in_files(files)
        if entries or additional:
            tok._restore_added(entries, additional)
        return tok

    @classmethod
    def _from_files(cls, vocab_file: Path | None, tokenizer_file: Path | None, init: dict[str, Any]):
        raise NotImplementedError
