"""Smoke tests on the real files in `../shared/data` (skipped with the reason when absent): every dataset
reads with the counts its README states, and real SQuAD / CoNLL text survives offsets and alignment."""

from __future__ import annotations

import pytest

from albert.tasks.evaluation import subset
from albert.tasks.preprocess import IGNORE_INDEX, encode_tokens
from albert.tasks.qa_spans import char_span, encode_qa
from albert.tasks.question_readers import read_multiple_choice, read_qa
from albert.tasks.readers import read_classification, read_token_classification
from albert.tokenizer import AlbertTokenizerFast

GLUE = [  # (task folder, split, rows) from shared/data/README.md
    ("SST-2", "train", 67349), ("SST-2", "dev", 872), ("CoLA", "train", 8551), ("CoLA", "dev", 1043),
    ("MRPC", "train", 3668), ("MRPC", "dev", 408), ("RTE", "train", 2490), ("RTE", "dev", 277),
    ("STS-B", "train", 5749), ("STS-B", "dev", 1500), ("QNLI", "dev", 5463),
]  # fmt: skip


@pytest.mark.parametrize(("task", "split", "count"), GLUE, ids=[f"{t}-{s}" for t, s, _ in GLUE])
def test_glue_counts(shared_data, task, split, count):
    problem = "regression" if task == "STS-B" else "single_label"
    examples = read_classification(shared_data / "glue" / task / f"{split}.tsv", problem=problem)
    assert len(examples) == count
    assert all(e.text for e in examples)
    if task in ("MRPC", "RTE", "STS-B", "QNLI"):
        assert all(e.text_pair for e in examples)
    if problem == "regression":
        assert all(0.0 <= e.label <= 5.0 for e in examples)
    else:
        assert len({e.label for e in examples}) == 2


def test_conll_squad_dream_commonsenseqa_counts(shared_data):
    assert len(read_token_classification(shared_data / "conll2003" / "train.txt")) == 14041
    assert len(read_token_classification(shared_data / "conll2003" / "valid.txt")) == 3250
    assert len(read_qa(shared_data / "squad" / "train-v1.1.json")) == 87599
    assert len(read_qa(shared_data / "squad" / "dev-v1.1.json")) == 10570
    for split, count, choices in (("train", 6116, 3), ("dev", 2040, 3)):
        examples = read_multiple_choice(shared_data / "dream" / f"{split}.json")
        assert len(examples) == count and {len(e.choices) for e in examples} == {choices}
    for split, count in (("train", 9741), ("dev", 1221)):
        examples = read_multiple_choice(shared_data / "commonsenseqa" / f"{split}.jsonl")
        assert len(examples) == count and {len(e.choices) for e in examples} == {5}


@pytest.fixture(scope="module")
def albert_tokenizer(shared_data):
    return AlbertTokenizerFast(vocab_file=str(shared_data / "spm" / "albert-30k-clean.model"))


def test_real_squad_spans_round_trip(shared_data, albert_tokenizer):
    examples = subset(read_qa(shared_data / "squad" / "dev-v1.1.json"), 300, seed=0)
    features, windows = encode_qa(examples, albert_tokenizer, max_length=128, doc_stride=64)
    assert len(features) > 2 * len(examples)  # short windows: most contexts span several
    exact = total = 0
    covered = set()
    for feature, window in zip(features, windows):
        if feature["start_positions"] == 0:
            continue
        example = examples[window.example_index]
        a, b = char_span(
            example.context, window.offsets, feature["start_positions"], feature["end_positions"]
        )
        total += 1
        exact += example.context[a:b] == example.answers[0].text
        covered.add(window.example_index)
    # Only answers that start or end inside a piece ("tempted" in "attempted") cannot come back exactly.
    assert exact / total > 0.98
    assert len(covered) == len(examples)


def test_real_conll_alignment_labels_every_word(shared_data, albert_tokenizer):
    examples = read_token_classification(shared_data / "conll2003" / "valid.txt")[:300]
    tags = sorted({t for e in examples for t in e.tags})
    label2id = {t: i for i, t in enumerate(tags)}
    features, _ = encode_tokens(examples, albert_tokenizer, label2id=label2id, max_length=256)
    for example, feature in zip(examples, features):
        labels = [y for y in feature["labels"] if y != IGNORE_INDEX]
        assert labels == [label2id[t] for t in example.tags], example.source
