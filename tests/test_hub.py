"""`hub_options`: revision / cache_dir / local_files_only / token / force_download reach every hub
download of a from_pretrained call (a stand-in for `hf_hub_download` serves a local directory)."""

from __future__ import annotations

import shutil
from pathlib import Path

import huggingface_hub
import pytest
from huggingface_hub.errors import LocalEntryNotFoundError

from albert import AlbertConfig, AlbertForMaskedLM, AutoTokenizer, hub
from albert.hub import current_hub_options, hub_options
from tests.conftest import tiny_kwargs
from tests.doc_checkpoints import build_tokenizer_dir


@pytest.fixture(scope="module")
def served(tmp_path_factory) -> Path:
    """What the stand-in hub serves: a tiny model and its tokenizer files."""
    root = build_tokenizer_dir(tmp_path_factory.mktemp("hub") / "repo")
    AlbertForMaskedLM(AlbertConfig(**tiny_kwargs())).save_pretrained(root)
    return root


@pytest.fixture
def calls(served, monkeypatch, tmp_path) -> list[dict]:
    """Each hf_hub_download call's arguments; files are copied out of `served` as the hub would."""
    seen: list[dict] = []

    def fake_download(*, repo_id: str, filename: str, **options) -> str:
        seen.append({"repo_id": repo_id, "filename": filename, **options})
        source = served / filename
        if not source.is_file():
            raise huggingface_hub.errors.EntryNotFoundError(f"{filename} not in {repo_id}")
        target = tmp_path / "cache" / filename
        target.parent.mkdir(exist_ok=True)
        return str(shutil.copy(source, target))

    monkeypatch.setattr(huggingface_hub, "hf_hub_download", fake_download)
    monkeypatch.setattr(hub, "hub_unreachable", lambda: None)  # the stand-in hub is always reachable
    return seen


OPTIONS = dict(
    revision="v2", cache_dir="/tmp/hub-cache", local_files_only=True, token="hf_x", force_download=False
)


def test_model_config_and_tokenizer_downloads_carry_the_options(calls):
    model = AlbertForMaskedLM.from_pretrained("someone/tiny-albert", **OPTIONS)
    tokenizer = AutoTokenizer.from_pretrained("someone/tiny-albert", **OPTIONS)
    config = AlbertConfig.from_pretrained("someone/tiny-albert", revision="v3")
    assert model.config.vocab_size == 99 and config.hidden_size == 16 and tokenizer.vocab_size > 50
    model_calls = [c for c in calls if c["filename"] in ("config.json", "model.safetensors")]
    assert model_calls and all(c.items() >= OPTIONS.items() for c in calls[:-1])
    assert calls[-1] == {"repo_id": "someone/tiny-albert", "filename": "config.json", "revision": "v3"}
    assert current_hub_options() == {}


def test_blocks_nest_and_restore():
    with hub_options(revision="a", cache_dir=None):
        with hub_options(token="t"):
            assert current_hub_options() == {"revision": "a", "token": "t"}
        assert current_hub_options() == {"revision": "a"}
    assert current_hub_options() == {}
    with pytest.raises(ValueError, match="unknown hub option.*proxies"), hub_options(proxies={}):
        pass


def test_local_files_only_miss_says_so(monkeypatch):
    def missing(**kwargs):
        raise LocalEntryNotFoundError("not cached")

    monkeypatch.setattr(huggingface_hub, "hf_hub_download", missing)
    with pytest.raises(
        FileNotFoundError, match="with local_files_only=True config.json must be in the Hugging Face cache"
    ):
        AlbertForMaskedLM.from_pretrained("someone/tiny-albert", local_files_only=True)


def test_a_directory_without_the_file_is_named_with_a_short_listing(tmp_path):
    # A wrong directory (a home folder, /etc) can hold thousands of names: the error shows a dozen and a count.
    for i in range(30):
        (tmp_path / f"f{i:02d}.txt").write_text("")
    with pytest.raises(FileNotFoundError) as info:
        hub.resolve_file(tmp_path, "config.json")
    message = str(info.value)
    assert f"{tmp_path} has no config.json" in message
    assert "f00.txt, f01.txt" in message and "f11.txt, ... (18 more)" in message and "f12.txt" not in message
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(FileNotFoundError, match=r"it contains: nothing"):
        hub.resolve_file(empty, "config.json")
