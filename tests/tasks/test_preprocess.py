"""Packing, truncation, NER label alignment (first sub-token only) and batching."""

from __future__ import annotations

import torch

from albert.tasks.examples import ChoiceExample, ClassificationExample, TokenExample
from albert.tasks.preprocess import (
    IGNORE_INDEX,
    Collator,
    align_words,
    encode_classification,
    encode_multiple_choice,
    encode_tokens,
    tokenize,
    truncate_pair,
    word_spans,
)


def test_align_words_handles_leading_spaces_and_lone_space_pieces():
    text, spans = word_spans(["The", "(OAPEC)", "oil"])
    assert text == "The (OAPEC) oil" and spans == [(0, 3), (4, 11), (12, 15)]
    # Offsets as ALBERT's Metaspace gives them: " (" includes the space; a lone "▁" covers only a space.
    offsets = [(0, 3), (3, 4), (4, 5), (5, 7), (7, 11), (11, 12), (12, 15)]
    assert align_words(offsets, spans) == [0, None, 1, 1, 1, None, 2]


def test_ner_labels_on_first_sub_token_only(tokenizer):
    words = ["Leicestershire", "beat", "Blackburn", "in", "Paris"]
    tags = ["B-ORG", "O", "B-ORG", "O", "B-LOC"]
    label2id = {"O": 0, "B-ORG": 1, "B-LOC": 2}
    (feature,), (positions,) = encode_tokens(
        [TokenExample(words, tags)], tokenizer, label2id=label2id, max_length=64
    )
    ids, labels = feature["input_ids"], feature["labels"]
    assert ids[0] == tokenizer.cls_token_id and ids[-1] == tokenizer.sep_token_id
    assert len(labels) == len(ids) == len(positions)
    assert len(ids) > len(words) + 2  # the rare words really are split into several pieces
    labelled = [i for i, y in enumerate(labels) if y != IGNORE_INDEX]
    assert [labels[i] for i in labelled] == [label2id[t] for t in tags]
    assert [positions[i] for i in labelled] == list(range(len(words)))  # each word's first piece
    for i, word in enumerate(positions):  # every other piece of a word is ignored
        if word is not None and i not in labelled:
            assert labels[i] == IGNORE_INDEX and word == positions[i - 1]
    # the labelled piece is where the word starts in the joined text
    text, spans = word_spans(words)
    _, (offsets,) = tokenize(tokenizer, [text], offsets=True)
    for i in labelled:
        start, end = offsets[i - 1]
        assert text[start:end].strip() and spans[positions[i]][0] <= end


def test_ner_truncation_keeps_lengths(tokenizer):
    example = TokenExample(["john"] * 30, ["B-PER"] * 30)
    (feature,), _ = encode_tokens([example], tokenizer, label2id={"B-PER": 0}, max_length=10)
    assert len(feature["input_ids"]) == 10 and len(feature["labels"]) == 10


def test_pair_packing_and_longest_first_truncation(tokenizer):
    assert truncate_pair([1, 2, 3, 4, 5], [6, 7], 5) == ([1, 2, 3], [6, 7])
    assert truncate_pair([1, 2], [3, 4, 5, 6], 4) == ([1, 2], [3, 4])
    examples = [ClassificationExample("good movie", "bad film", "pos")]
    (feature,) = encode_classification(
        examples, tokenizer, problem="single_label", label2id={"pos": 1}, max_length=32
    )
    (a, b), _ = tokenize(tokenizer, ["good movie", "bad film"])
    assert feature["input_ids"] == [2, *a, 3, *b, 3]
    assert feature["token_type_ids"] == [0] * (len(a) + 2) + [1] * (len(b) + 1)
    assert feature["labels"] == 1
    long = [ClassificationExample("the cat " * 40, None, 2.5)]
    (cut,) = encode_classification(long, tokenizer, problem="regression", label2id=None, max_length=16)
    assert len(cut["input_ids"]) == 16 and cut["input_ids"][-1] == 3 and cut["labels"] == 2.5


def test_multiple_choice_packing(tokenizer):
    example = ChoiceExample("1", "the man wants a coat " * 20, "what does he buy", ["a coat", "a dog"], 0)
    (feature,) = encode_multiple_choice([example], tokenizer, max_length=40, max_qa_length=128)
    assert len(feature["input_ids"]) == 2 and feature["labels"] == 0
    for ids, types, choice in zip(feature["input_ids"], feature["token_type_ids"], example.choices):
        (qa,), _ = tokenize(tokenizer, [f"what does he buy {choice}"])
        assert len(ids) == 40  # the context was cut to fit
        assert ids[-len(qa) - 1 :] == [*qa, 3] and ids[-len(qa) - 2] == 3  # ... [SEP] question+choice [SEP]
        assert types == [0] * (40 - len(qa) - 1) + [1] * (len(qa) + 1)
    no_context = ChoiceExample("2", "", "where", ["paris", "london"], 1)
    (feature,) = encode_multiple_choice([no_context], tokenizer, max_length=40)
    (q, c), _ = tokenize(tokenizer, ["where", "paris"])
    assert feature["input_ids"][0] == [2, *q, 3, *c, 3]
    short_qa = encode_multiple_choice([example], tokenizer, max_length=40, max_qa_length=2)[0]
    assert short_qa["token_type_ids"][0].count(1) == 3  # last 2 pieces of question+choice, then [SEP]


def test_collator_pads_every_shape():
    collate = Collator(pad_token_id=0)
    batch = collate([
        {"input_ids": [2, 5, 3], "token_type_ids": [0, 0, 0], "labels": [-100, 1, -100]},
        {"input_ids": [2, 3], "token_type_ids": [0, 0], "labels": [-100, -100]},
    ])  # fmt: skip
    assert batch["input_ids"].tolist() == [[2, 5, 3], [2, 3, 0]]
    assert batch["attention_mask"].tolist() == [[1, 1, 1], [1, 1, 0]]
    assert batch["labels"].tolist() == [[-100, 1, -100], [-100, -100, -100]]
    choices = collate([
        {"input_ids": [[2, 3], [2, 4, 3]], "token_type_ids": [[0, 0], [0, 1, 1]], "labels": 1},
        {"input_ids": [[2, 3], [2, 3]], "token_type_ids": [[0, 0], [0, 0]], "labels": 0},
    ])  # fmt: skip
    assert choices["input_ids"].shape == (2, 2, 3) and choices["labels"].tolist() == [1, 0]
    assert choices["attention_mask"][0].tolist() == [[1, 1, 0], [1, 1, 1]]
    multi = collate([{"input_ids": [2, 3], "token_type_ids": [0, 0], "labels": [0.0, 1.0]}])
    assert multi["labels"].dtype == torch.float and multi["labels"].tolist() == [[0.0, 1.0]]
    qa = collate([{"input_ids": [2, 3], "token_type_ids": [0, 0], "start_positions": 1, "end_positions": 1}])
    assert qa["start_positions"].tolist() == [1] and "labels" not in qa
