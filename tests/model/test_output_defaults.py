"""`output_hidden_states` / `output_attentions` as config defaults (transformers' habit
`from_pretrained(path, output_hidden_states=True)`, or a config.json that says so): a call that does not pass
them returns what transformers returns; a call that does pass them wins."""

from __future__ import annotations

import numpy as np
import torch

import albert
from tests.conftest import tiny_kwargs

transformers = __import__("pytest").importorskip(
    "transformers", reason="transformers is the parity reference"
)


def assert_close(actual: torch.Tensor, expected: torch.Tensor) -> None:
    torch.testing.assert_close(actual, expected, atol=1e-5, rtol=1e-5)


def _saved(tmp_path, **config):
    torch.manual_seed(0)
    theirs = transformers.AlbertForSequenceClassification(transformers.AlbertConfig(**tiny_kwargs(**config)))
    theirs.save_pretrained(tmp_path)
    return tmp_path


def test_from_pretrained_output_flags_equal_transformers(tmp_path):
    path = _saved(tmp_path)
    ids = torch.tensor([[2, 5, 6, 7, 3], [2, 8, 3, 0, 0]])
    mask = (ids != 0).long()
    kwargs = dict(output_hidden_states=True, output_attentions=True)
    theirs = transformers.AlbertForSequenceClassification.from_pretrained(path, **kwargs).eval()
    ours = albert.AlbertForSequenceClassification.from_pretrained(path, **kwargs).eval()
    assert ours.config.output_hidden_states and ours.config.output_attentions
    with torch.no_grad():
        expected, actual = theirs(ids, attention_mask=mask), ours(ids, attention_mask=mask)
    assert len(actual.hidden_states) == len(expected.hidden_states) == 3
    for a, e in zip(actual.hidden_states, expected.hidden_states):
        assert_close(a * mask[..., None], e * mask[..., None])  # padded rows differ by design (fast paths)
    for a, e in zip(actual.attentions, expected.attentions):
        assert_close(a, e)
    with torch.no_grad():
        off = ours(ids, attention_mask=mask, output_hidden_states=False, output_attentions=False)
        positional = ours(ids, mask, None, None, None, None, None, False, False)  # the flags by position
    assert off.hidden_states is None and off.attentions is None
    assert positional.hidden_states is None and positional.attentions is None
    assert_close(off.logits, expected.logits)


def test_config_json_output_flags_are_read_and_written(tmp_path):
    path = _saved(tmp_path / "a", output_hidden_states=True)
    ours = albert.AlbertModel.from_pretrained(path)
    assert ours(torch.tensor([[2, 5, 3]])).hidden_states is not None
    ours.save_pretrained(tmp_path / "b")
    assert transformers.AlbertConfig.from_pretrained(tmp_path / "b").output_hidden_states is True
    assert albert.AlbertModel.from_pretrained(tmp_path / "b").config.output_hidden_states is True


def check_other_framework(cls, tmp_path) -> None:
    """The same defaults on a TF or Flax masked-LM class (`cls`), against our torch class."""
    transformers.AlbertForMaskedLM(transformers.AlbertConfig(**tiny_kwargs())).save_pretrained(tmp_path)
    ids = np.array([[2, 5, 6, 7, 3]], dtype=np.int32)
    ours = cls.from_pretrained(tmp_path, output_hidden_states=True, output_attentions=True)
    reference = albert.AlbertForMaskedLM.from_pretrained(tmp_path).eval()
    with torch.no_grad():
        expected = reference(
            torch.tensor(ids, dtype=torch.long), output_hidden_states=True, output_attentions=True
        )
    out = ours(ids)
    assert len(out.hidden_states) == 3 and len(out.attentions) == 2
    for a, e in zip([*out.hidden_states, *out.attentions], [*expected.hidden_states, *expected.attentions]):
        np.testing.assert_allclose(np.asarray(a), e.numpy(), atol=1e-5, rtol=1e-5)
    off = ours(input_ids=ids, output_hidden_states=False, output_attentions=False)
    assert off.hidden_states is None and off.attentions is None
    assert cls.from_pretrained(tmp_path)(ids).hidden_states is None


def check_tuple_outputs(ours_cls, theirs_cls, tmp_path) -> None:
    """`return_dict=False` on a TF or Flax class gives transformers' tuple for that framework's class."""
    torch.manual_seed(0)
    transformers.AlbertForSequenceClassification(transformers.AlbertConfig(**tiny_kwargs())).save_pretrained(
        tmp_path
    )
    ids = np.array([[2, 5, 6, 7, 3]], dtype=np.int32)
    ours = ours_cls.from_pretrained(tmp_path)(ids, return_dict=False, output_hidden_states=True)
    theirs = theirs_cls.from_pretrained(tmp_path, from_pt=True)(
        ids, return_dict=False, output_hidden_states=True
    )
    assert isinstance(ours, tuple) and len(ours) == len(theirs) == 2
    np.testing.assert_allclose(np.asarray(ours[0]), np.asarray(theirs[0]), atol=1e-5)
    for a, e in zip(ours[1], theirs[1]):
        np.testing.assert_allclose(np.asarray(a), np.asarray(e), atol=1e-5)
