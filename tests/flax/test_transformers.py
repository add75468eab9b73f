"""Parity with transformers 4.56's own Flax ALBERT classes (absolute positions only: transformers' Flax
ALBERT has no relative positions), both directions through files:

transformers torch checkpoint -> transformers Flax (its own `from_pt` conversion) -> `flax_model.msgpack`
-> our Flax class -> our save -> transformers Flax and transformers torch load it back: the same
parameter tree, the same weights, and the same outputs in all four implementations.
"""

from __future__ import annotations

import jax
import numpy as np
import pytest
import torch
from flax.traverse_util import flatten_dict

import albert.flax
from albert.checkpoint.flax import hf_to_hf_flax_tree, read_safetensors
from tests.conftest import MODEL_CLASSES, tiny_kwargs
from tests.flax.conftest import assert_close, to_numpy
from tests.model.test_parity import make_inputs

transformers = pytest.importorskip("transformers", reason="transformers is the parity reference (test extra)")
pytestmark = pytest.mark.filterwarnings("ignore::FutureWarning", "ignore::UserWarning")

OVERRIDES = dict(num_hidden_groups=2)  # two groups: exercises the group naming


def reference_checkpoint(name: str, directory, **overrides) -> torch.nn.Module:
    """A transformers torch model with random, perturbed weights, saved to `directory`."""
    torch.manual_seed(0)
    config = transformers.AlbertConfig(
        **tiny_kwargs(**{**OVERRIDES, **overrides}), attn_implementation="eager"
    )
    model = getattr(transformers, name)(config).eval()
    with torch.no_grad():
        for p in model.parameters():
            p.add_(0.05 * torch.randn_like(p))
    model.save_pretrained(directory)
    return model


def hf_flax_load(name: str, directory, **kwargs):
    return getattr(transformers, "Flax" + name).from_pretrained(directory, _do_init=False, **kwargs)


@pytest.mark.parametrize("name", MODEL_CLASSES)
def test_transformers_flax_files_both_directions(name, tmp_path):
    torch_ref = reference_checkpoint(name, tmp_path / "pt")
    hf_flax, hf_params = hf_flax_load(name, tmp_path / "pt", from_pt=True)
    hf_flax.save_pretrained(tmp_path / "hf_flax", params=hf_params)
    assert not (tmp_path / "hf_flax" / "model.safetensors").exists()  # we read the msgpack

    ours = getattr(albert.flax, "Flax" + name).from_pretrained(tmp_path / "hf_flax")
    ours.save_pretrained(tmp_path / "ours")
    _, params_back = hf_flax_load(name, tmp_path / "ours")  # transformers reads our flax_model.msgpack
    expected, actual = flatten_dict(hf_params), flatten_dict(params_back)
    assert set(actual) == set(expected)
    for path, value in expected.items():
        np.testing.assert_array_equal(np.asarray(actual[path]), np.asarray(value), err_msg=str(path))
    torch_back = getattr(transformers, name).from_pretrained(tmp_path / "ours").state_dict()
    for key, tensor in torch_ref.state_dict().items():
        assert torch.equal(torch_back[key], tensor), key

    inputs = to_numpy(make_inputs(name))
    with torch.no_grad():
        ref = torch_ref(**make_inputs(name), output_hidden_states=True)
    our_out = jax.jit(lambda p, x: ours(**x, params=p, output_hidden_states=True))(ours.params, inputs)
    hf_out = jax.jit(
        lambda p, x: hf_flax.module.apply(
            {"params": p},
            x["input_ids"],
            x["attention_mask"],
            x["token_type_ids"],
            None,
            output_hidden_states=True,
        )  # fmt: skip
    )(params_back, inputs)
    for key in ref.keys():
        if key == "hidden_states":
            for i, (a, b, c) in enumerate(zip(our_out[key], hf_out[key], ref[key])):
                assert_close(a, c.numpy(), name=f"ours {key}[{i}]")
                assert_close(b, c.numpy(), name=f"transformers flax {key}[{i}]")
        else:
            assert_close(our_out[key], ref[key].numpy(), name="ours " + key)
            assert_close(hf_out[key], ref[key].numpy(), name="transformers flax " + key)


def test_untied_decoder_tree_matches_transformers_conversion(tmp_path):
    """With `tie_word_embeddings=False` the MLM decoder kernel is in the tree, where transformers puts it."""
    reference_checkpoint("AlbertForPreTraining", tmp_path / "pt", tie_word_embeddings=False)
    _, hf_params = hf_flax_load("AlbertForPreTraining", tmp_path / "pt", from_pt=True)
    assert "decoder" in hf_params["predictions"]
    ours = hf_to_hf_flax_tree(read_safetensors(tmp_path / "pt" / "model.safetensors"))
    expected, actual = flatten_dict(hf_params), flatten_dict(ours)
    assert set(actual) == set(expected)
    for path, value in expected.items():
        np.testing.assert_array_equal(actual[path], np.asarray(value), err_msg=str(path))
