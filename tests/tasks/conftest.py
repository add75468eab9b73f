"""Fixtures for the task tests: a tiny SentencePiece tokenizer (trained in memory, ALBERT's special ids)
and a tiny random "pretrained" model saved with it.
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest
import torch

from albert.config import AlbertConfig
from albert.model import AlbertForMaskedLM
from albert.tokenizer import AlbertTokenizerFast
from tests.conftest import tiny_kwargs
from tests.spm_helpers import train_tiny_spm

_VOCABULARY = (
    "the a an of and to in is was it good bad great awful movie film plot actor story fun boring "
    "john mary paris london berlin google apple visited works for lives near city river cat dog "
    "red blue green what who where when which did does is color capital france germany england "
    "answer question dialogue man woman says wants buy coat shop tomorrow yes no maybe"
)
WORDS = _VOCABULARY.split()


def corpus(count: int = 600, seed: int = 0) -> list[str]:
    rng = random.Random(seed)
    return [" ".join(rng.choices(WORDS, k=rng.randint(4, 12))).capitalize() + "." for _ in range(count)]


@pytest.fixture(scope="session")
def spm_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A unigram model with pad 0, unk 1, [CLS] 2, [SEP] 3, [MASK] 4, like ALBERT's."""
    model = train_tiny_spm(corpus(), 160, ["(", ")", '"', "-", ".", ",", "?", "'"])
    path = tmp_path_factory.mktemp("spm") / "spiece.model"
    path.write_bytes(model)
    return path


@pytest.fixture(scope="session")
def tokenizer(spm_path: Path) -> AlbertTokenizerFast:
    tok = AlbertTokenizerFast(vocab_file=str(spm_path))
    assert (tok.pad_token_id, tok.cls_token_id, tok.sep_token_id) == (0, 2, 3)
    return tok


@pytest.fixture(scope="session")
def base_model_dir(tmp_path_factory: pytest.TempPathFactory, tokenizer) -> Path:
    """A tiny random AlbertForMaskedLM saved with its tokenizer: the "pretrained" model to fine-tune."""
    config = AlbertConfig(
        **tiny_kwargs(
            vocab_size=len(tokenizer), hidden_size=64, intermediate_size=96, max_position_embeddings=96
        )
    )
    path = tmp_path_factory.mktemp("base")
    torch.manual_seed(0)  # the same weights whichever test asks first
    AlbertForMaskedLM(config).save_pretrained(path)
    tokenizer.save_pretrained(str(path))
    return path


@pytest.fixture(autouse=True)
def _one_thread():
    """Tiny models: intra-op threads only add overhead, and on a shared 2-core machine they contend badly
    (a 10 ms step becomes 250 ms)."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def write(directory: Path, name: str, text: str, *, bom: bool = False) -> Path:
    """Write an inline sample file (UTF-8, optionally with a BOM)."""
    path = directory / name
    path.write_text(("\ufeff" if bom else "") + text, encoding="utf-8")
    return path
