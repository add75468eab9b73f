"""docs/differences.md: every row names the test that covers it, and that test exists."""

from __future__ import annotations

import itertools
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_every_difference_names_tests_that_exist():
    defined = set()
    for path in (ROOT / "tests").rglob("test_*.py"):
        defined |= set(re.findall(r"^\s*(?:async )?def (test_\w+)", path.read_text(encoding="utf-8"), re.M))
    lines = (ROOT / "docs" / "differences.md").read_text(encoding="utf-8").splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("| upstream behaviour")) + 2
    rows = list(itertools.takewhile(lambda line: line.startswith("| "), lines[start:]))
    assert len(rows) >= 20  # the table of upstream bugs (the later tables are choices, tested as named)
    for row in rows:
        cells = [c.strip() for c in row.strip("|").split(" | ")]
        named = re.findall(r"`(test_\w+)`", cells[-1])
        assert named, f"a row without a test: {row[:100]}"
        missing = [name for name in named if name not in defined]
        assert not missing, f"{missing} named in docs/differences.md, defined nowhere in tests/"
