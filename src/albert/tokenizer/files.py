"""Tokenizer files in the Hugging Face layout: find them (directory or hub id), read and write them.

A tokenizer directory holds `spiece.model` and/or `tokenizer.json`, plus `tokenizer_config.json` and
`special_tokens_map.json` (contract §6.5). The JSON files written here are the ones transformers 4.56's
`AlbertTokenizer` writes, so `transformers.AutoTokenizer.from_pretrained(dir)` reads them.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from albert.tokenizer.spm_proto import SpmModel, parse_spm_model

logger = logging.getLogger(__name__)

VOCAB_FILE = "spiece.model"
TOKENIZER_FILE = "tokenizer.json"
CONFIG_FILE = "tokenizer_config.json"
SPECIAL_TOKENS_MAP_FILE = "special_tokens_map.json"
ADDED_TOKENS_FILE = "added_tokens.json"  # transformers' older record of the added tokens (content -> id)

SPECIAL_TOKEN_NAMES = (
    "bos_token",
    "eos_token",
    "unk_token",
    "sep_token",
    "pad_token",
    "cls_token",
    "mask_token",
)

# tokenizer_config.json keys that are constructor arguments; everything else there is bookkeeping.
INIT_KEYS = (
    "do_lower_case",
    "remove_space",
    "keep_accents",
    "model_max_length",
    "padding_side",
    "truncation_side",
    "clean_up_tokenization_spaces",
    "split_special_tokens",
    "sp_model_kwargs",
    *SPECIAL_TOKEN_NAMES,
)


@dataclass(frozen=True)
class SpecialToken:
    """A special token and how it matches raw text (transformers' AddedToken flags)."""

    content: str
    lstrip: bool = False
    rstrip: bool = False
    single_word: bool = False
    normalized: bool = False

    @classmethod
    def coerce(cls, value: Any, *, name: str = "token") -> SpecialToken:
        """From a str, a dict (as in the JSON files), a SpecialToken or transformers' AddedToken."""
        if isinstance(value, SpecialToken):
            return value
        if isinstance(value, str):
            if not value:
                raise ValueError(f"{name} must not be empty")
            return cls(value)
        if isinstance(value, dict) and isinstance(value.get("content"), str):
            return cls(
                value["content"],
                bool(value.get("lstrip", False)),
                bool(value.get("rstrip", False)),
                bool(value.get("single_word", False)),
                bool(value.get("normalized", False)),
            )
        if isinstance(getattr(value, "content", None), str):  # transformers.AddedToken
            return cls(
                value.content,
                bool(getattr(value, "lstrip", False)),
                bool(getattr(value, "rstrip", False)),
                bool(getattr(value, "single_word", False)),
                bool(getattr(value, "normalized", False)),
            )
        raise TypeError(f"{name} must be a str or a dict with 'content', got {type(value).__name__}")

    def to_json(self, *, special: bool | None = None) -> dict[str, Any]:
        out: dict[str, Any] = {
            "content": self.content,
            "lstrip": self.lstrip,
            "normalized": self.normalized,
            "rstrip": self.rstrip,
            "single_word": self.single_word,
        }
        if special is not None:
            out["special"] = special
        return out


@dataclass(frozen=True)
class TokenizerFiles:
    """The files found for a tokenizer; `vocab_file` / `tokenizer_file` may each be missing."""

    vocab_file: Path | None
    tokenizer_file: Path | None
    config: dict[str, Any]
    added_tokens_file: Path | None = None


def _hub_file(name: str, filename: str) -> Path | None:
    """`filename` of hub repository `name` (None if the repository lacks it). Offline -> a clear error."""
    try:
        from albert.hub import resolve_file
    except ImportError:  # pragma: no cover - the shared helper ships with the package
        resolve_file = None
    if resolve_file is not None:
        return resolve_file(name, filename, required=False)
    try:  # pragma: no cover
        from huggingface_hub import hf_hub_download

        return Path(hf_hub_download(repo_id=name, filename=filename))
    except Exception as e:  # pragma: no cover
        raise FileNotFoundError(
            f"{name!r} is not a local directory and {filename} could not be fetched from the Hugging Face Hub "
            f"(no network and no cached copy?): {e}. Pass the path of a local tokenizer directory instead."
        ) from e


def find_tokenizer_files(
    name_or_path: str | os.PathLike, *, need_vocab: bool, class_name: str
) -> TokenizerFiles:
    """Locate the tokenizer files of a directory, a single model/json file, or a hub id."""
    if name_or_path is None or not isinstance(name_or_path, (str, os.PathLike)):
        raise TypeError(
            f"{class_name}.from_pretrained expects a directory path or hub id, got {name_or_path!r}"
        )
    path = Path(name_or_path).expanduser()
    if path.is_file():
        # A bare spiece.model or tokenizer.json: defaults for everything else.
        if path.suffix == ".json":
            return TokenizerFiles(None, path, {})
        return TokenizerFiles(path, None, {})
    names = (VOCAB_FILE, TOKENIZER_FILE, CONFIG_FILE, SPECIAL_TOKENS_MAP_FILE, ADDED_TOKENS_FILE)
    if path.is_dir():
        found = {f: (path / f if (path / f).is_file() else None) for f in names}
    else:
        found = {f: _hub_file(str(name_or_path), f) for f in names}
    vocab, tok_json = found[VOCAB_FILE], found[TOKENIZER_FILE]
    if vocab is None and (need_vocab or tok_json is None):
        from albert.hub import listing

        present = listing(path) if path.is_dir() else "nothing"
        wanted = VOCAB_FILE if need_vocab else f"{VOCAB_FILE} or {TOKENIZER_FILE}"
        hint = " (it has tokenizer.json: load it with AlbertTokenizerFast)" if tok_json is not None else ""
        raise FileNotFoundError(f"{class_name} needs {wanted} in {name_or_path}{hint}; found: {present}")
    config: dict[str, Any] = {}
    special_map = found[SPECIAL_TOKENS_MAP_FILE]
    if special_map is not None and Path(special_map).is_file():
        keys = (*SPECIAL_TOKEN_NAMES, "additional_special_tokens")
        config.update({k: v for k, v in read_json(special_map).items() if k in keys})
    if found[CONFIG_FILE] is not None:
        config.update(read_json(found[CONFIG_FILE]))
    return TokenizerFiles(vocab, tok_json, config, found[ADDED_TOKENS_FILE])


def read_json(path: str | os.PathLike) -> dict[str, Any]:
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except json.JSONDecodeError as e:
        raise ValueError(f"{path} is not valid JSON: {e}") from None
    if not isinstance(data, dict):
        raise ValueError(f"{path} must hold a JSON object")
    return data


def init_kwargs_from_config(config: dict[str, Any]) -> dict[str, Any]:
    """Constructor arguments from a tokenizer_config.json (+ special_tokens_map.json) dict.

    The AddedToken flags in `added_tokens_decoder` (e.g. [MASK]'s lstrip) are applied to the special tokens.
    Non-special entries there (transformers' fast tokenizer lists ALBERT's user-defined symbols "(", "-",
    ... as added tokens) are ignored: they are vocabulary pieces and SentencePiece treats them so.
    """
    kwargs = {k: config[k] for k in INIT_KEYS if k in config}
    decoder = config.get("added_tokens_decoder") or {}
    flags = {v["content"]: v for v in decoder.values() if isinstance(v, dict) and v.get("special")}
    for name in SPECIAL_TOKEN_NAMES:
        value = kwargs.get(name)
        if isinstance(value, str) and value in flags:
            kwargs[name] = SpecialToken.coerce(flags[value], name=name)
        elif isinstance(value, dict):
            kwargs[name] = SpecialToken.coerce(value, name=name)
    return kwargs


def added_tokens_in_files(files: TokenizerFiles) -> tuple[list[tuple[int, SpecialToken, bool]], list[str]]:
    """The added tokens a tokenizer's files record, as `(id, flags, special)`, and its additional special
    tokens. Sources, later ones winning for the same id: tokenizer.json's `added_tokens`,
    added_tokens.json (transformers' older record), tokenizer_config.json's `added_tokens_decoder`.
    The seven named special tokens are among them; the tokenizer skips those."""
    additional = [
        t.get("content") if isinstance(t, dict) else t
        for t in files.config.get("additional_special_tokens") or []
    ]
    if not all(isinstance(t, str) and t for t in additional):
        raise ValueError(f"additional_special_tokens must be a list of strings, got {additional!r}")
    entries: dict[int, tuple[SpecialToken, bool]] = {}
    if files.tokenizer_file is not None:
        for entry in read_json(files.tokenizer_file).get("added_tokens") or []:
            entries[int(entry["id"])] = (SpecialToken.coerce(entry), bool(entry.get("special")))
    if files.added_tokens_file is not None:
        for content, i in read_json(files.added_tokens_file).items():
            special = content in additional
            entries.setdefault(int(i), (SpecialToken(content, normalized=not special), special))
    for key, entry in (files.config.get("added_tokens_decoder") or {}).items():
        if isinstance(entry, dict) and isinstance(entry.get("content"), str):
            entries[int(key)] = (SpecialToken.coerce(entry), bool(entry.get("special")))
    return [(i, flags, special) for i, (flags, special) in sorted(entries.items())], additional


def write_json(path: Path, data: dict[str, Any]) -> str:
    path.write_text(json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n", encoding="utf-8")
    return str(path)


def read_model_file(vocab_file: str | os.PathLike) -> bytes:
    """The bytes of a SentencePiece model file, with a clear error when it is missing."""
    if not isinstance(vocab_file, (str, os.PathLike)):
        raise TypeError(f"vocab_file must be a path, got {type(vocab_file).__name__}")
    path = Path(vocab_file)
    if not path.is_file():
        raise FileNotFoundError(f"SentencePiece model file not found: {path}")
    return path.read_bytes()


def parse_model_file(vocab_file: str | os.PathLike) -> tuple[bytes, SpmModel]:
    """The bytes and the parsed pieces of a SentencePiece model file; a file that is not one is an
    error naming it."""
    data = read_model_file(vocab_file)
    try:
        return data, parse_spm_model(data)
    except ValueError as e:
        raise ValueError(f"{vocab_file}: {e}") from None
