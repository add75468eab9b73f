"""bench/run.py's cuda section (bench/gpu_section.py), run here with `--shapes tiny` on the CPU: the same
code as on a GPU, with a tiny model. The numbers of such a run mean nothing; what is checked is that every
measurement is made and recorded, that one failing contestant leaves the others' numbers, and the MFU
arithmetic."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

import gpu_section  # noqa: E402
import peers  # noqa: E402
import run  # noqa: E402


def run_main(monkeypatch, *argv: str) -> None:
    monkeypatch.setattr(sys, "argv", ["bench/run.py", *argv])
    run.main()


def timed(entry: dict) -> set[str]:
    return {k for k, v in entry["impls"].items() if "median_s" in v and v["tokens_per_s"] > 0}


def test_tiny_run_records_every_measurement(monkeypatch, tmp_path):
    run_main(
        monkeypatch, "cuda", "--device", "cpu", "--shapes", "tiny", "--repeats", "1", "--out", str(tmp_path)
    )
    assert not (tmp_path / "cuda.json").exists()  # a test run never writes the GPU's file
    record = json.loads((tmp_path / "cuda-tiny.json").read_text())
    assert record["command"].startswith("python bench/run.py cuda")
    r = record["result"]
    assert r["info"]["transformers"] and r["info"]["torch"]
    assert all(r["matmul"][d]["tflops"] > 0 for d in ("fp32", "fp16", "bf16"))
    entries = [*(r["inference"][d] for d in ("fp16", "bf16", "fp32")), r["varlen"], r["pretraining"]]
    for entry in entries:
        assert timed(entry) == {"ours", "hf-sdpa"}, entry
        assert entry["ours_speedup_vs_hf_sdpa"] > 0
        for v in entry["impls"].values():
            assert v["mfu_vs_measured_matmul"] > 0 and v["mfu_vs_datasheet"] is None  # no GPU: no datasheet
    assert r["inference"]["bf16"]["padded_tokens"] == r["inference"]["bf16"]["tokens"] == 2 * 16
    assert r["varlen"]["padded_tokens"] > r["varlen"]["tokens"]
    for entry in entries[:4]:  # ours computes what transformers computes, to the dtype's rounding
        assert entry["impls"]["ours"]["max_abs_diff_vs_hf_sdpa"] < 0.1
    assert r["summary"]["ours_vs_hf_sdpa_bf16"] == r["inference"]["bf16"]["ours_speedup_vs_hf_sdpa"]
    bf16, fp32 = r["inference"]["bf16"]["impls"]["ours"], r["inference"]["fp32"]["impls"]["hf-sdpa"]
    assert r["summary"]["ours_bf16_vs_hf_sdpa_fp32"] == pytest.approx(
        bf16["tokens_per_s"] / fp32["tokens_per_s"]
    )
    losses = [v["first_loss"] for v in r["pretraining"]["impls"].values()]
    assert losses[0] == pytest.approx(losses[1], rel=1e-2)


def test_a_failing_contestant_leaves_the_other_measured(monkeypatch, tmp_path):
    def broken(*args, **kwargs):
        raise RuntimeError("no such model")

    monkeypatch.setattr(peers, "hf", broken)
    config = gpu_section.save_checkpoint(tmp_path / "model", "tiny")
    r = gpu_section.cuda_section(tmp_path / "model", config, 1, "cpu", "tiny")
    for entry in (r["inference"]["fp16"], r["varlen"], r["pretraining"]):
        assert timed(entry) == {"ours"}
        assert entry["impls"]["hf-sdpa"]["error"] == "RuntimeError: no such model"
        assert entry["ours_speedup_vs_hf_sdpa"] is None
    assert r["inference"]["fp16"]["impls"]["ours"]["max_abs_diff_vs_hf_sdpa"] is None  # nothing to compare to


def test_sigterm_keeps_what_was_measured(monkeypatch, tmp_path):
    """A caller's deadline (SIGTERM) ends the section with the measurements made so far, written."""
    import os
    import signal

    def deadline(*args, **kwargs):
        os.kill(os.getpid(), signal.SIGTERM)
        raise AssertionError("SIGTERM did not stop the section")

    monkeypatch.setattr(gpu_section, "pretraining", deadline)
    run_main(
        monkeypatch, "cuda", "--device", "cpu", "--shapes", "tiny", "--repeats", "1", "--out", str(tmp_path)
    )
    r = json.loads((tmp_path / "cuda-tiny.json").read_text())["result"]
    assert r["stopped"].startswith(f"signal {int(signal.SIGTERM)}") and "pretraining" not in r
    assert timed(r["inference"]["bf16"]) == {"ours", "hf-sdpa"}
    assert r["summary"]["ours_vs_hf_sdpa_bf16"] > 0
    assert signal.getsignal(signal.SIGTERM) is not gpu_section._stop  # the handler is put back


def test_mfu_is_model_flops_over_the_matmul_rate_and_the_datasheet_peak():
    peak = gpu_section.datasheet_peak("NVIDIA H200")
    assert peak["tflops"] == 989.4
    got = gpu_section.mfu(400e12, {"tflops": 800.0}, peak)
    assert got == pytest.approx(
        {"model_tflops": 400.0, "mfu_vs_measured_matmul": 0.5, "mfu_vs_datasheet": 400 / 989.4}
    )
    assert (
        gpu_section.datasheet_peak("NVIDIA H100 PCIe")["tflops"] is None
    )  # a different peak: none on record
    assert gpu_section.mfu(1e12, {"error": "x"}, peak)["mfu_vs_measured_matmul"] is None


@pytest.mark.parametrize(
    "argv, message",
    [
        (["cuda", "inference"], "runs alone"),
        (["cuda", "--device", "cpu"], "run it with --device cuda"),
        ([], "name some of"),
    ],
)
def test_bad_invocations_name_the_fix(monkeypatch, capsys, argv, message):
    with pytest.raises(SystemExit):
        run_main(monkeypatch, *argv)
    assert message in capsys.readouterr().err


def test_device_cuda_without_a_gpu_says_so(monkeypatch, capsys):
    monkeypatch.setattr("torch.cuda.is_available", lambda: False)
    with pytest.raises(SystemExit):
        run_main(monkeypatch, "--device", "cuda")
    assert "no CUDA GPU" in capsys.readouterr().err
