"""Readers: task files -> examples (`albert.tasks.examples`), with errors that name the file and line.

Formats (detected from the extension and the content; every column or field can also be named):
* classification / regression: TSV (split on tabs only: GLUE rows contain unbalanced quotes), CSV, JSON
  lines. GLUE layouts are recognised: SST-2, CoLA (no header), MRPC (BOM), RTE, QNLI, STS-B (`score`).
* token classification: CoNLL (`word ... tag` per line, blank lines between sentences, `-DOCSTART-`
  skipped) or JSON lines with `tokens` and `ner_tags` (tag names).
* question answering and multiple choice: `albert.tasks.question_readers`.
Files are read as UTF-8 with an optional BOM. Not here: tokenization (see `albert.tasks.preprocess`).
"""

from __future__ import annotations

import csv
import io
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from albert.hub import listing
from albert.tasks.examples import (
    ClassificationExample,
    DataError,
    TokenExample,
    where,
)

PathLike = str | os.PathLike[str]

# Known header names, lower-cased. Text columns are tried as pairs first, so that QNLI's
# (question, sentence) is a pair while SST-2's lone `sentence` is a single text.
TEXT_COLUMNS = (
    ("sentence1", "sentence2"),
    ("#1 string", "#2 string"),
    ("question1", "question2"),
    ("question", "sentence"),
    ("premise", "hypothesis"),
    ("text", "text_pair"),
    ("sentence", None),
    ("text", None),
)
LABEL_COLUMNS = ("label", "quality", "score", "labels", "gold_label")
_KNOWN = {c for pair in TEXT_COLUMNS for c in pair if c} | set(LABEL_COLUMNS) | {"index", "idx", "id"}


def read_text(path: PathLike) -> str:
    """The whole file (BOM dropped); FileNotFoundError / DataError for a missing or empty file."""
    path = Path(path)
    if path.is_dir():
        raise DataError(str(path), f"a directory, not a data file: give one of its files ({listing(path)})")
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such file")
    text = path.read_text(encoding="utf-8-sig")
    if not text.strip():
        raise DataError(where(path, 1), "the file is empty")
    return text


# ----- rows of delimited / JSON-lines files ----------------------------------------------------------


def read_rows(
    path: PathLike, *, header: bool | None = None, expected: tuple[str | None, ...] = ()
) -> tuple[list[str], list[tuple[int | str, dict]]]:
    """(column names, [(line, row dict)]) of a TSV/CSV/JSON-lines/JSON-list file (a JSON list's rows are
    placed as "list item N" instead of a line number; `where` formats both).

    Delimited files without a header get the column names "0", "1", ...; `header=None` detects one by
    known column names (`sentence`, `label`, `#1 String`, ...) or the `expected` ones the user named.
    """
    text = read_text(path)
    suffix = Path(path).suffix.lower()
    if suffix in (".jsonl", ".json"):
        rows = list(_json_records(path, text))
        if not rows:
            raise DataError(where(path, 1), "no records")
        return list(rows[0][1]), rows
    if suffix == ".csv":
        reader = csv.reader(io.StringIO(text))
        cells = [(reader.line_num, row) for row in reader if any(c.strip() for c in row)]
    else:  # TSV; no quote handling on purpose (MRPC and SST-2 contain stray '"')
        lines = text.splitlines()
        cells = [(i, line.split("\t")) for i, line in enumerate(lines, 1) if line.strip()]
    first = [c.strip() for c in cells[0][1]]
    if header is None:
        known = _KNOWN | {c.lower() for c in expected if c is not None and not c.isdigit()}
        header = any(c.lower() in known for c in first)
    names = first if header else [str(i) for i in range(len(first))]
    rows = []
    for line, row in cells[1:] if header else cells:
        if len(row) < len(names):
            raise DataError(where(path, line), f"expected {len(names)} columns, found {len(row)}")
        rows.append((line, dict(zip(names, row))))
    if not rows:
        raise DataError(where(path, cells[0][0]), "no data rows after the header")
    return names, rows


def _json_records(path: PathLike, text: str) -> Iterator[tuple[int | str, dict]]:
    stripped = text.lstrip()
    if Path(path).suffix.lower() == ".json" and stripped.startswith("["):
        try:
            data = json.loads(text)
        except json.JSONDecodeError as e:
            raise DataError(where(path, e.lineno), f"invalid JSON: {e.msg}") from None
        for i, record in enumerate(data):  # a JSON list: records are numbered (from 0), not located
            if not isinstance(record, dict):
                raise DataError(where(path, f"list item {i}"), "expected a JSON object")
            yield f"list item {i}", record
        return
    for line, raw in enumerate(text.splitlines(), 1):
        if not raw.strip():
            continue
        try:
            record = json.loads(raw)
        except json.JSONDecodeError as e:
            raise DataError(where(path, line), f"invalid JSON: {e.msg}") from None
        if not isinstance(record, dict):
            raise DataError(where(path, line), "expected a JSON object on each line")
        yield line, record


