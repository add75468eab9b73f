"""`albert.devices`: device and device_map spellings, and the errors a machine without a GPU gives."""

from __future__ import annotations

import pytest
import torch

from albert.devices import resolve_device, resolve_device_map


@pytest.fixture
def two_gpus(monkeypatch):
    """Pretend CUDA is there with two GPUs (only the checks run; nothing is placed on a GPU)."""
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 2)


@pytest.fixture
def no_gpu(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 0)


def test_device_spellings(two_gpus):
    assert resolve_device(None) == torch.device("cpu")
    assert resolve_device(-1) == resolve_device("-1") == resolve_device("cpu") == torch.device("cpu")
    assert resolve_device(1) == resolve_device("1") == resolve_device("cuda:1") == torch.device("cuda", 1)
    assert resolve_device(torch.device("cuda", 0)) == torch.device("cuda", 0)


def test_bad_devices_name_the_value(two_gpus):
    with pytest.raises(ValueError, match="unknown device 'toaster'"):
        resolve_device("toaster")
    with pytest.raises(ValueError, match="device=True is not a device"):
        resolve_device(True)
    with pytest.raises(ValueError, match="asks for GPU 5 but this machine has 2 GPU"):
        resolve_device(5)


def test_gpu_without_cuda_suggests_the_cpu_in_the_callers_words(no_gpu):
    with pytest.raises(
        ValueError, match=r"^device=0 asks for a GPU but CUDA is not available here; use device='cpu'$"
    ):
        resolve_device(0)
    with pytest.raises(ValueError, match=r"^--device 0 asks for a GPU .*; use --device cpu$"):
        resolve_device("0", argument="--device", cpu_hint="--device cpu")
    with pytest.raises(ValueError, match=r"device_map='cuda' asks for a GPU .*; use device_map=\"cpu\""):
        resolve_device_map("cuda")


@pytest.mark.parametrize("strategy", ["auto", "balanced", "balanced_low_0", "sequential"])
def test_auto_device_map_is_the_best_single_device(strategy, no_gpu, monkeypatch):
    assert resolve_device_map(strategy) == torch.device("cpu")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert resolve_device_map(strategy) == torch.device("cuda", 0)


def test_device_map_as_a_device_or_a_one_device_dict(two_gpus):
    assert resolve_device_map("cpu") == resolve_device_map({"": "cpu"}) == torch.device("cpu")
    assert (
        resolve_device_map(1)
        == resolve_device_map({"albert": 1, "predictions": "cuda:1"})
        == torch.device("cuda", 1)
    )
    with pytest.raises(ValueError, match="splits the model over 2 devices.*one device"):
        resolve_device_map({"albert": 0, "predictions": "cpu"})
    with pytest.raises(ValueError, match="over no devices"):
        resolve_device_map({})
