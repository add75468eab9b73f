"""`output_hidden_states` / `output_attentions` as config defaults on the TF classes, as on the torch ones
(tests/model/test_output_defaults.py): the config's value unless the call passes one."""

from __future__ import annotations

import numpy as np
import torch

import albert
from tests.conftest import tiny_kwargs

transformers = __import__("pytest").importorskip(
    "transformers", reason="transformers is the parity reference"
)


def test_config_output_flags_are_call_defaults(tmp_path):
    from albert.tf import TFAlbertForMaskedLM as Ours

    transformers.AlbertForMaskedLM(transformers.AlbertConfig(**tiny_kwargs())).save_pretrained(tmp_path)
    ids = np.array([[2, 5, 6, 7, 3]], dtype=np.int32)
    ours = Ours.from_pretrained(tmp_path, output_hidden_states=True, output_attentions=True)
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
    assert Ours.from_pretrained(tmp_path)(ids).hidden_states is None


def test_config_output_flags_under_tf_function(tmp_path):
    import tensorflow as tf

    from albert.tf import TFAlbertModel

    transformers.AlbertModel(transformers.AlbertConfig(**tiny_kwargs())).save_pretrained(tmp_path)
    ours = TFAlbertModel.from_pretrained(tmp_path, output_hidden_states=True)
    ids = tf.constant([[2, 5, 6, 3]], tf.int32)
    traced = tf.function(lambda x: ours(input_ids=x).hidden_states)(ids)
    eager = ours(input_ids=ids).hidden_states
    assert len(traced) == len(eager) == 3
    for a, e in zip(traced, eager):
        np.testing.assert_allclose(a.numpy(), e.numpy(), atol=1e-6)
