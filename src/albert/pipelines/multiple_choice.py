"""multiple-choice (no upstream pipeline): which of N candidate endings best continues a prompt.

Each choice is encoded as the pair `[CLS] prompt [SEP] choice [SEP]`, the C pairs of one item go
through `AlbertForMultipleChoice` together (one logit each), and a softmax over the C logits gives the
scores. The result lists every choice, best first: `[{"choice", "index", "score"}, ...]` (`index` is
the choice's position in the input); `top_k=N` keeps the N best.
"""

from __future__ import annotations

from typing import Any

import torch

from albert.model import AlbertForMultipleChoice
from albert.pipelines.base import Pipeline, PipelineError, Row


class MultipleChoicePipeline(Pipeline):
    """`pipeline("multiple-choice")`; items are `{"prompt": str, "choices": [str, ...]}`.
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
        if not isinstance(item, dict) or set(item) != {"prompt", "choices"}:
            raise PipelineError('multiple-choice takes {"prompt": str, "choices": [str, ...]}')
        prompt, choices = item["prompt"], item["choices"]
        if not isinstance(prompt, str) or not isinstance(choices, list) or not choices:
            raise PipelineError('"prompt" must be a string and "choices" a non-empty list of strings')
        if not all(isinstance(c, str) for c in choices):
            raise PipelineError('every entry of "choices" must be a string')
        kwargs = self.truncation_kwargs(params.get("truncation", False))
        encodings = [self.tokenizer(prompt, choice, **kwargs) for choice in choices]
        features: dict[str, list] = {"input_ids": [], "token_type_ids": [], "attention_mask": []}
        for enc in encodings:
            ids = list(enc["input_ids"])
            self.check_length(len(ids), "prompt + choice")
            features["input_ids"].append(ids)
            features["token_type_ids"].append(list(enc.get("token_type_ids") or [0] * len(ids)))
            features["attention_mask"].append(list(enc.get("attention_mask") or [1] * len(ids)))
        return [Row(features)]

    def postprocess(self, item: Any, rows: list[Row], outputs: list[dict], params: dict[str, Any]) -> Any:
        scores = torch.softmax(outputs[0]["logits"], dim=-1).tolist()  # (C,)
        ranked = sorted(
            ({"choice": c, "index": i, "score": s} for i, (c, s) in enumerate(zip(item["choices"], scores))),
            key=lambda d: d["score"],
            reverse=True,
        )
        return ranked[: params["top_k"]] if params.get("top_k") else ranked
