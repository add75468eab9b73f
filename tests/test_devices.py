"""`albert.devices`: device and device_map spellings, and the errors a machine without a GPU gives."""

from __future__ import annotations

import pytest
import torch

from albert import devices
from albert.devices import resolve_device, resolve_device_map
from tests.conftest import tiny_kwargs


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


# ----- bf16 on CPUs without AMX: a warning, once -----


@pytest.mark.parametrize(
    ("flags", "expected"),
    [("fpu avx2 avx512f avx512_bf16 amx_bf16 amx_tile", "amx"), ("fpu avx2 avx512_bf16", "avx512_bf16"),
     ("fpu avx2 fma", "none")],
)  # fmt: skip
def test_cpu_bf16_hardware_reads_the_flags(tmp_path, flags, expected):
    cpuinfo = tmp_path / "cpuinfo"
    cpuinfo.write_text(f"processor\t: 0\nmodel name\t: Some CPU\nflags\t\t: {flags}\n\n", encoding="utf-8")
    assert devices.cpu_bf16_hardware(str(cpuinfo)) == expected


def test_cpu_bf16_hardware_unknown_without_flags(tmp_path):
    assert devices.cpu_bf16_hardware(str(tmp_path / "absent")) is None
    (tmp_path / "arm").write_text("processor\t: 0\nFeatures\t: fp asimd bf16\n", encoding="utf-8")
    assert devices.cpu_bf16_hardware(str(tmp_path / "arm")) is None


@pytest.fixture
def cpu_with(monkeypatch):
    """Pretend this CPU multiplies bf16 with `hardware` (see `cpu_bf16_hardware`), no warning given yet."""

    def pretend(hardware: str | None) -> None:
        monkeypatch.setattr(devices, "cpu_bf16_hardware", lambda: hardware)
        monkeypatch.setattr(devices, "_warned", [])

    return pretend


@pytest.mark.parametrize("hardware", ["none", "avx512_bf16"])
def test_bf16_on_a_cpu_without_amx_warns_once(hardware, cpu_with, caplog):
    cpu_with(hardware)
    with caplog.at_level("WARNING", logger="albert.devices"):
        devices.warn_if_bf16_is_slow(torch.float32, "cpu")
        assert not caplog.records
        devices.warn_if_bf16_is_slow(torch.bfloat16, "cuda")
        assert not caplog.records
        devices.warn_if_bf16_is_slow(torch.bfloat16, torch.device("cpu"))
        devices.warn_if_bf16_is_slow(torch.bfloat16, None)
    assert len(caplog.records) == 1
    assert "slower than float32" in caplog.text and "precision='int8'" in caplog.text


@pytest.mark.parametrize("hardware", ["amx", None])
def test_no_bf16_warning_with_amx_or_unknown_cpu(hardware, cpu_with, caplog):
    cpu_with(hardware)
    with caplog.at_level("WARNING", logger="albert.devices"):
        devices.warn_if_bf16_is_slow(torch.bfloat16, "cpu")
    assert not caplog.records


def test_loading_and_preparing_in_bf16_warn_on_such_a_cpu(tmp_path, cpu_with, caplog):
    from albert import AlbertConfig, AlbertModel
    from albert.runtime import prepare_for_inference

    AlbertModel(AlbertConfig(**tiny_kwargs())).save_pretrained(tmp_path)
    for load in (
        lambda: AlbertModel.from_pretrained(tmp_path, dtype="bfloat16"),
        lambda: prepare_for_inference(AlbertModel.from_pretrained(tmp_path), precision="bf16"),
    ):
        cpu_with("avx512_bf16")
        caplog.clear()
        with caplog.at_level("WARNING", logger="albert.devices"):
            assert load().dtype == torch.bfloat16
        assert "AVX512-BF16 but no AMX" in caplog.text
