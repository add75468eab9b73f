"""The agreement and speed tables of docs/tokenizers.md, rendered from results/bench/tokenizer.json (what
`python bench/bench_tokenizer.py` measured and wrote): no number in them is typed by hand.

    python tools/tokenizer_table.py            # print the tables
    python tools/tokenizer_table.py --write    # replace them between their markers in docs/tokenizers.md

tests/test_results_tables.py checks that the docs hold what this renders from the file.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULT = ROOT / "results" / "bench" / "tokenizer.json"
DOCS = ROOT / "docs" / "tokenizers.md"
NAMES = {  # the bench's names -> the table's
    "ours slow (AlbertTokenizer)": "ours slow (`AlbertTokenizer`)",
    "ours fast (AlbertTokenizerFast)": "ours fast (`AlbertTokenizerFast`)",
    "transformers slow": "transformers slow",
    "transformers fast": "transformers fast",
}


def load(path: Path = RESULT) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def agreement_table(record: dict) -> str:
    r = record["result"]
    n = r["lines"]
    rows = ["| comparison | lines with the same ids |", "| --- | --- |"]
    rows += [f"| {pair} | {same:,} / {n:,} |" for pair, same in r["same_ids"].items()]
    return "\n".join(rows)


def speed_table(record: dict) -> str:
    r, env = record["result"], record["environment"]
    rows = ["| tokenizer | lines/s | CPU s | x transformers fast (lines/s) |", "| --- | --- | --- | --- |"]
    base = r["plain"]["transformers fast"]["lines_per_s"]
    for name, v in r["plain"].items():
        rows.append(
            f"| {NAMES[name]} | {v['lines_per_s']:,.0f} | {v['cpu_s']:.2f} | x{v['lines_per_s'] / base:.2f} |"
        )
    base = r["offsets"]["transformers fast"]["lines_per_s"]
    for name, v in r["offsets"].items():
        rows.append(f"| {NAMES[name]}, `return_offsets_mapping=True` | {v['lines_per_s']:,.0f} | {v['cpu_s']:.2f} "
                    f"| x{v['lines_per_s'] / base:.2f} |")  # fmt: skip
    rows.append("")
    rows.append(
        f"{r['lines']:,} lines ({r['avg_chars']:.0f} characters on average) in batches of {r['batch_size']:,}, "
        f"best of {r['repeats']} rounds; `{record['command'].strip()}` on {env['cpu']}, {env['cores']} cores, "
        f"load average {record['load_before'][0]:.1f} before, {record['load_after'][0]:.1f} after; "
        f"{record['wall_s']:.0f} s."
    )
    return "\n".join(rows)


RENDER = {"tokenizer-agreement": agreement_table, "tokenizer-speed": speed_table}


def block(section: str, text: str) -> str:
    return f"<!-- bench:{section} -->\n{text}\n<!-- /bench:{section} -->"


def write(docs: Path = DOCS, record: dict | None = None) -> None:
    record = record or load()
    text = docs.read_text(encoding="utf-8")
    for section, render in RENDER.items():
        pattern = re.compile(rf"<!-- bench:{section} -->.*?<!-- /bench:{section} -->", re.S)
        if not pattern.search(text):
            raise SystemExit(f"{docs}: no <!-- bench:{section} --> markers")
        replacement = block(section, render(record))
        text = pattern.sub(lambda _, r=replacement: r, text)
    docs.write_text(text, encoding="utf-8")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--write", action="store_true", help=f"update {DOCS.relative_to(ROOT)} in place")
    if p.parse_args().write:
        write()
        return
    record = load()
    for section, render in RENDER.items():
        sys.stdout.write(f"## {section}\n\n{render(record)}\n\n")


if __name__ == "__main__":
    main()
