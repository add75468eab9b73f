"""The `packed_linear` fast path (albert/model/onednn.py): the same function as nn.Linear within fp32
rounding, only where no autograd is needed, packed copies that follow the weights, off by default in
the model API and on in the pipelines."""

from __future__ import annotations

import copy

import pytest
import torch

import albert
from albert.config import AlbertConfig
from albert.model import activations, onednn
from albert.model.fast import FastPaths
from tests.conftest import tiny_kwargs

needs_onednn = pytest.mark.skipif(
    not onednn.AVAILABLE, reason="oneDNN packed kernels are used on x86-64 only"
)


def layer(rows_in: int = 24, rows_out: int = 40) -> torch.nn.Linear:
    torch.manual_seed(0)
    return torch.nn.Linear(rows_in, rows_out)


@needs_onednn
@pytest.mark.parametrize("shape", [(5, 24), (3, 7, 24), (1, 24)])
def test_packed_kernel_is_the_same_function(shape: tuple[int, ...]) -> None:
    lin, x = layer(), torch.randn(*shape)
    with torch.inference_mode():
        assert onednn.applies(lin, x)
        torch.testing.assert_close(onednn.linear(lin, x, packed=True), lin(x), atol=1e-5, rtol=0)
    x_t = torch.randn(24, 6).t()  # a transposed (non-contiguous) input
    with torch.no_grad():
        torch.testing.assert_close(onednn.linear(lin, x_t, packed=True), lin(x_t), atol=1e-5, rtol=0)


@needs_onednn
def test_packed_copy_follows_the_weights() -> None:
    lin, x = layer(), torch.randn(4, 24)
    with torch.no_grad():
        onednn.linear(lin, x, packed=True)
        first = onednn.packed_weight(lin)
        assert onednn.packed_weight(lin) is first  # cached
        lin.weight.mul_(-2)  # in place: the version counter moves
        torch.testing.assert_close(onednn.linear(lin, x, packed=True), lin(x), atol=1e-5, rtol=0)
        lin.load_state_dict(layer(24, 40).state_dict() | {"weight": torch.ones(40, 24)})
        torch.testing.assert_close(onednn.linear(lin, x, packed=True), lin(x), atol=1e-5, rtol=0)
        lin.weight = torch.nn.Parameter(torch.randn(40, 24))  # replaced
        torch.testing.assert_close(onednn.linear(lin, x, packed=True), lin(x), atol=1e-5, rtol=0)


@needs_onednn
def test_a_new_weight_at_a_freed_weights_address_is_packed_again() -> None:
    """The allocator may give a later weight the address of a freed one, at version 0 like it: the cache
    also checks that the weight is the very tensor it packed (simulated: an entry recorded for another
    tensor with this weight's address and version)."""
    import weakref

    lin, x = layer(), torch.randn(4, 24)
    other = torch.nn.Parameter(torch.zeros(40, 24))
    w = lin.weight
    stale = torch.ops.mkldnn._reorder_linear_weight(other.detach(), 64)
    onednn._CACHE[lin] = (weakref.ref(other), (w.data_ptr(), w._version), stale)
    with torch.no_grad():
        torch.testing.assert_close(onednn.linear(lin, x, packed=True), lin(x), atol=1e-5, rtol=0)
    assert onednn._CACHE[lin][0]() is w


@needs_onednn
@pytest.mark.filterwarnings("ignore:torch.ao.quantization is deprecated", "ignore:torch.quantize_per_tensor")
def test_not_used_where_autograd_or_autocast_or_other_dtypes_need_nn_linear() -> None:
    lin, x = layer(), torch.randn(4, 24)
    assert not onednn.applies(lin, x)  # grad enabled and the weight requires it: training
    with torch.no_grad():
        assert onednn.applies(lin, x)
        assert not onednn.applies(lin, x.double())
        assert not onednn.applies(lin.to(torch.bfloat16), x.bfloat16())
        with torch.autocast("cpu", dtype=torch.bfloat16):
            assert not onednn.applies(layer(), x)
    frozen = layer().requires_grad_(False)
    assert onednn.applies(frozen, x)  # nothing needs a gradient
    assert not onednn.applies(frozen, x.clone().requires_grad_())
    quantised = torch.ao.quantization.quantize_dynamic(torch.nn.Sequential(layer()), {torch.nn.Linear})[0]
    with torch.no_grad():
        assert not onednn.applies(quantised, x)  # int8 keeps its own kernel
        torch.testing.assert_close(onednn.linear(quantised, x, packed=True), quantised(x))


