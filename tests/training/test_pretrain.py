"""`albert pretrain` end to end on a tiny generated corpus: vocabulary, shards, training, export."""

from __future__ import annotations

import dataclasses
import json
import random

import pytest
import torch

from albert.training.pretrain import PretrainArgs, check_init_from, pretrain
from albert.training.train_args import TrainArgs

WORDS = [
    "the",
    "cat",
    "dog",
    "bird",
    "sat",
    "ran",
    "flew",
    "over",
    "under",
    "near",
    "house",
    "tree",
    "river",
    "a",
    "small",
    "large",
    "red",
    "green",
    "quickly",
    "slowly",
    "village",
    "town",
    "morning",
    "evening",
    "saw",
    "heard",
    "found",
    "old",
    "young",
    "man",
    "woman",
    "child",
]


def write_corpus(path, docs: int, seed: int) -> None:
    rng = random.Random(seed)
    lines = []
    for _ in range(docs):
        for _ in range(rng.randint(3, 7)):
            words = [rng.choice(WORDS) for _ in range(rng.randint(4, 10))]
            lines.append(" ".join(words).capitalize() + ".")
        lines.append("")
    path.write_text("\n".join(lines), encoding="utf-8")


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    root = tmp_path_factory.mktemp("pretrain")
    write_corpus(root / "train.txt", docs=60, seed=0)
    write_corpus(root / "eval.txt", docs=8, seed=1)
    args = PretrainArgs(
        corpus=[str(root / "train.txt")],
        eval_corpus=[str(root / "eval.txt")],
        vocab_size=50,
        max_seq_length=32,
        max_predictions_per_seq=5,
        model_config=dict(
            embedding_size=16,
            hidden_size=32,
            num_attention_heads=2,
            intermediate_size=64,
            num_hidden_layers=2,
        ),  # fmt: skip
        eval_batches=2,
    )
    train_args = TrainArgs(
        output_dir=str(root / "out"), optimizer="adamw", lr=3e-3, max_steps=40, batch_size=8, eval_every=20,
        save_every=20, log_every=5, metric_for_best="mlm_accuracy", progress_bar=False, plot=False,
    )  # fmt: skip
    return root, pretrain(args, train_args)


def test_loss_falls_and_metrics_are_logged(run):
    root, result = run
    records = [json.loads(line) for line in (root / "out" / "metrics.jsonl").read_text().splitlines()]
    losses = [r["loss"] for r in records if "loss" in r and "mlm_accuracy" not in r and "eval_loss" not in r]
    assert len(losses) >= 4 and losses[-1] < losses[0]
    evals = [r for r in records if any(k.endswith("mlm_accuracy") for k in r)]
    assert evals, "no evaluation record"
    assert result.step == 40


def test_exported_model_loads_here_and_in_transformers(run):
    root, _ = run
    from albert import AlbertForPreTraining
    from albert.tokenizer import AlbertTokenizerFast

    model_dir = root / "out" / "model"
    tok = AlbertTokenizerFast.from_pretrained(model_dir)
    model = AlbertForPreTraining.from_pretrained(model_dir)
    enc = tok("The cat sat near the river.", return_tensors="pt")
    ours = model(**enc).prediction_logits
    import transformers

    ref = transformers.AlbertForPreTraining.from_pretrained(model_dir).eval()
    torch.testing.assert_close(ref(**enc).prediction_logits, ours, atol=1e-5, rtol=1e-5)


def test_other_ranks_wait_for_rank_0s_vocabulary_and_shards_even_when_they_are_there(run, monkeypatch):
    """Under torchrun, ranks other than 0 wait at the barrier whether or not rank 0 has finished already:
    a rank that looked, found the files and skipped the barrier left rank 0 waiting at it forever (seen
    as a hang of `torchrun -m albert pretrain` when one rank started late)."""
    from albert.training import pretrain as module

    root, _ = run
    waits: list[str] = []
    monkeypatch.setattr(module.dist_utils, "is_main_process", lambda: False)
    monkeypatch.setattr(module.dist_utils, "barrier", lambda: waits.append("wait"))
    args = PretrainArgs(corpus=[str(root / "train.txt")])
    tokenizer = module.prepare_tokenizer(args, root / "out")  # rank 0 trained it already
    assert waits == ["wait"]
    module.prepare_shards(args, tokenizer, args.corpus, root / "out" / "data" / "train", 0)  # built already
    assert waits == ["wait", "wait"]


def test_missing_corpus_is_a_clear_error(tmp_path):
    with pytest.raises(ValueError, match="no corpus"):
        pretrain(PretrainArgs(tokenizer=None, corpus=[], vocab_size=100),
                 TrainArgs(output_dir=str(tmp_path), max_steps=1))  # fmt: skip


