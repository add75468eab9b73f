"""One optimizer step's forward and backward: the autocast context of `--mixed-precision`, the loss of a
micro-batch, and accumulation over the micro-batches of a step (DDP gradient sync only on the last)."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Mapping

import torch
from torch import nn

from albert.training.batches import Batch
from albert.training.train_args import TrainArgs, flag

LossFn = Callable[[nn.Module, Batch], torch.Tensor]


def autocast_for(args: TrainArgs, device: torch.device) -> Callable[[], contextlib.AbstractContextManager]:
    if args.mixed_precision == "no":
        return contextlib.nullcontext
    dtype = torch.bfloat16 if args.mixed_precision == "bf16" else torch.float16
    if not torch.amp.is_autocast_available(device.type):
        raise ValueError(f"{flag('mixed_precision')} {args.mixed_precision}: no autocast on {device.type}")
    if device.type == "cuda" and dtype == torch.bfloat16 and not torch.cuda.is_bf16_supported():
        raise ValueError(f"{flag('mixed_precision')} bf16: this GPU has no bf16 support; use fp16")
    return lambda: torch.autocast(device_type=device.type, dtype=dtype)


def count_tokens(batch: Batch) -> int:
    mask = batch.get("attention_mask")
    if isinstance(mask, torch.Tensor):
        return int(mask.sum())
    ids = batch.get("input_ids")
    return ids.numel() if isinstance(ids, torch.Tensor) else 0


def loss_of(model: nn.Module, batch: Batch, loss_fn: LossFn | None) -> torch.Tensor:
    if loss_fn is not None:
        return loss_fn(model, batch)
    output = model(**batch)
    loss = output.get("loss") if isinstance(output, Mapping) else getattr(output, "loss", None)
    if loss is None:
        raise ValueError(f"{type(output).__name__} has no loss: give the batch labels or pass loss_fn")
    return loss


def accumulate(
    model: nn.Module,
    window: list[Batch],
    device: torch.device,
    autocast: Callable[[], contextlib.AbstractContextManager],
    scaler: torch.amp.GradScaler,
    loss_fn: LossFn | None,
    is_ddp: bool,
) -> tuple[torch.Tensor, int]:
    """Forward/backward over the micro-batches of one step; returns (mean loss, tokens seen)."""
    total = torch.zeros((), device=device)
    tokens = 0
    for i, batch in enumerate(window):
        tokens += count_tokens(batch)  # on the host copy: no device sync
        batch = {
            k: v.to(device, non_blocking=True) if isinstance(v, torch.Tensor) else v for k, v in batch.items()
        }
        last = i == len(window) - 1
        sync = contextlib.nullcontext() if last or not is_ddp else model.no_sync()
        with sync:
            with autocast():
                loss = loss_of(model, batch, loss_fn)
            scaler.scale(loss.float() / len(window)).backward()
        total += loss.detach().float()
    return total / len(window), tokens
