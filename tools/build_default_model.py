"""Build the built-in model (`src/albert/assets/default/`) from `../shared/data/corpus`.

Stages (work files go to --work, default `runs/default`, which git ignores):
  vocab    train a SentencePiece vocabulary with ALBERT's settings on the training documents
  shards   the whole corpus, de-duplicated, as training and held-out shards in <work>/data/{train,eval};
           resumable: rerun the same command after a kill and it skips the finished parts
  pack     a compact copy of a training checkpoint (fp16 weights, bf16 optimizer moments) into --resume-dir
           (required: no default, the copy of an ALBERT-base-shaped model is ~60 MB, too much to commit
           unasked), so that `albert pretrain --resume <resume-dir>` continues the run on any machine, and
           the leg (machine, steps, tokens, hours) appended to <resume-dir>/../legs.json
  package  copy a checkpoint + the tokenizer into the package (weights stored in fp16 to halve the size)
           and measure held-out MLM top-1 / SOP accuracy on text never trained on; writes metrics.json

Held out (never trained on): the Wikipedia files wiki_98 and wiki_99 and the last two Gutenberg books in
name order. Training itself is `albert pretrain --config configs/pretrain/default.yaml ...` (the model
card has the exact command).

    python tools/build_default_model.py vocab
    python tools/build_default_model.py shards --tokenizer src/albert/assets/default --work runs/full
    python tools/build_default_model.py package --checkpoint runs/default/checkpoints/step-00002200
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import time
from pathlib import Path

HELD_OUT_WIKI = ("wiki_98", "wiki_99")
HELD_OUT_BOOKS = 2  # the last two books in name order


def corpus_sources(corpus: Path) -> tuple[list, list]:
    wiki = sorted((corpus / "wikipedia_en_2015" / "AA").glob("wiki_*"))
    books = sorted((corpus / "gutenberg").glob("*.txt"))
    train = [(p, "wikiextractor") for p in wiki if p.name not in HELD_OUT_WIKI]
    train += [(p, "gutenberg") for p in books[:-HELD_OUT_BOOKS]]
    held = [(p, "wikiextractor") for p in wiki if p.name in HELD_OUT_WIKI]
    held += [(p, "gutenberg") for p in books[-HELD_OUT_BOOKS:]]
    return train, held


def sentences(sources: list) -> itertools.chain:
    from albert.data import document_sentences, read_documents

    return itertools.chain.from_iterable(
        document_sentences(doc) for path, fmt in sources for doc in read_documents(path, fmt)
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("stage", choices=["vocab", "shards", "pack", "package"])
    parser.add_argument("--checkpoint", type=Path, help="checkpoint directory to package")
    parser.add_argument("--assets", type=Path, default=Path("src/albert/assets/default"))
    parser.add_argument(
        "--corpus", type=Path, default=Path(__file__).resolve().parents[2] / "shared/data/corpus"
    )
    parser.add_argument("--work", type=Path, default=Path("runs/default"))
    parser.add_argument("--vocab-size", type=int, default=16000)
    parser.add_argument("--max-seq-length", type=int, default=128)
    parser.add_argument("--vocab-sentences", type=int, default=2_000_000)
    parser.add_argument("--resume-dir", type=Path, help="pack: where the compact checkpoint goes")
    parser.add_argument("--tokenizer", type=Path, help="tokenizer directory (default: <work>/tokenizer)")
    args = parser.parse_args()
    train, held = corpus_sources(args.corpus)
    start = time.time()
    if args.stage == "vocab":
        from albert.tokenizer import train_sentencepiece

        path = train_sentencepiece(
            None,
            args.work / "tokenizer",
            vocab_size=args.vocab_size,
            sentences=sentences(train),
            input_sentence_size=args.vocab_sentences,
        )
        print(f"vocabulary: {path} ({time.time() - start:.0f} s)")
    elif args.stage == "pack":
        if args.resume_dir is None or args.checkpoint is None:
            parser.error(
                "pack needs --checkpoint DIR (a training checkpoint) and --resume-dir DIR (where to write)"
            )
        pack(args)
    elif args.stage == "shards":
        shards(args, train, held, start)
    else:
        package(args)


def shards(args: argparse.Namespace, train: list, held: list, start: float) -> None:
    """All of the corpus, de-duplicated, into <work>/data/{train,eval} (resumable; see albert.data.dedup_build)."""
    import logging

    from albert import AlbertTokenizerFast
    from albert.data import Vocabulary
    from albert.data.dedup_build import build_deduplicated_shards
    from albert.training.pretrain import _encoder

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    tokenizer = AlbertTokenizerFast.from_pretrained(args.tokenizer or args.work / "tokenizer")
    built = build_deduplicated_shards(
        train, held, _encoder(tokenizer), Vocabulary.from_tokenizer(tokenizer), args.work / "data",
        max_seq_length=args.max_seq_length,
    )  # fmt: skip
    # What `albert pretrain --output-dir <work>` checks before it reuses these shards (configs/pretrain/full.yaml).
    from albert.training.fingerprint import record_run
    from albert.training.pretrain import PretrainArgs

    built_with = PretrainArgs(
        tokenizer=str(args.tokenizer or args.work / "tokenizer"), max_seq_length=args.max_seq_length,
        corpus=[str(p) for p, _ in train], eval_corpus=[str(p) for p, _ in held],
    )  # fmt: skip
    record_run(args.work, built_with, start_over=False)
    for split, metadata in built.items():
        print(
            split, metadata["num_instances"], "instances", metadata["num_tokens"], "tokens", metadata["stats"]
        )
    print(f"{time.time() - start:.0f} s")


def machine() -> str:
    """The CPU model and thread count (and GPU, if any) this process trains on, for the legs record."""
    import platform

    import torch

    cpu = platform.processor() or platform.machine()
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.is_file():
        names = [
            line.split(":", 1)[1].strip() for line in cpuinfo.read_text().splitlines() if "model name" in line
        ]
        cpu = names[0] if names else cpu
    gpu = f", GPU {torch.cuda.get_device_name(0)}" if torch.cuda.is_available() else ""
    return f"{cpu}, {os.cpu_count()} CPUs visible{gpu}"


def pack(args: argparse.Namespace) -> None:
    """Compact checkpoint into --resume-dir and one more leg in legs.json (what this leg added)."""
    import torch

    from albert.training.portable import compact_checkpoint

    state = torch.load(args.checkpoint / "training_state.pt", map_location="cpu", weights_only=True)
    loop = state["loop"]
    legs_path = args.resume_dir.parent / "legs.json"
    legs = json.loads(legs_path.read_text()) if legs_path.is_file() else []
    previous = legs[-1] if legs and legs[-1].get("run") == str(args.work) else None
    start = {k: previous[f"end_{k}"] if previous else 0 for k in ("step", "tokens", "elapsed_s")}
    legs.append({
        "run": str(args.work), "checkpoint": args.checkpoint.name, "machine": machine(),
        "torch_threads": torch.get_num_threads(), "start_step": start["step"], "end_step": loop["step"],
        "tokens": loop["tokens"] - start["tokens"], "end_tokens": loop["tokens"],
        "hours": round((loop["elapsed_s"] - start["elapsed_s"]) / 3600, 3), "end_elapsed_s": loop["elapsed_s"],
        "date": time.strftime("%Y-%m-%d"),
    })  # fmt: skip
    sizes = compact_checkpoint(args.checkpoint, args.resume_dir)
    legs_path.write_text(json.dumps(legs, indent=2) + "\n")
    print(json.dumps({"resume_dir": str(args.resume_dir), "bytes": sizes, "leg": legs[-1]}, indent=2))


def package(args: argparse.Namespace) -> None:
    """Checkpoint -> assets (fp16 weights, tokenizer) + held-out metrics measured on the packaged weights."""
    import torch

    from albert import AlbertForPreTraining, AlbertTokenizerFast
    from albert.data import PretrainingCollator, PretrainingDataset
    from albert.training.pretrain import evaluate_pretraining

    tokenizer = AlbertTokenizerFast.from_pretrained(args.tokenizer or args.work / "tokenizer")
    model = AlbertForPreTraining.from_pretrained(args.checkpoint)
    args.assets.mkdir(parents=True, exist_ok=True)
    model.to(torch.float16).save_pretrained(args.assets)
    tokenizer.save_pretrained(args.assets)
    # Held-out accuracy of what ships: the fp16 weights, loaded the default way (fp32).
    shipped = AlbertForPreTraining.from_pretrained(args.assets)
    data = PretrainingDataset(args.work / "data" / "eval")
    collate = PretrainingCollator(data.masking_spec(), data.pad_token_id, seed=0, static_masking=True)
    batches = [collate([data[i] for i in range(k, min(k + 64, len(data)))]) for k in range(0, len(data), 64)]
    metrics = evaluate_pretraining(shipped, batches)
    metrics.update(
        instances=len(data), predicted_tokens=int(sum(int((b["labels"] != -100).sum()) for b in batches))
    )
    (args.work / "heldout_metrics.json").write_text(json.dumps(metrics, indent=2) + "\n")
    print(json.dumps(metrics, indent=2))


if __name__ == "__main__":
    main()
