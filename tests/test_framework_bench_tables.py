"""The speed tables of docs/flax.md and docs/tensorflow.md are the committed measurements
(results/bench/flax-cpu.json, results/bench/tf.json), rounded as printed: editing a number in either
place without the other fails here."""

from __future__ import annotations

import json
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def table_rows(doc: str, header_start: str) -> list[list[str]]:
    """The cells of the markdown table whose header row starts with `header_start` (separator skipped)."""
    lines = (ROOT / "docs" / doc).read_text(encoding="utf-8").splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(header_start))
    rows = []
    for line in lines[start + 2 :]:
        if not line.startswith("|"):
            break
        rows.append([cell.strip() for cell in line.strip("|").split("|")])
    return rows


def test_flax_speed_table_is_the_committed_measurement():
    results = json.loads((ROOT / "results" / "bench" / "flax-cpu.json").read_text())["results"]
    rows = table_rows("flax.md", "| batch | torch (s)")
    assert len(rows) == len(results) == 2
    for row, result in zip(rows, results.values()):
        seconds = result["seconds"]
        expected = [
            f"{seconds['torch']:.1f}",
            f"{seconds['flax-jit']:.1f}",
            f"{result['flax_first_call_seconds']:.1f}",
            f"{result['max_abs_diff_vs_torch']['flax-jit']:.1e}",
        ]
        assert row[1:] == expected, row


def test_tensorflow_speed_table_is_the_committed_measurement():
    result = json.loads((ROOT / "results" / "bench" / "tf.json").read_text())
    rows = table_rows("tensorflow.md", "| implementation | wall ms")
    names = list(result["best_wall_seconds"])
    assert len(rows) == len(names) == 3
    torch_cpu = result["best_cpu_seconds"]["torch"]
    for row, name in zip(rows, names):
        cpu = result["best_cpu_seconds"][name]
        diff = result["max_abs_logit_diff_vs_torch"][name]
        expected = [
            f"{result['best_wall_seconds'][name] * 1000:,.0f}",
            f"{cpu * 1000:,.0f}",
            f"{torch_cpu / cpu:.2f}",
            "0" if diff == 0 else f"{diff:.1e}",
        ]
        assert row[1:] == expected, row
