"""Tokenization and packing of examples into model features, and the collate function that pads them.

Every text is tokenized without special tokens and packed here as `[CLS] A [SEP] (B [SEP])`, so that
truncation, word alignment and SQuAD windows (`albert.tasks.qa_spans`) are under our control and only the
tokenizer's basic call is assumed: `tokenizer(texts, add_special_tokens=False,
return_offsets_mapping=True)` plus `cls_token_id`, `sep_token_id`, `pad_token_id`. Offsets are character
spans in the original text (they may include the space before a word, as ALBERT's Metaspace gives them).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
from torch.utils.data import Dataset

from albert.data.collate import pad_batch
from albert.tasks.examples import ChoiceExample, ClassificationExample, DataError, TokenExample, check_label

logger = logging.getLogger(__name__)

IGNORE_INDEX = -100
Feature = dict[str, Any]
_CHUNK = 2048  # texts per tokenizer call: bounds memory on large files


def tokenize(tokenizer: Any, texts: Sequence[str], *, offsets: bool = False) -> tuple[list[list[int]], list]:
    """Token ids (and character offsets if asked) of each text, without special tokens."""
    ids: list[list[int]] = []
    spans: list = []
    for i in range(0, len(texts), _CHUNK):
        enc = tokenizer(list(texts[i : i + _CHUNK]), add_special_tokens=False, return_offsets_mapping=offsets)
        ids.extend(list(x) for x in enc["input_ids"])
        if offsets:
            spans.extend([tuple(o) for o in x] for x in enc["offset_mapping"])
    return ids, spans


def pack(tokenizer: Any, first: list[int], second: list[int] | None = None) -> Feature:
    """`[CLS] first [SEP] (second [SEP])` with token types 0 for the first part and 1 for the second."""
    ids = [tokenizer.cls_token_id, *first, tokenizer.sep_token_id]
    types = [0] * len(ids)
    if second is not None:
        ids += [*second, tokenizer.sep_token_id]
        types += [1] * (len(second) + 1)
    return {"input_ids": ids, "token_type_ids": types}


def truncate_pair(
    first: list[int], second: list[int] | None, budget: int
) -> tuple[list[int], list[int] | None]:
    """Drop tokens from the end of the longer sequence until both fit in `budget` (HF's longest_first)."""
    a, b = list(first), None if second is None else list(second)
    while len(a) + (len(b) if b is not None else 0) > budget:
        if b is not None and len(b) >= len(a):
            b.pop()
        else:
            a.pop()
    return a, b


# ----- sentence(-pair) classification and regression -------------------------------------------------


def encode_classification(
    examples: Sequence[ClassificationExample],
    tokenizer: Any,
    *,
    problem: str,
    label2id: dict[str, int] | None,
    max_length: int,
) -> list[Feature]:
    """Features with `labels`: a class id, a multi-hot float list (multi-label) or a float (regression)."""
    firsts, _ = tokenize(tokenizer, [e.text for e in examples])
    pair_texts = [e.text_pair for e in examples if e.text_pair is not None]
    seconds = iter(tokenize(tokenizer, pair_texts)[0]) if pair_texts else iter(())
    features, cut = [], 0
    for example, first in zip(examples, firsts):
        second = next(seconds) if example.text_pair is not None else None
        budget = max_length - (3 if second is not None else 2)
        a, b = truncate_pair(first, second, budget)
        cut += (len(a), len(b or ())) != (len(first), len(second or ()))
        feature = pack(tokenizer, a, b)
        feature["labels"] = _label_value(example, problem, label2id)
        features.append(feature)
    if cut:
        logger.info("truncated %d of %d inputs to %d tokens", cut, len(examples), max_length)
    return features


def _label_value(example: ClassificationExample, problem: str, label2id: dict[str, int] | None) -> Any:
    if problem == "regression":
        return float(example.label)  # type: ignore[arg-type]
    assert label2id is not None
    if problem == "multi_label":
        hot = [0.0] * len(label2id)
        for name in example.label:  # type: ignore[union-attr]
            hot[check_label(name, label2id, example.source)] = 1.0
        return hot
    return check_label(example.label, label2id, example.source)  # type: ignore[arg-type]


# ----- token classification --------------------------------------------------------------------------


def word_spans(words: Sequence[str]) -> tuple[str, list[tuple[int, int]]]:
    """Join words with single spaces; returns the text and each word's character span in it."""
    spans, pos = [], 0
    for word in words:
        spans.append((pos, pos + len(word)))
        pos += len(word) + 1
    return " ".join(words), spans


def align_words(offsets: Sequence[tuple[int, int]], spans: Sequence[tuple[int, int]]) -> list[int | None]:
    """The word index of each token (None for tokens covering no word, e.g. a lone space piece).

    A token belongs to the word its character span overlaps; offsets may include the space before the
    word, which overlaps nothing. Both lists are in text order, so one forward scan suffices.
    """
    out: list[int | None] = []
    w = 0
    for start, end in offsets:
        while w < len(spans) and spans[w][1] <= start:
            w += 1
        out.append(w if w < len(spans) and start < spans[w][1] and end > spans[w][0] else None)
    return out


def encode_tokens(
    examples: Sequence[TokenExample], tokenizer: Any, *, label2id: dict[str, int], max_length: int
) -> tuple[list[Feature], list[list[int | None]]]:
    """Features whose `labels` hold the tag id on each word's first sub-token and -100 elsewhere.

    Also returns, per example, the word index of every packed position (None for [CLS]/[SEP]/others),
    which turns token predictions back into one tag per word at evaluation.
    """
    texts_spans = [word_spans(e.words) for e in examples]
    ids, offsets = tokenize(tokenizer, [t for t, _ in texts_spans], offsets=True)
    features, alignments, cut = [], [], 0
    for example, (_, spans), token_ids, token_offsets in zip(examples, texts_spans, ids, offsets):
        words = align_words(token_offsets, spans)
        if len(token_ids) > max_length - 2:
            cut += 1
            token_ids, words = token_ids[: max_length - 2], words[: max_length - 2]
        tag_ids = [check_label(t, label2id, example.source) for t in example.tags or ()]
        labels, seen = [IGNORE_INDEX], set()
        for word in words:
            first = word is not None and word not in seen
            labels.append(tag_ids[word] if first and tag_ids else IGNORE_INDEX)
            if word is not None:
                seen.add(word)
        feature = pack(tokenizer, token_ids)
        feature["labels"] = [*labels, IGNORE_INDEX]
        features.append(feature)
        alignments.append([None, *(w for w in words), None])
    if cut:
        logger.warning("%d of %d sentences were cut to %d tokens; their last words are predicted 'O'",
                       cut, len(examples), max_length)  # fmt: skip
    return features, alignments


# ----- multiple choice -------------------------------------------------------------------------------


MAX_QA_LENGTH = 128


def choice_texts(question: str, choices: Sequence[str], context: str | None) -> tuple[str, list[str]]:
    """The first text and the C second texts of a multiple-choice item, RACE packing: `context` and
    `question choice` with a context, `question` and `choice` without one (an empty context is none)."""
    if context:
        return context, [f"{question} {c}" for c in choices]
    return question, list(choices)


def pack_choices(
    tokenizer: Any,
    first: list[int],
    seconds: Sequence[list[int]],
    *,
    max_length: int | None,
    max_qa_length: int | None = None,
) -> Feature:
    """`[CLS] first [SEP] second [SEP]` per choice, as (C, T) lists: each second part keeps its last
    `max_qa_length` tokens (None: all), then each pair is cut longest-first to `max_length` (None: not cut).
    The one packing of fine-tuning, evaluation and `pipeline("multiple-choice")`."""
    rows = []
    for second in seconds:
        if max_qa_length is not None:
            second = second[-max_qa_length:]
        pair = truncate_pair(first, second, max_length - 3) if max_length is not None else (first, second)
        rows.append(pack(tokenizer, *pair))
    return {key: [r[key] for r in rows] for key in ("input_ids", "token_type_ids")}


def encode_multiple_choice(
    examples: Sequence[ChoiceExample], tokenizer: Any, *, max_length: int, max_qa_length: int = MAX_QA_LENGTH
) -> list[Feature]:
    """One `[CLS] context [SEP] question + choice [SEP]` per option (`choice_texts`, `pack_choices`): the
    question+choice part keeps its last `max_qa_length` tokens, then the context is cut from the end to
    fit. Without context the pair is `[CLS] question [SEP] choice [SEP]`. All questions must have the same
    number of options."""
    count = len(examples[0].choices)
    for example in examples:
        if len(example.choices) != count:
            raise DataError(
                example.source, f"{len(example.choices)} choices, but the first question has {count}"
            )
    texts = [choice_texts(e.question, e.choices, e.context) for e in examples]
    firsts = sorted({first for first, _ in texts})  # contexts repeat: tokenize each once
    first_ids = dict(zip(firsts, tokenize(tokenizer, firsts)[0]))
    second_ids = iter(tokenize(tokenizer, [s for _, seconds in texts for s in seconds])[0])
    features = []
    for example, (first, seconds) in zip(examples, texts):
        feature = pack_choices(
            tokenizer,
            first_ids[first],
            [next(second_ids) for _ in seconds],
            max_length=max_length,
            max_qa_length=max_qa_length if example.context else None,
        )
        if example.label is not None:
            feature["labels"] = example.label
        features.append(feature)
    return features


# ----- dataset and batching --------------------------------------------------------------------------


class FeatureDataset(Dataset):
    """A list of features as a map-style Dataset (the training loop shuffles and batches it)."""

    def __init__(self, features: list[Feature]) -> None:
        self.features = features

    def __len__(self) -> int:
        return len(self.features)

    def __getitem__(self, index: int) -> Feature:
        return self.features[index]


class Collator:
    """Pads a list of features into tensors: `input_ids`/`token_type_ids` (B, T) or (B, C, T),
    `attention_mask`, and the label fields present (`labels` padded with -100 when per token)."""

    def __init__(self, pad_token_id: int) -> None:
        self.pad_token_id = pad_token_id

    def __call__(self, features: list[Feature]) -> dict[str, torch.Tensor]:
        first = features[0]
        choices = isinstance(first["input_ids"][0], list)  # multiple choice: (C, T) per feature
        rows = [row for f in features for row in (f["input_ids"] if choices else [f["input_ids"]])]
        types = [row for f in features for row in (f["token_type_ids"] if choices else [f["token_type_ids"]])]
        input_ids = pad_batch([np.asarray(r) for r in rows], self.pad_token_id)
        batch = {
            "input_ids": input_ids,
            "token_type_ids": pad_batch([np.asarray(r) for r in types], 0),
            "attention_mask": pad_batch([np.ones(len(r), dtype=np.int64) for r in rows], 0),
        }
        if choices:
            batch = {k: v.view(len(features), -1, v.shape[-1]) for k, v in batch.items()}  # (B, C, T)
        for key in ("start_positions", "end_positions"):
            if key in first:
                batch[key] = torch.tensor([f[key] for f in features], dtype=torch.long)
        if "labels" in first:
            batch["labels"] = _stack_labels([f["labels"] for f in features], input_ids.shape[-1])
        return batch


def _stack_labels(labels: list[Any], length: int) -> torch.Tensor:
    if isinstance(labels[0], list) and isinstance(labels[0][0], float):  # multi-hot (B, num_labels)
        return torch.tensor(labels, dtype=torch.float)
    if isinstance(labels[0], list):  # per token (B, T), padded with -100
        return pad_batch([np.asarray(x) for x in labels], IGNORE_INDEX, pad_to_length=length)
    dtype = torch.float if isinstance(labels[0], float) else torch.long
    return torch.tensor(labels, dtype=dtype)
