"""Fine-tuning's bad input and command line: every mistake named by its flag or file line before any
work, runs that are replaced or continued only when asked, a stopped run that says so."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

from albert.tasks import DataError
from albert.tasks.evaluation import add_evaluate_arguments, run_evaluate
from albert.training.finetune import add_finetune_arguments, finetune, run_finetune
from tests.tasks.conftest import write
from tests.tasks.finetune_data import CONLL, fast_args, pairs_file


def test_eval_label_absent_from_training_fails_before_training(tmp_path, base_model_dir, tokenizer):
    train = write(tmp_path, "train.tsv", "sentence\tlabel\ngood movie\tpos\nbad film\tneg\n")
    dev = write(tmp_path, "dev.tsv", "sentence\tlabel\ngreat fun\tpos\nboring\tneutral\n")
    with pytest.raises(
        DataError, match=r"dev\.tsv:3: label 'neutral' is not among the training labels \(neg, pos\)"
    ):
        finetune("text-classification", train, dev, output_dir=tmp_path / "out", model=base_model_dir,
                 tokenizer=tokenizer, train_args=fast_args(2))  # fmt: skip
    assert not (tmp_path / "out" / "checkpoints").exists()


def test_command_line_entry_points(tmp_path, base_model_dir, capsys):
    # the entry points load the tokenizer saved beside the model (albert's own AlbertTokenizerFast)
    data = write(tmp_path, "ner.txt", CONLL)
    out = tmp_path / "out"
    parser = add_finetune_arguments(argparse.ArgumentParser())
    argv = ["token-classification", "--train", str(data), "--eval", str(data), "--model", str(base_model_dir),
            "--output", str(out), "--max-steps", "3", "--batch-size", "4", "--lr", "1e-3", "--max-length", "32",
            "--seed", "3", "--no-progress-bar", "--no-plot"]  # fmt: skip
    args = parser.parse_args(argv)
    assert run_finetune(args) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["steps"] == 3 and summary["train_examples"] == 4
    train_args = json.loads((out / "train_args.json").read_text())
    assert (train_args["lr"], train_args["batch_size"], train_args["seed"], train_args["epochs"]) == (
        1e-3,
        4,
        3,
        None,
    )
    assert train_args["metric_for_best"] == "f1" and train_args["warmup_ratio"] == 0.1

    args = add_evaluate_arguments(argparse.ArgumentParser()).parse_args(
        ["token-classification", "--model", str(out), "--eval", str(data)]
    )
    assert run_evaluate(args) == 0
    metrics = json.loads(capsys.readouterr().out)
    assert metrics == pytest.approx(summary["metrics"], rel=1e-4)
    # a checkpoint (weights only) is scored with its run's tokenizer and data options: the best one
    # holds the saved model's weights
    checkpoint = out / "checkpoints" / (out / "checkpoints" / "best").read_text().strip()
    assert not (checkpoint / "tokenizer.json").exists()
    argv = ["token-classification", "--model", str(checkpoint), "--eval", str(data)]
    assert run_evaluate(add_evaluate_arguments(argparse.ArgumentParser()).parse_args(argv)) == 0
    assert json.loads(capsys.readouterr().out) == pytest.approx(metrics, rel=1e-5)

    # the dev loss is the mean over the file's labelled tokens whatever the batch size (it was a mean of
    # per-batch means weighted by sentences: 0.597 / 0.573 / 0.568 at batch sizes 1 / 8 / 32)
    losses = []
    for size in ("1", "3", "32"):
        argv = ["token-classification", "--model", str(out), "--eval", str(data), "--batch-size", size]
        assert run_evaluate(add_evaluate_arguments(argparse.ArgumentParser()).parse_args(argv)) == 0
        losses.append(json.loads(capsys.readouterr().out)["loss"])
    assert losses == pytest.approx([losses[0]] * 3, rel=1e-5, abs=0)
    # a model fine-tuned for another task is named as such (each task failed differently inside)
    with pytest.raises(
        ValueError, match=f"{out} was fine-tuned for token-classification, not multiple-choice"
    ):
        run_evaluate(add_evaluate_arguments(argparse.ArgumentParser()).parse_args(
            ["multiple-choice", "--model", str(out), "--eval", str(data)]))  # fmt: skip
    # past the model's 96 positions: refused as fine-tuning refuses it (it was taken, then failed on the
    # first long input with advice for the tokenizer's Python call)
    with pytest.raises(ValueError, match="--max-length 500 exceeds the model's 96 positions"):
        run_evaluate(add_evaluate_arguments(argparse.ArgumentParser()).parse_args(
            ["token-classification", "--model", str(out), "--eval", str(data), "--max-length", "500"]))  # fmt: skip


def test_an_earlier_run_is_replaced_only_with_start_over(tmp_path, base_model_dir, capsys, caplog):
    """A second fine-tune into the directory of a finished one is refused before any data is read (it
    would replace that run's model, results and checkpoints); `--start-over` replaces it, saying so."""
    from albert.cli import main

    data = pairs_file(tmp_path)
    out = tmp_path / "out"

    def albert_finetune(steps: int, *extra: str) -> int:
        return main(["finetune", "text-classification", "--train", str(data), "--eval", str(data), "--model",
                     str(base_model_dir), "--output", str(out), "--max-steps", str(steps), "--batch-size", "4",
                     "--no-progress-bar", "--no-plot", *extra])  # fmt: skip

    assert albert_finetune(2) == 0
    first = (out / "model.safetensors").read_bytes()
    capsys.readouterr()

    assert albert_finetune(3) == 1
    message = capsys.readouterr().err
    assert (
        f"--output {out} holds an earlier run (eval_results.json, model.safetensors, checkpoints)" in message
    )
    assert "--resume latest" in message and "--start-over" in message and "Traceback" not in message
    assert (out / "model.safetensors").read_bytes() == first
    assert [p.name for p in (out / "checkpoints").glob("step-*")] == ["step-00000002"]

    with caplog.at_level("WARNING", logger="albert"):
        assert albert_finetune(3, "--start-over") == 0
    assert "--start-over: deleting eval_results.json, model.safetensors, checkpoints" in caplog.text
    assert json.loads(capsys.readouterr().out)["steps"] == 3
    assert (out / "model.safetensors").read_bytes() != first
    assert albert_finetune(4, "--resume", "latest") == 0  # continuing the run: no question asked
    assert json.loads(capsys.readouterr().out)["steps"] == 4


def test_start_over_never_deletes_the_model_the_run_starts_from_and_auto_without_checkpoints_refuses(
    tmp_path, base_model_dir, capsys
):
    """`--model X --output X --start-over` deleted X's weights, then failed to load them; `--resume auto`
    into a finished run whose checkpoints/ was removed replaced its model and results without a word."""
    import shutil

    from albert.cli import main

    data = pairs_file(tmp_path)
    out = tmp_path / "out"

    def albert_finetune(model: Path, steps: int, *extra: str) -> int:
        return main(["finetune", "text-classification", "--train", str(data), "--eval", str(data), "--model",
                     str(model), "--output", str(out), "--max-steps", str(steps), "--batch-size", "4",
                     "--no-progress-bar", "--no-plot", *extra])  # fmt: skip

    assert albert_finetune(base_model_dir, 2) == 0
    weights = (out / "model.safetensors").read_bytes()
    for extra in ((), ("--start-over",)):
        assert albert_finetune(out, 2, *extra) == 1
        message = capsys.readouterr().err
        assert (
            f"--model {out} is what this run starts from" in message and "choose another --output" in message
        )
        assert (out / "model.safetensors").read_bytes() == weights
    shutil.rmtree(out / "checkpoints")  # to save disk, once the run is done
    assert albert_finetune(base_model_dir, 3, "--resume", "auto") == 1
    assert (
        f"--output {out} holds an earlier run (eval_results.json, model.safetensors)"
        in capsys.readouterr().err
    )
    assert (out / "model.safetensors").read_bytes() == weights


def test_a_run_is_continued_only_with_its_own_task_data_and_options(tmp_path, base_model_dir, capsys):
    """`--resume` with other labels, other training examples or other data options is refused before
    training, naming what changed (the head and the data position would not fit them); moving the
    files elsewhere is fine (a run may continue on another machine)."""
    from albert.cli import main

    data = pairs_file(tmp_path)
    out = tmp_path / "out"

    def albert_finetune(train: Path, steps: int, *extra: str) -> int:
        return main(["finetune", "text-classification", "--train", str(train), "--model", str(base_model_dir),
                     "--output", str(out), "--max-steps", str(steps), "--batch-size", "4", "--no-progress-bar",
                     "--no-plot", *extra])  # fmt: skip

    assert albert_finetune(data, 2) == 0
    capsys.readouterr()
    relabelled = write(tmp_path, "other.tsv", data.read_text().replace("\tno\n", "\tmaybe\n"))
    assert albert_finetune(relabelled, 4, "--resume", "latest") == 1
    err = capsys.readouterr().err
    assert f"--resume: the run in {out} was trained with other settings" in err
    assert 'labels ["no", "yes"] -> ["maybe", "yes"]' in err and "--start-over" in err
    assert albert_finetune(data, 4, "--resume", "latest", "--max-length", "24") == 1
    err = capsys.readouterr().err
    assert "data.max_length" in err and "-> 24" in err
    (tmp_path / "elsewhere").mkdir()
    moved = write(tmp_path / "elsewhere", "train.tsv", data.read_text())
    assert albert_finetune(moved, 4, "--resume", "latest") == 0
    assert json.loads(capsys.readouterr().out)["steps"] == 4


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks a machine without CUDA")
def test_a_gpu_this_machine_lacks_is_a_clear_error_before_the_data_is_read(tmp_path, base_model_dir, capsys):
    from albert.cli import main

    argv = ["finetune", "text-classification", "--train", str(tmp_path / "never-read.tsv"), "--model",
            str(base_model_dir), "--output", str(tmp_path / "out"), "--max-steps", "2", "--device", "cuda:1"]  # fmt: skip
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert "--device cuda:1 asks for a GPU but CUDA is not available here; use --device cpu" in err


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (
            ["--max-length", "1"],
            "--max-length: must be an integer >= 5, got 1",
        ),  # was IndexError: pop from empty list
        (["--doc-stride", "0"], "--doc-stride: must be an integer >= 1, got 0"),
        (["--max-train-examples", "0"], "--max-train-examples: must be an integer >= 1, got 0"),
        (["--dropout", "2"], "--dropout: must be a number in [0, 1), got 2.0"),
        (
            ["--eval", "{data}", "--metric-for-best", "bogus"],
            "--metric-for-best bogus: the evaluation gives accuracy, f1",
        ),
    ],
)
def test_bad_numbers_are_named_by_their_flag(tmp_path, base_model_dir, capsys, flags, message):
    from albert.cli import main

    data = pairs_file(tmp_path)
    flags = [f.format(data=data) for f in flags]
    argv = ["finetune", "text-classification", "--train", str(data), "--model", str(base_model_dir), "--output",
            str(tmp_path / "out"), "--max-steps", "1", "--batch-size", "4", "--no-progress-bar", "--no-plot", *flags]  # fmt: skip
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err, err


