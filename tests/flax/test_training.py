"""Training the Flax models: the losses against the torch heads' losses, the weight-decay mask, and a
jitted train step (AdamW and LAMB) that overfits a tiny batch."""

from __future__ import annotations

import jax
import numpy as np
import optax
import pytest
import torch

from albert.config import AlbertConfig
from albert.flax import FlaxAlbertForPreTraining
from albert.flax import heads as flax_heads
from albert.flax.training import TrainState, decay_mask, make_optimizer, make_train_step
from albert.model import heads as torch_heads
from tests.conftest import tiny_kwargs
from tests.flax.conftest import assert_close

STEPS = 100


def test_losses_match_the_torch_heads():
    rng = np.random.RandomState(0)
    logits = rng.randn(3, 5, 7).astype(np.float32)
    labels = rng.randint(0, 7, (3, 5))
    labels[0, :3] = -100
    t = torch.tensor
    assert_close(
        flax_heads.masked_lm_loss(logits, labels),
        torch_heads.masked_lm_loss(t(logits), t(labels)),
        name="mlm",
    )
    pooled = logits[:, 0, :4]
    for problem, y in [
        ("single_label_classification", rng.randint(0, 4, (3,))),
        ("multi_label_classification", (rng.rand(3, 4) > 0.5).astype(np.float32)),
        ("regression", rng.randn(3, 4).astype(np.float32)),
    ]:
        expected = torch_heads.sequence_classification_loss(t(pooled), t(y), problem)
        assert_close(flax_heads.sequence_classification_loss(pooled, y, problem), expected, name=problem)
        assert flax_heads.infer_problem_type(4, y) == torch_heads.infer_problem_type(4, t(y))
    one = logits[:, 0, :1]
    y = rng.randn(3).astype(np.float32)
    expected = torch_heads.sequence_classification_loss(t(one), t(y), "regression")
    assert_close(flax_heads.sequence_classification_loss(one, y, "regression"), expected, name="regression-1")
    start, end = logits[:, :, 0], logits[:, :, 1]
    sp, ep = np.array([0, 4, 9]), np.array([[2], [-3], [1]])  # 9 and -3: out of range, clamped and ignored
    expected = torch_heads.span_loss(t(start), t(end), t(sp), t(ep))
    assert_close(flax_heads.span_loss(start, end, sp, ep), expected, name="span")
    with pytest.raises(ValueError, match="multi-label classification needs labels of shape"):
        flax_heads.sequence_classification_loss(
            pooled, np.ones((3, 2), np.float32), "multi_label_classification"
        )


def test_weight_decay_mask_spares_biases_and_layer_norms():
    config = AlbertConfig(**tiny_kwargs())
    mask = decay_mask(FlaxAlbertForPreTraining(config, params={}).params_shape())
    assert mask["backbone"]["embeddings"]["word"]["embedding"] is True
    assert mask["backbone"]["encoder"]["groups_0"]["layers_0"]["attention"]["qkv"] == {
        "kernel": True,
        "bias": False,
    }
    assert mask["backbone"]["embeddings"]["norm"] == {"scale": False, "bias": False}
    assert mask["mlm_head"]["bias"] is False
    with pytest.raises(ValueError, match="unknown optimizer 'sgd'"):
        make_optimizer("sgd", 1e-3)


@pytest.mark.parametrize("optimizer", ["adamw", "lamb"])
def test_jitted_train_step_overfits_a_tiny_batch(optimizer):
    config = AlbertConfig(**tiny_kwargs(hidden_dropout_prob=0.1, vocab_size=30))
    model = FlaxAlbertForPreTraining(config, seed=0)
    rng = np.random.RandomState(0)
    ids = rng.randint(5, 30, (4, 8))
    labels = np.full((4, 8), -100)
    labels[:, 2:4] = ids[:, 2:4]
    batch = dict(input_ids=ids, labels=labels, sentence_order_label=np.array([0, 1, 0, 1]))
    # LAMB scales its steps to lr x |w|, small for fresh weights: a larger lr, decayed to 0
    lr = 1e-2 if optimizer == "adamw" else optax.linear_schedule(8e-2, 0.0, STEPS)
    opt = make_optimizer(optimizer, lr, weight_decay=0.0)
    state, step = TrainState.create(model, opt), make_train_step(model, opt)
    losses = []
    for i in range(STEPS):
        state, loss = step(state, batch, jax.random.key(i))  # a new dropout mask each step
        losses.append(float(loss))
    assert int(state.step) == STEPS
    assert min(losses[-5:]) < 0.15 * losses[0], losses[::10]


def test_lamb_takes_one_trust_ratio_per_block_of_the_fused_qkv_kernel():
    """As the torch `Lamb`: the (in, 3H) kernel moves as the original's three (in, H) kernels would."""
    rng = np.random.RandomState(0)
    scales = np.array([1.0, 3.0, 0.2], np.float32)
    kernels = [rng.randn(4, 4).astype(np.float32) * s for s in scales]
    grads = [rng.randn(4, 4).astype(np.float32) / s for s in scales]
    opt = make_optimizer("lamb", 0.1, max_grad_norm=None)

    def updates(params: dict, grad: dict) -> dict:
        return opt.update(grad, opt.init(params), params)[0]

    fused = updates(
        {"qkv": {"kernel": np.concatenate(kernels, 1)}}, {"qkv": {"kernel": np.concatenate(grads, 1)}}
    )
    apart = updates({f"p{i}": {"kernel": k} for i, k in enumerate(kernels)},
                    {f"p{i}": {"kernel": g} for i, g in enumerate(grads)})  # fmt: skip
    want = np.concatenate([apart[f"p{i}"]["kernel"] for i in range(3)], 1)
    np.testing.assert_allclose(fused["qkv"]["kernel"], want, rtol=1e-6, atol=1e-7)
    whole = updates(
        {"one": {"kernel": np.concatenate(kernels, 1)}}, {"one": {"kernel": np.concatenate(grads, 1)}}
    )
    assert not np.allclose(whole["one"]["kernel"], fused["qkv"]["kernel"])
