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

import logging
from typing import Any

from albert.model import AlbertForQuestionAnswering
from albert.pipelines.base import Pipeline, PipelineError, checked_count
from albert.pipelines.rows import Row
from albert.tasks.preprocess import tokenize
from albert.tasks.qa_spans import (
    DOC_STRIDE,
    MAX_ANSWER_LEN,
    decode_answers,
    pack_windows,
    tokenize_contexts,
)

logger = logging.getLogger(__name__)
PADDING_CHOICES = (True, False, "longest", "max_length", "do_not_pad")


class QuestionAnsweringPipeline(Pipeline):
    """`pipeline("question-answering")`; call with `{"question", "context"}` dicts or
    `question=..., context=...`. Parameters: `top_k`, `max_answer_len`, `max_seq_len`, `doc_stride`,
    `handle_impossible_answer`, `align_to_words` (and upstream's `padding`, `topk`, `max_question_len`,
    accepted for code written for it)."""

    task = "question-answering"
    model_class = AlbertForQuestionAnswering
    token_outputs = ("start_logits", "end_logits")

    def __call__(
        self, inputs: Any = None, *args: Any, question: Any = None, context: Any = None, **params: Any
    ) -> Any:
        """`qa(question=..., context=...)`, `qa({"question", "context"})` or lists of them, or as upstream
        `qa(question, context)` positionally."""
        if args:  # upstream's positional form: qa(question, context)
            if len(args) != 1 or question is not None or context is not None:
                raise TypeError("pass (question, context), question=/context=, or one dict or list of dicts")
            inputs, question, context = None, inputs, args[0]
        if inputs is None:
            inputs = _pairs(question, context)
        elif question is not None or context is not None:
            raise TypeError("pass either inputs or question=/context=, not both")
        return super().__call__(inputs, **params)

    def check_params(self, params: dict[str, Any]) -> dict[str, Any]:
        params = {k: v for k, v in params.items() if v is not None}
        out: dict[str, Any] = {}
        if "topk" in params:  # upstream's deprecated spelling
            logger.warning("topk is deprecated (as upstream): use top_k")
            params.setdefault("top_k", params.pop("topk"))
        for name in ("top_k", "max_answer_len", "max_seq_len"):
            if name in params:
                out[name] = checked_count(name, params.pop(name))
        if "max_seq_len" in out and out["max_seq_len"] > self.model.config.max_position_embeddings:
            raise ValueError(
                f"max_seq_len {out['max_seq_len']} exceeds the model's limit of "
                f"{self.model.config.max_position_embeddings} positions"
            )
        if "doc_stride" in params:
            out["doc_stride"] = checked_count("doc_stride", params.pop("doc_stride"), 0)
        for name in ("handle_impossible_answer", "align_to_words"):
            if name in params:
                out[name] = bool(params.pop(name))
        # Upstream reads max_question_len only with slow tokenizers (the question is never cut with a fast
        # one, as here): accepted for code written for it, without effect.
        params.pop("max_question_len", None)
        # Upstream pads each window as `padding` says; answers do not depend on it (padding is masked),
        # and batches here are padded as they need: accepted, checked, without effect.
        padding = params.pop("padding", None)
        if padding is not None and padding not in PADDING_CHOICES:
            raise ValueError(f"padding must be one of {PADDING_CHOICES}, got {padding!r}")
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
        stride = params.get("doc_stride", min(max_seq_len // 2, DOC_STRIDE))
        if stride > max_seq_len:
            raise PipelineError(f"doc_stride ({stride}) is larger than max_seq_len ({max_seq_len})")
        (question,), _ = tokenize(self.tokenizer, [item["question"]])
        context = tokenize_contexts(self.tokenizer, [item["context"]])[item["context"]]
        try:  # the question is never cut, as upstream
            features, windows = pack_windows(
                self.tokenizer, question, context, max_length=max_seq_len, doc_stride=stride
            )
        except ValueError as e:
            raise PipelineError(
                f"cannot fit the question and a piece of the context into max_seq_len={max_seq_len} tokens "
                f"with doc_stride={stride}: {e}"
            ) from e
        return [
            Row({**f, "attention_mask": [1] * len(f["input_ids"])}, {"window": w})
            for f, w in zip(features, windows)
        ]

    def postprocess(self, item: Any, rows: list[Row], outputs: list[dict], params: dict[str, Any]) -> Any:
        answers = decode_answers(
            item["context"],
            [row.extras["window"] for row in rows],
            [out["start_logits"].numpy() for out in outputs],
            [out["end_logits"].numpy() for out in outputs],
            top_k=params.get("top_k", 1),
            max_answer_len=params.get("max_answer_len", MAX_ANSWER_LEN),
            align_to_words=params.get("align_to_words", True),
            handle_impossible_answer=params.get("handle_impossible_answer", False),
        )
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
