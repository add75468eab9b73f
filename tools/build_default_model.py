"""Build the data for the built-in model (`src/albert/assets/default/`) from `../shared/data/corpus`.

Stages (each writes into --work, default `runs/default`, never into the repository):
  vocab   train a SentencePiece vocabulary with ALBERT's settings on the training documents
  shards  tokenise the training and held-out documents into SOP shards

Held out (never trained on, used for the model card's MLM/SOP accuracy): the Wikipedia files
wiki_98 and wiki_99, and the Gutenberg books listed in HELD_OUT_BOOKS.

    python tools/build_default_model.py vocab
    python tools/build_default_model.py shards
Training itself is `albert pretrain --config configs/pretrain/default.yaml` (see the model card).
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
    parser.add_argument("stage", choices=["vocab", "shards"])
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
        from albert.data import Vocabulary, batch_encoder, build_pretraining_shards
        from albert.tokenizer import AlbertTokenizer

        tok = AlbertTokenizer.from_pretrained(args.work / "tokenizer")
        vocab = Vocabulary.from_tokenizer(tok)
        for name, sources in (("eval", held), ("train", train)):
            meta = build_pretraining_shards(
                sources,
                batch_encoder(tok),
                vocab,
                args.work / f"shards-{name}",
                max_seq_length=args.max_seq_length,
                seed=1234 if name == "train" else 4321,
                overwrite=True,
            )
            summary = {k: v for k, v in meta.items() if isinstance(v, (int, float, str))}
            print(name, json.dumps(summary), f"({time.time() - start:.0f} s)")


if __name__ == "__main__":
    main()
