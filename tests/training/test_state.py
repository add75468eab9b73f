"""Checkpoint files: atomic writes survive a crash, pruning, pointers, RNG round trip, weights-only loading."""

from __future__ import annotations

import os
import random
import stat
from pathlib import Path

import numpy as np
import pytest
import torch

from albert.training import state as st
from tests.conftest import tiny_kwargs
from tests.training.helpers import make_model


def _save(root: Path, step: int, model: torch.nn.Module, **kw) -> Path:
    return st.save_checkpoint(
        root,
        step,
        model,
        {"loop": {"step": step}, "rng": [st.capture_rng_state()]},
        keep_last=kw.pop("keep_last", 3),
        **kw,
    )


def test_rng_round_trip_and_weights_only_load(tmp_path: Path) -> None:
    saved = st.capture_rng_state()
    first = (random.random(), np.random.rand(), torch.rand(3))
    torch.save({"rng": saved}, tmp_path / "rng.pt")
    loaded = torch.load(tmp_path / "rng.pt", weights_only=True)["rng"]
    st.restore_rng_state(loaded)
    second = (random.random(), np.random.rand(), torch.rand(3))
    assert first[:2] == second[:2] and torch.equal(first[2], second[2])


def test_checkpoint_layout_and_loading(tmp_path: Path) -> None:
    model = make_model(0)
    path = _save(tmp_path, 7, model)
    assert path.name == "step-00000007" and (path / "model.pt").is_file() and (path / st.STATE_NAME).is_file()
    assert st.latest_checkpoint(tmp_path) == path
    assert st.load_training_state(path)["loop"]["step"] == 7
    other = make_model(1)
    st.load_model_weights(other, path)
    assert all(torch.equal(a, b) for a, b in zip(model.state_dict().values(), other.state_dict().values()))


def test_crash_mid_write_leaves_previous_checkpoint_loadable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    model = make_model(0)
    good = _save(tmp_path, 1, model)
    real_save = torch.save

    def crash(obj, f, *args, **kwargs):
        if str(f).endswith(st.STATE_NAME):
            Path(f).write_bytes(b"PK\x03\x04 truncated")  # half-written file, then the process dies
            raise KeyboardInterrupt("simulated crash")
        return real_save(obj, f, *args, **kwargs)

    monkeypatch.setattr(torch, "save", crash)
    with pytest.raises(KeyboardInterrupt):
        _save(tmp_path, 2, make_model(1))
    monkeypatch.setattr(torch, "save", real_save)

    assert not (tmp_path / "step-00000002").exists()
    assert list(tmp_path.glob("step-00000002.tmp-*")), "the partial write stays in a temporary directory"
    assert st.latest_checkpoint(tmp_path) == good
    assert st.load_training_state(good)["loop"]["step"] == 1
    restored = make_model(5)
    st.load_model_weights(restored, good)
    assert torch.equal(restored.embed.weight, model.embed.weight)
    # The next save cleans up the debris.
    _save(tmp_path, 3, model)
    assert not list(tmp_path.glob("*.tmp-*"))


def test_crash_while_writing_the_pointer_keeps_the_old_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    model = make_model(0)
    first = _save(tmp_path, 1, model)
    monkeypatch.setattr(st.os, "replace", _fail_on_pointer(st.os.replace))
    with pytest.raises(OSError):
        _save(tmp_path, 2, model)
    assert (tmp_path / "latest").read_text().strip() == first.name
    assert not list(tmp_path.glob(".latest.tmp-*"))


def _fail_on_pointer(real):
    def replace(src, dst):
        if Path(dst).name == "latest":
            raise OSError("disk full")
        return real(src, dst)

    return replace


def test_keep_last_prunes_but_keeps_best(tmp_path: Path) -> None:
    model = make_model(0)
    best = _save(tmp_path, 1, model, keep_last=2)
    for step in (2, 3, 4):
        _save(tmp_path, step, model, keep_last=2, best=best)
    assert sorted(p.name for p in tmp_path.glob("step-*")) == [
        "step-00000001",
        "step-00000003",
        "step-00000004",
    ]
    resaved = _save(tmp_path, 4, model, keep_last=2, best=best)  # same step again: replaced in place
    assert resaved.is_dir() and st.latest_checkpoint(tmp_path) == resaved


def test_resolve_resume(tmp_path: Path) -> None:
    assert st.resolve_resume(None, str(tmp_path)) is None
    assert st.resolve_resume("auto", str(tmp_path)) is None
    with pytest.raises(FileNotFoundError, match="--resume latest"):
        st.resolve_resume("latest", str(tmp_path))
    with pytest.raises(FileNotFoundError, match="not a training checkpoint"):
        st.resolve_resume(str(tmp_path), None)
    path = _save(tmp_path / "checkpoints", 5, make_model(0))
    assert st.resolve_resume("latest", str(tmp_path)) == path
    assert st.resolve_resume(str(path), None) == path


@pytest.mark.skipif(os.name != "posix", reason="POSIX permission bits")
def test_written_files_get_the_usual_permissions_not_owner_only(tmp_path: Path) -> None:
    """mkstemp, mkdtemp and safetensors create 0o600/0o700 files; ours follow the umask like open()."""
    from albert import AlbertConfig, AlbertModel

    old = os.umask(0o022)
    try:
        checkpoint = _save(tmp_path / "ckpt", 1, make_model(0))
        st.atomic_write_text(tmp_path / "results.json", "{}")
        AlbertModel(AlbertConfig(**tiny_kwargs())).save_pretrained(tmp_path / "model")
    finally:
        os.umask(old)

    def mode(path: Path) -> int:
        return stat.S_IMODE(path.stat().st_mode)

    assert mode(checkpoint) == 0o755
    assert mode(checkpoint.parent / "latest") == 0o644
    assert mode(tmp_path / "results.json") == 0o644
    assert mode(tmp_path / "model" / "model.safetensors") == 0o644
    assert mode(tmp_path / "model" / "config.json") == 0o644


def test_a_checkpoint_of_another_model_is_named_not_dumped(tmp_path: Path) -> None:
    import albert

    (tmp_path / "plain").mkdir()
    st.save_model(torch.nn.Linear(4, 3), tmp_path / "plain")  # model.pt
    with pytest.raises(
        ValueError, match=r"another model than this run builds \(weight \(3, 4\) there, \(3, 5\) here"
    ):
        st.load_model_weights(torch.nn.Linear(5, 3), tmp_path / "plain")
    st.load_model_weights(torch.nn.Linear(4, 3), tmp_path / "plain")  # the same shapes: loaded

    saved = albert.AlbertModel(albert.AlbertConfig(**tiny_kwargs()))  # save_pretrained
    st.save_model(saved, tmp_path / "albert")
    wider = albert.AlbertModel(albert.AlbertConfig(**tiny_kwargs(hidden_size=24)))
    with pytest.raises(ValueError, match=r"more\)\): resume with the model options the run was started with"):
        st.load_model_weights(wider, tmp_path / "albert")
