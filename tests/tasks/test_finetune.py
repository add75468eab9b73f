"""Fine-tuning through the shared loop: a tiny random model overfits a few examples of every task, the
saved directory loads in transformers and scores the same through `evaluate` (bad input and the command
line: test_finetune_errors.py)."""

from __future__ import annotations

import json

import pytest
import torch

from albert.pipelines import pipeline
from albert.tasks import DataOptions, evaluate
from albert.training.finetune import finetune
from tests.tasks.conftest import write
from tests.tasks.finetune_data import CONLL, SENTENCES, fast_args, pairs_file


def first_and_last_loss(history: list[dict]) -> tuple[float, float]:
    losses = [r["loss"] for r in history if r["split"] == "train"]
    return losses[0], losses[-1]


def test_text_classification_overfits_and_saves_a_loadable_model(tmp_path, base_model_dir, tokenizer):
    data = pairs_file(tmp_path)
    out = tmp_path / "out"
    result = finetune("text-classification", data, data, output_dir=out, model=base_model_dir,
                      tokenizer=tokenizer, train_args=fast_args(60, plot=True), classifier_dropout=0.0)  # fmt: skip
    first, last = first_and_last_loss(result.history)
    assert last < 0.2 * first
    assert result.metrics["accuracy"] == 1.0 and result.steps == 60 and result.best_step == 60
    config = json.loads((out / "config.json").read_text())
    assert config["id2label"] == {"0": "no", "1": "yes"}
    assert config["problem_type"] == "single_label_classification"
    for name in (
        "model.safetensors",
        "tokenizer.json",
        "metrics.jsonl",
        "eval_results.json",
        "finetune_config.json",
    ):
        assert (out / name).is_file(), name
    assert (out / "curves.png").is_file()

    # the same numbers from the saved directory, and the same logits in transformers
    again = evaluate("text-classification", out, data, tokenizer=tokenizer)
    assert again == pytest.approx(result.metrics, rel=1e-4)
    import transformers

    theirs = transformers.AlbertForSequenceClassification.from_pretrained(out).eval()
    ours = __import__("albert").AlbertForSequenceClassification.from_pretrained(out)
    batch = tokenizer(["john visited paris"], ["mary works for google"], return_tensors="pt")
    with torch.no_grad():
        torch.testing.assert_close(ours(**batch).logits, theirs(**batch).logits, rtol=1e-4, atol=1e-5)
    assert theirs.config.id2label == {0: "no", 1: "yes"}
    classify = pipeline("text-classification", str(out))
    assert classify({"text": "john visited paris", "text_pair": "mary works for google"})["label"] == "no"


def test_multi_label_overfits(tmp_path, base_model_dir, tokenizer):
    labels = [["fun"], ["city"], ["fun", "city"], [], ["animal"], ["animal", "city"], ["fun"], ["city"]]
    lines = [json.dumps({"text": f"{a} {b}", "labels": y}) for (a, b, _), y in zip(SENTENCES, labels)]
    data = write(tmp_path, "train.jsonl", "\n".join(lines) + "\n")
    result = finetune("text-classification", data, data, output_dir=tmp_path / "out", model=base_model_dir,
                      tokenizer=tokenizer, options=DataOptions(multi_label=True), train_args=fast_args(100, lr=5e-3),
                      classifier_dropout=0.0)  # fmt: skip
    assert result.metrics["accuracy"] == 1.0 and result.metrics["f1"] == 1.0
    config = json.loads((tmp_path / "out" / "config.json").read_text())
    assert config["problem_type"] == "multi_label_classification"
    assert config["id2label"] == {"0": "animal", "1": "city", "2": "fun"}


def test_regression_overfits(tmp_path, base_model_dir, tokenizer):
    scores = [0.5, 4.0, 3.5, 1.0, 2.5, 0.0, 4.75, 1.5]
    rows = "".join(f"{a}\t{b}\t{s}\n" for (a, b, _), s in zip(SENTENCES, scores))
    data = write(tmp_path, "sts.tsv", "sentence1\tsentence2\tscore\n" + rows)
    result = finetune("regression", data, data, output_dir=tmp_path / "out", model=base_model_dir,
                      tokenizer=tokenizer, train_args=fast_args(100, lr=5e-3), classifier_dropout=0.0)  # fmt: skip
    first, last = first_and_last_loss(result.history)
    assert last < 0.2 * first
    assert result.metrics["pearson"] > 0.99 and result.metrics["spearman"] > 0.95
    assert json.loads((tmp_path / "out" / "config.json").read_text())["problem_type"] == "regression"


