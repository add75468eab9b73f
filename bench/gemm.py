"""The machine's limit for this model: the encoder's matrix products alone, timed on the same rows as the
model, give GEMM FLOP/s; limit tokens/s = that rate / the model's FLOPs per token. Also the same products
in bf16 and int8, which say whether a reduced precision can pay on this CPU at all."""

from __future__ import annotations

import warnings
from collections.abc import Callable

import peers
import torch
from torch import nn

from albert.model import onednn

# the kinds of matrix product `model_gemms` times: fp32 on MKL or on oneDNN-packed weights, bf16 (oneDNN's
# kernel, what `model.to(torch.bfloat16)` runs), int8 dynamic quantisation (fbgemm, as `quantize_int8`)
KINDS = ("fp32", "fp32-packed", "bf16", "int8")


def model_gemms(
    config, rows: int, packed: bool = False, kind: str | None = None
) -> tuple[Callable[[], object], float]:
    """The encoder's matrix products for `rows` packed tokens (E->H projection, then per layer Q/K/V,
    output, FFN up and down, with ALBERT's shared weights) and their FLOPs. `kind` (one of KINDS; default
    fp32, or fp32-packed when `packed`): the kernel and precision they run in."""
    kind = kind or ("fp32-packed" if packed else "fp32")
    if kind not in KINDS:
        raise ValueError(f"kind {kind!r}: use one of {', '.join(KINDS)}")
    g = torch.Generator().manual_seed(0)
    e, h, i = config.embedding_size, config.hidden_size, config.intermediate_size
    dtype = torch.bfloat16 if kind == "bf16" else torch.float32

    def rand(*shape: int) -> torch.Tensor:
        return (torch.randn(*shape, generator=g) * 0.02).to(dtype)

    def dense(n_in: int, n_out: int) -> nn.Module:
        lin = nn.Linear(n_in, n_out).requires_grad_(False)
        lin.weight.copy_(torch.randn(n_out, n_in, generator=g) * 0.02)
        lin.bias.copy_(torch.randn(n_out, generator=g) * 0.02)
        if kind != "int8":
            return lin.to(dtype)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # torch's deprecation notice for its eager quantisation
            return torch.ao.quantization.quantize_dynamic(nn.Sequential(lin), {nn.Linear}, dtype=torch.qint8)[
                0
            ]

    x_e, x_h, x_i = rand(rows, e), rand(rows, h), rand(rows, i)
    proj, qkv, out, up, down = dense(e, h), dense(h, 3 * h), dense(h, h), dense(h, i), dense(i, h)
    packed = kind == "fp32-packed"

    def run() -> None:
        onednn.linear(proj, x_e, packed)
        for _ in range(config.num_hidden_layers):
            for lin, x in ((qkv, x_h), (out, x_h), (up, x_h), (down, x_i)):
                onednn.linear(lin, x, packed)

    return run, gemm_flops(config, rows)


def gemm_flops(config, rows: int) -> float:
    """FLOPs of the encoder's matrix products (E->H, then per layer Q/K/V, output, FFN) for `rows` tokens."""
    e, h, i = config.embedding_size, config.hidden_size, config.intermediate_size
    return 2.0 * rows * (e * h + config.num_hidden_layers * (4 * h * h + 2 * h * i))


def gemm_kernels(config, rows: int) -> dict[str, Callable[[], object]]:
    """The model's matrix products on each fp32 GEMM kernel torch offers here; the faster sets the limit."""
    kernels = {"gemm-mkl": model_gemms(config, rows)[0]}
    if onednn.AVAILABLE:
        kernels["gemm-onednn"] = model_gemms(config, rows, packed=True)[0]
    return kernels


def fastest_gemm(times: dict) -> dict:
    """The timing of the faster GEMM kernel (by CPU time where recorded), named under "kernel"."""
    key = "median_cpu_s" if all("median_cpu_s" in v for v in times.values()) else "median_s"
    name = min(times, key=lambda k: times[k][key])
    return {**times[name], "kernel": name.removeprefix("gemm-")}


def limit(config, gemm_flops: float, gemm_s: float, lengths: list[int]) -> dict:
    """GEMM limit for sentences of `lengths`, each counted with its own FLOPs (attention included)."""
    rate = gemm_flops / gemm_s
    model_flops = sum(n * peers.flops_per_token(config, n) for n in lengths)
    return {
        "gemm_gflops": rate / 1e9,
        "flops_per_token": model_flops / sum(lengths),
        "limit_tokens_per_s": sum(lengths) / (model_flops / rate),
    }
