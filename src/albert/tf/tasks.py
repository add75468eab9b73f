"""The TF task models: encoder (`self.backbone`, a `TFAlbertModel`) + head + loss, with transformers' TF
class names and `albert.model.tasks`' inputs, outputs and losses. Pretraining, sequence classification and
multiple choice use the pooler; masked LM, token classification and question answering do not."""

from __future__ import annotations

import keras
import tensorflow as tf

from albert.config import AlbertConfig
from albert.model.outputs import (
    AlbertForPreTrainingOutput,
    MaskedLMOutput,
    MultipleChoiceModelOutput,
    QuestionAnsweringModelOutput,
    SequenceClassifierOutput,
    TokenClassifierOutput,
)
from albert.tf.backbone import TFAlbertModel
from albert.tf.base import TFAlbertPreTrainedModel, dense
from albert.tf.heads import (
    MaskedLMHead,
    SentenceOrderHead,
    classifier_dropout,
    cross_entropy,
    infer_problem_type,
    sequence_classification_loss,
    span_loss,
)

_ENCODER_ARGS = ("input_ids", "attention_mask", "token_type_ids", "position_ids", "head_mask", "inputs_embeds",
                 "output_attentions", "output_hidden_states", "training")  # fmt: skip


class _TaskModel(TFAlbertPreTrainedModel):
    """A backbone plus a head; `albert` is an alias of `backbone` for transformers habits."""

    def __init__(self, config: AlbertConfig, *, pooler: bool, **kwargs) -> None:
        super().__init__(config, **kwargs)
        self.backbone = TFAlbertModel(
            config, add_pooling_layer=pooler, create_variables=False, dtype=self.dtype_policy
        )

    @property
    def albert(self) -> TFAlbertModel:
        return self.backbone

    def encode(self, inputs: dict):
        return self.backbone(**{k: inputs[k] for k in _ENCODER_ARGS})


class _MaskedLM(_TaskModel):
    def mlm_logits(self, h: tf.Tensor, labels, positions):
        """(B, T, V) logits and the labels, or with `positions` (B, T) bool the (M, V) logits there."""
        if positions is not None:
            h = tf.boolean_mask(h, positions)
            labels = None if labels is None else tf.boolean_mask(labels, positions)
        return self.mlm_head(h, self.word_embeddings), labels


@keras.saving.register_keras_serializable(package="albert")
class TFAlbertForPreTraining(_MaskedLM):
    """MLM + sentence-order prediction (loss = MLM CE + SOP CE, when both label tensors are given)."""

    torch_class_name = "AlbertForPreTraining"
    label_outputs = {"labels": "prediction_logits", "sentence_order_label": "sop_logits"}

    def __init__(self, config: AlbertConfig, **kwargs) -> None:
        super().__init__(config, pooler=True, **kwargs)
        self.mlm_head = MaskedLMHead(config, dtype=self.dtype_policy)
        self.sop_head = SentenceOrderHead(config, dtype=self.dtype_policy)
        self.build_variables()

    def call(self, input_ids=None, attention_mask=None, token_type_ids=None, position_ids=None, head_mask=None,
             inputs_embeds=None, labels=None, sentence_order_label=None, output_attentions=False,
             output_hidden_states=False, mlm_positions=None, training=False) -> AlbertForPreTrainingOutput:  # fmt: skip
        """labels (B, T): ids at predicted positions, -100 elsewhere; sentence_order_label (B,)."""
        out = self.encode(locals())
        prediction_logits, mlm_labels = self.mlm_logits(out.last_hidden_state, labels, mlm_positions)
        sop_logits = self.sop_head(out.pooler_output, training=training)  # (B, 2)
        loss = None
        if labels is not None and sentence_order_label is not None:
            loss = cross_entropy(prediction_logits, mlm_labels) + cross_entropy(
                sop_logits, sentence_order_label, name="sentence_order_label"
            )
        return AlbertForPreTrainingOutput(
            loss, prediction_logits, sop_logits, out.hidden_states, out.attentions
        )


