"""Which ALBERT shape learns fastest per hour of this machine? Held-out MLM loss after equal CPU time.

Each shape is pretrained from scratch (LAMB, lr 0.003 after 30 warmup steps, then constant, batch `--batch-size` x 128
tokens, MLM + SOP, the library's fast paths) for `--minutes` of training CPU time on one thread (CPU time of this process, not wall time: the machine is
shared, and CPU time is what a quiet machine's wall time would be), on the shards
of `tools/build_default_model.py shards`; every `--eval-every` seconds the held-out MLM loss and top-1 are
measured on the same `--eval-batches` x 64 fixed instances with fixed masks (evaluation time not counted).
The vocabulary is the built-in one (16,000 pieces) for every shape: a vocabulary-size sweep needs one shard
build per vocabulary and is not done here. Results (with the CPU recorded) go to `--out` as JSON + PNG.

    OMP_NUM_THREADS=1 nice -n 10 python bench/pretrain_shape_sweep.py --minutes 5 --out results/shape-sweep
"""

from __future__ import annotations

import argparse
import json
import platform
import time
from pathlib import Path

import torch

SHAPES = {  # E, H, heads, FFN, layer applications, groups
    "E128-H256-L4 (leg-1 shape)": dict(embedding_size=128, hidden_size=256, num_attention_heads=4,
                                       intermediate_size=1024, num_hidden_layers=4),
    "E128-H128-L4": dict(embedding_size=128, hidden_size=128, num_attention_heads=2, intermediate_size=512,
                         num_hidden_layers=4),
    "E128-H384-L4": dict(embedding_size=128, hidden_size=384, num_attention_heads=6, intermediate_size=1536,
                         num_hidden_layers=4),
    "E128-H256-L8": dict(embedding_size=128, hidden_size=256, num_attention_heads=4, intermediate_size=1024,
                         num_hidden_layers=8),
}  # fmt: skip


def cpu_name() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor()


def run_shape(name: str, shape: dict, data, eval_batches, collate, args) -> dict:
    from albert import AlbertConfig, AlbertForPreTraining
    from albert.training import TrainArgs
    from albert.training.optim import build_optimizer, lr_at, set_lr
    from albert.training.pretrain import evaluate_pretraining

    torch.manual_seed(0)
    config = AlbertConfig(vocab_size=data.metadata["vocab_size"], max_position_embeddings=512, hidden_act="gelu_new",
                          hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0, **shape)  # fmt: skip
    model = AlbertForPreTraining(config)
    model.enable_fast_paths(fused_gelu=True, unpad=True, sparse_mlm=True)
    optimizer = build_optimizer(model, TrainArgs(optimizer="lamb", lr=0.003, max_steps=1, weight_decay=0.01))
    order = torch.randperm(len(data), generator=torch.Generator().manual_seed(0)).tolist()
    points, trained_s, step, tokens, next_eval = [], 0.0, 0, 0, 0.0
    while True:
        if trained_s >= next_eval:
            model.eval()
            metrics = evaluate_pretraining(model, eval_batches)
            model.train()
            points.append({"seconds": round(trained_s, 1), "step": step, "tokens": tokens, **metrics})
            print(f"{name}: {trained_s:.0f} s, step {step}, mlm loss {metrics['mlm_loss']:.3f}", flush=True)
            next_eval += args.eval_every
            if trained_s >= args.minutes * 60:
                break
        started = time.process_time()
        start = step * args.batch_size % len(order)
        batch = collate([data[i] for i in order[start : start + args.batch_size]])
        set_lr(optimizer, lr_at(step, peak=0.003, warmup_steps=30, total_steps=10**9, shape="constant"))
        model(**batch).loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        step += 1
        tokens += int(batch["attention_mask"].sum())
        trained_s += time.process_time() - started
    last = points[-1]
    return {"shape": name, "config": shape, "parameters": model.num_parameters(),
            "tokens_per_cpu_s": last["tokens"] / last["seconds"], "points": points}  # fmt: skip


def plot(results: list[dict], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 4))
    for r in results:
        hours = [p["seconds"] / 3600 for p in r["points"]]
        ax1.plot(
            hours,
            [p["mlm_loss"] for p in r["points"]],
            marker="o",
            label=f"{r['shape']} ({r['parameters'] / 1e6:.1f}M)",
        )
        ax2.plot([p["tokens"] / 1e6 for p in r["points"]], [p["mlm_loss"] for p in r["points"]], marker="o")
    ax1.set(
        xlabel="training CPU hours (1 thread)", ylabel="held-out MLM loss", title="loss per hour of this CPU"
    )
    ax2.set(xlabel="training tokens (M)", ylabel="held-out MLM loss", title="loss per token")
    ax1.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=100)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--shards", type=Path, default=Path("runs/full/data"))
    parser.add_argument("--minutes", type=float, default=5.0)
    parser.add_argument(
        "--eval-every", type=float, default=60.0, help="CPU seconds of training between evaluations"
    )
    parser.add_argument("--eval-batches", type=int, default=5)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--out", type=Path, default=Path("results/shape-sweep"))
    args = parser.parse_args()
    from albert.data import PretrainingCollator, PretrainingDataset

    torch.set_num_threads(1)
    data, held = PretrainingDataset(args.shards / "train"), PretrainingDataset(args.shards / "eval")
    collate = PretrainingCollator(data.masking_spec(), data.pad_token_id, seed=1, pad_to_multiple_of=8)
    fixed = PretrainingCollator(held.masking_spec(), held.pad_token_id, seed=0, static_masking=True)
    n = args.eval_batches * 64
    picks = torch.linspace(0, len(held) - 1, n).long().tolist()
    eval_batches = [fixed([held[i] for i in picks[k : k + 64]]) for k in range(0, n, 64)]
    args.out.mkdir(parents=True, exist_ok=True)
    results = []
    for name, shape in SHAPES.items():
        results.append(run_shape(name, shape, data, eval_batches, collate, args))
        report = {"cpu": cpu_name(), "threads": torch.get_num_threads(), "minutes_per_shape": args.minutes,
                  "batch_size": args.batch_size, "warmup_steps": 30, "lr": 0.003,
                  "clock": "process CPU time (the machine was shared; nice -n 10)", "results": results}  # fmt: skip
        (args.out / "sweep.json").write_text(json.dumps(report, indent=2) + "\n")
        plot(results, args.out / "sweep.png")


if __name__ == "__main__":
    main()
