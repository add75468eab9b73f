"""ONNX export of any ALBERT model class and an ONNX Runtime session that answers like the model.

    path = export_onnx(model, "out/model.onnx")          # + ORT's transformer fusions
    runner = load_onnx("out/model.onnx")                  # or load_onnx("out/") for out/model.onnx
    runner(input_ids, attention_mask).last_hidden_state   # same output class and fields as `model`

The graph is traced from the reference path (fast paths off, attention mask always applied), with
the batch and sequence axes dynamic. `optimize=True` then runs onnxruntime's transformer optimizer,
which fuses LayerNorm(x + residual) (SkipLayerNormalization) and the tanh GELU (FastGelu); fp32
outputs stay within ~3e-6 of ours. `precision="int8"` adds ORT's dynamic int8 quantisation of the
MatMul weights (approximate; see docs/performance.md for its accuracy).

Needs the `onnx` extra: `pip install 'albert-lite[onnx]'` (onnx and onnxruntime).
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import logging
import os
import warnings
from collections.abc import Iterator
from pathlib import Path

import torch
from torch import nn

from albert.config import AlbertConfig
from albert.model import outputs as outputs_module
from albert.model.base import AlbertPreTrainedModel
from albert.model.fast import REFERENCE
from albert.model.inputs import check_inputs

logger = logging.getLogger(__name__)

INPUT_NAMES = ("input_ids", "attention_mask", "token_type_ids")
# Output fields of each class, in the order of its output dataclass (only tensors that are always set).
OUTPUT_FIELDS = {
    "AlbertModel": ("last_hidden_state", "pooler_output"),
    "AlbertForPreTraining": ("prediction_logits", "sop_logits"),
    "AlbertForMaskedLM": ("logits",),
    "AlbertForSequenceClassification": ("logits",),
    "AlbertForMultipleChoice": ("logits",),
    "AlbertForTokenClassification": ("logits",),
    "AlbertForQuestionAnswering": ("start_logits", "end_logits"),
}
OUTPUT_CLASSES = {
    "AlbertModel": "BaseModelOutputWithPooling",
    "AlbertForPreTraining": "AlbertForPreTrainingOutput",
    "AlbertForMaskedLM": "MaskedLMOutput",
    "AlbertForSequenceClassification": "SequenceClassifierOutput",
    "AlbertForMultipleChoice": "MultipleChoiceModelOutput",
    "AlbertForTokenClassification": "TokenClassifierOutput",
    "AlbertForQuestionAnswering": "QuestionAnsweringModelOutput",
}
METADATA_KEY = "albert"


class _TupleOutputs(nn.Module):
    """The model with positional inputs and a tuple of tensors out (what the tracer can export)."""

    def __init__(self, model: AlbertPreTrainedModel, fields: tuple[str, ...]) -> None:
        super().__init__()
        self.model = model
        self.fields = fields

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor, token_type_ids: torch.Tensor):
        out = self.model(
            input_ids=input_ids,
            attention_mask=attention_mask,
            token_type_ids=token_type_ids,
            return_dict=True,
        )
        return tuple(getattr(out, f) for f in self.fields)


@contextlib.contextmanager
def _reference_paths(model: AlbertPreTrainedModel) -> Iterator[None]:
    """Trace the padded reference path (unpadding is data-dependent Python control flow)."""
    saved = model.fast_paths
    model.enable_fast_paths(**vars(dataclasses.replace(REFERENCE, fused_gelu=saved.fused_gelu)))
    try:
        yield
    finally:
        model.enable_fast_paths(**vars(saved))


def export_onnx(
    model: AlbertPreTrainedModel,
    path: str | os.PathLike,
    *,
    optimize: bool = True,
    precision: str = "fp32",
    opset: int = 17,
) -> Path:
    """Export `model` (any ALBERT class) to `path`; returns the path of the file to load.

    Args:
        optimize: run onnxruntime's transformer fusions (SkipLayerNorm, FastGelu); they pay ~10-20%.
        precision: "fp32" or "int8" (ORT dynamic quantisation of the MatMul weights, approximate).
    """
    import onnx  # noqa: F401  (the exporter needs it; fail here with a clear ImportError)

    name = type(model).__name__
    if name not in OUTPUT_FIELDS:
        raise ValueError(f"cannot export {name}; expected one of {', '.join(OUTPUT_FIELDS)}")
    if precision not in ("fp32", "int8"):
        raise ValueError(f"precision must be 'fp32' or 'int8', got {precision!r}")
    path = Path(path)
    if path.is_dir():  # as load_onnx reads it: <dir>/model.onnx
        path = path / "model.onnx"
    path.parent.mkdir(parents=True, exist_ok=True)
    fields = OUTPUT_FIELDS[name]
    example = _example_inputs(model, choices=name == "AlbertForMultipleChoice")
    dynamic = (
        {0: "batch", 1: "choices", 2: "sequence"} if example[0].dim() == 3 else {0: "batch", 1: "sequence"}
    )
    was_training = model.training
    model.eval()
    with _reference_paths(model), torch.no_grad(), warnings.catch_warnings():
        # The tracer warns about the (constant-folded) input range checks; they are host-side only.
        warnings.simplefilter("ignore")
        torch.onnx.export(
            _TupleOutputs(model, fields),
            example,
            str(path),
            dynamo=False,  # the TorchScript exporter needs only `onnx`; the dynamo one also onnxscript
            input_names=list(INPUT_NAMES),
            output_names=list(fields),
            dynamic_axes={**{k: dynamic for k in INPUT_NAMES}, **{f: {0: "batch"} for f in fields}},
            opset_version=opset,
        )
    model.train(was_training)
    if optimize:
        fuse_onnx(path, num_heads=model.config.num_attention_heads, hidden_size=model.config.hidden_size)
    if precision == "int8":
        _quantize(path)
    _write_metadata(path, name, model)
    logger.info("exported %s to %s (optimize=%s, precision=%s)", name, path, optimize, precision)
    return path


def _example_inputs(model: AlbertPreTrainedModel, choices: bool) -> tuple[torch.Tensor, ...]:
    shape = (2, 2, 8) if choices else (2, 8)
    ids = torch.full(shape, 5, dtype=torch.long, device=model.device)
    mask = torch.ones(shape, dtype=torch.long, device=model.device)
    mask[0, ..., -2:] = 0  # padding present, so the traced path applies the mask
    return ids, mask, torch.zeros_like(ids)


def fuse_onnx(path: str | os.PathLike, *, num_heads: int, hidden_size: int) -> None:
    """Rewrite the BERT-like ONNX graph at `path` in place with ONNX Runtime's transformer fusions
    (SkipLayerNorm, FastGelu, ...). `export_onnx` applies it; the benchmark applies the same pass to the
    `transformers` export, so both ONNX Runtime contestants get it."""
    from onnxruntime.transformers.optimizer import optimize_model

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fused = optimize_model(
            str(path),
            model_type="bert",
            num_heads=num_heads,
            hidden_size=hidden_size,
            opt_level=0,  # graph-level fusions only; ORT applies its own at session creation
        )
    logger.debug("ORT fusions: %s", fused.get_fused_operator_statistics())
    fused.save_model_to_file(str(path))


def _quantize(path: Path) -> None:
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    tmp = path.with_suffix(".fp32.onnx")
    path.replace(tmp)
    quantize_dynamic(
        str(tmp),
        str(path),
        weight_type=QuantType.QInt8,
        op_types_to_quantize=["MatMul"],
        # the fused contrib ops (FastGelu, SkipLayerNormalization) defeat ONNX shape inference
        extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT},
    )
    tmp.unlink()


def _write_metadata(path: Path, name: str, model: AlbertPreTrainedModel) -> None:
    import onnx

    proto = onnx.load(str(path))
    entry = proto.metadata_props.add()
    entry.key = METADATA_KEY
    # The config lets the runner check inputs as the model does (ids in range, shapes, length).
    entry.value = json.dumps(
        {"class": name, "vocab_size": model.config.vocab_size, "config": model.config.to_dict()}
    )
    onnx.save(proto, str(path))


class OnnxModel:
    """An ONNX Runtime session called like the exported model class (torch tensors in and out)."""

    def __init__(self, path: str | os.PathLike, *, threads: int | None = None, arena: bool = True) -> None:
        """threads: intra-op threads (default: torch's). arena=False frees activations after each call
        instead of keeping ORT's memory arena (slightly slower; lets RSS show each call's peak)."""
        import onnxruntime as ort

        self.path = Path(path)
        options = ort.SessionOptions()
        options.enable_cpu_mem_arena = arena
        options.intra_op_num_threads = threads or torch.get_num_threads()
        options.inter_op_num_threads = 1
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        try:
            self.session = ort.InferenceSession(str(self.path), options, providers=["CPUExecutionProvider"])
        except Exception as e:  # ORT raises its own exception types (InvalidProtobuf, Fail, ...)
            raise ValueError(f"{self.path} is not an ONNX model ONNX Runtime can load: {e}") from None
        meta = json.loads(self.session.get_modelmeta().custom_metadata_map.get(METADATA_KEY, "{}"))
        self.model_class = meta.get("class", "AlbertModel")
        # Exports older than the config in their metadata run unchecked (ONNX Runtime's own errors).
        self.config = AlbertConfig.from_dict(meta["config"]) if "config" in meta else None
        self.fields = tuple(o.name for o in self.session.get_outputs())
        self.output_class = getattr(outputs_module, OUTPUT_CLASSES[self.model_class])

    def __call__(
        self,
        input_ids: torch.Tensor,
        attention_mask: torch.Tensor | None = None,
        token_type_ids: torch.Tensor | None = None,
    ):
        if self.config is not None:  # the model's own checks and defaults, on (rows, T)
            shape = tuple(input_ids.shape)
            rank = 3 if self.model_class == "AlbertForMultipleChoice" else 2
            if len(shape) != rank:
                axes = "(batch, choices, seq_len)" if rank == 3 else "(batch, seq_len)"
                raise ValueError(f"input_ids must have shape {axes} for {self.model_class}, got {shape}")
            for name, given in (("attention_mask", attention_mask), ("token_type_ids", token_type_ids)):
                if given is not None and tuple(given.shape) != shape:
                    raise ValueError(f"{name} has shape {tuple(given.shape)} but the input has shape {shape}")
            rows = [
                None if x is None else x.reshape(-1, shape[-1])
                for x in (input_ids, attention_mask, token_type_ids)
            ]
            checked = check_inputs(self.config, rows[0], rows[1], rows[2], None, None)[:3]
            input_ids, attention_mask, token_type_ids = (x.reshape(shape) for x in checked)
        if attention_mask is None:
            attention_mask = torch.ones_like(input_ids)
        if token_type_ids is None:
            token_type_ids = torch.zeros_like(input_ids)
        feed = {
            "input_ids": input_ids.to(torch.long).cpu().numpy(),
            "attention_mask": attention_mask.to(torch.long).cpu().numpy(),
            "token_type_ids": token_type_ids.to(torch.long).cpu().numpy(),
        }
        results = self.session.run(list(self.fields), feed)
        return self.output_class(**{f: torch.from_numpy(r) for f, r in zip(self.fields, results)})

    def __repr__(self) -> str:
        return f"OnnxModel({self.model_class}, {str(self.path)!r})"


def load_onnx(path: str | os.PathLike, *, threads: int | None = None, arena: bool = True) -> OnnxModel:
    """An `OnnxModel` for a .onnx file, or for `model.onnx` inside a directory."""
    path = Path(path)
    if path.is_dir():
        path = path / "model.onnx"
    if not path.is_file():
        raise FileNotFoundError(f"no ONNX model at {path}; create one with albert.runtime.export_onnx")
    return OnnxModel(path, threads=threads, arena=arena)
