"""bf16 on the CPU (issue 14, item 4): whether this machine multiplies bf16 faster than fp32, and what our
bf16 model and bf16-autocast training steps give against transformers in fp32 and in bf16.

- gemm: the encoder's matrix products at 8x128 rows in fp32 (MKL, oneDNN packed), bf16 (oneDNN) and
  int8 (fbgemm, dynamic quantisation): the ceiling each precision has on this CPU.
- inference: AlbertModel 8x128, ours bf16 (`prepare_for_inference(model, precision="bf16")`) and fp32
  against transformers (SDPA) fp32 and bf16 (`dtype=torch.bfloat16`), all from the same checkpoint.
- training: one optimizer step (forward, backward, AdamW) under bf16 autocast, ours as `albert pretrain`
  / `albert finetune --mixed-precision bf16` run it, against transformers fp32 and under the same
  autocast, and ours in fp32 (the default): AlbertForPreTraining at 8x128 and AlbertForSequenceClassification at 32x64.
- accuracy: fill-mask answers of the built-in model in bf16 against fp32 on 128 SST-2 sentences, both
  with bf16 weights (what `precision="bf16"` gives) and with fp32 weights under bf16 autocast (there the
  matrix products and attention run in bf16, the residual sums and the LayerNorms reading them in fp32).
"""

from __future__ import annotations

import warnings
from functools import partial
from pathlib import Path

import peers
import torch
from common import medians, train_step
from gemm import KINDS, model_gemms
from sections import fill_mask_agreement

from albert.runtime import prepare_for_inference


def bf16_section(d: Path, work: Path, config, repeats: int) -> dict:
    return {
        "gemm": gemm_rates(config, 8 * 128, repeats),
        "inference": inference(d, repeats),
        "training": training(d, repeats),
        "accuracy": {
            "bf16 weights and activations (prepare_for_inference)": fill_mask_agreement(
                partial(prepare_for_inference, precision="bf16")
            ),
            "fp32 weights under torch.autocast(bfloat16)": fill_mask_agreement(
                prepare_for_inference, partial(torch.autocast, "cpu", dtype=torch.bfloat16)
            ),
        },
    }


def gemm_rates(config, rows: int, repeats: int) -> dict:
    """GFLOP/s of the model's matrix products in each precision (per CPU-second and per wall-second)."""
    runs = {kind: model_gemms(config, rows, kind=kind) for kind in KINDS}
    with torch.inference_mode():
        times = medians({k: fn for k, (fn, _) in runs.items()}, repeats)
    flops = runs["fp32"][1]
    return {
        "rows": rows,
        "gflop": flops / 1e9,
        "kernels": {
            k: {**v, "gflops_cpu": flops / v["median_cpu_s"] / 1e9, "gflops": flops / v["median_s"] / 1e9}
            for k, v in times.items()
        },
    }


def inference(d: Path, repeats: int) -> dict:
    ids, mask = peers.fixed_batch(8, 128, "cpu")
    models = {
        "ours bf16": peers.ours("AlbertModel", d, "cpu", precision="bf16"),
        "ours fp32": peers.ours("AlbertModel", d, "cpu"),
        "hf-sdpa fp32": peers.hf("AlbertModel", d, "cpu", "sdpa"),
        "hf-sdpa bf16": peers.hf("AlbertModel", d, "cpu", "sdpa", dtype=torch.bfloat16),
    }
    with torch.inference_mode():
        outs = {k: m(ids, mask).last_hidden_state.float() for k, m in models.items()}
        times = medians({k: partial(m, ids, mask) for k, m in models.items()}, repeats, warmup=0)
    ref = outs["hf-sdpa fp32"]
    return {
        "shape": [8, 128],
        "impls": {
            k: {**times[k], "max_abs_diff_vs_hf_fp32": float((o - ref).abs().max())} for k, o in outs.items()
        },
    }


def training(d: Path, repeats: int) -> dict:
    """One step of pretraining (8x128, MLM + SOP) and of fine-tuning (32x64 sentence classification)."""
    classifier = d.parent / f"{d.name}-classification"  # the checkpoint plus one classifier for all
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the classifier's fresh weights
        torch.manual_seed(0)
        peers.ours("AlbertForSequenceClassification", d, "cpu").save_pretrained(classifier)
    cases = {
        "pretraining step 8x128": ("AlbertForPreTraining", d, peers.pretraining_batch(8, 128, "cpu")),
        "fine-tuning step 32x64": (
            "AlbertForSequenceClassification",
            classifier,
            _classification_batch(32, 64),
        ),
    }
    return {name: _steps(cls, where, batch, repeats) for name, (cls, where, batch) in cases.items()}


def _steps(cls: str, d: Path, batch: dict, repeats: int) -> dict:
    ours = _as_trained(peers.ours(cls, d, "cpu"), cls)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        contestants = {
            "ours bf16 autocast": (ours, torch.bfloat16),
            "ours fp32": (_as_trained(peers.ours(cls, d, "cpu"), cls), None),
            "hf-sdpa fp32": (peers.hf(cls, d, "cpu", "sdpa"), None),
            "hf-sdpa bf16 autocast": (peers.hf(cls, d, "cpu", "sdpa"), torch.bfloat16),
        }
    steps, losses = {}, {}
    for k, (model, dtype) in contestants.items():
        steps[k] = train_step(model.train(), batch, autocast=dtype)
        torch.manual_seed(0)  # dropout: the same masks for every first step
        losses[k] = steps[k]()
    times = medians(steps, repeats, warmup=0)  # the first steps above were the warm-up
    tokens = int(batch["attention_mask"].sum())
    return {
        "model": cls,
        "tokens": tokens,
        "impls": {
            k: {**times[k], "first_loss": losses[k], "tokens_per_s": tokens / times[k]["median_s"]}
            for k in steps
        },
    }


def _as_trained(model, cls: str):
    if cls == "AlbertForPreTraining":
        model.enable_fast_paths(sparse_mlm=True)  # as `albert pretrain` runs it
    return model


def _classification_batch(b: int, t: int, seed: int = 0) -> dict[str, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    ids, mask = peers.fixed_batch(b, t, "cpu", seed)
    return {"input_ids": ids, "attention_mask": mask, "labels": torch.randint(0, 2, (b,), generator=g)}