@keras.saving.register_keras_serializable(package="albert")
class TFAlbertForMaskedLM(_MaskedLM):
    """Masked language modelling (fill-mask). No pooler."""

    torch_class_name = "AlbertForMaskedLM"

    def __init__(self, config: AlbertConfig, **kwargs) -> None:
        super().__init__(config, pooler=False, **kwargs)
        self.mlm_head = MaskedLMHead(config, dtype=self.dtype_policy)
        self.build_variables()

    def call(self, input_ids=None, attention_mask=None, token_type_ids=None, position_ids=None, head_mask=None,
             inputs_embeds=None, labels=None, output_attentions=False, output_hidden_states=False,
             mlm_positions=None, training=False) -> MaskedLMOutput:  # fmt: skip
        """labels (B, T): ids at predicted positions, -100 elsewhere. mlm_positions (B, T) bool: logits there only."""
        out = self.encode(locals())
        logits, mlm_labels = self.mlm_logits(out.last_hidden_state, labels, mlm_positions)
        loss = cross_entropy(logits, mlm_labels) if labels is not None else None
        return MaskedLMOutput(loss, logits, out.hidden_states, out.attentions)


@keras.saving.register_keras_serializable(package="albert")
class TFAlbertForSequenceClassification(_TaskModel):
    """Classification or regression on the pooled [CLS] vector; `config.problem_type` picks the loss
    (inferred from the first labels when None, and kept in `self.config`)."""

    torch_class_name = "AlbertForSequenceClassification"

    def __init__(self, config: AlbertConfig, **kwargs) -> None:
        super().__init__(config, pooler=True, **kwargs)
        self.dropout = keras.layers.Dropout(classifier_dropout(config), dtype=self.dtype_policy)
        self.classifier = dense(self, config.num_labels, config)
        self.build_variables()

    def call(self, input_ids=None, attention_mask=None, token_type_ids=None, position_ids=None, head_mask=None,
             inputs_embeds=None, labels=None, output_attentions=False, output_hidden_states=False,
             training=False) -> SequenceClassifierOutput:  # fmt: skip
        """labels: (B,) class ids, (B,) or (B, n) floats for regression, (B, n) 0/1 for multi-label."""
        out = self.encode(locals())
        logits = self.classifier(self.dropout(out.pooler_output, training=training))  # (B, num_labels)
        loss = None
        if labels is not None:
            labels = tf.convert_to_tensor(labels)
            if self.config.problem_type is None:
                self.config = self.config.replace(
                    problem_type=infer_problem_type(self.config.num_labels, labels)
                )
            loss = sequence_classification_loss(logits, labels, self.config.problem_type)
        return SequenceClassifierOutput(loss, logits, out.hidden_states, out.attentions)


@keras.saving.register_keras_serializable(package="albert")
class TFAlbertForMultipleChoice(_TaskModel):
    """Scores each of C candidates (B, C, T) with Dense(1) on its pooled vector -> (B, C)."""

    torch_class_name = "AlbertForMultipleChoice"

    def __init__(self, config: AlbertConfig, **kwargs) -> None:
        super().__init__(config, pooler=True, **kwargs)
        self.dropout = keras.layers.Dropout(classifier_dropout(config), dtype=self.dtype_policy)
        self.classifier = dense(self, 1, config)
        self.build_variables()

    def call(self, input_ids=None, attention_mask=None, token_type_ids=None, position_ids=None, head_mask=None,
             inputs_embeds=None, labels=None, output_attentions=False, output_hidden_states=False,
             training=False) -> MultipleChoiceModelOutput:  # fmt: skip
        """Inputs are (B, C, T) (inputs_embeds (B, C, T, E)); labels (B,) index the correct choice."""
        first = input_ids if input_ids is not None else inputs_embeds
        if first is None:
            raise ValueError("pass exactly one of input_ids or inputs_embeds (got neither)")
        first = tf.convert_to_tensor(first)
        if first.shape.rank is None or first.shape.rank < 3:
            raise ValueError(
                f"multiple-choice inputs must have shape (batch, num_choices, seq_len), got {tuple(first.shape)}"
            )
        num_choices = tf.shape(first)[1]

        # (B, C, T) -> (B*C, T), keeping the last axis as transformers does, so (1, T) position ids
        # and a (B*C, T) mask are taken too; inputs_embeds (B, C, T, E) -> (B*C, T, E).
        def flat(x, trailing: int = 1):
            if x is None:
                return None
            x = tf.convert_to_tensor(x)
            return tf.reshape(x, tf.concat([[-1], tf.shape(x)[-trailing:]], axis=0))

        out = self.backbone(
            input_ids=flat(input_ids), attention_mask=flat(attention_mask), token_type_ids=flat(token_type_ids),
            position_ids=flat(position_ids), head_mask=head_mask, inputs_embeds=flat(inputs_embeds, 2),
            output_attentions=output_attentions, output_hidden_states=output_hidden_states, training=training,
        )  # fmt: skip
        logits = self.classifier(self.dropout(out.pooler_output, training=training))
        logits = tf.reshape(logits, (-1, num_choices))  # (B, C)
        loss = cross_entropy(logits, labels) if labels is not None else None
        return MultipleChoiceModelOutput(loss, logits, out.hidden_states, out.attentions)

    def dummy_inputs(self) -> dict[str, tf.Tensor]:
        return {"input_ids": tf.constant([[[1, 2]]], dtype=tf.int32)}

    def input_signature(self) -> list[tf.TensorSpec]:
        names = ("input_ids", "attention_mask", "token_type_ids")
        return [tf.TensorSpec((None, None, None), tf.int32, name=n) for n in names]


