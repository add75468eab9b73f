"""The performance measurements of docs/performance.md, one section per invocation, each written to
results/bench/<section>.json (CPU model and flags, versions, threads, load average before and after).

    python bench/run.py inference varlen [--threads 1] [--repeats 5]
    python bench/run.py --device cuda [--repeats 20] [--out DIR]   # the `cuda` section, on a GPU
    python tools/perf_table.py           # the docs tables, rendered from those files

Sections: inference (8x128 fixed shape), varlen (32 sentences of 16..256 tokens), short (one
sentence; 16 short ones), attention (the
variable-length attention kernels), pipeline (fill-mask on 128 SST-2 sentences), pretraining (one
MLM + SOP step), int8 (dynamic quantisation: speed, and accuracy on real text), bf16 (bf16 inference and
autocast training steps against transformers fp32 and bf16: `bf16_section.py`), compile (torch.compile).
These run on the CPU. `cuda` (`gpu_section.py`: fp16/bf16 16x512, a variable-length batch, a pretraining
step, the GPU's matmul rate and MFU) runs on a CUDA GPU: `--device cuda` alone runs it, and so does
naming it (`python bench/run.py cuda`); it cannot be mixed with the CPU sections in one invocation.

albert-base shapes with random weights (seed 0) saved once and loaded by every contestant (`peers.py`),
so all share every weight and input; the pipeline and int8-accuracy sections use the built-in model on
real text instead. Contestants are timed in interleaved rounds (the load of other processes hits them
alike) and each keeps its median. Every throughput section also times the model's own matrix products
alone on the same rows ("gemm"), which gives the fp32 GEMM limit of this machine for this model:
limit tokens/s = GEMM FLOP/s / model FLOPs per token; `fraction` = tokens/s / limit.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import tempfile
import time
import warnings
from functools import partial
from pathlib import Path

import torch

# transformers' torch models only: with TensorFlow installed, loading one imports it (~10 s on 2 cores)
os.environ.setdefault("USE_TF", "0")
os.environ.setdefault("USE_FLAX", "0")
sys.path.insert(0, str(Path(__file__).resolve().parent))
import peers  # noqa: E402
from bf16_section import bf16_section  # noqa: E402
from common import RESULTS_DIR, medians, peak_memory_mib, train_step, write_result  # noqa: E402
from gemm import fastest_gemm, gemm_flops, gemm_kernels, limit, model_gemms  # noqa: E402
from gpu_section import cuda_section  # noqa: E402
from gpu_section import save_checkpoint as save_gpu_checkpoint  # noqa: E402
from sections import attention_section, compile_section, int8_section, pipeline_section  # noqa: E402


def contest(calls: dict, ids, mask, config, lengths: list[int], repeats: int) -> dict:
    """Time `calls` (each maps (ids, mask) to hidden states) and the GEMM limit, interleaved."""
    with torch.inference_mode():
        outs = {k: f(ids, mask) for k, f in calls.items()}
        keep = mask.bool()
        ref = outs["hf-sdpa"]
        diffs = {k: float((o - ref)[keep].abs().max()) for k, o in outs.items()}
        kernels = gemm_kernels(config, sum(lengths))
        for run in kernels.values():
            run()  # warm-up (and, for oneDNN, the packing)
        flops = gemm_flops(config, sum(lengths))
        fns = {k: partial(f, ids, mask) for k, f in calls.items()} | kernels
        times = medians(fns, repeats, warmup=0)  # the calls above were the warm-up
    gemms = {k: times.pop(k) for k in kernels}
    gemm = fastest_gemm(gemms)
    lim = limit(config, flops, gemm["median_s"], lengths)
    useful = sum(lengths)
    per = {
        k: {
            **times[k],
            "tokens_per_s": useful / times[k]["median_s"],
            "fraction_of_limit": useful / times[k]["median_s"] / lim["limit_tokens_per_s"],
            "max_abs_diff_vs_hf_sdpa": diffs[k],
        }
        for k in calls
    }
    return {
        "tokens": useful,
        "padded_tokens": ids.numel(),
        "limit": lim,
        "gemm": gemm,
        "gemm_kernels": gemms,
        "impls": per,
    }


def encoders(d: Path, work: Path, with_onnx: bool) -> dict:
    calls = {
        "ours": _hidden(peers.ours("AlbertModel", d, "cpu")),
        # as the pipelines run it: also the matrix products on oneDNN-packed weights
        "ours-packed": _hidden(peers.ours("AlbertModel", d, "cpu").enable_fast_paths(packed_linear=True)),
        "hf-sdpa": _hidden(peers.hf("AlbertModel", d, "cpu", "sdpa")),
    }
    if with_onnx:
        calls["ort"] = peers.hf_onnx(d, work)
        ours_onnx = peers.ours_onnx(d, work)
        calls["ours-onnx"] = lambda ids, mask: ours_onnx(ids, mask).last_hidden_state
    return calls


def _hidden(model):
    return lambda ids, mask: model(ids, mask).last_hidden_state


def inference(d: Path, work: Path, config, repeats: int) -> dict:
    b, t = 8, 128
    ids, mask = peers.fixed_batch(b, t, "cpu")
    return {"shape": [b, t], **contest(encoders(d, work, True), ids, mask, config, [t] * b, repeats)}


def large(d: Path, work: Path, config, repeats: int) -> dict:
    """A large batch without padding, 32x256: on a CPU ours runs it on the padded path in slices along
    the batch (`unpad.encode_padded`), so that no activation outgrows the allocator's cached sizes."""
    b, t = 32, 256
    ids, mask = peers.fixed_batch(b, t, "cpu")
    return {"shape": [b, t], **contest(encoders(d, work, False), ids, mask, config, [t] * b, repeats)}


