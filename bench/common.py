"""Shared helpers of the benchmark: timing (best of interleaved rounds), peak memory, tables, machine info.

Peak memory on CPU is the peak resident set size (RSS) of this process during the measured call, minus
the RSS just before it: glibc is asked to return freed memory first (`malloc_trim`), and the kernel's
high-water mark is reset (`/proc/self/clear_refs` <- 5), so each number covers only that call, even
though all implementations share the process. On CUDA it is `torch.cuda.max_memory_allocated` over
the call, minus the memory allocated before it.
"""

from __future__ import annotations

import contextlib
import ctypes
import gc
import json
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import torch

_LIBC = ctypes.CDLL("libc.so.6") if platform.system() == "Linux" else None


def _status_kib(key: str) -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    return 0


def rss_supported() -> bool:
    return _LIBC is not None and os.path.exists("/proc/self/clear_refs")


def peak_memory_mib(fn: Callable[[], object], device: str) -> float:
    """Peak memory (MiB) that one call of `fn` adds on top of what was allocated before it."""
    gc.collect()
    if device == "cuda":
        torch.cuda.synchronize()
        torch.cuda.empty_cache()
        before = torch.cuda.memory_allocated()
        torch.cuda.reset_peak_memory_stats()
        fn()
        torch.cuda.synchronize()
        return (torch.cuda.max_memory_allocated() - before) / 2**20
    if not rss_supported():
        return float("nan")
    _LIBC.malloc_trim(0)
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")  # reset VmHWM to the current RSS
    before = _status_kib("VmRSS")
    fn()
    return (_status_kib("VmHWM") - before) / 1024


def train_step(model, batch: dict, autocast: torch.dtype | None = None) -> Callable[[], float]:
    """One optimizer step (forward, backward, AdamW) on `batch`, as a call returning the loss; `autocast`:
    the forward under `torch.autocast` to that dtype (the weights and the optimizer stay fp32)."""
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-5)
    device = next(model.parameters()).device.type

    def step() -> float:
        context = torch.autocast(device, dtype=autocast) if autocast else contextlib.nullcontext()
        with context:
            loss = model(**batch).loss
        loss.backward()
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        return float(loss.detach())

    return step


def sync(device: str) -> None:
    if device == "cuda":
        torch.cuda.synchronize()


@dataclass
class Race:
    """Times several implementations of the same work, interleaved round by round (so that load from
    other processes hits them alike), and keeps each one's best time."""

    device: str
    rounds: int
    best: dict[str, float] = field(default_factory=dict)

    def run(self, fns: dict[str, Callable[[], object]], warmup: int = 1) -> dict[str, float]:
        for fn in fns.values():
            for _ in range(warmup):
                fn()
        self.best = {name: float("inf") for name in fns}
        for _ in range(self.rounds):
            for name, fn in fns.items():
                time.sleep(0.05)  # let the previous runtime's spinning worker threads go idle
                sync(self.device)
                start = time.perf_counter()
                fn()
                sync(self.device)
                self.best[name] = min(self.best[name], time.perf_counter() - start)
        return self.best


def table(headers: list[str], rows: list[list[object]]) -> str:
    """A Markdown table (also readable as plain text)."""
    cells = [[_fmt(c) for c in row] for row in rows]
    widths = [max(len(h), *(len(r[i]) for r in cells)) if cells else len(h) for i, h in enumerate(headers)]
    lines = [
        "| " + " | ".join(h.ljust(w) for h, w in zip(headers, widths)) + " |",
        "|" + "|".join("-" * (w + 2) for w in widths) + "|",
    ]
    lines += ["| " + " | ".join(c.rjust(w) for c, w in zip(r, widths)) + " |" for r in cells]
    return "\n".join(lines)


def _fmt(value: object) -> str:
    if isinstance(value, float):
        if value != value:  # nan
            return "-"
        if abs(value) >= 100:
            return f"{value:,.0f}"
        if abs(value) >= 1:
            return f"{value:.2f}"
        return f"{value:.2g}"
    return str(value)


