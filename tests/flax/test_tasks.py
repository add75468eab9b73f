"""Parity of every Flax class with our torch classes (and transformers' torch classes) on the same
checkpoint: outputs, hidden states, attentions, losses and the gradients of one training step,
fp32 within 1e-5, on four configs (groups > 1, inner groups > 1, both relative position types,
untied decoder, head_mask, padding). Each case also round-trips the weights through files:
Flax save -> torch load gives the same state dict, and the msgpack alone gives the same params.

One `jax.jit` of value_and_grad per case gives outputs, loss and gradients from a single compile.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import torch
from flax.traverse_util import flatten_dict

import albert
import albert.flax
from albert.checkpoint.flax import FLAX_WEIGHTS_NAME, params_from_hf
from albert.checkpoint.hf import to_hf_state_dict
from tests.conftest import MODEL_CLASSES, tiny_kwargs
from tests.flax.conftest import ATOL, assert_close, to_numpy
from tests.model.test_parity import make_inputs, make_labels

transformers = pytest.importorskip("transformers", reason="transformers is the parity reference (test extra)")

# Few layer applications each: XLA's compile time grows with them and dominates these tests.
CONFIGS = {  # name -> (config overrides, problem type of the sequence classifier)
    "G2-untied": (dict(num_hidden_groups=2, tie_word_embeddings=False), "single"),
    "G2-I2-headmask": (dict(num_hidden_groups=2, inner_group_num=2), "single"),
    "relkey-gelu": (dict(position_embedding_type="relative_key", hidden_act="gelu"), "regression"),
    "relkeyquery-L1-E16": (
        dict(position_embedding_type="relative_key_query", num_hidden_layers=1, embedding_size=16),
        "multi_label",
    ),
}


def hf_config(name: str, overrides: dict, problem: str) -> transformers.AlbertConfig:
    config = transformers.AlbertConfig(**tiny_kwargs(**overrides), attn_implementation="eager")
    if name in ("AlbertForSequenceClassification", "AlbertForTokenClassification"):
        config.num_labels = (
            1 if (name == "AlbertForSequenceClassification" and problem == "regression") else 3
        )
    return config


def labels_for(name: str, inputs: dict, config, problem: str) -> dict:
    if name == "AlbertForSequenceClassification" and problem != "single":
        g = torch.Generator().manual_seed(3)
        shape = (2,) if problem == "regression" else (2, config.num_labels)
        values = torch.rand(shape, generator=g)
        return {"labels": values if problem == "regression" else (values > 0.5).float()}
    return make_labels(name, inputs, config.num_labels)


def torch_step(model, inputs: dict, labels: dict, head_mask):
    """Outputs, loss and gradients (HF names) of our torch model."""
    out = model(**inputs, **labels, head_mask=head_mask, output_hidden_states=True, output_attentions=True)
    loss = out.last_hidden_state.square().mean() if not labels else out.loss
    loss.backward()
    grads = {k: p.grad for k, p in model.named_parameters() if p.grad is not None}
    return out, loss, to_hf_state_dict(grads, tie_word_embeddings=model.config.tie_word_embeddings)


def flax_step(model, inputs: dict, labels: dict, head_mask):
    """Outputs, loss and gradients of the Flax model: one jitted value_and_grad."""

    def loss_fn(params, inputs, labels, head_mask):
        out = model(**inputs, **labels, head_mask=head_mask, params=params,
                    output_hidden_states=True, output_attentions=True)  # fmt: skip
        return (jnp.mean(out.last_hidden_state**2) if not labels else out.loss), out

    step = jax.jit(jax.value_and_grad(loss_fn, has_aux=True))
    (loss, out), grads = step(model.params, inputs, labels, head_mask)
    return out, loss, grads


@pytest.mark.parametrize("config_name", list(CONFIGS))
@pytest.mark.parametrize("name", MODEL_CLASSES)
def test_flax_matches_torch_outputs_losses_gradients(name, config_name, tmp_path):
    overrides, problem = CONFIGS[config_name]
    torch.manual_seed(0)
    reference = getattr(transformers, name)(hf_config(name, overrides, problem)).eval()
    with torch.no_grad():  # perturb everything, so that LayerNorm 1/0 and zero biases hide nothing
        for p in reference.parameters():
            p.add_(0.05 * torch.randn_like(p))
    reference.save_pretrained(tmp_path / "hf")
    ours = (
        getattr(albert, name)
        .from_pretrained(tmp_path / "hf", attn_implementation="eager")
        .disable_fast_paths()
    )
    flax_model = getattr(albert.flax, "Flax" + name).from_pretrained(tmp_path / "hf")

    inputs = make_inputs(name)
    labels = labels_for(name, inputs, ours.config, problem)
    head_mask = None
    if "headmask" in config_name:
        head_mask = torch.ones(4, 4)  # one row per layer run (L * I = 4), 4 heads
        head_mask[0, 1] = head_mask[3, 2] = 0.0
    out, loss, grads = torch_step(ours, inputs, labels, head_mask)
    f_out, f_loss, f_grads = flax_step(
        flax_model, to_numpy(inputs), to_numpy(labels), None if head_mask is None else head_mask.numpy()
    )
    for key in out.keys():  # every field, hidden states and attentions included
        if isinstance(out[key], tuple):
            assert len(f_out[key]) == len(out[key]), key
            for i, (a, b) in enumerate(zip(f_out[key], out[key])):
                assert_close(a, b.detach().numpy(), name=f"{key}[{i}]")
        else:
            assert_close(f_out[key], out[key].detach().numpy(), name=key)
    assert set(f_out.keys()) == set(out.keys())
    assert_close(f_loss, loss.detach().numpy(), name="loss")
    expected, unused = params_from_hf(to_numpy(grads), bare=name == "AlbertModel")
    assert not unused
    expected, actual = flatten_dict(expected), flatten_dict(dict(f_grads))
    assert set(expected) <= set(actual)
    for path in set(actual) - set(
        expected
    ):  # unused by the loss (the pooler of AlbertModel): no grad in torch
        assert not np.any(np.asarray(actual[path])), path
    for path, grad in expected.items():
        assert_close(actual[path], grad, name="grad " + "/".join(path), rtol=1e-4)

    if head_mask is None:  # transformers 4.x indexes head_mask rows differently (docs/differences.md)
        with torch.no_grad():
            ref = reference(**inputs, **labels, output_hidden_states=True)
        for key in ("last_hidden_state", "logits", "prediction_logits", "start_logits", "loss"):
            if key in ref and ref[key] is not None:
                assert_close(f_out[key], ref[key].numpy(), name="transformers " + key)

    # Round trips through files: Flax -> torch gives the original torch weights exactly ...
    flax_model.save_pretrained(tmp_path / "flax")
    back = getattr(albert, name).from_pretrained(tmp_path / "flax").state_dict()
    for key, tensor in ours.state_dict().items():
        assert torch.equal(back[key], tensor), key
    # ... and the msgpack alone gives the same Flax params.
    (tmp_path / "flax" / "model.safetensors").unlink()
    assert (tmp_path / "flax" / FLAX_WEIGHTS_NAME).is_file()
    again = getattr(albert.flax, "Flax" + name).from_pretrained(tmp_path / "flax")
    for path, value in flatten_dict(dict(flax_model.params)).items():
        np.testing.assert_array_equal(flatten_dict(dict(again.params))[path], value, err_msg=str(path))
    assert ATOL == 1e-5
