"""Benchmark: our TensorFlow classes against our PyTorch classes, same weights, albert-base shapes.

    python bench/bench_tf.py [--batch 8] [--seq 128] [--threads 2] [--rounds 5] [--out results/bench/tf.json]

AlbertForSequenceClassification with the albert-base-v2 config and random weights (no download), one
batch of B x T token ids without padding, inference. Compared: PyTorch (SDPA attention, the default),
TF eager (`model(...)`) and TF compiled (`model.infer`, a `tf.function` graph). The implementations take
turns for `--rounds` rounds; the best wall time and the best CPU time (all threads) of each are kept; the
max |logit difference| between PyTorch and each TF path is recorded too.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
import torch  # noqa: E402

import albert  # noqa: E402
import albert.tf  # noqa: E402
from albert.config import PRESETS  # noqa: E402
from bench.common import machine_info, table  # noqa: E402


def race(fns: dict, rounds: int) -> tuple[dict[str, float], dict[str, float]]:
    """Best wall and best CPU (process, all threads) seconds of each function, taking turns each round.
    On a shared machine the CPU time is the steadier of the two."""
    wall = {name: float("inf") for name in fns}
    cpu = dict(wall)
    for _ in range(rounds):
        for name, fn in fns.items():
            w, c = time.perf_counter(), time.process_time()
            fn()
            wall[name] = min(wall[name], time.perf_counter() - w)
            cpu[name] = min(cpu[name], time.process_time() - c)
    return wall, cpu


def cpu_flags() -> str:
    """The vector extensions that matter for these kernels, from /proc/cpuinfo."""
    try:
        flags = next(
            ln for ln in Path("/proc/cpuinfo").read_text().splitlines() if ln.startswith("flags")
        ).split()
    except (OSError, StopIteration):
        return "unknown"
    return ", ".join(
        f"{f}: {'yes' if f in flags else 'no'}" for f in ("avx2", "fma", "avx512f", "avx512_bf16")
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--seq", type=int, default=128)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--out", default=str(REPO / "results/bench/tf.json"))
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    tf.config.threading.set_intra_op_parallelism_threads(args.threads)
    tf.config.threading.set_inter_op_parallelism_threads(1)
    torch.manual_seed(0)

    config = PRESETS["albert-base-v2"]
    pt = albert.AlbertForSequenceClassification(config).eval()
    with tempfile.TemporaryDirectory() as tmp:
        pt.save_pretrained(tmp)
        tfm = albert.tf.TFAlbertForSequenceClassification.from_pretrained(tmp)
    ids = np.random.default_rng(0).integers(5, config.vocab_size, (args.batch, args.seq))
    ids_pt, ids_tf = torch.as_tensor(ids), tf.constant(ids, tf.int32)

    def run_torch():
        with torch.inference_mode():
            return pt(input_ids=ids_pt).logits.numpy()

    fns = {
        "torch": run_torch,
        "tf eager": lambda: tfm(input_ids=ids_tf).logits.numpy(),
        "tf compiled (tf.function)": lambda: tfm.infer(ids_tf)["logits"].numpy(),
    }
    reference = run_torch()
    diffs = {name: float(np.abs(fn() - reference).max()) for name, fn in fns.items()}  # also the warm-up
    wall, cpu = race(fns, args.rounds)
    rows = [[name, wall[name] * 1e3, cpu[name] * 1e3, cpu["torch"] / cpu[name], diffs[name]] for name in fns]
    print(
        table(
            ["implementation", "wall ms / batch", "CPU ms / batch", "CPU speed vs torch", "max |logit diff|"],
            rows,
        )
    )
    info = {
        **machine_info("cpu"),
        "tensorflow": tf.__version__,
        "threads": str(args.threads),
        "cpu_flags": cpu_flags(),
    }
    result = {
        "command": "python " + " ".join(sys.argv),
        "model": "AlbertForSequenceClassification, albert-base-v2 config, random weights",
        "batch": args.batch,
        "seq": args.seq,
        "rounds": args.rounds,
        "machine": info,
        "best_wall_seconds": wall,
        "best_cpu_seconds": cpu,
        "max_abs_logit_diff_vs_torch": diffs,
    }
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