def test_warm_restart_takes_the_models_tokenizer_and_refuses_what_does_not_fit(run, tmp_path):
    """--init-from: the model's own tokenizer by default; shape flags, another vocabulary, a missing
    tokenizer or too few positions are errors naming the flag, raised before any data is built."""
    import shutil

    root, _ = run
    model_dir = root / "out" / "model"
    args = check_init_from(PretrainArgs(init_from=str(model_dir), max_seq_length=32))
    assert args.tokenizer == str(model_dir)
    with pytest.raises(ValueError, match=r"--model-config hidden_size=64 does not apply with --init-from"):
        pretrain(PretrainArgs(corpus=["unused.txt"], init_from=str(model_dir), model_config={"hidden_size": 64}),
                 TrainArgs(output_dir=str(tmp_path / "a"), max_steps=1))  # fmt: skip
    assert not (tmp_path / "a" / "data").exists()
    with pytest.raises(
        ValueError, match=r"--max-seq-length 4096 is longer than --init-from .* use --max-seq-length"
    ):
        check_init_from(PretrainArgs(init_from=str(model_dir), max_seq_length=4096))
    bare = tmp_path / "weights-only"
    bare.mkdir()
    for name in ("config.json", "model.safetensors"):
        shutil.copy(model_dir / name, bare / name)
    with pytest.raises(ValueError, match=r"has no tokenizer .* pass --tokenizer"):
        check_init_from(PretrainArgs(init_from=str(bare), max_seq_length=32))
    config = json.loads((bare / "config.json").read_text())
    (bare / "config.json").write_text(json.dumps({**config, "vocab_size": config["vocab_size"] + 3}))
    with pytest.raises(ValueError, match=r"token ids but the tokenizer .* has"):
        check_init_from(PretrainArgs(init_from=str(bare), tokenizer=str(model_dir), max_seq_length=32))
    with pytest.raises(ValueError, match=r"--metric-for-best mlm_acc: the evaluation gives mlm_accuracy, "):
        pretrain(PretrainArgs(corpus=["unused.txt"], init_from=str(model_dir), max_seq_length=32),
                 TrainArgs(output_dir=str(tmp_path / "b"), max_steps=1, metric_for_best="mlm_acc"))  # fmt: skip
    assert not (tmp_path / "b").exists()  # found before anything is built, not at the first evaluation
    # --start-over deleted the model it was about to start from (then failed to read it)
    with pytest.raises(ValueError, match=r"--init-from .* is what this run starts from.*choose another"):
        pretrain(PretrainArgs(corpus=["unused.txt"], init_from=str(model_dir), max_seq_length=32, start_over=True),
                 TrainArgs(output_dir=str(root / "out"), max_steps=1))  # fmt: skip
    assert (model_dir / "model.safetensors").is_file()


@pytest.mark.parametrize(
    ("config", "flags", "expected"),
    [
        (None, [], (3125, None)),  # the paper's warmup
        (None, ["--warmup-ratio", "0.2"], (None, 0.2)),  # was refused: the default's steps and this ratio
        ("configs/pretrain/gpu.yaml", [], (None, 0.1)),
        (
            "configs/pretrain/gpu.yaml",
            ["--warmup-steps", "100"],
            (100, None),
        ),  # the model card's warm restart
    ],
)
def test_warmup_given_in_one_form_replaces_the_other_from_below(config, flags, expected):
    """defaults < config file < command line; giving warmup as steps or as a ratio replaces the other form
    from the sources below instead of being refused as 'both'."""
    import argparse
    from pathlib import Path

    from albert.training.pretrain import add_pretrain_arguments, pretrain_options

    parser = argparse.ArgumentParser()
    add_pretrain_arguments(parser)
    root = Path(__file__).resolve().parents[2]
    argv = (["--config", str(root / config)] if config else []) + ["--output-dir", "unused", *flags]
    _, train_args = pretrain_options(parser.parse_args(argv))
    assert (train_args.warmup_steps, train_args.warmup_ratio) == expected
    with pytest.raises(ValueError, match="not both"):  # both on one command line: still a mistake
        pretrain_options(parser.parse_args([*argv, "--warmup-steps", "5", "--warmup-ratio", "0.1"]))


def test_the_final_line_of_a_stopped_run_says_so(tmp_path):
    # a Ctrl-C'd pretraining run ended with exit 0 and "model written to ..." as if finished
    from albert.training.loop import TrainResult
    from albert.training.pretrain import final_report

    (tmp_path / "config.json").write_text("{}")
    result = TrainResult(step=5, epoch=0, tokens=100, stopped_early=True, best_value=None, best_step=None,
                         best_checkpoint=None, last_checkpoint=None)  # fmt: skip
    assert final_report(result, tmp_path).endswith(
        "stopped before its planned end: continue it with --resume auto (same command)"
    )
    finished = dataclasses.replace(result, stopped_early=False)
    assert final_report(finished, tmp_path) == f"model written to {tmp_path} (5 steps, 100 tokens)"


def test_a_model_from_scratch_starts_from_the_recipes_truncated_normal_without_sop_dropout(tmp_path):
    from albert.training.pretrain import initial_model, model_config

    tiny = dict(embedding_size=16, hidden_size=32, num_attention_heads=2, intermediate_size=64)
    args = PretrainArgs(corpus=[str(tmp_path)], model_config=tiny, fast_paths=False)
    config = model_config(args, vocab_size=500)
    torch.manual_seed(0)
    model = initial_model(args, config)
    bound = 2 * config.initializer_range
    weights = [p for n, p in model.named_parameters() if n.endswith("weight") and "norm" not in n.lower()]
    assert weights and all(float(w.detach().abs().max()) <= bound for w in weights)
    assert config.classifier_dropout_prob > 0  # kept in the config, for the fine-tuning heads
    pooled = torch.randn(4, config.hidden_size)
    model.train()
    torch.testing.assert_close(model.sop_head(pooled), model.sop_head(pooled))  # no dropout while training
