"""Training data and options shared by the fine-tuning tests: a sentence-pair TSV, a CoNLL file and a
short deterministic run."""

from __future__ import annotations

from pathlib import Path

from tests.tasks.conftest import write


def fast_args(steps: int, **overrides) -> dict:
    """A short, deterministic run: one evaluation and one checkpoint at the end."""
    args = dict(max_steps=steps, batch_size=8, lr=3e-3, warmup_ratio=0.0, eval_every=steps, save_every=steps,
                log_every=1, progress_bar=False, plot=False, seed=0)  # fmt: skip
    return {**args, **overrides}


SENTENCES = [
    ("john visited paris", "mary works for google", "no"),
    ("the movie was great fun", "the film was good", "yes"),
    ("a red cat lives near the river", "a cat lives near a river", "yes"),
    ("berlin is the capital of germany", "apple works in london", "no"),
    ("the plot was boring", "the story was awful", "yes"),
    ("who visited the city", "the dog did", "no"),
    ("mary lives in london", "mary lives near london", "yes"),
    ("what color is the coat", "france and england", "no"),
]


def pairs_file(directory: Path) -> Path:
    """SENTENCES as a sentence-pair TSV with a header (train.tsv)."""
    rows = "".join(f"{a}\t{b}\t{y}\n" for a, b, y in SENTENCES)
    return write(directory, "train.tsv", "sentence1\tsentence2\tlabel\n" + rows)


CONLL = """-DOCSTART- -X- -X- O

John NNP B-NP B-PER
visited VBD B-VP O
Paris NNP B-NP B-LOC
. . O O

Mary NNP B-NP B-PER
Blackburn NNP I-NP I-PER
works VBZ B-VP O
for IN B-PP O
Google NNP B-NP B-ORG

Leicestershire NNP B-NP B-ORG
beat VBD B-VP O
Germany NNP B-NP B-LOC
in IN B-PP O
London NNP B-NP B-LOC

the DT B-NP O
river NN I-NP O
near IN B-PP O
Berlin NNP B-NP B-LOC
"""
