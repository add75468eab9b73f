"""The built-in model's learning curve over all its legs, and where it points.

Reads the held-out evaluations of leg 1 (`results/pretrain-default/metrics.jsonl`: 25 fixed batches of its
held-out shards) and the end-of-leg measurements of `tools/evaluate_default_model.py`
(`results/pretrain-full/heldout_leg{1,2}.json`: every instance of the de-duplicated held-out shards, and
whole-word fill-mask on sentences outside the corpus). Fits MLM top-1 = a + b * ln(tokens) by least squares
on leg 1's evaluations after 5M tokens, and assumes whole-word fill-mask top-1 stays the fraction of MLM
top-1 it was at the end of leg 1; reports the tokens at which each target would be reached if that held.
A straight line in ln(tokens) is a crude model of an early-phase curve (MLM curves often bend down later,
when the model starts to use context), so the answer is an order of magnitude, not a forecast.

    python tools/pretrain_curves.py       # writes results/pretrain-full/curves.png and extrapolation.json
    python tools/pretrain_curves.py gpu   # the same for the GPU leg: results/pretrain-gpu/extrapolation.*

`gpu` fits the GPU leg's own evaluations (4 fixed batches of 512 held-out instances, after 40M tokens)
and takes the fill-mask / MLM top-1 fraction from its end-of-leg measurement (`heldout.json`); hours are
at the leg's own measured speed on that GPU.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LEG1, FULL = ROOT / "results" / "pretrain-default", ROOT / "results" / "pretrain-full"
GPU = ROOT / "results" / "pretrain-gpu"
TARGETS = {"mlm_top1 20%": 0.20, "mlm_top1 25%": 0.25}


def eval_points(metrics: Path, token_offset: int) -> list[tuple[float, dict]]:
    """(cumulative tokens, eval record) for every evaluation; tokens taken from the train record of that step."""
    records = [json.loads(line) for line in metrics.read_text().splitlines() if line.strip()]
    tokens = {r["step"]: r["tokens"] for r in records if r["split"] == "train"}
    return [
        (token_offset + tokens[r["step"]], r) for r in records if r["split"] == "eval" and r["step"] in tokens
    ]


def fit(points: list[tuple[float, float]]) -> tuple[float, float]:
    """Least-squares a, b of y = a + b ln(x)."""
    xs, ys = [math.log(x) for x, _ in points], [y for _, y in points]
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    b = sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / sum((x - mx) ** 2 for x in xs)
    return my - b * mx, b


def main() -> None:
    leg1 = eval_points(LEG1 / "metrics.jsonl", 0)
    leg1_tokens = max(t for t, _ in leg1)
    legs = json.loads((FULL / "legs.json").read_text())
    ends = {
        "heldout_leg1": leg1_tokens,
        "heldout_leg2": sum(leg["tokens"] for leg in legs if leg["run"] != "runs/gpu"),
    }
    measured = {
        name: json.loads((FULL / f"{name}.json").read_text())
        for name in ends
        if (FULL / f"{name}.json").is_file()
    }
    a, b = fit([(t, r["mlm_accuracy"]) for t, r in leg1 if t >= 5e6])
    ratio = measured["heldout_leg1"]["fill_mask_top1"] / measured["heldout_leg1"]["mlm_accuracy"]
    report = {
        "mlm_top1_fit": {"a": a, "b_per_ln_token": b, "points": sum(t >= 5e6 for t, _ in leg1)},
        "fill_mask_over_mlm_top1_at_leg1_end": ratio,
        "measured": {name: {"tokens": ends[name], **{k: m[k] for k in ("mlm_accuracy", "sop_accuracy", "fill_mask_top1", "fill_mask_top5")}}
                     for name, m in measured.items()},
        "tokens_needed": {
            "mlm_top1 20%": math.exp((0.20 - a) / b),
            "mlm_top1 25%": math.exp((0.25 - a) / b),
            "fill_mask_top1 20%": math.exp((0.20 / ratio - a) / b),
        },
    }  # fmt: skip
    # Leg 1's steps 645-2,200 ran alone on the 2 vCPUs (2 threads): this machine's quiet-machine speed.
    train = {
        r["step"]: r
        for r in map(json.loads, (LEG1 / "metrics.jsonl").read_text().splitlines())
        if r["split"] == "train"
    }
    quiet = (train[2200]["tokens"] - train[645]["tokens"]) / (
        train[2200]["elapsed_s"] - train[645]["elapsed_s"]
    )
    report["quiet_tokens_per_s_2_threads"] = quiet
    report["hours_at_quiet_speed"] = {k: v / quiet / 3600 for k, v in report["tokens_needed"].items()}
    (FULL / "extrapolation.json").write_text(json.dumps(report, indent=2) + "\n")
    plot(leg1, ends, measured, report, FULL / "curves.png")
    print(json.dumps(report, indent=2))


def plot(leg1: list, ends: dict, measured: dict, report: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(12, 4.5))
    tokens = [t for t, _ in leg1]
    ax1.plot(tokens, [r["mlm_accuracy"] for _, r in leg1], "o-", ms=3, label="leg 1: MLM top-1 (25 batches)")
    ax2.plot(tokens, [r["sop_accuracy"] for _, r in leg1], "o-", ms=3, label="leg 1 (25 batches)")
    for name, m in measured.items():
        ax1.plot([ends[name]], [m["mlm_accuracy"]], "D", label=f"end of {name[8:]}: MLM top-1 (all held out)")
        ax1.plot(
            [ends[name]], [m["fill_mask_top1"]], "s", label=f"end of {name[8:]}: whole-word fill-mask top-1"
        )
        ax2.plot([ends[name]], [m["sop_accuracy"]], "D", label=f"end of {name[8:]} (all held out)")
    plot_fit(ax1, report, report["fill_mask_over_mlm_top1_at_leg1_end"], 5e6, "fit: a + b ln(tokens)")
    ax1.set(
        xscale="log", xlabel="training tokens (cumulative)", ylabel="held-out top-1", title="MLM / fill-mask"
    )
    ax2.axhline(0.5, color="gray", lw=0.8)
    ax2.set(xscale="log", xlabel="training tokens (cumulative)", ylabel="held-out SOP accuracy", title="SOP")
    ax1.legend(fontsize=7)
    ax2.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=100)


def gpu_leg() -> None:
    """Fit, targets and plot of the GPU leg (results/pretrain-gpu)."""
    points = eval_points(GPU / "metrics.jsonl", 0)
    measured = json.loads((GPU / "heldout.json").read_text())
    a, b = fit([(t, r["mlm_accuracy"]) for t, r in points if t >= 4e7])
    ratio = measured["fill_mask_top1"] / measured["mlm_accuracy"]
    train = [json.loads(x) for x in (GPU / "metrics.jsonl").read_text().splitlines()]
    last = [r for r in train if r["split"] == "train"][-1]
    speed = last["tokens"] / last["elapsed_s"]  # tokens/s of the whole run, evaluations and saves included
    needed = {name: math.exp((y - a) / b) for name, y in TARGETS.items()}
    needed["fill_mask_top1 20%"] = math.exp((0.20 / ratio - a) / b)
    report = {
        "mlm_top1_fit": {"a": a, "b_per_ln_token": b, "points": sum(t >= 4e7 for t, _ in points)},
        "fill_mask_over_mlm_top1_at_end": ratio,
        "measured_at_end": {"tokens": last["tokens"], **measured},
        "tokens_needed": needed,
        "tokens_per_s_on_the_gpu": speed,
        "gpu_minutes_at_that_speed": {k: v / speed / 60 for k, v in needed.items()},
    }
    (GPU / "extrapolation.json").write_text(json.dumps(report, indent=2) + "\n")
    plot_gpu(points, measured, last["tokens"], report, GPU / "extrapolation.png")
    print(json.dumps(report, indent=2))


def plot_fit(ax, report: dict, ratio: float, start: float, label: str) -> None:
    """The fitted line from `start` tokens to past the last target, fill-mask at `ratio` of it, the 20% target."""
    f = report["mlm_top1_fit"]
    xmax = max(report["tokens_needed"].values()) * 1.5
    xs = [start * (xmax / start) ** (i / 60) for i in range(61)]
    line = [f["a"] + f["b_per_ln_token"] * math.log(x) for x in xs]
    ax.plot(xs, line, "C0--", lw=1, label=label)
    ax.plot(xs, [y * ratio for y in line], "k:", lw=1, label="fill-mask if it stays the same fraction")
    ax.axhline(0.20, color="r", lw=0.8, label="target 20%")


def plot_gpu(points: list, measured: dict, tokens: int, report: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7.5, 4.5))
    ax.plot([t for t, _ in points], [r["mlm_accuracy"] for _, r in points], "o-", ms=3,
            label="GPU leg: MLM top-1 (4 x 512 held-out instances)")  # fmt: skip
    ax.plot([tokens], [measured["mlm_accuracy"]], "D", label="end: MLM top-1 (all held out)")
    ax.plot([tokens], [measured["fill_mask_top1"]], "s", label="end: whole-word fill-mask top-1")
    label = "fit: a + b ln(tokens), after 40M tokens"
    plot_fit(ax, report, report["fill_mask_over_mlm_top1_at_end"], 4e7, label)
    ax.set(
        xscale="log", xlabel="training tokens", ylabel="held-out top-1", title="GPU leg (ALBERT-base shape)"
    )
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=100)


if __name__ == "__main__":
    import sys

    gpu_leg() if sys.argv[1:] == ["gpu"] else main()
