"""Files replaced atomically: readers see the old content or the new one, never a mix, and a crash never
leaves a half-written file under the final name. The one home of this for configs, weights, checkpoints,
shards and run records; files get the usual permissions under the umask (not mkstemp's owner-only 0o600).
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any


def umask_mode(*, directory: bool = False) -> int:
    """The permissions `open()` / `mkdir()` give under the current umask (0o644 / 0o755 for umask 022).

    safetensors' `save_file`, `tempfile.mkstemp` and `mkdtemp` create owner-only files (0o600 / 0o700);
    model and checkpoint files get these usual permissions instead, so that others can read them where
    the umask allows (a model directory shared on a cluster)."""
    mask = os.umask(0)
    os.umask(mask)
    return (0o777 if directory else 0o666) & ~mask


def fsync_dir(path: Path) -> None:
    """Make a rename inside `path` durable (no-op where directories cannot be opened, e.g. Windows)."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def atomic_write(path: str | os.PathLike, write: Callable[[IO[Any]], None], *, binary: bool = False) -> None:
    """Call `write(file)` on a temporary file beside `path`, fsync it, then rename it onto `path`."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.tmp-", dir=path.parent)
    try:
        os.chmod(tmp, umask_mode())
        with os.fdopen(fd, "wb" if binary else "w", **({} if binary else {"encoding": "utf-8"})) as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    fsync_dir(path.parent)


def atomic_write_text(path: str | os.PathLike, text: str) -> None:
    """Replace `path` with `text` atomically."""
    atomic_write(path, lambda f: f.write(text))


def atomic_write_json(path: str | os.PathLike, data: Any, *, sort_keys: bool = False) -> None:
    """Replace `path` with `data` as indented JSON (and a final newline) atomically."""
    atomic_write_text(path, json.dumps(data, indent=2, sort_keys=sort_keys) + "\n")