def varlen(d: Path, work: Path, config, repeats: int) -> dict:
    ids, mask, _ = peers.varlen_batch(32, 16, 256, "cpu")
    lengths = mask.sum(1).tolist()
    return {
        "sentences": 32,
        "lengths": "16..256",
        **contest(encoders(d, work, False), ids, mask, config, lengths, repeats),
    }


def short(d: Path, work: Path, config, repeats: int) -> dict:
    """Short inputs as a server or an interactive pipeline sees them: one 25-token sentence, and 16
    sentences of 8..40 tokens (where MKL's kernel is least efficient and packed weights pay most)."""
    calls = encoders(d, work, False)
    one_ids, one_mask = peers.fixed_batch(1, 25, "cpu")
    few_ids, few_mask, _ = peers.varlen_batch(16, 8, 40, "cpu")
    return {
        "one sentence, 25 tokens": contest(calls, one_ids, one_mask, config, [25], repeats * 5),
        "16 sentences, 8..40 tokens": contest(
            calls, few_ids, few_mask, config, few_mask.sum(1).tolist(), repeats * 2
        ),
    }


def pretraining(d: Path, work: Path, config, repeats: int, b: int = 8, t: int = 128) -> dict:
    batch = peers.pretraining_batch(b, t, "cpu")
    # ours as `albert pretrain` runs it: the defaults plus MLM logits at the predicted positions only
    ours = peers.ours("AlbertForPreTraining", d, "cpu").enable_fast_paths(sparse_mlm=True)
    models = {"ours": ours, "hf-sdpa": peers.hf("AlbertForPreTraining", d, "cpu", "sdpa")}
    steps, losses = {}, {}
    for k, m in models.items():
        steps[k] = train_step(m.train(), batch)
        torch.manual_seed(0)  # the SOP head's dropout: the same mask for both first steps
        losses[k] = steps[k]()
    gemm, flops = model_gemms(config, b * t)
    times = medians(steps | {"gemm": lambda: [gemm() for _ in range(3)]}, repeats, warmup=0)
    mem = {k: peak_memory_mib(s, "cpu") for k, s in steps.items()}
    lim = limit(config, 3 * flops, times["gemm"]["median_s"], [t] * b)  # forward + 2x backward
    lim["limit_tokens_per_s"] /= 3  # a step costs 3x the forward FLOPs
    per = {
        k: {
            **times[k],
            "tokens_per_s": b * t / times[k]["median_s"],
            "peak_mib": mem[k],
            "first_loss": losses[k],
        }
        for k in steps
    }
    for v in per.values():
        v["fraction_of_limit"] = v["tokens_per_s"] / lim["limit_tokens_per_s"]
    return {"shape": [b, t], "limit": lim, "gemm": times["gemm"], "impls": per}