def tiny_model() -> albert.AlbertForMaskedLM:
    return albert.AlbertForMaskedLM(AlbertConfig(**tiny_kwargs())).eval()


def encoder_linears(model: torch.nn.Module) -> list[torch.nn.Linear]:
    encoder = model.backbone_model.encoder
    return [m for m in encoder.modules() if isinstance(m, torch.nn.Linear)]


def test_off_by_default_in_the_model_api_on_in_pipelines_and_prepare_for_inference() -> None:
    from albert.pipelines import pipeline
    from albert.pipelines.base import use_packed_weights
    from albert.runtime import prepare_for_inference

    model = tiny_model()
    assert not model.fast_paths.packed_linear and FastPaths() == model.fast_paths
    assert pipeline("fill-mask").model.fast_paths.packed_linear  # the built-in model
    assert prepare_for_inference(tiny_model()).fast_paths.packed_linear
    chosen = tiny_model().disable_fast_paths()
    use_packed_weights(chosen)  # what every pipeline does with its model
    assert not chosen.fast_paths.packed_linear  # the user's choice stands


@needs_onednn
def test_model_uses_packed_weights_and_matches_the_reference() -> None:
    model = tiny_model()
    fast = copy.deepcopy(model).enable_fast_paths(sparse_mlm=False)
    ids = torch.randint(5, 99, (3, 11))
    mask = torch.ones_like(ids)
    mask[0, -3:] = 0
    with torch.inference_mode():
        ref = model(ids, attention_mask=mask).logits
        out = fast(ids, attention_mask=mask).logits
    keep = mask.bool()
    torch.testing.assert_close(out[keep], ref[keep], atol=1e-5, rtol=0)
    linears = encoder_linears(fast)
    assert linears and all(lin in onednn._CACHE for lin in linears)
    assert not any(lin in onednn._CACHE for lin in encoder_linears(model))  # off: nn.Linear ran
    # the packed copies live outside the model: its state dict and copies are unchanged
    assert fast.state_dict().keys() == model.state_dict().keys()
    copy.deepcopy(fast)
    fast.disable_fast_paths()
    assert not any(lin in onednn._CACHE for lin in linears)  # dropped with the path


@needs_onednn
def test_training_never_takes_the_packed_kernel() -> None:
    model = tiny_model().enable_fast_paths(sparse_mlm=False).train()
    ids = torch.randint(5, 99, (2, 8))
    model(ids, labels=ids).loss.backward()
    assert not any(lin in onednn._CACHE for lin in encoder_linears(model))
    assert all(p.grad is not None for p in model.backbone_model.encoder.parameters())


# ----- the FFN activation without a second buffer (`linear_activation`) -----

ACTIVATIONS = {
    "gelu_tanh": activations.gelu_tanh,
    "gelu": torch.nn.functional.gelu,
    "relu": torch.nn.functional.relu,
}


def kernel_calls(monkeypatch) -> list[str]:
    """Records each call of oneDNN's linear kernel (its post-op) while running it."""
    calls, real = [], torch.ops.mkldnn._linear_pointwise

    class Spy:
        def __call__(self, x, w, b, post_op, scalars, algorithm):
            calls.append(post_op)
            return real(x, w, b, post_op, scalars, algorithm)

    monkeypatch.setattr(torch.ops.mkldnn, "_linear_pointwise", Spy())
    return calls


