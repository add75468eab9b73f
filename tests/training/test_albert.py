"""The loop with a tiny real `AlbertForPreTraining`: LAMB exclusions match the original name regex, training
reduces the MLM+SOP loss, checkpoints are HF directories, and resume is exact."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import torch
from torch.utils.data import Dataset

import albert.model as model_mod
from albert.checkpoint.hf import to_hf_state_dict
from albert.config import AlbertConfig
from albert.training import TrainArgs, param_groups, train
from tests.training.helpers import train_losses

VOCAB, SEQ = 40, 12


def tiny_albert(seed: int = 0, dropout: float = 0.0) -> torch.nn.Module:
    torch.manual_seed(seed)
    config = AlbertConfig(
        vocab_size=VOCAB,
        embedding_size=8,
        hidden_size=16,
        num_hidden_layers=3,
        num_attention_heads=4,
        intermediate_size=20,
        max_position_embeddings=SEQ,
        hidden_dropout_prob=dropout,
        attention_probs_dropout_prob=dropout,
    )
    return model_mod.AlbertForPreTraining(config).train()


class PretrainingRows(Dataset):
    """Fixed masked rows: [CLS] a.. [SEP] b.. [SEP]; 3 predicted positions; SOP label = parity of row."""

    def __init__(self, n: int) -> None:
        g = torch.Generator().manual_seed(1)
        self.ids = torch.randint(5, VOCAB, (n, SEQ), generator=g)
        self.ids[:, 0], self.ids[:, 5], self.ids[:, -1] = 2, 3, 3
        self.positions = torch.stack([torch.randperm(SEQ - 2, generator=g)[:3] + 1 for _ in range(n)])

    def __len__(self) -> int:
        return len(self.ids)

    def __getitem__(self, i: int) -> dict[str, torch.Tensor]:
        ids, labels = self.ids[i].clone(), torch.full((SEQ,), -100)
        labels[self.positions[i]] = ids[self.positions[i]]
        ids[self.positions[i]] = 4  # [MASK]
        return {
            "input_ids": ids,
            "attention_mask": torch.ones(SEQ, dtype=torch.long),
            "token_type_ids": (torch.arange(SEQ) > 5).long(),
            "labels": labels,
            "sentence_order_label": torch.tensor(i % 2),
        }


def test_exclusions_equal_the_original_name_regex() -> None:
    model = tiny_albert()
    original = re.compile(r"LayerNorm|layer_norm|bias")  # google-research/albert's exclusion list
    for group in param_groups(model, 0.01):
        for name, param in zip(group["names"], group["params"]):
            hf_names = list(to_hf_state_dict({name: param.detach()}))
            assert hf_names, name
            for hf in hf_names:
                assert bool(original.search(hf)) == (not group["trust_ratio"]), (name, hf)


def test_albert_pretraining_learns_and_resumes_exactly(tmp_path: Path) -> None:
    kw = dict(
        batch_size=4, grad_accum_steps=2, max_steps=8, optimizer="lamb", lr=2e-2, warmup_steps=2, save_every=3,
        log_every=1, progress_bar=False, plot=False,
    )  # fmt: skip
    straight = tiny_albert(0, dropout=0.1)
    full = train(straight, PretrainingRows(24), args=TrainArgs(output_dir=str(tmp_path / "a"), **kw))
    losses = train_losses(full.history)
    assert losses[8] < losses[1]

    partial = TrainArgs(output_dir=str(tmp_path / "b"), **{**kw, "max_steps": 8})
    with pytest.raises(KeyboardInterrupt):
        train(tiny_albert(0, dropout=0.1), PretrainingRows(24), args=partial, callbacks=[_stop_after(4)])
    ckpt = tmp_path / "b" / "checkpoints" / "step-00000003"
    assert (ckpt / "config.json").is_file() and (ckpt / "model.safetensors").is_file()
    reloaded = model_mod.AlbertForPreTraining.from_pretrained(ckpt)
    assert reloaded.config.hidden_size == 16

    resumed_model = tiny_albert(5, dropout=0.1)
    resumed = train(
        resumed_model, PretrainingRows(24), args=TrainArgs(**{**partial.to_dict(), "resume": "latest"})
    )
    got = train_losses(resumed.history)
    assert sorted(got) == list(range(4, 9)) and all(got[s] == losses[s] for s in got)
    for p, q in zip(straight.parameters(), resumed_model.parameters()):
        assert torch.equal(p, q)


def _stop_after(step: int):
    def callback(record: dict) -> None:
        if record["split"] == "train" and record["step"] == step:
            raise KeyboardInterrupt

    return callback
