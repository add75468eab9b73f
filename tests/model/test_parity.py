"""Parity with `transformers` (the reference): tiny random HF models saved to disk, loaded by us, same
outputs, losses and gradients (fp32, atol 1e-5); and the reverse direction.

With `disable_fast_paths()` every position matches, padding included; with the defaults (padding
removed, fused GELU) every real position matches (`test_defaults_match_at_real_positions`).

No network: every model is built locally with random weights.
"""

from __future__ import annotations

import pytest
import torch
import transformers

import albert
from tests.conftest import MODEL_CLASSES, tiny_kwargs

ATOL = 1e-5
CLASSES = MODEL_CLASSES
# Structural knobs: (groups, inner groups, layers, E, activation, position type).
STRUCTURES = [
    pytest.param(dict(num_hidden_groups=1, inner_group_num=1), id="shared-all"),
    pytest.param(dict(num_hidden_layers=3, num_hidden_groups=3), id="G=L"),
    pytest.param(dict(num_hidden_layers=5, num_hidden_groups=2, inner_group_num=2), id="L5-G2-I2"),
    pytest.param(dict(embedding_size=16, hidden_act="gelu"), id="E=H-gelu"),
    pytest.param(dict(hidden_act="relu", position_embedding_type="relative_key"), id="relu-relkey"),
    pytest.param(dict(position_embedding_type="relative_key_query"), id="relkeyquery"),
]


def make_inputs(name: str, vocab: int = 99, batch: int = 2, seq: int = 7, choices: int = 3) -> dict:
    shape = (batch, choices, seq) if name == "AlbertForMultipleChoice" else (batch, seq)
    g = torch.Generator().manual_seed(1)
    ids = torch.randint(5, vocab, shape, generator=g)
    mask = torch.ones(shape, dtype=torch.long)
    mask[0, ..., -3:] = 0  # padding in the first example (never a fully masked row)
    types = torch.randint(0, 2, shape, generator=g)
    return dict(input_ids=ids, attention_mask=mask, token_type_ids=types)


def make_labels(name: str, inputs: dict, num_labels: int, vocab: int = 99) -> dict:
    b, t = inputs["input_ids"].shape[0], inputs["input_ids"].shape[-1]
    g = torch.Generator().manual_seed(2)
    if name in ("AlbertForPreTraining", "AlbertForMaskedLM"):
        labels = torch.full((b, t), -100)
        labels[:, 1:3] = torch.randint(0, vocab, (b, 2), generator=g)
        extra = {"sentence_order_label": torch.tensor([0, 1])} if name == "AlbertForPreTraining" else {}
        return {"labels": labels, **extra}
    if name == "AlbertForSequenceClassification":
        return {"labels": torch.randint(0, num_labels, (b,), generator=g)}
    if name == "AlbertForMultipleChoice":
        return {"labels": torch.tensor([2, 0])}
    if name == "AlbertForTokenClassification":
        labels = torch.randint(0, num_labels, (b, t), generator=g)
        labels[0, -3:] = -100
        return {"labels": labels}
    if name == "AlbertForQuestionAnswering":
        return {
            "start_positions": torch.tensor([1, 3]),
            "end_positions": torch.tensor([2, 40]),
        }  # 40: ignored
    return {}


def hf_model(name: str, attn: str, **overrides):
    config = transformers.AlbertConfig(**tiny_kwargs(**overrides), attn_implementation=attn)
    if name in ("AlbertForSequenceClassification", "AlbertForTokenClassification"):
        config.num_labels = 3
    return getattr(transformers, name)(config).eval()


def compare(ref, ours, keys) -> dict[str, float]:
    diffs = {}
    for key in keys:
        a, b = ref[key], getattr(ours, key)
        if isinstance(b, tuple):
            assert len(a) == len(b), f"{key}: {len(a)} reference tensors vs {len(b)}"
            diffs[key] = max(float((x - y).abs().max()) for x, y in zip(a, b))
            for x, y in zip(a, b):
                torch.testing.assert_close(y, x, atol=ATOL, rtol=ATOL)
        else:
            assert a.shape == b.shape, f"{key}: shape {tuple(b.shape)} vs reference {tuple(a.shape)}"
            torch.testing.assert_close(b, a, atol=ATOL, rtol=ATOL)
            diffs[key] = float((a - b).abs().max())
    return diffs