def test_an_unknown_training_option_is_named(tmp_path, base_model_dir):
    with pytest.raises(ValueError, match="unknown training option\\(s\\): --learning-rate"):
        finetune("text-classification", tmp_path / "never-read.tsv", output_dir=tmp_path / "out",
                 model=base_model_dir, train_args={"learning_rate": 1e-3})  # fmt: skip


def test_python_api_habits_are_taken_or_named(tmp_path, base_model_dir):
    """options as a dict and tokenizer as a directory are taken (they crashed deep inside: 'dict' object
    has no attribute 'multi_label', 'str' object is not callable); the misuses are named."""
    data = pairs_file(tmp_path)
    result = finetune("text-classification", data, output_dir=tmp_path / "out", model=base_model_dir,
                      tokenizer=str(base_model_dir), options={"max_length": 16}, train_args=fast_args(1))  # fmt: skip
    assert result.steps == 1
    assert json.loads((tmp_path / "out" / "finetune_config.json").read_text())["data"]["max_length"] == 16
    with pytest.raises(ValueError, match=r"unknown data option\(s\) max_len; known: .*max_length"):
        finetune("text-classification", data, output_dir=tmp_path / "o2", model=base_model_dir,
                 options={"max_len": 16}, train_args=fast_args(1))  # fmt: skip
    with pytest.raises(TypeError, match="options must be an albert.tasks.DataOptions .*got list"):
        finetune("text-classification", data, output_dir=tmp_path / "o2", model=base_model_dir,
                 options=[16], train_args=fast_args(1))  # fmt: skip
    # checkpoints and metrics went to train_args' directory, the model to output_dir's
    with pytest.raises(
        ValueError, match=r"train_args\['output_dir'\] \('elsewhere'\) differs from output_dir"
    ):
        finetune("text-classification", data, output_dir=tmp_path / "o2", model=base_model_dir,
                 train_args=fast_args(1, output_dir="elsewhere"))  # fmt: skip
    assert not (tmp_path / "o2").exists()


