"""transformers' `Trainer` fine-tuning our model as it fine-tunes its own: the same evaluation loss and the same
trained weights from the same checkpoint, data and seed; what `Trainer.save_model` writes (our state dict,
as for any model that is not a transformers class) loads back with `config=`."""

from __future__ import annotations

import pytest
import torch

import albert
from albert.hub import default_model_dir
from tests.conftest import tiny_kwargs

transformers = pytest.importorskip("transformers", reason="transformers is the parity reference")
pytest.importorskip("accelerate", reason="transformers' Trainer needs accelerate (test extra)")


def _data(n: int = 24) -> list[dict]:
    g = torch.Generator().manual_seed(1)
    lengths, labels = torch.randint(4, 12, (n,), generator=g), torch.randint(0, 3, (n,), generator=g)
    rows = []
    for length, label in zip(lengths.tolist(), labels.tolist()):
        ids = torch.randint(5, 99, (length,), generator=g).tolist()
        rows.append({"input_ids": ids, "attention_mask": [1] * length, "labels": label})
    return rows


def _train(model, tokenizer, out) -> tuple:
    args = transformers.TrainingArguments(
        str(out), max_steps=6, per_device_train_batch_size=4, learning_rate=1e-3, seed=0, report_to=[],
        save_strategy="no", use_cpu=True, dataloader_num_workers=0, disable_tqdm=True,
    )  # fmt: skip
    data = _data()
    trainer = transformers.Trainer(
        model=model, args=args, train_dataset=data, eval_dataset=data[:8],
        data_collator=transformers.DataCollatorWithPadding(tokenizer),
    )  # fmt: skip
    trainer.train()
    evaluation = trainer.evaluate()
    trainer.save_model(str(out / "final"))
    return evaluation["eval_loss"], trainer.model.eval()


def test_trainer_fine_tunes_ours_as_theirs(tmp_path):
    config = transformers.AlbertConfig(**tiny_kwargs(classifier_dropout_prob=0.0), num_labels=3)
    transformers.AlbertForSequenceClassification(config).save_pretrained(tmp_path / "base")
    tokenizer = albert.AlbertTokenizerFast.from_pretrained(default_model_dir())  # pads for the collator
    ours_loss, ours = _train(albert.AlbertForSequenceClassification.from_pretrained(tmp_path / "base"), tokenizer,
                             tmp_path / "ours")  # fmt: skip
    theirs_loss, theirs = _train(
        transformers.AlbertForSequenceClassification.from_pretrained(tmp_path / "base"),
        tokenizer,
        tmp_path / "theirs",
    )
    assert ours_loss == pytest.approx(theirs_loss, rel=1e-5)
    ids = torch.tensor([[2, 10, 20, 30, 3]])
    with torch.no_grad():
        torch.testing.assert_close(ours(ids).logits, theirs(ids).logits, atol=1e-5, rtol=1e-5)
    with pytest.raises(FileNotFoundError, match="Trainer.save_model writes only the weights .* pass config="):
        albert.AlbertForSequenceClassification.from_pretrained(tmp_path / "ours" / "final")
    base = albert.AlbertConfig.from_pretrained(tmp_path / "base")
    reloaded = albert.AlbertForSequenceClassification.from_pretrained(
        tmp_path / "ours" / "final", config=base
    )
    with torch.no_grad():
        torch.testing.assert_close(reloaded(ids).logits, ours(ids).logits, atol=0, rtol=0)


def test_trainer_checkpoints_resume_and_load_the_best(tmp_path):
    """`save_steps` checkpoints (our state dict), `load_best_model_at_end` and `resume_from_checkpoint` work on
    our classes: a run resumed from its step-3 checkpoint ends where the uninterrupted run ended."""
    config = transformers.AlbertConfig(**tiny_kwargs(classifier_dropout_prob=0.0), num_labels=3)
    transformers.AlbertForSequenceClassification(config).save_pretrained(tmp_path / "base")
    tokenizer = albert.AlbertTokenizerFast.from_pretrained(default_model_dir())

    def trainer() -> transformers.Trainer:
        args = transformers.TrainingArguments(
            str(tmp_path / "out"), max_steps=6, per_device_train_batch_size=4, learning_rate=1e-3, seed=0,
            report_to=[], save_strategy="steps", save_steps=3, eval_strategy="steps", eval_steps=3,
            load_best_model_at_end=True, metric_for_best_model="loss", use_cpu=True, dataloader_num_workers=0,
            disable_tqdm=True,
        )  # fmt: skip
        data = _data()
        return transformers.Trainer(
            model=albert.AlbertForSequenceClassification.from_pretrained(tmp_path / "base"), args=args,
            train_dataset=data, eval_dataset=data[:8], data_collator=transformers.DataCollatorWithPadding(tokenizer),
        )  # fmt: skip

    straight = trainer()
    straight.train()
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["checkpoint-3", "checkpoint-6"]
    resumed = trainer()
    resumed.train(resume_from_checkpoint=str(tmp_path / "out" / "checkpoint-3"))
    assert resumed.evaluate()["eval_loss"] == pytest.approx(straight.evaluate()["eval_loss"], rel=1e-6)