@pytest.mark.parametrize("attn", ["eager", "sdpa"])
@pytest.mark.parametrize("structure", STRUCTURES)
@pytest.mark.parametrize("name", CLASSES)
def test_hf_checkpoint_gives_same_outputs_and_loss(name, structure, attn, tmp_path):
    ref_model = hf_model(name, attn, **structure)
    ref_model.save_pretrained(tmp_path)
    ours = getattr(albert, name).from_pretrained(tmp_path, attn_implementation=attn).disable_fast_paths()
    inputs = make_inputs(name)
    labels = make_labels(name, inputs, ref_model.config.num_labels)
    # Hidden states and attentions are compared with eager (v4 SDPA falls back to eager for attentions).
    extra = dict(output_hidden_states=True, output_attentions=attn == "eager")
    with torch.no_grad():
        ref = ref_model(**inputs, **labels, **extra)
        out = ours(**inputs, **labels, **extra)
    keys = [k for k in out.keys() if k in ref and ref[k] is not None]
    assert set(out.keys()) >= {k for k in ref.keys() if ref[k] is not None}
    compare(ref, out, keys)


@pytest.mark.parametrize("structure", STRUCTURES[1:3])
@pytest.mark.parametrize("name", CLASSES)
def test_gradients_match_after_one_backward(name, structure, tmp_path):
    ref_model = hf_model(name, "eager", **structure)
    ref_model.save_pretrained(tmp_path)
    ours = getattr(albert, name).from_pretrained(tmp_path, attn_implementation="eager").disable_fast_paths()
    inputs = make_inputs(name)
    labels = make_labels(name, inputs, ref_model.config.num_labels)
    if name == "AlbertModel":
        ref_loss = ref_model(**inputs).last_hidden_state.square().mean()
        our_loss = ours(**inputs).last_hidden_state.square().mean()
    else:
        ref_loss, our_loss = ref_model(**inputs, **labels).loss, ours(**inputs, **labels).loss
    ref_loss.backward()
    our_loss.backward()
    torch.testing.assert_close(our_loss, ref_loss, atol=ATOL, rtol=ATOL)
    # Compare gradients in HF naming, through the same converter used for weights.
    from albert.checkpoint.hf import to_hf_state_dict

    ours_grads = {k: p.grad for k, p in ours.named_parameters() if p.grad is not None}
    ours_grads = to_hf_state_dict(ours_grads, tie_word_embeddings=True)
    ref_grads = {k: p.grad for k, p in ref_model.named_parameters() if p.grad is not None}
    assert set(ours_grads) == set(ref_grads) - {"predictions.decoder.bias", "predictions.decoder.weight"}
    for key, grad in ours_grads.items():
        torch.testing.assert_close(grad, ref_grads[key], atol=ATOL, rtol=1e-4, msg=key)


@pytest.mark.parametrize("fast", [True, False], ids=["defaults", "reference-path"])
@pytest.mark.parametrize("structure", STRUCTURES)
@pytest.mark.parametrize("name", ["AlbertForMaskedLM", "AlbertForPreTraining"])
def test_mlm_positions_match_reference_logits_loss_and_gradients(name, structure, fast, tmp_path):
    """`mlm_positions` (the last layer and the head only there, and at [CLS] for the sentence-order
    head) against the reference's full logits at those positions, the same losses and gradients."""
    ref_model = hf_model(name, "eager", **structure)
    ref_model.save_pretrained(tmp_path)
    ours = getattr(albert, name).from_pretrained(tmp_path, attn_implementation="eager")
    if not fast:
        ours.disable_fast_paths()
    inputs = make_inputs(name)
    labels = make_labels(name, inputs, 2)
    positions = labels["labels"] != -100
    torch.manual_seed(0)  # the SOP head's dropout: the same mask on both sides
    ref = ref_model(**inputs, **labels)
    torch.manual_seed(0)
    out = ours(**inputs, **labels, mlm_positions=positions)
    logits = "logits" if name == "AlbertForMaskedLM" else "prediction_logits"
    torch.testing.assert_close(out[logits], ref[logits][positions], atol=ATOL, rtol=ATOL)
    if name == "AlbertForPreTraining":
        torch.testing.assert_close(out.sop_logits, ref.sop_logits, atol=ATOL, rtol=ATOL)
    torch.testing.assert_close(out.loss, ref.loss, atol=ATOL, rtol=ATOL)
    ref.loss.backward()
    out.loss.backward()
    from albert.checkpoint.hf import to_hf_state_dict

    ours_grads = to_hf_state_dict({k: p.grad for k, p in ours.named_parameters()}, tie_word_embeddings=True)
    for key, grad in ours_grads.items():
        torch.testing.assert_close(grad, dict(ref_model.named_parameters())[key].grad, atol=ATOL, rtol=1e-4)


