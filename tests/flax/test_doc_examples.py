"""The ALBERT documentation's Flax examples, typed as a transformers user would (`return_tensors="jax"`,
`model(**inputs)`), run with both libraries on the same directory (transformers reads its torch weights
with `from_pt=True`)."""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np
import pytest

import albert
from tests.doc_checkpoints import build_checkpoints

transformers = pytest.importorskip("transformers", reason="transformers is the parity reference (test extra)")
pytestmark = pytest.mark.filterwarnings("ignore::FutureWarning", "ignore::UserWarning")


@pytest.fixture(scope="module")
def dirs(tmp_path_factory):
    return build_checkpoints(tmp_path_factory.mktemp("flax-doc"), ["AlbertModel", "AlbertForMaskedLM"])


@pytest.mark.parametrize("name", ["AlbertModel", "AlbertForMaskedLM"])
def test_examples(dirs, name):
    results = []
    for lib, loading in ((albert, {}), (transformers, {"from_pt": True})):
        tokenizer = lib.AutoTokenizer.from_pretrained(dirs[name])
        model = getattr(lib, "Flax" + name).from_pretrained(dirs[name], **loading)
        inputs = tokenizer("The capital of France is [MASK].", return_tensors="jax")
        assert isinstance(inputs["input_ids"], type(jnp.zeros(1))) and inputs["input_ids"].dtype == jnp.int32
        outputs = model(**inputs)
        results.append(outputs.last_hidden_state if name == "AlbertModel" else outputs.logits)
    np.testing.assert_allclose(np.asarray(results[0]), np.asarray(results[1]), atol=1e-5, rtol=0)
