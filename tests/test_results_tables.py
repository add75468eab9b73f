"""The fine-tuning tables in README.md and docs/finetuning.md are the committed measurements in
results/finetune, as `tools/finetune_table.py` renders them; the performance tables of
docs/performance.md are results/bench/*.json as `tools/perf_table.py` renders them (docs/tokenizers.md's:
`tools/tokenizer_table.py`): an edited number, or a re-run whose files were not committed, fails here."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def load_tool(name: str = "finetune_table"):
    spec = importlib.util.spec_from_file_location(name, ROOT / "tools" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is built
    spec.loader.exec_module(module)
    return module


def test_readme_and_docs_tables_are_the_committed_measurements():
    tool = load_tool()
    results = ROOT / "results" / "finetune"
    assert all(tool.measured(results, run) is not None for run in tool.RUNS), "a run's files are missing"
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    docs = (ROOT / "docs" / "finetuning.md").read_text(encoding="utf-8")
    assert tool.comparison_table(results, ROOT / "results" / "pretrain-gpu" / "finetune") in readme
    assert tool.table(results) in docs


def test_docs_show_the_commands_the_tool_runs():
    tool = load_tool()
    docs = " ".join(
        (ROOT / "docs" / "finetuning.md").read_text(encoding="utf-8").replace("\\\n", " ").split()
    )
    for run in tool.RUNS:
        for command in tool.commands(run, Path("runs/finetune"), tool.DATA, None):
            assert tool.display(command, tool.DATA) in docs, run.name


def test_performance_tables_are_the_committed_measurements():
    tool = load_tool("perf_table")
    docs = (ROOT / "docs" / "performance.md").read_text(encoding="utf-8")
    for section in tool.RENDER:
        marker = f"<!-- bench:{section} -->"
        assert marker in docs, f"docs/performance.md has no table for {section}"
        rendered = tool.render(section)
        assert rendered is not None, f"results/bench/{section}.json is missing"
        assert tool.block(section, rendered) in docs, f"the {section} table is not what its file says"


def test_tokenizer_tables_are_the_committed_measurement():
    tool = load_tool("tokenizer_table")
    docs = (ROOT / "docs" / "tokenizers.md").read_text(encoding="utf-8")
    record = tool.load()
    assert record["command"].startswith("python bench/bench_tokenizer.py")
    assert record["environment"]["cpu"] and len(record["load_before"]) == 3
    for section, render in tool.RENDER.items():
        assert tool.block(section, render(record)) in docs, f"the {section} table is not what its file says"


def test_performance_measurements_record_their_machine_and_load():
    tool = load_tool("perf_table")
    for section in tool.RENDER:
        record = tool.load(section)
        if record is None:  # only `targets`, which reads the others
            continue
        env = record["environment"]
        assert env["cpu"] and "native_bf16" in env and "avx2" in env["cpu_flags"], section
        assert len(record["load_before"]) == 3 and len(record["load_after"]) == 3, section
        assert record["command"].startswith("python bench/run.py"), section


def test_learned_nothing_column_is_the_dev_sets_majority():
    """Classification and multiple-choice floors are the most frequent label (class or answer position)
    of the dev set, as `finetune_table.py floors` computes them (needs ../shared/data)."""
    import pytest

    tool = load_tool()
    checked = 0
    for run in tool.RUNS:
        if run.task in ("text-classification", "multiple-choice") and (tool.DATA / run.dev).is_file():
            floor = tool.majority_floor(run, tool.DATA)
            if run.metrics[0] == "accuracy":
                assert run.baseline.startswith(f"{floor} "), (run.name, floor, run.baseline)
            checked += 1
    if not checked:
        pytest.skip("the dev sets are not available")


def _gpu_entry(shape: list[int], ours_s: float, hf_s: float | None, **extra) -> dict:
    tokens = shape[0] * shape[1]
    impls = {"ours": {"median_s": ours_s, "tokens_per_s": tokens / ours_s, "model_tflops": 400.0,
                      "mfu_vs_measured_matmul": 0.5, "mfu_vs_datasheet": 400 / 989.4, "max_abs_diff_vs_hf_sdpa": 0.01}}  # fmt: skip
    if hf_s is None:
        impls["hf-sdpa"] = {"error": "RuntimeError: boom | no kernel\nsecond line"}
    else:
        impls["hf-sdpa"] = {**impls["ours"], "median_s": hf_s, "tokens_per_s": tokens / hf_s}
    speedup = None if hf_s is None else hf_s / ours_s
    return {"shape": shape, "impls": impls, "ours_speedup_vs_hf_sdpa": speedup, **extra}


GPU_RECORD = {  # made up, with failures in it (the committed run has none): only the renderer is tested
    "command": "python bench/run.py --device cuda",
    "wall_s": 41.2,
    "result": {
        "info": {
            "gpu": "NVIDIA H200",
            "memory_gib": 139.8,
            "capability": "9.0",
            "cuda": "13.0",
            "torch": "2.11.0+cu130",
            "transformers": "5.17.0",
        },  # fmt: skip
        "peak": {"tflops": 989.4, "source": "NVIDIA H100/H200 SXM datasheet, dense bf16/fp16"},
        "matmul": {
            "fp32": {"n": 8192, "tflops": 51.0},
            "fp16": {"n": 8192, "tflops": 790.0},
            "bf16": {"error": "RuntimeError: x"},
        },  # fmt: skip
        "inference": {
            "fp16": _gpu_entry([16, 512], 0.001, 0.002),
            "bf16": _gpu_entry([16, 512], 0.001, None),
            "fp32": {"shape": [16, 512], "error": "OutOfMemoryError: CUDA out of memory"},
        },
        "varlen": _gpu_entry([32, 256], 0.002, 0.008, sentences=32, lengths="16..512", dtype="bf16"),
        "pretraining": _gpu_entry([64, 512], 0.05, 0.1),
        "summary": {
            "ours_vs_hf_sdpa_fp16": 2.0,
            "ours_vs_hf_sdpa_bf16": None,
            "ours_bf16_vs_hf_sdpa_fp32": None,
        },
    },
}


def test_cuda_table_renders_every_measurement_and_failure():
    tool = load_tool("perf_table")
    lines = tool.cuda_table(GPU_RECORD).splitlines()
    cells = [[c.strip() for c in line.strip("|").split("|")] for line in lines if line.startswith("| ")]
    assert cells[1] == ["16x512 fp16", "ours", "1.00", "8,192,000", "400", "50.0%", "40.4%", "0.01", "x2.00"]
    assert cells[2][:2] == ["16x512 fp16", "hf-sdpa"] and cells[2][-1] == "x1.00"
    assert cells[4] == [
        "16x512 bf16",
        "hf-sdpa",
        "failed: RuntimeError: boom / no kernel second line",
        *["-"] * 6,
    ]
    assert cells[5][:3] == ["16x512 fp32", "-", "failed: OutOfMemoryError: CUDA out of memory"]
    assert [c[0] for c in cells[6:]] == ["32 x 16..512 bf16"] * 2 + [
        "pretraining step 64x512, bf16 autocast"
    ] * 2
    assert cells[6][-1] == "x4.00" and cells[8][-1] == "x2.00"
    text = "\n".join(lines)
    assert "fp32 51, fp16 790, bf16 failed TFLOP/s" in text and "989.4 TFLOP/s" in text
    assert "NVIDIA H200 (139.8 GiB, compute capability 9.0, CUDA 13.0), torch 2.11.0+cu130" in text
    assert "Not measured yet" in tool.cuda_table(None)
    stopped = {**GPU_RECORD, "result": {**GPU_RECORD["result"], "stopped": "signal 15 after 88 s"}}
    assert "Stopped before the end: signal 15 after 88 s." in tool.cuda_table(stopped)


def test_cuda_targets_rows(tmp_path):
    tool = load_tool("perf_table")
    met = {"ours_vs_hf_sdpa_fp16": 1.6, "ours_vs_hf_sdpa_bf16": 1.5, "ours_bf16_vs_hf_sdpa_fp32": 3.9}
    rows = tool.cuda_targets(met)
    assert rows[0][1:] == ["x3.90", ">= 4", "MISSED"]
    assert rows[1][1:] == ["x1.60 / x1.50", ">= 1.5", "met"]
    assert tool.cuda_targets({**met, "ours_vs_hf_sdpa_fp16": 1.49})[1][3] == "MISSED"
    (tmp_path / "cuda.json").write_text(json.dumps(GPU_RECORD))
    table = tool.targets(tmp_path)
    assert (
        "| CUDA: >= 1.5x transformers SDPA at 16x512 (fp16 / bf16) | x2.00 / - | >= 1.5 | not measured | NVIDIA H200 |"
        in table
    )
    assert "not run: no GPU" not in table and "not run: no GPU" in tool.targets(tmp_path / "none")


def test_rows_re_measured_with_the_current_model_are_the_committed_ones():
    """Each README-table run re-measured with the current built-in model (results/pretrain-gpu/finetune/
    <run>-cpu/dev_metrics.json) is quoted in README.md and the model card with its committed numbers."""
    tool = load_tool()
    readme = " ".join((ROOT / "README.md").read_text(encoding="utf-8").split())
    card = " ".join((ROOT / "src/albert/assets/default/MODEL_CARD.md").read_text(encoding="utf-8").split())
    checked = 0
    for run in tool.RUNS:
        path = ROOT / "results" / "pretrain-gpu" / "finetune" / f"{run.name}-cpu" / "dev_metrics.json"
        if not path.is_file():
            continue
        dev = json.loads(path.read_text())
        for metric in run.metrics:
            number = f"{100 * dev[metric]:.1f}"
            assert number in readme and number in card, (run.name, metric, number)
        checked += 1
    assert checked >= 9  # sst2, cola, stsb, rte, mrpc, conll, csqa, squad, dream


def test_targets_name_the_machine_of_each_measurement():
    tool = load_tool("perf_table")
    flags = {k: False for k in ("avx2", "fma", "avx512f", "avx512_bf16", "amx_bf16")}
    amd = {"cpu": "AMD EPYC 7B13", "cpu_flags": {**flags, "avx2": True}, "native_bf16": False}
    xeon = {"cpu": "Intel(R) Xeon(R) Processor", "native_bf16": True,
            "cpu_flags": {**flags, "avx2": True, "avx512f": True, "avx512_bf16": True}}  # fmt: skip
    amx = {
        **xeon,
        "cpu": "Intel(R) Xeon(R) Platinum 8480+ @ 2.0GHz",
        "cpu_flags": {**xeon["cpu_flags"], "amx_bf16": True},
    }
    assert tool.machine({"environment": amd}) == "AMD EPYC 7B13 (AVX2; bf16: no)"
    assert tool.machine({"environment": xeon}) == "Intel Xeon (AVX-512; bf16: AVX512-BF16, no AMX)"
    assert tool.machine({"environment": amx}) == "Intel Xeon Platinum 8480+ (AVX-512; bf16: AMX)"
