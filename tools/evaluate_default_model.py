"""Held-out measurements of a pretrained model (the built-in one, or a training checkpoint).

  mlm/sop     MLM top-1 and SOP accuracy (and losses) over every instance of the held-out shards
              (`tools/build_default_model.py shards`), masks fixed by seed 0: the same masks for every model
  fill-mask   whole-word fill-mask top-1 / top-5 on N sentences from text outside the shared corpus: the
              SQuAD v1.1 dev paragraphs (Wikipedia, 2016). In each sentence (8-40 words, not found verbatim
              in the corpus) one word of >= 3 letters that is a single vocabulary piece is replaced by [MASK]
              (word and sentence drawn with seed 0); a prediction is right when the piece is that word.

    python tools/evaluate_default_model.py --model src/albert/assets/default --shards runs/full/data/eval \
        --out results/pretrain-full/heldout_leg1.json
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"


def corpus_text(corpus: Path) -> str:
    """Every corpus file's raw text, whitespace collapsed, for the verbatim-overlap check."""
    files = sorted(p for p in corpus.rglob("*") if p.is_file())
    return " ".join(" ".join(p.read_text(encoding="utf-8", errors="replace").split()) for p in files)


def fill_mask_items(vocab: dict[str, int], count: int, corpus: Path, seed: int = 0) -> list[tuple[str, str]]:
    """(text with one [MASK], the masked word lowercased) for `count` held-out sentences (module doc)."""
    import numpy as np

    from albert.data import split_sentences

    squad = json.loads((SHARED / "squad" / "dev-v1.1.json").read_text(encoding="utf-8"))
    sentences = [s for a in squad["data"] for p in a["paragraphs"] for s in split_sentences(p["context"])]
    rng = np.random.default_rng(seed)
    seen_text = corpus_text(corpus)
    items: list[tuple[str, str]] = []
    for index in rng.permutation(len(sentences)):
        words = sentences[index].split()
        if not 8 <= len(words) <= 40 or " ".join(words) in seen_text:
            continue
        eligible = [
            i for i, w in enumerate(words) if w.isalpha() and len(w) >= 3 and f"▁{w.lower()}" in vocab
        ]
        if not eligible:
            continue
        i = int(rng.choice(eligible))
        items.append((" ".join([*words[:i], "[MASK]", *words[i + 1 :]]), words[i].lower()))
        if len(items) == count:
            break
    return items


def fill_mask_accuracy(model: Path, items: list[tuple[str, str]]) -> dict[str, float]:
    import albert

    fill = albert.pipeline("fill-mask", model=str(model))
    top1 = top5 = 0
    for start in range(0, len(items), 32):
        chunk = items[start : start + 32]
        for (_, word), predictions in zip(chunk, fill([t for t, _ in chunk], top_k=5)):
            guesses = [p["token_str"].strip().lower() for p in predictions]
            top1 += guesses[0] == word
            top5 += word in guesses
    return {"fill_mask_top1": top1 / len(items), "fill_mask_top5": top5 / len(items), "sentences": len(items)}


def mlm_sop(model: Path, shards: Path) -> dict[str, float]:
    from albert import AlbertForPreTraining
    from albert.data import PretrainingCollator, PretrainingDataset
    from albert.training.pretrain import evaluate_pretraining

    data = PretrainingDataset(shards)
    collate = PretrainingCollator(data.masking_spec(), data.pad_token_id, seed=0, static_masking=True)
    batches = [collate([data[i] for i in range(k, min(k + 64, len(data)))]) for k in range(0, len(data), 64)]
    metrics = evaluate_pretraining(AlbertForPreTraining.from_pretrained(model).eval(), batches)
    predicted = int(sum(int((b["labels"] != -100).sum()) for b in batches))
    return {**metrics, "instances": len(data), "predicted_tokens": predicted}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--model", type=Path, required=True, help="model or checkpoint directory")
    parser.add_argument("--tokenizer", type=Path, default=Path("src/albert/assets/default"))
    parser.add_argument("--shards", type=Path, default=Path("runs/full/data/eval"))
    parser.add_argument("--corpus", type=Path, default=SHARED / "corpus")
    parser.add_argument("--sentences", type=int, default=300)
    parser.add_argument("--out", type=Path, help="write the metrics here as JSON")
    parser.add_argument("--fill-mask-only", action="store_true", help="skip the MLM/SOP pass over the shards")
    parser.add_argument("--items-cache", type=Path, default=Path("runs/fill_mask_items.json"),
                        help="the drawn sentences are kept here (outside git: SQuAD text) and reused")  # fmt: skip
    args = parser.parse_args()
    import torch

    from albert import AlbertTokenizerFast

    torch.set_num_threads(1)
    start = time.time()
    if args.items_cache.is_file():
        items = [tuple(x) for x in json.loads(args.items_cache.read_text())][: args.sentences]
    else:
        vocab = AlbertTokenizerFast.from_pretrained(args.tokenizer).get_vocab()
        items = fill_mask_items(vocab, args.sentences, args.corpus)
        args.items_cache.parent.mkdir(parents=True, exist_ok=True)
        args.items_cache.write_text(json.dumps(items))
    model = args.model
    if not (model / "spiece.model").is_file():  # a training checkpoint: pair it with the tokenizer
        import shutil
        import tempfile

        tmp = Path(tempfile.mkdtemp())
        for f in model.iterdir():
            if f.name in ("config.json", "model.safetensors"):
                shutil.copy2(f, tmp / f.name)
        AlbertTokenizerFast.from_pretrained(args.tokenizer).save_pretrained(tmp)
        model = tmp
    held_out = {} if args.fill_mask_only else mlm_sop(model, args.shards)
    metrics = {"model": str(args.model), **held_out, **fill_mask_accuracy(model, items)}
    metrics["seconds"] = round(time.time() - start)
    text = json.dumps(metrics, indent=2)
    print(text)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text + "\n")


if __name__ == "__main__":
    main()
