"""Optimizers and the learning-rate schedule of the original ALBERT recipe.

* `param_groups`: LayerNorm weights/biases and every bias get neither weight decay nor a trust ratio; a
  fused weight (Q, K and V stacked in one `qkv`) gets one trust ratio per original variable.
* `Lamb`: Google's LAMB (`lamb_optimizer.py` of google-research/albert), recipe §2.5: no bias correction,
  eps added to sqrt(v), decay inside the update, unclipped trust ratio ||w|| / ||u||.
* `build_optimizer`: LAMB or AdamW from `TrainArgs`.
* `lr_at`: a pure function of the step (the loop writes it into the param groups; no scheduler object).

Why our own LAMB: PyTorch has none; timm's `Lamb` can be configured to match Google's variant
(`bias_correction=False`, `max_grad_norm=None`, trust ratio only where weight_decay != 0), but timm 1.0.x
requires torchvision (an unpinned torch pulled in with it), which we refuse for one ~40-line optimizer.
torch-optimizer is unmaintained and pytorch-optimizer clamps the weight norm at 10 (a different variant).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import torch
from torch import nn

from albert.training.train_args import TrainArgs

# Module types whose parameters are "LayerNorm" parameters in the sense of the original exclusion regex.
NORM_TYPES: tuple[type[nn.Module], ...] = (nn.LayerNorm, nn.RMSNorm, nn.GroupNorm)


def is_excluded(module: nn.Module, param_name: str) -> bool:
    """True for parameters that get no weight decay and no trust ratio (norm parameters and biases)."""
    return isinstance(module, NORM_TYPES) or param_name.endswith("bias")


def param_groups(model: nn.Module, weight_decay: float) -> list[dict]:
    """Split trainable parameters into a decayed group (with trust ratio) and an excluded one (without).

    Tied parameters (the MLM decoder shares the word embeddings) appear once. Each group carries the
    parameter names under "names" for inspection; optimizers ignore that key. "trust_blocks" gives, per
    parameter, how many equal row blocks it stacks (3 for a fused Q/K/V weight, declared by its module's
    `stacked_weights`; else 1): the recipe's LAMB takes one trust ratio per variable of the original model.
    """
    decayed: dict[str, nn.Parameter] = {}
    excluded: dict[str, nn.Parameter] = {}
    blocks: dict[str, int] = {}
    seen: set[int] = set()
    for module_name, module in model.named_modules():
        prefix = f"{module_name}." if module_name else ""
        for child, count in getattr(module, "stacked_weights", {}).items():
            blocks[f"{prefix}{child}.weight"] = count
        for name, param in module.named_parameters(recurse=False):
            if not param.requires_grad or id(param) in seen:
                continue
            seen.add(id(param))
            full_name = f"{module_name}.{name}" if module_name else name
            (excluded if is_excluded(module, name) else decayed)[full_name] = param
    groups = [
        {
            "params": list(decayed.values()),
            "names": list(decayed),
            "weight_decay": weight_decay,
            "trust_ratio": True,
            "trust_blocks": [blocks.get(name, 1) for name in decayed],
        },
        {
            "params": list(excluded.values()),
            "names": list(excluded),
            "weight_decay": 0.0,
            "trust_ratio": False,
        },
    ]
    return [g for g in groups if g["params"]]


class Lamb(torch.optim.Optimizer):
    """LAMB as in Google's ALBERT code (recipe §2.5), per parameter tensor w with gradient g:

        m <- b1 m + (1 - b1) g;  v <- b2 v + (1 - b2) g^2         (no bias correction by default)
        u <- m / (sqrt(v) + eps) + weight_decay * w
        r <- ||w|| / ||u|| if both norms > 0 else 1                (r = 1 where trust_ratio=False)
        w <- w - lr * r * u

    A group's "trust_blocks" (one count per parameter, from `param_groups`) splits a fused tensor into
    that many row blocks, each with its own r: the original's query, key and value are three variables.

    With `trust_ratio=False` in every group this is exactly TF's `AdamWeightDecayOptimizer` (the original
    fine-tuning optimizer). State (m, v) is fp32 whatever the parameter dtype. Gradient clipping is not done
    here: the loop clips the global norm before calling `step`.
    """

    def __init__(
        self,
        params: Iterable[nn.Parameter] | Iterable[dict],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-6,
        weight_decay: float = 0.01,
        *,
        bias_correction: bool = False,
        trust_ratio: bool = True,
    ) -> None:
        if lr < 0 or eps <= 0 or weight_decay < 0 or not all(0 <= b < 1 for b in betas):
            raise ValueError(
                f"invalid Lamb hyperparameters: lr={lr}, betas={betas}, eps={eps}, wd={weight_decay}"
            )
        defaults = dict(
            lr=lr,
            betas=betas,
            eps=eps,
            weight_decay=weight_decay,
            bias_correction=bias_correction,
            trust_ratio=trust_ratio,
        )
        super().__init__(params, defaults)

    def load_state_dict(self, state_dict: dict) -> None:
        super().load_state_dict(state_dict)
        # torch casts floating state to each parameter's dtype; our moments stay fp32 (bf16 parameters).
        params = [p for group in self.param_groups for p in group["params"]]
        for index, saved in state_dict["state"].items():
            for name in ("exp_avg", "exp_avg_sq"):
                self.state[params[index]][name] = saved[name].to(
                    device=params[index].device, dtype=torch.float32
                )

    @torch.no_grad()
    def step(self, closure: Callable[[], float] | None = None) -> float | None:
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        for group in self.param_groups:
            # foreach kernels want one device and dtype per list; fused tensors (blocks > 1) go apart.
            # A group without "trust_blocks" (an optimizer state saved before it existed) keeps one ratio
            # per tensor, so that a resumed run continues with the math it started with.
            counts = group.get("trust_blocks") or [1] * len(group["params"])
            buckets: dict[tuple[torch.device, torch.dtype, int], list[nn.Parameter]] = {}
            for p, count in zip(group["params"], counts):
                if p.grad is not None:
                    if p.grad.is_sparse:
                        raise RuntimeError("Lamb does not support sparse gradients")
                    buckets.setdefault((p.device, p.dtype, count), []).append(p)
            for (_, _, count), params in buckets.items():
                self._update(group, params, count)
        return loss

    def _update(self, group: dict, params: list[nn.Parameter], blocks: int = 1) -> None:
        beta1, beta2 = group["betas"]
        m, v, steps = [], [], []
        for p in params:
            state = self.state[p]
            if not state:
                state["step"] = 0
                state["exp_avg"] = torch.zeros_like(p, dtype=torch.float32)
                state["exp_avg_sq"] = torch.zeros_like(p, dtype=torch.float32)
            state["step"] += 1
            m.append(state["exp_avg"])
            v.append(state["exp_avg_sq"])
            steps.append(state["step"])
        # All math in fp32: `.float()` is a no-op (same tensor) for fp32 parameters and gradients.
        weights = [p.float() for p in params]
        grads = [p.grad.float() for p in params]
        torch._foreach_mul_(m, beta1)
        torch._foreach_add_(m, grads, alpha=1 - beta1)
        torch._foreach_mul_(v, beta2)
        torch._foreach_addcmul_(v, grads, grads, value=1 - beta2)
        if group["bias_correction"]:
            m_hat = torch._foreach_div(m, [1 - beta1**t for t in steps])
            denom = torch._foreach_div(v, [1 - beta2**t for t in steps])
            torch._foreach_sqrt_(denom)
        else:
            m_hat, denom = m, torch._foreach_sqrt(v)
        torch._foreach_add_(denom, group["eps"])
        update = torch._foreach_div(m_hat, denom)
        if group["weight_decay"] != 0:
            torch._foreach_add_(update, weights, alpha=group["weight_decay"])
        if group["trust_ratio"] and blocks == 1:
            w_norm = torch.stack(torch._foreach_norm(weights))
            u_norm = torch.stack(torch._foreach_norm(update))
            ratio = torch.where((w_norm > 0) & (u_norm > 0), w_norm / u_norm, torch.ones_like(w_norm))
            torch._foreach_mul_(update, list(ratio.unbind(0)))
        elif group["trust_ratio"]:
            for w, u in zip(weights, update):  # few tensors (one fused Q/K/V per distinct layer)
                w_norm, u_norm = w.reshape(blocks, -1).norm(dim=1), u.reshape(blocks, -1).norm(dim=1)
                ratio = torch.where((w_norm > 0) & (u_norm > 0), w_norm / u_norm, torch.ones_like(w_norm))
                u.view(blocks, -1).mul_(ratio[:, None])  # (blocks, rows * cols / blocks)
        torch._foreach_add_(weights, update, alpha=-group["lr"])
        for p, w in zip(params, weights):
            if w is not p:  # low-precision parameter: write the fp32 result back
                p.copy_(w)


def build_optimizer(model: nn.Module, args: TrainArgs) -> torch.optim.Optimizer:
    """The optimizer named by `args.optimizer` over `param_groups(model, args.weight_decay)`.

    AdamW with bias correction (the default) is `torch.optim.AdamW`; without it, it is our `Lamb` with the
    trust ratio switched off, i.e. the original TF `AdamWeightDecayOptimizer` (which never bias-corrects).
    """
    groups = param_groups(model, args.weight_decay)
    betas = (args.adam_beta1, args.adam_beta2)
    if args.optimizer == "lamb":
        return Lamb(
            groups, lr=args.lr, betas=betas, eps=args.adam_epsilon, bias_correction=args.use_bias_correction
        )
    if args.use_bias_correction:
        return torch.optim.AdamW(groups, lr=args.lr, betas=betas, eps=args.adam_epsilon)
    for group in groups:
        group["trust_ratio"] = False
    return Lamb(groups, lr=args.lr, betas=betas, eps=args.adam_epsilon, bias_correction=False)


def lr_at(step: int, *, peak: float, warmup_steps: int, total_steps: int, shape: str = "original") -> float:
    """Learning rate of the optimizer update number `step` (0-based: the first update uses step 0, so lr 0
    when there is warmup, as in TF and in `transformers`' schedulers).

    Warmup (step < warmup_steps): peak * step / warmup_steps. After it:
    * `original`: peak * (1 - step / total_steps), Google's polynomial decay computed from step 0; at the end of
      warmup the rate drops from ~peak to peak * (1 - warmup/total) (0.975 peak for 3,125 / 125,000).
    * `linear`: peak * (total - step) / (total - warmup), continuous (`get_linear_schedule_with_warmup`).
    * `constant`: peak.
    Zero from `total_steps` on (except `constant`).
    """
    if shape not in ("original", "linear", "constant"):
        raise ValueError(f"unknown learning-rate schedule {shape!r}; expected original, linear or constant")
    if step < warmup_steps:
        return peak * step / warmup_steps
    if shape == "constant":
        return peak
    if shape == "original":
        return peak * max(0.0, 1.0 - step / total_steps)
    return peak * max(0.0, (total_steps - step) / max(1, total_steps - warmup_steps))


def set_lr(optimizer: torch.optim.Optimizer, lr: float) -> None:
    """Write `lr` into every param group (groups may carry an `lr_scale`, e.g. for layer-wise decay)."""
    for group in optimizer.param_groups:
        group["lr"] = lr * group.get("lr_scale", 1.0)
