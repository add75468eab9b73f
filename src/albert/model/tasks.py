"""The task models: encoder (`self.backbone`, an `AlbertModel`) + head + loss, with HF class names,
input names and output fields.

Which classes use the pooler follows the reference: pretraining, sequence classification and
multiple choice do; masked LM, token classification and question answering do not.
"""

from __future__ import annotations

import torch
from torch import nn

from albert.config import AlbertConfig
from albert.model.backbone import AlbertModel
from albert.model.base import AlbertPreTrainedModel
from albert.model.heads import (
    MaskedLMHead,
    SentenceOrderHead,
    class_ids,
    classifier_dropout,
    infer_problem_type,
    masked_lm_loss,
    sentence_order_loss,
    sequence_classification_loss,
    span_loss,
)
from albert.model.outputs import (
    AlbertForPreTrainingOutput,
    MaskedLMOutput,
    MultipleChoiceModelOutput,
    QuestionAnsweringModelOutput,
    SequenceClassifierOutput,
    TokenClassifierOutput,
)
from albert.model.unpad import graph_is_recorded


class _TaskModel(AlbertPreTrainedModel):
    """A backbone plus a head; `albert` is an alias of `backbone` for transformers habits."""

    backbone: AlbertModel

    @property
    def albert(self) -> AlbertModel:
        return self.backbone

    def narrows(self, output_hidden_states: bool, output_attentions: bool) -> bool:
        """Whether the last layer may run only where the head reads (`narrow_last_layer`): not when the
        outputs of every position are asked for, nor while a graph is recorded or compiled (narrowing
        indexes by a mask's values)."""
        return (
            self.fast_paths.narrow_last_layer
            and not (output_hidden_states or output_attentions)
            and not (graph_is_recorded() or torch.compiler.is_compiling())
        )


