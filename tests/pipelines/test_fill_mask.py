"""fill-mask: same predictions as transformers' FillMaskPipeline (top_k, targets, several masks, lists)."""

from __future__ import annotations

import pytest

from albert.pipelines import PipelineError
from tests.pipelines.tiny_models import assert_same

CASES = [
    ("The capital of France is [MASK].", {}),
    ("The capital of France is [MASK].", {"top_k": 12}),
    ("[MASK] is a [MASK] city in [MASK].", {"top_k": 3}),
    (["a [MASK] b", "hello [MASK] world, how are you doing today?", "x [MASK] [MASK]"], {"top_k": 2}),
    (["only one [MASK] in a list"], {}),
    ("paris is [MASK]", {"targets": ["▁paris", "london", "▁the"]}),
    ("paris is [MASK] and [MASK]", {"targets": "▁rome", "top_k": 4}),
    # transformers' call arguments for batching: same results, whatever the batch
    (["a [MASK] b", "hello [MASK] world, how are you?", "x [MASK]"], {"top_k": 2, "batch_size": 2}),
    (["a [MASK] b", "x [MASK]"], {"batch_size": 1, "num_workers": 0}),
    # transformers' tokenizer_kwargs: the mask survives a cut to 8 tokens
    (
        "one [MASK] three four five six seven eight nine ten",
        {"tokenizer_kwargs": {"truncation": True, "max_length": 8}},
    ),
]


@pytest.mark.parametrize(("inputs", "kwargs"), CASES)
def test_matches_transformers(make_pipelines, inputs, kwargs):
    theirs, ours = make_pipelines("fill-mask")
    assert_same(ours(inputs, **kwargs), theirs(inputs, **kwargs))


def test_defaults_given_at_construction(model_dirs, tokenizer, make_pipelines):
    from albert.pipelines import pipeline

    theirs, _ = make_pipelines("fill-mask")
    ours = pipeline("fill-mask", model_dirs["fill-mask"], tokenizer, top_k=2, batch_size=1)
    text = "The [MASK] sat on the mat."
    assert_same(ours(text), theirs(text, top_k=2))
    assert len(ours(text, top_k=4)) == 4  # call arguments override construction defaults


def test_errors(make_pipelines):
    _, ours = make_pipelines("fill-mask")
    with pytest.raises(PipelineError, match=r"no mask token \(\[MASK\]\)"):
        ours("nothing to fill")
    with pytest.raises(ValueError, match="top_k"):
        ours("a [MASK]", top_k=0)
    with pytest.raises(TypeError, match="unexpected arguments: colour"):
        ours("a [MASK]", colour="red")
    with pytest.raises(TypeError, match="cannot take inputs of type bytes"):  # not a stream of items
        ours(b"a [MASK]")


def test_parameter_mistakes_name_the_parameter(make_pipelines):
    # these reached torch or Python internals ("topk(): argument 'k' must be int, not bool",
    # "'int' object is not iterable", "dictionary update sequence element #0 ...")
    theirs, ours = make_pipelines("fill-mask")
    for params, message in (
        ({"top_k": True}, "top_k must be an int >= 1, got True"),
        ({"top_k": 2.0}, "top_k must be an int >= 1, got 2.0"),
        ({"targets": 5}, "targets must be a str or a list of str, got 5"),
        ({"targets": ["paris", 5]}, "targets must be a str or a list of str"),
        ({"tokenizer_kwargs": "x"}, "tokenizer_kwargs must be a dict of tokenizer arguments"),
    ):
        with pytest.raises(ValueError, match=message):
            ours("a [MASK]", **params)
    with pytest.raises(PipelineError, match="unexpected keys: text_pair"):  # not silently dropped
        ours({"text": "a [MASK]", "text_pair": "b"})
    with pytest.raises(PipelineError, match='"text" must be a string, got int'):
        ours({"text": 5})
    # top_k=None is the default, as upstream
    assert_same(ours("The [MASK] sat.", top_k=None), theirs("The [MASK] sat.", top_k=None))


def test_a_top_k_beyond_the_vocabulary_gives_all_of_it(make_pipelines):
    """transformers raises torch's "selected index k out of range" there (with targets it clamps)."""
    _, ours = make_pipelines("fill-mask")
    vocabulary = ours.model.config.vocab_size
    proposals = ours("a [MASK]", top_k=vocabulary + 100)
    assert len(proposals) == vocabulary and len({p["token"] for p in proposals}) == vocabulary


def test_too_long_input_needs_truncation(make_pipelines):
    _, ours = make_pipelines("fill-mask")
    text = "[MASK] " + "word " * 600
    with pytest.raises(PipelineError, match="at most 512"):
        ours(text)
    assert len(ours(text, truncation=True)) == 5


def test_truncation_that_removes_every_mask_says_so(make_pipelines):
    _, ours = make_pipelines("fill-mask")
    text = "word " * 600 + "[MASK]"
    with pytest.raises(
        PipelineError, match=r"truncation to 512 tokens removed every mask token \(\[MASK\]\)"
    ):
        ours(text, truncation=True)
    with pytest.raises(PipelineError, match="at most 512"):
        ours(text)
