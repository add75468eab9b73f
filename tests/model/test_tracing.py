"""A model leaves Python as transformers' models do: `torch.save(model)` (pickling), `torch.jit.trace` (a
tuple out, as transformers' `torchscript=True`) and `torch.export`. The recorded graph must hold for other
inputs than the example, so while recording nothing branches on the mask's values (padding removal and
the input range checks stay out of it)."""

from __future__ import annotations

import io

import pytest
import torch

import albert
from tests.conftest import MODEL_CLASSES, tiny_kwargs

transformers = pytest.importorskip("transformers", reason="transformers is the parity reference")


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory):
    path = tmp_path_factory.mktemp("pretraining")
    transformers.AlbertForPreTraining(transformers.AlbertConfig(**tiny_kwargs())).save_pretrained(path)
    return path


def _batch(name: str, mask_rows: list[list[int]]) -> tuple[torch.Tensor, torch.Tensor]:
    mask = torch.tensor(mask_rows)
    ids = torch.randint(5, 99, mask.shape) * mask
    if name == "AlbertForMultipleChoice":  # (B, choices, T)
        return ids[:, None].expand(-1, 2, -1).contiguous(), mask[:, None].expand(-1, 2, -1).contiguous()
    return ids, mask


@pytest.mark.parametrize("name", MODEL_CLASSES)
def test_pickle_trace_and_export(checkpoint, name):
    model = getattr(albert, name).from_pretrained(checkpoint)
    example = _batch(name, [[1, 1, 1, 1, 1, 0], [1, 1, 1, 0, 0, 0]])  # padded: the eager path would unpad
    other = _batch(name, [[1, 1, 0, 0, 0, 0], [1, 1, 1, 1, 1, 1]])
    with torch.no_grad():
        expected = model(*other).to_tuple()
        buffer = io.BytesIO()
        torch.save(model, buffer)
        buffer.seek(0)
        loaded = torch.load(buffer, weights_only=False)
        traced = torch.jit.trace(model, example)
        exported = torch.export.export(model, example).module()
        for actual in (loaded(*other).to_tuple(), traced(*other), exported(*other).to_tuple()):
            assert len(actual) == len(expected)
            for a, e in zip(actual, expected):
                torch.testing.assert_close(_real(a, other[1]), _real(e, other[1]), atol=1e-5, rtol=1e-5)


def _real(x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Token-aligned outputs at real positions only (padded ones differ by design: docs/performance.md)."""
    if x.shape[: mask.dim()] == mask.shape:
        return x * mask.reshape(*mask.shape, *[1] * (x.dim() - mask.dim()))
    return x


def test_torchscript_argument_is_accepted(checkpoint):
    model = albert.AlbertModel.from_pretrained(
        checkpoint, torchscript=True
    )  # transformers' habit for tracing
    ids = torch.tensor([[2, 5, 6, 3]])
    assert isinstance(torch.jit.trace(model, (ids,))(ids), tuple)
    assert not isinstance(model(ids), tuple)  # outside tracing, the usual output

    class Wrapper(torch.nn.Module):  # code of one's own around the model keeps the dataclass by asking
        def __init__(self) -> None:
            super().__init__()
            self.model = model

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return self.model(x, return_dict=True).last_hidden_state

    assert torch.jit.trace(Wrapper(), (ids,))(ids).shape == (1, 4, 16)