class _MaskedLMMixin:
    """Tying for the classes with an MLM head: decoder weight = word embeddings, decoder bias = head bias."""

    def tie_weights(self) -> None:
        head: MaskedLMHead = self.mlm_head
        if self.config.tie_word_embeddings:
            head.decoder.weight = self.backbone.embeddings.word.weight
        head.decoder.bias = head.bias

    def get_output_embeddings(self) -> nn.Linear:
        return self.mlm_head.decoder

    @property
    def predictions(self) -> MaskedLMHead:
        """transformers' name for the MLM head (`mlm_head`)."""
        return self.mlm_head

    def prediction_positions(
        self, labels: torch.Tensor | None, positions: torch.Tensor | None
    ) -> torch.Tensor | None:
        """Where the MLM logits are wanted: `positions` (B, T) bool as given, else labels != -100 under
        the `sparse_mlm` fast path, else None (everywhere)."""
        if positions is None and labels is not None and self.fast_paths.sparse_mlm:
            return labels != -100
        return positions

    def mlm_logits(
        self,
        h: torch.Tensor,
        labels: torch.Tensor | None,
        positions: torch.Tensor | None,
        narrowed: bool = False,
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        """The MLM head on h (B, T, H): (B, T, V) logits and the labels as given, or, at `positions`
        (`prediction_positions`), (M, V) logits at those M positions (row-major order) and the (M,)
        labels there. `narrowed`: h is already (M, H), the backbone's rows at `positions`."""
        positions = self.prediction_positions(labels, positions)
        if positions is None:
            return self.mlm_head(h), labels
        rows = h if narrowed else h[positions]  # (M, H)
        return self.mlm_head(rows), None if labels is None else labels[positions]

    def resize_output_bias(self, new_num_tokens: int) -> None:
        head: MaskedLMHead = self.mlm_head
        old = head.bias.data
        bias = torch.zeros(new_num_tokens, dtype=old.dtype, device=old.device)
        n = min(new_num_tokens, old.shape[0])
        bias[:n] = old[:n]
        head.bias = nn.Parameter(bias)
        if not self.config.tie_word_embeddings:  # untied decoder: grow it alongside
            w = head.decoder.weight.data
            decoder = nn.Linear(w.shape[1], new_num_tokens, device=w.device, dtype=w.dtype)
            nn.init.normal_(decoder.weight, std=self.config.initializer_range)
            decoder.weight.data[:n] = w[:n]
            head.decoder = decoder


class AlbertForPreTraining(_MaskedLMMixin, _TaskModel):
    """MLM + sentence-order prediction, the ALBERT pretraining objective (loss = MLM CE + SOP CE)."""

    def __init__(self, config: AlbertConfig, **kwargs) -> None:
        super().__init__(config, **kwargs)
        self.backbone = AlbertModel(config, **kwargs)
        self.mlm_head = MaskedLMHead(config)
        self.sop_head = SentenceOrderHead(config)
        self.post_init()

    @property
    def sop_classifier(self) -> SentenceOrderHead:
        """transformers' name for the sentence-order head (`sop_head`)."""
        return self.sop_head

    def forward(
        self,
        input_ids: torch.Tensor | None = None,
        attention_mask: torch.Tensor | None = None,
        token_type_ids: torch.Tensor | None = None,
        position_ids: torch.Tensor | None = None,
        head_mask: torch.Tensor | None = None,
        inputs_embeds: torch.Tensor | None = None,
        labels: torch.Tensor | None = None,
        sentence_order_label: torch.Tensor | None = None,
        output_attentions: bool = False,
        output_hidden_states: bool = False,
        mlm_positions: torch.Tensor | None = None,
    ) -> AlbertForPreTrainingOutput:
        """labels (B, T): token ids at predicted positions, -100 elsewhere; sentence_order_label (B,).

        As in the reference, the loss is returned only when both label tensors are given.
        mlm_positions (B, T) bool: compute the MLM logits only there; `prediction_logits` is then (M, V)
        (see `mlm_logits`; the `sparse_mlm` fast path uses labels != -100). Unless hidden states or
        attentions are asked for, the last layer then runs only at those positions and the [CLS] rows.
        """
        positions = self.prediction_positions(labels, mlm_positions)
        narrow = positions is not None and self.narrows(output_hidden_states, output_attentions)
        rows = None
        if narrow:  # the MLM positions and every [CLS] row (the sentence-order head reads the pooled one)
            rows = positions.clone()
            rows[:, 0] = True
        out = self.backbone(
            input_ids, attention_mask, token_type_ids, position_ids, head_mask, inputs_embeds,
            output_attentions, output_hidden_states, output_positions=rows,
        )  # fmt: skip
        h = out.last_hidden_state if rows is None else out.last_hidden_state[positions[rows]]  # (M, H)
        prediction_logits, mlm_labels = self.mlm_logits(h, labels, positions, narrowed=narrow)
        sop_logits = self.sop_head(out.pooler_output)  # (B, 2)
        loss = None
        if labels is not None and sentence_order_label is not None:
            loss = masked_lm_loss(prediction_logits, mlm_labels) + sentence_order_loss(
                sop_logits, sentence_order_label
            )
        return AlbertForPreTrainingOutput(
            loss, prediction_logits, sop_logits, out.hidden_states, out.attentions
        )


class AlbertForMaskedLM(_MaskedLMMixin, _TaskModel):
    """Masked language modelling (fill-mask). No pooler."""

    def __init__(self, config: AlbertConfig, **kwargs) -> None:
        super().__init__(config, **kwargs)
        self.backbone = AlbertModel(config, add_pooling_layer=False, **kwargs)
        self.mlm_head = MaskedLMHead(config)
        self.post_init()

    def forward(
        self,
        input_ids: torch.Tensor | None = None,
        attention_mask: torch.Tensor | None = None,
        token_type_ids: torch.Tensor | None = None,
        position_ids: torch.Tensor | None = None,
        head_mask: torch.Tensor | None = None,
        inputs_embeds: torch.Tensor | None = None,
        labels: torch.Tensor | None = None,
        output_attentions: bool = False,
        output_hidden_states: bool = False,
        mlm_positions: torch.Tensor | None = None,
    ) -> MaskedLMOutput:
        """labels (B, T): token ids at predicted positions, -100 elsewhere.

        mlm_positions (B, T) bool: compute the logits only there (e.g. `input_ids == mask_token_id` for
        fill-mask); `logits` is then (M, V) in row-major order. See `mlm_logits`. Unless hidden states
        or attentions are asked for, the last layer then runs only at those positions too
        (`AlbertModel.forward`'s `output_positions`).
        """
        positions = self.prediction_positions(labels, mlm_positions)
        narrow = positions is not None and self.narrows(output_hidden_states, output_attentions)
        out = self.backbone(
            input_ids, attention_mask, token_type_ids, position_ids, head_mask, inputs_embeds,
            output_attentions, output_hidden_states, output_positions=positions if narrow else None,
        )  # fmt: skip
        logits, mlm_labels = self.mlm_logits(out.last_hidden_state, labels, positions, narrowed=narrow)
        loss = masked_lm_loss(logits, mlm_labels) if labels is not None else None
        return MaskedLMOutput(loss, logits, out.hidden_states, out.attentions)


def first_positions(
    input_ids: torch.Tensor | None, inputs_embeds: torch.Tensor | None, every_position: bool
) -> torch.Tensor | None:
    """(B, T) bool, True at position 0 of each row: all that the pooler reads, so the last layer runs
    there only (`AlbertModel.forward`'s `output_positions`). None when the outputs of every position
    are wanted (`every_position`: see `narrows`) or there is no input to size it by (the backbone
    says so)."""
    inputs = input_ids if input_ids is not None else inputs_embeds
    if every_position or inputs is None or inputs.dim() < 2:
        return None
    first = torch.zeros(inputs.shape[:2], dtype=torch.bool, device=inputs.device)
    first[:, 0] = True
    return first


class AlbertForSequenceClassification(_TaskModel):
    """Sentence(-pair) classification or regression on the pooled [CLS] vector.

    `config.problem_type` picks the loss; when it is None it is inferred from the first labels seen
    (as the reference does) and stored in `self.config`, so that it is saved with the model.
    """

    def __init__(self, config: AlbertConfig, **kwargs) -> None:
        super().__init__(config, **kwargs)
        self.backbone = AlbertModel(config, **kwargs)
        self.dropout = nn.Dropout(classifier_dropout(config))
        self.classifier = nn.Linear(config.hidden_size, config.num_labels)
        self.post_init()

    def forward(
        self,
        input_ids: torch.Tensor | None = None,
        attention_mask: torch.Tensor | None = None,
        token_type_ids: torch.Tensor | None = None,
        position_ids: torch.Tensor | None = None,
        head_mask: torch.Tensor | None = None,
        inputs_embeds: torch.Tensor | None = None,
        labels: torch.Tensor | None = None,
        output_attentions: bool = False,
        output_hidden_states: bool = False,
    ) -> SequenceClassifierOutput:
        """labels: (B,) class ids, (B,) or (B, n) floats for regression, (B, n) 0/1 for multi-label."""
        first = first_positions(
            input_ids, inputs_embeds, not self.narrows(output_hidden_states, output_attentions)
        )
        out = self.backbone(
            input_ids, attention_mask, token_type_ids, position_ids, head_mask, inputs_embeds,
            output_attentions, output_hidden_states, output_positions=first,
        )  # fmt: skip
        logits = self.classifier(self.dropout(out.pooler_output))  # (B, num_labels)
        loss = None
        if labels is not None:
            if self.config.problem_type is None:
                self.config = self.config.replace(
                    problem_type=infer_problem_type(self.config.num_labels, labels)
                )
            loss = sequence_classification_loss(logits, labels, self.config.problem_type)
        return SequenceClassifierOutput(loss, logits, out.hidden_states, out.attentions)


class AlbertForMultipleChoice(_TaskModel):
    """Scores each of C candidate inputs (B, C, T) with Linear(H, 1) on its pooled vector -> (B, C)."""

    def __init__(self, config: AlbertConfig, **kwargs) -> None:
        super().__init__(config, **kwargs)
        self.backbone = AlbertModel(config, **kwargs)
        self.dropout = nn.Dropout(classifier_dropout(config))
        self.classifier = nn.Linear(config.hidden_size, 1)
        self.post_init()

    def forward(
        self,
        input_ids: torch.Tensor | None = None,
        attention_mask: torch.Tensor | None = None,
        token_type_ids: torch.Tensor | None = None,
        position_ids: torch.Tensor | None = None,
        head_mask: torch.Tensor | None = None,
        inputs_embeds: torch.Tensor | None = None,
        labels: torch.Tensor | None = None,
        output_attentions: bool = False,
        output_hidden_states: bool = False,
    ) -> MultipleChoiceModelOutput:
        """Inputs are (B, C, T) (inputs_embeds (B, C, T, E)); labels (B,) index the correct choice."""
        first = input_ids if input_ids is not None else inputs_embeds
        if first is None:
            raise ValueError("pass exactly one of input_ids or inputs_embeds (got neither)")
        if first.dim() < 3:
            raise ValueError(
                f"multiple-choice inputs must have shape (batch, num_choices, seq_len), got {tuple(first.shape)}"
            )
        num_choices = first.shape[1]

        # (B, C, T) -> (B*C, T), keeping the last axis as transformers does, so (1, T) position ids
        # and a (B*C, T) mask are taken too; inputs_embeds (B, C, T, E) -> (B*C, T, E).
        def flat(x: torch.Tensor | None, trailing: int = 1) -> torch.Tensor | None:
            return None if x is None else x.reshape(-1, *x.shape[x.dim() - trailing :])

        out = self.backbone(
            flat(input_ids),
            flat(attention_mask),
            flat(token_type_ids),
            flat(position_ids),
            head_mask,
            flat(inputs_embeds, 2),
            output_attentions,
            output_hidden_states,
            output_positions=first_positions(
                flat(input_ids),
                flat(inputs_embeds, 2),
                not self.narrows(output_hidden_states, output_attentions),
            ),
        )
        logits = self.classifier(self.dropout(out.pooler_output)).view(-1, num_choices)  # (B, C)
        loss = torch.nn.functional.cross_entropy(logits, class_ids(labels)) if labels is not None else None
        return MultipleChoiceModelOutput(loss, logits, out.hidden_states, out.attentions)


class AlbertForTokenClassification(_TaskModel):
    """Per-token labels (e.g. NER): Linear(H, num_labels) on every position. No pooler."""

    def __init__(self, config: AlbertConfig, **kwargs) -> None:
        super().__init__(config, **kwargs)
        self.backbone = AlbertModel(config, add_pooling_layer=False, **kwargs)
        self.dropout = nn.Dropout(classifier_dropout(config))
        self.classifier = nn.Linear(config.hidden_size, config.num_labels)
        self.post_init()

    def forward(
        self,
        input_ids: torch.Tensor | None = None,
        attention_mask: torch.Tensor | None = None,
        token_type_ids: torch.Tensor | None = None,
        position_ids: torch.Tensor | None = None,
        head_mask: torch.Tensor | None = None,
        inputs_embeds: torch.Tensor | None = None,
        labels: torch.Tensor | None = None,
        output_attentions: bool = False,
        output_hidden_states: bool = False,
    ) -> TokenClassifierOutput:
        """labels (B, T): label ids, -100 where no label (sub-word continuations, specials, padding)."""
        out = self.backbone(
            input_ids, attention_mask, token_type_ids, position_ids, head_mask, inputs_embeds,
            output_attentions, output_hidden_states,
        )  # fmt: skip
        logits = self.classifier(self.dropout(out.last_hidden_state))  # (B, T, num_labels)
        loss = None
        if labels is not None:
            loss = torch.nn.functional.cross_entropy(
                logits.reshape(-1, logits.shape[-1]), class_ids(labels).reshape(-1)
            )
        return TokenClassifierOutput(loss, logits, out.hidden_states, out.attentions)


class AlbertForQuestionAnswering(_TaskModel):
    """Extractive QA: start and end logits over the tokens from Linear(H, 2). No pooler, no dropout."""

    def __init__(self, config: AlbertConfig, **kwargs) -> None:
        if config.num_labels != 2:
            raise ValueError(
                f"AlbertForQuestionAnswering needs num_labels=2 (start, end), got {config.num_labels}"
            )
        super().__init__(config, **kwargs)
        self.backbone = AlbertModel(config, add_pooling_layer=False, **kwargs)
        self.qa_outputs = nn.Linear(config.hidden_size, config.num_labels)
        self.post_init()

    def forward(
        self,
        input_ids: torch.Tensor | None = None,
        attention_mask: torch.Tensor | None = None,
        token_type_ids: torch.Tensor | None = None,
        position_ids: torch.Tensor | None = None,
        head_mask: torch.Tensor | None = None,
        inputs_embeds: torch.Tensor | None = None,
        start_positions: torch.Tensor | None = None,
        end_positions: torch.Tensor | None = None,
        output_attentions: bool = False,
        output_hidden_states: bool = False,
    ) -> QuestionAnsweringModelOutput:
        """start_positions / end_positions (B,): gold token indices; out-of-range ones are ignored."""
        out = self.backbone(
            input_ids, attention_mask, token_type_ids, position_ids, head_mask, inputs_embeds,
            output_attentions, output_hidden_states,
        )  # fmt: skip
        logits = self.qa_outputs(out.last_hidden_state)  # (B, T, 2)
        start_logits, end_logits = (x.squeeze(-1).contiguous() for x in logits.split(1, dim=-1))
        loss = None
        if start_positions is not None and end_positions is not None:
            loss = span_loss(start_logits, end_logits, start_positions, end_positions)
        return QuestionAnsweringModelOutput(loss, start_logits, end_logits, out.hidden_states, out.attentions)
