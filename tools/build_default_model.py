"""Build the built-in model (`src/albert/assets/default/`) from `../shared/data/corpus`.

Stages (work files go to --work, default `runs/default`, which git ignores):
  vocab    train a SentencePiece vocabulary with ALBERT's settings on the training documents
  package  copy a checkpoint + the tokenizer into the package (weights stored in fp16 to halve the size)
           and measure held-out MLM top-1 / SOP accuracy on text never trained on; writes metrics.json

Held out (never trained on): the Wikipedia files wiki_98 and wiki_99 and the last two Gutenberg books in
name order. Training itself is `albert pretrain --config configs/pretrain/default.yaml ...` (the model
card has the exact command).

    python tools/build_default_model.py vocab
    python tools/build_default_model.py package --checkpoint runs/default/checkpoints/step-00002200
"""

from __future__ import annotations

import argparse
import itertools
import json
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
    parser.add_argument("stage", choices=["vocab", "package"])
    parser.add_argument("--checkpoint", type=Path, help="checkpoint directory to package")
    parser.add_argument("--assets", type=Path, default=Path("src/albert/assets/default"))
    parser.add_argument(
        "--corpus", type=Path, default=Path(__file__).resolve().parents[2] / "shared/data/corpus"
    )
    parser.add_argument("--work", type=Path, default=Path("runs/default"))
    parser.add_argument("--vocab-size", type=int, default=16000)
    parser.add_argument("--max-seq-length", type=int, default=128)
    parser.add_argument("--vocab-sentences", type=int, default=2_000_000)
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
    else:
        package(args)


def package(args: argparse.Namespace) -> None:
    """Checkpoint -> assets (fp16 weights, tokenizer) + held-out metrics measured on the packaged weights."""
    import torch

    from albert import AlbertForPreTraining, AlbertTokenizerFast
    from albert.data import PretrainingCollator, PretrainingDataset
    from albert.training.pretrain import evaluate_pretraining

    tokenizer = AlbertTokenizerFast.from_pretrained(args.work / "tokenizer")
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
