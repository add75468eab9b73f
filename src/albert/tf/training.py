"""Keras' `fit` / `evaluate` / `predict` on the TensorFlow ALBERT classes, as transformers' TF classes
offer them: `model.compile(optimizer=...)` without a loss trains on the model's own loss.

Data: `(x, y)` or `(x, y, sample_weight)` batches, or `x` alone, from a `tf.data.Dataset`, NumPy
arrays or dicts of them. `x` is the tokenizer's dict (or the input ids); `y` is the labels tensor (the
model's `labels` argument) or a dict of label arguments (`start_positions` / `end_positions` for
question answering, `sentence_order_label` for pretraining); labels may also sit inside `x`, as after
`dataset.to_tf_dataset(columns=[..., "labels"])`. Metrics given to `compile` see `(y, logits)` (the
classes with a `logits` output).
Sample weights are not supported (the model's loss is a mean over its labels).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import keras
import tensorflow as tf

LABEL_ARGS = ("labels", "start_positions", "end_positions", "sentence_order_label")
OUTPUTS_NOT_PREDICTED = ("loss", "hidden_states", "attentions")


def split_batch(data: Any) -> tuple[dict[str, Any], Any]:
    """A fit/evaluate batch -> (keyword arguments of the model, labels for the compiled metrics)."""
    x, y, sample_weight = keras.utils.unpack_x_y_sample_weight(data)
    if sample_weight is not None:
        raise ValueError(
            "sample_weight is not supported: the model's loss is the mean over its labels; "
            "set ignored label positions to -100 instead"
        )
    inputs = dict(x) if isinstance(x, Mapping) else {"input_ids": x}
    if isinstance(y, Mapping):
        inputs.update(y)
    elif y is not None:
        inputs["labels"] = y
    labels = y if y is not None else inputs.get("labels")
    if not any(inputs.get(name) is not None for name in LABEL_ARGS):
        raise ValueError(
            "fit / evaluate need labels: give (x, y) batches, or a 'labels' entry in x "
            "(question answering: start_positions and end_positions)"
        )
    return inputs, labels


class KerasFitMixin:
    """`train_step`, `test_step` and `predict_step` for `keras.Model.fit` / `evaluate` / `predict`."""

    def train_step(self, data: Any) -> dict[str, Any]:
        inputs, labels = split_batch(data)
        variables = self.trainable_variables  # type: ignore[attr-defined]
        with tf.GradientTape() as tape:
            out = self(**inputs, training=True)  # type: ignore[operator]
            loss = self._total_loss(out)
            scaled = self.optimizer.scale_loss(loss) if hasattr(self.optimizer, "scale_loss") else loss  # type: ignore[attr-defined]
        gradients = tape.gradient(scaled, variables)
        self.optimizer.apply_gradients(zip(gradients, variables))  # type: ignore[attr-defined]
        return self._record(loss, labels, out)

    def test_step(self, data: Any) -> dict[str, Any]:
        inputs, labels = split_batch(data)
        out = self(**inputs, training=False)  # type: ignore[operator]
        return self._record(self._total_loss(out), labels, out)

    def predict_step(self, data: Any) -> dict[str, tf.Tensor]:
        """The output tensors (logits, ...) of a batch of inputs; labels in the batch are ignored."""
        x, _, _ = keras.utils.unpack_x_y_sample_weight(data)
        inputs = dict(x) if isinstance(x, Mapping) else {"input_ids": x}
        out = self(**{k: v for k, v in inputs.items() if k not in LABEL_ARGS}, training=False)  # type: ignore[operator]
        return {k: out[k] for k in out.keys() if k not in OUTPUTS_NOT_PREDICTED}

    def _total_loss(self, out: Any) -> tf.Tensor:
        if out.loss is None:
            raise ValueError("the model returned no loss for this batch: check that its labels are given")
        extra = self.losses  # type: ignore[attr-defined]
        return out.loss + tf.add_n(extra) if extra else out.loss

    def _record(self, loss: tf.Tensor, labels: Any, out: Any) -> dict[str, Any]:
        """Update the loss tracker and the compiled metrics (on the logits); return the logs."""
        predictions = getattr(out, "logits", None)  # (question answering and pretraining: no metrics)
        for metric in self.metrics:  # type: ignore[attr-defined]
            if metric.name == "loss":
                metric.update_state(loss)
            elif labels is not None and predictions is not None:
                metric.update_state(labels, predictions)
        return self.get_metrics_result()  # type: ignore[attr-defined]
