"""Process-group setup for `torchrun`, DDP wrapping and rank helpers. Single-process runs need none of it.

`torchrun --nproc-per-node N -m albert pretrain ...` sets RANK, WORLD_SIZE and LOCAL_RANK; `setup()` reads
them and joins the group (NCCL when CUDA is available, gloo otherwise). Everything else is a thin helper
that is a no-op without a process group, so library code calls it unconditionally.

ALBERT shares one layer's parameters across all depths. Plain DDP is fine with that: autograd sums the
gradient contributions of every use before the parameter's accumulate-grad hook fires, so each parameter
is reduced once per backward. Only reentrant activation checkpointing (several backward passes over the
same parameters) needs `static_graph=True`; a head whose loss is not computed needs
`find_unused_parameters=True`. Both are `TrainArgs` flags.
"""

from __future__ import annotations

import contextlib
import datetime
import logging
import os
import sys
from dataclasses import dataclass
from typing import Any

import torch
import torch.distributed as dist
from torch import nn
from torch.nn.parallel import DistributedDataParallel

from albert.devices import resolve_device

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class DistInfo:
    """Where this process stands: its rank, the world size, and the device it trains on."""

    rank: int
    world_size: int
    local_rank: int
    device: torch.device

    @property
    def is_main(self) -> bool:
        return self.rank == 0


def setup(device: str | None = None, *, timeout_s: float = 1800) -> DistInfo:
    """Join the process group described by torchrun's environment (if any) and pick the device.

    Idempotent: an already initialised group (e.g. by the caller) is used as is.
    """
    world_size = int(os.environ.get("WORLD_SIZE", "1"))
    local_rank = int(os.environ.get("LOCAL_RANK", "0"))
    dev = training_device(device, local_rank)
    if dev.type == "cuda":
        if dev.index is None:  # "cuda": this process's GPU (older torch refuses set_device without an index)
            dev = torch.device("cuda", local_rank)
        torch.cuda.set_device(dev)
    if world_size > 1 and not dist.is_initialized():
        backend = "nccl" if dev.type == "cuda" else "gloo"
        dist.init_process_group(backend=backend, timeout=datetime.timedelta(seconds=timeout_s))
        logger.info("joined process group: rank %d of %d (%s)", dist.get_rank(), world_size, backend)
    return DistInfo(rank=get_rank(), world_size=get_world_size(), local_rank=local_rank, device=dev)


def training_device(device: str | None, local_rank: int = 0) -> torch.device:
    """`device` (`TrainArgs.device`; one that asks for a GPU this machine lacks is a clear error), or by
    default this process's GPU when there is one, else the CPU."""
    if device is None:
        return torch.device(f"cuda:{local_rank}" if torch.cuda.is_available() else "cpu")
    return resolve_device(device, argument="--device", cpu_hint="--device cpu")


def is_distributed() -> bool:
    return dist.is_available() and dist.is_initialized()


def get_rank() -> int:
    """This process's global rank: the process group's; before it is joined (or after it is left),
    the rank torchrun gave the process (RANK, with WORLD_SIZE > 1), so that work done before the group
    exists is still done by rank 0 alone; 0 for a single process."""
    if is_distributed():
        return dist.get_rank()
    return int(os.environ.get("RANK", "0")) if int(os.environ.get("WORLD_SIZE", "1")) > 1 else 0


def get_world_size() -> int:
    """Number of processes (1 without a process group)."""
    return dist.get_world_size() if is_distributed() else 1


def is_main_process() -> bool:
    """True on rank 0, which alone logs, writes files and shows the progress bar."""
    return get_rank() == 0


def barrier() -> None:
    if is_distributed():
        dist.barrier()


_left_a_group = False  # set by cleanup(): this process has run under torchrun and left its group


def cleanup(*, wait: bool = True) -> None:
    """Leave the process group (call once at the end of a torchrun script, then `exit_process`). After a
    run that ended well every rank first waits for the others (`wait`), so that no rank tears its
    connections down while another still receives the last collective. After an error, `wait=False`: the
    other ranks may be inside another collective, and a barrier would hang there until the timeout
    instead of exiting now."""
    global _left_a_group
    if is_distributed():
        if wait:
            dist.barrier()
        dist.destroy_process_group()
        _left_a_group = True


def left_a_process_group() -> bool:
    """Whether `cleanup()` left a process group in this process (the run was a torchrun worker)."""
    return _left_a_group


def exit_process(status: int) -> None:
    """End a torchrun worker with `status` now: flush the output, close the logs, and leave through
    `os._exit`, past the interpreter's teardown. There, gloo's C++ threads abort the process now and then
    ("terminate called without an active exception", SIGABRT, after the run had ended well and left its
    group; with no Python frame on the stack: 2 of about 100 two-process runs of the DDP test on 2 busy
    cores, torch 2.13), and torchrun then reports the whole run as failed. Every file the run writes is
    closed by then (atomic checkpoint and metrics writes)."""
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):  # a closed or broken pipe: nothing more to say there
            stream.flush()
    logging.shutdown()
    os._exit(status)


def wrap_model(
    model: nn.Module, info: DistInfo, *, find_unused_parameters: bool = False, static_graph: bool = False
) -> nn.Module:
    """`model` wrapped in DDP when there are several processes, else `model` itself."""
    if not is_distributed() or info.world_size == 1:
        return model
    device_ids = [info.device.index] if info.device.type == "cuda" else None
    return DistributedDataParallel(
        model, device_ids=device_ids, find_unused_parameters=find_unused_parameters, static_graph=static_graph
    )


def unwrap(model: nn.Module) -> nn.Module:
    """The module inside a DDP wrapper (or the module itself)."""
    return model.module if isinstance(model, DistributedDataParallel) else model


def any_process(flag: bool, device: torch.device) -> bool:
    """True on every process if `flag` is True on any (one collective; `flag` itself without a group)."""
    if not is_distributed():
        return flag
    return all_reduce_sum([float(flag)], device)[0] > 0


def all_reduce_sum(values: list[float], device: torch.device) -> list[float]:
    """Element-wise sum of `values` over all processes (one collective)."""
    if not is_distributed():
        return list(values)
    t = torch.tensor(values, dtype=torch.float64, device=device)
    dist.all_reduce(t)
    return t.tolist()


def all_gather_object(obj: Any) -> list[Any]:
    """`[obj of rank 0, obj of rank 1, ...]` on every process."""
    if not is_distributed():
        return [obj]
    out: list[Any] = [None] * dist.get_world_size()
    dist.all_gather_object(out, obj)
    return out


def broadcast_object(obj: Any) -> Any:
    """Rank 0's `obj` on every process."""
    if not is_distributed():
        return obj
    box = [obj]
    dist.broadcast_object_list(box, src=0)
    return box[0]