def test_token_classification_overfits(tmp_path, base_model_dir, tokenizer):
    data = write(tmp_path, "ner.txt", CONLL)
    result = finetune("token-classification", data, data, output_dir=tmp_path / "out", model=base_model_dir,
                      tokenizer=tokenizer, train_args=fast_args(80), classifier_dropout=0.0)  # fmt: skip
    first, last = first_and_last_loss(result.history)
    assert last < 0.2 * first
    assert result.metrics["f1"] == 1.0
    id2label = json.loads((tmp_path / "out" / "config.json").read_text())["id2label"]
    assert id2label["0"] == "O" and set(id2label.values()) == {"O", "B-PER", "I-PER", "B-LOC", "B-ORG"}


def squad_file(tmp_path):
    context = ("John visited Paris in the spring. Mary works for Google near the river. "
               "The capital of France is Paris. A red cat lives in London with a blue dog.")  # fmt: skip
    qas = [("who visited paris", "John"), ("where does mary work", "Google"),
           ("what is the capital of france", "Paris"), ("what color is the dog", "blue")]  # fmt: skip
    items = []
    for i, (question, answer) in enumerate(qas):
        start = context.index(answer, 30) if answer == "Paris" else context.index(answer)
        items.append(
            {"id": f"q{i}", "question": question, "answers": [{"text": answer, "answer_start": start}]}
        )
    data = {"version": "1.1", "data": [{"title": "t", "paragraphs": [{"context": context, "qas": items}]}]}
    return write(tmp_path, "squad.json", json.dumps(data))


def test_question_answering_overfits_across_windows(tmp_path, base_model_dir, tokenizer):
    data = squad_file(tmp_path)
    options = DataOptions(max_length=48, doc_stride=16)  # several windows per question
    result = finetune("question-answering", data, data, output_dir=tmp_path / "out", model=base_model_dir,
                      tokenizer=tokenizer, options=options, train_args=fast_args(120))  # fmt: skip
    assert result.train_features > 2 * result.train_examples
    first, last = first_and_last_loss(result.history)
    assert last < 0.2 * first
    assert result.metrics["exact_match"] == 1.0 and result.metrics["f1"] == 1.0
    saved = json.loads((tmp_path / "out" / "finetune_config.json").read_text())
    assert saved["data"]["doc_stride"] == 16  # `albert evaluate` reuses the windowing


def test_multiple_choice_overfits(tmp_path, base_model_dir, tokenizer):
    rows = [
        {"context": "John visited Paris.", "question": "who visited", "choices": ["john", "mary", "the dog"], "label": 0},
        {"context": "Mary works for Google.", "question": "who works", "choices": ["john", "mary", "apple"], "label": 1},
        {"context": "A red cat lives in London.", "question": "what lives", "choices": ["dog", "man", "cat"], "label": 2},
        {"context": "The movie was fun.", "question": "what was fun", "choices": ["plot", "movie", "actor"], "label": 1},
        {"context": "", "question": "capital of france", "choices": ["paris", "berlin", "london"], "label": 0},
        {"context": "The coat is blue.", "question": "what color", "choices": ["red", "green", "blue"], "label": 2},
    ]  # fmt: skip
    data = write(tmp_path, "mc.jsonl", "".join(json.dumps(r) + "\n" for r in rows))
    result = finetune("multiple-choice", data, data, output_dir=tmp_path / "out", model=base_model_dir,
                      tokenizer=tokenizer, train_args=fast_args(100), classifier_dropout=0.0)  # fmt: skip
    first, last = first_and_last_loss(result.history)
    assert last < 0.2 * first
    assert result.metrics["accuracy"] == 1.0


def test_fast_paths_change_speed_not_results(tmp_path, base_model_dir, tokenizer):
    """Unpadding + fused GELU (the default) against the reference path: the same training run."""
    data = write(tmp_path, "ner.txt", CONLL)  # sentences of different lengths: padding to remove
    runs = [
        finetune(
            "token-classification",
            data,
            data,
            output_dir=tmp_path / str(fast),
            model=base_model_dir,
            tokenizer=tokenizer,
            train_args=fast_args(12),
            fast_paths=fast,
        )  # fmt: skip
        for fast in (True, False)
    ]
    fast, reference = ([r["loss"] for r in run.history if r["split"] == "train"] for run in runs)
    assert fast == pytest.approx(reference, rel=1e-4, abs=1e-5)
    assert runs[0].metrics == pytest.approx(runs[1].metrics, rel=1e-4, abs=1e-5)
