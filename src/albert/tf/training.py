"""Keras' `fit` / `evaluate` / `predict` on the TensorFlow ALBERT classes, as transformers' TF classes
offer them: `model.compile(optimizer=...)` without a loss trains on the model's own loss, and with a
loss (`compile(loss=...)`) on that loss.

Data: `(x, y)` or `(x, y, sample_weight)` batches, or `x` alone, from a `tf.data.Dataset`, NumPy
arrays or dicts of them. `x` is the tokenizer's dict (or the input ids); `y` is the labels tensor (the
model's `labels` argument) or a dict of label arguments (`start_positions` / `end_positions` for
question answering, `sentence_order_label` for pretraining); labels may also sit inside `x`, as after
`dataset.to_tf_dataset(columns=[..., "labels"])`.

The model's own loss: labels go into the model call; metrics given to `compile` see `(y, logits)` (the
classes with a `logits` output). Sample weights are refused (the model's loss is a mean over its labels).

A compiled loss: the model is called without labels and the loss sees `(y, output)`, matched as
transformers' TF `train_step` matches them: a tensor `y` (or a dict with one entry) goes with the
output named for it, else the first output (`logits`; `start_logits`, `prediction_logits`); a dict of
several labels with the outputs named for them (`start_positions` -> `start_logits`, ...); a tuple with
the outputs in order. Sample weights go to the loss and the metrics.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

import keras
import tensorflow as tf

LABEL_ARGS = ("labels", "start_positions", "end_positions", "sentence_order_label")
OUTPUTS_NOT_PREDICTED = ("loss", "hidden_states", "attentions")
# compile(loss=...) values that mean "the model's own loss" in transformers' TF classes.
MODEL_LOSS_NAMES = ("auto", "auto_with_warning", "passthrough")
_NEEDS_LABELS = (
    "fit / evaluate need labels: give (x, y) batches, or a 'labels' entry in x "
    "(question answering: start_positions and end_positions)"
)


def model_inputs(x: Any) -> dict[str, Any]:
    """The model's keyword arguments from `x`: the tokenizer's dict, or the input ids alone."""
    return dict(x) if isinstance(x, Mapping) else {"input_ids": x}


def split_batch(data: Any) -> tuple[dict[str, Any], Any]:
    """A batch for the model's own loss -> (keyword arguments of the model, labels included; labels for
    the compiled metrics)."""
    x, y, sample_weight = keras.utils.unpack_x_y_sample_weight(data)
    if sample_weight is not None:
        raise ValueError(
            "sample_weight is not supported with the model's own loss (nor class_weight): that loss is a "
            "mean over its labels; set ignored label positions to -100, or give compile() a loss, e.g. "
            "keras.losses.SparseCategoricalCrossentropy(from_logits=True), which takes sample weights"
        )
    inputs = model_inputs(x)
    if isinstance(y, Mapping):
        inputs.update(y)
    elif y is not None:
        inputs["labels"] = y
    labels = y if y is not None else inputs.get("labels")
    if not any(inputs.get(name) is not None for name in LABEL_ARGS):
        raise ValueError(_NEEDS_LABELS)
    return inputs, labels


def split_batch_for_compiled_loss(data: Any) -> tuple[dict[str, Any], Any, Any]:
    """A batch for a compiled loss -> (keyword arguments of the model without labels, y, sample weight).
    Labels inside `x` become `y` when the batch has none (as transformers does)."""
    x, y, sample_weight = keras.utils.unpack_x_y_sample_weight(data)
    inputs = model_inputs(x)
    in_x = {name: inputs.pop(name) for name in LABEL_ARGS if inputs.get(name) is not None}
    y = y if y is not None else in_x
    if isinstance(y, Mapping) and not y:
        raise ValueError(_NEEDS_LABELS)
    return inputs, y, sample_weight


def match_outputs(out: Any, y: Any, label_outputs: Mapping[str, str]) -> tuple[Any, Any]:
    """(y, y_pred) for a compiled loss: the labels and the model outputs they are compared with.
    `label_outputs` renames label arguments to output names (`start_positions` -> `start_logits`)."""
    fields = [key for key in out.keys() if key not in OUTPUTS_NOT_PREDICTED]
    if isinstance(y, Mapping):
        y = {label_outputs.get(name, name): value for name, value in y.items()}
        if len(y) == 1:
            ((name, value),) = y.items()
            return value, out[name] if name in fields else out[fields[0]]
        if missing := sorted(set(y) - set(fields)):
            raise ValueError(
                f"labels {missing} match no output of {type(out).__name__} (outputs: {fields}); name each "
                "label after its output or the model's label argument"
            )
        return y, {name: out[name] for name in y}
    if isinstance(y, (tuple, list)):
        return tuple(y), tuple(out[name] for name in fields[: len(y)])
    return y, out[fields[0]]


class KerasFitMixin:
    """`compile`, `train_step`, `test_step` and `predict_step` for `keras.Model.fit` / `evaluate` /
    `predict`."""

    #: label argument -> the output a compiled loss compares it with (others: the first output)
    label_outputs: ClassVar[dict[str, str]] = {}

    def compile(self, optimizer: Any = "rmsprop", loss: Any = None, *args: Any, **kwargs: Any) -> None:
        """`keras.Model.compile`. `loss=None` (Keras' default), or transformers' "auto" / "passthrough":
        train on the model's own loss; any other loss: train on it, given `(y, matching output)`."""
        if isinstance(loss, str) and loss in MODEL_LOSS_NAMES:
            loss = None
        super().compile(optimizer, loss, *args, **kwargs)  # type: ignore[misc]
        if loss is None:
            # Keras keeps the loss of an earlier compile() when this one gives none; ours means "the
            # model's own loss", so drop it.
            self._compile_loss = None
            self.loss = None

    def compile_from_config(self, config: dict[str, Any]) -> None:
        """Compile as `config` (from `get_compile_config()`) says: what `keras.models.load_model` runs.
        Keras' own version skips models whose `compile` is overridden, as ours is."""
        self.compile(**keras.saving.deserialize_keras_object(config))
        if self.built:  # the optimizer's variables must exist before load_model assigns the saved ones
            self.optimizer.build(self.trainable_variables)  # type: ignore[attr-defined]

    @property
    def trains_on_model_loss(self) -> bool:
        """True when `compile()` got no loss: fit / evaluate use the model's own `out.loss`."""
        return getattr(self, "_compile_loss", None) is None

    def train_step(self, data: Any) -> dict[str, Any]:
        variables = self.trainable_variables  # type: ignore[attr-defined]
        with tf.GradientTape() as tape:
            loss, y, y_pred, sample_weight = self._forward(data, training=True)
            scaled = self.optimizer.scale_loss(loss) if hasattr(self.optimizer, "scale_loss") else loss  # type: ignore[attr-defined]
        gradients = tape.gradient(scaled, variables)
        self.optimizer.apply_gradients(zip(gradients, variables))  # type: ignore[attr-defined]
        return self._record(loss, y, y_pred, sample_weight)

    def test_step(self, data: Any) -> dict[str, Any]:
        return self._record(*self._forward(data, training=False))

    def predict_step(self, data: Any) -> dict[str, tf.Tensor]:
        """The output tensors (logits, ...) of a batch of inputs; labels in the batch are ignored."""
        x, _, _ = keras.utils.unpack_x_y_sample_weight(data)
        inputs = model_inputs(x)
        out = self(**{k: v for k, v in inputs.items() if k not in LABEL_ARGS}, training=False)  # type: ignore[operator]
        return {k: out[k] for k in out.keys() if k not in OUTPUTS_NOT_PREDICTED}

    def _forward(self, data: Any, training: bool) -> tuple[tf.Tensor, Any, Any, Any]:
        """Run a batch -> (scalar loss, y and y_pred for the metrics, sample weight)."""
        if self.trains_on_model_loss:
            inputs, labels = split_batch(data)
            out = self(**inputs, training=training)  # type: ignore[operator]
            # (question answering and pretraining have no `logits`: no metrics)
            return self._total_loss(out), labels, getattr(out, "logits", None), None
        inputs, y, sample_weight = split_batch_for_compiled_loss(data)
        out = self(**inputs, training=training)  # type: ignore[operator]
        y, y_pred = match_outputs(out, y, self.label_outputs)
        loss = self.compute_loss(y=y, y_pred=y_pred, sample_weight=sample_weight, training=training)  # type: ignore[attr-defined]
        return loss, y, y_pred, sample_weight

    def _total_loss(self, out: Any) -> tf.Tensor:
        if out.loss is None:
            raise ValueError("the model returned no loss for this batch: check that its labels are given")
        extra = self.losses  # type: ignore[attr-defined]
        return out.loss + tf.add_n(extra) if extra else out.loss

    def _record(self, loss: tf.Tensor, y: Any, y_pred: Any, sample_weight: Any = None) -> dict[str, Any]:
        """Update the loss tracker and the compiled metrics; return the logs."""
        for metric in self.metrics:  # type: ignore[attr-defined]
            if metric.name == "loss":
                metric.update_state(loss)
        if y is None or y_pred is None:
            return self.get_metrics_result()  # type: ignore[attr-defined]
        return self.compute_metrics(None, y, y_pred, sample_weight)  # type: ignore[attr-defined]
