"""Builders of tiny random ALBERT checkpoints (written by `transformers`) with the real vocabulary.

Each directory holds config.json + model.safetensors and the fast tokenizer files, so one directory
feeds both `transformers.pipeline` and `albert.pipeline`. Used by the pipeline fixtures and the CLI tests.
"""

from __future__ import annotations

import functools
import os
import shutil
from pathlib import Path

import pytest

SPM = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "spm" / "albert-30k-clean.model"

TINY = dict(
    vocab_size=30000,
    embedding_size=16,
    hidden_size=32,
    num_hidden_layers=2,
    num_attention_heads=4,
    intermediate_size=37,
    max_position_embeddings=512,
    # Wider than the default 0.02 so that the random models make confident, distinct predictions.
    initializer_range=0.2,
)
NER_LABELS = ["O", "B-PER", "I-PER", "B-LOC", "I-LOC", "MISC"]
SENTIMENT = {0: "negative", 1: "neutral", 2: "positive"}


def require_transformers():
    return pytest.importorskip("transformers", reason="transformers is the reference for parity tests")


def build_tokenizer_dir(path: Path) -> Path:
    """The real ALBERT vocabulary saved by our fast tokenizer (skips when the vocabulary is absent).

    Its tokenizer.json makes transformers' AlbertTokenizerFast give our ids, offsets and words, so both
    pipelines see the same tokens and the comparison is about the pipelines. Until albert.tokenizer
    exists, transformers' own tokenizer is saved instead.
    """
    if not SPM.is_file():
        pytest.skip(f"the real ALBERT vocabulary is not available at {SPM}")
    our_tokenizer_class()(vocab_file=str(SPM)).save_pretrained(path)
    return path


def build_model_dir(class_name: str, path: Path, tokenizer_dir: Path, seed: int, **config) -> Path:
    """A randomly initialised `transformers.<class_name>` saved with the tokenizer files into `path`."""
    import torch

    transformers = require_transformers()
    torch.manual_seed(seed)
    model = getattr(transformers, class_name)(transformers.AlbertConfig(**TINY, **config)).eval()
    model.save_pretrained(path)
    for file in tokenizer_dir.iterdir():
        shutil.copy(file, path / file.name)
    return path


def labels(names: dict[int, str] | list[str]) -> dict:
    id2label = dict(enumerate(names)) if isinstance(names, list) else dict(names)
    return {"id2label": id2label, "label2id": {v: k for k, v in id2label.items()}}


MODEL_SPECS = {
    "fill-mask": ("AlbertForMaskedLM", {}),
    "text-classification": ("AlbertForSequenceClassification", labels(SENTIMENT)),
    "token-classification": ("AlbertForTokenClassification", labels(NER_LABELS)),
    "question-answering": ("AlbertForQuestionAnswering", {}),
    "multiple-choice": ("AlbertForMultipleChoice", {}),
}


def tiny_model_dirs(root: Path) -> dict[str, Path]:
    """task -> checkpoint directory under `root` (a tokenizer directory too); what exists is reused, so
    the pipeline tests and the CLI tests of one session share one set."""
    tokenizer_dir = root / "tokenizer"
    if not (tokenizer_dir / "tokenizer.json").is_file():
        build_tokenizer_dir(tokenizer_dir)
    dirs = {}
    for seed, (task, (class_name, config)) in enumerate(MODEL_SPECS.items()):
        dirs[task] = root / task
        if not (dirs[task] / "model.safetensors").is_file():
            build_model_dir(class_name, dirs[task], tokenizer_dir, seed, **config)
    return dirs


SPAN_TASKS = ("question-answering", "token-classification", "ner")


@functools.cache
def reference_tokenizer():
    """transformers' own fast ALBERT tokenizer for the real vocabulary (its converter's tokenizer.json)."""
    if not SPM.is_file():
        pytest.skip(f"the real ALBERT vocabulary is not available at {SPM}")
    return require_transformers().AlbertTokenizerFast(vocab_file=str(SPM))


def assert_same_ids(texts, theirs, ours) -> None:
    """The texts tokenize to the same ids in both tokenizers (so the models see the same input)."""
    for text in texts:
        assert theirs(text)["input_ids"] == ours(text)["input_ids"], f"tokenizers differ on {text!r}"


def our_tokenizer_class():
    """albert.tokenizer.AlbertTokenizerFast, or transformers' (same call API) until ours exists."""
    try:
        from albert.tokenizer import AlbertTokenizerFast
    except ImportError:
        AlbertTokenizerFast = require_transformers().AlbertTokenizerFast
    return AlbertTokenizerFast


def subprocess_env(tmp_path: Path) -> dict[str, str]:
    """Environment for `python -m albert` in a subprocess. While albert.tokenizer is not written yet, a
    sitecustomize stand-in makes `albert.tokenizer.AlbertTokenizerFast` transformers' class (tests only)."""
    env = dict(os.environ)
    try:
        from albert.tokenizer import AlbertTokenizerFast  # noqa: F401
    except ImportError:
        shim = tmp_path / "tokenizer_shim"
        shim.mkdir(exist_ok=True)
        (shim / "sitecustomize.py").write_text(
            "import sys, types\n"
            "class _Stand_in(types.ModuleType):\n"
            "    def __getattr__(self, name):  # import transformers only when a tokenizer is needed\n"
            "        import transformers\n"
            "        return getattr(transformers, name)\n"
            "sys.modules['albert.tokenizer'] = _Stand_in('albert.tokenizer')\n"
        )
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(shim), env.get("PYTHONPATH")]))
    return env


def assert_same(ours, theirs, tol: float = 1e-4, where: str = "result") -> float:
    """Structural equality of two pipeline outputs, floats within `tol`; returns the largest float gap."""
    import numbers

    if isinstance(theirs, dict):
        assert isinstance(ours, dict) and ours.keys() == theirs.keys(), f"{where}: keys {ours} != {theirs}"
        return max([assert_same(ours[k], theirs[k], tol, f"{where}.{k}") for k in theirs] or [0.0])
    if isinstance(theirs, (list, tuple)):
        assert isinstance(ours, (list, tuple)) and len(ours) == len(theirs), f"{where}: {ours} != {theirs}"
        return max(
            [assert_same(a, b, tol, f"{where}[{i}]") for i, (a, b) in enumerate(zip(ours, theirs))] or [0.0]
        )
    if isinstance(theirs, numbers.Real) and not isinstance(theirs, (bool, numbers.Integral)):
        gap = abs(float(ours) - float(theirs))
        assert gap <= tol, f"{where}: {ours} vs {theirs} (gap {gap:.2e})"
        return gap
    assert ours == theirs, f"{where}: {ours!r} != {theirs!r}"
    return 0.0
