"""`finetune(..., push_to_hub=REPO_ID)` / `albert finetune --push-to-hub`: the saved run goes to the Hub at
the end (a stand-in Hub, `tests/fake_hub.py`), and what would make that push fail is found before training."""

from __future__ import annotations

import huggingface_hub
import pytest
import torch

from albert import AlbertForSequenceClassification, cli, hub_push
from albert.training.finetune import finetune
from tests.fake_hub import files_in
from tests.tasks.conftest import write
from tests.tasks.finetune_data import SENTENCES, fast_args


@pytest.fixture
def data(tmp_path):
    rows = "".join(f"{a}\t{b}\t{y}\n" for a, b, y in SENTENCES)
    return write(tmp_path, "train.tsv", "sentence1\tsentence2\tlabel\n" + rows)


def test_the_saved_run_is_pushed_without_its_checkpoints(
    fake_hub, monkeypatch, tmp_path, data, base_model_dir
):
    monkeypatch.setattr(huggingface_hub, "get_token", lambda: "hf_test")
    out = tmp_path / "out"
    result = finetune("text-classification", data, data, output_dir=out, model=base_model_dir,
                      train_args=fast_args(3), push_to_hub="me/tiny-cls", hub_private=True)  # fmt: skip
    (commit,) = fake_hub.commits
    assert result.pushed_to.endswith("/me/tiny-cls/commit/1") and fake_hub.private == {"me/tiny-cls": True}
    top = sorted(p.name for p in out.iterdir() if p.is_file())
    assert commit["files"] == files_in(fake_hub.repo("me/tiny-cls")) == top
    assert {"model.safetensors", "config.json", "spiece.model", "eval_results.json", "metrics.jsonl"} <= set(
        top
    )
    assert (out / "checkpoints").is_dir()  # kept here, not uploaded
    card = (out / "README.md").read_text()  # the model card, uploaded with the rest
    assert (
        card.startswith("---\n") and "pipeline_tag: text-classification" in card and "- albert-lite" in card
    )
    assert f"| accuracy | {result.metrics['accuracy']:.4f} |" in card and "`train.tsv`, 8 examples" in card
    assert 'albert.pipeline("text-classification", "me/tiny-cls")' in card and str(tmp_path) not in card
    assert "base_model" not in card  # a local model: nothing for the Hub's model tree
    ids = torch.tensor([[2, 7, 9, 11, 3]])
    pushed = AlbertForSequenceClassification.from_pretrained(fake_hub.repo("me/tiny-cls")).eval()
    local = AlbertForSequenceClassification.from_pretrained(out).eval()
    torch.testing.assert_close(pushed(ids).logits, local(ids).logits, rtol=0, atol=0)


@pytest.mark.parametrize(
    ("unreachable", "token", "message"),
    [("HF_HUB_OFFLINE is set", "hf_test", "after fine-tuning: HF_HUB_OFFLINE is set. Run without pushing"),
     (None, None, "after fine-tuning needs a Hugging Face token: log in with `hf auth login`")],
    ids=["offline", "no-token"],
)  # fmt: skip
def test_a_push_that_cannot_work_fails_before_training(
    monkeypatch, tmp_path, capsys, data, base_model_dir, unreachable, token, message
):
    monkeypatch.setattr(hub_push, "hub_unreachable", lambda: unreachable)
    monkeypatch.setattr(huggingface_hub, "get_token", lambda: token)
    out = tmp_path / "out"
    status = cli.main(["finetune", "text-classification", "--train", str(data), "--model", str(base_model_dir),
                       "--output", str(out), "--max-steps", "2", "--push-to-hub", "me/x", "--no-progress-bar"])  # fmt: skip
    err = capsys.readouterr().err
    assert status == cli.EXIT_ERROR and message in err and "Traceback" not in err
    assert not out.exists()  # nothing trained


def test_hub_private_needs_a_repository(tmp_path, data, base_model_dir):
    with pytest.raises(ValueError, match=r"hub_private is for push_to_hub: .*--push-to-hub REPO_ID"):
        finetune(
            "text-classification", data, output_dir=tmp_path / "out", model=base_model_dir, hub_private=True
        )
    assert not (tmp_path / "out").exists()


def test_under_torchrun_only_rank_0_pushes(fake_hub, monkeypatch, tmp_path, data, base_model_dir):
    import albert.training.finetune as finetune_module

    monkeypatch.setattr(huggingface_hub, "get_token", lambda: "hf_test")
    monkeypatch.setattr(finetune_module, "is_main_process", lambda: False)  # as on rank 1
    result = finetune("text-classification", data, output_dir=tmp_path / "out", model=base_model_dir,
                      train_args=fast_args(2), push_to_hub="me/tiny-cls")  # fmt: skip
    assert fake_hub.commits == [] and result.pushed_to is None


def test_a_refused_push_keeps_the_run_and_says_where(
    fake_hub, monkeypatch, tmp_path, capsys, data, base_model_dir
):
    monkeypatch.setattr(huggingface_hub, "get_token", lambda: "hf_test")
    fake_hub.refusal = "403 Forbidden: no write access to someone/else"
    out = tmp_path / "out"
    status = cli.main(["finetune", "text-classification", "--train", str(data), "--model", str(base_model_dir),
                       "--output", str(out), "--max-steps", "2", "--push-to-hub", "someone/else", "--no-progress-bar"])  # fmt: skip
    err = capsys.readouterr().err
    assert status == cli.EXIT_ERROR and "Traceback" not in err
    assert (
        f"refused the push to 'someone/else': 403 Forbidden: no write access to someone/else. The files are saved in {out}."
        in err
    )
    assert (out / "model.safetensors").is_file() and (
        out / "eval_results.json"
    ).is_file()  # the run is not lost
