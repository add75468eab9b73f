"""Readers of question tasks: files -> examples (`albert.tasks.examples`), with errors that name the file
and line; the shared file handling is `albert.tasks.readers`.

* question answering: SQuAD v1.1 JSON, or JSON lines with `id`, `question`, `context`, `answers`.
* multiple choice: DREAM JSON, CommonsenseQA JSON lines, or JSON lines with `question`, `choices`, `label`
  and an optional `context`.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from albert.tasks.examples import Answer, ChoiceExample, DataError, QAExample, where
from albert.tasks.readers import PathLike, read_rows, read_text

# ----- extractive question answering -----------------------------------------------------------------


def read_qa(path: PathLike) -> list[QAExample]:
    """SQuAD v1.1 JSON (`{"data": [{"paragraphs": [{"context", "qas"}]}]}`, or its `data` list alone), or
    JSON lines (or a JSON list) of records with `id`, `question`, `context` and `answers` (`{"text":
    [...], "answer_start": [...]}` or a list of `{"text", "answer_start"}`). Every answer must occur in
    its context at `answer_start`."""
    text = read_text(path)
    examples = []
    articles = _squad_articles(path, text)
    if articles is not None:
        lines = _id_lines(text)
        for article in articles:
            for paragraph in article.get("paragraphs", []):
                context = paragraph.get("context")
                for qa in paragraph.get("qas", []):
                    # SQuAD files are often one long line: the id locates the question too.
                    src = f"{where(path, lines.get(str(qa.get('id'))))} (question id {qa.get('id')})"
                    examples.append(_qa_example(qa, context, qa.get("answers"), src))
    else:
        names, rows = read_rows(path)
        for line, row in rows:
            examples.append(_qa_example(row, row.get("context"), row.get("answers"), where(path, line)))
    if not examples:
        raise DataError(where(path, 1), "no questions")
    return examples


def _squad_articles(path: PathLike, text: str) -> list[dict] | None:
    """The articles of a SQuAD JSON file: its `data` list, or a top-level list of articles (the `data`
    list saved alone); None for other files (JSON lines, a JSON list of questions)."""
    first = text.lstrip()[:1]
    if Path(path).suffix.lower() != ".json" or first not in "{[":
        return None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as e:
        raise DataError(where(path, e.lineno), f"invalid JSON: {e.msg}") from None
    if isinstance(data, list):
        is_article = [isinstance(a, dict) and "paragraphs" in a for a in data]
        return data if data and all(is_article) else None
    if not isinstance(data, dict) or not isinstance(data.get("data"), list):
        raise DataError(where(path, 1), 'not SQuAD JSON: expected {"data": [{"paragraphs": ...}]}')
    return data["data"]


def _id_lines(text: str) -> dict[str, int]:
    """Line of every `"id": "..."` in a JSON text (one pass), to point errors at a question."""
    lines, pos, line = {}, 0, 1
    for m in re.finditer(r'"id"\s*:\s*"((?:[^"\\]|\\.)*)"', text):
        line += text.count("\n", pos, m.start())
        pos = m.start()
        lines.setdefault(json.loads(f'"{m.group(1)}"'), line)
    return lines


def _qa_example(record: dict, context: Any, answers: Any, src: str) -> QAExample:
    for key, value in (("question", record.get("question")), ("context", context)):
        if not isinstance(value, str) or not value.strip():
            raise DataError(src, f"missing {key}")
    if isinstance(answers, dict):  # HF datasets layout: parallel lists
        answers = [{"text": t, "answer_start": s} for t, s in zip(answers["text"], answers["answer_start"])]
    if not answers:
        raise DataError(src, "no answer (unanswerable SQuAD 2.0 questions are not supported)")
    gold = []
    for answer in answers:
        a = Answer(str(answer["text"]), int(answer["answer_start"]))
        if context[a.start : a.end] != a.text:
            raise DataError(
                src,
                f"answer {a.text!r} is not in its context at answer_start={a.start} "
                f"(the context there reads {context[a.start : a.end]!r})",
            )
        gold.append(a)
    return QAExample(str(record.get("id", src)), record["question"], context, gold, src)


# ----- multiple choice -------------------------------------------------------------------------------


def read_multiple_choice(path: PathLike) -> list[ChoiceExample]:
    """DREAM JSON, CommonsenseQA JSON lines, or JSON lines with `question`, `choices` (strings or
    `{"label", "text"}`), `label` (index, letter or choice text; also `answer`/`answerKey`) and optional
    `context` (also `article`/`passage`)."""
    text = read_text(path)
    if Path(path).suffix.lower() == ".json" and text.lstrip().startswith("["):
        try:
            data = json.loads(text)
        except json.JSONDecodeError as e:
            raise DataError(where(path, e.lineno), f"invalid JSON: {e.msg}") from None
        if data and isinstance(data[0], list):
            return _read_dream(path, text, data)
    names, rows = read_rows(path)
    examples = []
    for line, row in rows:
        src = where(path, line)
        question = row.get("question")
        if isinstance(question, dict):  # CommonsenseQA: {"stem", "choices": [{"label", "text"}]}
            row = {**row, "choices": question.get("choices"), "question": question.get("stem")}
        choices = row.get("choices", row.get("options"))
        if not isinstance(choices, list) or len(choices) < 2:
            raise DataError(src, "missing 'choices' (a list of at least two options)")
        letters = [
            str(c.get("label", "")) if isinstance(c, dict) else chr(65 + i) for i, c in enumerate(choices)
        ]
        texts = [str(c.get("text", "")) if isinstance(c, dict) else str(c) for c in choices]
        if not isinstance(row.get("question"), str):
            raise DataError(src, "missing 'question'")
        gold = next((row[k] for k in ("label", "answer", "answerKey") if row.get(k) is not None), None)
        context = next((row[k] for k in ("context", "article", "passage") if row.get(k)), "")
        examples.append(
            ChoiceExample(
                str(row.get("id", src)), str(context), row["question"], texts,
                _choice_index(gold, letters, texts, src), src,
            )
        )  # fmt: skip
    return examples


def _read_dream(path: PathLike, text: str, data: list) -> list[ChoiceExample]:
    """DREAM: `[[turns], [{"question", "choice", "answer"}], id]` per dialogue; the answer is a choice text."""
    examples, cursor, cursor_line = [], 0, 1
    for i, entry in enumerate(data):
        if not (isinstance(entry, list) and len(entry) == 3 and isinstance(entry[1], list)):
            raise DataError(f"{path}: dialogue {i}", "expected [[turns], [questions], id]")
        turns, questions, dialogue_id = entry
        for j, q in enumerate(questions):
            cursor, cursor_line, line = _find_line(text, q.get("question", ""), cursor, cursor_line)
            src = f"{where(path, line)} (dialogue {dialogue_id}, question {j})"
            choices = q.get("choice")
            if not isinstance(choices, list) or len(choices) < 2:
                raise DataError(src, "missing 'choice' (a list of at least two options)")
            label = _choice_index(q.get("answer"), [], [str(c) for c in choices], src)
            examples.append(
                ChoiceExample(f"{dialogue_id}-{j}", " ".join(turns), q["question"], choices, label, src)
            )
    if not examples:
        raise DataError(where(path, 1), "no questions")
    return examples


def _find_line(text: str, needle: str, cursor: int, cursor_line: int) -> tuple[int, int, int | None]:
    """Find a JSON string after `cursor` (at `cursor_line`; entries appear in file order, so counting lines
    from the cursor keeps this linear): (new cursor, its line, the string's line or None)."""
    for quoted in (json.dumps(needle, ensure_ascii=False), json.dumps(needle)):
        pos = text.find(quoted, cursor)
        if pos >= 0:
            line = cursor_line + text.count("\n", cursor, pos)
            return pos, line, line
    return cursor, cursor_line, None


def _choice_index(gold: Any, letters: list[str], texts: list[str], src: str) -> int | None:
    """The gold choice as an index: an int, a letter ("A") or the choice text. None if absent."""
    if gold is None:
        return None
    if isinstance(gold, int) and not isinstance(gold, bool) and 0 <= gold < len(texts):
        return gold
    gold = str(gold)
    if gold in letters:
        return letters.index(gold)
    if gold in texts:
        return texts.index(gold)
    if gold.isdigit() and int(gold) < len(texts):
        return int(gold)
    raise DataError(src, f"answer {gold!r} is not one of the choices {texts}")
