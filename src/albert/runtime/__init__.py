"""Serving ALBERT fast: inference precision modes and the ONNX Runtime path.

    from albert.runtime import prepare_for_inference, export_onnx, load_onnx

`prepare_for_inference(model, precision="fp32" | "bf16" | "int8")` returns a torch model in eval
mode (the fast paths are on by default in every model); `export_onnx(model, path)` + `load_onnx(path)`
give an ONNX Runtime session with the model's call signature and output class (needs the `onnx`
extra). docs/performance.md has the numbers.
"""

from albert.runtime.onnx import OnnxModel, export_onnx, fuse_onnx, load_onnx
from albert.runtime.precision import PRECISIONS, prepare_for_inference, quantize_int8

__all__ = [
    "PRECISIONS",
    "OnnxModel",
    "export_onnx",
    "fuse_onnx",
    "load_onnx",
    "prepare_for_inference",
    "quantize_int8",
]
