"""Model behaviour that has no reference to compare with: parameter counts, sharing, input checks."""

from __future__ import annotations

import pytest
import torch

from albert import AlbertConfig, AlbertForMaskedLM, AlbertForPreTraining, AlbertModel
from tests.conftest import tiny_kwargs


@pytest.mark.parametrize(
    ("preset", "expected"),
    [
        ("albert-base-v2", 11_683_584),
        ("albert-large-v2", 17_683_968),
        ("albert-xlarge-v2", 58_724_864),
        ("albert-xxlarge-v2", 222_595_584),
    ],
)
def test_parameter_counts_equal_the_published_ones(preset, expected):
    config = AlbertConfig.from_preset(preset)
    with torch.device("meta"):  # counting needs no memory
        model = AlbertModel(config)
    assert model.num_parameters() == expected


def test_masked_lm_count_and_tying():
    with torch.device("meta"):
        model = AlbertForMaskedLM(AlbertConfig.from_preset("albert-base-v2"))
    assert model.num_parameters() == 11_221_680
    assert model.mlm_head.decoder.weight is model.backbone.embeddings.word.weight


def test_layers_share_parameters():
    config = AlbertConfig(**tiny_kwargs(num_hidden_layers=6, num_hidden_groups=2, inner_group_num=1))
    model = AlbertModel(config)
    assert len(model.encoder.groups) == 2
    unshared = AlbertModel(config.replace(num_hidden_groups=6))
    per_layer = sum(p.numel() for p in model.encoder.groups[0].parameters())
    assert unshared.num_parameters() - model.num_parameters() == 4 * per_layer


def test_hidden_states_and_attentions_counts():
    config = AlbertConfig(**tiny_kwargs(num_hidden_layers=4, num_hidden_groups=2, inner_group_num=2))
    out = AlbertModel(config)(torch.tensor([[2, 7, 8, 3]]), output_hidden_states=True, output_attentions=True)
    assert len(out.hidden_states) == 5  # L + 1, as transformers 4.x
    assert len(out.attentions) == 8 and out.attentions[0].shape == (1, 4, 4, 4)  # L x I
    torch.testing.assert_close(out.hidden_states[-1], out.last_hidden_state)


@pytest.fixture
def model():
    return AlbertModel(AlbertConfig(**tiny_kwargs())).eval()


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (dict(input_ids=torch.zeros(1, 40, dtype=torch.long)), "exceeds max_position_embeddings"),
        (dict(input_ids=torch.tensor([[1, 2, 99]])), "outside \\[0, 98\\]"),
        (dict(input_ids=torch.tensor([[1, -1]])), "input_ids contains -1"),
        (dict(), "exactly one of input_ids or inputs_embeds"),
        (dict(input_ids=torch.tensor([[1]]), inputs_embeds=torch.zeros(1, 1, 8)), "exactly one"),
        (dict(input_ids=torch.tensor([[1, 2]]), attention_mask=torch.ones(1, 3)), "attention_mask has shape"),
        (
            dict(input_ids=torch.tensor([[1, 2]]), token_type_ids=torch.tensor([[0, 2]])),
            "token_type_ids contains 2",
        ),
        (dict(input_ids=torch.tensor([1, 2])), "shape \\(batch, seq_len\\)"),
        (dict(input_ids=torch.zeros(2, 0, dtype=torch.long)), "no positions \\(shape \\(2, 0\\)\\)"),
        (dict(input_ids=torch.tensor([[1.0, 2.0]])), "integer token ids"),
        (dict(inputs_embeds=torch.zeros(1, 2, 16)), "embedding_size=8"),
        (dict(input_ids=torch.tensor([[1, 2]]), head_mask=torch.ones(3)), "head_mask must have shape"),
    ],
)
def test_bad_input_is_a_clear_value_error(model, kwargs, message):
    with pytest.raises(ValueError, match=message):
        model(**kwargs)


def test_unknown_attention_implementation():
    with pytest.raises(ValueError, match="attn_implementation"):
        AlbertModel(AlbertConfig(**tiny_kwargs()), attn_implementation="flash")


