"""What built a pretraining run's vocabulary and shards, so that a rerun never silently reuses them for
another corpus or other settings.

`<output_dir>/data_fingerprint.json` records the corpus files (path, size, modification time) and the
options that shape the vocabulary and the shards. A rerun into the same `--output-dir` compares; a
difference, or earlier outputs without a record, is refused with a message naming what differs and
`--start-over` (which deletes the earlier run's outputs, and only those).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from albert.training.output_dir import delete_outputs, earlier_outputs

FINGERPRINT_NAME = "data_fingerprint.json"
# What a pretraining run writes into its output directory (all of it goes with --start-over).
RUN_OUTPUTS = ("tokenizer", "tokenizer.tmp", "data", "checkpoints", "model", "model.tmp", "metrics.jsonl",
               "train_args.json", "curves.png", FINGERPRINT_NAME)  # fmt: skip
VOCABULARY_OPTIONS = ("tokenizer", "vocab_size", "vocab_sentences")
SHARD_OPTIONS = ("max_seq_length", "short_seq_prob", "dupe_factor", "random_document_negatives", "data_seed")


def corpus_record(sources: list[str]) -> list[list[Any]]:
    """[path, size, mtime_ns] of every corpus file, in reading order (cheap even for large corpora)."""
    from albert.data.corpus import corpus_files

    records = []
    for path, _ in corpus_files(sources):
        stat = os.stat(path)
        records.append([str(Path(path).resolve()), stat.st_size, stat.st_mtime_ns])
    return records


def fingerprint(args: Any) -> dict[str, Any]:
    """The record of `PretrainArgs` `args`: corpora and the vocabulary and shard options."""
    record: dict[str, Any] = {name: getattr(args, name) for name in VOCABULARY_OPTIONS + SHARD_OPTIONS}
    record["corpus"] = corpus_record(args.corpus) if args.corpus else None
    record["eval_corpus"] = corpus_record(args.eval_corpus) if args.eval_corpus else None
    return record


def differences(saved: dict[str, Any], current: dict[str, Any]) -> list[str]:
    """Names of the entries that differ; a corpus not given now (reusing the shards) is no difference."""
    names = []
    for key in sorted(set(saved) | set(current)):
        if key in ("corpus", "eval_corpus") and current.get(key) is None:
            continue
        if saved.get(key) != current.get(key):
            names.append(key.replace("_", "-"))
    return names


def check_output_dir(out: Path, args: Any, *, resuming: bool) -> None:
    """Refuse (ValueError) to mix this run with an earlier one in `out`: other data or settings, outputs
    with no record of what built them, or checkpoints that this run would not resume from."""
    earlier = earlier_outputs(out, RUN_OUTPUTS)
    saved_path = out / FINGERPRINT_NAME
    fix = "pass --start-over to delete that run and build anew, or choose another --output-dir"
    if saved_path.is_file():
        changed = differences(json.loads(saved_path.read_text(encoding="utf-8")), fingerprint(args))
        if changed:
            raise ValueError(
                f"--output-dir {out} holds the vocabulary and shards of another run (different "
                f"{', '.join('--' + c for c in changed)}); {fix}"
            )
    elif earlier:
        raise ValueError(
            f"--output-dir {out} already holds {', '.join(earlier)} with no record of the corpus and "
            f"settings that built them; {fix}"
        )
    checkpoints = out / "checkpoints"
    if not resuming and checkpoints.is_dir() and any(checkpoints.iterdir()):
        raise ValueError(
            f"--output-dir {out} holds the checkpoints of an earlier run: pass --resume auto to continue "
            f"it; or {fix}"
        )


def record_run(out: Path, args: Any, *, start_over: bool) -> None:
    """Write this run's fingerprint into `out`, after deleting an earlier run's outputs if `start_over`."""
    if start_over:
        delete_outputs(out, earlier_outputs(out, RUN_OUTPUTS))
    out.mkdir(parents=True, exist_ok=True)
    saved_path = out / FINGERPRINT_NAME
    tmp = saved_path.with_name(saved_path.name + ".tmp")
    tmp.write_text(json.dumps(fingerprint(args), indent=1) + "\n", encoding="utf-8")
    tmp.replace(saved_path)
