"""Fast paths: switches that change how the model computes, not what (fp32 within 1e-5 of the
reference at every real position), set with `model.enable_fast_paths(...)`.

`fused_gelu`, `unpad` and `narrow_last_layer` are ON by default (`FastPaths()`), in training and in eval, so the model API,
the pipelines, `albert run`, fine-tuning and pretraining all get them without a flag. What they change
besides speed is below; the one opt-out is `model.disable_fast_paths()` (`REFERENCE`), which makes the
model compute exactly as `transformers` does, padded positions included. `sparse_mlm` (changes the
shape of the MLM logits) and `checkpointing` (trades compute for memory) stay opt-in, and so does
`packed_linear` for the model API; the pipelines (and so `albert run` and `albert serve`) switch it on. What each one
changes, and what it costs:

- `fused_gelu`: "gelu_new" (the tanh GELU of ALBERT v2) as torch's fused kernel, one pass instead of
  eight elementwise ops (and one saved tensor instead of six for backward). Same formula; the two
  differ by float rounding (~1e-7).
- `unpad`: padding is removed before the encoder and restored after it (`unpad.py`); padded positions
  of `last_hidden_state` / `hidden_states` are 0 (the reference's are meaningless values computed from
  the padding embedding; a left-padded sequence's pooled vector therefore differs too). Used on CPUs
  (on GPUs the padded batch measured faster: `unpad.unpad_pays`) when the mask has padding and only 0/1
  values, without `output_attentions` and with absolute positions; otherwise the padded path runs.
- `packed_linear`: in fp32 CPU inference the encoder's matrix products run on weights reordered once
  for oneDNN (`onednn.py`) instead of MKL's sgemm on the stored layout; the reordered copies take memory
  equal to the encoder's weights (the shared layer once). Only without autograd, so training is unchanged;
  the two kernels differ by float rounding (~1e-6). Why not on for the model API: the copy is refreshed
  when a weight is replaced or written through autograd's version counter (optimizers, `load_state_dict`,
  `torch.no_grad()` in-place ops), but a write through `weight.data` or a NumPy view is invisible to it and
  would leave the old weights in use. Pipelines own their model's weights, so there it is safe;
  `model.enable_fast_paths()` (which also drops the packed copies) or `prepare_for_inference(model)` turn
  it on elsewhere.
- `narrow_last_layer`: a head that reads only some positions gets the last layer run only there
  (`AlbertModel.forward`'s `output_positions`): sequence classification and multiple choice at the
  [CLS] position (the pooler's), masked LM at `mlm_positions` (or labels != -100 under `sparse_mlm`),
  pretraining at both. The last layer's output projection and feed-forward then run on those rows
  instead of every token (its keys and values still come from every token), in training too; the
  returned values are the same, but the hidden dropout of that layer (v1 models) draws for fewer rows,
  so a seeded run differs from the reference's. Not when hidden states or attentions are asked for,
  nor under tracing, export or torch.compile (narrowing indexes by a mask's values).
- `sparse_mlm`: the MLM head runs only where `labels != -100` when labels are given, so
  `prediction_logits` / `logits` are (M, V) for those M positions in row-major order (the order of
  `labels[labels != -100]`) instead of (B, T, V); the loss is the same number. Saves the (B, T, V)
  logits, their softmax and gradients: most of a pretraining step's memory.
- `checkpointing`: in training, each layer application keeps only its input and recomputes the rest
  in backward (non-reentrant `torch.utils.checkpoint`): ~1/3 more compute for far less memory.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch
import torch.nn.functional as F

from albert.model.activations import gelu_tanh, get_activation


@dataclass(frozen=True)
class FastPaths:
    fused_gelu: bool = True
    unpad: bool = True
    sparse_mlm: bool = False
    checkpointing: bool = False
    packed_linear: bool = False
    narrow_last_layer: bool = True


REFERENCE = FastPaths(
    fused_gelu=False,
    unpad=False,
    sparse_mlm=False,
    checkpointing=False,
    packed_linear=False,
    narrow_last_layer=False,
)
"""Every path off: the reference computation (`model.disable_fast_paths()`)."""

# Fused kernels for activations whose reference formula is spelled out elementwise.
_FUSED: dict[str, Callable[[torch.Tensor], torch.Tensor]] = {
    "gelu_new": gelu_tanh,
    "gelu_accurate": gelu_tanh,
    "gelu_python": F.gelu,
}


def activation_for(name: str, fused: bool) -> Callable[[torch.Tensor], torch.Tensor]:
    """The activation `name`, as its fused kernel when `fused` and one exists."""
    if fused and name in _FUSED:
        return _FUSED[name]
    return get_activation(name)