def test_head_mask_switches_heads_off_in_every_layer_with_shared_weights():
    """Row l of head_mask applies to layer application l even when all layers share weights."""
    model = AlbertModel(AlbertConfig(**tiny_kwargs(num_hidden_layers=3)), attn_implementation="eager").eval()
    ids = torch.tensor([[2, 10, 11, 12, 3]])
    head_mask = torch.ones(3, 4)
    head_mask[2, 0] = 0
    with torch.no_grad():
        out = model(ids, head_mask=head_mask, output_attentions=True)
    assert float(out.attentions[2][:, 0].abs().sum()) == 0.0
    assert float(out.attentions[0][:, 0].abs().sum()) > 0.0
    sdpa = model.set_attn_implementation("sdpa") or model(ids, head_mask=head_mask)
    torch.testing.assert_close(sdpa.last_hidden_state, out.last_hidden_state, atol=1e-5, rtol=1e-5)


def test_pretraining_loss_is_mlm_plus_sop():
    model = AlbertForPreTraining(AlbertConfig(**tiny_kwargs())).eval()
    ids = torch.tensor([[2, 10, 4, 12, 3], [2, 4, 20, 3, 0]])
    labels = torch.full_like(ids, -100)
    labels[0, 2], labels[1, 1] = 11, 30
    sop = torch.tensor([0, 1])
    out = model(ids, labels=labels, sentence_order_label=sop)
    mlm = torch.nn.functional.cross_entropy(out.prediction_logits[labels != -100], labels[labels != -100])
    sop_loss = torch.nn.functional.cross_entropy(out.sop_logits, sop)
    torch.testing.assert_close(out.loss, mlm + sop_loss)
    assert model(ids, labels=labels).loss is None  # as the reference: both labels or no loss


def test_output_access_styles():
    out = AlbertModel(AlbertConfig(**tiny_kwargs()))(torch.tensor([[2, 3]]))
    assert out[0] is out.last_hidden_state is out["last_hidden_state"]
    assert len(out.to_tuple()) == 2 and "hidden_states" not in out


def test_transformers_conveniences():
    config = AlbertConfig(**tiny_kwargs())
    model = AlbertForMaskedLM(config)
    assert model.main_input_name == "input_ids" and model.base_model_prefix == "albert"
    assert not model.can_generate()
    params = sum(p.numel() * 4 for p in {id(p): p for p in model.parameters()}.values())
    assert model.get_memory_footprint(return_buffers=False) == params
    assert model.get_memory_footprint() >= params

    # set_input_embeddings: the MLM decoder follows (tied), and a new size carries vocab_size and the bias
    bigger = torch.nn.Embedding(config.vocab_size + 3, config.embedding_size)
    model.set_input_embeddings(bigger)
    assert model.get_input_embeddings() is bigger and model.mlm_head.decoder.weight is bigger.weight
    assert model.config.vocab_size == config.vocab_size + 3 and model.mlm_head.bias.shape == (
        config.vocab_size + 3,
    )
    ids = torch.tensor([[2, config.vocab_size + 2, 3]])
    assert model(ids).logits.shape == (1, 3, config.vocab_size + 3)
    with pytest.raises(ValueError, match=f"embedding_size={config.embedding_size}"):
        model.set_input_embeddings(torch.nn.Embedding(10, config.embedding_size + 1))


def test_frozen_embeddings_with_checkpointing_still_train_the_layers_and_input_grads_hook():
    model = AlbertModel(AlbertConfig(**tiny_kwargs()))
    model.gradient_checkpointing_enable()
    model.train()
    for p in model.embeddings.parameters():
        p.requires_grad_(False)
    ids = torch.tensor([[2, 7, 8, 3]])
    # non-reentrant checkpointing: the layers get gradients without transformers' input-grads hook
    model(ids).last_hidden_state.pow(2).sum().backward()  # (a plain sum after LayerNorm has no gradient)
    layer = model.encoder.groups[0].layers[0].attention.qkv.weight
    assert layer.grad is not None and layer.grad.abs().sum() > 0
    assert model.get_input_embeddings()(ids).requires_grad is False
    model.enable_input_require_grads()
    model.enable_input_require_grads()  # twice: still one hook
    assert model.get_input_embeddings()(ids).requires_grad is True
    assert len(model.get_input_embeddings()._forward_hooks) == 1
    model.disable_input_require_grads()
    assert model.get_input_embeddings()(ids).requires_grad is False


