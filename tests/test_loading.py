"""`albert.loading`: transformers' from_pretrained arguments sorted into ours, and the errors for the rest."""

from __future__ import annotations

import logging

import pytest
import torch

from albert.loading import merge_device, merge_dtype, normalise_loading_kwargs

OWNER = "AlbertForMaskedLM.from_pretrained"


def normalise(model: bool = True, **kwargs):
    return normalise_loading_kwargs(
        OWNER, kwargs, accepted={"num_labels"}, what="an AlbertConfig field", model=model
    )


@pytest.fixture(autouse=True)
def _fresh_warnings(monkeypatch):
    monkeypatch.setattr("albert.loading._warned", set())


def test_defaults_and_pass_through():
    options = normalise(num_labels=3)
    assert (options.dtype, options.attn_implementation, options.device) == (None, "sdpa", None)
    assert options.rest == {"num_labels": 3} and options.hub == {}
    assert normalise(attn_implementation=None).attn_implementation == "sdpa"
    assert normalise(attn_implementation="eager").attn_implementation == "eager"


def test_torch_dtype_is_the_older_name_with_one_warning_per_process(caplog):
    with caplog.at_level(logging.WARNING, logger="albert.loading"):
        assert normalise(torch_dtype=torch.float16).dtype is torch.float16
        assert normalise(torch_dtype="auto").dtype == "auto"
    assert len(caplog.records) == 1 and "torch_dtype is the older name of dtype" in caplog.text


def test_dtype_wins_over_torch_dtype_and_the_warning_says_so(caplog):
    with caplog.at_level(logging.WARNING, logger="albert.loading"):
        assert normalise(dtype=torch.float32, torch_dtype=torch.float16).dtype is torch.float32
    assert len(caplog.records) == 1 and "dtype=torch.float32 was given too and is used" in caplog.text
    assert merge_dtype("auto", None) == "auto" and merge_dtype(None, None) is None


def test_devices_from_device_or_device_map():
    assert normalise(device_map="auto").device == (
        torch.device("cuda", 0) if torch.cuda.is_available() else torch.device("cpu")
    )
    assert normalise(device="cpu", device_map={"": "cpu"}).device == torch.device("cpu")
    assert merge_device(None, None) is None
    with pytest.raises(ValueError, match="device='cpu' and device_map='meta' disagree"):
        merge_device("cpu", "meta")


def test_hub_options_are_collected():
    options = normalise(
        revision="v2", cache_dir="/tmp/c", local_files_only=True, token="t", force_download=False
    )
    assert options.hub == {"revision": "v2", "cache_dir": "/tmp/c", "local_files_only": True, "token": "t",
                           "force_download": False}  # fmt: skip


def test_trust_remote_code_and_low_cpu_mem_usage_are_ignored_and_logged(caplog):
    with caplog.at_level(logging.INFO, logger="albert.loading"):
        options = normalise(trust_remote_code=True, low_cpu_mem_usage=True)
    assert options.rest == {}
    assert "trust_remote_code=True accepted and ignored" in caplog.text
    assert "low_cpu_mem_usage=True accepted and ignored" in caplog.text


def test_known_unsupported_arguments_say_what_to_do_instead():
    with pytest.raises(
        ValueError,
        match=r"does not support return_dict=: pass return_dict=False to the model call for a tuple",
    ):
        normalise(return_dict=False)
    with pytest.raises(ValueError, match=r"load_in_8bit=: quantise after loading .*precision='int8'"):
        normalise(load_in_8bit=True)


def test_unknown_arguments_are_named():
    with pytest.raises(
        ValueError, match=r"AlbertForMaskedLM.from_pretrained got an unsupported argument 'num_label'"
    ):
        normalise(num_label=3)


def test_model_options_have_no_effect_on_tokenizers_and_configs(caplog):
    with caplog.at_level(logging.INFO, logger="albert.loading"):
        options = normalise(model=False, torch_dtype=torch.float16, device_map="auto", revision="v2")
    assert (options.dtype, options.device, options.hub) == (None, None, {"revision": "v2"})
    assert "torch_dtype, device_map have no effect here" in caplog.text
