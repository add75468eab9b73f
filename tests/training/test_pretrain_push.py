"""`albert pretrain --push-to-hub REPO_ID`: the exported model goes to the Hub at the end of a finished run
(a stand-in Hub, `tests/fake_hub.py`); what would make the push fail is found before anything is built."""

from __future__ import annotations

import huggingface_hub
import pytest
import torch

from albert import AlbertForPreTraining, hub_push
from albert.training.pretrain import PretrainArgs, pretrain
from albert.training.train_args import TrainArgs
from tests.fake_hub import files_in
from tests.training.test_pretrain import write_corpus

TINY = dict(
    embedding_size=16, hidden_size=32, num_attention_heads=2, intermediate_size=64, num_hidden_layers=2
)


def tiny_run(root, **pretrain_args) -> tuple[PretrainArgs, TrainArgs]:
    write_corpus(root / "train.txt", docs=20, seed=0)
    args = PretrainArgs(corpus=[str(root / "train.txt")], vocab_size=50, max_seq_length=32,
                        max_predictions_per_seq=5, model_config=TINY, **pretrain_args)  # fmt: skip
    train_args = TrainArgs(output_dir=str(root / "out"), optimizer="adamw", max_steps=3, batch_size=4,
                           save_every=3, progress_bar=False, plot=False)  # fmt: skip
    return args, train_args


def test_the_exported_model_is_pushed(fake_hub, monkeypatch, tmp_path):
    monkeypatch.setattr(huggingface_hub, "get_token", lambda: "hf_test")
    result = pretrain(*tiny_run(tmp_path, push_to_hub="me/tiny-albert", hub_private=True))
    (commit,) = fake_hub.commits
    model_dir = tmp_path / "out" / "model"
    assert result.step == 3 and fake_hub.private == {"me/tiny-albert": True}
    assert commit["files"] == files_in(fake_hub.repo("me/tiny-albert")) == files_in(model_dir)
    assert {"config.json", "model.safetensors", "spiece.model", "README.md"} <= set(commit["files"])
    card = (model_dir / "README.md").read_text()
    assert "pipeline_tag: fill-mask" in card and "pretrained from scratch with `albert pretrain`" in card
    assert "- 3 optimizer steps" in card and 'albert.pipeline("fill-mask", "me/tiny-albert")' in card
    ids = torch.tensor([[2, 7, 9, 11, 3]])
    pushed = AlbertForPreTraining.from_pretrained(fake_hub.repo("me/tiny-albert")).eval()
    local = AlbertForPreTraining.from_pretrained(model_dir).eval()
    torch.testing.assert_close(pushed(ids).prediction_logits, local(ids).prediction_logits, rtol=0, atol=0)


def test_an_offline_push_fails_before_anything_is_built(monkeypatch, tmp_path):
    monkeypatch.setattr(hub_push, "hub_unreachable", lambda: "HF_HUB_OFFLINE is set")
    with pytest.raises(OSError, match="after pretraining: HF_HUB_OFFLINE is set. Run without pushing"):
        pretrain(*tiny_run(tmp_path, push_to_hub="me/x"))
    with pytest.raises(ValueError, match=r"--hub-private is for --push-to-hub: .*--push-to-hub REPO_ID"):
        pretrain(*tiny_run(tmp_path, hub_private=True))
    assert not (tmp_path / "out").exists()
