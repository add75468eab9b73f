"""token-classification: same entities, offsets and words as transformers for every aggregation strategy."""

from __future__ import annotations

import pytest

from tests.pipelines.tiny_models import assert_same, assert_same_ids, reference_tokenizer

# Texts that transformers' converted tokenizer splits into the same pieces as ours (checked below): not
# "(x" or "x-ray", where its converter puts a "▁" after the symbol (docs/tokenizers.md).
TEXTS = [
    "My name is Wolfgang and I live in Berlin, Germany.",
    "生活的真谛是 x ray - tm Xtreme ok.  Double  spaces\tand tabs; 92000, 3 km! He joined NATO.",
    "",
]
STRATEGIES = ["none", "simple", "first", "average", "max"]


@pytest.mark.filterwarnings("ignore:Tokenizer does not support real words")
@pytest.mark.parametrize("strategy", STRATEGIES)
def test_matches_transformers(make_pipelines, strategy):
    theirs, ours = make_pipelines("token-classification")
    assert_same_ids(TEXTS, theirs.tokenizer, ours.tokenizer)
    for text in TEXTS:
        assert_same(ours(text, aggregation_strategy=strategy), theirs(text, aggregation_strategy=strategy))
    assert_same(ours(TEXTS, aggregation_strategy=strategy), theirs(TEXTS, aggregation_strategy=strategy))


def test_ignore_labels(make_pipelines):
    theirs, ours = make_pipelines("token-classification")
    text = TEXTS[0]
    assert_same(ours(text, ignore_labels=[]), theirs(text, ignore_labels=[]))
    kept = ours(text, ignore_labels=["O", "MISC"], aggregation_strategy="simple")
    assert all(e["entity_group"] not in ("O", "MISC") for e in kept)


@pytest.mark.filterwarnings("ignore:Tokenizer does not support real words")
def test_offsets_point_into_the_text(make_pipelines):
    _, ours = make_pipelines("token-classification")
    text = TEXTS[0]
    # Grouped words are re-joined from pieces, which drops the spaces between words (as upstream).
    for e in ours(text, aggregation_strategy="first", ignore_labels=[]):
        assert "".join(text[e["start"] : e["end"]].split()).lower() == e["word"].replace(" ", "").lower()


@pytest.mark.filterwarnings("ignore:Tokenizer does not support real words")
def test_stride_windows_match_transformers(model_dirs, tokenizer):
    """A text longer than the model limit, split into overlapping windows (both sides limited to 24)."""
    import transformers

    from albert.pipelines import pipeline

    path = model_dirs["token-classification"]
    hf_tokenizer = reference_tokenizer(str(path / "spiece.model"))
    hf_tokenizer = transformers.AlbertTokenizerFast(vocab_file=hf_tokenizer.vocab_file, model_max_length=24)
    theirs = transformers.pipeline("ner", model=str(path), tokenizer=hf_tokenizer)
    ours = pipeline("ner", path, type(tokenizer).from_pretrained(path, model_max_length=24))
    text = " ".join(f"Person{i} visited City{i} in Country{i}." for i in range(8))
    for strategy in ("simple", "first", "max"):
        kwargs = {"aggregation_strategy": strategy, "stride": 6}
        assert_same(ours(text, **kwargs), theirs(text, **kwargs))
    with pytest.raises(ValueError, match="stride=N"):
        ours(text)


def test_ignore_labels_must_be_label_names(make_pipelines):
    _, ours = make_pipelines("token-classification")
    with pytest.raises(ValueError, match=r"ignore_labels must be a list of label names, e.g. \['O'\], got 5"):
        ours("Paris is a city", ignore_labels=5)
    # one name alone is a list of it (it was a substring test: "O" in "O")
    assert ours("Paris is a city", ignore_labels="O") == ours("Paris is a city", ignore_labels=["O"])


@pytest.mark.filterwarnings("ignore::UserWarning", "ignore::FutureWarning")
@pytest.mark.parametrize(
    "old", [{"grouped_entities": True}, {"grouped_entities": True, "ignore_subwords": True}]
)
def test_upstreams_deprecated_grouping_arguments_still_work(make_pipelines, old):
    theirs, ours = make_pipelines("token-classification")
    assert_same(ours(TEXTS[0], **old), theirs(TEXTS[0], **old))
