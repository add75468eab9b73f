"""Every fast path against the reference path of the same weights (fp32, atol 1e-5): padding removal,
fused GELU, MLM logits only where needed, activation checkpointing; outputs, losses and gradients. And
that the defaults are on, with `disable_fast_paths()` as the one way back to the reference."""

from __future__ import annotations

import pytest
import torch

import albert
from albert.config import AlbertConfig
from albert.model.activations import get_activation
from albert.model.fast import REFERENCE, FastPaths, activation_for
from tests.conftest import tiny_kwargs
from tests.model.helpers import padded_inputs, pair

ATOL = 1e-5
STRUCTURES = [
    pytest.param({}, id="shared-all"),
    pytest.param(dict(num_hidden_layers=3, num_hidden_groups=3), id="G=L"),
    pytest.param(dict(num_hidden_layers=5, num_hidden_groups=2, inner_group_num=2), id="L5-G2-I2"),
    pytest.param(
        dict(embedding_size=16, hidden_act="gelu", chunk_size_feed_forward=3), id="E=H-gelu-chunked"
    ),
    pytest.param(dict(position_embedding_type="relative_key"), id="relkey-falls-back"),
]


@pytest.mark.parametrize("overrides", STRUCTURES)
@pytest.mark.parametrize("attn", ["sdpa", "eager"])
def test_fast_encoder_matches_reference_at_real_positions(overrides: dict, attn: str) -> None:
    ref, fast = pair(**overrides)
    ref.set_attn_implementation(attn)
    fast.set_attn_implementation(attn)
    inputs = padded_inputs()
    keep = inputs["attention_mask"].bool()
    with torch.no_grad():
        a = ref(**inputs, output_hidden_states=True)
        b = fast(**inputs, output_hidden_states=True)
    torch.testing.assert_close(b.last_hidden_state[keep], a.last_hidden_state[keep], atol=ATOL, rtol=0)
    for ha, hb in zip(a.hidden_states, b.hidden_states):
        torch.testing.assert_close(hb[keep], ha[keep], atol=ATOL, rtol=0)
    if overrides.get("position_embedding_type", "absolute") == "absolute":
        assert fast.use_unpadding(inputs["attention_mask"], False)
        assert torch.count_nonzero(b.last_hidden_state[~keep]) == 0  # padding comes back as zeros
    else:
        assert not fast.use_unpadding(inputs["attention_mask"], False)
    # row 1 starts with padding, so its pooled vector (from position 0) differs; the others agree
    torch.testing.assert_close(b.pooler_output[[0, 2, 3]], a.pooler_output[[0, 2, 3]], atol=ATOL, rtol=0)


def test_fast_paths_without_padding_match_reference() -> None:
    ref, fast = pair()
    inputs = padded_inputs()
    inputs["attention_mask"] = torch.ones_like(inputs["attention_mask"])
    with torch.no_grad():
        a, b = ref(**inputs), fast(**inputs)
    torch.testing.assert_close(b.last_hidden_state, a.last_hidden_state, atol=ATOL, rtol=0)
    torch.testing.assert_close(b.pooler_output, a.pooler_output, atol=ATOL, rtol=0)


def test_head_mask_and_output_attentions_under_fast_paths() -> None:
    ref, fast = pair(num_hidden_layers=3)
    inputs = padded_inputs()
    keep = inputs["attention_mask"].bool()
    head_mask = torch.tensor([1.0, 0.0, 1.0, 0.5])
    with torch.no_grad():
        a = ref(**inputs, head_mask=head_mask)
        b = fast(**inputs, head_mask=head_mask)
        c = fast(**inputs, output_attentions=True)  # needs the probabilities: the padded path runs
        d = ref(**inputs, output_attentions=True)
    torch.testing.assert_close(b.last_hidden_state[keep], a.last_hidden_state[keep], atol=ATOL, rtol=0)
    torch.testing.assert_close(c.last_hidden_state, d.last_hidden_state, atol=ATOL, rtol=0)
    assert len(c.attentions) == 3