def _pick(
    names: list[str], wanted: str | None, candidates: tuple[str, ...], path: PathLike, what: str
) -> str:
    """The column named `wanted` (case-insensitive), else the first known candidate present."""
    lower = {n.lower(): n for n in names}
    if wanted is not None:
        if wanted in names:
            return wanted
        if wanted.lower() in lower:
            return lower[wanted.lower()]
        raise DataError(where(path, 1), f"no {what} column {wanted!r}; the columns are {names}")
    for c in candidates:
        if c in lower:
            return lower[c]
    raise DataError(where(path, 1), f"cannot tell the {what} column; name it (columns are {names})")


# ----- sentence(-pair) classification and regression -------------------------------------------------


def read_classification(
    path: PathLike,
    *,
    problem: str = "single_label",
    text_column: str | None = None,
    text_pair_column: str | None = None,
    label_column: str | None = None,
    label_separator: str = ",",
    header: bool | None = None,
) -> list[ClassificationExample]:
    """Sentence or sentence-pair examples; `problem` is `single_label`, `multi_label` or `regression`.

    Multi-label cells are JSON lists or strings split on `label_separator`; regression labels are floats.
    """
    names, rows = read_rows(path, header=header, expected=(text_column, text_pair_column, label_column))
    text_col, pair_col, label_col = _classification_columns(
        names, text_column, text_pair_column, label_column, path
    )
    examples = []
    for line, row in rows:
        src = where(path, line)
        values = {}
        for key, col in (("text", text_col), ("pair", pair_col), ("label", label_col)):
            if col is None:
                continue
            value = row.get(col)
            if value is None or (isinstance(value, str) and not value.strip() and key != "pair"):
                raise DataError(src, f"missing value in column {col!r}")
            values[key] = value
        examples.append(
            ClassificationExample(
                text=str(values["text"]),
                text_pair=None if pair_col is None else str(values["pair"]),
                label=_parse_label(values["label"], problem, label_separator, src),
                source=src,
            )
        )
    return examples


def _classification_columns(
    names: list[str], text: str | None, pair: str | None, label: str | None, path: PathLike
) -> tuple[str, str | None, str]:
    lower = {n.lower() for n in names}
    if text is None and not (lower & _KNOWN) and names[0] == "0":  # a header-less file
        if len(names) == 4:  # CoLA: source, label, original annotation (empty), sentence
            text, label = "3", label or "1"
        elif len(names) in (2, 3):  # text [pair] label
            text, pair, label = "0", ("1" if len(names) == 3 else None), label or str(len(names) - 1)
    if text is None:
        for first, second in TEXT_COLUMNS:
            if first in lower and (second is None or second in lower):
                text, pair = first, pair if pair is not None else second
                break
    text_col = _pick(names, text, (), path, "text")
    pair_col = None if pair is None else _pick(names, pair, (), path, "text-pair")
    label_col = _pick(names, label, LABEL_COLUMNS, path, "label")
    return text_col, pair_col, label_col


def _parse_label(value: Any, problem: str, separator: str, src: str) -> str | list[str] | float:
    if problem == "regression":
        try:
            return float(value)
        except (TypeError, ValueError):
            raise DataError(src, f"regression label {value!r} is not a number") from None
    if problem == "multi_label":
        parts = value if isinstance(value, list) else str(value).split(separator)
        return [str(p).strip() for p in parts if str(p).strip()]
    if isinstance(value, (list, dict)):
        raise DataError(src, f"single-label classification needs one label per row, got {value!r}")
    return str(value).strip()


# ----- token classification --------------------------------------------------------------------------


def read_token_classification(
    path: PathLike, *, tokens_column: str | None = None, tags_column: str | None = None
) -> list[TokenExample]:
    """Sentences with one tag per word from a CoNLL file or JSON lines (`tokens`/`words`, `ner_tags`/`tags`)."""
    if Path(path).suffix.lower() in (".jsonl", ".json"):
        names, rows = read_rows(path)
        tok = _pick(names, tokens_column, ("tokens", "words"), path, "tokens")
        tag = _pick(names, tags_column, ("ner_tags", "tags", "labels"), path, "tags")
        examples = []
        for line, row in rows:
            words, tags = row.get(tok), row.get(tag)
            src = where(path, line)
            if not isinstance(words, list) or not isinstance(tags, list):
                raise DataError(src, f"fields {tok!r} and {tag!r} must be lists")
            if len(words) != len(tags):
                raise DataError(src, f"{len(words)} tokens but {len(tags)} tags")
            if any(not isinstance(t, str) for t in tags):
                raise DataError(src, "tags must be tag names (strings), not ids")
            examples.append(TokenExample([str(w) for w in words], tags, src))
        return examples
    return _read_conll(path)


def _read_conll(path: PathLike) -> list[TokenExample]:
    examples: list[TokenExample] = []
    words: list[str] = []
    tags: list[str] = []
    start = 0
    for line, raw in enumerate(read_text(path).splitlines(), 1):
        cells = raw.split()
        if not cells or cells[0] == "-DOCSTART-":
            if words:
                examples.append(TokenExample(words, tags, where(path, start)))
            words, tags = [], []
            continue
        if len(cells) < 2:
            raise DataError(where(path, line), f"expected 'word ... tag', got {raw.strip()!r}")
        if not words:
            start = line
        words.append(cells[0])
        tags.append(cells[-1])
    if words:
        examples.append(TokenExample(words, tags, where(path, start)))
    if not examples:
        raise DataError(where(path, 1), "no sentences")
    return examples
