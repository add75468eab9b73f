"""Batching: length-grouped batches, results in input order, streaming, per-item errors, device/dtype."""

from __future__ import annotations

import pytest
import torch

from albert.checkpoint import resolve_dtype
from albert.pipelines import PipelineError, pipeline
from albert.pipelines.base import resolve_device
from tests.pipelines.tiny_models import assert_same

TEXTS = [("word " * n).strip() + " [MASK]." for n in (30, 1, 12, 2, 40, 5, 1, 25, 3)]


def assert_close(results: list, expected: list) -> None:
    """The same fill-mask predictions (tokens, sequences), scores within 1e-5 (batch shapes change the
    float rounding)."""
    assert len(results) == len(expected)
    for a, b in zip(results, expected):
        assert [(p["token"], p["sequence"]) for p in a] == [(p["token"], p["sequence"]) for p in b]
        assert [p["score"] for p in a] == pytest.approx([p["score"] for p in b], abs=1e-5)


@pytest.mark.parametrize("batch_size", [1, 3, 16])
def test_results_come_back_in_input_order(model_dirs, tokenizer, batch_size):
    fill = pipeline("fill-mask", model_dirs["fill-mask"], tokenizer, batch_size=batch_size, top_k=2)
    assert_close(fill(TEXTS), [fill(t) for t in TEXTS])


def test_batch_size_of_a_call_overrides_the_pipelines(model_dirs, tokenizer):
    fill = pipeline("fill-mask", model_dirs["fill-mask"], tokenizer, batch_size=16, top_k=2)
    sizes = []
    forward = fill.forward
    fill.forward = lambda batch, rows: sizes.append(len(rows)) or forward(batch, rows)
    expected = fill(TEXTS)
    assert sizes == [len(TEXTS)]
    sizes.clear()
    assert_close(fill(TEXTS, batch_size=4), expected)
    assert sizes == [4, 4, 1] and fill.batch_size == 16  # only that call
    sizes.clear()
    assert_close(list(fill(iter(TEXTS), batch_size=3)), expected)
    assert sizes == [3, 3, 3]
    for bad in (0, -2, "8", 2.0, True):
        with pytest.raises(ValueError, match=f"batch_size must be an int >= 1, got {bad!r}"):
            fill(TEXTS, batch_size=bad)
    with pytest.raises(ValueError, match="num_workers must be an int >= 0, got -1"):
        fill(TEXTS, num_workers=-1)
    assert_close(fill(TEXTS, num_workers=4), expected)  # upstream's DataLoader workers: accepted, no effect
    with pytest.raises(ValueError, match="batch_size must be an int >= 1, got 0"):
        pipeline("fill-mask", model_dirs["fill-mask"], tokenizer, batch_size=0)


def test_generators_are_streamed_window_by_window(model_dirs, tokenizer, monkeypatch):
    import albert.pipelines.base as base

    monkeypatch.setattr(base, "WINDOW_BATCHES", 1)
    fill = pipeline("fill-mask", model_dirs["fill-mask"], tokenizer, batch_size=2)
    pulled = []

    def source():
        for t in TEXTS:
            pulled.append(t)
            yield t

    results = fill(source())
    assert pulled == []  # nothing read until asked
    first = next(results)
    assert len(pulled) == 2 and first[0]["sequence"].startswith("word")  # one window = 2 items
    assert len(list(results)) == len(TEXTS) - 1


def test_per_item_errors_can_be_returned(model_dirs, tokenizer):
    fill = pipeline("fill-mask", model_dirs["fill-mask"], tokenizer, batch_size=4)
    results = list(fill.iter_results(["a [MASK]", "no mask", 42, "b [MASK]"], return_errors=True))
    assert isinstance(results[1], PipelineError) and isinstance(results[2], PipelineError)
    assert results[0][0]["sequence"].startswith("a") and results[3][0]["sequence"].startswith("b")
    with pytest.raises(PipelineError):
        fill(["a [MASK]", "no mask"])


def test_device_and_dtype_resolution():
    assert resolve_device(None) == torch.device("cpu")
    assert resolve_device(-1) == torch.device("cpu")
    assert resolve_device("cpu") == torch.device("cpu")
    assert resolve_dtype("auto", torch.float16) is torch.float16  # the stored dtype
    assert resolve_dtype("bf16") is torch.bfloat16
    assert resolve_dtype(None) is None
    with pytest.raises(ValueError, match="dtype"):
        resolve_dtype("float8")
    with pytest.raises(ValueError, match="device"):
        resolve_device("toaster")
    if not torch.cuda.is_available():
        with pytest.raises(ValueError, match="CUDA is not available"):
            resolve_device("cuda:0")


def test_dtype_is_applied(model_dirs, tokenizer):
    fill = pipeline("fill-mask", model_dirs["fill-mask"], tokenizer, dtype="bfloat16")
    assert fill.dtype is torch.bfloat16
    reference = pipeline("fill-mask", model_dirs["fill-mask"], tokenizer, dtype="auto")
    assert reference.dtype is torch.float32  # auto = as stored
    text = "The capital of France is [MASK]."
    assert fill(text)[0]["score"] == pytest.approx(reference(text)[0]["score"], rel=0.1)


def test_a_map_style_dataset_streams_as_with_transformers(make_pipelines):
    """transformers' `for out in pipe(KeyDataset(dataset, "text"))`: a torch map-style dataset is read item by
    item and answered as a generator, with transformers' answers."""
    from torch.utils.data import Dataset
    from transformers.pipelines.pt_utils import KeyDataset

    class Rows(Dataset):
        def __init__(self, texts: list[str]) -> None:
            self.rows = [{"text": t} for t in texts]

        def __len__(self) -> int:
            return len(self.rows)

        def __getitem__(self, i: int) -> dict:
            return self.rows[i]

    theirs, ours = make_pipelines("fill-mask")
    texts = ["a [MASK] b", "hello [MASK] world", "x [MASK]"]
    outputs = ours(KeyDataset(Rows(texts), "text"), top_k=2)
    assert not isinstance(outputs, list)
    for actual, expected in zip(list(outputs), theirs(KeyDataset(Rows(texts), "text"), top_k=2), strict=True):
        assert_same(actual, expected)