def test_help_lists_task_and_training_flags():
    text = add_finetune_arguments(argparse.ArgumentParser()).format_help()
    for flag in ("--train", "--eval", "--output", "--epochs", "--max-steps", "--lr", "--doc-stride", "--text-column",
                 "--early-stopping-patience", "--mixed-precision", "--grad-accum-steps"):  # fmt: skip
        assert flag in text
    assert "Peak learning rate" in text  # help comes from TrainArgs' attribute docstrings


def test_a_stopped_run_says_so_in_its_results(tmp_path, base_model_dir, tokenizer, monkeypatch, caplog):
    """SIGTERM mid-run: the model of that step is saved at once (no pass over the dev set on the way out),
    `eval_results.json` says `stopped_early` (so a results table does not take it for a finished run) and
    the log says how to continue."""
    import os
    import signal

    import albert.training.finetune as finetune_module

    real_train = finetune_module.train

    def train_stopping_at_step_3(*args, **kwargs):
        steps = []

        def loss(model, batch):
            steps.append(1)
            if len(steps) == 3:
                os.kill(os.getpid(), signal.SIGTERM)
            return model(**batch).loss

        return real_train(*args, loss_fn=loss, **kwargs)

    monkeypatch.setattr(finetune_module, "train", train_stopping_at_step_3)
    monkeypatch.setattr(
        finetune_module, "score", lambda *a, **k: pytest.fail("a stopped run is not evaluated")
    )
    data = pairs_file(tmp_path)
    with caplog.at_level("WARNING", logger="albert"):
        result = finetune("text-classification", data, data, output_dir=tmp_path / "out", model=base_model_dir,
                          tokenizer=tokenizer, train_args=fast_args(20))  # fmt: skip
    assert result.stopped_early and result.steps == 3 and result.metrics == {}  # no evaluation on the way out
    saved = json.loads((tmp_path / "out" / "eval_results.json").read_text())
    assert saved["stopped_early"] is True and saved["steps"] == 3
    assert "stopped at step 3, before its planned end" in caplog.text and "--resume latest" in caplog.text
    assert "holds that step's model" in caplog.text

    # With an evaluation before the stop, the saved model is that best one, and the log says so.
    caplog.clear()
    with caplog.at_level("WARNING", logger="albert"):
        result = finetune("text-classification", data, data, output_dir=tmp_path / "out2", model=base_model_dir,
                          tokenizer=tokenizer, train_args=fast_args(20, eval_every=2))  # fmt: skip
    assert result.stopped_early and result.steps == 3 and result.best_step == 2
    assert "holds the best model so far (step 2)" in caplog.text
    saved = load_file(str(tmp_path / "out2" / "model.safetensors"))
    best = load_file(str(tmp_path / "out2" / "checkpoints" / "step-00000002" / "model.safetensors"))
    assert saved.keys() <= best.keys() and all(torch.equal(saved[k], best[k]) for k in saved)


