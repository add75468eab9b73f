"""The fine-tuning tables in README.md and docs/finetuning.md are the committed measurements in
results/finetune, as `tools/finetune_table.py` renders them: an edited number, or a re-run whose files were
not committed, fails here."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def load_tool():
    spec = importlib.util.spec_from_file_location("finetune_table", ROOT / "tools" / "finetune_table.py")
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
