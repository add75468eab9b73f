"""Checkpoint files: the HF key table, legacy forms, sharding, .bin safety, cross-class loading, errors."""

from __future__ import annotations

import json
import logging

import pytest
import torch
from safetensors.torch import load_file, save_file

import albert
from albert.checkpoint import read_state_dict
from albert.checkpoint.hf import from_hf_state_dict, to_hf_state_dict
from tests.conftest import tiny_kwargs

IDS = torch.tensor([[2, 10, 11, 12, 3, 0]])
MASK = torch.tensor([[1, 1, 1, 1, 1, 0]])


def saved(tmp_path, cls=albert.AlbertForPreTraining, **overrides):
    model = cls(albert.AlbertConfig(**tiny_kwargs(**overrides))).eval()
    model.save_pretrained(tmp_path)
    return model


def test_converters_are_inverse_and_split_qkv(tmp_path):
    model = albert.AlbertForPreTraining(
        albert.AlbertConfig(**tiny_kwargs(num_hidden_groups=2, inner_group_num=2))
    )
    hf = to_hf_state_dict(model.state_dict())
    assert "albert.encoder.albert_layer_groups.1.albert_layers.1.attention.key.weight" in hf
    assert "predictions.decoder.weight" not in hf and "predictions.decoder.bias" not in hf
    back, unknown = from_hf_state_dict(hf)
    assert unknown == []
    expected = {k: v for k, v in model.state_dict().items() if not k.startswith("mlm_head.decoder")}
    assert back.keys() == expected.keys()
    for k in back:
        torch.testing.assert_close(back[k], expected[k], rtol=0, atol=0)


def test_legacy_keys_gamma_beta_position_ids_and_decoder_copies(tmp_path):
    model = saved(tmp_path, albert.AlbertForMaskedLM)
    state = load_file(str(tmp_path / "model.safetensors"))
    legacy = {}
    for k, v in state.items():
        k = k.replace("LayerNorm.weight", "LayerNorm.gamma").replace("LayerNorm.bias", "LayerNorm.beta")
        legacy[k] = v
    legacy["albert.embeddings.position_ids"] = torch.arange(32)[None]
    legacy["predictions.decoder.weight"] = state["albert.embeddings.word_embeddings.weight"]
    legacy["predictions.decoder.bias"] = state["predictions.bias"]
    (tmp_path / "model.safetensors").unlink()
    torch.save(legacy, tmp_path / "pytorch_model.bin")  # a 2020-era .bin checkpoint
    loaded = albert.AlbertForMaskedLM.from_pretrained(tmp_path)
    torch.testing.assert_close(loaded(IDS, MASK).logits, model(IDS, MASK).logits, rtol=0, atol=0)


def test_bin_with_arbitrary_objects_is_refused(tmp_path):
    saved(tmp_path, albert.AlbertModel)
    (tmp_path / "model.safetensors").unlink()
    torch.save({"weights": {}, "hook": logging.getLogger}, tmp_path / "pytorch_model.bin")
    with pytest.raises(ValueError, match="not loaded for safety|could not be read"):
        albert.AlbertModel.from_pretrained(tmp_path)


def test_sharded_safetensors_round_trip(tmp_path):
    model = saved(tmp_path / "one", albert.AlbertForPreTraining)
    model.save_pretrained(tmp_path / "many", max_shard_size=4000)
    index = json.loads((tmp_path / "many" / "model.safetensors.index.json").read_text())
    assert len(set(index["weight_map"].values())) > 1
    assert not (tmp_path / "many" / "model.safetensors").exists()
    loaded = albert.AlbertForPreTraining.from_pretrained(tmp_path / "many")
    torch.testing.assert_close(loaded(IDS).prediction_logits, model(IDS).prediction_logits, rtol=0, atol=0)
    import transformers

    ref = transformers.AlbertForPreTraining.from_pretrained(tmp_path / "many").eval()
    torch.testing.assert_close(ref(IDS).prediction_logits, model(IDS).prediction_logits, atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize("damage", ["truncate", "garbage"])
def test_corrupt_safetensors_is_a_clear_error(tmp_path, damage):
    saved(tmp_path, albert.AlbertModel)
    path = tmp_path / "model.safetensors"
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2] if damage == "truncate" else b"\x00garbage" * 10)
    with pytest.raises(ValueError, match="not a readable safetensors file"):
        albert.AlbertModel.from_pretrained(tmp_path)


def test_missing_files_are_file_not_found(tmp_path):
    with pytest.raises(FileNotFoundError, match="no such directory"):
        albert.AlbertModel.from_pretrained(tmp_path / "nope" / "deeper")
    (tmp_path / "config.json").write_text(albert.AlbertConfig(**tiny_kwargs()).to_json_string())
    with pytest.raises(FileNotFoundError, match="has no weights"):
        albert.AlbertModel.from_pretrained(tmp_path)
    (tmp_path / "config.json").unlink()
    with pytest.raises(FileNotFoundError, match="has no config.json"):
        albert.AlbertModel.from_pretrained(tmp_path)


def test_config_that_does_not_match_weights(tmp_path):
    saved(tmp_path, albert.AlbertModel)
    config = json.loads((tmp_path / "config.json").read_text())
    config["intermediate_size"] = 24
    (tmp_path / "config.json").write_text(json.dumps(config))
    with pytest.raises(ValueError, match="does not match the weights"):
        albert.AlbertModel.from_pretrained(tmp_path)


