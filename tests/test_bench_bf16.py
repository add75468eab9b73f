"""bench/run.py's bf16 section (bench/bf16_section.py) and the GEMM kernels it compares (bench/gemm.py), run
on a tiny model with one repeat: every contestant is measured and starts from the same weights (the same
first loss, close outputs), and each precision's matrix products compute the fp32 ones, approximately.
The timings of such a run mean nothing and are not checked."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

import bf16_section  # noqa: E402
import gemm  # noqa: E402

import albert  # noqa: E402
from albert.config import AlbertConfig  # noqa: E402
from tests.conftest import tiny_kwargs  # noqa: E402


@pytest.fixture(scope="module")
def tiny_checkpoint(tmp_path_factory) -> Path:
    # the bench's inputs draw ids below 30000 and run 128 positions
    d = tmp_path_factory.mktemp("bench-bf16")
    torch.manual_seed(0)
    albert.AlbertForPreTraining(
        AlbertConfig(**tiny_kwargs(vocab_size=30000, max_position_embeddings=128))
    ).save_pretrained(d)
    return d


def test_inference_measures_every_contestant(tiny_checkpoint):
    r = bf16_section.inference(tiny_checkpoint, repeats=1)
    impls = r["impls"]
    assert set(impls) == {"ours bf16", "ours fp32", "hf-sdpa fp32", "hf-sdpa bf16"}
    assert all(v["median_s"] > 0 and len(v["samples_s"]) == 1 for v in impls.values())
    assert impls["hf-sdpa fp32"]["max_abs_diff_vs_hf_fp32"] == 0
    assert impls["ours fp32"]["max_abs_diff_vs_hf_fp32"] < 1e-5
    assert 0 < impls["ours bf16"]["max_abs_diff_vs_hf_fp32"] < 0.1  # really bf16, and close


def test_training_steps_start_from_the_same_loss(tiny_checkpoint):
    r = bf16_section.training(tiny_checkpoint, repeats=1)
    assert set(r) == {"pretraining step 8x128", "fine-tuning step 32x64"}
    for case in r.values():
        losses = {k: v["first_loss"] for k, v in case["impls"].items()}
        assert set(losses) == {"ours bf16 autocast", "ours fp32", "hf-sdpa fp32", "hf-sdpa bf16 autocast"}
        assert losses["ours fp32"] == pytest.approx(losses["hf-sdpa fp32"], abs=1e-5)
        assert all(v == pytest.approx(losses["hf-sdpa fp32"], abs=0.05) for v in losses.values())
        assert all(v["tokens_per_s"] > 0 for v in case["impls"].values())


@pytest.mark.parametrize("kind", gemm.KINDS)
def test_each_precisions_matrix_products_run(kind, monkeypatch):
    config = AlbertConfig(**tiny_kwargs())
    seen = []
    monkeypatch.setattr(gemm.onednn, "linear", lambda layer, x, packed: seen.append(layer(x).float()))
    run, flops = gemm.model_gemms(config, 6, kind=kind)
    run()
    assert len(seen) == 1 + 4 * config.num_hidden_layers
    assert flops == gemm.gemm_flops(config, 6)
    fp32 = []
    monkeypatch.setattr(gemm.onednn, "linear", lambda layer, x, packed: fp32.append(layer(x).float()))
    gemm.model_gemms(config, 6, kind="fp32")[0]()
    assert all(
        torch.allclose(a, b, atol=0.02) for a, b in zip(seen, fp32)
    )  # the same products, approximately


def test_unknown_kind_is_named():
    with pytest.raises(ValueError, match="'fp8'.*fp32, fp32-packed, bf16, int8"):
        gemm.model_gemms(AlbertConfig(**tiny_kwargs()), 4, kind="fp8")
