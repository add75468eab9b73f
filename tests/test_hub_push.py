"""`push_to_hub` and `save_pretrained(push_to_hub=True)` of every class that saves. No network in tests: a
stand-in for huggingface_hub's `HfApi` keeps each repository as a local directory (one per branch), so a
test can check what was uploaded, in how many commits, with which message, and load it back."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import numpy as np
import pytest
import torch

import albert
from albert import AlbertConfig, AlbertForMaskedLM, AlbertTokenizer, AlbertTokenizerFast, hub_push
from tests.conftest import tiny_kwargs
from tests.doc_checkpoints import build_tokenizer_dir
from tests.fake_hub import files_in


@pytest.fixture(scope="module")
def tokenizer_dir(tmp_path_factory) -> Path:
    return build_tokenizer_dir(tmp_path_factory.mktemp("tok") / "tok")


def test_a_model_pushed_is_what_save_pretrained_writes_and_loads_back(fake_hub, tmp_path):
    hf = pytest.importorskip("transformers", reason="transformers is the reference")
    model = AlbertForMaskedLM(AlbertConfig(**tiny_kwargs())).eval()
    info = model.push_to_hub("me/tiny", commit_message="first", private=True)
    assert info.commit_url.endswith("/1")
    (commit,) = fake_hub.commits
    assert commit["commit_message"] == "first" and commit["create_pr"] is False
    model.save_pretrained(tmp_path / "local")
    assert commit["files"] == files_in(tmp_path / "local") == ["config.json", "model.safetensors"]
    pushed = fake_hub.repo("me/tiny")
    ids = torch.tensor([[2, 5, 7, 9, 3]])
    want = model(ids).logits
    torch.testing.assert_close(
        AlbertForMaskedLM.from_pretrained(pushed).eval()(ids).logits, want, rtol=0, atol=0
    )
    theirs = hf.AlbertForMaskedLM.from_pretrained(pushed).eval()
    torch.testing.assert_close(theirs(ids).logits, want, rtol=0, atol=1e-5)
    trained = AlbertForMaskedLM(AlbertConfig(**tiny_kwargs())).eval()
    trained.push_to_hub("me/tiny", max_shard_size="4KB")  # save_pretrained's options pass through
    assert fake_hub.commits[1]["commit_message"] == "Upload model"  # transformers' default message
    assert "model.safetensors.index.json" in fake_hub.commits[1]["files"]
    # The earlier single file is deleted by that commit: transformers would read it before the index.
    assert "model.safetensors" not in files_in(pushed) and "config.json" in files_in(pushed)
    torch.testing.assert_close(
        hf.AlbertForMaskedLM.from_pretrained(pushed).eval()(ids).logits,
        trained(ids).logits,
        rtol=0,
        atol=1e-5,
    )


@pytest.mark.parametrize("cls", [AlbertTokenizer, AlbertTokenizerFast], ids=lambda c: c.__name__)
def test_a_tokenizer_and_a_config_push_their_files(fake_hub, tokenizer_dir, tmp_path, cls):
    tok = cls.from_pretrained(tokenizer_dir)
    tok.push_to_hub("me/tok", revision="v1", create_pr=True)
    (commit,) = fake_hub.commits
    assert (
        commit["commit_message"] == "Upload tokenizer" and commit["revision"] == "v1" and commit["create_pr"]
    )
    assert ("me/tok", "v1") in fake_hub.branches
    tok.save_pretrained(tmp_path / "local")
    assert commit["files"] == files_in(tmp_path / "local")
    back = cls.from_pretrained(fake_hub.repo("me/tok", "v1"))
    assert back("the city was new")["input_ids"] == tok("the city was new")["input_ids"]

    AlbertConfig(**tiny_kwargs()).push_to_hub("cfg", revision="refs/pr/3")  # no namespace: the user's
    assert fake_hub.commits[1]["commit_message"] == "Upload config"
    assert fake_hub.commits[1]["files"] == ["config.json"] and fake_hub.commits[1]["repo_id"] == "me/cfg"
    assert ("me/cfg", "refs/pr/3") not in fake_hub.branches  # a pull request's ref is not a branch to make
    assert AlbertConfig.from_pretrained(fake_hub.repo("me/cfg", "refs/pr/3")) == AlbertConfig(**tiny_kwargs())


def test_save_pretrained_with_push_uploads_only_the_files_it_wrote(fake_hub, tmp_path, tokenizer_dir):
    out = tmp_path / "my-albert"
    out.mkdir()
    (out / "notes.txt").write_text("mine, not for the hub")
    os.utime(out / "notes.txt", (0, 0))
    model = AlbertForMaskedLM(AlbertConfig(**tiny_kwargs()))
    assert model.save_pretrained(out, push_to_hub=True) == out  # returns what save_pretrained returns
    assert fake_hub.commits[-1]["repo_id"] == "me/my-albert"  # the directory's name, as transformers
    assert fake_hub.commits[-1]["files"] == ["config.json", "model.safetensors"]
    tok = AlbertTokenizerFast.from_pretrained(tokenizer_dir)
    written = tok.save_pretrained(out, push_to_hub=True, repo_id="org/other", commit_message="tok")
    assert fake_hub.commits[-1]["files"] == sorted(Path(p).name for p in written)
    assert fake_hub.commits[-1]["repo_id"] == "org/other" and fake_hub.commits[-1]["commit_message"] == "tok"
    path = AlbertConfig(**tiny_kwargs()).save_pretrained(tmp_path / "c", push_to_hub=True, repo_id="me/c")
    assert path == tmp_path / "c" / "config.json" and fake_hub.commits[-1]["files"] == ["config.json"]
    assert not (fake_hub.root / "me" / "my-albert" / "main" / "notes.txt").exists()


def test_a_pipeline_pushes_model_and_tokenizer_in_one_commit(fake_hub, tmp_path, tokenizer_dir):
    model_dir = tmp_path / "m"
    shutil.copytree(tokenizer_dir, model_dir)
    AlbertForMaskedLM(
        AlbertConfig(**tiny_kwargs(vocab_size=len(AlbertTokenizerFast.from_pretrained(model_dir))))
    ).save_pretrained(model_dir)
    fill = albert.pipeline("fill-mask", model=model_dir)
    fill.push_to_hub("me/fill")
    (commit,) = fake_hub.commits
    assert {"config.json", "model.safetensors", "tokenizer.json", "spiece.model"} <= set(commit["files"])
    again = albert.pipeline("fill-mask", model=fake_hub.repo("me/fill"))
    assert again("the [MASK] was new", top_k=3) == fill("the [MASK] was new", top_k=3)
    fill.save_pretrained(tmp_path / "p", push_to_hub=True, repo_id="me/p")
    assert fake_hub.commits[-1]["files"] == commit["files"] and len(fake_hub.commits) == 2


def test_tf_and_flax_models_push_the_torch_layout(fake_hub, tmp_path):
    tf_albert = pytest.importorskip("albert.tf")
    flax_albert = pytest.importorskip("albert.flax")
    torch_model = AlbertForMaskedLM(AlbertConfig(**tiny_kwargs())).eval()
    torch_model.save_pretrained(tmp_path / "pt")
    ids = np.array([[2, 5, 7, 9, 3]])
    want = torch_model(torch.tensor(ids)).logits.detach().numpy()
    for name, cls in [("tf", tf_albert.TFAlbertForMaskedLM), ("flax", flax_albert.FlaxAlbertForMaskedLM)]:
        cls.from_pretrained(tmp_path / "pt").push_to_hub(f"me/{name}")
        assert fake_hub.commits[-1]["commit_message"] == "Upload model"
        back = AlbertForMaskedLM.from_pretrained(fake_hub.repo(f"me/{name}")).eval()
        np.testing.assert_allclose(back(torch.tensor(ids)).logits.detach().numpy(), want, atol=1e-5, rtol=0)
    saved = flax_albert.FlaxAlbertForMaskedLM.from_pretrained(tmp_path / "pt")
    saved.save_pretrained(tmp_path / "fx", push_to_hub=True, repo_id="me/fx")
    assert fake_hub.commits[-1]["files"] == ["config.json", "flax_model.msgpack", "model.safetensors"]


def test_push_errors_name_the_fix(fake_hub, tmp_path, monkeypatch):
    model = AlbertForMaskedLM(AlbertConfig(**tiny_kwargs()))
    for bad in ("", "a/b/c", None):
        with pytest.raises(ValueError, match="repo_id must be a Hub repository name"):
            model.push_to_hub(bad)
    with pytest.raises(ValueError, match="metadata_update"):
        model.push_to_hub("me/x", tags=["albert"])
    with pytest.raises(TypeError, match=r"\['repo_id'\] are push options: pass push_to_hub=True"):
        model.save_pretrained(tmp_path / "a", repo_id="me/a")
    with pytest.raises(TypeError, match=r"unknown argument\(s\) \['repo'\]"):
        model.save_pretrained(tmp_path / "a", push_to_hub=True, repo="me/a")
    assert not (tmp_path / "a").exists()  # arguments are checked before anything is written
    fake_hub.token_needed = True
    with pytest.raises(OSError, match="needs a Hugging Face token: log in with `hf auth login`"):
        model.push_to_hub("me/x")
    monkeypatch.setattr(hub_push, "hub_unreachable", lambda: "HF_HUB_OFFLINE is set")
    with pytest.raises(OSError, match="HF_HUB_OFFLINE is set. Save the model with save_pretrained"):
        model.push_to_hub("me/x", token="t")
    with pytest.raises(OSError, match=f"HF_HUB_OFFLINE is set. The files are saved in {tmp_path / 'b'}"):
        model.save_pretrained(tmp_path / "b", push_to_hub=True)
    assert AlbertForMaskedLM.from_pretrained(tmp_path / "b")  # offline, the local save is still made
    assert fake_hub.commits == []
