"""Fuzz: at least 10,000 generated strings (every Unicode plane, control and format characters, lone
surrogates, 10k-character words, empty strings) through both tokenizers and the fill-mask and
text-classification pipelines: nothing crashes, the fast tokenizer gives the slow one's ids (up to a
documented score tie), and what is not text (a lone surrogate) is a clear error. The count is printed."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from albert.pipelines import PipelineError, pipeline
from albert.tokenizer import AlbertTokenizer
from tests.tokenizer.test_parity import assert_is_score_tie

BATCH, BATCHES = 100, 100  # 10,000 strings

ANY_PLANE = (
    st.integers(0, 16).flatmap(lambda plane: st.integers(plane << 16, (plane << 16) | 0xFFFF)).map(chr)
)
CONTROL = st.characters(categories=["Cc", "Cf", "Zs", "Zl", "Zp", "Mn"])
SURROGATE = st.integers(0xD800, 0xDFFF).map(chr)
WORDS = st.sampled_from(
    ["the", "cat", "Paris", "naïve", "[MASK]", "[SEP]", "<unk>", "``", "''", "92000,", "生活"]
)
CHARACTER = st.one_of(ANY_PLANE, CONTROL, WORDS, st.sampled_from(list(" \t\n\r\x00\u3000\ufeff\u200b")))
TEXT = st.one_of(
    st.lists(CHARACTER, max_size=30).map("".join),
    st.just(""),
    st.builds(
        lambda c, n: c * n, st.sampled_from(["a", "é", "生", "\U0001f600", "x "]), st.integers(5000, 10_000)
    ),
    st.builds(lambda a, s, b: a + s + b, st.text(max_size=8), SURROGATE, st.text(max_size=8)),
)
SHORT = st.lists(CHARACTER, max_size=30).map("".join)
# Each batch: mostly short mixed text (cheap), and a few of the special kinds (long, empty, surrogates).
TEXTS = st.tuples(
    st.lists(SHORT, min_size=BATCH - 6, max_size=BATCH - 6), st.lists(TEXT, min_size=6, max_size=6)
).map(lambda parts: parts[0] + parts[1])


def has_surrogate(text: str) -> bool:
    return any(0xD800 <= ord(c) <= 0xDFFF for c in text)


def check_tokenizers(slow, fast, texts: list[str]) -> None:
    for text in texts:
        if has_surrogate(text):
            for tok in (slow, fast):
                with pytest.raises(ValueError, match="lone surrogate"):
                    tok(text)
            continue
        ids_slow, ids_fast = slow(text)["input_ids"], fast(text)["input_ids"]
        if ids_slow != ids_fast:
            assert_is_score_tie(slow, fast, text, slow._model.scores)


def check_pipeline_results(items: list[str], results: list, allowed_errors: tuple[str, ...]) -> None:
    for item, result in zip(items, results, strict=True):
        if isinstance(result, Exception):
            assert isinstance(result, (PipelineError, ValueError)), (item[:50], repr(result))
            expected = ("lone surrogate",) if has_surrogate(item) else allowed_errors
            assert any(e in str(result) for e in expected), (item[:50], str(result))
        else:
            assert not has_surrogate(item) and isinstance(result, (list, dict)) and result, (
                item[:50],
                result,
            )


def test_fuzz_tokenizers_and_pipelines(model_dirs, tokenizer):
    slow = AlbertTokenizer.from_pretrained(model_dirs["fill-mask"])
    fill = pipeline("fill-mask", model_dirs["fill-mask"], tokenizer, batch_size=16, top_k=2)
    classify = pipeline("text-classification", model_dirs["text-classification"], tokenizer, batch_size=16)
    seen = {"strings": 0, "surrogates": 0, "long": 0, "empty": 0}

    @settings(max_examples=BATCHES, deadline=None, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])  # fmt: skip
    @given(texts=TEXTS, cut=st.integers(0, 40))
    def run(texts: list[str], cut: int) -> None:
        check_tokenizers(slow, tokenizer, texts)
        masked = [t[: cut % (len(t) + 1)] + " [MASK] " + t[cut % (len(t) + 1) :] for t in texts]
        results = list(fill.iter_results(masked, fill.params({"truncation": True}), return_errors=True))
        check_pipeline_results(masked, results, ("removed every mask token",))
        results = list(
            classify.iter_results(texts, classify.params({"truncation": True}), return_errors=True)
        )
        check_pipeline_results(texts, results, ())
        seen["strings"] += len(texts)
        seen["surrogates"] += sum(map(has_surrogate, texts))
        seen["long"] += sum(len(t) >= 5000 for t in texts)
        seen["empty"] += texts.count("")

    run()
    print(f"\nfuzz: {seen['strings']} strings through both tokenizers, fill-mask and text-classification "
          f"({seen['surrogates']} with lone surrogates, {seen['long']} of 5,000-10,000 characters, {seen['empty']} empty)")  # fmt: skip
    assert seen["strings"] >= 10_000 and min(seen.values()) > 0
