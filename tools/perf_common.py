"""Formatting shared by the table tools of docs/performance.md (`perf_table.py`, `perf_precision.py`)."""

from __future__ import annotations


def fmt(x: object) -> str:
    if isinstance(x, float):
        if abs(x) >= 100:
            return f"{x:,.0f}"
        if abs(x) >= 1:
            return f"{x:.2f}"
        return f"{x:.2g}"
    return str(x)


def md(headers: list[str], rows: list[list[object]]) -> str:
    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    return "\n".join(lines + ["| " + " | ".join(fmt(c) for c in row) + " |" for row in rows])


def provenance(record: dict) -> str:
    env = record["environment"]
    flags = ", ".join(k for k, v in env["cpu_flags"].items() if v) or "none listed"
    return (
        f"`{record['command']}`: {env['cpu']}, {env['cores']} cores (flags: {flags}; native bf16: "
        f"{native_bf16(env)}), torch {env['torch']}, {env['torch_threads']} thread(s), "
        f"transformers {env['transformers']}, onnxruntime {env['onnxruntime']}; load average "
        f"{record['load_before'][0]:.1f} before, {record['load_after'][0]:.1f} after; {record['wall_s']:.0f} s."
    )


def fmt_x(v: float | None) -> str:
    """A speed ratio as "x1.23" ("-" when not measured)."""
    return "-" if v is None else f"x{v:.2f}"


def met(ok: bool) -> str:
    return "met" if ok else "MISSED"


def native_bf16(env: dict) -> str:
    """What bf16 hardware the CPU has: AMX tiles, only AVX512-BF16 dot products, or none."""
    flags = env["cpu_flags"]
    if flags.get("amx_bf16"):
        return "AMX"
    return "AVX512-BF16, no AMX" if env["native_bf16"] else "no"