@keras.saving.register_keras_serializable(package="albert")
class TFAlbertForTokenClassification(_TaskModel):
    """Per-token labels (e.g. NER): Dense(num_labels) on every position. No pooler."""

    torch_class_name = "AlbertForTokenClassification"

    def __init__(self, config: AlbertConfig, **kwargs) -> None:
        super().__init__(config, pooler=False, **kwargs)
        self.dropout = keras.layers.Dropout(classifier_dropout(config), dtype=self.dtype_policy)
        self.classifier = dense(self, config.num_labels, config)
        self.build_variables()

    def call(self, input_ids=None, attention_mask=None, token_type_ids=None, position_ids=None, head_mask=None,
             inputs_embeds=None, labels=None, output_attentions=False, output_hidden_states=False,
             training=False) -> TokenClassifierOutput:  # fmt: skip
        """labels (B, T): label ids, -100 where no label."""
        out = self.encode(locals())
        logits = self.classifier(self.dropout(out.last_hidden_state, training=training))  # (B, T, num_labels)
        loss = cross_entropy(logits, labels) if labels is not None else None
        return TokenClassifierOutput(loss, logits, out.hidden_states, out.attentions)


@keras.saving.register_keras_serializable(package="albert")
class TFAlbertForQuestionAnswering(_TaskModel):
    """Extractive QA: start and end logits over the tokens from Dense(2). No pooler, no dropout."""

    torch_class_name = "AlbertForQuestionAnswering"
    label_outputs = {"start_positions": "start_logits", "end_positions": "end_logits"}

    def __init__(self, config: AlbertConfig, **kwargs) -> None:
        if config.num_labels != 2:
            raise ValueError(
                f"TFAlbertForQuestionAnswering needs num_labels=2 (start, end), got {config.num_labels}"
            )
        super().__init__(config, pooler=False, **kwargs)
        self.qa_outputs = dense(self, config.num_labels, config)
        self.build_variables()

    def call(self, input_ids=None, attention_mask=None, token_type_ids=None, position_ids=None, head_mask=None,
             inputs_embeds=None, start_positions=None, end_positions=None, output_attentions=False,
             output_hidden_states=False, training=False) -> QuestionAnsweringModelOutput:  # fmt: skip
        """start_positions / end_positions (B,): gold token indices; out-of-range ones are ignored."""
        out = self.encode(locals())
        logits = self.qa_outputs(out.last_hidden_state)  # (B, T, 2)
        start_logits, end_logits = tf.unstack(logits, axis=-1)
        loss = None
        if start_positions is not None and end_positions is not None:
            loss = span_loss(start_logits, end_logits, start_positions, end_positions)
        return QuestionAnsweringModelOutput(loss, start_logits, end_logits, out.hidden_states, out.attentions)
