"""The tables of docs/performance.md, rendered from the measurements `bench/run.py` committed in
results/bench/<section>.json: no number in them is typed by hand.

    python tools/perf_table.py            # print every table
    python tools/perf_table.py --write    # replace the tables between the markers in docs/performance.md

Each table sits between `<!-- bench:<section> -->` and `<!-- /bench:<section> -->` in the docs;
tests/test_results_tables.py checks that what is there is what this tool renders from the files.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))  # its sibling modules, also when a test loads it
from perf_common import fmt_x, md, met, native_bf16, provenance  # noqa: E402
from perf_precision import bf16_table, bf16_targets, int8_table  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "results" / "bench"
DOCS = ROOT / "docs" / "performance.md"


def load(section: str, results: Path = RESULTS) -> dict | None:
    path = results / f"{section}.json"
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None


def cpu_ms(v: dict) -> object:
    """The median CPU time of this process in ms (runs before it was recorded have none)."""
    return v["median_cpu_s"] * 1e3 if "median_cpu_s" in v else "-"


def ratio(impls: dict, a: str, b: str) -> float:
    """How much faster `a` ran than `b`: by CPU time where both recorded it, else by wall time."""
    key = "median_cpu_s" if all("median_cpu_s" in impls[k] for k in (a, b)) else "median_s"
    return impls[b][key] / impls[a][key]


def cpu_view(result: dict, steps: int = 1) -> dict:
    """Throughput, GEMM limit and fraction from the CPU-time medians (one thread: what each call cost
    the CPU, which the load of other processes barely moves), derived from the same samples as the
    wall-time ones; `steps`: FLOP multiple of the timed work (3 for a training step)."""
    lim, gemm = result["limit"], result["gemm"]
    limit_cpu = lim["limit_tokens_per_s"] * gemm["median_s"] / gemm["median_cpu_s"]
    tokens = result.get("tokens") or result["shape"][0] * result["shape"][1]
    out = {"gemm_gflops": lim["gemm_gflops"] * gemm["median_s"] / gemm["median_cpu_s"], "limit": limit_cpu}
    for k, v in result["impls"].items():
        out[k] = {
            "tokens_per_s": tokens / v["median_cpu_s"],
            "fraction": tokens / v["median_cpu_s"] / limit_cpu,
        }
    return out


def encoder_table(record: dict, unit: str = "tokens/s", with_provenance: bool = True) -> str:
    r = record["result"]
    ours = r["impls"]["ours"]
    cpu = cpu_view(r)
    rows = [
        [k, v["median_s"] * 1e3, v["median_cpu_s"] * 1e3, cpu[k]["tokens_per_s"], f"{cpu[k]['fraction']:.2f}",
         v["max_abs_diff_vs_hf_sdpa"], f"x{v['median_cpu_s'] / ours['median_cpu_s']:.2f}",
         f"x{v['median_s'] / ours['median_s']:.2f}"]
        for k, v in r["impls"].items()
    ]  # fmt: skip
    kernel = {"mkl": "MKL", "onednn": "oneDNN, packed weights"}.get(r["gemm"].get("kernel"), "torch default")
    gemm = [f"fp32 GEMM limit (the model's matrix products alone, same rows, same run; {kernel})",
            r["gemm"]["median_s"] * 1e3, r["gemm"]["median_cpu_s"] * 1e3, cpu["limit"], "1.00", "-", "-", "-"]  # fmt: skip
    table = md(
        ["impl", "median wall ms", "median CPU ms", f"{unit} (CPU)", "fraction of GEMM limit (CPU)",
         "max abs diff vs hf-sdpa (real positions)", "ours speed-up (CPU)", "ours speed-up (wall)"],
        [*rows, gemm],
    )  # fmt: skip
    note = (
        f"GEMM {cpu['gemm_gflops']:.1f} GFLOP/s per CPU-second on the model's shapes "
        f"({r['limit']['gemm_gflops']:.1f} per wall-second under the load); "
        f"{r['limit']['flops_per_token'] / 1e6:.1f} MFLOP per token (each sentence at its own length)."
    )
    kernels = r.get("gemm_kernels", {})
    if len(kernels) > 1:  # the limit is the faster kernel's; the other one's time, for the record
        flop = cpu["gemm_gflops"] * r["gemm"]["median_cpu_s"]
        rates = ", ".join(
            f"{k.removeprefix('gemm-')} {flop / v['median_cpu_s']:.1f}" for k, v in kernels.items()
        )
        note += f" GEMM kernels (GFLOP/s per CPU-second): {rates}; the limit is the faster one."
    return f"{table}\n\n{note}\n\n{provenance(record)}" if with_provenance else f"{table}\n\n{note}"


def short_table(record: dict) -> str:
    """One encoder table per case of the `short` section, the provenance once."""
    parts = []
    for case, result in record["result"].items():
        table = encoder_table({**record, "result": result}, with_provenance=False)
        parts.append(f"**{case}**\n\n{table}")
    return "\n\n".join([*parts, provenance(record)])


def attention_table(record: dict) -> str:
    r, rows = record["result"], []
    cases = []
    for name, case in r["cases"].items():
        cases += [(name, case)] if "impls" in case else [(f"SST-2 {k}", c) for k, c in case.items()]
    for name, case in cases:
        label = f"{name} ({case['tokens']} tokens, {case['distinct_lengths']} lengths)"
        for impl, v in case["impls"].items():
            speed = ratio(case["impls"], impl, "per-sequence")
            rows.append([label, impl, v["median_s"] * 1e3, cpu_ms(v), f"x{speed:.2f}", v["max_abs_diff"]])
    headers = [
        "sequences",
        "kernel",
        "median wall ms",
        "median CPU ms",
        "speed vs per-sequence (CPU if recorded)",
    ]
    table = md([*headers, "max abs diff"], rows)
    return f"{table}\n\n{provenance(record)}"


def pipeline_table(record: dict) -> str:
    r, rows = record["result"], []
    for label, run in r["runs"].items():
        for impl, v in run["impls"].items():
            size = run["batch_size"][impl] or 1  # transformers' default None runs one text at a time
            rows.append([label, impl, size, v["median_s"], cpu_ms(v), v["sentences_per_s"],
                         f"x{ratio(run['impls'], impl, 'transformers'):.2f}", f"{run['top1_agreement']:.1%}"])  # fmt: skip
    table = md(
        ["call", "library", "batch size", "median wall s", "median CPU ms", "sentences/s (wall)",
         "speed vs transformers (CPU if recorded)", "same top-1"],
        rows,
    )  # fmt: skip
    return f"{table}\n\n{provenance(record)}"


def pretraining_table(record: dict) -> str:
    r = record["result"]
    hf = r["impls"]["hf-sdpa"]
    cpu = cpu_view(r)
    rows = [
        [k, v["median_s"] * 1e3, v["median_cpu_s"] * 1e3, cpu[k]["tokens_per_s"], f"{cpu[k]['fraction']:.2f}",
         v["peak_mib"], v["first_loss"], f"x{hf['median_cpu_s'] / v['median_cpu_s']:.2f}",
         f"x{hf['median_s'] / v['median_s']:.2f}", f"{v['peak_mib'] / hf['peak_mib']:.2f}"]
        for k, v in r["impls"].items()
    ]  # fmt: skip
    table = md(
        ["impl", "median wall ms", "median CPU ms", "tokens/s (CPU)", "fraction of GEMM limit (CPU)", "peak MiB",
         "first loss", "speed vs hf-sdpa (CPU)", "speed vs hf-sdpa (wall)", "memory vs hf-sdpa"],
        rows,
    )  # fmt: skip
    note = (
        f"GEMM {cpu['gemm_gflops']:.1f} GFLOP/s per CPU-second; limit {cpu['limit']:.0f} tokens/s "
        "(a step costs 3x the forward FLOPs)."
    )
    return f"{table}\n\n{note}\n\n{provenance(record)}"


def compile_table(record: dict) -> str:
    r = record["result"]
    eager = r["impls"]["eager"]
    rows = [
        [k, v["median_s"] * 1e3, cpu_ms(v), f"x{eager['median_s'] / v['median_s']:.2f}"]
        for k, v in r["impls"].items()
    ]
    table = md(["AlbertModel 8x128, fp32", "median wall ms", "median CPU ms", "vs eager (wall)"], rows)
    note = (
        f"First call of the compiled model (compilation included): {r['first_call_s (compilation)']:.1f} s; "
        f"largest difference from eager: {r['max_abs_diff']:.1e}."
    )
    return f"{table}\n\n{note}\n\n{provenance(record)}"


def cuda_entries(r: dict) -> list[tuple[str, dict]]:
    """(label, entry) of each measurement of the cuda section, labelled with its recorded shape."""
    out = []
    for d in ("fp16", "bf16", "fp32"):
        e = r.get("inference", {}).get(d, {})
        out.append((f"{'x'.join(map(str, e.get('shape', '?')))} {d}", e))
    v, p = r.get("varlen", {}), r.get("pretraining", {})
    out.append((f"{v.get('sentences', '?')} x {v.get('lengths', '?')} {v.get('dtype', '')}".strip(), v))
    out.append((f"pretraining step {'x'.join(map(str, p.get('shape', '?')))}, bf16 autocast", p))
    return out


def cuda_table(record: dict | None) -> str:
    """The GPU section (`bench/run.py --device cuda`), or how to measure it while there is no file."""
    if record is None:
        return (
            "Not measured yet (no `results/bench/cuda.json`). On a machine with a CUDA GPU: "
            "`PYTHONPATH=src python bench/run.py --device cuda`, then `python tools/perf_table.py --write`."
        )
    r, rows = record["result"], []
    for label, entry in cuda_entries(r):
        if "error" in entry or not entry.get("impls"):
            rows.append([label, "-", _failed(entry), *["-"] * 6])
        for impl, v in entry.get("impls", {}).items():
            if "error" in v:
                rows.append([label, impl, _failed(v), *["-"] * 6])
                continue
            speed = entry.get("ours_speedup_vs_hf_sdpa") if impl == "ours" else 1.0
            rows.append([label, impl, v["median_s"] * 1e3, v["tokens_per_s"], v["model_tflops"],
                         _pct(v["mfu_vs_measured_matmul"]), _pct(v["mfu_vs_datasheet"]),
                         _dash(v.get("max_abs_diff_vs_hf_sdpa")), "-" if speed is None else f"x{speed:.2f}"])  # fmt: skip
    table = md(
        ["measurement", "impl", "median ms", "tokens/s", "model TFLOP/s", "MFU (measured matmul)",
         "MFU (datasheet)", "max abs diff vs hf-sdpa", "ours speed-up vs hf-sdpa"],
        rows,
    )  # fmt: skip
    rates = ", ".join(
        f"{d} {m['tflops']:.0f}" if "tflops" in m else f"{d} failed" for d, m in r["matmul"].items()
    )
    n = next((m["n"] for m in r["matmul"].values() if "n" in m), "?")
    peak = r["peak"]
    sheet = f"{peak['tflops']} TFLOP/s ({peak['source']})" if peak["tflops"] else peak["source"]
    note = (
        f"Dense matmul {n}x{n}x{n} in the same run: {rates} TFLOP/s. Datasheet peak: {sheet}. "
        "MFU = model FLOP/s (the encoder's matrix products, attention included; x3 for the step) / that rate."
    )
    info = r["info"]
    where = (
        f"`{record['command']}`: {info['gpu']} ({info.get('memory_gib', '?')} GiB, compute capability "
        f"{info.get('capability', '?')}, CUDA {info.get('cuda', '?')}), torch {info['torch']}, "
        f"transformers {info['transformers']}; {record['wall_s']:.0f} s."
    )
    stopped = f"Stopped before the end: {r['stopped']}.\n\n" if "stopped" in r else ""
    return f"{table}\n\n{stopped}{note}\n\n{where}"


def _failed(v: dict) -> str:
    error = v.get("error", "not measured")
    return "failed: " + error.replace("|", "/").replace("\n", " ")[:120]


def _pct(x: float | None) -> str:
    return "-" if x is None else f"{x:.1%}"


def _dash(x: object) -> object:
    return "-" if x is None else x


def targets(results: Path = RESULTS) -> str:
    """Issue 14's measurable targets, each from the committed files (a missing file: not measured), with
    the machine each was measured on (the CPU differs from session to session)."""
    rows = []
    inf, var, pipe = load("inference", results), load("varlen", results), load("pipeline", results)
    paths = (("ours", "model API default"), ("ours-packed", "as the pipelines run it"))
    if inf:
        view = cpu_view(inf["result"])
        for impl, who in paths:
            if impl in view:
                frac = view[impl]["fraction"]
                rows.append([f"fp32 8x128: {impl} ({who}) / fp32 GEMM limit", f"{frac:.2f}", ">= 0.85", met(frac >= 0.85), machine(inf)])  # fmt: skip
    if var:
        view = cpu_view(var["result"])
        for impl, who in paths:
            if impl in view:
                frac, vs_hf = view[impl]["fraction"], ratio(var["result"]["impls"], impl, "hf-sdpa")
                rows.append([f"32 x 16..256: {impl} ({who}) / GEMM limit, or / hf-sdpa", f"{frac:.2f} / x{vs_hf:.2f}",
                             ">= 0.85 or >= 3", met(frac >= 0.85 or vs_hf >= 3.0), machine(var)])  # fmt: skip
    if pipe:
        for label, goal in (("default arguments", 2.0), ("batch_size=32", 1.3)):
            x = ratio(pipe["result"]["runs"][label]["impls"], "ours", "transformers")
            rows.append([f"fill-mask pipeline, {label}: ours / transformers", f"x{x:.2f}", f">= {goal}", met(x >= goal), machine(pipe)])  # fmt: skip
    bf16 = load("bf16", results)
    rows += [[*row, machine(bf16) if bf16 else "-"] for row in bf16_targets(bf16)]
    cuda = load("cuda", results)
    gpu = cuda["result"]["info"]["gpu"] if cuda else "-"
    rows += [[*row, gpu] for row in cuda_targets(cuda["result"]["summary"])] if cuda else []
    if not cuda:
        rows.append(["CUDA: >= 1.5x transformers SDPA at 16x512", "-", ">= 1.5", "not run: no GPU", "-"])
    return md(["target (issue 14)", "measured", "goal", "status", "measured on"], rows)


def machine(record: dict) -> str:
    """The CPU of a measurement, briefly: its name and what it multiplies bf16 with."""
    env = record["environment"]
    name = env["cpu"].replace("(R)", "").replace("(TM)", "").replace(" Processor", "").split(" @")[0]
    simd = (
        "AVX-512"
        if env["cpu_flags"].get("avx512f")
        else "AVX2"
        if env["cpu_flags"].get("avx2")
        else "no AVX2"
    )
    return f"{' '.join(name.split())} ({simd}; bf16: {native_bf16(env)})"


def cuda_targets(summary: dict) -> list[list[str]]:
    """The GPU rows of the targets table, from the cuda section's summary (None: a contestant failed)."""
    fp16, bf16 = summary["ours_vs_hf_sdpa_fp16"], summary["ours_vs_hf_sdpa_bf16"]
    vs_fp32 = summary["ours_bf16_vs_hf_sdpa_fp32"]
    both = None if fp16 is None or bf16 is None else fp16 >= 1.5 and bf16 >= 1.5
    return [
        ["bf16 >= 4x transformers fp32 (GPU: ours bf16 / hf-sdpa fp32, 16x512)", fmt_x(vs_fp32), ">= 4",
         "not measured" if vs_fp32 is None else met(vs_fp32 >= 4)],
        ["CUDA: >= 1.5x transformers SDPA at 16x512 (fp16 / bf16)", f"{fmt_x(fp16)} / {fmt_x(bf16)}", ">= 1.5",
         "not measured" if both is None else met(both)],
    ]  # fmt: skip