def machine_info(device: str) -> dict[str, str]:
    info = {
        "python": platform.python_version(),
        "torch": torch.__version__,
        "threads": str(torch.get_num_threads()),
        "cpu": _cpu_name(),
        "cores": str(os.cpu_count()),
        "load": f"{os.getloadavg()[0]:.2f}",
    }
    for name in ("transformers", "onnxruntime"):
        try:
            info[name] = __import__(name).__version__
        except ImportError:
            info[name] = "not installed"
    if device == "cuda":
        info["gpu"] = torch.cuda.get_device_name()
    return info


def _cpu_name() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


# ----- committed measurements (results/bench/*.json) -----

RESULTS_DIR = Path(__file__).resolve().parents[1] / "results" / "bench"
CPU_FLAGS = ("avx2", "fma", "avx512f", "avx512_vnni", "avx512_bf16", "amx_bf16", "amx_int8", "avx_vnni")


def cpu_flags() -> dict[str, bool]:
    """Which of the instruction sets that decide fp32 / bf16 / int8 speed this CPU has."""
    try:
        with open("/proc/cpuinfo") as f:
            flags = next((line.split(":", 1)[1].split() for line in f if line.startswith("flags")), [])
    except OSError:
        flags = []
    return {name: name in flags for name in CPU_FLAGS}


def environment() -> dict[str, object]:
    """CPU model and flags, versions, threads: what a measurement depends on besides the code."""
    info: dict[str, object] = {
        "cpu": _cpu_name(),
        "cores": os.cpu_count(),
        "cpu_flags": cpu_flags(),
        "native_bf16": cpu_flags()["avx512_bf16"] or cpu_flags()["amx_bf16"],
        "python": platform.python_version(),
        "torch": torch.__version__,
        "torch_threads": torch.get_num_threads(),
    }
    for name in ("transformers", "onnxruntime"):
        try:
            info[name] = __import__(name).__version__
        except ImportError:
            info[name] = None
    return info


def medians(
    fns: dict[str, Callable[[], object]], repeats: int, warmup: int = 1, device: str = "cpu"
) -> dict[str, dict]:
    """Time each function `repeats` times, interleaved round by round (load from other processes hits
    them alike); per function the median and every sample, in seconds, of the wall time and of this
    process's CPU time (with one thread, what the call cost the CPU, whatever else ran beside it).
    On CUDA the device is synchronised before and after each call, so a sample covers its kernels."""
    for fn in fns.values():
        for _ in range(warmup):
            fn()
    samples: dict[str, list[float]] = {name: [] for name in fns}
    cpu: dict[str, list[float]] = {name: [] for name in fns}
    for _ in range(repeats):
        for name, fn in fns.items():
            sync(device)
            start, start_cpu = time.perf_counter(), time.process_time()
            fn()
            sync(device)
            samples[name].append(time.perf_counter() - start)
            cpu[name].append(time.process_time() - start_cpu)
    return {
        name: {
            "median_s": statistics.median(s),
            "samples_s": s,
            "median_cpu_s": statistics.median(cpu[name]),  # this process's CPU time: less load-dependent
            "cpu_samples_s": cpu[name],
        }
        for name, s in samples.items()
    }


def write_result(section: str, measure: Callable[[], dict], directory: Path = RESULTS_DIR) -> dict:
    """Run `measure` and write its result, with the environment and the load average before and after,
    to `directory/<section>.json`."""
    load_before = os.getloadavg()
    started = time.perf_counter()
    result = measure()
    record = {
        "section": section,
        "command": "python bench/run.py " + " ".join(sys.argv[1:]),
        "environment": environment(),
        "load_before": [round(x, 2) for x in load_before],
        "load_after": [round(x, 2) for x in os.getloadavg()],
        "wall_s": round(time.perf_counter() - started, 1),
        "result": result,
    }
    directory.mkdir(parents=True, exist_ok=True)
    (directory / f"{section}.json").write_text(json.dumps(record, indent=1) + "\n")
    return record