@pytest.mark.parametrize("cls", ["AlbertModel", "AlbertForMaskedLM", "AlbertForPreTraining"])
def test_fast_paths_are_on_by_default(cls: str) -> None:
    model = getattr(albert, cls)(AlbertConfig(**tiny_kwargs()))
    assert model.fast_paths == FastPaths(
        fused_gelu=True, unpad=True, sparse_mlm=False, checkpointing=False, narrow_last_layer=True
    )
    backbone = model.backbone_model
    assert backbone.fast_paths.unpad and backbone.use_unpadding(padded_inputs()["attention_mask"], False)
    activations = [m.activation for m in model.modules() if hasattr(m, "activation_name")]
    assert activations and all(a is activation_for("gelu_new", fused=True) for a in activations)


def test_defaults_survive_save_and_load(tmp_path) -> None:
    albert.AlbertForMaskedLM(AlbertConfig(**tiny_kwargs())).save_pretrained(tmp_path)
    loaded = albert.AlbertForMaskedLM.from_pretrained(tmp_path)
    assert loaded.fast_paths == FastPaths() and loaded.backbone_model.fast_paths == FastPaths()


def test_disabling_fast_paths_restores_the_reference_exactly() -> None:
    ref, fast = pair()
    fast.disable_fast_paths()
    assert fast.fast_paths == REFERENCE and fast.fast_paths != FastPaths()
    assert all(
        m.activation is get_activation("gelu_new") for m in fast.modules() if hasattr(m, "activation_name")
    )
    inputs = padded_inputs()
    with torch.no_grad():
        assert torch.equal(ref(**inputs).last_hidden_state, fast(**inputs).last_hidden_state)


def grads(model: torch.nn.Module) -> dict[str, torch.Tensor]:
    return {n: p.grad for n, p in model.named_parameters() if p.grad is not None}


def assert_same_gradients(
    ref: torch.nn.Module, fast: torch.nn.Module, a: torch.Tensor, b: torch.Tensor
) -> None:
    """Backward from each model's loss; every parameter gets the same gradient."""
    a.backward()
    b.backward()
    ga, gb = grads(ref), grads(fast)
    assert ga.keys() == gb.keys()
    for name in ga:
        torch.testing.assert_close(gb[name], ga[name], atol=ATOL, rtol=0, msg=name)


def pretraining_labels(inputs: dict) -> dict:
    g = torch.Generator().manual_seed(4)
    labels = torch.full_like(inputs["input_ids"], -100)
    picked = (torch.rand(labels.shape, generator=g) < 0.3) & inputs["attention_mask"].bool()
    labels[picked] = inputs["input_ids"][picked]
    return dict(labels=labels, sentence_order_label=torch.tensor([0, 1, 1, 0]))


@pytest.mark.parametrize("checkpointing", [False, True])
def test_pretraining_loss_and_gradients_match_reference(checkpointing: bool) -> None:
    ref, fast = pair("AlbertForPreTraining", num_hidden_layers=3)
    fast.enable_fast_paths(checkpointing=checkpointing)
    ref.train()
    fast.train()
    inputs = padded_inputs(left=False)
    labels = pretraining_labels(inputs)
    torch.manual_seed(5)  # the SOP head's dropout (classifier_dropout_prob) draws the same mask twice
    a = ref(**inputs, **labels)
    torch.manual_seed(5)
    b = fast(**inputs, **labels)
    torch.testing.assert_close(b.loss, a.loss, atol=ATOL, rtol=0)
    selected = labels["labels"] != -100
    assert b.prediction_logits.shape == (int(selected.sum()), 99)  # sparse: (M, V)
    torch.testing.assert_close(b.prediction_logits, a.prediction_logits[selected], atol=ATOL, rtol=0)
    assert_same_gradients(ref, fast, a.loss, b.loss)


def test_checkpointing_is_used_only_in_training() -> None:
    model = albert.AlbertModel(AlbertConfig(**tiny_kwargs()))
    model.gradient_checkpointing_enable()
    assert model.fast_paths.checkpointing and model.encoder.checkpointing
    model.gradient_checkpointing_disable()
    assert not model.encoder.checkpointing


def test_masked_lm_logits_only_at_requested_positions() -> None:
    ref, fast = pair("AlbertForMaskedLM")
    inputs = padded_inputs()
    positions = torch.zeros_like(inputs["attention_mask"], dtype=torch.bool)
    positions[:, 2] = True  # a real token in every row
    with torch.no_grad():
        full = ref(**inputs).logits  # (B, T, V)
        sparse = fast(**inputs, mlm_positions=positions).logits  # (B, V)
        dense = fast(**inputs).logits  # no labels, no positions: every position
    assert sparse.shape == (4, 99)
    torch.testing.assert_close(sparse, full[positions], atol=ATOL, rtol=0)
    keep = inputs["attention_mask"].bool()
    torch.testing.assert_close(dense[keep], full[keep], atol=ATOL, rtol=0)


