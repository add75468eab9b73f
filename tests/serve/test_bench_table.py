"""The load-test table in docs/serving.md is the committed measurement results/bench/serve.json, rendered
by bench/bench_serve.py (`python bench/bench_serve.py --table results/bench/serve.json`)."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

pytest.importorskip("httpx", reason="bench/bench_serve.py needs httpx (the serve/test extras)")

ROOT = Path(__file__).resolve().parents[2]


def test_docs_table_is_the_committed_measurement():
    spec = importlib.util.spec_from_file_location("bench_serve", ROOT / "bench" / "bench_serve.py")
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    result = json.loads((ROOT / "results" / "bench" / "serve.json").read_text())
    docs = (ROOT / "docs" / "serving.md").read_text(encoding="utf-8")
    shown = docs.split("<!-- serve-bench-table -->\n", 1)[1].split("<!-- /serve-bench-table -->", 1)[0]
    assert shown.strip() == bench.table(result).strip()
    for mode in result["runs"].values():
        assert all(r["errors"] == 0 and r["lost"] == 0 for r in mode["results"])
