"""The model card a pushed run carries (`albert.training.model_card`): the user's own card is kept, and a
model started from a Hub id names it as its base model."""

from __future__ import annotations

from types import SimpleNamespace

from albert.hub import default_model_dir
from albert.training.model_card import finetune_card, write_model_card


def test_a_card_already_there_is_kept(tmp_path):
    (tmp_path / "README.md").write_text("my own card")
    assert write_model_card(tmp_path, "generated") is False
    assert (tmp_path / "README.md").read_text() == "my own card"


def test_the_base_model_and_its_origin():
    outcome = SimpleNamespace(metrics={"f1": 0.5}, eval_examples=10, best_step=4, train_examples=20, steps=5)
    args = SimpleNamespace(lr=1e-4, batch_size=8, seed=42)
    files = ("/data/conll/train.txt", "/data/conll/valid.txt")
    hub = finetune_card("me/ner", "token-classification", "AlbertForTokenClassification", "albert/albert-base-v2",
                        outcome, args, files)  # fmt: skip
    assert (
        "base_model: albert/albert-base-v2" in hub
        and "[albert/albert-base-v2](https://huggingface.co/" in hub
    )
    assert (
        "pipeline_tag: token-classification" in hub
        and "`valid.txt`, 10 examples" in hub
        and "/data" not in hub
    )
    assert "the model of step 4, the best evaluation" in hub
    builtin = finetune_card("me/mc", "multiple-choice", "AlbertForMultipleChoice", default_model_dir(),
                            outcome, args, files)  # fmt: skip
    assert (
        "albert-lite's built-in model" in builtin
        and "pipeline_tag" not in builtin
        and "base_model" not in builtin
    )