SECTIONS = {
    "inference": inference,
    "large": large,
    "varlen": varlen,
    "short": short,
    "pretraining": pretraining,
    "attention": attention_section,
    "pipeline": pipeline_section,
    "int8": int8_section,
    "bf16": bf16_section,
    "compile": compile_section,
}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument(
        "sections", nargs="*", help=f"any of {', '.join(SECTIONS)}, all (these on the CPU), or cuda"
    )
    p.add_argument("--device", choices=["cpu", "cuda"], help="cuda: run the cuda section (the default then)")
    p.add_argument("--threads", type=int, default=1, help="intra-op threads of torch and ONNX Runtime")
    p.add_argument("--repeats", type=int, help="timed rounds per contestant, median kept (5; cuda: 20)")
    p.add_argument(
        "--out", "--results-dir", type=Path, default=RESULTS_DIR, help="where the <section>.json files go"
    )
    # tests: `--shapes tiny` runs the cuda section's code with a tiny model (on the CPU too)
    p.add_argument("--shapes", choices=["full", "tiny"], default="full", help=argparse.SUPPRESS)
    args = p.parse_args()
    warnings.filterwarnings("ignore")
    logging.disable(logging.WARNING)  # the peers' loading notices
    peers.set_threads(args.threads)
    if args.device == "cuda" or "cuda" in args.sections or args.shapes == "tiny":
        run_cuda(p, args)
        return
    unknown = [s for s in args.sections if s not in [*SECTIONS, "all"]]
    if unknown or not args.sections:
        p.error(f"sections {unknown or '(none)'}: name some of {', '.join(SECTIONS)}, all, or cuda")
    names = list(SECTIONS) if "all" in args.sections else args.sections
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        config = peers.save_checkpoint(work / "model")
        for name in names:
            started = time.perf_counter()
            fn = partial(SECTIONS[name], work / "model", work, config, args.repeats or 5)
            record = write_result(name, fn, args.out)
            print(f"{name}: {time.perf_counter() - started:.0f} s, load {record['load_before']} -> "
                  f"{record['load_after']}, wrote {args.out / (name + '.json')}", flush=True)  # fmt: skip


def run_cuda(p: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    """The cuda section alone; `--shapes tiny` (tests) runs it with a tiny model, on the CPU too."""
    others = [s for s in args.sections if s != "cuda"]
    if others:
        p.error(f"{others}: the cuda section runs alone; run the CPU sections without --device cuda")
    device = args.device or "cuda"
    if device == "cpu" and args.shapes != "tiny":
        p.error("the cuda section measures a GPU: run it with --device cuda")
    if device == "cuda" and not torch.cuda.is_available():
        p.error("--device cuda: torch sees no CUDA GPU here (torch.cuda.is_available() is False)")
    name = "cuda" if args.shapes == "full" else "cuda-tiny"  # a test run never writes cuda.json
    with tempfile.TemporaryDirectory() as tmp:
        config = save_gpu_checkpoint(Path(tmp) / "model", args.shapes)
        fn = partial(cuda_section, Path(tmp) / "model", config, args.repeats or 20, device, args.shapes)
        write_result(name, fn, args.out)
    print(f"wrote {args.out / (name + '.json')}", flush=True)


if __name__ == "__main__":
    main()
