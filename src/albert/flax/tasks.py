"""The task models: linen modules (encoder `backbone` + head) and their user-facing classes, with HF
class names, input names and output fields. Losses are computed by the classes (`compute_loss`),
outside the modules, from the heads' loss functions.

Which modules use the pooler follows the reference: pretraining, sequence classification and
multiple choice do; masked LM, token classification and question answering do not.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
from flax import linen as nn

from albert.config import AlbertConfig
from albert.flax.backbone import AlbertModule
from albert.flax.base import FlaxAlbertPreTrainedModel
from albert.flax.heads import (
    MaskedLMHead,
    SentenceOrderHead,
    cross_entropy,
    infer_problem_type,
    masked_lm_loss,
    sentence_order_loss,
    sequence_classification_loss,
    span_loss,
)
from albert.flax.layers import dense
from albert.flax.outputs import (
    FlaxAlbertForPreTrainingOutput,
    FlaxMaskedLMOutput,
    FlaxMultipleChoiceModelOutput,
    FlaxQuestionAnsweringModelOutput,
    FlaxSequenceClassifierOutput,
    FlaxTokenClassifierOutput,
)
from albert.model.heads import classifier_dropout

Array = jax.Array | None


class _TaskModule(nn.Module):
    """A backbone plus a head. `__call__` takes the encoder's arguments (see `AlbertModule`)."""

    config: AlbertConfig
    dtype: jnp.dtype = jnp.float32
    pooled = True  # whether the backbone has a pooler

    def setup(self) -> None:
        self.backbone = AlbertModule(self.config, self.dtype, add_pooling_layer=self.pooled)
        self.setup_head()

    def setup_head(self) -> None:
        raise NotImplementedError

    def __call__(self, *inputs, deterministic: bool = True, **kwargs):
        out = self.backbone(*inputs, deterministic=deterministic, **kwargs)
        return self.head(out, deterministic)


class PreTrainingModule(_TaskModule):
    def setup_head(self) -> None:
        self.mlm_head = MaskedLMHead(self.config, self.dtype)
        self.sop_head = SentenceOrderHead(self.config, self.dtype)

    def head(self, out, deterministic: bool) -> FlaxAlbertForPreTrainingOutput:
        prediction_logits = self.mlm_head(out.last_hidden_state, self.backbone.word_embeddings())  # (B, T, V)
        sop_logits = self.sop_head(out.pooler_output, deterministic)  # (B, 2)
        return FlaxAlbertForPreTrainingOutput(
            None, prediction_logits, sop_logits, out.hidden_states, out.attentions
        )


class MaskedLMModule(_TaskModule):
    pooled = False

    def setup_head(self) -> None:
        self.mlm_head = MaskedLMHead(self.config, self.dtype)

    def head(self, out, deterministic: bool) -> FlaxMaskedLMOutput:
        logits = self.mlm_head(out.last_hidden_state, self.backbone.word_embeddings())  # (B, T, V)
        return FlaxMaskedLMOutput(None, logits, out.hidden_states, out.attentions)


class SequenceClassificationModule(_TaskModule):
    def setup_head(self) -> None:
        self.dropout = nn.Dropout(classifier_dropout(self.config))
        self.classifier = dense(self.config, self.config.num_labels, self.dtype)

    def head(self, out, deterministic: bool) -> FlaxSequenceClassifierOutput:
        logits = self.classifier(self.dropout(out.pooler_output, deterministic=deterministic))  # (B, n)
        return FlaxSequenceClassifierOutput(None, logits, out.hidden_states, out.attentions)


class MultipleChoiceModule(_TaskModule):
    """Inputs (B, C, T) are scored as B * C sequences; logits (B, C)."""

    def setup_head(self) -> None:
        self.dropout = nn.Dropout(classifier_dropout(self.config))
        self.classifier = dense(self.config, 1, self.dtype)

    def __call__(
        self,
        input_ids: Array = None,
        attention_mask: Array = None,
        token_type_ids: Array = None,
        position_ids: Array = None,
        head_mask: Array = None,
        inputs_embeds: Array = None,
        deterministic: bool = True,
        **kwargs,
    ) -> FlaxMultipleChoiceModelOutput:
        first = input_ids if input_ids is not None else inputs_embeds
        if first is None:
            raise ValueError("pass exactly one of input_ids or inputs_embeds (got neither)")
        if jnp.ndim(first) < 3:
            raise ValueError(
                f"multiple-choice inputs must have shape (batch, num_choices, seq_len), got {jnp.shape(first)}"
            )
        num_choices = jnp.shape(first)[1]

        # (B, C, T) -> (B*C, T), keeping the last axis as transformers does, so (1, T) position ids
        # and a (B*C, T) mask are taken too; inputs_embeds (B, C, T, E) -> (B*C, T, E).
        def flat(x: Array, trailing: int = 1) -> Array:
            return None if x is None else jnp.reshape(x, (-1, *jnp.shape(x)[jnp.ndim(x) - trailing :]))

        out = self.backbone(
            flat(input_ids), flat(attention_mask), flat(token_type_ids), flat(position_ids), head_mask,
            flat(inputs_embeds, 2), deterministic=deterministic, **kwargs,
        )  # fmt: skip
        pooled = self.dropout(out.pooler_output, deterministic=deterministic)
        logits = self.classifier(pooled).reshape(-1, num_choices)  # (B, C)
        return FlaxMultipleChoiceModelOutput(None, logits, out.hidden_states, out.attentions)