@pytest.mark.parametrize("name", CLASSES)
def test_our_checkpoint_loads_in_transformers(name, tmp_path):
    """Reverse direction: ours saved -> transformers loads -> same outputs and the same key set."""
    # L=4, G=2, I=2: transformers crashes when I > L / G (it slices head_mask per group), we do not.
    config = albert.AlbertConfig(**tiny_kwargs(num_hidden_layers=4, num_hidden_groups=2, inner_group_num=2))
    if name in ("AlbertForSequenceClassification", "AlbertForTokenClassification"):
        config = config.replace(num_labels=3)
    ours = getattr(albert, name)(config).eval().disable_fast_paths()
    ours.save_pretrained(tmp_path / "ours")
    ref_model = (
        getattr(transformers, name).from_pretrained(tmp_path / "ours", attn_implementation="eager").eval()
    )
    inputs = make_inputs(name)
    with torch.no_grad():
        out, ref = ours(**inputs), ref_model(**inputs)
    compare(ref, out, [k for k in out.keys()])
    # The saved file has exactly the keys transformers itself writes.
    ref_model.save_pretrained(tmp_path / "ref")
    from safetensors import safe_open

    def keys(d):
        with safe_open(str(d / "model.safetensors"), "pt") as f:
            return set(f.keys())

    assert keys(tmp_path / "ours") == keys(tmp_path / "ref")


# What the padded positions change under the defaults, besides the per-position outputs there:
# question answering's loss normalises over every position, padding included, so it differs.
DEFAULT_DIFFERS = {"AlbertForQuestionAnswering": {"loss"}}


@pytest.mark.parametrize("structure", STRUCTURES[:3:2])
@pytest.mark.parametrize("name", CLASSES)
def test_defaults_match_at_real_positions(name, structure, tmp_path):
    """Fast paths on (the default): every output at every real position, losses and gradients of a loss
    over real positions, equal to transformers'; padded positions of the hidden states are 0."""
    ref_model = hf_model(name, "sdpa", **structure)
    ref_model.save_pretrained(tmp_path)
    ours = getattr(albert, name).from_pretrained(tmp_path)
    assert ours.fast_paths.unpad and ours.fast_paths.fused_gelu
    inputs = make_inputs(name)
    labels = make_labels(name, inputs, ref_model.config.num_labels)
    keep = inputs["attention_mask"].bool().reshape(-1, inputs["attention_mask"].shape[-1])  # (B', T)
    ref = ref_model(**inputs, **labels, output_hidden_states=True)
    out = ours(**inputs, **labels, output_hidden_states=True)
    for key in [k for k in out.keys() if k in ref and ref[k] is not None]:
        if key in DEFAULT_DIFFERS.get(name, ()):
            continue
        for a, b in zip(*((x,) if torch.is_tensor(x) else x for x in (ref[key], out[key]))):
            if b.dim() >= 2 and b.shape[:2] == keep.shape:  # per position: (B', T, ...)
                assert b.shape == a.shape, key
                a, b = a[keep], b[keep]
            torch.testing.assert_close(b, a, atol=ATOL, rtol=ATOL, msg=key)
    assert float(out.hidden_states[-1][~keep].detach().abs().max()) == 0.0
    # gradients of a loss that reads only real positions
    real = [o.hidden_states[-1][keep].square().mean() for o in (ref, out)]
    for loss in real:
        loss.backward()
    from albert.checkpoint.hf import to_hf_state_dict

    ours_grads = to_hf_state_dict(
        {k: p.grad for k, p in ours.named_parameters() if p.grad is not None}, tie_word_embeddings=True
    )
    ref_grads = {k: p.grad for k, p in ref_model.named_parameters() if p.grad is not None}
    for key, grad in ours_grads.items():
        torch.testing.assert_close(grad, ref_grads[key], atol=ATOL, rtol=1e-4, msg=key)


def test_head_mask_parity_with_reference_eager(tmp_path):
    """With one group per layer, our head_mask rows coincide with transformers' (eager path)."""
    ref_model = hf_model("AlbertModel", "eager", num_hidden_layers=3, num_hidden_groups=3)
    ref_model.save_pretrained(tmp_path)
    head_mask = torch.ones(3, 4)
    head_mask[0, 1] = 0
    head_mask[2, :3] = 0
    inputs = make_inputs("AlbertModel")
    ref = ref_model(**inputs, head_mask=head_mask, output_attentions=True)
    for attn in ("eager", "sdpa"):  # SDPA honours head_mask too (upstream v4 silently ignores it there)
        ours = albert.AlbertModel.from_pretrained(tmp_path, attn_implementation=attn).disable_fast_paths()
        out = ours(**inputs, head_mask=head_mask)
        torch.testing.assert_close(out.last_hidden_state, ref.last_hidden_state, atol=ATOL, rtol=ATOL)
    assert float(ref.attentions[0][:, 1].detach().abs().sum()) == 0.0