def last_run_rows(model: torch.nn.Module) -> list[int]:
    """Rows the shared layer's feed-forward sees, call by call (a list filled as the model runs)."""
    seen: list[int] = []
    ffn = model.backbone_model.encoder.groups[0].layers[0].feed_forward
    ffn.register_forward_hook(
        lambda m, args, out: seen.append(args[0].reshape(-1, args[0].shape[-1]).shape[0])
    )
    return seen


@pytest.mark.parametrize("padding", ["packed", "padded", "position-at-padding"])
def test_last_layer_runs_only_at_mlm_positions(padding: str) -> None:
    ref, fast = pair("AlbertForMaskedLM")
    inputs = padded_inputs()
    if padding == "padded":  # no padding: the padded path, narrowed the same way
        inputs["attention_mask"] = torch.ones_like(inputs["attention_mask"])
    positions = torch.zeros_like(inputs["attention_mask"], dtype=torch.bool)
    positions[:, 4] = True  # a real token in every row
    positions[3, [0, 7]] = True
    if padding == "position-at-padding":
        positions[0, -1] = True  # the whole last layer runs; the logits there are the head on zeros
    seen = last_run_rows(fast)
    with torch.no_grad():
        got = fast(**inputs, mlm_positions=positions).logits  # (M, V)
        full = fast(**inputs).logits  # (B, T, V)
        want = ref(**inputs).logits
    keep = inputs["attention_mask"].bool()
    torch.testing.assert_close(got, full[positions], atol=1e-6, rtol=0)
    torch.testing.assert_close(got[keep[positions]], want[positions & keep], atol=ATOL, rtol=0)
    first = 4 * 9 if padding == "padded" else int(keep.sum())  # the first layer run: every token
    last = first if padding == "position-at-padding" else 6  # the last: the 6 positions
    assert seen == [first, last, first, first]  # tiny: 2 layer runs; then the two full forwards


def test_output_positions_across_slices(monkeypatch) -> None:
    """Narrowed and sliced at once (`unpad.encode_packed`): the rows come back in row-major order."""
    from albert.model import unpad

    _, fast = pair(num_hidden_layers=3)
    inputs = padded_inputs()
    positions = inputs["attention_mask"].bool() & (
        torch.rand(4, 9, generator=torch.Generator().manual_seed(0)) < 0.5
    )
    monkeypatch.setattr(unpad, "SLICE_BYTES", 17 * 3 * 16 * 4)  # slices of 12 and 17 rows
    with torch.no_grad():
        whole = fast(**inputs).last_hidden_state
        got = fast(**inputs, output_positions=positions)
    assert got.pooler_output is None and got.last_hidden_state.shape == (int(positions.sum()), 16)
    torch.testing.assert_close(got.last_hidden_state, whole[positions], atol=1e-6, rtol=0)


def test_pretraining_last_layer_runs_at_predicted_positions_and_cls() -> None:
    """`albert pretrain`'s call (sparse MLM): the last layer at the predicted positions and every
    [CLS] row only; the pooled vector is the full computation's."""
    ref, fast = pair("AlbertForPreTraining")
    fast.enable_fast_paths(sparse_mlm=True)
    inputs = padded_inputs(left=False)
    labels = pretraining_labels(inputs)
    seen = last_run_rows(fast)
    with torch.no_grad():
        got = fast(**inputs, **labels)
        want = ref(**inputs, **labels)
    predicted = labels["labels"] != -100
    assert seen == [int(inputs["attention_mask"].sum()), int((predicted[:, 1:]).sum()) + 4]
    torch.testing.assert_close(got.sop_logits, want.sop_logits, atol=ATOL, rtol=0)
    torch.testing.assert_close(got.prediction_logits, want.prediction_logits[predicted], atol=ATOL, rtol=0)
    torch.testing.assert_close(got.loss, want.loss, atol=ATOL, rtol=0)