class TokenClassificationModule(_TaskModule):
    pooled = False

    def setup_head(self) -> None:
        self.dropout = nn.Dropout(classifier_dropout(self.config))
        self.classifier = dense(self.config, self.config.num_labels, self.dtype)

    def head(self, out, deterministic: bool) -> FlaxTokenClassifierOutput:
        logits = self.classifier(
            self.dropout(out.last_hidden_state, deterministic=deterministic)
        )  # (B, T, n)
        return FlaxTokenClassifierOutput(None, logits, out.hidden_states, out.attentions)


class QuestionAnsweringModule(_TaskModule):
    pooled = False

    def setup_head(self) -> None:
        self.qa_outputs = dense(self.config, self.config.num_labels, self.dtype)

    def head(self, out, deterministic: bool) -> FlaxQuestionAnsweringModelOutput:
        logits = self.qa_outputs(out.last_hidden_state)  # (B, T, 2)
        start_logits, end_logits = logits[..., 0], logits[..., 1]
        return FlaxQuestionAnsweringModelOutput(
            None, start_logits, end_logits, out.hidden_states, out.attentions
        )


# ----- user-facing classes -----


class FlaxAlbertForPreTraining(FlaxAlbertPreTrainedModel):
    """MLM + sentence-order prediction. Labels: `labels` (B, T) with -100 where not predicted and
    `sentence_order_label` (B,); the loss (MLM CE + SOP CE) needs both."""

    module_class = PreTrainingModule
    label_names = ("labels", "sentence_order_label")

    def compute_loss(self, out, labels=None, sentence_order_label=None) -> Array:
        if labels is None or sentence_order_label is None:
            return None
        return masked_lm_loss(out.prediction_logits, labels) + sentence_order_loss(
            out.sop_logits, sentence_order_label
        )


class FlaxAlbertForMaskedLM(FlaxAlbertPreTrainedModel):
    """Masked language modelling (fill-mask). Labels: `labels` (B, T), -100 where not predicted."""

    module_class = MaskedLMModule
    label_names = ("labels",)

    def compute_loss(self, out, labels=None) -> Array:
        return None if labels is None else masked_lm_loss(out.logits, labels)


class FlaxAlbertForSequenceClassification(FlaxAlbertPreTrainedModel):
    """Sentence(-pair) classification or regression on the pooled [CLS] vector. `config.problem_type`
    picks the loss; when None it is inferred from the first labels seen and stored in `self.config`."""

    module_class = SequenceClassificationModule
    label_names = ("labels",)

    def compute_loss(self, out, labels=None) -> Array:
        if labels is None:
            return None
        if self.config.problem_type is None:
            self.config = self.config.replace(problem_type=infer_problem_type(self.config.num_labels, labels))
        return sequence_classification_loss(out.logits, labels, self.config.problem_type)


class FlaxAlbertForMultipleChoice(FlaxAlbertPreTrainedModel):
    """Scores each of C candidates (inputs (B, C, T)); labels (B,) index the correct choice."""

    module_class = MultipleChoiceModule
    label_names = ("labels",)
    dummy_shape = (1, 1, 1)

    def compute_loss(self, out, labels=None) -> Array:
        return None if labels is None else cross_entropy(out.logits, labels, classes="num_choices")


class FlaxAlbertForTokenClassification(FlaxAlbertPreTrainedModel):
    """Per-token labels (e.g. NER). Labels: `labels` (B, T), -100 where no label."""

    module_class = TokenClassificationModule
    label_names = ("labels",)

    def compute_loss(self, out, labels=None) -> Array:
        return None if labels is None else cross_entropy(out.logits, labels, classes="config.num_labels")


class FlaxAlbertForQuestionAnswering(FlaxAlbertPreTrainedModel):
    """Extractive QA: start and end logits. Labels: `start_positions`, `end_positions` (B,); out-of-range
    positions are ignored."""

    module_class = QuestionAnsweringModule
    label_names = ("start_positions", "end_positions")

    def __init__(self, config: AlbertConfig, *args, **kwargs) -> None:
        if config.num_labels != 2:
            raise ValueError(
                f"FlaxAlbertForQuestionAnswering needs num_labels=2 (start, end), got {config.num_labels}"
            )
        super().__init__(config, *args, **kwargs)

    def compute_loss(self, out, start_positions=None, end_positions=None) -> Array:
        if start_positions is None or end_positions is None:
            return None
        return span_loss(out.start_logits, out.end_logits, start_positions, end_positions)
