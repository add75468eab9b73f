"""The example types every reader returns, the `DataError` they raise, and label vocabularies.

An example is one item of a task file, before tokenization, with `source` = "file:line" so that any later
problem (a label unseen in training, an answer outside its context) can point at the line to fix.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any


class DataError(ValueError):
    """A problem with a data file; the message starts with `file:line:`."""

    def __init__(self, source: str, message: str) -> None:
        super().__init__(f"{source}: {message}")
        self.source = source


def where(path: object, line: int | str | None) -> str:
    """`file:line` for error messages; `file (list item 3)` for a record of a JSON list (`line` is then
    "list item 3"), just `file` when the place is unknown."""
    if line is None:
        return str(path)
    return f"{path}:{line}" if isinstance(line, int) else f"{path} ({line})"


@dataclass
class ClassificationExample:
    """A sentence or sentence pair with a label: a class name, a list of names (multi-label) or a float."""

    text: str
    text_pair: str | None
    label: str | list[str] | float | None
    source: str = ""


@dataclass
class TokenExample:
    """A pre-split sentence with one tag per word (IOB2 for NER)."""

    words: list[str]
    tags: list[str] | None
    source: str = ""


@dataclass
class Answer:
    """A gold answer: its text and its character offset in the context."""

    text: str
    start: int

    @property
    def end(self) -> int:
        return self.start + len(self.text)


@dataclass
class QAExample:
    """An extractive question; `answers` holds every annotator's answer (dev sets have several)."""

    id: str
    question: str
    context: str
    answers: list[Answer] = field(default_factory=list)
    source: str = ""


@dataclass
class ChoiceExample:
    """A multiple-choice question: optional context (passage, dialogue), question, options, gold index."""

    id: str
    context: str
    question: str
    choices: list[str]
    label: int | None
    source: str = ""


def _natural_key(label: str) -> tuple[int, float | str]:
    """Sort integer-like labels numerically ("2" < "10"), then the others alphabetically."""
    try:
        return (0, float(label))
    except ValueError:
        return (1, label)


def label_vocabulary(labels: Iterable[str], *, first: str | None = None) -> list[str]:
    """The sorted distinct labels (numbers numerically); `first` (e.g. NER's "O") goes first if present."""
    names = sorted(set(labels), key=lambda name: (*_natural_key(name), name))  # (ties: "1" / "1.0")
    _check_one_spelling_per_number(names)
    if first is not None and first in names:
        names.remove(first)
        names.insert(0, first)
    return names


def _check_one_spelling_per_number(names: list[str]) -> None:
    """ "1" and "1.0" in one file (a spreadsheet or pandas export) would be two classes of the head, and its
    metrics would count them apart: refused, naming both."""
    by_number: dict[float, str] = {}
    for name in names:
        try:
            number = float(name)
        except ValueError:
            continue
        if number in by_number:
            raise ValueError(
                f"the labels {by_number[number]!r} and {name!r} are one number written two ways, which would "
                f"make two classes; write every label the same way (e.g. all {by_number[number]!r})"
            )
        by_number[number] = name


def check_label(label: str, label2id: dict[str, int], source: str) -> int:
    """The id of `label`, or a DataError naming the line and the labels the model knows."""
    if label not in label2id:
        known = ", ".join(sorted(label2id, key=_natural_key))
        raise DataError(source, f"label {label!r} is not among the training labels ({known})")
    return label2id[label]


def check_count(name: str, value: Any, *, minimum: int = 1, optional: bool = True) -> None:
    """A count option (`batch_size`, `max_examples`, `doc_stride`, ...): an integer >= `minimum`, or None
    where `optional`; named by its flag."""
    if value is None and optional:
        return
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ValueError(f"--{name.replace('_', '-')}: must be an integer >= {minimum}, got {value!r}")
