"""Builders of tiny random ALBERT checkpoints (written by `transformers`) with a tiny trained vocabulary.

Each directory holds config.json + model.safetensors and the tokenizer files, so one directory feeds both
`transformers.pipeline` and `albert.pipeline`. Everything is built during the test session (a few
seconds): the vocabulary is trained by `albert.tokenizer.train_sentencepiece` on generated sentences made
of the words the pipeline and CLI tests use. Used by the pipeline fixtures and the CLI tests.
"""

from __future__ import annotations

import functools
import random
import shutil
from pathlib import Path

import torch
import transformers

from albert.tokenizer import AlbertTokenizerFast, train_sentencepiece

TINY = dict(
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
NLI = {0: "contradiction", 1: "neutral", 2: "entailment"}

_WORDS = (  # noqa: SIM905 (the words of the pipeline and CLI tests, and some filler)
    "the a an of and to in is was it my name i live do where who which what how tall topic place "
    "sentence number talks about capital france paris london rome berlin germany wolfgang eiffel tower "
    "built stands m cat sat on mat sitting love terrible really bad one two three hello world how are "
    "you doing today only list man opened fridge took out milk flew away then slept dinner late he door "
    "left person visited city country much longer with some punctuation digits x y z ray tm xtreme ok "
    "double spaces tabs km last line word nobody sleeps plants create through process known as "
    "photosynthesis question answer because why anything softmax off"
).split()
_EXTRA = ["1887-1889", "330", "92000,", "3.5", "1234", "(tm)", "x-ray", "生活的真谛是", "é", "naïve", "£5"]


def tiny_corpus(count: int = 1500, seed: int = 0) -> list[str]:
    """Generated sentences over the test words, with numbers, brackets and a few non-ASCII characters."""
    rng = random.Random(seed)
    lines = []
    for _ in range(count):
        words = rng.choices(_WORDS, k=rng.randint(3, 14))
        if rng.random() < 0.3:
            words.insert(rng.randrange(len(words)), rng.choice(_EXTRA))
        lines.append(" ".join(words).capitalize() + rng.choice([".", "?", ",", "!", ""]))
    return lines


def build_tokenizer_dir(path: Path) -> Path:
    """A ~300-piece vocabulary with ALBERT's layout, saved by our tokenizer (spiece.model + tokenizer.json).

    Its tokenizer.json makes transformers' AlbertTokenizerFast give our ids, offsets and words, so both
    pipelines see the same tokens and the comparison is about the pipelines."""
    train_sentencepiece(
        None, path, sentences=tiny_corpus(), vocab_size=300, num_threads=1, hard_vocab_limit=False
    )
    return path


def build_model_dir(class_name: str, path: Path, tokenizer_dir: Path, seed: int, **config) -> Path:
    """A randomly initialised `transformers.<class_name>` saved with the tokenizer files into `path`."""
    vocab_size = len(AlbertTokenizerFast.from_pretrained(tokenizer_dir))
    torch.manual_seed(seed)
    hf_config = transformers.AlbertConfig(vocab_size=vocab_size, **TINY, **config)
    model = getattr(transformers, class_name)(hf_config).eval()
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
    "zero-shot-classification": ("AlbertForSequenceClassification", labels(NLI)),
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
def reference_tokenizer(spm_path: str):
    """transformers' own fast ALBERT tokenizer for a SentencePiece model (its converter's tokenizer.json),
    which the span tests compare against rather than transformers running our tokenizer.json."""
    return transformers.AlbertTokenizerFast(vocab_file=spm_path)


def assert_same_ids(texts, theirs, ours) -> None:
    """The texts tokenize to the same ids in both tokenizers (so the models see the same input)."""
    for text in texts:
        assert theirs(text)["input_ids"] == ours(text)["input_ids"], f"tokenizers differ on {text!r}"


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
