"""Parity with transformers 4.56's own Flax ALBERT classes (absolute positions only: transformers' Flax
ALBERT has no relative positions), both directions through files:

transformers torch checkpoint -> our Flax class -> our save -> transformers' Flax class reads our
`flax_model.msgpack` (into exactly the tree it expects) and its torch class our `model.safetensors`;
transformers' Flax class saves its own msgpack -> ours reads it back: the same weights, and the same
outputs from all four implementations.
"""

from __future__ import annotations

import jax
import numpy as np
import pytest
import torch
from flax.traverse_util import flatten_dict

import albert.flax
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


def tree_shapes(tree) -> dict:
    return {path: tuple(np.shape(v)) for path, v in flatten_dict(tree).items()}


@pytest.mark.parametrize("name", MODEL_CLASSES)
def test_transformers_flax_files_both_directions(name, tmp_path):
    torch_ref = reference_checkpoint(name, tmp_path / "pt")
    ours = getattr(albert.flax, "Flax" + name).from_pretrained(tmp_path / "pt")
    ours.save_pretrained(tmp_path / "ours")
    # ours -> transformers: its Flax class reads our msgpack into exactly the tree it expects ...
    hf_flax, hf_params = hf_flax_load(name, tmp_path / "ours")
    assert tree_shapes(hf_params) == tree_shapes(hf_flax.params_shape_tree)
    # ... and its torch class reads our safetensors into the original weights.
    torch_back = getattr(transformers, name).from_pretrained(tmp_path / "ours").state_dict()
    for key, tensor in torch_ref.state_dict().items():
        assert torch.equal(torch_back[key], tensor), key
    # transformers -> ours: the msgpack transformers writes gives our params back exactly.
    hf_flax.save_pretrained(tmp_path / "hf_flax", params=hf_params)
    assert not (tmp_path / "hf_flax" / "model.safetensors").exists()
    again = getattr(albert.flax, "Flax" + name).from_pretrained(tmp_path / "hf_flax")
    for path, value in flatten_dict(dict(ours.params)).items():
        np.testing.assert_array_equal(flatten_dict(dict(again.params))[path], value, err_msg=str(path))

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
        )
    )(hf_params, inputs)
    for key in ref.keys():
        if key == "hidden_states":
            for i, (a, b, c) in enumerate(zip(our_out[key], hf_out[key], ref[key])):
                assert_close(a, c.numpy(), name=f"ours {key}[{i}]")
                assert_close(b, c.numpy(), name=f"transformers flax {key}[{i}]")
        else:
            assert_close(our_out[key], ref[key].numpy(), name="ours " + key)
            assert_close(hf_out[key], ref[key].numpy(), name="transformers flax " + key)


def test_untied_decoder_goes_where_transformers_expects_it(tmp_path):
    torch_ref = reference_checkpoint("AlbertForPreTraining", tmp_path / "pt", tie_word_embeddings=False)
    albert.flax.FlaxAlbertForPreTraining.from_pretrained(tmp_path / "pt").save_pretrained(tmp_path / "ours")
    hf_flax, hf_params = hf_flax_load("AlbertForPreTraining", tmp_path / "ours")
    assert tree_shapes(hf_params) == tree_shapes(hf_flax.params_shape_tree)
    decoder = torch_ref.predictions.decoder.weight.detach().numpy()
    np.testing.assert_array_equal(np.asarray(hf_params["predictions"]["decoder"]["kernel"]), decoder.T)


