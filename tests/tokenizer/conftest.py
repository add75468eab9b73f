"""Fixtures for the tokenizer tests.

* `small_spm_dir`: a small ALBERT-layout SentencePiece vocabulary trained here (no data needed), with
  `hf_small_slow` / `hf_small_fast` (transformers' tokenizers on it) and `parity_lines` (generated text):
  what the parity tests run on, on any machine;
* `real_spm`: the real ALBERT 30k vocabulary from `<repo>/../shared/data` (tests skip without it);
* `real_lines`: a few thousand real lines (Wikipedia paragraphs, SQuAD contexts/questions, CoNLL
  sentences) from the same place.
"""

from __future__ import annotations

import glob
import json
import random
from pathlib import Path

import pytest

from albert.tokenizer import AlbertTokenizer, AlbertTokenizerFast

REPO_ROOT = Path(__file__).resolve().parents[2]
SHARED_DATA = REPO_ROOT.parent / "shared" / "data"
REAL_SPM = SHARED_DATA / "spm" / "albert-30k-clean.model"

_WORDS = tuple(
    [
        "the",
        "of",
        "and",
        "to",
        "in",
        "a",
        "is",
        "was",
        "for",
        "on",
        "as",
        "with",
        "by",
        "he",
        "at",
        "from",
        "his",
        "that",
        "it",
        "an",
        "were",
        "are",
        "which",
        "this",
        "be",
        "or",
        "has",
        "had",
        "first",
        "new",
        "one",
        "two",
        "after",
        "also",
        "their",
        "its",
        "but",
        "who",
        "been",
        "year",
        "years",
        "city",
        "film",
        "school",
        "time",
        "war",
        "world",
        "state",
        "university",
        "national",
        "american",
        "british",
        "french",
        "german",
        "music",
        "album",
        "game",
        "team",
        "season",
        "house",
        "river",
        "church",
        "café",
        "naïve",
        "résumé",
        "über",
        "straße",
        "garçon",
        "señor",
        "crème",
        "brûlée",
        "zoë",
    ]
)


def make_synthetic_corpus(n_lines: int = 3000, seed: int = 0) -> list[str]:
    """Sentences made of common words, capitals, numbers with commas, quotes, brackets and accents."""
    rng = random.Random(seed)
    lines = []
    for _ in range(n_lines):
        words = [rng.choice(_WORDS) for _ in range(rng.randint(4, 18))]
        if rng.random() < 0.3:
            words[0] = words[0].capitalize()
        if rng.random() < 0.3:
            words.insert(rng.randrange(len(words)), f"{rng.randint(1, 999)},{rng.randint(0, 999):03d}")
        if rng.random() < 0.2:
            words.insert(rng.randrange(len(words)), f"({rng.choice(_WORDS)})")
        if rng.random() < 0.2:
            words.insert(rng.randrange(len(words)), f'"{rng.choice(_WORDS)}"')
        if rng.random() < 0.1:
            words.insert(rng.randrange(len(words)), f"{rng.choice(_WORDS)}-{rng.choice(_WORDS)}")
        lines.append(" ".join(words) + rng.choice([".", ",", "!", "?", "", " –", " £5", " €10."]))
    return lines


@pytest.fixture(scope="session")
def small_spm_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 400-piece vocabulary with ALBERT's layout, trained on a synthetic corpus (about a second)."""
    out = tmp_path_factory.mktemp("small_spm")
    AlbertTokenizer.train(None, out, sentences=make_synthetic_corpus(), vocab_size=400, num_threads=2)
    return out


@pytest.fixture(scope="session")
def synthetic_corpus() -> list[str]:
    return make_synthetic_corpus(800, seed=1)


@pytest.fixture(scope="session")
def small_slow(small_spm_dir: Path) -> AlbertTokenizer:
    return AlbertTokenizer.from_pretrained(small_spm_dir)


@pytest.fixture(scope="session")
def small_fast(small_spm_dir: Path) -> AlbertTokenizerFast:
    return AlbertTokenizerFast.from_pretrained(small_spm_dir)


# Lines the synthetic corpus never has: other scripts, controls, odd spaces, ALBERT's quotes and brackets.
TRICKY_LINES = [
    "  Café\t\tÜBER  [MASK]  x ",
    "a\x0bb\x1cc\x85d  ``q'' (x) - y – £5 €10.",
    "İSTANBUL ΟΔΟΣ ﬁne ½ Ⅻ ｆｕｌｌｗｉｄｔｈ",
    "生活的真谛是 x-ray; 92000, 3.5 km! 😀 \u200b\u00ad soft",
    "In 2010, 2011, 1,000,000 people said: ``yes''.",
    "e\u0301 n\u0303 a\u030a combining marks",
    "9,9 and 99,9,9, then 9,",  # the digit-comma rule on pieces that end in a comma
    "हिन्दी नमस्ते क़",  # Devanagari: virama U+094D (class 9) goes, vowel signs (class 0) stay
]