@pytest.mark.parametrize("value", [0.5, 2.0])
def test_a_non_binary_mask_without_zeros_weighs_the_scores_on_every_path(value, tmp_path):
    """transformers 4.x adds (1 - mask) * min to the scores; a mask of 1s and 0.5s (or 2.0s) holds no 0,
    and our SDPA path once took it for all ones and dropped it (contract section 13, non-binary masks)."""
    ref_model = hf_model("AlbertModel", "eager")
    ref_model.save_pretrained(tmp_path)
    inputs = make_inputs("AlbertModel")
    mask = torch.ones(inputs["input_ids"].shape)
    mask[:, -3:] = value
    inputs["attention_mask"] = mask
    with torch.no_grad():
        ref = ref_model(**inputs).last_hidden_state
        for attn in ("eager", "sdpa"):
            ours = albert.AlbertModel.from_pretrained(tmp_path, attn_implementation=attn)
            for model in (ours, ours.disable_fast_paths()):  # the defaults first, then the reference path
                out = model(**inputs).last_hidden_state
                torch.testing.assert_close(out, ref, atol=ATOL, rtol=ATOL, msg=f"{attn}, mask value {value}")


def test_sdpa_and_eager_agree_on_padded_batch():
    model = albert.AlbertForMaskedLM(albert.AlbertConfig(**tiny_kwargs())).eval()
    inputs = make_inputs("AlbertForMaskedLM")
    sdpa = model(**inputs).logits
    model.set_attn_implementation("eager")
    eager = model(**inputs).logits
    torch.testing.assert_close(sdpa, eager, atol=ATOL, rtol=ATOL)


def test_inputs_embeds_and_position_ids_match_reference(tmp_path):
    ref_model = hf_model("AlbertModel", "eager")
    ref_model.save_pretrained(tmp_path)
    ours = albert.AlbertModel.from_pretrained(tmp_path)
    embeds = torch.randn(2, 5, 8)
    positions = torch.tensor([[3, 4, 5, 6, 7], [0, 1, 2, 3, 4]])
    with torch.no_grad():
        ref = ref_model(inputs_embeds=embeds, position_ids=positions).last_hidden_state
        out = ours(inputs_embeds=embeds, position_ids=positions).last_hidden_state
    torch.testing.assert_close(out, ref, atol=ATOL, rtol=ATOL)


@pytest.mark.parametrize("problem", ["regression", "multi_label_classification"])
def test_sequence_classification_problem_types_match_reference(problem, tmp_path):
    num_labels = 1 if problem == "regression" else 3
    config = transformers.AlbertConfig(**tiny_kwargs(), num_labels=num_labels, attn_implementation="eager")
    ref_model = transformers.AlbertForSequenceClassification(config).eval()
    ref_model.save_pretrained(tmp_path)
    ours = albert.AlbertForSequenceClassification.from_pretrained(tmp_path)
    inputs = make_inputs("AlbertForSequenceClassification")
    labels = torch.rand(2) * 5 if problem == "regression" else torch.randint(0, 2, (2, 3)).float()
    ref, out = ref_model(**inputs, labels=labels), ours(**inputs, labels=labels)
    torch.testing.assert_close(out.loss, ref.loss, atol=ATOL, rtol=ATOL)
    assert ours.config.problem_type == ref_model.config.problem_type == problem


def test_resized_embeddings_stay_tied_and_load_in_reference(tmp_path):
    model = albert.AlbertForMaskedLM(albert.AlbertConfig(**tiny_kwargs()))
    model.resize_token_embeddings(120)
    assert model.mlm_head.decoder.weight is model.backbone.embeddings.word.weight
    assert model.mlm_head.decoder.bias is model.mlm_head.bias
    assert model.mlm_head.bias.shape == (120,) and float(model.mlm_head.bias[99:].detach().abs().sum()) == 0.0
    assert model.config.vocab_size == 120
    model.eval().save_pretrained(tmp_path)
    ref_model = transformers.AlbertForMaskedLM.from_pretrained(tmp_path).eval()
    ids = torch.tensor([[2, 110, 119, 3]])
    torch.testing.assert_close(model(ids).logits, ref_model(ids).logits, atol=ATOL, rtol=ATOL)