@pytest.mark.parametrize("name", MODEL_CLASSES)
def test_attributes_tools_read_equal_transformers(name, tmp_path):
    """main_input_name, base_model_prefix, config_class, framework, name_or_path and params_shape_tree, as
    transformers' Flax classes have them for the same checkpoint."""
    reference_checkpoint(name, tmp_path)
    ours = getattr(albert.flax, "Flax" + name).from_pretrained(tmp_path)
    theirs = getattr(transformers, "Flax" + name).from_pretrained(tmp_path, from_pt=True)
    for attribute in ("main_input_name", "base_model_prefix", "framework"):
        assert getattr(ours, attribute) == getattr(theirs, attribute), attribute
    assert ours.config_class is albert.AlbertConfig and ours.name_or_path == str(tmp_path)
    assert tree_shapes(ours.params_shape_tree) == tree_shapes(ours.params)
    assert ours.num_parameters() == sum(int(np.prod(s)) for s in tree_shapes(theirs.params).values())


def test_call_and_constructor_take_transformers_positional_order():
    """Positional arguments mean what they mean upstream (`params` is the 5th of a call)."""
    import inspect

    for ours, theirs, skip in (
        (albert.flax.FlaxAlbertModel.__call__, transformers.FlaxAlbertModel.__call__, 1),
        (albert.flax.FlaxAlbertModel.__init__, transformers.FlaxAlbertModel.__init__, 1),
    ):
        upstream = [
            p for p in inspect.signature(theirs).parameters.values() if p.kind is p.POSITIONAL_OR_KEYWORD
        ]
        names = [p.name for p in upstream][skip:]
        assert list(inspect.signature(ours).parameters)[skip : skip + len(names)] == names


@pytest.mark.parametrize("name", ["AlbertModel", "AlbertForSequenceClassification"])
def test_transformers_params_tree_is_named_and_converts(name, tmp_path):
    reference_checkpoint(name, tmp_path)
    ours = getattr(albert.flax, "Flax" + name).from_pretrained(tmp_path)
    theirs = getattr(transformers, "Flax" + name).from_pretrained(tmp_path, from_pt=True)
    inputs = to_numpy(make_inputs(name))
    message = "transformers' FlaxAlbert parameter tree .* model.params_from_transformers\\(params\\)"
    with pytest.raises(ValueError, match=message):  # was flax's ScopeParamNotFoundError
        ours(**inputs, params=theirs.params)
    with pytest.raises(ValueError, match=message):
        jax.jit(lambda p: ours(**inputs, params=p))(theirs.params)
    converted = ours.params_from_transformers(theirs.params)
    for path, value in flatten_dict(dict(ours.params)).items():
        np.testing.assert_array_equal(flatten_dict(converted)[path], value, err_msg=str(path))


def test_half_precision_mlm_logits_have_transformers_dtype(tmp_path):
    reference_checkpoint("AlbertForMaskedLM", tmp_path)
    inputs = to_numpy(make_inputs("AlbertForMaskedLM"))
    for dtype in ("bfloat16", "float16"):
        ours = albert.flax.FlaxAlbertForMaskedLM.from_pretrained(tmp_path, dtype=dtype)(**inputs).logits
        theirs = transformers.FlaxAlbertForMaskedLM.from_pretrained(tmp_path, from_pt=True, dtype=dtype)
        assert ours.dtype == theirs(**inputs).logits.dtype == np.float32, dtype


@pytest.mark.parametrize("value", [0.5, 2.0])
def test_a_non_binary_mask_gives_the_torch_classes_numbers(value, tmp_path):
    """transformers' Flax classes make the mask an int (0.5 -> 0: masked; 2.0 attends as 1) where its
    torch classes add (1 - mask) x min to the scores; ours follows the torch classes in every framework."""
    torch_ref = reference_checkpoint("AlbertModel", tmp_path)
    ours = albert.flax.FlaxAlbertModel.from_pretrained(tmp_path)
    ids = np.random.RandomState(4).randint(5, 99, (2, 7))
    mask = np.ones((2, 7), np.float32)
    mask[:, -3:] = value
    with torch.no_grad():
        ref = torch_ref(torch.as_tensor(ids), torch.as_tensor(mask)).last_hidden_state
    assert_close(ours(ids, mask).last_hidden_state, ref.numpy(), name=f"mask value {value}")
