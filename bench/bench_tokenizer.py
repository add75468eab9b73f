"""Benchmark: encode real lines in batches with our tokenizers and transformers', in one run.

    python bench/bench_tokenizer.py [DATA_DIR] [--lines 10000] [--batch-size 1000] [--repeats 3]

DATA_DIR defaults to ../shared/data (next to the repository). Lines are Wikipedia paragraphs, SQuAD
contexts and questions, and CoNLL-2003 sentences (see tests/tokenizer/conftest.py for the same mix).
Each tokenizer encodes all lines with `tok(batch)` (input_ids, token_type_ids, attention_mask, no
padding); the four take turns for `--repeats` rounds and the best round is reported as lines/s (wall) and
CPU seconds (all threads; steadier on a shared machine), with ratios; then the two fast ones with
offsets; then the ids of the four tokenizers are compared. The numbers are written, with the machine and
its load, to results/bench/tokenizer.json, from which `tools/tokenizer_table.py --write` renders the
tables of docs/tokenizers.md.
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import random
import sys
import time
from pathlib import Path

from common import environment

REPO = Path(__file__).resolve().parents[1]
DEFAULT_DATA = REPO.parent / "shared" / "data"


def load_lines(data: Path, n: int, seed: int = 0) -> list[str]:
    """n lines: 60% Wikipedia paragraphs, 30% SQuAD contexts/questions, 10% CoNLL sentences."""
    rng = random.Random(seed)
    wiki: list[str] = []
    for path in sorted(glob.glob(str(data / "corpus/wikipedia_en_2015/AA/wiki_*")))[:10]:
        with open(path, encoding="utf-8") as f:
            wiki += [ln.rstrip("\n") for ln in f if ln.strip() and not ln.startswith(("<doc", "</doc"))]
    squad: list[str] = []
    for art in json.loads((data / "squad/dev-v1.1.json").read_text(encoding="utf-8"))["data"]:
        for par in art["paragraphs"]:
            squad.append(par["context"])
            squad += [q["question"] for q in par["qas"]]
    conll, words = [], []
    with open(data / "conll2003/train.txt", encoding="utf-8") as f:
        for ln in f:
            parts = ln.split()
            if parts:
                words.append(parts[0])
                continue
            if words and words[0] != "-DOCSTART-":
                conll.append(" ".join(words))
            words = []
    n_wiki, n_squad = int(n * 0.6), int(n * 0.3)
    out = rng.sample(wiki, n_wiki) + rng.sample(squad, n_squad) + rng.sample(conll, n - n_wiki - n_squad)
    rng.shuffle(out)
    return out


def encode_all(tok, lines: list[str], batch_size: int, **kwargs) -> tuple[float, float, list[list[int]]]:
    """(wall seconds, CPU seconds of all threads, ids) for encoding all lines in batches."""
    wall, cpu = time.perf_counter(), time.process_time()
    out: list[list[int]] = []
    for i in range(0, len(lines), batch_size):
        out += tok(lines[i : i + batch_size], **kwargs)["input_ids"]
    return time.perf_counter() - wall, time.process_time() - cpu, out


def race(tokenizers: dict, lines: list[str], batch_size: int, repeats: int, **kwargs) -> dict:
    """Best wall and CPU time per tokenizer. The tokenizers take turns in every round, so that load from
    other processes on a shared machine hits them alike; CPU time is the steadier number."""
    best = {name: [float("inf"), float("inf"), None] for name in tokenizers}
    for _ in range(repeats):
        for name, tok in tokenizers.items():
            wall, cpu, ids = encode_all(tok, lines, batch_size, **kwargs)
            best[name] = [min(best[name][0], wall), min(best[name][1], cpu), ids]
    return best


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("data", nargs="?", type=Path, default=DEFAULT_DATA, help="the shared data directory")
    parser.add_argument("--lines", type=int, default=10000)
    parser.add_argument("--batch-size", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument(
        "--model", type=Path, default=None, help="spiece.model (default: DATA/spm/albert-30k-clean.model)"
    )
    args = parser.parse_args(argv)
    model = args.model or args.data / "spm" / "albert-30k-clean.model"
    if not model.is_file():
        print(f"no SentencePiece model at {model}; pass DATA_DIR or --model", file=sys.stderr)
        return 2

    import transformers

    from albert.tokenizer import AlbertTokenizer, AlbertTokenizerFast

    transformers.logging.set_verbosity_error()
    load_before, started = os.getloadavg(), time.perf_counter()
    lines = load_lines(args.data, args.lines)
    chars = sum(map(len, lines))
    print(f"{len(lines)} lines ({chars / len(lines):.0f} chars on average), batch size {args.batch_size}, "
          f"best of {args.repeats} rounds")  # fmt: skip
    tokenizers = {
        "ours slow (AlbertTokenizer)": AlbertTokenizer(model),
        "ours fast (AlbertTokenizerFast)": AlbertTokenizerFast(model),
        "transformers slow": transformers.AlbertTokenizer(str(model)),
        "transformers fast": transformers.AlbertTokenizerFast(vocab_file=str(model)),
    }
    for tok in tokenizers.values():
        tok(lines[:200])  # warm-up (lazy tables, caches)
    results = race(tokenizers, lines, args.batch_size, args.repeats)
    speed = {name: len(lines) / r[0] for name, r in results.items()}
    cpu = {name: r[1] for name, r in results.items()}
    ids = {name: r[2] for name, r in results.items()}
    for name in tokenizers:
        print(
            f"  {name:34s} {speed[name]:10.0f} lines/s   ({results[name][0]:.3f} s wall, {cpu[name]:.3f} s CPU)"
        )
    names = list(tokenizers)
    print("ratios: lines/s (CPU time)")
    for a, b in [(1, 3), (0, 2), (1, 2), (1, 0)]:
        label = f"{names[a].split(' (')[0]} / {names[b].split(' (')[0]}"
        print(
            f"  {label:38s} {speed[names[a]] / speed[names[b]]:5.2f}x  ({cpu[names[b]] / cpu[names[a]]:.2f}x)"
        )
    print("with return_offsets_mapping=True:")
    fast = {name: tokenizers[name] for name in (names[1], names[3])}
    offsets = {}
    for name, (wall, cpu_s, _) in race(
        fast, lines, args.batch_size, args.repeats, return_offsets_mapping=True
    ).items():
        offsets[name] = {"lines_per_s": len(lines) / wall, "cpu_s": cpu_s}
        print(f"  {name:34s} {len(lines) / wall:10.0f} lines/s   ({wall:.3f} s wall, {cpu_s:.3f} s CPU)")

    pairs = {"ours slow == transformers slow": (0, 2), "ours fast == ours slow": (1, 0),
             "ours fast == transformers fast": (1, 3), "transformers fast == transformers slow": (3, 2)}  # fmt: skip
    same = {k: sum(x == y for x, y in zip(ids[names[a]], ids[names[b]])) for k, (a, b) in pairs.items()}
    print("same ids:")
    for k, n in same.items():
        print(f"  {k:40s} {n}/{len(lines)} ({100 * n / len(lines):.2f}%)")
    record = {
        "section": "tokenizer",
        "command": "python bench/bench_tokenizer.py " + " ".join(argv if argv is not None else sys.argv[1:]),
        "environment": environment(),
        "load_before": [round(x, 2) for x in load_before],
        "load_after": [round(x, 2) for x in os.getloadavg()],
        "wall_s": round(time.perf_counter() - started, 1),
        "result": {
            "lines": len(lines), "avg_chars": chars / len(lines), "batch_size": args.batch_size,
            "repeats": args.repeats, "same_ids": same,
            "plain": {name: {"lines_per_s": speed[name], "cpu_s": cpu[name]} for name in names},
            "offsets": offsets,
        },
    }  # fmt: skip
    out = REPO / "results" / "bench" / "tokenizer.json"
    out.write_text(json.dumps(record, indent=1) + "\n", encoding="utf-8")
    print(f"written to {out.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
