"""Spans exactly as transformers gives them with its own ALBERT tokenizer, on a tiny SentencePiece vocabulary
with ALBERT's user-defined symbols ("(", ".", "-", ...), so no shared data is needed.

transformers' converter makes those symbols added tokens, so "NATO." is the two words "NATO" and ".", and
its offsets start a word at the space before it (" Paris"). Our pipelines follow both: QA answers are
widened to the same words and have the same `start`/`end`/`answer`; token-classification entities the same
`start`/`end`. Covered: punctuation after words and at the ends of texts, several windows (truncated
inputs), every aggregation strategy.
"""

from __future__ import annotations

import pytest
import transformers

from tests.pipelines.tiny_models import NER_LABELS, assert_same, assert_same_ids, labels
from tests.spm_helpers import train_tiny_spm

SENTENCES = [
    "He joined NATO. Paris is the capital of France, isn't it?",
    "The Eiffel tower stands in Paris; it is 330 m tall.",
    "Marie Curie moved to Paris in 1891. She won two Nobel prizes - in physics and in chemistry.",
    "Berlin, Rome and Madrid are capitals. So is London.",
]
CONTEXT = " ".join(SENTENCES)
QA_CASES = [
    ("Where did she move?", SENTENCES[0], {"top_k": 3}),  # the ends of the text: "it?"
    ("Who won?", CONTEXT, {"top_k": 5}),
    ("Who won?", CONTEXT, {"top_k": 4, "max_seq_len": 24, "doc_stride": 6}),  # many windows
    ("What?", CONTEXT, {"top_k": 3, "max_seq_len": 24, "doc_stride": 0, "handle_impossible_answer": True}),
    ("What is tall?", CONTEXT, {"top_k": 3, "align_to_words": False}),
]


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    """(transformers' tokenizer, ours, directory of a tiny QA model, of a tiny NER model)."""
    import torch

    from albert.tokenizer import ALBERT_USER_DEFINED_SYMBOLS, AlbertTokenizerFast

    root = tmp_path_factory.mktemp("spans")
    model = root / "spiece.model"
    model.write_bytes(train_tiny_spm([s.lower() for s in SENTENCES] * 20, 300, ALBERT_USER_DEFINED_SYMBOLS))
    theirs = transformers.AlbertTokenizerFast(vocab_file=str(model), model_max_length=64)
    ours = AlbertTokenizerFast(vocab_file=str(model), model_max_length=64)
    dirs = []
    for class_name, extra in (
        ("AlbertForQuestionAnswering", {}),
        ("AlbertForTokenClassification", labels(NER_LABELS)),
    ):
        torch.manual_seed(0)
        config = transformers.AlbertConfig(
            vocab_size=len(theirs), embedding_size=16, hidden_size=32, num_hidden_layers=1, num_attention_heads=4,
            intermediate_size=37, max_position_embeddings=128, initializer_range=0.2, **extra,
        )  # fmt: skip
        getattr(transformers, class_name)(config).eval().save_pretrained(root / class_name)
        dirs.append(root / class_name)
    return theirs, ours, *dirs


def test_same_pieces(tiny):
    theirs, ours, *_ = tiny
    assert_same_ids([*SENTENCES, CONTEXT], theirs, ours)


@pytest.mark.parametrize(("question", "context", "kwargs"), QA_CASES, ids=[str(k) for _, _, k in QA_CASES])
def test_question_answering(tiny, question, context, kwargs):
    from albert.pipelines import pipeline

    theirs_tok, ours_tok, qa_dir, _ = tiny
    theirs = transformers.pipeline("question-answering", model=str(qa_dir), tokenizer=theirs_tok)
    ours = pipeline("question-answering", qa_dir, ours_tok)
    expected = theirs(question=question, context=context, **kwargs)
    assert_same(ours(question=question, context=context, **kwargs), expected)
    assert any(a["answer"].startswith(" ") for a in expected)  # the space before a word, as upstream


@pytest.mark.filterwarnings("ignore:Tokenizer does not support real words")
@pytest.mark.parametrize("strategy", ["none", "simple", "first", "average", "max"])
def test_token_classification(tiny, strategy):
    from albert.pipelines import pipeline

    theirs_tok, ours_tok, _, ner_dir = tiny
    theirs = transformers.pipeline("ner", model=str(ner_dir), tokenizer=theirs_tok)
    ours = pipeline("ner", ner_dir, ours_tok)
    for text in SENTENCES[:2]:  # each fits the 64-token limit
        assert_same(ours(text, aggregation_strategy=strategy), theirs(text, aggregation_strategy=strategy))
    if strategy != "none":  # a text cut into overlapping windows
        kwargs = {"aggregation_strategy": strategy, "stride": 5}
        assert_same(ours(CONTEXT, **kwargs), theirs(CONTEXT, **kwargs))


@pytest.mark.filterwarnings("ignore:Tokenizer does not support real words")
@pytest.mark.parametrize("strategy", ["none", "simple", "first"])
def test_token_classification_of_pre_split_words(tiny, strategy):
    """`is_split_into_words=True` (transformers 4.56): a list of words is one input (answered, as upstream,
    by a list holding its one result), each word tokenized alone, spans into the words joined by
    `delimiter`; a list of such lists is a batch."""
    from albert.pipelines import pipeline

    theirs_tok, ours_tok, _, ner_dir = tiny
    theirs = transformers.pipeline("ner", model=str(ner_dir), tokenizer=theirs_tok)
    ours = pipeline("ner", ner_dir, ours_tok)
    words = ["Marie", "Curie", "moved", "to", "Paris", "in", "1891."]
    for kwargs in ({}, {"delimiter": "  "}, {"delimiter": ""}):
        kwargs = {"aggregation_strategy": strategy, "is_split_into_words": True, **kwargs}
        expected = theirs(words, **kwargs)
        assert_same(ours(words, **kwargs), expected)
        assert_same(ours([words, words[:3]], **kwargs), theirs([words, words[:3]], **kwargs))
    if strategy != "none":  # a long list of words in overlapping windows
        # (no word that is a lone user-defined symbol such as "-": transformers' fast tokenizer gives it no
        # "▁" piece, unlike SentencePiece and its slow tokenizer, whose ids ours keep)
        long = [w for w in " ".join(SENTENCES).split() if w != "-"]
        kwargs = {"aggregation_strategy": strategy, "is_split_into_words": True, "stride": 5}
        assert_same(ours(long, **kwargs), theirs(long, **kwargs))
