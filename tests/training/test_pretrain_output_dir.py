"""`albert pretrain` never mixes runs: another corpus or other settings in the same --output-dir are
refused (with --start-over to begin again), SentencePiece failures name the flag and leave no temporary
directory, and the command ends by printing where the model is."""

from __future__ import annotations

import json

import pytest

from albert import cli
from albert.training.fingerprint import FINGERPRINT_NAME
from tests.training.test_pretrain import write_corpus

TINY = [
    "--vocab-size", "40", "--max-seq-length", "32", "--max-predictions-per-seq", "4", "--model-config",
    "embedding_size=8", "hidden_size=16", "num_attention_heads=2", "intermediate_size=20", "num_hidden_layers=1",
    "--max-steps", "2", "--batch-size", "4", "--save-every", "2", "--log-every", "1", "--no-progress-bar",
    "--no-plot", "--optimizer", "adamw", "--lr", "1e-3",
]  # fmt: skip


@pytest.fixture
def pretrain_cli(tmp_path, capfd):
    """`albert pretrain --corpus CORPUS --output-dir tmp/out ...`: (exit status, stdout, stderr)."""

    def call(corpus: str, *extra: str, vocab: list[str] | None = None):
        args = ["pretrain", "--corpus", str(tmp_path / corpus), "--output-dir", str(tmp_path / "out"), *TINY]
        status = cli.main([*args, *(vocab or []), *extra])
        out, err = capfd.readouterr()
        return status, out, err

    write_corpus(tmp_path / "a.txt", docs=30, seed=0)
    write_corpus(tmp_path / "b.txt", docs=30, seed=5)
    return call


def test_another_corpus_is_refused_and_start_over_rebuilds(pretrain_cli, tmp_path):
    status, out, err = pretrain_cli("a.txt")
    assert status == 0, err
    assert out.strip().startswith(f"model written to {tmp_path / 'out' / 'model'} (2 steps")
    status, _, err = pretrain_cli("b.txt")
    assert status == cli.EXIT_ERROR and "another run (different --corpus)" in err and "--start-over" in err
    status, _, err = pretrain_cli("a.txt", vocab=["--vocab-size", "45"])
    assert status == cli.EXIT_ERROR and "(different --vocab-size)" in err
    status, out, _ = pretrain_cli("b.txt", "--start-over")
    assert status == 0 and "model written to" in out
    record = json.loads((tmp_path / "out" / FINGERPRINT_NAME).read_text())
    assert [path.rsplit("/", 1)[-1] for path, _, _ in record["corpus"]] == ["b.txt"]
    checkpoints = (tmp_path / "out" / "checkpoints").glob("step-*")
    assert [p.name for p in checkpoints] == ["step-00000002"]  # the first run's are gone


def test_the_same_run_again_needs_resume(pretrain_cli):
    assert pretrain_cli("a.txt")[0] == 0
    status, _, err = pretrain_cli("a.txt")
    assert status == cli.EXIT_ERROR and "checkpoints of an earlier run: pass --resume auto" in err
    status, out, _ = pretrain_cli("a.txt", "--resume", "auto", "--max-steps", "4")
    assert status == 0 and "(4 steps" in out


def test_outputs_without_a_record_are_refused(pretrain_cli, tmp_path):
    (tmp_path / "out" / "data").mkdir(parents=True)
    status, _, err = pretrain_cli("a.txt")
    assert status == cli.EXIT_ERROR and "already holds data with no record" in err and "--start-over" in err


def test_sentencepiece_failures_name_the_flag_and_leave_nothing_behind(pretrain_cli, tmp_path):
    status, _, err = pretrain_cli("a.txt", vocab=["--vocab-size", "5000"])
    assert status == cli.EXIT_ERROR
    assert "--vocab-size 5000 is more than --corpus" in err and "lower --vocab-size" in err
    assert "INTERNAL" not in err and "trainer_interface" not in err
    status, _, err = pretrain_cli("a.txt", "--start-over", vocab=["--vocab-size", "20"])
    assert status == cli.EXIT_ERROR and "--vocab-size 20 is fewer pieces than the characters" in err
    assert "raise --vocab-size" in err and "character_coverage" not in err  # (a flag albert lacks)
    (tmp_path / "empty.txt").write_text("\n\n")
    status, _, err = pretrain_cli("empty.txt", "--start-over")
    assert status == cli.EXIT_ERROR and "no text to train a vocabulary on" in err and "INTERNAL" not in err
    assert not (tmp_path / "out" / "tokenizer.tmp").exists() and not (tmp_path / "out" / "tokenizer").exists()


@pytest.mark.skipif(__import__("torch").cuda.is_available(), reason="checks a machine without CUDA")
def test_a_gpu_this_machine_lacks_is_a_clear_error_before_anything_is_built(pretrain_cli, tmp_path):
    status, _, err = pretrain_cli("a.txt", "--device", "cuda")
    assert status == cli.EXIT_ERROR
    assert "--device cuda asks for a GPU but CUDA is not available here; use --device cpu" in err
    assert not (tmp_path / "out").exists()


def test_model_config_given_twice_adds_up_and_an_unknown_field_is_named(pretrain_cli, tmp_path):
    status, _, err = pretrain_cli("a.txt", "--model-config", "num_hidden_layers=2", "inner_group_num=2")
    assert status == 0, err
    config = json.loads((tmp_path / "out" / "model" / "config.json").read_text())
    assert (config["embedding_size"], config["num_hidden_layers"], config["inner_group_num"]) == (8, 2, 2)

    status, _, err = pretrain_cli("a.txt", "--model-config", "hiden_size=32", "--start-over")
    assert status == cli.EXIT_ERROR
    assert "--model-config hiden_size=32: not a field of AlbertConfig" in err and "Traceback" not in err
