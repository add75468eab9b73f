"""zero-shot-classification: rank labels chosen at call time with a model fine-tuned on NLI (MNLI, ...).

Behaviour of transformers' ZeroShotClassificationPipeline:
* each candidate label becomes the hypothesis `hypothesis_template.format(label)` (default "This example
  is {}.") of a pair (text, hypothesis), truncated on the text only;
* the "entailment" output is the label in `config.label2id` starting with "entail" (any case); without
  one, the last output, with a warning;
* `multi_label=False`: a softmax of the entailment logits over the labels (the scores sum to 1);
  `multi_label=True`, or a single label: per label, a softmax of (contradiction, entailment), where
  contradiction is output 0 (output 1 - 1 = -1 when entailment is 0);
* the result is `{"sequence", "labels", "scores"}`, labels by descending score (a list of them for a list
  of texts); `candidate_labels` is a list or a comma-separated string; `multi_class` is the old name of
  `multi_label`.
Difference: the softmaxes subtract their maximum first, so very large logits give scores, not NaN
(upstream exponentiates the raw logits; docs/differences.md).
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np

from albert.model import AlbertForSequenceClassification
from albert.pipelines.base import Pipeline
from albert.pipelines.rows import Row, make_row

logger = logging.getLogger(__name__)

DEFAULT_TEMPLATE = "This example is {}."


def parse_labels(labels: Any) -> list[str]:
    """A list of labels, or a comma-separated string of them, as a non-empty list of strings."""
    if isinstance(labels, str):
        labels = [label.strip() for label in labels.split(",") if label.strip()]
    if not isinstance(labels, (list, tuple)) or not all(isinstance(x, str) for x in labels):
        raise TypeError(
            f"candidate_labels must be a list of strings or a comma-separated string, got {labels!r}"
        )
    if not labels:
        raise ValueError(
            "candidate_labels is empty: give at least one label, e.g. candidate_labels=['sports']"
        )
    return list(labels)


def _softmax(x: np.ndarray) -> np.ndarray:
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


class ZeroShotClassificationPipeline(Pipeline):
    """`pipeline("zero-shot-classification")`. Parameters: `candidate_labels` (required),
    `hypothesis_template`, `multi_label`, `truncation` (default True, as upstream: the text is cut)."""

    task = "zero-shot-classification"
    model_class = AlbertForSequenceClassification
    sequence_outputs = ("logits",)

    def __init__(self, model: Any, tokenizer: Any, **kwargs: Any) -> None:
        super().__init__(model, tokenizer, **kwargs)
        if self.entailment_id == -1:
            logger.warning(
                "no label of the model's config.label2id (%s) starts with 'entail': the last output is taken "
                "as entailment. Give the model NLI label names (e.g. entailment, neutral, contradiction).",
                sorted(self.model.config.label2id),
            )

    @property
    def entailment_id(self) -> int:
        for label, index in self.model.config.label2id.items():
            if label.lower().startswith("entail"):
                return int(index)
        return -1

    def __call__(self, inputs: Any, *args: Any, **params: Any) -> Any:
        """`classifier(texts, candidate_labels, ...)`: the labels may come second, as upstream."""
        if len(args) > 1 or (args and "candidate_labels" in params):
            raise TypeError(
                "zero-shot-classification takes the texts and at most one more positional argument, the "
                f"candidate labels; got {len(args)} more" + (" and candidate_labels=" if params else "")
            )
        if args:
            params["candidate_labels"] = args[0]
        return super().__call__(inputs, **params)

    def check_params(self, params: dict[str, Any]) -> dict[str, Any]:
        params = dict(params)
        out: dict[str, Any] = {}
        if "multi_class" in params:  # upstream's old name
            logger.warning("multi_class is the old name of multi_label; use multi_label")
            params.setdefault("multi_label", params.pop("multi_class"))
        if params.get("candidate_labels") is not None:
            out["candidate_labels"] = parse_labels(params.pop("candidate_labels"))
        params.pop("candidate_labels", None)
        if "hypothesis_template" in params:
            out["hypothesis_template"] = checked_template(params.pop("hypothesis_template"))
        if "multi_label" in params:
            out["multi_label"] = bool(params.pop("multi_label"))
        if "truncation" in params:
            out["truncation"] = bool(params.pop("truncation"))
        if params:
            raise TypeError(f"zero-shot-classification got unexpected arguments: {', '.join(params)}")
        return out

    def check_call(self, params: dict[str, Any]) -> None:
        if "candidate_labels" not in params:
            raise ValueError(
                "zero-shot-classification needs candidate_labels, e.g. "
                "classifier(text, candidate_labels=['sports', 'politics'])"
            )

    def preprocess(self, item: Any, params: dict[str, Any]) -> list[Row]:
        item = self.text_of(item)
        template = params.get("hypothesis_template", DEFAULT_TEMPLATE)
        rows = []
        for label in params["candidate_labels"]:
            enc = self._encode(item, template.format(label), params.get("truncation", True))
            self.check_length(len(enc["input_ids"]))
            rows.append(make_row(enc))
        return rows

    def _encode(self, text: str, hypothesis: str, truncation: bool) -> Any:
        """The pair, the text cut to fit (upstream's only_first); uncut when the hypothesis alone is too
        long to leave room for it (check_length then says so)."""
        if truncation:
            try:
                return self.tokenizer(text, hypothesis, truncation="only_first", max_length=self.max_length)
            except ValueError as e:
                if "cannot truncate only the first" not in str(e):
                    raise
        return self.tokenizer(text, hypothesis)

    def postprocess(self, item: Any, rows: list[Row], outputs: list[dict], params: dict[str, Any]) -> Any:
        labels = params["candidate_labels"]
        logits = np.stack([out["logits"].numpy() for out in outputs])  # (n_labels, num_outputs)
        entailment = self.entailment_id
        if params.get("multi_label", False) or len(labels) == 1:
            contradiction = -1 if entailment == 0 else 0
            scores = _softmax(logits[:, [contradiction, entailment]])[:, 1]
        else:
            scores = _softmax(logits[:, entailment])
        order = list(reversed(scores.argsort()))  # upstream's order, ties included
        return {
            "sequence": self.text_of(item),
            "labels": [labels[i] for i in order],
            "scores": scores[order].tolist(),
        }


def checked_template(template: Any) -> str:
    """`hypothesis_template` with exactly one `{}` for the label (`{x}` or `{} {}` fail in `str.format`)."""
    try:
        filled = template.format("x") if isinstance(template, str) else None
    except (KeyError, IndexError, ValueError):
        filled = None
    if filled is None or filled == template:
        raise ValueError(
            f"hypothesis_template {template!r} needs one {{}} where the label goes (and no other braces), "
            'e.g. "This example is {}."'
        )
    return template
