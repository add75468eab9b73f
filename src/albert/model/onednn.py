"""Pre-packed oneDNN matrix products for fp32 CPU inference (the `packed_linear` fast path).

`nn.Linear` on an x86 CPU calls MKL's sgemm, which reads the weight matrix in its stored row-major layout
on every call. oneDNN can reorder a weight once into the blocked layout its kernels read fastest (the
same kernel torch.compile's CPU backend uses when it freezes weights). The reordered copy is cached per
layer, outside the module (its state dict and copies are unchanged), and rebuilt when the weight
is replaced or changed in place. It pays on short inputs, where MKL's kernel is least efficient:
albert-base on one core, `ours-packed` against `ours` in `results/bench/short.json` (one 25-token
sentence: faster on an AMD EPYC and on an Intel Xeon; 16 short ones: faster on the EPYC, level on the
Xeon); at 8x128 and 32 x 16..256 the two are level. Rendered in docs/performance.md.

It is used only where it computes the same function and no autograd is needed: x86-64, CPU tensors, fp32
input and weight, no gradient wanted (inference mode, `torch.no_grad()`, or frozen weights and input), no
autocast, not while tracing, exporting or compiling (those see `nn.Linear`), not on a layer with forward
hooks (they run, through `nn.Linear`, and keep what it returned). Anything else takes the
layer's own path, so training is unaffected and an int8-quantised layer keeps its own kernel. The two
kernels sum in different orders: ~1e-6 apart in fp32. Off by default in the model API, on in the
pipelines: `fast.py` says why.

`linear_activation` also lets oneDNN apply the FFN's GELU inside the packed matrix product, under the
same conditions.
"""

from __future__ import annotations

import platform
import weakref
from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import nn

from albert.model.activations import IN_PLACE, gelu_tanh

# Measured on x86-64 only (MKL against oneDNN there); elsewhere nn.Linear's own kernel runs.
AVAILABLE = (
    platform.machine().lower() in ("x86_64", "amd64")
    and torch.backends.mkldnn.is_available()
    and hasattr(torch.ops.mkldnn, "_linear_pointwise")
    and hasattr(torch.ops.mkldnn, "_reorder_linear_weight")
)

# A hint oneDNN uses to pick the packed layout; the packed weight serves every row count.
_ROWS_HINT = 64

# layer -> (weight, its storage address and version at packing, packed weight); entries go with their
# layers. The weight is held weakly and compared by identity too: a replaced weight's memory may be
# reused by a later one at the same address and version 0, which the address alone would not tell.
_CACHE: weakref.WeakKeyDictionary[nn.Linear, tuple[weakref.ref, tuple[int, int], torch.Tensor]] = (
    weakref.WeakKeyDictionary()
)


def linear(layer: nn.Module, x: torch.Tensor, packed: bool) -> torch.Tensor:
    """`layer(x)` for x (..., in) -> (..., out), through the packed oneDNN kernel when `packed` and it applies."""
    if packed and applies(layer, x):
        return torch.ops.mkldnn._linear_pointwise(x, packed_weight(layer), layer.bias, "none", [], "")
    return layer(x)


def linear_activation(
    layer: nn.Module, x: torch.Tensor, activation: Callable[[torch.Tensor], torch.Tensor], packed: bool
) -> torch.Tensor:
    """`activation(layer(x))` for x (..., in) -> (..., out), without a second (rows, out) buffer where no
    autograd is recording: on packed weights oneDNN applies a GELU or ReLU inside its matrix product (on
    each output tile while it is in cache); otherwise the activation runs in place on the fresh product.
    For ALBERT's FFN that buffer is rows x 4H, the largest activation of the model, and a fresh one costs
    the page faults of first touch on every call (a fresh 5,000 x 3,072 tanh GELU: 59 ms against 32 ms
    in place, one Intel Xeon core), more than the GELU's arithmetic."""
    post_op = _POST_OPS.get(activation)
    if post_op is not None and packed and applies(layer, x):
        return torch.ops.mkldnn._linear_pointwise(x, packed_weight(layer), layer.bias, *post_op)
    out = linear(layer, x, packed)
    in_place = IN_PLACE.get(activation)
    if (
        in_place is None
        or out.requires_grad
        or has_hooks(layer)  # a forward hook may have kept `out`: it must not change under it
        or torch.jit.is_tracing()
        or torch.onnx.is_in_onnx_export()
    ):
        return activation(out)
    return in_place(out)


# The activations oneDNN fuses (its eltwise post-ops) -> (post-op, scalars, algorithm): the same functions,
# its kernels ~2e-6 apart from torch's in fp32 (tests/model/test_onednn.py).
_POST_OPS: dict[Callable[[torch.Tensor], torch.Tensor], tuple[str, list, str]] = {
    gelu_tanh: ("gelu", [], "tanh"),  # gelu_new / gelu_pytorch_tanh with the fast paths on
    F.gelu: ("gelu", [], "none"),  # the exact (erf) GELU
    F.relu: ("relu", [], ""),
}


def applies(layer: nn.Module, x: torch.Tensor) -> bool:
    """Whether `linear` would take the packed kernel for this layer and input."""
    if not AVAILABLE or type(layer) is not nn.Linear or has_hooks(layer):  # quantised: its own kernel
        return False
    w = layer.weight
    return (
        not w.is_inference()  # its version counter, which keeps the cache honest, is not tracked
        and x.device.type == "cpu"
        and w.device.type == "cpu"
        and x.dtype == torch.float32
        and w.dtype == torch.float32
        and not (torch.is_grad_enabled() and (x.requires_grad or w.requires_grad))
        and not torch.is_autocast_enabled("cpu")
        and not torch.jit.is_tracing()
        and not torch.jit.is_scripting()
        and not torch.onnx.is_in_onnx_export()
        and not torch.compiler.is_compiling()
    )


def has_hooks(layer: nn.Module) -> bool:
    """Whether calling `layer` runs forward hooks (its own or global ones), which the packed kernel would
    skip and which may keep the layer's output."""
    return bool(
        layer._forward_hooks
        or layer._forward_pre_hooks
        or nn.modules.module._global_forward_hooks
        or nn.modules.module._global_forward_pre_hooks
    )


def forget_packed_weights(model: nn.Module) -> None:
    """Drop the packed copies of `model`'s layers (rebuilt on their next use)."""
    for module in model.modules():
        _CACHE.pop(module, None)


def packed_weight(layer: nn.Linear) -> torch.Tensor:
    """The layer's weight reordered for oneDNN, cached until the weight is replaced or written to."""
    w = layer.weight
    key = (w.data_ptr(), w._version)
    hit = _CACHE.get(layer)
    if hit is not None and hit[0]() is w and hit[1] == key:
        return hit[2]
    with torch.no_grad():
        packed = torch.ops.mkldnn._reorder_linear_weight(w.detach(), _ROWS_HINT)
    _CACHE[layer] = (weakref.ref(w), key, packed)
    return packed