@pytest.fixture(scope="session")
def parity_lines() -> list[str]:
    """2,000 generated lines (another seed than the vocabulary's training text) and the tricky ones."""
    return make_synthetic_corpus(2000, seed=7) + TRICKY_LINES


@pytest.fixture(scope="session")
def small_spm(small_spm_dir: Path) -> Path:
    return small_spm_dir / "spiece.model"


@pytest.fixture(scope="session")
def hf_small_slow(hf, small_spm: Path):
    return hf.AlbertTokenizer(str(small_spm))


@pytest.fixture(scope="session")
def hf_small_fast(hf, small_spm: Path):
    return hf.AlbertTokenizerFast(vocab_file=str(small_spm))


@pytest.fixture(scope="session")
def real_spm() -> Path:
    if not REAL_SPM.is_file():
        pytest.skip(f"the real ALBERT vocabulary is not available ({REAL_SPM} missing: no ../shared/data)")
    return REAL_SPM


@pytest.fixture(scope="session")
def real_slow(real_spm: Path) -> AlbertTokenizer:
    return AlbertTokenizer(real_spm)


@pytest.fixture(scope="session")
def real_fast(real_spm: Path) -> AlbertTokenizerFast:
    return AlbertTokenizerFast(real_spm)


@pytest.fixture(scope="session")
def hf():
    """transformers (the reference implementation; a test dependency, so missing is an error)."""
    import transformers

    transformers.logging.set_verbosity_error()
    return transformers


@pytest.fixture(scope="session")
def hf_slow(hf, real_spm: Path):
    return hf.AlbertTokenizer(str(real_spm))


@pytest.fixture(scope="session")
def hf_fast(hf, real_spm: Path):
    return hf.AlbertTokenizerFast(vocab_file=str(real_spm))


def load_real_lines(n_wiki: int = 3000, n_squad: int = 1500, n_conll: int = 500, seed: int = 0) -> list[str]:
    """Real lines from ../shared/data: Wikipedia paragraphs, SQuAD contexts and questions, CoNLL sentences."""
    rng = random.Random(seed)
    wiki: list[str] = []
    for path in sorted(glob.glob(str(SHARED_DATA / "corpus/wikipedia_en_2015/AA/wiki_*")))[:6]:
        with open(path, encoding="utf-8") as f:
            wiki += [ln.rstrip("\n") for ln in f if ln.strip() and not ln.startswith(("<doc", "</doc"))]
    squad: list[str] = []
    for article in json.loads((SHARED_DATA / "squad/dev-v1.1.json").read_text(encoding="utf-8"))["data"]:
        for par in article["paragraphs"]:
            squad.append(par["context"])
            squad += [q["question"] for q in par["qas"]]
    conll, words = [], []
    with open(SHARED_DATA / "conll2003/valid.txt", encoding="utf-8") as f:
        for ln in f:
            parts = ln.split()
            if parts:
                words.append(parts[0])
                continue
            if words and words[0] != "-DOCSTART-":
                conll.append(" ".join(words))
            words = []
    return rng.sample(wiki, n_wiki) + rng.sample(squad, n_squad) + rng.sample(conll, n_conll)


@pytest.fixture(scope="session")
def real_lines(real_spm: Path) -> list[str]:
    needed = [SHARED_DATA / "squad/dev-v1.1.json", SHARED_DATA / "conll2003/valid.txt"]
    missing = [str(p) for p in needed if not p.is_file()]
    if missing or not glob.glob(str(SHARED_DATA / "corpus/wikipedia_en_2015/AA/wiki_*")):
        pytest.skip(f"real text is not available under {SHARED_DATA} (missing: {missing or 'wikipedia'})")
    return load_real_lines()


@pytest.fixture(params=["slow", "fast"])
def tok(request, small_slow, small_fast):
    """Each test once with the slow (SentencePiece) and once with the fast (tokenizers) class."""
    return small_slow if request.param == "slow" else small_fast


@pytest.fixture(scope="session")
def hf_small(hf, small_spm_dir):
    """transformers' fast tokenizer loaded from the same saved directory as small_fast."""
    return hf.AlbertTokenizerFast.from_pretrained(small_spm_dir)
