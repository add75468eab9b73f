"""`albert.checkpoint.flax`: the name/layout conversions (numpy only) and the file readers' errors."""

from __future__ import annotations

import logging

import numpy as np
import pytest
import torch
from safetensors.torch import save_file

import albert
from albert.checkpoint.flax import (
    canonical_to_params,
    hf_flax_tree_to_hf,
    hf_to_hf_flax_tree,
    params_from_hf,
    params_to_canonical,
    params_to_hf,
    read_hf_state,
    read_safetensors,
)
from albert.checkpoint.hf import from_hf_state_dict, to_hf_state_dict
from albert.config import AlbertConfig
from tests.conftest import tiny_kwargs


def _hf_state(**overrides) -> dict[str, np.ndarray]:
    torch.manual_seed(0)
    model = albert.AlbertForPreTraining(AlbertConfig(**tiny_kwargs(**overrides)))
    state = to_hf_state_dict(model.state_dict(), tie_word_embeddings=model.config.tie_word_embeddings)
    return {k: v.numpy() for k, v in state.items()}


def test_numpy_conversion_agrees_with_the_torch_converter():
    hf = _hf_state(num_hidden_groups=2, inner_group_num=2, position_embedding_type="relative_key")
    ours, unknown = from_hf_state_dict({**hf, "albert.something.else": np.zeros(1)})
    assert unknown == ["albert.something.else"]
    expected, _ = from_hf_state_dict({k: torch.from_numpy(v) for k, v in hf.items()})
    assert set(ours) == set(expected)
    for key, value in expected.items():
        np.testing.assert_array_equal(ours[key], value.numpy(), err_msg=key)


def test_params_layout_and_round_trips():
    hf = _hf_state(num_hidden_groups=2, tie_word_embeddings=False)
    params, unused = params_from_hf(hf, bare=False)
    assert not unused
    layer = params["backbone"]["encoder"]["groups_1"]["layers_0"]
    h = 16
    assert layer["attention"]["qkv"]["kernel"].shape == (h, 3 * h)  # (in, out): the torch weight transposed
    q = hf["albert.encoder.albert_layer_groups.1.albert_layers.0.attention.query.weight"]
    np.testing.assert_array_equal(layer["attention"]["qkv"]["kernel"][:, :h], q.T)
    assert set(params["backbone"]["embeddings"]["norm"]) == {"scale", "bias"}
    assert params["mlm_head"]["decoder"]["kernel"].shape == (8, 99)
    back = params_to_hf(params, tie_word_embeddings=False)
    assert set(back) == set(hf)
    for key, value in hf.items():
        np.testing.assert_array_equal(back[key], value, err_msg=key)
    assert set(params_to_canonical(canonical_to_params(from_hf_state_dict(hf)[0]))) == set(
        from_hf_state_dict(hf)[0]
    )
    tree = hf_to_hf_flax_tree(hf)
    assert tree["albert"]["encoder"]["albert_layer_groups"]["1"]["albert_layers"]["0"]["attention"]["query"][
        "kernel"
    ].shape == (h, h)
    assert set(hf_flax_tree_to_hf(tree)) == set(hf)


def test_bare_model_drops_heads_and_reports_them():
    params, unused = params_from_hf(_hf_state(), bare=True)
    assert set(params) == {"embeddings", "encoder", "pooler"}
    assert "mlm_head.bias" in unused


def test_incomplete_attention_block_is_an_error():
    hf = _hf_state()
    del hf["albert.encoder.albert_layer_groups.0.albert_layers.0.attention.key.weight"]
    with pytest.raises(
        ValueError, match=r"incomplete attention block in group 0, layer 0: missing \['key'\]"
    ):
        from_hf_state_dict(hf)


def test_reader_errors_name_the_files(tmp_path):
    with pytest.raises(FileNotFoundError, match="flax_model.msgpack"):
        read_hf_state(tmp_path)
    torch.save({"x": torch.zeros(1)}, tmp_path / "pytorch_model.bin")
    with pytest.raises(FileNotFoundError, match="save_pretrained"):
        read_hf_state(tmp_path)
    (tmp_path / "model.safetensors").write_bytes(b"garbage")
    with pytest.raises(ValueError, match="not a readable safetensors file"):
        read_hf_state(tmp_path)


def test_bfloat16_safetensors_are_read_as_float32(tmp_path):
    save_file({"w": torch.arange(4, dtype=torch.bfloat16)}, str(tmp_path / "model.safetensors"))
    w = read_safetensors(tmp_path / "model.safetensors")["w"]
    assert w.dtype == np.float32 and w.tolist() == [0, 1, 2, 3]


def test_config_that_disagrees_with_the_weights_is_an_error(tmp_path):
    albert.AlbertModel(AlbertConfig(**tiny_kwargs())).save_pretrained(tmp_path)
    with pytest.raises(ValueError, match="does not match the weights"):
        albert.FlaxAlbertModel.from_pretrained(tmp_path, hidden_size=32, num_attention_heads=4)


def test_missing_head_is_initialised_with_a_warning(tmp_path, caplog):
    albert.AlbertModel(AlbertConfig(**tiny_kwargs())).save_pretrained(tmp_path)
    with caplog.at_level(logging.WARNING):
        model = albert.FlaxAlbertForSequenceClassification.from_pretrained(tmp_path)
    assert "classifier/kernel" in caplog.text and "newly initialised" in caplog.text
    assert model.params["classifier"]["kernel"].shape == (16, 2)
