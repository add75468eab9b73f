"""The five fine-tuning tasks: for each, how to read its files, which labels it has, how to encode the
examples, which model class it trains, and how to score the model's outputs.

`TASKS` maps the command-line name (`text-classification`, `regression`, `token-classification`,
`question-answering`, `multiple-choice`) to a `Task`. Running the model is in `albert.tasks.evaluation`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

from albert.model import (
    AlbertForMultipleChoice,
    AlbertForQuestionAnswering,
    AlbertForSequenceClassification,
    AlbertForTokenClassification,
)
from albert.tasks import metrics, question_readers, readers
from albert.tasks.examples import DataError, check_count, label_vocabulary
from albert.tasks.preprocess import (
    MAX_QA_LENGTH,
    Feature,
    encode_classification,
    encode_multiple_choice,
    encode_tokens,
)
from albert.tasks.qa_spans import DOC_STRIDE, MAX_ANSWER_LEN, decode, encode_qa


@dataclass
class DataOptions:
    """How to read and encode task files (the `--...-column` and length flags)."""

    max_length: int | None = None
    """Longest packed input in tokens; None = the task's default (128; 384 for question answering, 256 for
    multiple choice)."""
    multi_label: bool = False
    """text-classification: several labels per example (JSON list, or split on `label_separator`)."""
    text_column: str | None = None
    """Column / field of the first text (a 0-based index for header-less files); None = detect."""
    text_pair_column: str | None = None
    """Column / field of the second text of a pair; None = detect (or none when `text_column` is given)."""
    label_column: str | None = None
    """Column / field of the label; None = detect (`label`, `Quality`, `score`, ...)."""
    label_separator: str = ","
    """Separator of the labels in one cell for multi-label classification."""
    header: bool | None = None
    """Whether a TSV/CSV file has a header row; None = detect from known column names."""
    tokens_column: str | None = None
    """token-classification JSON lines: the field with the words (default `tokens`)."""
    tags_column: str | None = None
    """token-classification JSON lines: the field with the tags (default `ner_tags`)."""
    doc_stride: int = DOC_STRIDE
    """question-answering: tokens of overlap between consecutive context windows (transformers' meaning)."""
    max_query_length: int = 64
    """question-answering: questions are cut to this many tokens."""
    max_answer_length: int = MAX_ANSWER_LEN
    """question-answering: longest answer in tokens at decoding (the pipeline's `max_answer_len`)."""
    max_qa_length: int = MAX_QA_LENGTH
    """multiple-choice: question + choice keep their last this many tokens."""

    def __post_init__(self) -> None:
        # 5 = [CLS] a [SEP] b [SEP] with one token of each text: anything shorter holds no input.
        lows = {
            "max_length": 5,
            "doc_stride": 1,
            "max_query_length": 1,
            "max_answer_length": 1,
            "max_qa_length": 1,
        }
        for name, low in lows.items():
            check_count(name, getattr(self, name), minimum=low, optional=name == "max_length")


@dataclass
class Encoded:
    """Encoded examples: the model features plus what scoring needs to map outputs back."""

    examples: list[Any]
    features: list[Feature]
    alignment: list[Any] = field(default_factory=list)
    """Token classification: word index per position; question answering: the `Window` per feature."""


class Task:
    """Base: subclasses define the model class and the read / labels / encode / score steps."""

    name: str
    model_class: type
    metric_for_best: str
    """The evaluation metric that picks the best checkpoint by default."""
    default_lr: float = 2e-5
    default_max_length: int = 128

    def read(self, path: Any, options: DataOptions) -> list[Any]:
        raise NotImplementedError

    def label_names(self, examples: Sequence[Any]) -> list[str] | None:
        """The label vocabulary from training examples (None when the head has no named labels)."""
        return None

    def config_overrides(self, labels: list[str] | None, options: DataOptions) -> dict[str, Any]:
        """Config fields the head needs (`id2label`, `problem_type`, ...)."""
        return {}

    def encode(self, examples: list[Any], tokenizer: Any, label2id: dict[str, int] | None,
               options: DataOptions) -> Encoded:  # fmt: skip
        raise NotImplementedError

    def score(self, encoded: Encoded, outputs: list[dict[str, torch.Tensor]], config: Any,
              options: DataOptions) -> dict[str, float]:  # fmt: skip
        """Metrics from the per-feature model outputs (unpadded, on the CPU)."""
        raise NotImplementedError

    def max_length(self, options: DataOptions) -> int:
        return options.max_length or self.default_max_length

    def fit_to_model(self, options: DataOptions, positions: int) -> DataOptions:
        """`options` with `max_length` settled within a model's `positions`: the task's default capped
        there when none is given, an error naming the flag when the given one exceeds them (fine-tuning
        and evaluation alike; past them the model fails on the first long input)."""
        if options.max_length is None:
            return dataclasses.replace(options, max_length=min(self.max_length(options), positions))
        if options.max_length > positions:
            raise ValueError(f"--max-length {options.max_length} exceeds the model's {positions} positions")
        return options

    def metric_names(self, options: DataOptions) -> tuple[str, ...]:
        """The keys `score` returns (a fine-tune's evaluation adds `loss`): what `--metric-for-best` may
        name, checked before training rather than at the first evaluation."""
        raise NotImplementedError


class TextClassification(Task):
    """Sentence(-pair) classification (single- or multi-label) and regression on the pooled vector."""

    model_class = AlbertForSequenceClassification

    def __init__(self, name: str, regression: bool = False) -> None:
        self.name = name
        self.regression = regression
        self.metric_for_best = "pearson" if regression else "accuracy"

    def problem(self, options: DataOptions) -> str:
        return "regression" if self.regression else ("multi_label" if options.multi_label else "single_label")

    def read(self, path: Any, options: DataOptions) -> list[Any]:
        return readers.read_classification(
            path,
            problem=self.problem(options),
            text_column=options.text_column,
            text_pair_column=options.text_pair_column,
            label_column=options.label_column,
            label_separator=options.label_separator,
            header=options.header,
        )

    def label_names(self, examples: Sequence[Any]) -> list[str] | None:
        if self.regression:
            return None
        flat = [n for e in examples for n in (e.label if isinstance(e.label, list) else [e.label])]
        return label_vocabulary(flat)

    def config_overrides(self, labels: list[str] | None, options: DataOptions) -> dict[str, Any]:
        problem = self.problem(options)
        if problem == "regression":
            return {"num_labels": 1, "problem_type": "regression"}
        return {"id2label": dict(enumerate(labels or [])), "problem_type": f"{problem}_classification"}

    def encode(self, examples, tokenizer, label2id, options):
        features = encode_classification(
            examples, tokenizer, problem=self.problem(options), label2id=label2id,
            max_length=self.max_length(options),
        )  # fmt: skip
        return Encoded(examples, features)

    def metric_names(self, options):
        return {"regression": metrics.REGRESSION, "multi_label": metrics.MULTI_LABEL}.get(
            self.problem(options), metrics.CLASSIFICATION
        )

    def score(self, encoded, outputs, config, options):
        logits = torch.stack([o["logits"] for o in outputs]).float()  # (N, num_labels)
        labels = [f["labels"] for f in encoded.features]
        problem = self.problem(options)
        if problem == "regression":
            return metrics.regression_metrics(logits[:, 0].tolist(), labels)
        if problem == "multi_label":
            return metrics.multi_label_metrics((logits > 0).int().numpy(), np.asarray(labels, dtype=int))
        return metrics.classification_metrics(logits.argmax(-1).tolist(), labels, config.num_labels)


class TokenClassification(Task):
    """Tagging (NER): one label per word, predicted on its first sub-token; entity-level F1."""

    name = "token-classification"
    model_class = AlbertForTokenClassification
    metric_for_best = "f1"
    default_lr = 5e-5

    def read(self, path, options):
        return readers.read_token_classification(
            path, tokens_column=options.tokens_column, tags_column=options.tags_column
        )

    def label_names(self, examples):
        return label_vocabulary((t for e in examples for t in e.tags), first="O")

    def config_overrides(self, labels, options):
        return {"id2label": dict(enumerate(labels or []))}

    def encode(self, examples, tokenizer, label2id, options):
        features, words = encode_tokens(
            examples, tokenizer, label2id=label2id, max_length=self.max_length(options)
        )
        return Encoded(examples, features, words)

    def metric_names(self, options):
        return metrics.NER

    def score(self, encoded, outputs, config, options):
        id2label = config.id2label
        fallback = "O" if "O" in config.label2id else id2label[0]  # words cut off by truncation
        predicted, gold = [], []
        for example, words, output in zip(encoded.examples, encoded.alignment, outputs):
            tags = [fallback] * len(example.words)
            seen = set()
            for position, word in enumerate(words):
                if word is not None and word not in seen:
                    seen.add(word)
                    tags[word] = id2label[int(output["logits"][position].argmax())]
            predicted.append(tags)
            gold.append(example.tags)
        return metrics.ner_metrics(predicted, gold)


class QuestionAnswering(Task):
    """Extractive QA (SQuAD v1.1): windows over the context, decoded as the pipeline decodes; EM and F1."""

    name = "question-answering"
    model_class = AlbertForQuestionAnswering
    metric_for_best = "f1"
    default_lr = 5e-5
    default_max_length = 384

    def read(self, path, options):
        return question_readers.read_qa(path)

    def config_overrides(self, labels, options):
        return {"num_labels": 2}

    def encode(self, examples, tokenizer, label2id, options):
        features, windows = encode_qa(
            examples, tokenizer, max_length=self.max_length(options), doc_stride=options.doc_stride,
            max_query_length=options.max_query_length,
        )  # fmt: skip
        return Encoded(examples, features, windows)

    def metric_names(self, options):
        return metrics.SQUAD

    def score(self, encoded, outputs, config, options):
        predictions = decode(
            encoded.examples, encoded.alignment,
            [o["start_logits"].float().numpy() for o in outputs], [o["end_logits"].float().numpy() for o in outputs],
            max_answer_len=options.max_answer_length,
        )  # fmt: skip
        references = [[a.text for a in e.answers] for e in encoded.examples]
        return metrics.squad_metrics(predictions, references)


class MultipleChoice(Task):
    """Multiple choice (RACE-style packing, one score per option, softmax over the options); accuracy."""

    name = "multiple-choice"
    model_class = AlbertForMultipleChoice
    metric_for_best = "accuracy"
    default_max_length = 256

    def read(self, path, options):
        examples = question_readers.read_multiple_choice(path)
        for example in examples:
            if example.label is None:
                raise DataError(example.source, "no answer (a `label`, `answer` or `answerKey` field)")
        return examples

    def encode(self, examples, tokenizer, label2id, options):
        features = encode_multiple_choice(
            examples, tokenizer, max_length=self.max_length(options), max_qa_length=options.max_qa_length
        )
        return Encoded(examples, features)

    def metric_names(self, options):
        return metrics.MULTIPLE_CHOICE

    def score(self, encoded, outputs, config, options):
        predictions = [int(o["logits"].argmax()) for o in outputs]
        return metrics.multiple_choice_metrics(predictions, [e.label for e in encoded.examples])


TASKS: dict[str, Task] = {
    task.name: task
    for task in (
        TextClassification("text-classification"),
        TextClassification("regression", regression=True),
        TokenClassification(),
        QuestionAnswering(),
        MultipleChoice(),
    )
}


def get_task(name: str) -> Task:
    """The task called `name`, or a ValueError listing the tasks."""
    if name not in TASKS:
        raise ValueError(f"unknown task {name!r}; choose one of {', '.join(TASKS)}")
    return TASKS[name]
