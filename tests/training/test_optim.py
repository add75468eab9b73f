"""LAMB and AdamW against hand computations (recipe §2.5), parameter groups, and the learning-rate schedule."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from torch import nn

from albert.training import Lamb, TrainArgs, build_optimizer, lr_at, param_groups
from tests.training.helpers import TinyModel

B1, B2, EPS, WD, LR = 0.9, 0.999, 1e-6, 0.01, 0.1


def _hand_step(w, g, m, v, *, t=1, decay=True, trust=True, bias_correction=False):
    """One Google-LAMB / TF-AdamW update in float64 numpy; returns (new w, m, v)."""
    w, g = np.asarray(w, np.float64), np.asarray(g, np.float64)
    m = B1 * m + (1 - B1) * g
    v = B2 * v + (1 - B2) * g * g
    m_hat, v_hat = (m / (1 - B1**t), v / (1 - B2**t)) if bias_correction else (m, v)
    u = m_hat / (np.sqrt(v_hat) + EPS)
    if decay:
        u = u + WD * w
    r = 1.0
    if trust:
        wn, un = np.linalg.norm(w), np.linalg.norm(u)
        r = wn / un if wn > 0 and un > 0 else 1.0
    return w - LR * r * u, m, v


def _params():
    w = nn.Parameter(torch.tensor([[0.5, -1.0], [2.0, 0.25]]))
    b = nn.Parameter(torch.tensor([0.1, -0.3]))
    z = nn.Parameter(torch.zeros(3))  # zero norm: trust ratio falls back to 1
    grads = [
        torch.tensor([[0.2, -0.1], [0.05, 0.4]]),
        torch.tensor([-0.5, 0.02]),
        torch.tensor([0.3, -0.2, 0.0]),
    ]
    return [w, b, z], grads


@pytest.mark.parametrize("bias_correction", [False, True])
def test_lamb_two_steps_match_hand_computation(bias_correction: bool) -> None:
    (w, b, z), grads = _params()
    opt = Lamb(
        [
            {"params": [w, z], "weight_decay": WD, "trust_ratio": True},
            {"params": [b], "weight_decay": 0.0, "trust_ratio": False},
        ],
        lr=LR,
        betas=(B1, B2),
        eps=EPS,
        bias_correction=bias_correction,
    )
    expected = {}
    for name, p, g, decay in (("w", w, grads[0], True), ("b", b, grads[1], False), ("z", z, grads[2], True)):
        cur, m, v = p.detach().numpy().astype(np.float64), 0.0, 0.0
        for t in (1, 2):
            cur, m, v = _hand_step(
                cur, g.numpy(), m, v, t=t, decay=decay, trust=decay, bias_correction=bias_correction
            )
        expected[name] = cur
    for _ in range(2):
        for p, g in zip((w, b, z), grads):
            p.grad = g.clone()
        opt.step()
    for name, p in (("w", w), ("b", b), ("z", z)):
        np.testing.assert_allclose(p.detach().numpy(), expected[name], rtol=1e-5, atol=1e-6, err_msg=name)
    assert opt.state[w]["exp_avg"].dtype == torch.float32


def test_lamb_trust_ratio_value_on_first_step() -> None:
    # Without bias correction the first m/sqrt(v) is 0.1 g / (sqrt(0.001) |g|) = 3.162 sign(g).
    w = nn.Parameter(torch.tensor([3.0, 4.0]))  # ||w|| = 5
    w.grad = torch.tensor([1.0, -1.0])
    Lamb([w], lr=1.0, weight_decay=0.0).step()
    u = 0.1 / (math.sqrt(0.001) + EPS)
    ratio = 5.0 / (u * math.sqrt(2))
    torch.testing.assert_close(w.detach(), torch.tensor([3.0 - ratio * u, 4.0 + ratio * u]))


def test_zero_gradient_and_zero_weight_do_not_move() -> None:
    z = nn.Parameter(torch.zeros(4))
    z.grad = torch.zeros(4)
    Lamb([z], lr=1.0).step()
    assert torch.equal(z.detach(), torch.zeros(4))


def test_lamb_keeps_fp32_state_for_bf16_params() -> None:
    p32 = nn.Parameter(torch.tensor([1.0, -2.0, 0.5]))
    p16 = nn.Parameter(p32.detach().to(torch.bfloat16))
    for p in (p32, p16):
        p.grad = torch.tensor([0.3, 0.1, -0.2]).to(p.dtype)
        Lamb([p], lr=0.01).step()
    assert Lamb([p16]).defaults["bias_correction"] is False
    torch.testing.assert_close(p16.detach().float(), p32.detach(), atol=1e-2, rtol=0)
    # Loading a state dict keeps the moments fp32 (torch would cast them to the parameter dtype).
    resumed = Lamb([p16], lr=0.01)
    saved = Lamb([p16], lr=0.01)
    p16.grad = torch.ones(3, dtype=torch.bfloat16)
    saved.step()
    resumed.load_state_dict(saved.state_dict())
    assert resumed.state[p16]["exp_avg"].dtype == torch.float32
    assert torch.equal(resumed.state[p16]["exp_avg_sq"], saved.state[p16]["exp_avg_sq"])


def test_adamw_without_bias_correction_is_tf_adamw() -> None:
    model = nn.Linear(2, 1)
    opt = build_optimizer(model, TrainArgs(max_steps=1, optimizer="adamw", bias_correction=False, lr=LR))
    assert isinstance(opt, Lamb) and not any(g["trust_ratio"] for g in opt.param_groups)
    w0, b0 = model.weight.detach().numpy().copy(), model.bias.detach().numpy().copy()
    model.weight.grad, model.bias.grad = torch.tensor([[0.2, -0.4]]), torch.tensor([0.3])
    opt.step()
    np.testing.assert_allclose(
        model.weight.detach().numpy(), _hand_step(w0, [[0.2, -0.4]], 0, 0, trust=False)[0], rtol=1e-5
    )
    np.testing.assert_allclose(
        model.bias.detach().numpy(), _hand_step(b0, [0.3], 0, 0, decay=False, trust=False)[0], rtol=1e-5
    )


def test_build_optimizer_defaults() -> None:
    model = TinyModel()
    adamw = build_optimizer(model, TrainArgs(max_steps=1))
    assert type(adamw) is torch.optim.AdamW and adamw.defaults["eps"] == 1e-6
    lamb = build_optimizer(model, TrainArgs(max_steps=1, optimizer="lamb", lr=1.76e-3))
    assert type(lamb) is Lamb and lamb.defaults["bias_correction"] is False
    assert [g["weight_decay"] for g in lamb.param_groups] == [0.01, 0.0]


def test_param_groups_exclude_norms_and_biases_once() -> None:
    model = TinyModel()
    model.head.weight = model.embed.weight  # tied, like the MLM decoder; must appear once
    decayed, excluded = param_groups(model, 0.01)
    assert decayed["names"] == ["embed.weight", "shared.weight"]
    assert excluded["names"] == ["norm.weight", "norm.bias", "shared.bias", "head.bias"]
    assert (decayed["trust_ratio"], excluded["trust_ratio"]) == (True, False)
    assert (decayed["weight_decay"], excluded["weight_decay"]) == (0.01, 0.0)


def test_original_schedule_key_steps() -> None:
    kw = dict(peak=0.00176, warmup_steps=3125, total_steps=125_000)
    assert lr_at(0, **kw) == 0.0
    assert lr_at(1, **kw) == pytest.approx(0.00176 / 3125)
    assert lr_at(3124, **kw) == pytest.approx(0.00176 * 3124 / 3125)
    assert lr_at(3125, **kw) == pytest.approx(0.975 * 0.00176)  # the step down at the end of warmup
    assert lr_at(62_500, **kw) == pytest.approx(0.00088)
    assert lr_at(125_000, **kw) == 0.0 and lr_at(200_000, **kw) == 0.0


def test_linear_and_constant_schedules() -> None:
    kw = dict(peak=1.0, warmup_steps=10, total_steps=110)
    assert lr_at(5, **kw, shape="linear") == 0.5
    assert lr_at(10, **kw, shape="linear") == 1.0  # continuous at the end of warmup
    assert lr_at(60, **kw, shape="linear") == 0.5
    assert lr_at(110, **kw, shape="linear") == 0.0
    assert lr_at(0, peak=1.0, warmup_steps=0, total_steps=4, shape="linear") == 1.0
    assert lr_at(500, **kw, shape="constant") == 1.0
    with pytest.raises(ValueError, match="cosine"):
        lr_at(1, **kw, shape="cosine")


def test_a_fused_qkv_weight_gets_one_trust_ratio_per_original_variable() -> None:
    """Recipe §2.5: the trust ratio is per variable; the original's query, key and value are three. The
    fused (3H, H) weight must move as the three tensors would under LAMB, not as their concatenation."""
    torch.manual_seed(0)
    h = 4
    scales = torch.tensor([1.0, 3.0, 0.2])[:, None, None]  # blocks of different norms: the ratios differ
    parts = (torch.randn(3, h, h) * scales).unbind(0)
    grads = (torch.randn(3, h, h) / scales).unbind(0)
    separate = [nn.Parameter(p.clone()) for p in parts]
    fused = nn.Parameter(torch.cat(parts))
    for p, g in zip(separate, grads):
        p.grad = g.clone()
    fused.grad = torch.cat(grads)
    Lamb(separate, lr=0.1).step()
    Lamb([{"params": [fused], "trust_blocks": [3]}], lr=0.1).step()
    torch.testing.assert_close(fused.detach(), torch.cat([p.detach() for p in separate]))
    whole = nn.Parameter(torch.cat(parts))  # one ratio for the concatenation: a different step
    whole.grad = torch.cat(grads)
    Lamb([whole], lr=0.1).step()
    assert not torch.allclose(whole, fused)


def test_param_groups_find_the_fused_qkv_of_the_real_model() -> None:
    from albert import AlbertConfig, AlbertForPreTraining

    model = AlbertForPreTraining(AlbertConfig(vocab_size=99, embedding_size=8, hidden_size=16,
                                              num_hidden_layers=2, num_attention_heads=2, intermediate_size=20))  # fmt: skip
    decayed, excluded = param_groups(model, 0.01)
    blocks = dict(zip(decayed["names"], decayed["trust_blocks"]))
    assert {name for name, count in blocks.items() if count == 3} == {
        name for name in blocks if name.endswith("qkv.weight")
    }
    assert len([name for name in blocks if name.endswith("qkv.weight")]) == 1  # shared layers: one tensor
    assert set(blocks.values()) == {1, 3}
    # every norm parameter and bias is excluded (recipe §2.5's exclusion list), the tied decoder appears once
    assert all(name.endswith("bias") or ".norm" in name or "norm." in name for name in excluded["names"])
    names = decayed["names"] + excluded["names"]
    assert len(names) == len(set(names)) and not any("decoder.weight" in name for name in names)


def test_an_optimizer_state_saved_before_trust_blocks_resumes_with_one_ratio_per_tensor() -> None:
    torch.manual_seed(0)
    weight, grad = (
        torch.randn(6, 2) * torch.tensor([[1.0], [1.0], [5.0], [5.0], [0.1], [0.1]]),
        torch.randn(6, 2),
    )
    results = []
    for saved_blocks in (True, False):
        p = nn.Parameter(weight.clone())
        old = Lamb([{"params": [p], "trust_blocks": [3]}], lr=0.1)
        state = old.state_dict()
        if not saved_blocks:  # what an albert-lite of 2026-12-01 saved
            del state["param_groups"][0]["trust_blocks"]
        new = Lamb([{"params": [p], "trust_blocks": [3]}], lr=0.1)
        new.load_state_dict(state)
        p.grad = grad.clone()
        new.step()
        results.append(p.detach().clone())
    reference = nn.Parameter(weight.clone())
    reference.grad = grad.clone()
    Lamb([reference], lr=0.1).step()
    torch.testing.assert_close(results[1], reference.detach())  # the old rule: one ratio for the tensor
    assert not torch.allclose(results[0], results[1])