@needs_onednn
@pytest.mark.parametrize("name", ACTIVATIONS)
def test_packed_fused_activation_is_the_same_function(name, monkeypatch) -> None:
    lin, act = layer(24, 40), ACTIVATIONS[name]
    calls = kernel_calls(monkeypatch)
    for shape in [(300, 24), (2, 7, 24), (1, 24)]:
        x = torch.randn(*shape) * 3
        with torch.no_grad():
            torch.testing.assert_close(
                onednn.linear_activation(lin, x, act, packed=True), act(lin(x)), atol=1e-5, rtol=0
            )
    assert calls == [name.split("_")[0]] * 3  # one kernel call each, with the post-op


@pytest.mark.parametrize("name", ACTIVATIONS)
def test_unpacked_activation_runs_in_place_on_the_fresh_product(name, monkeypatch) -> None:
    lin, act, x = layer(24, 40), ACTIVATIONS[name], torch.randn(300, 24) * 3
    used = []
    in_place = activations.IN_PLACE[act]
    monkeypatch.setitem(activations.IN_PLACE, act, lambda t: used.append(t.data_ptr()) or in_place(t))
    monkeypatch.setattr(onednn, "IN_PLACE", activations.IN_PLACE)
    with torch.inference_mode():
        out = onednn.linear_activation(lin, x, act, packed=False)
    torch.testing.assert_close(out, act(lin(x)), atol=0, rtol=0)  # the same kernel: equal
    assert used == [out.data_ptr()]  # no second buffer


@pytest.mark.parametrize("packed", [False, True])
def test_forward_hooks_run_and_see_the_layers_own_output(packed: bool) -> None:
    """A hook on the layer runs (no packed kernel bypassing it) and what it keeps is the layer's output,
    not changed afterwards by an in-place activation."""
    lin, x, kept = layer(24, 40), torch.randn(30, 24), []
    handle = lin.register_forward_hook(lambda m, args, out: kept.append(out))
    with torch.inference_mode():
        assert not onednn.applies(lin, x)
        out = onednn.linear_activation(lin, x, activations.gelu_tanh, packed=packed)
        torch.testing.assert_close(kept[0], lin(x))  # before the GELU
        torch.testing.assert_close(out, activations.gelu_tanh(kept[0]))
        handle.remove()
        assert onednn.applies(lin, x) == onednn.AVAILABLE


def test_activation_out_of_place_where_autograd_needs_it() -> None:
    lin, x = layer(24, 40), torch.randn(10, 24, requires_grad=True)
    out = onednn.linear_activation(lin, x, activations.gelu_tanh, packed=False)
    out.sum().backward()
    ref_x = x.detach().clone().requires_grad_()
    activations.gelu_tanh(lin(ref_x)).sum().backward()
    torch.testing.assert_close(x.grad, ref_x.grad)
    # the reference formula (fast paths off) has no in-place variant and runs as written
    with torch.no_grad():
        torch.testing.assert_close(
            onednn.linear_activation(lin, x, activations.gelu_new, packed=True), activations.gelu_new(lin(x))
        )


@needs_onednn
def test_model_runs_the_ffn_activation_in_place_and_matches_the_reference() -> None:
    torch.manual_seed(0)
    model = albert.AlbertModel(AlbertConfig(**tiny_kwargs(max_position_embeddings=160))).eval()
    reference = copy.deepcopy(model).disable_fast_paths()
    ids = torch.randint(5, 99, (2, 150))
    mask = torch.ones_like(ids)
    mask[1, 100:] = 0  # padding removal too
    keep = mask.bool()
    for packed in (False, True):
        model.enable_fast_paths(packed_linear=packed)
        with torch.inference_mode():
            out = model(ids, mask).last_hidden_state
            ref = reference(ids, mask).last_hidden_state
        torch.testing.assert_close(out[keep], ref[keep], atol=1e-5, rtol=0)
