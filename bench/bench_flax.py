"""Flax (jax.jit) against our torch model on CPU, albert-base-v2 shapes, random weights (seed 0), fp32.

    python bench/bench_flax.py [--threads 2] [--rounds 2] [--json results/bench/flax-cpu.json]

Contestants, from one checkpoint: `torch` (our `AlbertModel` with `prepare_for_inference`: SDPA, fused
GELU and padding removal, as `ours` in bench/run.py) and `flax-jit`
(`FlaxAlbertModel` under `jax.jit`, with matmuls at "highest" precision; compiled once per input shape,
the compile time is reported apart). Inputs: 8 x 128 with no padding, and the 32-sentence batch of
bench/run.py (lengths uniform in 16..256, seed 0, right-padded). Times are the best of `--rounds`
interleaved rounds; tokens/s counts real tokens. A run takes a few minutes on 2 idle cores (the
JSON is rewritten after each batch).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import tempfile
import time
import warnings
from functools import partial
from pathlib import Path


def _xla_threads(threads: int) -> None:  # before jax starts its CPU backend
    flags = "--xla_cpu_multi_thread_eigen=" + ("true" if threads > 1 else "false")
    os.environ["XLA_FLAGS"] = f"{flags} intra_op_parallelism_threads={threads}"


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--threads", type=int, default=2, help="intra-op threads of torch and XLA")
    p.add_argument("--rounds", type=int, default=2)
    p.add_argument("--json", type=Path, default=None, help="also write the results here")
    args = p.parse_args()
    _xla_threads(args.threads)
    import jax
    import numpy as np
    import torch

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import peers
    from common import Race, machine_info, table

    import albert

    jax.config.update("jax_default_matmul_precision", "highest")
    warnings.filterwarnings("ignore")
    logging.disable(logging.WARNING)
    peers.set_threads(args.threads)
    info = {**machine_info("cpu"), "jax": jax.__version__, "xla_threads": str(args.threads)}
    print("# Flax-jit vs torch, CPU\n\ncommand: python bench/bench_flax.py " + " ".join(sys.argv[1:]))
    print(", ".join(f"{k}: {v}" for k, v in info.items()) + "\n")
    started = time.perf_counter()
    results: dict[str, dict] = {}
    with tempfile.TemporaryDirectory() as tmp:
        peers.save_checkpoint(Path(tmp))
        fast = peers.ours("AlbertModel", Path(tmp), "cpu")
        flax_model = albert.FlaxAlbertModel.from_pretrained(tmp)
    encode = jax.jit(
        lambda params, ids, mask: flax_model(ids, attention_mask=mask, params=params).last_hidden_state
    )

    def flax_call(ids, mask):
        return np.asarray(encode(flax_model.params, ids.numpy(), mask.numpy()))  # waits for the result

    calls = {
        "torch": lambda ids, mask: fast(ids, mask).last_hidden_state.numpy(),
        "flax-jit": flax_call,
    }
    ids, mask = peers.fixed_batch(8, 128, "cpu")
    cases = {"8x128": (ids, mask, 8 * 128)}
    ids, mask, useful = peers.varlen_batch(32, 16, 256, "cpu")
    cases[f"32 x 16..256 (padded to {ids.shape[1]})"] = (ids, mask, useful)
    rows = []
    for label, (ids, mask, useful) in cases.items():
        with torch.inference_mode():
            start = time.perf_counter()
            outs = {"flax-jit": calls["flax-jit"](ids, mask)}  # first call: compile + run
            compile_s = time.perf_counter() - start
            outs.update({k: f(ids, mask) for k, f in calls.items() if k != "flax-jit"})
            keep = mask.bool().numpy()
            diffs = {k: float(np.abs(o - outs["torch"])[keep].max()) for k, o in outs.items()}
            best = Race("cpu", args.rounds).run(
                {k: partial(f, ids, mask) for k, f in calls.items()}, warmup=0
            )
        results[label] = {
            "seconds": best, "tokens": useful, "tokens_per_s": {k: useful / s for k, s in best.items()},
            "flax_first_call_seconds": compile_s, "max_abs_diff_vs_torch": diffs,
        }  # fmt: skip
        rows += [
            [label, k, s * 1e3, useful / s, diffs[k], f"x{s / best['flax-jit']:.2f}"] for k, s in best.items()
        ]
        if args.json:  # after each batch, so that a long run leaves what it measured
            _write(args.json, info, results)
    print(table(["batch", "impl", "ms", "real tok/s", "max abs diff vs torch", "time vs flax-jit"], rows))
    for label, r in results.items():
        print(f"\n{label}: flax-jit first call (compile + run) {r['flax_first_call_seconds']:.1f} s")
    print(f"\ntotal bench time: {time.perf_counter() - started:.0f} s")


def _write(path: Path, info: dict, results: dict) -> None:
    command = "python bench/bench_flax.py " + " ".join(sys.argv[1:])
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"command": command, "machine": info, "results": results}, indent=1) + "\n")


if __name__ == "__main__":
    main()
