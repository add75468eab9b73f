"""The built-in model's learning curve over all its legs, and where it points.

Reads the held-out evaluations of leg 1 (`results/pretrain-default/metrics.jsonl`) and of the later legs
(`results/pretrain-full/metrics.jsonl`, whose token counter restarts at 0 and is offset by leg 1's tokens),
plus the whole-word fill-mask measurements (`results/pretrain-full/heldout_leg*.json`). Fits accuracy =
a + b * ln(tokens) by least squares (MLM top-1 on the evaluations after 5M tokens; fill-mask top-1 through
its measured points) and reports the tokens at which each target would be reached if the line held.
A straight line in ln(tokens) is a crude model of an early-phase curve (MLM curves often bend down later
when the model starts to use context), so the answer is an order of magnitude, not a forecast.

    python tools/pretrain_curves.py   # writes results/pretrain-full/curves.png and extrapolation.json
"""

from __future__ import annotations

import json
import math
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LEG1, FULL = ROOT / "results" / "pretrain-default", ROOT / "results" / "pretrain-full"
TARGETS = {"mlm_top1": [0.20, 0.25], "fill_mask_top1": [0.20]}


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
    offset = max(t for t, _ in leg1)
    later = eval_points(FULL / "metrics.jsonl", offset) if (FULL / "metrics.jsonl").is_file() else []
    mlm = [(t, r["mlm_accuracy"]) for t, r in leg1 + later if t >= 5e6]
    # heldout_leg1.json measures the end of leg 1, heldout_leg2.json the end of the later legs.
    ends = {"heldout_leg1": offset, "heldout_leg2": max([t for t, _ in later], default=None)}
    fills = []
    for path in sorted(FULL.glob("heldout_leg*.json")):
        if ends.get(path.stem):
            fills.append((ends[path.stem], json.loads(path.read_text())["fill_mask_top1"], path.stem))
    report: dict = {"fits": {}, "targets": {}}
    for name, points in (("mlm_top1", mlm), ("fill_mask_top1", [(t, y) for t, y, _ in fills])):
        if len({t for t, _ in points}) < 2:
            continue
        a, b = fit(points)
        report["fits"][name] = {"a": a, "b_per_ln_token": b, "points": len(points)}
        report["targets"][name] = {
            f"{target:.0%}": (math.exp((target - a) / b) if b > 0 else None) for target in TARGETS[name]
        }
    report["tokens_so_far"] = max(t for t, _ in mlm)
    (FULL / "extrapolation.json").write_text(json.dumps(report, indent=2) + "\n")
    plot(leg1, later, fills, report, FULL / "curves.png")
    print(json.dumps(report, indent=2))


def plot(leg1: list, later: list, fills: list, report: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(12, 4.5))
    for points, label in (
        (leg1, "leg 1 (Wikipedia + books)"),
        (later, "leg 2 (whole corpus, de-duplicated)"),
    ):
        if points:
            ax1.plot([t for t, _ in points], [r["mlm_accuracy"] for _, r in points], "o-", ms=3, label=label)
            ax2.plot([t for t, _ in points], [r["sop_accuracy"] for _, r in points], "o-", ms=3, label=label)
    if fills:
        ax1.plot(
            [t for t, _, _ in fills],
            [y for _, y, _ in fills],
            "s",
            color="k",
            label="whole-word fill-mask top-1",
        )
    xmax = report["tokens_so_far"] * 3
    for name in report["targets"]:
        xmax = max([xmax] + [v for v in report["targets"][name].values() if v])
    for name, style in (("mlm_top1", "C0--"), ("fill_mask_top1", "k:")):
        if name in report["fits"]:
            f = report["fits"][name]
            xs = [5e6 * (xmax * 1.2 / 5e6) ** (i / 50) for i in range(51)]
            ax1.plot(xs, [f["a"] + f["b_per_ln_token"] * math.log(x) for x in xs], style, lw=1,
                     label=f"fit {name}: a + b ln(tokens)")  # fmt: skip
    ax1.axhline(0.20, color="r", lw=0.8, label="target 20%")
    ax1.set(
        xscale="log", xlabel="training tokens (cumulative)", ylabel="held-out top-1", title="MLM / fill-mask"
    )
    ax2.axhline(0.5, color="gray", lw=0.8)
    ax2.set(xscale="log", xlabel="training tokens (cumulative)", ylabel="held-out SOP accuracy", title="SOP")
    ax1.legend(fontsize=7)
    ax2.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=100)


if __name__ == "__main__":
    main()
