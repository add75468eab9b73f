"""Attention-head pruning (transformers' `prune_heads` and `config.pruned_heads`): a checkpoint pruned by
transformers loads with equal outputs and gradients, a model pruned by us equals transformers' pruned
model, and the saved files load in both libraries. ALBERT numbers the distinct layers across groups: key
k is inner layer k % inner_group_num of group k // inner_group_num, and a shared layer loses its heads
in every application."""

from __future__ import annotations

import pytest
import torch

import albert
from albert import AlbertConfig
from tests.conftest import MODEL_CLASSES, tiny_kwargs

transformers = pytest.importorskip("transformers", reason="transformers is the parity reference")
transformers.logging.set_verbosity_error()

# L4-G2-I2: four distinct layers, each applied twice.
STRUCTURE = tiny_kwargs(num_hidden_layers=4, num_hidden_groups=2, inner_group_num=2)
PRUNE = {0: [1, 2], 3: [0]}
IDS = torch.tensor([[2, 5, 7, 9, 3, 4, 8], [2, 6, 8, 3, 11, 0, 0]])
MASK = (IDS != 0).long()
REAL = MASK.bool()  # padded positions hold no meaning (ours are zeros there): compare the tokens


def _outputs(model, **kwargs):
    out = model(input_ids=IDS, attention_mask=MASK, **kwargs)
    return out.last_hidden_state[REAL] if hasattr(out, "last_hidden_state") else out.logits


@pytest.fixture(scope="module")
def unpruned(tmp_path_factory):
    path = tmp_path_factory.mktemp("unpruned")
    transformers.AlbertForMaskedLM(transformers.AlbertConfig(**STRUCTURE)).save_pretrained(path)
    return path


@pytest.mark.parametrize("attn", ["sdpa", "eager"])
def test_a_checkpoint_pruned_by_transformers_loads_with_equal_outputs_and_grads(unpruned, tmp_path, attn):
    theirs = transformers.AlbertForMaskedLM.from_pretrained(unpruned, attn_implementation="eager")
    theirs.prune_heads(PRUNE)
    theirs.save_pretrained(tmp_path)
    ours = albert.AlbertForMaskedLM.from_pretrained(tmp_path, attn_implementation=attn)
    assert ours.config.pruned_heads == PRUNE
    labels = torch.where(MASK.bool(), IDS, -100)
    mine = ours(input_ids=IDS, attention_mask=MASK, labels=labels, output_attentions=attn == "eager")
    want = theirs(input_ids=IDS, attention_mask=MASK, labels=labels, output_attentions=attn == "eager")
    torch.testing.assert_close(mine.logits[REAL], want.logits[REAL], atol=1e-5, rtol=0)
    mine.loss.backward()
    want.loss.backward()
    attention = ours.albert.encoder.groups[0].layers[0].attention
    their_attention = theirs.albert.encoder.albert_layer_groups[0].albert_layers[0].attention
    assert attention.num_heads == their_attention.num_attention_heads == 2
    their_grad = torch.cat([their_attention.query.weight.grad, their_attention.key.weight.grad,
                            their_attention.value.weight.grad])  # fmt: skip
    torch.testing.assert_close(attention.qkv.weight.grad, their_grad, atol=1e-5, rtol=0)
    torch.testing.assert_close(
        attention.output.weight.grad, their_attention.dense.weight.grad, atol=1e-5, rtol=0
    )
    if attn == "eager":  # each application's maps have its layer's heads (applications 0, 1 use group 0)
        assert [a.shape[1] for a in mine.attentions] == [a.shape[1] for a in want.attentions]
        assert [a.shape[1] for a in mine.attentions] == [2, 4, 2, 4, 4, 3, 4, 3]
        for a, b in zip(mine.attentions, want.attentions):
            torch.testing.assert_close(a[0], b[0], atol=1e-5, rtol=0)


