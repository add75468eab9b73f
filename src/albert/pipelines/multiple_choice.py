"""multiple-choice (no upstream pipeline): which of N candidate endings best continues a prompt.

Each choice is encoded as the pair `[CLS] prompt [SEP] choice [SEP]`, the C pairs of one item go
through `AlbertForMultipleChoice` together (one logit each), and a softmax over the C logits gives the
scores. The result lists every choice, best first: `[{"choice", "index", "score"}, ...]` (`index` is
the choice's position in the input); `top_k=N` keeps the N best.

Items written like the fine-tuning files, `{"question", "choices"}` with an optional `"context"`, are packed
as `albert finetune multiple-choice` packs them (RACE style), so a fine-tuned model sees what it was trained
on: `[CLS] context [SEP] question choice [SEP]`, or `[CLS] question [SEP] choice [SEP]` without a context.
"""

from __future__ import annotations

from typing import Any

import torch

from albert.model import AlbertForMultipleChoice
from albert.pipelines.base import Pipeline, PipelineError, Row


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
            top_k = params.pop("top_k")
            if not isinstance(top_k, int) or top_k < 1:
                raise ValueError(f"top_k must be None or an int >= 1, got {top_k!r}")
            out["top_k"] = top_k
        params.pop("top_k", None)
        if "truncation" in params:
            out["truncation"] = bool(params.pop("truncation"))
        if params:
            raise TypeError(f"multiple-choice got unexpected arguments: {', '.join(params)}")
        return out

    def preprocess(self, item: Any, params: dict[str, Any]) -> list[Row]:
        prompt, seconds = self._pairs(item)
        kwargs = self.truncation_kwargs(params.get("truncation", False))
        encodings = [self.tokenizer(prompt, second, **kwargs) for second in seconds]
        features: dict[str, list] = {"input_ids": [], "token_type_ids": [], "attention_mask": []}
        for enc in encodings:
            ids = list(enc["input_ids"])
            self.check_length(len(ids), "prompt + choice")
            features["input_ids"].append(ids)
            features["token_type_ids"].append(list(enc.get("token_type_ids") or [0] * len(ids)))
            features["attention_mask"].append(list(enc.get("attention_mask") or [1] * len(ids)))
        return [Row(features)]

    @staticmethod
    def _pairs(item: Any) -> tuple[str, list[str]]:
        """The first text and the C second texts of an item (see the module docstring)."""
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
            return item["prompt"], choices
        if item.get("context"):  # RACE packing, as albert.tasks.preprocess.encode_multiple_choice
            return item["context"], [f"{item['question']} {c}" for c in choices]
        return item["question"], choices

    def postprocess(self, item: Any, rows: list[Row], outputs: list[dict], params: dict[str, Any]) -> Any:
        scores = torch.softmax(outputs[0]["logits"], dim=-1).tolist()  # (C,)
        ranked = sorted(
            ({"choice": c, "index": i, "score": s} for i, (c, s) in enumerate(zip(item["choices"], scores))),
            key=lambda d: d["score"],
            reverse=True,
        )
        return ranked[: params["top_k"]] if params.get("top_k") else ranked
