"""The fine-tuning tables in README.md and docs/finetuning.md are the committed measurements in
results/finetune, as `tools/finetune_table.py` renders them; the performance tables of
docs/performance.md are results/bench/*.json as `tools/perf_table.py` renders them: an edited number,
or a re-run whose files were not committed, fails here."""

from __future__ import annotations

import importlib.util
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
    assert tool.compact_table(results) in readme
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
