"""question-answering: the span of a context that answers a question (extractive QA).

Behaviour of transformers' QuestionAnsweringPipeline with a fast tokenizer:
* `[CLS] question [SEP] context [SEP]`; a context too long for `max_seq_len` tokens (default
  min(384, model limit)) is cut into windows that overlap by `doc_stride` tokens (default
  min(max_seq_len // 2, 128)); the question is repeated in every window;
* per window, softmax over the context tokens (and [CLS]) of the start and end logits; a span's score is
  p_start * p_end, with start <= end and at most `max_answer_len` tokens (default 15);
* spans are widened to whole words (`align_to_words`, default True), answers with the same text
  (case-insensitive) from different windows add their scores, and the `top_k` best are returned as
  `{"score", "start", "end", "answer"}` (`start`/`end` are character offsets into the context);
* `handle_impossible_answer=True` adds the empty answer `{"start": 0, "end": 0, "answer": ""}` scored
  by the lowest p_start([CLS]) * p_end([CLS]) over the windows.
One result is a dict; `top_k > 1` gives a list (fewer if the context has fewer candidate spans).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from albert.model import AlbertForQuestionAnswering
from albert.pipelines.base import Pipeline, PipelineError, Row, make_row


class QuestionAnsweringPipeline(Pipeline):
    """`pipeline("question-answering")`; call with `{"question", "context"}` dicts or
    `question=..., context=...`. Parameters: `top_k`, `max_answer_len`, `max_seq_len`, `doc_stride`,
    `handle_impossible_answer`, `align_to_words`."""

    task = "question-answering"
    model_class = AlbertForQuestionAnswering
    token_outputs = ("start_logits", "end_logits")

    def __call__(
        self, inputs: Any = None, *, question: Any = None, context: Any = None, **params: Any
    ) -> Any:
        if inputs is None:
            inputs = _pairs(question, context)
        elif question is not None or context is not None:
            raise TypeError("pass either inputs or question=/context=, not both")
        return super().__call__(inputs, **params)

    def check_params(self, params: dict[str, Any]) -> dict[str, Any]:
        params = {k: v for k, v in params.items() if v is not None}
        out: dict[str, Any] = {}
        for name in ("top_k", "max_answer_len", "max_seq_len"):
            if name in params:
                value = params.pop(name)
                if not isinstance(value, int) or value < 1:
                    raise ValueError(f"{name} must be an int >= 1, got {value!r}")
                out[name] = value
        if "max_seq_len" in out and out["max_seq_len"] > self.model.config.max_position_embeddings:
            raise ValueError(
                f"max_seq_len {out['max_seq_len']} exceeds the model's limit of "
                f"{self.model.config.max_position_embeddings} positions"
            )
        if "doc_stride" in params:
            stride = params.pop("doc_stride")
            if not isinstance(stride, int) or stride < 0:
                raise ValueError(f"doc_stride must be an int >= 0, got {stride!r}")
            out["doc_stride"] = stride
        for name in ("handle_impossible_answer", "align_to_words"):
            if name in params:
                out[name] = bool(params.pop(name))
        if params:
            raise TypeError(f"question-answering got unexpected arguments: {', '.join(params)}")
        return out

    def preprocess(self, item: Any, params: dict[str, Any]) -> list[Row]:
        if not isinstance(item, dict) or set(item) != {"question", "context"}:
            raise PipelineError('question-answering takes {"question": str, "context": str}')
        for key in ("question", "context"):
            if not isinstance(item[key], str) or not item[key]:
                raise PipelineError(f"{key} must be a non-empty string")
        max_seq_len = params.get("max_seq_len") or min(384, self.max_length)
        stride = params.get("doc_stride", min(max_seq_len // 2, 128))
        if stride > max_seq_len:
            raise PipelineError(f"doc_stride ({stride}) is larger than max_seq_len ({max_seq_len})")
        try:
            enc = self.tokenizer(
                item["question"],
                item["context"],
                truncation="only_second",
                max_length=max_seq_len,
                stride=stride,
                return_token_type_ids=True,  # they tell question from context
                return_overflowing_tokens=True,
                return_offsets_mapping=True,
                return_special_tokens_mask=True,
            )
        # The Rust tokenizer raises a bare Exception when the question leaves no room for the context.
        except Exception as e:
            raise PipelineError(
                f"cannot fit the question and a piece of the context into max_seq_len={max_seq_len} tokens "
                f"with doc_stride={stride} (is the question too long?): {e}"
            ) from e
        rows = []
        for i in range(len(enc["input_ids"])):
            ids = list(enc["input_ids"][i])
            special = list(enc["special_tokens_mask"][i])
            types = list(enc["token_type_ids"][i])
            # Context tokens (second sequence) and [CLS] may start or end the answer; nothing else.
            in_context = [not s and t == 1 for s, t in zip(special, types)]
            allowed = [c or t == self.tokenizer.cls_token_id for c, t in zip(in_context, ids)]
            offsets = [tuple(o) for o in enc["offset_mapping"][i]]
            words = self._word_ids(enc, i, ids, special, types, offsets, (item["question"], item["context"]))
            rows.append(
                make_row(
                    enc, i, allowed=allowed, spans=_word_spans(words, in_context, offsets), offsets=offsets
                )
            )
        return rows

    def _word_ids(
        self,
        enc: Any,
        i: int,
        ids: list[int],
        special: list[int],
        types: list[int],
        offsets: list[tuple[int, int]],
        texts: tuple[str, str],
    ) -> list[int | None]:
        """Word index of each token of window `i` (None for [CLS]/[SEP]), numbered per sequence.

        The tokenizer's own `word_ids()` when its output has one; otherwise words are rebuilt as the
        tokenizer defines them: whitespace-separated, with each special token ([MASK], ...) a word.
        """
        method = getattr(enc, "word_ids", None)
        if method is not None:
            return list(method(i))
        specials = set(self.tokenizer.all_special_ids) - {self.tokenizer.unk_token_id}
        out: list[int | None] = []
        word, previous = -1, None  # previous: (token id, end offset) of the last token of this sequence
        for token_id, is_special, sequence, (start, end) in zip(ids, special, types, offsets):
            if is_special:
                out.append(None)
                word, previous = -1, None  # the [SEP] ending the question: the context counts from 0
                continue
            text = texts[sequence]
            new_word = (
                previous is None
                or token_id in specials
                or previous[0] in specials
                or any(c.isspace() for c in text[previous[1] : start])
                or (start < end and text[start].isspace())
            )
            word += int(new_word)
            out.append(word)
            previous = (token_id, end)
        return out

    def postprocess(self, item: Any, rows: list[Row], outputs: list[dict], params: dict[str, Any]) -> Any:
        top_k = params.get("top_k", 1)
        align = params.get("align_to_words", True)
        max_answer_len = params.get("max_answer_len", 15)
        context = item["context"]
        null_score = 1e6  # the lowest [CLS]-[CLS] score over the windows
        answers: list[dict] = []
        for row, out in zip(rows, outputs):
            allowed = np.array(row.extras["allowed"]) & np.array(row.features["attention_mask"], dtype=bool)
            start = _masked_softmax(out["start_logits"].numpy(), allowed)
            end = _masked_softmax(out["end_logits"].numpy(), allowed)
            null_score = min(null_score, float(start[0] * end[0]))
            start[0] = end[0] = 0.0  # [CLS] is never part of a span
            # Some candidates merge after word alignment, so look at more than top_k.
            candidates = top_k * 2 + 10 if align else top_k
            for s, e, score in _best_spans(start, end, candidates, max_answer_len, allowed):
                if align and row.extras["spans"][s] is not None and row.extras["spans"][e] is not None:
                    begin, finish = row.extras["spans"][s][0], row.extras["spans"][e][1]
                else:
                    begin, finish = row.extras["offsets"][s][0], row.extras["offsets"][e][1]
                text = context[begin:finish]
                same = next((a for a in answers if a["answer"].lower() == text.lower()), None)
                if same is not None:
                    same["score"] += score
                else:
                    answers.append({"score": score, "start": begin, "end": finish, "answer": text})
        if params.get("handle_impossible_answer", False):
            answers.append({"score": null_score, "start": 0, "end": 0, "answer": ""})
        answers = sorted(answers, key=lambda a: a["score"], reverse=True)[:top_k]
        return answers[0] if len(answers) == 1 else answers

    def list_result(self, items: Any, results: list[Any], params: dict[str, Any]) -> Any:
        return results[0] if len(results) == 1 else results  # upstream unwraps a one-item list


def _pairs(question: Any, context: Any) -> Any:
    """question=/context= keyword inputs -> {"question", "context"} dicts (a list broadcasts a context)."""
    if isinstance(question, str) and isinstance(context, str):
        return {"question": question, "context": context}
    if isinstance(question, list) and isinstance(context, str):
        return [{"question": q, "context": context} for q in question]
    if isinstance(question, list) and isinstance(context, list):
        if len(question) != len(context):
            raise ValueError(f"{len(question)} questions but {len(context)} contexts")
        return [{"question": q, "context": c} for q, c in zip(question, context)]
    raise TypeError("question-answering needs question= and context= (strings or lists of strings)")


def _word_spans(
    words: list[int | None], in_context: list[bool], offsets: list[tuple[int, int]]
) -> list[tuple[int, int] | None]:
    """For each context token, the character span of its whole word (as far as this window holds it)."""
    first: dict[int, int] = {}
    last: dict[int, int] = {}
    for i, (w, c) in enumerate(zip(words, in_context)):
        if c and w is not None:
            first.setdefault(w, i)
            last[w] = i
    return [
        (offsets[first[w]][0], offsets[last[w]][1]) if w is not None and w in first else None for w in words
    ]


def _masked_softmax(logits: np.ndarray, allowed: np.ndarray) -> np.ndarray:
    """Softmax over the allowed positions (others get logit -10000, as upstream)."""
    x = np.where(allowed, logits, np.float32(-10000.0)).astype(np.float32)
    x = np.exp(x - x.max())
    return x / x.sum()


def _best_spans(
    start: np.ndarray, end: np.ndarray, k: int, max_answer_len: int, allowed: np.ndarray
) -> list[tuple[int, int, float]]:
    """The k highest p_start * p_end spans with 0 <= end - start < max_answer_len, as (s, e, score);
    spans whose ends are not allowed positions are dropped afterwards (so fewer than k may remain)."""
    scores = np.tril(np.triu(np.outer(start, end)), max_answer_len - 1)  # (T, T): [s, e]
    flat = scores.ravel()
    if k == 1:
        order = np.array([np.argmax(flat)])
    elif flat.size < k:
        order = np.argsort(-flat)
    else:
        top = np.argpartition(-flat, k)[:k]
        order = top[np.argsort(-flat[top])]
    starts, ends = np.unravel_index(order, scores.shape)
    # Position 0 ([CLS]) stays eligible here, as it does upstream; its probability is already 0.
    ok = allowed.copy()
    ok[0] = True
    return [(int(s), int(e), float(scores[s, e])) for s, e in zip(starts, ends) if ok[s] and ok[e]]
