"""token-classification (alias ner): a label per token, optionally merged into words and entities.

Behaviour of transformers' TokenClassificationPipeline with a fast ALBERT tokenizer:
* `aggregation_strategy="none"`: one `{"entity", "score", "index", "word", "start", "end"}` per token
  (`word` is the piece, e.g. "▁paris");
* "simple": adjacent tokens with the same tag (B-/I- prefixes understood) merge into
  `{"entity_group", "score" (mean), "word", "start", "end"}`;
* "first" / "average" / "max": tokens are first merged into words (label of the first token / of the
  averaged scores / of the most confident token), then words are grouped as in "simple".
ALBERT's Unigram vocabulary has no "continuing sub-word" marker, so, as upstream, a token continues the
previous word when the character before it and its first character are both non-spaces. `start`/`end`
are character offsets into the original text; labels in `ignore_labels` (default ["O"]) are dropped.
A text longer than the model accepts is an error unless `stride=N` is given: then it is cut into
overlapping windows (N tokens of overlap) and overlapping entities are resolved as upstream (longest,
then most confident). With `is_split_into_words=True` an input is a list of words: each is tokenized on
its own and `start`/`end` point into the words joined by `delimiter` (" "), as upstream.
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np

from albert.model import AlbertForTokenClassification
from albert.pipelines.base import Pipeline, PipelineError, tokens_to_string
from albert.pipelines.rows import Row, make_row
from albert.tokenizer.offsets import with_leading_space

STRATEGIES = ("none", "simple", "first", "average", "max")


logger = logging.getLogger(__name__)

# A too-long text is split into windows here, not cut: truncation would drop the entities past the cut.
STRIDE_FIX = (
    'pass stride=N with aggregation_strategy="simple" to split it into windows '
    "(CLI: -p stride=N --aggregation-strategy simple)"
)


class TokenClassificationPipeline(Pipeline):
    """`pipeline("token-classification")`. Parameters: `aggregation_strategy`, `ignore_labels`, `stride`,
    `is_split_into_words`, `delimiter`."""

    task = "token-classification"
    model_class = AlbertForTokenClassification
    token_outputs = ("logits",)

    def check_params(self, params: dict[str, Any]) -> dict[str, Any]:
        params = dict(params)
        out: dict[str, Any] = {}
        if "grouped_entities" in params or "ignore_subwords" in params:  # upstream's deprecated spelling
            logger.warning(
                "grouped_entities / ignore_subwords are deprecated (as upstream): use aggregation_strategy"
            )
            grouped, first = params.pop("grouped_entities", None), params.pop("ignore_subwords", None)
            params["aggregation_strategy"] = ("first" if first else "simple") if grouped else "none"
        if params.get("aggregation_strategy") is not None:
            strategy = str(params.pop("aggregation_strategy")).lower()
            if strategy not in STRATEGIES:
                raise ValueError(
                    f"aggregation_strategy must be one of {', '.join(STRATEGIES)}, got {strategy!r}"
                )
            out["aggregation_strategy"] = strategy
        params.pop("aggregation_strategy", None)
        if params.get("ignore_labels") is not None:
            out["ignore_labels"] = _labels_list(params.pop("ignore_labels"))
        params.pop("ignore_labels", None)
        if params.get("stride") is not None:
            stride = params.pop("stride")
            if (
                isinstance(stride, bool)
                or not isinstance(stride, int)
                or not 0 <= stride < self.max_length - 2
            ):
                raise ValueError(f"stride must be an int in [0, {self.max_length - 2}), got {stride!r}")
            out["stride"] = stride
        params.pop("stride", None)
        if params.pop("is_split_into_words", None):
            out["is_split_into_words"] = True
        delimiter = params.pop("delimiter", None)
        if delimiter is not None:
            if not isinstance(delimiter, str):
                raise ValueError(f"delimiter must be a string, got {delimiter!r}")
            if not out.get("is_split_into_words"):
                raise ValueError("delimiter joins pre-split words: pass is_split_into_words=True with it")
            out["delimiter"] = delimiter
        if params:
            raise TypeError(f"token-classification got unexpected arguments: {', '.join(params)}")
        return out

    def is_single(self, inputs: Any, params: dict[str, Any]) -> bool:
        """With is_split_into_words, a list of words is one input (upstream then answers a list of one)."""
        if params.get("is_split_into_words") and isinstance(inputs, list):
            return bool(inputs) and all(isinstance(w, str) for w in inputs)
        return super().is_single(inputs, params)

    def single_result(self, item: Any, result: Any, params: dict[str, Any]) -> Any:
        return [result] if params.get("is_split_into_words") else result

    def _text(self, item: Any, params: dict[str, Any]) -> tuple[str, list[int] | None]:
        """The text an input stands for, and with pre-split words, where each word starts in it."""
        if not params.get("is_split_into_words"):
            return self.text_of(item), None
        if not (isinstance(item, list) and item and all(isinstance(w, str) for w in item)):
            raise PipelineError(
                f"with is_split_into_words=True an input is a non-empty list of words, got {item!r:.80}"
            )
        delimiter = params.get("delimiter", " ")
        starts = np.cumsum([0] + [len(w) + len(delimiter) for w in item[:-1]]).tolist()
        return delimiter.join(item), starts

    def check_call(self, params: dict[str, Any]) -> None:
        if params.get("stride") is not None and params.get("aggregation_strategy", "none") == "none":
            raise ValueError(
                'stride needs an aggregation_strategy other than "none" to merge the windows, e.g. '
                'aggregation_strategy="simple" (CLI: --aggregation-strategy simple)'
            )

    def preprocess(self, item: Any, params: dict[str, Any]) -> list[Row]:
        text, word_starts = self._text(item, params)
        stride = params.get("stride")
        kwargs: dict[str, Any] = {"return_offsets_mapping": True, "return_special_tokens_mask": True}
        if word_starts is not None:
            kwargs["is_split_into_words"] = True
        source = text if word_starts is None else item
        if stride is None:
            enc = self.tokenizer(source, **kwargs)
            self.check_length(len(enc["input_ids"]), "input", fix=STRIDE_FIX)
            windows = [(enc, None)]
        else:
            enc = self.tokenizer(
                source,
                truncation=True,
                max_length=self.max_length,
                stride=stride,
                return_overflowing_tokens=True,
                **kwargs,
            )
            windows = [(enc, i) for i in range(len(enc["input_ids"]))]
        rows = []
        for encoding, i in windows:
            offsets = encoding["offset_mapping"] if i is None else encoding["offset_mapping"][i]
            special = encoding["special_tokens_mask"] if i is None else encoding["special_tokens_mask"][i]
            ids = encoding["input_ids"] if i is None else encoding["input_ids"][i]
            if word_starts is None:
                pieces = self.tokenizer.convert_ids_to_tokens(list(ids))
                offsets = with_leading_space(text, pieces, [tuple(o) for o in offsets])  # as upstream's
            else:  # offsets within each word -> within the joined text
                words = encoding.word_ids(0 if i is None else i)
                offsets = [(s, e) if w is None else (s + word_starts[w], e + word_starts[w])
                           for (s, e), w in zip(offsets, words)]  # fmt: skip
            rows.append(make_row(encoding, i, offsets=offsets, special=list(special)))
        return rows

    def postprocess(self, item: Any, rows: list[Row], outputs: list[dict], params: dict[str, Any]) -> Any:
        text, _ = self._text(item, params)
        strategy = params.get("aggregation_strategy", "none")
        ignore = params.get("ignore_labels", ["O"])
        entities: list[dict] = []
        for row, out in zip(rows, outputs):
            logits = out["logits"].numpy()  # (T, num_labels), float32
            exp = np.exp(logits - logits.max(axis=-1, keepdims=True))
            scores = exp / exp.sum(axis=-1, keepdims=True)
            tokens = self._tokens(text, row, scores)
            grouped = self._aggregate(tokens, strategy)
            entities += [e for e in grouped if e.get("entity", e.get("entity_group")) not in ignore]
        if len(rows) > 1:
            entities = _resolve_overlaps(entities)
        for e in entities:  # plain Python numbers (upstream returns numpy float32 scores)
            e["score"] = float(e["score"])
        return entities

    # ----- steps, in upstream's order -----

    def _tokens(self, text: str, row: Row, scores: np.ndarray) -> list[dict]:
        """One record per non-special token: piece, scores, character span, and whether it continues a word."""
        ids = row.features["input_ids"]
        records = []
        for index, (token_id, (start, end), special) in enumerate(
            zip(ids, row.extras["offsets"], row.extras["special"])
        ):
            if special:
                continue
            word = self.tokenizer.convert_ids_to_tokens(token_id)
            continues = start > 0 and " " not in text[start - 1 : start + 1]
            if token_id == self.tokenizer.unk_token_id:  # "<unk>" says nothing; show the original text
                word, continues = text[start:end], False
            records.append(
                {
                    "word": word,
                    "scores": scores[index],
                    "start": start,
                    "end": end,
                    "index": index,
                    "is_subword": continues,
                }
            )
        return records

    def _aggregate(self, tokens: list[dict], strategy: str) -> list[dict]:
        id2label = self.model.config.id2label
        if strategy in ("none", "simple"):
            entities = []
            for t in tokens:
                best = int(t["scores"].argmax())
                entities.append(
                    {"entity": id2label[best], "score": t["scores"][best], "index": t["index"],
                     "word": t["word"], "start": t["start"], "end": t["end"]}
                )  # fmt: skip
            return entities if strategy == "none" else self._group(entities)
        words: list[list[dict]] = []
        for t in tokens:
            if words and t["is_subword"]:
                words[-1].append(t)
            else:
                words.append([t])
        return self._group([self._merge_word(w, strategy) for w in words])

    def _merge_word(self, tokens: list[dict], strategy: str) -> dict:
        """One word from its tokens; the label follows `strategy` (first / average / max)."""
        id2label = self.model.config.id2label
        if strategy == "first":
            scores = tokens[0]["scores"]
        elif strategy == "max":
            scores = max(tokens, key=lambda t: t["scores"].max())["scores"]
        else:  # average
            scores = np.nanmean(np.stack([t["scores"] for t in tokens]), axis=0)
        best = int(scores.argmax())
        return {
            "entity": id2label[best],
            "score": scores[best],
            "word": tokens_to_string(self.tokenizer, [t["word"] for t in tokens]),
            "start": tokens[0]["start"],
            "end": tokens[-1]["end"],
        }

    def _group(self, entities: list[dict]) -> list[dict]:
        """Merge runs of entities with one tag; a "B-" entity always starts a new run."""
        groups: list[list[dict]] = []
        for e in entities:
            bi, tag = _split_tag(e["entity"])
            if groups and bi != "B" and tag == _split_tag(groups[-1][-1]["entity"])[1]:
                groups[-1].append(e)
            else:
                groups.append([e])
        return [
            {
                "entity_group": g[0]["entity"].split("-", 1)[-1],
                "score": np.mean(np.nanmean([e["score"] for e in g])),
                "word": tokens_to_string(self.tokenizer, [e["word"] for e in g]),
                "start": g[0]["start"],
                "end": g[-1]["end"],
            }
            for g in groups
        ]


def _split_tag(label: str) -> tuple[str, str]:
    """("B"|"I", tag) from "B-PER" / "I-PER"; a label without a prefix counts as a continuation."""
    if label.startswith(("B-", "I-")):
        return label[0], label[2:]
    return "I", label


def _resolve_overlaps(entities: list[dict]) -> list[dict]:
    """Entities from overlapping windows: of those starting inside another, keep the longer (then the
    more confident)."""
    if not entities:
        return entities
    entities = sorted(entities, key=lambda e: e["start"])
    kept: list[dict] = []
    current = entities[0]
    for e in entities:
        if current["start"] <= e["start"] < current["end"]:
            longer = (e["end"] - e["start"]) - (current["end"] - current["start"])
            if longer > 0 or (longer == 0 and e["score"] > current["score"]):
                current = e
        else:
            kept.append(current)
            current = e
    kept.append(current)
    return kept


def _labels_list(value: Any) -> list[str]:
    """`ignore_labels`: a list of label names (one name alone counts as a list of it)."""
    labels = [value] if isinstance(value, str) else value
    if not isinstance(labels, (list, tuple, set)) or not all(isinstance(x, str) for x in labels):
        raise ValueError(f"ignore_labels must be a list of label names, e.g. ['O'], got {value!r}")
    return list(labels)