def test_evaluate_help_shows_no_defaults_for_the_saved_data_options():
    # the saved model's options apply there; "(default: False)" beside --multi-label misled
    import argparse

    from albert.tasks.evaluation import add_evaluate_arguments

    text = add_evaluate_arguments(argparse.ArgumentParser(prog="albert evaluate")).format_help()
    data = text.split("data (default: as saved with the model):")[1]
    assert "--multi-label" in data and "(default:" not in data
    assert "(default: 32)" in text  # --batch-size's own default is still shown


def test_a_mistyped_metric_for_best_is_refused_before_training(tmp_path, base_model_dir, capsys):
    """It was found at the first evaluation: after an epoch, or at the end of a --max-steps run, with
    nothing saved."""
    from albert.cli import main

    data = pairs_file(tmp_path)
    argv = ["finetune", "text-classification", "--train", str(data), "--eval", str(data), "--model",
            str(base_model_dir), "--output", str(tmp_path / "out"), "--max-steps", "2", "--batch-size", "4",
            "--no-progress-bar", "--no-plot"]  # fmt: skip
    assert main([*argv, "--metric-for-best", "acc"]) == 1
    message = capsys.readouterr().err
    assert "--metric-for-best acc: the evaluation gives accuracy, f1, matthews_correlation, loss" in message
    assert not (tmp_path / "out" / "metrics.jsonl").exists()  # refused before training
    assert main([*argv, "--metric-for-best", "matthews_correlation"]) == 0


