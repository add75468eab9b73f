"""transformers' Flax API on our classes: the constructor's `input_shape`, `seed`, `dtype`, `_do_init`;
`from_pretrained(..., _do_init=False)` and module options; `init_weights(rng, input_shape)`; `params` as
the 5th positional argument of a call; MLM logits in float32 under a half compute dtype. Refusals name
the fix. (The comparison with transformers' own classes is in test_transformers.py.)"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from flax.traverse_util import flatten_dict

from albert.config import AlbertConfig
from albert.flax import FlaxAlbertForMaskedLM, FlaxAlbertForMultipleChoice, FlaxAlbertModel
from tests.conftest import tiny_kwargs

CONFIG = AlbertConfig(**tiny_kwargs())
IDS = np.array([[2, 7, 9, 3], [2, 5, 3, 0]], np.int32)
MASK = np.array([[1, 1, 1, 1], [1, 1, 1, 0]], np.int32)


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    """A saved FlaxAlbertModel and its outputs on IDS."""
    directory = tmp_path_factory.mktemp("model")
    model = FlaxAlbertModel(CONFIG, seed=1)
    model.save_pretrained(directory)
    return directory, model


def same(a, b) -> bool:
    return all(
        np.array_equal(x, y) for x, y in zip(jax.tree_util.tree_leaves(a), jax.tree_util.tree_leaves(b))
    )


def test_constructor_takes_transformers_arguments_in_its_order():
    model = FlaxAlbertModel(CONFIG, (1, 8), 1, jnp.float32)  # input_shape, seed, dtype as upstream
    assert model.input_shape == (1, 8)
    assert same(model.params, FlaxAlbertModel(CONFIG, seed=1).params)  # the shape does not change them
    with pytest.raises(ValueError, match="input_shape must be the input_ids shape \\(batch, num_choices"):
        FlaxAlbertForMultipleChoice(CONFIG, input_shape=(1, 8))
    with pytest.raises(
        TypeError, match="unexpected arguments \\['gradient_checkpointing'\\]; it takes .*add_pool"
    ):
        FlaxAlbertModel(CONFIG, gradient_checkpointing=True)  # was flax's TypeError from inside linen


def test_do_init_false_holds_no_params_and_init_weights_makes_them():
    model = FlaxAlbertModel(CONFIG, _do_init=False)
    with pytest.raises(ValueError, match="_do_init=False and holds no parameters: pass them to each call"):
        model(IDS)
    params = model.init_weights(jax.random.key(1), (2, 4))
    assert same(params, FlaxAlbertModel(CONFIG, seed=1).params)
    assert model(IDS, MASK, None, None, params).last_hidden_state.shape == (2, 4, CONFIG.hidden_size)
    # a partial tree keeps its leaves, the missing ones are fresh (transformers' `params=` argument)
    partial = {"pooler": jax.tree_util.tree_map(jnp.zeros_like, params["pooler"])}
    filled = model.init_weights(jax.random.key(1), (1, 1), params=partial)
    assert not np.asarray(filled["pooler"]["dense"]["kernel"]).any()
    assert same(filled["encoder"], params["encoder"])


def test_from_pretrained_do_init_false_and_module_options(saved):
    directory, reference = saved
    model, params = FlaxAlbertModel.from_pretrained(directory, _do_init=False)
    assert same(params, reference.params)
    with pytest.raises(ValueError, match="holds no parameters"):
        model.params  # noqa: B018
    no_pooler = FlaxAlbertModel.from_pretrained(directory, add_pooling_layer=False)
    assert "pooler" not in no_pooler.params
    out = no_pooler(IDS, MASK)
    assert out.pooler_output is None
    np.testing.assert_array_equal(out.last_hidden_state, reference(IDS, MASK).last_hidden_state)


def test_params_is_the_fifth_positional_argument(saved):
    _, model = saved
    other = FlaxAlbertModel(CONFIG, seed=7).params
    positional = model(IDS, MASK, None, None, other).last_hidden_state
    np.testing.assert_array_equal(positional, model(IDS, attention_mask=MASK, params=other).last_hidden_state)
    with pytest.raises(
        TypeError, match="params \\(the 5th positional argument.*pass head_mask=... by keyword"
    ):
        model(IDS, MASK, None, None, np.ones(CONFIG.num_attention_heads))  # our old 5th: head_mask
    head_mask = np.array([1.0, 0.0, 1.0, 1.0], np.float32)
    assert model(IDS, head_mask=head_mask).last_hidden_state.shape == (2, 4, CONFIG.hidden_size)


def test_a_foreign_params_tree_that_is_not_transformers_keeps_flax_error(saved):
    _, model = saved
    with pytest.raises(Exception, match="Could not find parameter"):
        model(IDS, params={"something": {"else": jnp.zeros(3)}})


def test_half_precision_mlm_logits_are_float32():
    model = FlaxAlbertForMaskedLM(CONFIG, dtype="bfloat16")
    logits = model(IDS).logits
    assert logits.dtype == jnp.float32  # transformers' Flax head: the float32 bias promotes them
    full = FlaxAlbertForMaskedLM(CONFIG, params=model.params)(IDS).logits
    np.testing.assert_allclose(logits, full, atol=0.05)
    assert all(p.dtype == jnp.float32 for p in jax.tree_util.tree_leaves(flatten_dict(model.params)))
