"""multiple-choice (no upstream pipeline): which of N candidate endings best continues a prompt.

Each choice is encoded as the pair `[CLS] prompt [SEP] choice [SEP]`, the C pairs of one item go
through `AlbertForMultipleChoice` together (one logit each), and a softmax over the C logits gives the
scores. The result lists every choice, best first: `[{"choice", "index", "score"}, ...]` (`index` is
the choice's position in the input); `top_k=N` keeps the N best.

Items written like the fine-tuning files, `{"question", "choices"}` with an optional `"context"`, are packed
by the code that packs them for `albert finetune multiple-choice` (`albert.tasks.preprocess.pack_choices`,
RACE style), so a fine-tuned model sees what it was trained on: `[CLS] context [SEP] question choice [SEP]`
(question + choice keep their last 128 tokens), or `[CLS] question [SEP] choice [SEP]` without a context.
With `truncation=True`, pairs too long for the model are cut longest-first, as in fine-tuning; without it
they are an error.
"""

from __future__ import annotations

from typing import Any

import torch

from albert.model import AlbertForMultipleChoice
from albert.pipelines.base import Pipeline, PipelineError, checked_count
from albert.pipelines.rows import Row
from albert.tasks.preprocess import MAX_QA_LENGTH, choice_texts, pack_choices, tokenize


class MultipleChoicePipeline(Pipeline):
    """`pipeline("multiple-choice")`; items are `{"prompt": str, "choices": [str, ...]}` or
    `{"question": str, "choices": [str, ...], "context": str (optional)}`.
    Parameters: `top_k` (None = all), `truncation` (False)."""

    task = "multiple-choice"
    model_class = AlbertForMultipleChoice
    sequence_outputs = ("logits",)

    def check_params(self, params: dict[str, Any]) -> dict[str, Any]:
        params = dict(params)
        out: dict[str, Any] = {}
        if params.get("top_k") is not None:
            out["top_k"] = checked_count("top_k", params.pop("top_k"))
        params.pop("top_k", None)
        if "truncation" in params:
            out["truncation"] = bool(params.pop("truncation"))
        if params:
            raise TypeError(f"multiple-choice got unexpected arguments: {', '.join(params)}")
        return out

    def preprocess(self, item: Any, params: dict[str, Any]) -> list[Row]:
        first, seconds, max_qa_length = self._texts(item)
        (first_ids,), _ = tokenize(self.tokenizer, [first])
        second_ids, _ = tokenize(self.tokenizer, seconds)
        truncation = params.get("truncation", False)
        feature = pack_choices(
            self.tokenizer,
            first_ids,
            second_ids,
            max_length=self.max_length if truncation else None,
            max_qa_length=max_qa_length,
        )
        for ids in feature["input_ids"]:
            self.check_length(len(ids), "prompt + choice")
        feature["attention_mask"] = [[1] * len(ids) for ids in feature["input_ids"]]
        return [Row(feature)]

    @staticmethod
    def _texts(item: Any) -> tuple[str, list[str], int | None]:
        """The first text, the C second texts and the `max_qa_length` of an item (module docstring)."""
        keys = set(item) if isinstance(item, dict) else None
        if keys not in ({"prompt", "choices"}, {"question", "choices"}, {"context", "question", "choices"}):
            raise PipelineError(
                'multiple-choice takes {"prompt": str, "choices": [str, ...]} or '
                '{"question": str, "choices": [str, ...], "context": str (optional)}'
            )
        choices = item["choices"]
        texts = {k: v for k, v in item.items() if k != "choices"}
        if not all(isinstance(v, str) for v in texts.values()):
            raise PipelineError(f"{' and '.join(repr(k) for k in sorted(texts))} must be strings")
        if not isinstance(choices, list) or not choices or not all(isinstance(c, str) for c in choices):
            raise PipelineError('"choices" must be a non-empty list of strings')
        if "prompt" in item:
            return item["prompt"], choices, None
        first, seconds = choice_texts(item["question"], choices, item.get("context"))
        return first, seconds, MAX_QA_LENGTH if item.get("context") else None

    def postprocess(self, item: Any, rows: list[Row], outputs: list[dict], params: dict[str, Any]) -> Any:
        scores = torch.softmax(outputs[0]["logits"], dim=-1).tolist()  # (C,)
        ranked = sorted(
            ({"choice": c, "index": i, "score": s} for i, (c, s) in enumerate(zip(item["choices"], scores))),
            key=lambda d: d["score"],
            reverse=True,
        )
        return ranked[: params["top_k"]] if params.get("top_k") else ranked
