"""Where a model runs: `resolve_device` (pipelines, `from_pretrained(device=...)`, the CLI) and
`resolve_device_map` (transformers' `device_map=` spellings, without `accelerate`).

A device asking for a GPU on a machine without CUDA is a clear error that suggests the CPU, in the
caller's own wording (`device='cpu'` in Python, `--device cpu` on the command line).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

import torch

logger = logging.getLogger(__name__)

# accelerate's placement strategies: with the whole model on one device they all mean "the best one".
AUTO_DEVICE_MAPS = ("auto", "balanced", "balanced_low_0", "sequential")


def resolve_device(
    device: str | int | torch.device | None, *, argument: str = "device", cpu_hint: str | None = None
) -> torch.device:
    """None -> cpu; an int N (or "N") -> cuda:N (-1 -> cpu); otherwise anything torch.device accepts.

    `argument` names the parameter in error messages; `cpu_hint` is the fix they suggest
    (default `<argument>='cpu'`).
    """
    hint = cpu_hint or f"{argument}='cpu'"
    # How the value was written: `device=0` in Python, `--device 0` on the command line.
    shown = f"{argument} {device}" if argument.startswith("-") else f"{argument}={device!r}"
    if device is None:
        return torch.device("cpu")
    if isinstance(device, torch.device):
        dev = device
    elif isinstance(device, bool):
        raise ValueError(f"{shown} is not a device; use 'cpu', 'cuda', 'cuda:N' or an index N")
    elif isinstance(device, int) or (isinstance(device, str) and device.strip().lstrip("-").isdigit()):
        index = int(device)
        dev = torch.device("cpu") if index < 0 else torch.device("cuda", index)
    else:
        try:
            dev = torch.device(device)
        except (RuntimeError, TypeError) as e:
            raise ValueError(
                f"unknown {argument} {device!r}; use 'cpu', 'cuda', 'cuda:N' or an index N"
            ) from e
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"{shown} asks for a GPU but CUDA is not available here; use {hint}")
    if dev.type == "cuda" and dev.index is not None and dev.index >= torch.cuda.device_count():
        raise ValueError(
            f"{shown} asks for GPU {dev.index} but this machine has {torch.cuda.device_count()} GPU(s), "
            f"numbered from 0; use a smaller index or {hint}"
        )
    return dev


def resolve_device_map(device_map: Any) -> torch.device:
    """transformers' `device_map` -> the one device the whole model goes to.

    "auto" (and accelerate's "balanced", "balanced_low_0", "sequential") -> cuda:0 when CUDA is
    available, else cpu; "cpu", "cuda", "cuda:N", an index N or a torch.device -> that device;
    a dict -> its device when every entry names the same one (e.g. `{"": 0}`).
    """
    if isinstance(device_map, str) and device_map in AUTO_DEVICE_MAPS:
        device = torch.device("cuda", 0) if torch.cuda.is_available() else torch.device("cpu")
        logger.info("device_map=%r: the whole model goes to %s", device_map, device)
        return device
    if isinstance(device_map, Mapping):
        devices = {resolve_device(d, argument="device_map", cpu_hint='device_map="cpu"') for d in
                   device_map.values()}  # fmt: skip
        if len(devices) != 1:
            raise ValueError(
                f"device_map={dict(device_map)!r} splits the model over {len(devices) or 'no'} devices; "
                "albert-lite places the whole model on one device: use device_map='auto' or a device"
            )
        return devices.pop()
    return resolve_device(device_map, argument="device_map", cpu_hint='device_map="cpu"')


def cpu_bf16_hardware(cpuinfo: str = "/proc/cpuinfo") -> str | None:
    """What multiplies bf16 on this CPU: "amx" (AMX tiles), "avx512_bf16" (AVX512-BF16 dot products
    only), "none" (torch emulates bf16), or None where the CPU's flags cannot be read (not Linux x86)."""
    try:
        with open(cpuinfo, encoding="utf-8") as f:
            flags = next((line.split(":", 1)[1].split() for line in f if line.startswith("flags")), None)
    except OSError:
        return None
    if flags is None:
        return None
    if "amx_bf16" in flags:
        return "amx"
    return "avx512_bf16" if "avx512_bf16" in flags else "none"


def warn_if_bf16_is_slow(dtype: torch.dtype | None, device: torch.device | str | None) -> None:
    """Log a warning (once per process) when a model is put in bf16 on a CPU without AMX: there bf16
    runs slower than fp32 (docs/performance.md, results/bench/bf16.json: without AVX512-BF16 torch
    emulates it; with AVX512-BF16 alone its matrix products ran at about half the fp32 rate)."""
    if dtype != torch.bfloat16 or torch.device(device or "cpu").type != "cpu":
        return
    hardware = cpu_bf16_hardware()
    if hardware in ("none", "avx512_bf16") and not _warned:
        _warned.append(hardware)
        what = "AVX512-BF16 but no AMX" if hardware == "avx512_bf16" else "no native bf16"
        logger.warning(
            "bfloat16 on this CPU (%s) is slower than float32; for speed keep float32, or use int8: "
            "albert.runtime.prepare_for_inference(model, precision='int8') (docs/performance.md)",
            what,
        )


_warned: list[str] = []  # the bf16 warning is given once per process


__all__ = [
    "AUTO_DEVICE_MAPS",
    "cpu_bf16_hardware",
    "resolve_device",
    "resolve_device_map",
    "warn_if_bf16_is_slow",
]
