"""`output_hidden_states` / `output_attentions` as config defaults on the Flax classes, as on the torch ones
(tests/model/test_output_defaults.py): the config's value unless the call passes one."""

from __future__ import annotations

import numpy as np

from tests.conftest import tiny_kwargs
from tests.model.test_output_defaults import check_other_framework, check_tuple_outputs

transformers = __import__("pytest").importorskip(
    "transformers", reason="transformers is the parity reference"
)


def test_config_output_flags_are_call_defaults(tmp_path):
    from albert.flax import FlaxAlbertForMaskedLM

    check_other_framework(FlaxAlbertForMaskedLM, tmp_path)


def test_return_dict_false_gives_transformers_tuple(tmp_path):
    from albert.flax import FlaxAlbertForSequenceClassification

    check_tuple_outputs(
        FlaxAlbertForSequenceClassification, transformers.FlaxAlbertForSequenceClassification, tmp_path
    )


def test_parameter_casts_as_transformers(tmp_path):
    import jax
    import jax.numpy as jnp

    from albert.flax import FlaxAlbertModel

    transformers.AlbertModel(transformers.AlbertConfig(**tiny_kwargs())).save_pretrained(tmp_path)
    ours = FlaxAlbertModel.from_pretrained(tmp_path)
    for cast, dtype in (
        (ours.to_bf16, jnp.bfloat16),
        (ours.to_fp16, jnp.float16),
        (ours.to_fp32, jnp.float32),
    ):
        leaves = jax.tree_util.tree_leaves(cast(ours.params))
        assert leaves and all(leaf.dtype == dtype for leaf in leaves)
    half = ours.to_bf16(ours.params)
    assert jax.tree_util.tree_leaves(ours.params)[0].dtype == jnp.float32  # a copy: the model's stay fp32
    out = ours(np.array([[2, 5, 3]], dtype=np.int32), params=half)
    assert out.last_hidden_state.shape == (1, 3, 16)
