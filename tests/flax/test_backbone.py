"""The Flax encoder beyond parity of the task tests: fresh initialisation, inputs_embeds and position
ids, dropout with an rng, compute dtypes, input errors, and the outputs' API."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import torch

import albert
from albert.config import AlbertConfig
from albert.flax import FlaxAlbertModel, FlaxSequenceClassifierOutput
from tests.conftest import tiny_kwargs
from tests.flax.conftest import assert_close

CONFIG = AlbertConfig(
    **tiny_kwargs(hidden_dropout_prob=0.1, attention_probs_dropout_prob=0.1, inner_group_num=2)
)


@pytest.fixture(scope="module")
def model() -> FlaxAlbertModel:
    return FlaxAlbertModel(CONFIG, seed=3)  # a fresh, randomly initialised model


@pytest.fixture(scope="module")
def forward(model):
    """One compiled function for the eager-mode checks: ids, inputs_embeds + position_ids, dropout."""

    def run(params, ids, mask, embeds, positions, rng):
        plain = model(ids, attention_mask=mask, params=params)
        embedded = model(inputs_embeds=embeds, position_ids=positions, attention_mask=mask, params=params)
        dropped = model(ids, attention_mask=mask, params=params, train=True, dropout_rng=rng)
        return plain.last_hidden_state, embedded.last_hidden_state, dropped.last_hidden_state

    return jax.jit(run)


def test_fresh_initialisation_follows_the_torch_rules(model):
    params = model.params
    shapes = jax.tree_util.tree_map(lambda s: s.shape, model.params_shape())
    assert jax.tree_util.tree_map(lambda p: p.shape, params) == shapes
    word = np.asarray(params["embeddings"]["word"]["embedding"])
    assert np.all(word[CONFIG.pad_token_id] == 0)  # padding row
    assert abs(word[1:].std() - CONFIG.initializer_range) < 0.005
    layer = params["encoder"]["groups_0"]["layers_1"]
    assert np.all(np.asarray(layer["attention"]["qkv"]["bias"]) == 0)
    assert np.all(np.asarray(layer["output_norm"]["scale"]) == 1)
    assert all(p.dtype == jnp.float32 for p in jax.tree_util.tree_leaves(params))


def test_inputs_embeds_position_ids_and_dropout(model, forward, tmp_path):
    model.save_pretrained(tmp_path)
    reference = (
        albert.AlbertModel.from_pretrained(tmp_path).eval().disable_fast_paths()
    )  # padded positions too
    rng = np.random.RandomState(0)
    ids = rng.randint(0, CONFIG.vocab_size, (2, 6))
    mask = np.ones((2, 6), np.int32)
    mask[1, 4:] = 0
    embeds = rng.randn(2, 6, CONFIG.embedding_size).astype(np.float32)
    positions = np.array([[3, 4, 5, 6, 7, 8], [0, 1, 2, 3, 4, 5]])
    plain, embedded, dropped = forward(model.params, ids, mask, embeds, positions, jax.random.key(1))
    with torch.no_grad():
        ref_plain = reference(torch.tensor(ids), attention_mask=torch.tensor(mask)).last_hidden_state
        ref_embedded = reference(
            inputs_embeds=torch.tensor(embeds),
            position_ids=torch.tensor(positions),
            attention_mask=torch.tensor(mask),
        ).last_hidden_state
    assert_close(plain, ref_plain.numpy(), name="input_ids")
    assert_close(embedded, ref_embedded.numpy(), name="inputs_embeds + position_ids")
    assert not np.allclose(dropped, plain, atol=1e-3)  # dropout is on with train=True
    _, _, same = forward(model.params, ids, mask, embeds, positions, jax.random.key(1))
    _, _, other = forward(model.params, ids, mask, embeds, positions, jax.random.key(2))
    np.testing.assert_array_equal(same, dropped)  # the rng alone decides the dropout masks
    assert not np.allclose(other, dropped, atol=1e-3)


@pytest.mark.parametrize("dtype", ["bfloat16", "float16"])
def test_half_compute_dtypes_keep_float32_params(model, dtype):
    half = FlaxAlbertModel(CONFIG, dtype=dtype, params=model.params)
    ids = np.arange(12).reshape(2, 6) % CONFIG.vocab_size
    fn = jax.jit(lambda p, i: (half(i, params=p).last_hidden_state, model(i, params=p).last_hidden_state))
    low, full = fn(model.params, ids)
    assert low.dtype == jnp.dtype(dtype)
    assert_close(low.astype(jnp.float32), full, name=dtype, atol=0.1, rtol=0.05)


def test_bad_inputs_get_clear_errors(model):
    ids = np.zeros((2, 4), np.int32)
    with pytest.raises(ValueError, match="input_ids contains 99, outside"):
        model(np.full((1, 3), 99))
    with pytest.raises(ValueError, match="exactly one of input_ids or inputs_embeds"):
        model()
    with pytest.raises(ValueError, match="attention_mask has shape"):
        model(ids, attention_mask=np.ones((2, 5)))
    with pytest.raises(ValueError, match="head_mask must have shape"):
        model(ids, head_mask=np.ones(3))
    with pytest.raises(ValueError, match="exceeds max_position_embeddings"):
        model(np.zeros((1, 40), np.int32))
    with pytest.raises(ValueError, match="no positions"):
        model(np.zeros((1, 0), np.int32))
    with pytest.raises(ValueError, match="needs dropout_rng"):
        model(ids, train=True)
    with pytest.raises(TypeError, match="unexpected arguments \\['labels'\\]"):
        model(ids, labels=ids)
    with pytest.raises(ValueError, match="compute dtype must be"):
        FlaxAlbertModel(CONFIG, dtype=jnp.int32, params={})
    with pytest.raises(ValueError, match="num_labels=2"):
        albert.FlaxAlbertForQuestionAnswering(CONFIG.replace(num_labels=3), params={})


def test_outputs_are_pytrees_with_the_torch_access_api():
    logits = jnp.ones((2, 3))
    built = FlaxSequenceClassifierOutput(loss=None, logits=logits)
    assert built[0] is logits and built["logits"] is logits and built.keys() == ["logits"]
    assert len(jax.tree_util.tree_leaves(built)) == 1
    assert built.replace(loss=jnp.zeros(())).to_tuple()[0].shape == ()


def test_padding_without_a_mask_is_warned_about_in_eager_calls(model, caplog):
    """As the torch classes: concrete ids with a pad id at a row's end and no mask; nothing under jit."""
    from albert.model import inputs as torch_inputs

    torch_inputs._warn_once.cache_clear()
    padded = np.array([[2, 7, 9, 3], [2, 8, 3, 0]])
    with caplog.at_level("WARNING", logger="albert.model.inputs"):
        model(padded, attention_mask=(padded != 0).astype(np.int32))
        jax.jit(lambda ids: model(ids).last_hidden_state)(padded)  # traced ids: no values to look at
        assert not caplog.records
        model(padded)
    assert ["no attention_mask was given" in r.getMessage() for r in caplog.records] == [True]