@pytest.mark.parametrize("name", MODEL_CLASSES)
def test_pruning_equals_transformers_and_round_trips(unpruned, tmp_path, name):
    getattr(transformers, name).from_pretrained(unpruned).save_pretrained(tmp_path / "start")  # + its head
    theirs = getattr(transformers, name).from_pretrained(tmp_path / "start").eval()
    ours = getattr(albert, name).from_pretrained(tmp_path / "start")
    theirs.prune_heads(PRUNE)
    ours.prune_heads({0: [2]})  # in two steps, as upstream keeps the union
    ours.prune_heads({"3": [0], 0: [1, 2]})  # str keys as in a config.json; head 2 again is harmless
    assert ours.config.pruned_heads == PRUNE == theirs.config.pruned_heads
    ids = IDS[:, None].repeat(1, 2, 1) if name == "AlbertForMultipleChoice" else IDS
    mask = MASK[:, None].repeat(1, 2, 1) if name == "AlbertForMultipleChoice" else MASK
    real = mask.bool()
    outs = [model(input_ids=ids, attention_mask=mask) for model in (ours, theirs)]
    first = [f for f in ("last_hidden_state", "prediction_logits", "logits", "start_logits") if f in outs[0]][
        0
    ]
    mine, want = outs[0][first], outs[1][first]
    if mine.dim() >= 2 and mine.shape[: real.dim()] == real.shape:
        mine, want = mine[real], want[real]
    torch.testing.assert_close(mine, want, atol=1e-5, rtol=0)
    ours.save_pretrained(tmp_path / "ours")
    back = getattr(transformers, name).from_pretrained(tmp_path / "ours").eval()
    again = getattr(albert, name).from_pretrained(tmp_path / "ours")
    assert back.config.pruned_heads == PRUNE and again.config.pruned_heads == PRUNE
    assert ours.num_parameters() == theirs.num_parameters() == again.num_parameters()


def test_head_mask_rows_keep_the_original_head_numbers(unpruned):
    """transformers fails on a head_mask once heads are pruned (its mask has N rows, the layer N');
    ours reads the mask by original head number, so switching a head off before or after pruning the
    others gives the same model."""
    model = albert.AlbertModel.from_pretrained(unpruned)
    mask = torch.ones(4, 4)
    mask[:, 3] = 0.0  # head 3 off everywhere
    model.prune_heads({0: [1, 2]})
    pruned_then_masked = _outputs(model, head_mask=mask)
    reference = albert.AlbertModel.from_pretrained(unpruned)
    attention = reference.encoder.groups[0].layers[0].attention
    with torch.no_grad():  # pruning heads 1, 2 of layer 0 = zeroing their slice of the output projection
        d = attention.head_size
        attention.output.weight[:, d : 3 * d] = 0.0
    torch.testing.assert_close(pruned_then_masked, _outputs(reference, head_mask=mask), atol=1e-6, rtol=0)
    eager = albert.AlbertModel.from_pretrained(unpruned, attn_implementation="eager")
    eager.prune_heads({0: [1, 2]})
    torch.testing.assert_close(_outputs(eager, head_mask=mask), pruned_then_masked, atol=1e-6, rtol=0)


def test_bad_pruning_requests_name_the_layer_or_head():
    model = albert.AlbertModel(AlbertConfig(**STRUCTURE))
    with pytest.raises(ValueError, match=r"has layer 4, but the model has 4 distinct layers .* 0\.\.3"):
        model.prune_heads({4: [0]})
    with pytest.raises(ValueError, match=r"pruned_heads\[1\] = \[4\]: heads are numbered 0\.\.3"):
        model.prune_heads({1: [4]})
    model.prune_heads({1: [0, 1]})
    with pytest.raises(ValueError, match=r"removes all 4 heads of the layer; keep at least one"):
        model.prune_heads({1: [2, 3]})  # with the two already gone: all four
    assert model.config.pruned_heads == {1: [0, 1]}  # a refused request changes nothing
    with pytest.raises(ValueError, match="expected a layer number and a list of head numbers"):
        AlbertConfig(**STRUCTURE, pruned_heads={"first": [0]})


def test_tf_and_flax_refuse_a_pruned_model_with_the_fix(tmp_path):
    tf_albert = pytest.importorskip("albert.tf")
    flax_albert = pytest.importorskip("albert.flax")
    model = albert.AlbertModel(AlbertConfig(**STRUCTURE))
    model.prune_heads(PRUNE)
    model.save_pretrained(tmp_path)
    for cls in (tf_albert.TFAlbertModel, flax_albert.FlaxAlbertModel):
        with pytest.raises(ValueError, match=r"attention heads were pruned .* only the PyTorch classes"):
            cls.from_pretrained(tmp_path)


def test_a_pruned_model_exports_to_onnx(tmp_path):
    pytest.importorskip("onnxruntime", reason="the ONNX path is an optional extra")
    from albert.runtime import export_onnx, load_onnx

    model = albert.AlbertForSequenceClassification(AlbertConfig(**STRUCTURE)).eval()
    model.prune_heads(PRUNE)
    runner = load_onnx(export_onnx(model, tmp_path / "pruned.onnx"))
    got = runner(input_ids=IDS, attention_mask=MASK, token_type_ids=torch.zeros_like(IDS)).logits
    with torch.no_grad():
        want = model(input_ids=IDS, attention_mask=MASK).logits
    torch.testing.assert_close(got, want, atol=1e-5, rtol=0)