def test_resize_to_a_multiple_as_transformers():
    import transformers

    torch.manual_seed(0)
    ours = AlbertForMaskedLM(AlbertConfig(**tiny_kwargs()))
    theirs = transformers.AlbertForMaskedLM(transformers.AlbertConfig(**tiny_kwargs()))
    assert ours.resize_token_embeddings() is ours.get_input_embeddings()  # nothing asked: unchanged
    for args in ((101, 8), (None, 64), (104, None)):
        got = ours.resize_token_embeddings(*args).num_embeddings
        assert got == theirs.resize_token_embeddings(*args).num_embeddings == ours.config.vocab_size
        assert ours.mlm_head.decoder.weight is ours.get_input_embeddings().weight
    with pytest.raises(ValueError, match="pad_to_multiple_of must be an int >= 1, got 0"):
        ours.resize_token_embeddings(120, pad_to_multiple_of=0)
    with pytest.raises(ValueError, match="new_num_tokens must be a positive int, got -3"):
        ours.resize_token_embeddings(-3)


def test_new_embedding_rows_follow_mean_resizing():
    """mean_resizing=True: new rows around the old rows' mean (covariance x 1e-9, as transformers); False:
    Normal(0, initializer_range)."""
    torch.manual_seed(0)
    config = AlbertConfig(**tiny_kwargs(vocab_size=300), initializer_range=0.5)
    model = AlbertForMaskedLM(config)
    old = model.get_input_embeddings().weight.detach().clone()
    grown = model.resize_token_embeddings(340).weight.detach()
    torch.testing.assert_close(grown[:300], old)
    torch.testing.assert_close(grown[300:], old.mean(0).expand(40, -1), atol=1e-3, rtol=0)
    model = AlbertForMaskedLM(config)
    fresh = model.resize_token_embeddings(2300, mean_resizing=False).weight.detach()[300:]
    assert abs(float(fresh.std()) - 0.5) < 0.02 and abs(float(fresh.mean())) < 0.02


def test_padding_without_a_mask_is_warned_about_once(caplog):
    from albert.model import inputs

    inputs._warn_once.cache_clear()
    model = AlbertModel(AlbertConfig(**tiny_kwargs())).eval()
    padded = torch.tensor([[2, 7, 9, 3], [2, 8, 3, 0]])  # pad id 0 at the end of row 2
    with caplog.at_level("WARNING", logger="albert.model.inputs"):
        model(padded, attention_mask=(padded != 0).long())  # a mask: nothing to say
        model(torch.tensor([[2, 7, 9, 3]]))  # no padding
        assert not caplog.records
        model(padded)
        model(padded)
    assert [r.getMessage() for r in caplog.records] == [
        "input_ids hold the pad id (0) at the start or end of a row but no attention_mask was given, so the "
        "padding is attended to; pass the tokenizer's attention_mask with the ids"
    ]


def test_truncated_initialisation_is_the_original_recipes():
    """`initialise_weights(truncated=True)`: TF's truncated_normal_initializer (draws beyond 2 std redrawn,
    spread ~0.88 std); the default is transformers' plain normal. Biases, LayerNorms, padding row, tying
    are the same either way."""
    std = 0.5
    config = AlbertConfig(
        **tiny_kwargs(vocab_size=3000, hidden_size=64, embedding_size=32), initializer_range=std
    )
    torch.manual_seed(0)
    model = AlbertForPreTraining(config)
    plain = model.get_input_embeddings().weight.detach().clone()
    model.initialise_weights(truncated=True)
    for name, p in model.named_parameters():
        if name.endswith(".bias") or "norm" in name.lower():
            continue
        assert p.abs().max() <= 2 * std, name
    table = model.get_input_embeddings().weight.detach()
    assert abs(float(table[1:].std()) / std - 0.880) < 0.01  # sd of N(0, 1) truncated at +-2: 0.8796
    assert float(plain.abs().max()) > 2 * std and abs(float(plain[1:].std()) / std - 1) < 0.01
    assert (table[config.pad_token_id] == 0).all()  # also on a second draw, after the decoder is tied
    model.initialise_weights()
    assert (model.get_input_embeddings().weight[config.pad_token_id] == 0).all()
    assert model.mlm_head.decoder.weight is model.get_input_embeddings().weight
    for name, p in model.named_parameters():
        if name.endswith(".bias"):
            assert (p == 0).all(), name
