"""The inference modes (`prepare_for_inference`) and the ONNX Runtime path against our torch model."""

from __future__ import annotations

import warnings

import pytest
import torch

import albert
from albert.config import AlbertConfig
from albert.runtime import prepare_for_inference
from tests.conftest import MODEL_CLASSES, tiny_kwargs

CLASSES = MODEL_CLASSES


def build(cls: str) -> torch.nn.Module:
    kwargs = tiny_kwargs(num_labels=2)
    return getattr(albert, cls)(AlbertConfig(**kwargs)).eval()


def inputs_for(cls: str, batch: int = 3, seq: int = 7) -> dict:
    shape = (batch, 2, seq) if cls == "AlbertForMultipleChoice" else (batch, seq)
    g = torch.Generator().manual_seed(0)
    ids = torch.randint(5, 99, shape, generator=g)
    mask = torch.ones(shape, dtype=torch.long)
    mask[1, ..., -3:] = 0
    return dict(input_ids=ids, attention_mask=mask)


def relative_error(got: torch.Tensor, expected: torch.Tensor) -> float:
    """||got - expected|| / ||expected|| (Frobenius)."""
    return ((got - expected).norm() / expected.norm()).item()


def test_fp32_mode_matches_the_reference() -> None:
    model = build("AlbertForMaskedLM")
    inputs = inputs_for("AlbertForMaskedLM")
    with torch.no_grad():
        expected = model(**inputs).logits
        fast = prepare_for_inference(model, precision="fp32")
        got = fast(**inputs).logits
    keep = inputs["attention_mask"].bool()
    assert fast.fast_paths.unpad and fast.fast_paths.fused_gelu and not fast.training
    torch.testing.assert_close(got[keep], expected[keep], atol=1e-5, rtol=0)


@pytest.mark.parametrize("precision", ["bf16", "int8"])
def test_reduced_precision_modes_are_close(precision: str) -> None:
    model = build("AlbertForMaskedLM")
    inputs = inputs_for("AlbertForMaskedLM")
    keep = inputs["attention_mask"].bool()
    with torch.no_grad():
        expected = model(**inputs).logits[keep]
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # nothing for the user to act on (torch's own deprecations)
            reduced = prepare_for_inference(model, precision=precision)
        got = reduced(**inputs).logits[keep].float()
    # Approximate by design (the bench measures the real cost), so the checks are relative to the signal
    # (logits here have a standard deviation of ~0.06): measured 0.7% (bf16) and 1.3% (int8) error.
    assert relative_error(got, expected) < 0.05
    assert (got.argmax(-1) == expected.argmax(-1)).float().mean() >= 0.9  # the same top prediction
    top5 = expected.topk(5, dim=-1).indices
    assert (top5 == got.argmax(-1, keepdim=True)).any(-1).all()  # and never outside the reference's top 5
    if precision == "int8":
        assert reduced is not model  # a quantised copy; the fp32 model is untouched
        qkv = reduced.backbone.encoder.groups[0].layers[0].attention.qkv
        assert "quantized.dynamic" in type(qkv).__module__
        assert isinstance(reduced.mlm_head.decoder, torch.nn.Linear)  # heads stay fp32


def test_unknown_precision_is_rejected() -> None:
    with pytest.raises(ValueError, match="precision"):
        prepare_for_inference(build("AlbertModel"), precision="fp8")


@pytest.mark.parametrize("cls", CLASSES)
def test_onnx_export_round_trip(cls: str, tmp_path) -> None:
    from albert.runtime import export_onnx, load_onnx

    model = build(cls)
    model.enable_fast_paths()  # export must trace the padded path whatever the model's settings
    path = export_onnx(model, tmp_path / "model.onnx")
    assert model.fast_paths.unpad  # restored after the export
    runner = load_onnx(tmp_path)
    inputs = inputs_for(cls, batch=2, seq=11)  # other shapes than the traced example: dynamic axes
    with torch.no_grad():
        expected = model.enable_fast_paths(unpad=False)(**inputs)
    got = runner(**inputs)
    assert type(got) is type(expected) and runner.model_class == cls and path.name == "model.onnx"
    for field in runner.fields:
        torch.testing.assert_close(getattr(got, field), getattr(expected, field), atol=1e-5, rtol=0)


def test_onnx_int8_runs(tmp_path) -> None:
    from albert.runtime import export_onnx, load_onnx

    model = build("AlbertModel")
    runner = load_onnx(export_onnx(model, tmp_path / "int8.onnx", precision="int8"))
    inputs = inputs_for("AlbertModel")
    keep = inputs["attention_mask"].bool()
    with torch.no_grad():
        expected = model(**inputs).last_hidden_state[keep]
    got = runner(**inputs).last_hidden_state[keep]
    # Hidden states have a standard deviation of ~1; measured: 1.8% relative error, cosine >= 0.9988.
    assert relative_error(got, expected) < 0.05
    assert torch.nn.functional.cosine_similarity(got, expected, dim=-1).min() > 0.99


def test_load_onnx_reports_a_missing_file(tmp_path) -> None:
    from albert.runtime import load_onnx

    with pytest.raises(FileNotFoundError, match="export_onnx"):
        load_onnx(tmp_path)


@pytest.mark.parametrize("cls", ["AlbertForMaskedLM", "AlbertForMultipleChoice"])
def test_onnx_runner_checks_inputs_as_the_model_does(cls: str, tmp_path) -> None:
    """Out-of-range ids, float ids, a mask of another shape, too many positions: the model's ValueErrors,
    not ONNX Runtime's (or, for float ids, silently truncated ids). A directory is exported to model.onnx."""
    from albert.runtime import export_onnx, load_onnx

    assert export_onnx(build(cls), tmp_path) == tmp_path / "model.onnx"
    runner = load_onnx(tmp_path)
    good = inputs_for(cls, batch=2, seq=5)
    ids, mask = good["input_ids"], good["attention_mask"]
    bad = [
        (dict(input_ids=ids.clone().index_fill_(-1, torch.tensor([0]), 300)), "input_ids contains 300"),
        (dict(input_ids=ids.float()), "integer token ids"),
        (dict(input_ids=ids, attention_mask=mask[..., :-1]), "attention_mask has shape"),
        (
            dict(input_ids=torch.ones(*ids.shape[:-1], 40, dtype=torch.long)),
            "exceeds max_position_embeddings",
        ),
        (dict(input_ids=ids[0]), "input_ids must have shape"),  # one rank short
    ]
    for kwargs, message in bad:
        with pytest.raises(ValueError, match=message):
            runner(**kwargs)
    assert runner(**good).logits.shape[0] == 2


def test_load_onnx_names_a_file_that_is_not_onnx(tmp_path) -> None:
    from albert.runtime import load_onnx

    (tmp_path / "model.onnx").write_text("not a model")
    with pytest.raises(ValueError, match="model.onnx is not an ONNX model ONNX Runtime can load"):
        load_onnx(tmp_path)