RENDER = {
    "inference": encoder_table,
    "large": encoder_table,
    "varlen": lambda rec: encoder_table(rec, "useful tokens/s"),
    "short": short_table,
    "attention": attention_table,
    "pipeline": pipeline_table,
    "pretraining": pretraining_table,
    "int8": int8_table,
    "bf16": bf16_table,
    "compile": compile_table,
    "cuda": None,  # also without its file: how to measure it
    "targets": None,  # from several files: `targets`
}


def render(section: str, results: Path = RESULTS) -> str | None:
    if section == "targets":
        return targets(results)
    if section == "cuda":
        return cuda_table(load("cuda", results))
    record = load(section, results)
    return None if record is None else RENDER[section](record)


def block(section: str, text: str) -> str:
    return f"<!-- bench:{section} -->\n{text}\n<!-- /bench:{section} -->"


def write(docs: Path = DOCS, results: Path = RESULTS) -> None:
    text = docs.read_text(encoding="utf-8")
    for section in RENDER:
        rendered = render(section, results)
        if rendered is None:
            continue
        pattern = re.compile(rf"<!-- bench:{section} -->.*?<!-- /bench:{section} -->", re.S)
        if not pattern.search(text):
            raise SystemExit(f"{docs}: no <!-- bench:{section} --> markers for a measured section")
        replacement = block(section, rendered)
        text = pattern.sub(lambda _, r=replacement: r, text)
    docs.write_text(text, encoding="utf-8")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--write", action="store_true", help=f"update {DOCS.relative_to(ROOT)} in place")
    args = p.parse_args()
    if args.write:
        write()
        return
    for section in RENDER:
        rendered = render(section)
        if rendered is not None:
            print(f"## {section}\n\n{rendered}\n")


if __name__ == "__main__":
    main()
