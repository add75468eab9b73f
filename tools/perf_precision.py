"""The reduced-precision tables of docs/performance.md (int8, bf16) and issue 14's bf16 target rows,
rendered from results/bench/{int8,bf16}.json by `tools/perf_table.py`, which imports this module."""

from __future__ import annotations

from perf_common import fmt_x, md, met, provenance


def int8_table(record: dict) -> str:
    r = record["result"]
    tokens = r["shape"][0] * r["shape"][1]
    hf = r["speed"]["hf-sdpa fp32"]["median_s"]
    hf_cpu = r["speed"]["hf-sdpa fp32"]["median_cpu_s"]
    rows = [
        [k, v["median_s"] * 1e3, v["median_cpu_s"] * 1e3, tokens / v["median_cpu_s"],
         f"x{hf_cpu / v['median_cpu_s']:.2f}", f"x{hf / v['median_s']:.2f}"]
        for k, v in r["speed"].items()
    ]  # fmt: skip
    table = md(
        ["mode (AlbertForMaskedLM 8x128)", "median wall ms", "median CPU ms", "tokens/s (CPU)",
         "vs transformers fp32 (CPU)", "vs transformers fp32 (wall)"],
        rows,
    )  # fmt: skip
    note = f"Accuracy of `quantize_int8` on real text (the built-in model, {agreement(r['accuracy'])}."
    return f"{table}\n\n{note}\n\n{provenance(record)}"


def agreement(a: dict) -> str:
    return (
        f"fill-mask on {a['sentences']} SST-2 sentences): same top-1 as fp32 for {a['top1_agreement']:.1%}, "
        f"same top-5 set for {a['top5_set_agreement']:.1%}, largest change of the top-1 probability "
        f"{a['max_top1_prob_change']:.3f}"
    )


def bf16_table(record: dict) -> str:
    """Three tables (GEMM rates per precision, inference, training steps) and the accuracy notes."""
    r = record["result"]
    g = r["gemm"]
    fp32 = g["kernels"]["fp32"]["gflops_cpu"]
    gemm = md(
        [f"the encoder's matrix products, {g['rows']} rows", "GFLOP/s per CPU-second", "vs fp32 (MKL)"],
        [[k, v["gflops_cpu"], f"x{v['gflops_cpu'] / fp32:.2f}"] for k, v in g["kernels"].items()],
    )
    inf = r["inference"]
    tokens = inf["shape"][0] * inf["shape"][1]
    hf = inf["impls"]["hf-sdpa fp32"]["median_cpu_s"]
    inference = md(
        ["AlbertModel 8x128", "median wall ms", "median CPU ms", "tokens/s (CPU)", "vs transformers fp32 (CPU)",
         "max abs diff vs transformers fp32"],
        [[k, v["median_s"] * 1e3, v["median_cpu_s"] * 1e3, tokens / v["median_cpu_s"],
          f"x{hf / v['median_cpu_s']:.2f}", v["max_abs_diff_vs_hf_fp32"]] for k, v in inf["impls"].items()],
    )  # fmt: skip
    rows = []
    for case, e in r["training"].items():
        hf = e["impls"]["hf-sdpa fp32"]["median_cpu_s"]
        rows += [
            [case, k, v["median_s"] * 1e3, v["median_cpu_s"] * 1e3, e["tokens"] / v["median_cpu_s"],
             f"x{hf / v['median_cpu_s']:.2f}", v["first_loss"]]
            for k, v in e["impls"].items()
        ]  # fmt: skip
    training = md(
        ["one optimizer step", "impl", "median wall ms", "median CPU ms", "tokens/s (CPU)",
         "vs transformers fp32 (CPU)", "first loss"],
        rows,
    )  # fmt: skip
    accuracy = md(
        ["bf16 mode (built-in model, fill-mask on 128 SST-2 sentences)", "same top-1 as fp32",
         "same top-5 set as fp32", "largest change of the top-1 probability",
         "fp32's top-1 lead over its top-2 where the top-1 changed", "same top-1 where that lead is clear"],
        [[mode, f"{a['top1_agreement']:.1%}", f"{a['top5_set_agreement']:.1%}", a["max_top1_prob_change"],
          _gaps(a), _clear(a)] for mode, a in r["accuracy"].items()],
    )  # fmt: skip
    return f"{gemm}\n\n{inference}\n\n{training}\n\n{accuracy}\n\n{provenance(record)}"


def bf16_targets(record: dict | None) -> list[list[str]]:
    """Issue 14's CPU bf16 rows (speed by CPU time, accuracy of `precision="bf16"`)."""
    if record is None:
        return [["CPU bf16", "-", "-", "not run: no results/bench/bf16.json"]]
    r = record["result"]
    inf = r["inference"]["impls"]
    speed = inf["hf-sdpa fp32"]["median_cpu_s"] / inf["ours bf16"]["median_cpu_s"]
    top1 = next(iter(r["accuracy"].values()))["top1_agreement"]
    rows = [
        ["CPU bf16 8x128: ours bf16 / transformers fp32", fmt_x(speed), ">= 4", met(speed >= 4)],
        ["CPU bf16 fill-mask top-1 agreement with fp32 (built-in model)", f"{top1:.1%}", ">= 99%",
         met(top1 >= 0.99)],
    ]  # fmt: skip
    for case, e in r["training"].items():
        x = e["impls"]["hf-sdpa fp32"]["median_cpu_s"] / e["impls"]["ours bf16 autocast"]["median_cpu_s"]
        rows.append([f"CPU bf16 autocast {case}: ours / transformers fp32", fmt_x(x), ">= 3", met(x >= 3)])
    return rows


def _gaps(a: dict) -> str:
    gaps = a.get("fp32_top2_gap_where_top1_changed")
    if gaps is None:
        return "-"
    return ", ".join(f"{g:.4f}" for g in sorted(gaps)) or "none changed"


def _clear(a: dict) -> str:
    if "top1_agreement_where_clear" not in a:
        return "-"
    return f"{a['top1_agreement_where_clear']:.1%} of {a['clear_sentences']} (lead >= {a['clear_gap']})"
