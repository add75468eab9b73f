"""Output dataclasses, one per model class, with the Hugging Face field names.

They support `out.logits`, `out["logits"]`, `out[0]` and `out.to_tuple()`; like transformers 5.x, the
tuple form leaves out fields that are None.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

import torch


@dataclass(frozen=True)
class ModelOutput:
    def to_tuple(self) -> tuple[Any, ...]:
        return tuple(v for v in (getattr(self, f.name) for f in dataclasses.fields(self)) if v is not None)

    def keys(self) -> list[str]:
        return [f.name for f in dataclasses.fields(self) if getattr(self, f.name) is not None]

    def __getitem__(self, key: int | slice | str) -> Any:
        if isinstance(key, str):
            if key not in self.keys():
                raise KeyError(key)
            return getattr(self, key)
        return self.to_tuple()[key]

    def __contains__(self, key: str) -> bool:
        return key in self.keys()


Tensors = tuple[torch.Tensor, ...] | None


@dataclass(frozen=True)
class BaseModelOutputWithPooling(ModelOutput):
    last_hidden_state: torch.Tensor  # (B, T, H)
    pooler_output: torch.Tensor | None = None  # (B, H)
    hidden_states: Tensors = None  # L + 1 of (B, T, H)
    attentions: Tensors = None  # L x I of (B, N, T, T)


@dataclass(frozen=True)
class AlbertForPreTrainingOutput(ModelOutput):
    loss: torch.Tensor | None = None
    prediction_logits: torch.Tensor | None = None  # (B, T, V)
    sop_logits: torch.Tensor | None = None  # (B, 2)
    hidden_states: Tensors = None
    attentions: Tensors = None


@dataclass(frozen=True)
class MaskedLMOutput(ModelOutput):
    loss: torch.Tensor | None = None
    logits: torch.Tensor | None = None  # (B, T, V)
    hidden_states: Tensors = None
    attentions: Tensors = None


@dataclass(frozen=True)
class SequenceClassifierOutput(ModelOutput):
    loss: torch.Tensor | None = None
    logits: torch.Tensor | None = None  # (B, num_labels)
    hidden_states: Tensors = None
    attentions: Tensors = None


@dataclass(frozen=True)
class MultipleChoiceModelOutput(ModelOutput):
    loss: torch.Tensor | None = None
    logits: torch.Tensor | None = None  # (B, C)
    hidden_states: Tensors = None
    attentions: Tensors = None


@dataclass(frozen=True)
class TokenClassifierOutput(ModelOutput):
    loss: torch.Tensor | None = None
    logits: torch.Tensor | None = None  # (B, T, num_labels)
    hidden_states: Tensors = None
    attentions: Tensors = None


@dataclass(frozen=True)
class QuestionAnsweringModelOutput(ModelOutput):
    loss: torch.Tensor | None = None
    start_logits: torch.Tensor | None = None  # (B, T)
    end_logits: torch.Tensor | None = None  # (B, T)
    hidden_states: Tensors = None
    attentions: Tensors = None


# torch.export (and other pytree users) see through the outputs to their tensors, as through transformers'.
for _cls in (
    BaseModelOutputWithPooling,
    AlbertForPreTrainingOutput,
    MaskedLMOutput,
    SequenceClassifierOutput,
    MultipleChoiceModelOutput,
    TokenClassifierOutput,
    QuestionAnsweringModelOutput,
):
    torch.export.register_dataclass(_cls, serialized_type_name=f"albert.{_cls.__name__}")
