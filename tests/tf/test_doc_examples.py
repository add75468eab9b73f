"""The ALBERT documentation's TensorFlow examples, typed as a transformers user would (the tokenizer's
`return_tensors="tf"`, `model(inputs)` with the tokenizer's dict), run with both libraries on the same
directory (transformers reads its torch weights with `from_pt=True`)."""

from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf

import albert
from tests.doc_checkpoints import build_checkpoints

transformers = pytest.importorskip("transformers", reason="transformers is the parity reference (test extra)")


@pytest.fixture(scope="module")
def dirs(tmp_path_factory):
    return build_checkpoints(tmp_path_factory.mktemp("tf-doc"), ["AlbertModel", "AlbertForMaskedLM"])


def masked_lm_example(lib, path, **loading):
    tokenizer = lib.AutoTokenizer.from_pretrained(path)
    model = lib.TFAlbertForMaskedLM.from_pretrained(path, **loading)
    inputs = tokenizer(f"The capital of {tokenizer.mask_token} is Paris.", return_tensors="tf")
    logits = model(**inputs).logits
    mask_token_index = tf.where(inputs.input_ids == tokenizer.mask_token_id)[0][1]
    predicted_token_id = tf.math.argmax(logits[0, mask_token_index], axis=-1)
    return inputs, logits, tokenizer.decode(predicted_token_id)


def test_masked_lm_example(dirs):
    ours = masked_lm_example(albert, dirs["AlbertForMaskedLM"])
    theirs = masked_lm_example(transformers, dirs["AlbertForMaskedLM"], from_pt=True)
    assert ours[0].input_ids.dtype == theirs[0].input_ids.dtype == tf.int32
    np.testing.assert_array_equal(ours[0].input_ids.numpy(), theirs[0].input_ids.numpy())
    np.testing.assert_allclose(ours[1].numpy(), theirs[1].numpy(), atol=1e-5, rtol=0)
    assert ours[2] == theirs[2]


def test_model_example_with_the_dict_as_first_argument(dirs):
    path = dirs["AlbertModel"]
    results = []
    for lib, loading in ((albert, {}), (transformers, {"from_pt": True})):
        tokenizer = lib.AutoTokenizer.from_pretrained(path)
        model = lib.TFAlbertModel.from_pretrained(path, **loading)
        inputs = tokenizer(["Hello, my dog is cute", "Hello"], padding=True, return_tensors="tf")
        outputs = model(inputs)
        results.append(outputs.last_hidden_state.numpy() * inputs["attention_mask"].numpy()[..., None])
    np.testing.assert_allclose(results[0], results[1], atol=1e-5, rtol=0)


def test_a_key_in_the_dict_and_the_keywords_is_an_error(dirs):
    model = albert.TFAlbertModel.from_pretrained(dirs["AlbertModel"])
    inputs = {"input_ids": np.array([[2, 5, 3]], dtype=np.int32)}
    with pytest.raises(ValueError, match=r"\['input_ids'\] given both in the inputs dict and as keyword"):
        model(inputs, input_ids=inputs["input_ids"])
