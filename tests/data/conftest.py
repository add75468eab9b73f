"""Fixtures for the data tests: a tiny SentencePiece model with ALBERT's id layout, trained in memory."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import sentencepiece as spm

from albert.data.masking import MaskingSpec
from albert.data.vocab import Vocabulary, batch_encoder
from tests.spm_helpers import train_tiny_spm

SHARED_DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data"

_WORDS = (  # noqa: SIM905 (a word list reads better as text)
    "the of and to in was for on that with as by he it at from his an were are which this be or had "
    "not but have they one their been her she all there who can more so its we if has may time year "
    "city war world people state new first two many water life river mountain government language "
    "history music university population century church island between through during because "
    "against"
).split()


def synthetic_sentences(count: int, seed: int = 0) -> list[str]:
    """Random English-looking sentences with punctuation from ALBERT's user-defined symbols."""
    rng = np.random.default_rng(seed)
    sentences = []
    for _ in range(count):
        words = [str(w) for w in rng.choice(_WORDS, size=int(rng.integers(4, 16)))]
        if rng.random() < 0.2:
            words.insert(1, f"({rng.choice(_WORDS)})")
        if rng.random() < 0.1:
            words.append(f"£{int(rng.integers(1, 1000))}")
        sentences.append(" ".join(words).capitalize() + ".")
    return sentences


@pytest.fixture(scope="session")
def sp_processor() -> spm.SentencePieceProcessor:
    """Unigram model: pad 0, unk 1, [CLS] 2, [SEP] 3, [MASK] 4, no BOS/EOS, ALBERT's user symbols."""
    model = train_tiny_spm(synthetic_sentences(400), 150, ["(", ")", '"', "-", ".", "–", "£", "€"])
    return spm.SentencePieceProcessor(model_proto=model)


@pytest.fixture(scope="session")
def vocabulary(sp_processor: spm.SentencePieceProcessor) -> Vocabulary:
    return Vocabulary.from_sentencepiece(sp_processor)


@pytest.fixture(scope="session")
def encode(sp_processor: spm.SentencePieceProcessor):
    return batch_encoder(sp_processor)


@pytest.fixture(scope="session")
def spec(vocabulary: Vocabulary) -> MaskingSpec:
    return MaskingSpec(
        word_start=vocabulary.word_start_table(),
        special_ids=vocabulary.special_ids,
        mask_token_id=vocabulary.mask_token_id,
    )


@pytest.fixture(scope="session")
def real_data() -> Path:
    """The shared corpora, or a skip: a fresh clone has no ../shared/data."""
    if not (SHARED_DATA / "corpus").is_dir():
        pytest.skip(f"shared data not found at {SHARED_DATA} (only present on project machines)")
    return SHARED_DATA


def write_synthetic_corpus(directory: Path, num_documents: int = 60, seed: int = 0) -> Path:
    """Blank-line separated documents of 3-30 synthetic sentences, one sentence per line."""
    rng = np.random.default_rng(seed)
    sentences = iter(synthetic_sentences(num_documents * 30, seed=seed))
    documents = [
        "\n".join(next(sentences) for _ in range(int(rng.integers(3, 30)))) for _ in range(num_documents)
    ]
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "corpus.txt").write_text("\n\n".join(documents) + "\n", encoding="utf-8")
    return directory


@pytest.fixture(scope="session")
def shard_dir(tmp_path_factory, encode, vocabulary) -> Path:
    """A finished shard directory (two shards, max_seq_length 64) built from a synthetic corpus."""
    from albert.data.build import build_pretraining_shards

    root = tmp_path_factory.mktemp("pretraining")
    corpus = write_synthetic_corpus(root / "corpus")
    build_pretraining_shards(
        [corpus], encode, vocabulary, root / "shards", max_seq_length=64, seed=3, shard_chars=40_000
    )
    return root / "shards"


@pytest.fixture(scope="session")
def make_sentences():
    """`synthetic_sentences(count, seed)`, as a fixture so tests need not import conftest."""
    return synthetic_sentences


@pytest.fixture(scope="session")
def make_corpus():
    """`write_synthetic_corpus(directory, num_documents, seed)`, as a fixture."""
    return write_synthetic_corpus