def test_cross_class_loading_reports_new_and_unused_keys(tmp_path, caplog):
    pre = saved(tmp_path, albert.AlbertForPreTraining)
    with caplog.at_level(logging.INFO, logger="albert.checkpoint"):
        clf = albert.AlbertForSequenceClassification.from_pretrained(tmp_path, num_labels=3)
    assert "newly initialised" in caplog.text and "classifier.weight" in caplog.text
    assert "mlm_head" in caplog.text  # reported as unused
    torch.testing.assert_close(clf.backbone(IDS).pooler_output, pre.backbone(IDS).pooler_output)
    base = albert.AlbertModel.from_pretrained(tmp_path)  # prefix stripped, heads dropped
    torch.testing.assert_close(base(IDS).last_hidden_state, pre.backbone(IDS).last_hidden_state)
    base.save_pretrained(tmp_path / "base")
    mlm = albert.AlbertForMaskedLM.from_pretrained(tmp_path / "base")  # prefix added, head new
    torch.testing.assert_close(mlm.backbone(IDS).last_hidden_state, base(IDS).last_hidden_state)


def test_dtype_options(tmp_path):
    model = saved(tmp_path, albert.AlbertModel)
    model.to(torch.bfloat16).save_pretrained(tmp_path / "bf16")
    assert albert.AlbertModel.from_pretrained(tmp_path / "bf16").dtype == torch.float32
    assert albert.AlbertModel.from_pretrained(tmp_path / "bf16", dtype="auto").dtype == torch.bfloat16
    assert albert.AlbertModel.from_pretrained(tmp_path, dtype=torch.float16).dtype == torch.float16
    with pytest.raises(ValueError, match="unknown dtype"):
        albert.AlbertModel.from_pretrained(tmp_path, dtype="float8")


def test_transformers_v5_style_directory_loads(tmp_path):
    """transformers 5.x writes floats for dropouts, tie_word_embeddings, no position_embedding_type."""
    model = saved(tmp_path, albert.AlbertForMaskedLM)
    config = json.loads((tmp_path / "config.json").read_text())
    config.pop("position_embedding_type")
    config.update(
        tie_word_embeddings=True, hidden_dropout_prob=0.0, dtype="float32", transformers_version="5.23.0"
    )
    (tmp_path / "config.json").write_text(json.dumps(config))
    loaded = albert.AlbertForMaskedLM.from_pretrained(tmp_path)
    torch.testing.assert_close(loaded(IDS).logits, model(IDS).logits, rtol=0, atol=0)


def test_untied_decoder_is_saved_and_loaded(tmp_path):
    model = saved(tmp_path, albert.AlbertForMaskedLM, tie_word_embeddings=False)
    assert model.mlm_head.decoder.weight is not model.backbone.embeddings.word.weight
    assert "predictions.decoder.weight" in read_state_dict(tmp_path)
    loaded = albert.AlbertForMaskedLM.from_pretrained(tmp_path)
    torch.testing.assert_close(loaded.mlm_head.decoder.weight, model.mlm_head.decoder.weight)


def test_save_leaves_no_temporary_files(tmp_path):
    saved(tmp_path, albert.AlbertModel)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["config.json", "model.safetensors"]
    assert json.loads((tmp_path / "config.json").read_text())["architectures"] == ["AlbertModel"]


def test_hub_id_without_network_or_cache_says_so(tmp_path, monkeypatch):
    import huggingface_hub.constants

    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", True)
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_CACHE", str(tmp_path / "cache"))
    with pytest.raises(FileNotFoundError, match="albert/albert-base-v2.*(no network|cache)"):
        albert.AlbertModel.from_pretrained("albert-base-v2")


def test_empty_safetensors_header(tmp_path):
    saved(tmp_path, albert.AlbertModel)
    save_file({}, str(tmp_path / "model.safetensors"))
    model = albert.AlbertModel.from_pretrained(tmp_path)  # loads, with every weight reported as new
    assert model is not None


def test_save_pretrained_takes_transformers_arguments(tmp_path):
    model = saved(tmp_path / "one", albert.AlbertForPreTraining)
    model.save_pretrained(tmp_path / "kb", max_shard_size="4KB", safe_serialization=True)
    index = json.loads((tmp_path / "kb" / "model.safetensors.index.json").read_text())
    assert len(set(index["weight_map"].values())) > 1
    loaded = albert.AlbertForPreTraining.from_pretrained(tmp_path / "kb")
    torch.testing.assert_close(loaded(IDS).prediction_logits, model(IDS).prediction_logits, rtol=0, atol=0)
    from albert.checkpoint import shard_size_bytes

    assert [shard_size_bytes(v) for v in ("5GB", "500MiB", " 2 kb", 100, None)] == [
        5 * 10**9, 500 * 2**20, 2000, 100, None,
    ]  # fmt: skip
    for bad in ("5 parsecs", "0GB", -1, "GB", True):
        with pytest.raises(ValueError, match="max_shard_size must be a positive number of bytes"):
            shard_size_bytes(bad)
    with pytest.raises(ValueError, match="safe_serialization=False .* is not written"):
        model.save_pretrained(tmp_path / "bin", safe_serialization=False)
    assert not (tmp_path / "bin").exists()