@pytest.mark.parametrize("name", CLASSES)
def test_return_dict_false_gives_transformers_tuple(name, tmp_path):
    ref = hf_model(name, "eager")
    ref.save_pretrained(tmp_path)
    ours = getattr(albert, name).from_pretrained(tmp_path, attn_implementation="eager")
    ours.disable_fast_paths()  # padded positions as the reference computes them
    inputs = make_inputs(name)
    inputs.update(make_labels(name, inputs, num_labels=ref.config.num_labels))
    with torch.no_grad():
        want = ref(**inputs, return_dict=False, output_hidden_states=True)
        got = ours(**inputs, return_dict=False, output_hidden_states=True)
    assert isinstance(got, tuple) and len(got) == len(want)
    torch.testing.assert_close(got, want, atol=ATOL, rtol=ATOL)
    assert not isinstance(ours(**make_inputs(name), return_dict=True), tuple)


def test_return_dict_false_without_a_pooler_leaves_out_its_slot(tmp_path):
    """`from_pretrained(..., add_pooling_layer=False)` builds the model without it; transformers 4.x returns (sequence_output, None) from AlbertModel(add_pooling_layer=False); we leave
    the None out, as 5.x does (docs/differences.md, "Outputs")."""
    ref = transformers.AlbertModel(transformers.AlbertConfig(**tiny_kwargs()), add_pooling_layer=False).eval()
    ref.save_pretrained(tmp_path)
    ours = albert.AlbertModel.from_pretrained(tmp_path, add_pooling_layer=False)  # as transformers takes it
    assert (
        ours.pooler is None
        and albert.AutoModel.from_pretrained(tmp_path, add_pooling_layer=False).pooler is None
    )
    ids = make_inputs("AlbertModel")["input_ids"]
    with torch.no_grad():
        want, got = ref(ids, return_dict=False), ours(ids, return_dict=False)
    assert len(want) == 2 and want[1] is None
    assert len(got) == 1
    torch.testing.assert_close(got[0], want[0], atol=ATOL, rtol=ATOL)


@pytest.mark.parametrize(("dtype", "atol"), [(torch.bfloat16, 1e-2), (torch.float16, 2e-3)])
def test_half_precision_padded_batch_matches_the_reference(dtype, atol, tmp_path):
    """The padding mask in bf16 / fp16 is `finfo(dtype).min`, as the reference's: no overflow to inf or NaN,
    the same outputs within the dtype's precision, on both attention paths and with the defaults."""
    hf_model("AlbertModel", "eager").save_pretrained(tmp_path)
    ref_model = transformers.AlbertModel.from_pretrained(tmp_path, dtype=dtype, attn_implementation="eager")
    inputs = make_inputs("AlbertModel")
    keep = inputs["attention_mask"].bool()
    with torch.no_grad():
        want = ref_model.eval()(**inputs).last_hidden_state
        for attn in ("eager", "sdpa"):
            ours = albert.AlbertModel.from_pretrained(tmp_path, dtype=dtype, attn_implementation=attn)
            for model, where in ((ours, keep), (ours.disable_fast_paths(), torch.ones_like(keep))):
                got = model(**inputs).last_hidden_state
                assert got.dtype == dtype and bool(torch.isfinite(got).all()), attn
                torch.testing.assert_close(got[where], want[where], atol=atol, rtol=atol, msg=attn)


def test_multiple_choice_takes_one_row_of_positions_and_a_flat_mask(tmp_path):
    """transformers flattens every input to (-1, T): position ids of shape (1, T) and a (B*C, T) mask work
    there (our flattening once kept axes 2+ only, refusing both)."""
    ref_model = hf_model("AlbertForMultipleChoice", "eager")
    ref_model.save_pretrained(tmp_path)
    ours = albert.AlbertForMultipleChoice.from_pretrained(tmp_path).eval()
    inputs = make_inputs("AlbertForMultipleChoice")
    b, c, t = inputs["input_ids"].shape
    inputs["position_ids"] = torch.arange(2, 2 + t)[None]  # (1, T)
    inputs["attention_mask"] = inputs["attention_mask"].reshape(b * c, t)
    with torch.no_grad():
        ref = ref_model(**inputs).logits
        torch.testing.assert_close(ours(**inputs).logits, ref, atol=ATOL, rtol=ATOL)
