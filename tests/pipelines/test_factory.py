"""pipeline(): task names and aliases, model/tokenizer arguments, the default model, clear errors."""

from __future__ import annotations

import pytest

from albert.model import AlbertForMaskedLM, AlbertForQuestionAnswering
from albert.pipelines import TASKS, pipeline


def test_aliases(model_dirs, tokenizer):
    assert (
        pipeline("sentiment-analysis", model_dirs["text-classification"], tokenizer).task
        == "text-classification"
    )
    assert pipeline("ner", model_dirs["token-classification"], tokenizer).task == "token-classification"


def test_unknown_task():
    with pytest.raises(ValueError, match="unknown task 'summarization'.*fill-mask"):
        pipeline("summarization", "anything")


@pytest.mark.parametrize(
    "task", ["text-classification", "token-classification", "question-answering", "multiple-choice"]
)
def test_tasks_without_a_default_model_say_what_to_pass(task):
    with pytest.raises(ValueError, match="pass model="):
        pipeline(task)


@pytest.mark.parametrize("task", ["fill-mask", "feature-extraction"])
def test_default_model(task, monkeypatch, tmp_path, model_dirs, tokenizer):
    """`model=None` loads albert/assets/default (faked here by pointing importlib.resources elsewhere)."""
    import albert.hub

    monkeypatch.setattr(albert.hub.importlib.resources, "files", lambda package: tmp_path)
    with pytest.raises(FileNotFoundError, match="no built-in default model.*pass model="):
        pipeline(task)
    (tmp_path / "assets").mkdir()
    (tmp_path / "assets" / "default").symlink_to(model_dirs["fill-mask"])
    assert pipeline(task, tokenizer=tokenizer).task == task


def test_loaded_model_objects(model_dirs, tokenizer):
    model = AlbertForMaskedLM.from_pretrained(model_dirs["fill-mask"])
    assert pipeline("fill-mask", model, tokenizer).model is model
    with pytest.raises(ValueError, match="tokenizer="):
        pipeline("fill-mask", model)
    with pytest.raises(TypeError, match="needs a AlbertForQuestionAnswering"):
        pipeline("question-answering", model, tokenizer)
    qa = AlbertForQuestionAnswering.from_pretrained(model_dirs["question-answering"])
    assert pipeline("question-answering", qa, tokenizer).model is qa


def test_missing_model_directory(tmp_path):
    with pytest.raises(FileNotFoundError):
        pipeline("fill-mask", tmp_path / "missing", tokenizer=object())


def test_tokenizer_loaded_from_the_model_directory(model_dirs, tokenizer):
    from albert.tokenizer import AlbertTokenizerFast

    fill = pipeline("fill-mask", model_dirs["fill-mask"])
    assert isinstance(fill.tokenizer, AlbertTokenizerFast)
    assert fill.tokenizer.get_vocab() == tokenizer.get_vocab()
    assert fill("a [MASK] b") == pipeline("fill-mask", model_dirs["fill-mask"], tokenizer)("a [MASK] b")


def test_every_task_is_registered():
    assert set(TASKS) == {
        "fill-mask", "text-classification", "token-classification", "question-answering",
        "multiple-choice", "feature-extraction", "zero-shot-classification",
    }  # fmt: skip


def test_transformers_loading_arguments(model_dirs, tmp_path):
    """`framework="pt"`, `model_kwargs`, hub options and `save_pretrained`, as transformers' pipeline takes them."""
    path = model_dirs["fill-mask"]
    fill = pipeline(
        "fill-mask", path, framework="pt", model_kwargs={"attn_implementation": "eager"}, revision="main"
    )
    assert fill.model.attn_implementation == "eager"
    with pytest.raises(ValueError, match="framework='tf': albert.pipeline runs the PyTorch classes"):
        pipeline("fill-mask", path, framework="tf")
    with pytest.raises(ValueError, match="unsupported argument 'colour'"):
        pipeline("fill-mask", path, model_kwargs={"colour": "red"})
    fill.save_pretrained(tmp_path / "saved")
    again = pipeline("fill-mask", tmp_path / "saved")
    expected, actual = fill("a [MASK] b", top_k=3), again("a [MASK] b", top_k=3)  # eager vs sdpa: ~1e-8
    assert [d["token"] for d in actual] == [d["token"] for d in expected]
    assert [d["score"] for d in actual] == pytest.approx([d["score"] for d in expected], abs=1e-6)
