"""Resolve a local directory or a Hugging Face Hub id to files on disk.

A hub id (`albert/albert-base-v2`, or the legacy `albert-base-v2`) is fetched with `huggingface_hub`
into its cache (or read from that cache when offline). Without a network and without a cached copy
the error says so and suggests a local path.
"""

from __future__ import annotations

import importlib.resources
import os
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import Any

# The eight original checkpoints moved under the `albert` organisation; old ids redirect there.
LEGACY_IDS = {
    f"albert-{size}-{v}": f"albert/albert-{size}-{v}"
    for size in ("base", "large", "xlarge", "xxlarge")
    for v in ("v1", "v2")
}

# `hf_hub_download` arguments of the current `from_pretrained` call (revision, cache_dir, ...).
HUB_OPTION_NAMES = ("revision", "cache_dir", "local_files_only", "token", "force_download")
_HUB_OPTIONS: ContextVar[dict[str, Any] | None] = ContextVar("albert_hub_options", default=None)


def current_hub_options() -> dict[str, Any]:
    """The hub options set by the innermost `hub_options` block ({} outside any)."""
    return dict(_HUB_OPTIONS.get() or {})


@contextmanager
def hub_options(**options: Any) -> Iterator[None]:
    """Pass `revision`, `cache_dir`, `local_files_only`, `token`, `force_download` (None = default) to
    every hub download made inside the block; local directories ignore them."""
    unknown = set(options) - set(HUB_OPTION_NAMES)
    if unknown:
        raise ValueError(
            f"unknown hub option(s) {', '.join(sorted(unknown))}; known: {', '.join(HUB_OPTION_NAMES)}"
        )
    given = {k: v for k, v in options.items() if v is not None}
    token = _HUB_OPTIONS.set({**current_hub_options(), **given})
    try:
        yield
    finally:
        _HUB_OPTIONS.reset(token)


def is_local(name_or_path: str | os.PathLike) -> bool:
    return Path(name_or_path).exists()


def listing(path: Path, shown: int = 12) -> str:
    """The names in directory `path` for an error message: the first `shown` sorted, then how many more
    (a wrong directory such as a home folder can hold thousands)."""
    names = sorted(p.name for p in path.iterdir())
    if not names:
        return "nothing"
    more = f", ... ({len(names) - shown} more)" if len(names) > shown else ""
    return ", ".join(names[:shown]) + more


def resolve_file(name_or_path: str | os.PathLike, filename: str, *, required: bool = True) -> Path | None:
    """The path of `filename` inside a local directory or a hub repository.

    Returns None when the file does not exist and `required` is False; otherwise raises
    FileNotFoundError naming the directory or id.
    """
    path = Path(name_or_path)
    if path.is_dir():
        candidate = path / filename
        if candidate.is_file():
            return candidate
        if required:
            raise FileNotFoundError(f"{path} has no {filename} (it contains: {listing(path)})")
        return None
    name = str(name_or_path)
    # Hub ids are `org/name`; the only bare names that exist for ALBERT are the 8 legacy ids.
    is_hub_id = name.count("/") == 1 or name in LEGACY_IDS
    if path.suffix or name.startswith((".", "/", "~")) or not is_hub_id or not name.strip():
        raise FileNotFoundError(f"no such directory: {name}")
    return _hub_file(LEGACY_IDS.get(name, name), filename, required=required)


def _hub_file(repo_id: str, filename: str, *, required: bool) -> Path | None:
    try:
        from huggingface_hub import hf_hub_download
        from huggingface_hub.errors import (
            EntryNotFoundError,
            LocalEntryNotFoundError,
            RepositoryNotFoundError,
        )
    except ImportError as e:  # pragma: no cover - huggingface_hub is a dependency
        raise FileNotFoundError(f"{repo_id!r} is not a local directory and huggingface_hub is missing") from e
    options = current_hub_options()
    no_network = None if options.get("local_files_only") else hub_unreachable()
    if no_network:
        options["local_files_only"] = True  # the cache only: no retries against an unreachable hub
    try:
        return Path(hf_hub_download(repo_id=repo_id, filename=filename, **options))
    # LocalEntryNotFoundError subclasses EntryNotFoundError: test it first.
    except LocalEntryNotFoundError:
        if current_hub_options().get("local_files_only"):
            raise FileNotFoundError(
                f"{repo_id!r} is not a local directory, and with local_files_only=True {filename} must be in "
                "the Hugging Face cache, which does not have it (check cache_dir= and revision=)."
            ) from None
        raise FileNotFoundError(
            f"{repo_id!r} is not a local directory, and {filename} could not be downloaded from the "
            f"Hugging Face Hub ({no_network or 'no network'}) nor found in its cache. Download it once with "
            "network access, or pass the path of a local directory saved with save_pretrained()."
        ) from None
    except EntryNotFoundError:
        if required:
            raise FileNotFoundError(f"hub repository {repo_id!r} has no file {filename}") from None
        return None
    except RepositoryNotFoundError:
        raise FileNotFoundError(
            f"{repo_id!r} is neither a local directory nor a hub repository (check the spelling)"
        ) from None
    except OSError as e:  # other network failures surface as OSError subclasses
        raise FileNotFoundError(f"could not fetch {filename} of {repo_id!r}: {e}") from e


def hub_unreachable() -> str | None:
    """Why the hub cannot be reached ("offline mode", a failed connection), or None to go ahead."""
    from huggingface_hub import constants

    from albert.network import unreachable_reason

    return "HF_HUB_OFFLINE is set" if constants.HF_HUB_OFFLINE else unreachable_reason(constants.ENDPOINT)


def default_model_dir() -> Path:
    """The built-in model shipped in `albert/assets/default/` (HF layout), or FileNotFoundError."""
    root = Path(str(importlib.resources.files("albert") / "assets" / "default"))
    if not (root / "config.json").is_file():
        raise FileNotFoundError(
            "no built-in default model is installed (expected albert/assets/default/config.json); pass "
            "model='path/to/checkpoint_dir' (CLI: --model PATH) or a Hugging Face hub id such as "
            "'albert/albert-base-v2'"
        )
    return root
