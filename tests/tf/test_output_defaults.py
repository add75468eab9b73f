"""`output_hidden_states` / `output_attentions` as config defaults on the TF classes, as on the torch ones
(tests/model/test_output_defaults.py): the config's value unless the call passes one."""

from __future__ import annotations

import numpy as np

from tests.conftest import tiny_kwargs
from tests.model.test_output_defaults import check_other_framework, check_tuple_outputs

transformers = __import__("pytest").importorskip(
    "transformers", reason="transformers is the parity reference"
)


def test_config_output_flags_are_call_defaults(tmp_path):
    from albert.tf import TFAlbertForMaskedLM

    check_other_framework(TFAlbertForMaskedLM, tmp_path)


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


def test_return_dict_false_gives_transformers_tuple(tmp_path):
    from albert.tf import TFAlbertForSequenceClassification

    check_tuple_outputs(
        TFAlbertForSequenceClassification, transformers.TFAlbertForSequenceClassification, tmp_path
    )
