"""text-classification (alias sentiment-analysis): labels for a text or a text pair.

Behaviour of transformers' TextClassificationPipeline:
* scores: `function_to_apply` "softmax", "sigmoid" or "none"; by default chosen from the config
  (regression -> none; multi-label or a single label -> sigmoid; otherwise softmax);
* without `top_k`: the best label per input, `{"label", "score"}` (a lone string input gives a
  one-element list, a lone pair dict gives the dict itself);
* with `top_k=N` (or None for all): a list of `{"label", "score"}` sorted by score, per input.
Pairs are `{"text": ..., "text_pair": ...}`; labels come from `config.id2label`.

One deliberate difference: upstream decides the "list or not" shape from the arguments of the call only,
so `pipeline(..., top_k=2)("text")` returns a list inside a list there; here `top_k` given when the
pipeline is built counts like `top_k` given to the call.
"""

from __future__ import annotations

from typing import Any

import torch

from albert.model import AlbertForSequenceClassification
from albert.pipelines.base import Pipeline, PipelineError, checked_count
from albert.pipelines.rows import Row, make_row

FUNCTIONS = ("softmax", "sigmoid", "none")


class TextClassificationPipeline(Pipeline):
    """`pipeline("text-classification")`. Parameters: `top_k`, `function_to_apply`, `truncation`,
    `max_length`, `padding` (no effect: batches are padded here), and the deprecated `return_all_scores`."""

    task = "text-classification"
    model_class = AlbertForSequenceClassification
    sequence_outputs = ("logits",)

    def check_params(self, params: dict[str, Any]) -> dict[str, Any]:
        params = dict(params)
        out: dict[str, Any] = {}
        if "top_k" in params:  # None is meaningful ("all labels"), so presence is what counts
            top_k = params.pop("top_k")
            if top_k is not None:
                checked_count("top_k", top_k)
            out["top_k"] = top_k
        if params.get("function_to_apply") is not None:
            name = str(params.pop("function_to_apply")).lower()
            if name not in FUNCTIONS:
                raise ValueError(f"function_to_apply must be one of {', '.join(FUNCTIONS)}, got {name!r}")
            out["function_to_apply"] = name
        params.pop("function_to_apply", None)
        if params.get("return_all_scores") and "top_k" not in out:
            # transformers' deprecated form: every label in label order, a lone text's in a list
            out.update(top_k=None, all_scores=True)
        params.pop("return_all_scores", None)
        out.update(
            self.tokenizer_options(params)
        )  # truncation, max_length, padding (upstream: **tokenizer_kwargs)
        if params:
            raise TypeError(f"text-classification got unexpected arguments: {', '.join(params)}")
        return out

    def default_function(self) -> str:
        config = self.model.config
        if config.problem_type == "regression":
            return "none"
        if config.problem_type == "multi_label_classification" or config.num_labels == 1:
            return "sigmoid"
        return "softmax"

    def preprocess(self, item: Any, params: dict[str, Any]) -> list[Row]:
        kwargs = self.truncation_kwargs(params)
        if isinstance(item, dict):
            text, pair = item.get("text"), item.get("text_pair")
            unknown = set(item) - {"text", "text_pair"}
            if not isinstance(text, str) or unknown or not isinstance(pair, (str, type(None))):
                raise PipelineError(
                    'a pair must be {"text": str, "text_pair": str}'
                    + (f"; unknown keys {sorted(unknown)}" if unknown else "")
                )
            enc = self.tokenizer(text, pair, **kwargs) if pair is not None else self.tokenizer(text, **kwargs)
        elif isinstance(item, str):
            enc = self.tokenizer(item, **kwargs)
        else:
            raise PipelineError(
                'text-classification takes a string or {"text": ..., "text_pair": ...}, '
                f"got {type(item).__name__}"
            )
        self.check_length(len(enc["input_ids"]))
        return [make_row(enc)]

    def postprocess(self, item: Any, rows: list[Row], outputs: list[dict], params: dict[str, Any]) -> Any:
        logits = outputs[0]["logits"]  # (num_labels,)
        function = params.get("function_to_apply") or self.default_function()
        if function == "softmax":
            scores = torch.softmax(logits, dim=-1)
        elif function == "sigmoid":
            scores = torch.sigmoid(logits)
        else:
            scores = logits
        id2label = self.model.config.id2label
        if "top_k" not in params:
            best = int(scores.argmax())
            return {"label": id2label[best], "score": float(scores[best])}
        if params.get("all_scores"):  # return_all_scores=True: label order
            return [{"label": id2label[i], "score": s} for i, s in enumerate(scores.tolist())]
        ranked = sorted(
            ({"label": id2label[i], "score": s} for i, s in enumerate(scores.tolist())),
            key=lambda d: d["score"],
            reverse=True,  # sorted() is stable: equal scores keep label order, as upstream
        )
        return ranked if params["top_k"] is None else ranked[: params["top_k"]]

    def single_result(self, item: Any, result: Any, params: dict[str, Any]) -> Any:
        # Upstream's legacy shape: a lone string without top_k gives a one-element list.
        legacy = "top_k" not in params or params.get("all_scores")
        return [result] if isinstance(item, str) and legacy else result