def test_pooled_output_with_output_positions_only_when_every_cls_is_there() -> None:
    _, fast = pair()
    inputs = padded_inputs(left=False)
    positions = torch.zeros(4, 9, dtype=torch.bool)
    positions[:, 2] = True
    with torch.no_grad():
        full = fast(**inputs)
        assert fast(**inputs, output_positions=positions).pooler_output is None
        positions[:, 0] = True
        got = fast(**inputs, output_positions=positions)
    torch.testing.assert_close(got.pooler_output, full.pooler_output, atol=1e-6, rtol=0)
    torch.testing.assert_close(got.last_hidden_state, full.last_hidden_state[positions], atol=1e-6, rtol=0)


@pytest.mark.parametrize("cls", ["AlbertForSequenceClassification", "AlbertForMultipleChoice"])
def test_pooled_heads_run_the_last_layer_at_cls_only(cls: str) -> None:
    """Heads on the pooled vector: the last layer at each row's position 0 only, the same logits, loss
    and gradients as the full computation; every position where hidden states are asked for, and in
    the reference path."""
    ref, fast = pair(cls, hidden_dropout_prob=0.0)
    inputs = padded_inputs(left=False)
    labels = torch.tensor([0, 1, 1, 0])
    if cls == "AlbertForMultipleChoice":  # 2 questions x 2 choices
        inputs = {k: v.view(2, 2, 9) for k, v in inputs.items()}
        labels = torch.tensor([1, 0])
    real = int(inputs["attention_mask"].sum())
    seen = last_run_rows(fast)
    torch.manual_seed(0)  # the classifier's dropout: the same mask on both sides
    a = ref.train()(**inputs, labels=labels)
    torch.manual_seed(0)
    b = fast.train()(**inputs, labels=labels)
    assert seen == [real, 4]
    torch.testing.assert_close(b.logits, a.logits, atol=ATOL, rtol=0)
    assert_same_gradients(ref, fast, a.loss, b.loss)
    seen.clear()
    with torch.no_grad():
        fast(**inputs, output_hidden_states=True)
        fast.disable_fast_paths()(**inputs)
    assert seen == [real, real, 36, 36]


def test_output_positions_errors() -> None:
    _, fast = pair()
    inputs = padded_inputs()
    with pytest.raises(ValueError, match="bool tensor of the input's shape"):
        fast(**inputs, output_positions=torch.ones(4, 9, dtype=torch.long))
    with pytest.raises(ValueError, match="bool tensor of the input's shape"):
        fast(**inputs, output_positions=torch.ones(4, 8, dtype=torch.bool))
    with pytest.raises(ValueError, match="cannot return hidden_states or attentions"):
        fast(**inputs, output_positions=torch.ones(4, 9, dtype=torch.bool), output_hidden_states=True)


def test_masked_lm_loss_with_sparse_logits() -> None:
    ref, fast = pair("AlbertForMaskedLM")
    inputs = padded_inputs()
    labels = pretraining_labels(inputs)["labels"]
    with torch.no_grad():
        a, b = ref(**inputs, labels=labels), fast(**inputs, labels=labels)
    torch.testing.assert_close(b.loss, a.loss, atol=ATOL, rtol=0)
    assert b.logits.shape[0] == int((labels != -100).sum())


def test_fused_gelu_is_the_same_function() -> None:
    from albert.model.activations import gelu_new
    from albert.model.fast import activation_for

    x = torch.linspace(-8, 8, 10001)
    torch.testing.assert_close(activation_for("gelu_new", fused=True)(x), gelu_new(x), atol=1e-6, rtol=0)


def test_pipelines_get_the_defaults() -> None:
    """`pipeline(...)` (and `albert run`, built on it) runs the model with the fast paths on."""
    from albert.pipelines import pipeline

    pipe = pipeline("fill-mask")  # the built-in model
    assert pipe.model.fast_paths == FastPaths(packed_linear=True) and not pipe.model.training
    assert pipe.model.backbone_model.use_unpadding(torch.tensor([[1, 1, 0], [1, 1, 1]]), False)


def test_padding_removal_runs_on_cpus_only():
    """Unpadded where it measured faster (CPUs); GPUs keep the padded batch (results/bench/cuda.json)."""
    from albert.model.unpad import unpad_pays

    assert unpad_pays(torch.device("cpu"))
    assert not unpad_pays(torch.device("cuda"))
    assert not unpad_pays(torch.device("cuda", 1))