def test_bad_batch_sizes_and_counts_are_named_before_any_work(tmp_path, base_model_dir, capsys):
    """--eval-batch-size -1 failed with "'logits'" after the whole training; evaluate's --batch-size 0
    with "range() arg 3 must not be zero", --max-examples 0 inside torch.stack."""
    from albert.cli import main

    data = pairs_file(tmp_path)
    argv = ["finetune", "text-classification", "--train", str(data), "--eval", str(data), "--model",
            str(base_model_dir), "--output", str(tmp_path / "out"), "--max-steps", "1", "--batch-size", "4",
            "--no-progress-bar", "--no-plot"]  # fmt: skip
    assert main([*argv, "--eval-batch-size", "-1"]) == 1
    assert "--eval-batch-size: must be an integer >= 1, got -1" in capsys.readouterr().err
    assert not (tmp_path / "out" / "metrics.jsonl").exists()
    for flag, value in (("--batch-size", "0"), ("--max-examples", "0"), ("--max-examples", "-3")):
        assert main(["evaluate", "text-classification", "--model", str(base_model_dir), "--eval", str(data),
                     flag, value]) == 1  # fmt: skip
        assert f"{flag}: must be an integer >= 1, got {value}" in capsys.readouterr().err


def test_early_stopping_is_a_finished_run(tmp_path, base_model_dir):
    """Early stopping was reported as a run stopped on request: not pushed, "continue it with --resume
    latest", which trained on for nothing and emptied eval_results.json's metrics."""
    data = write(tmp_path, "ner.txt", CONLL)
    out = tmp_path / "out"
    args = {**fast_args(12), "eval_every": 2, "metric_for_best": "loss", "greater_is_better": True,
            "early_stopping_patience": 1, "lr": 1e-12}  # fmt: skip
    result = finetune(
        "token-classification", data, data, output_dir=out, model=base_model_dir, train_args=args
    )
    assert not result.stopped_early and result.steps == 4  # (almost) no learning: no improvement at step 4
    saved = json.loads((out / "eval_results.json").read_text())
    assert saved["stopped_early"] is False and saved["metrics"]["loss"] == result.metrics["loss"]
    assert saved["best_step"] == 2


def test_an_output_holding_another_tools_weights_is_refused(tmp_path, base_model_dir, capsys):
    """A transformers directory saved with pytorch_model.bin counted as empty: its config.json was replaced."""
    from albert.cli import main

    data = pairs_file(tmp_path)
    out = tmp_path / "theirs"
    out.mkdir()
    (out / "pytorch_model.bin").write_bytes(b"weights")
    (out / "config.json").write_text("{}")
    argv = ["finetune", "text-classification", "--train", str(data), "--model", str(base_model_dir),
            "--output", str(out), "--max-steps", "1", "--batch-size", "4", "--no-progress-bar", "--no-plot"]  # fmt: skip
    assert main(argv) == 1
    assert f"--output {out} holds an earlier run (pytorch_model.bin)" in capsys.readouterr().err
    assert (out / "config.json").read_text() == "{}"


def test_an_output_that_is_a_file_is_named_before_any_work(tmp_path, base_model_dir, capsys):
    from albert.cli import main

    data = pairs_file(tmp_path)
    (tmp_path / "afile.txt").write_text("mine")
    for output, message in (
        (tmp_path / "afile.txt", "is a file"),
        (tmp_path / "afile.txt" / "sub", "lies under a file"),
    ):
        argv = ["finetune", "text-classification", "--train", str(data), "--model", str(base_model_dir),
                "--output", str(output), "--max-steps", "1", "--no-progress-bar", "--no-plot"]  # fmt: skip
        assert main(argv) == 1
        assert f"--output {output} {message}; give a directory" in capsys.readouterr().err
    assert (tmp_path / "afile.txt").read_text() == "mine"


def test_evaluation_options_without_eval_are_named(tmp_path, base_model_dir, capsys):
    """--early-stopping-patience without --eval asked for --metric-for-best, then both were ignored."""
    from albert.cli import main

    argv = ["finetune", "text-classification", "--train", str(pairs_file(tmp_path)), "--model", str(base_model_dir),
            "--output", str(tmp_path / "out"), "--max-steps", "1", "--no-progress-bar", "--no-plot"]  # fmt: skip
    assert main([*argv, "--early-stopping-patience", "2", "--metric-for-best", "loss"]) == 1
    assert (
        "--early-stopping-patience, --metric-for-best need(s) --eval: a dev file" in capsys.readouterr().err
    )
    assert main([*argv, "--metric-for-best", "f1"]) == 1
    assert "--metric-for-best need(s) --eval" in capsys.readouterr().err
