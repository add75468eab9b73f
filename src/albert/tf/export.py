"""SavedModel export: the model's compiled inference function as the `serving_default` signature.

The result needs only TensorFlow to run (`tf.saved_model.load(dir).signatures["serving_default"]`, or
TF Serving): inputs `input_ids`, `attention_mask`, `token_type_ids`, int32 (B, T) ((B, C, T) for multiple
choice), any batch size and length up to `max_position_embeddings`; outputs the model's output fields
(`logits`, `start_logits`, ..., without hidden states and attentions). `config.json` is written beside
it for reference.
"""

from __future__ import annotations

import os
from pathlib import Path

import tensorflow as tf

from albert.tf.base import TFAlbertPreTrainedModel

SIGNATURE = "serving_default"


def export_saved_model(model: TFAlbertPreTrainedModel, directory: str | os.PathLike) -> Path:
    """Write `model` as a SavedModel into `directory` (created; must not hold another SavedModel's files)."""
    directory = Path(directory)
    serve = model.serving_function()
    holder = tf.Module()
    holder.model = model  # tracks the variables
    holder.serve = serve
    tf.saved_model.save(holder, str(directory), signatures={SIGNATURE: serve})
    model.config.save_pretrained(directory, architectures=[model.torch_class_name])
    return directory
