"""The task losses take class ids of any integer dtype (transformers fails inside torch on all but int64
and uint8), and name float class ids instead of failing inside cross-entropy."""

from __future__ import annotations

import pytest
import torch

import albert
from tests.model.test_parity import CLASSES, hf_model, make_inputs, make_labels

WITH_LABELS = [name for name in CLASSES if name != "AlbertModel"]


@pytest.mark.parametrize("dtype", [torch.int32, torch.int16, torch.int8])
@pytest.mark.parametrize("name", WITH_LABELS)
def test_integer_labels_of_any_dtype_give_the_int64_loss(name, dtype, tmp_path):
    ref = hf_model(name, "eager")
    ref.save_pretrained(tmp_path)
    ours = getattr(albert, name).from_pretrained(tmp_path, attn_implementation="eager")
    ours.disable_fast_paths()  # the QA loss's softmax covers padded positions too (docs/performance.md)
    inputs = make_inputs(name)
    labels = make_labels(name, inputs, num_labels=ref.config.num_labels)
    narrow = {key: value.to(dtype) for key, value in labels.items()}
    with torch.no_grad():
        want = ref(**inputs, **labels).loss  # the reference, on int64 labels
        got = ours(**inputs, **narrow).loss
    torch.testing.assert_close(got, want, atol=1e-5, rtol=1e-5)
    if dtype == torch.int32:  # the difference this pins: transformers fails on the same labels
        with pytest.raises(RuntimeError, match="Long"), torch.no_grad():
            ref(**inputs, **narrow)


@pytest.mark.parametrize("name", ["AlbertForMultipleChoice", "AlbertForTokenClassification"])
def test_float_class_ids_are_named_with_the_fix(name):
    config = albert.AlbertConfig(vocab_size=99, embedding_size=16, hidden_size=32, num_hidden_layers=2,
                                 num_attention_heads=4, intermediate_size=37, num_labels=3)  # fmt: skip
    model = getattr(albert, name)(config).eval()
    inputs = make_inputs(name)
    labels = make_labels(name, inputs, num_labels=3)["labels"].float()
    with pytest.raises(
        TypeError, match=r"labels must be integer class ids .* torch.float32 .* labels.long\(\)"
    ):
        model(**inputs, labels=labels)


def test_question_answering_positions_of_shape_b_1_give_the_same_loss(tmp_path):
    ref = hf_model("AlbertForQuestionAnswering", "eager")
    ref.save_pretrained(tmp_path)
    ours = albert.AlbertForQuestionAnswering.from_pretrained(tmp_path).disable_fast_paths()
    inputs = make_inputs("AlbertForQuestionAnswering")
    positions = make_labels("AlbertForQuestionAnswering", inputs, num_labels=2)
    column = {key: value[:, None] for key, value in positions.items()}  # (B, 1), as some data loaders give
    with torch.no_grad():
        want = ref(**inputs, **column).loss
        torch.testing.assert_close(ours(**inputs, **column).loss, want, atol=1e-5, rtol=1e-5)
        torch.testing.assert_close(ours(**inputs, **positions).loss, want, atol=1e-5, rtol=1e-5)
