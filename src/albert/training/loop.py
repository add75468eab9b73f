"""`train`: the one training loop shared by pretraining and fine-tuning.

One optimizer step = `grad_accum_steps` micro-batches per process (DDP gradient sync only on the last),
under autocast, then global-norm clipping, the learning rate of `lr_at(step)`, and the optimizer step.
Around it: periodic evaluation, best-checkpoint tracking, early stopping, atomic checkpoints, exact
resume, a progress bar, `metrics.jsonl` and `curves.png`. The data protocol is in `albert.training.batches`;
the forward/backward of one step (autocast, accumulation) in `albert.training.step`; evaluation and the
best-metric tracking in `albert.training.evaluation`; what the run writes and shows in
`albert.training.reporting`.

Loss normalisation: each micro-batch's loss is the model's own mean; the step minimises the mean of the
micro-batch losses (and DDP averages over processes), like the original's per-core mean on TPUs.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import math
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn
from tqdm.contrib.logging import logging_redirect_tqdm

from albert.training import distributed as dist_utils
from albert.training.batches import Batch, as_batch_source, source_length
from albert.training.evaluation import EvalFn, evaluate, track_best
from albert.training.interrupt import StopRequest
from albert.training.metrics_log import (
    METRICS_NAME,
    PLOT_NAME,
    IntervalStats,
    plot_curves,
    read_metrics,
)
from albert.training.optim import build_optimizer, lr_at, set_lr
from albert.training.reporting import RunReport
from albert.training.state import (
    LoopState,
    atomic_write_text,
    capture_rng_state,
    load_model_weights,
    load_training_state,
    read_pointer,
    resolve_resume,
    restore_rng_state,
    save_checkpoint,
)
from albert.training.step import LossFn, accumulate, autocast_for
from albert.training.train_args import TrainArgs, check_resumed_args, flag

logger = logging.getLogger(__name__)


@dataclass
class TrainResult:
    """What `train` returns. Checkpoint paths are None when nothing was written (no output_dir)."""

    step: int
    epoch: int
    tokens: int
    stopped_early: bool
    """Stopped on request (SIGTERM, Ctrl-C) before the planned steps; a resume continues it. (Early
    stopping ends a run: `early_stopped`.)"""
    best_value: float | None
    best_step: int | None
    best_checkpoint: Path | None
    last_checkpoint: Path | None
    history: list[dict[str, Any]] = field(default_factory=list)
    """Records logged by this call (train and eval), the same on every process."""
    early_stopped: bool = False
    """Ended by `early_stopping_patience`: a finished run (reported, pushed), not one to resume."""


def set_seed(seed: int) -> None:
    """Seed Python, numpy and torch (all devices)."""
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)


def train(
    model: nn.Module,
    train_data: Any,
    *,
    args: TrainArgs,
    eval_fn: EvalFn | None = None,
    collate_fn: Callable[[list[Any]], Batch] | None = None,
    loss_fn: LossFn | None = None,
    callbacks: Sequence[Callable[[dict[str, Any]], None]] = (),
) -> TrainResult:
    """Train `model` on `train_data` as `args` says; returns counters, best metric and checkpoint paths.

    Args:
        model: any module; by default `model(**batch).loss` (or `["loss"]`) is minimised. It is moved to
            the device; under torchrun it is wrapped in DDP internally (the caller keeps the plain module).
        train_data: a batch source `(epoch, start) -> batches`, a map-style or iterable Dataset (batched
            with `collate_fn`), or a re-iterable of batches; see `albert.training.batches`.
        eval_fn: `eval_fn(model) -> {"name": value}`, called on rank 0 only, with the plain module in eval
            mode under `no_grad` and autocast; it must not change the training RNG (it is restored after).
        loss_fn: `loss_fn(model, batch) -> scalar loss` instead of `model(**batch).loss`.
        callbacks: called on rank 0 with every record written to `metrics.jsonl`.

    The global RNGs are reseeded with `args.seed + rank` (seed before building the model for a
    reproducible init). With `args.resume`, weights, optimizer, scaler, counters, data position and every
    rank's RNG states come from the checkpoint, so the following steps equal those of an uninterrupted
    run. Under torchrun the process group is joined here; leave it with `distributed.cleanup()`.
    """
    run = _Run(model, train_data, args, collate_fn, callbacks)
    stop_request = StopRequest()  # SIGTERM / Ctrl-C: log and checkpoint the current step, then return
    with logging_redirect_tqdm() if run.report.show_bar else contextlib.nullcontext():  # logs above the bar
        try:
            stop_request.install()
            run.loop(eval_fn, loss_fn, stop_request)
        finally:
            stop_request.restore()
            run.report.close()
    if run.out is not None and run.info.is_main and args.plot:
        plot_curves(read_metrics(run.out / METRICS_NAME), run.out / PLOT_NAME)
    st = run.st
    return TrainResult(
        step=st.step,
        epoch=st.epoch,
        tokens=st.tokens,
        stopped_early=run.requested,
        early_stopped=run.stop and not run.requested,
        best_value=st.best_value,
        best_step=st.best_step,
        best_checkpoint=run.best_path,
        last_checkpoint=run.last_path,
        history=run.report.history,
    )


class _Run:
    """The state of one `train` call: set up (data, optimizer, resume, DDP, outputs) in `__init__`, then
    `loop` runs the optimizer steps with logging, evaluation and checkpoints in between."""

    def __init__(
        self,
        model: nn.Module,
        train_data: Any,
        args: TrainArgs,
        collate_fn: Callable[[list[Any]], Batch] | None,
        callbacks: Sequence[Callable[[dict[str, Any]], None]],
    ) -> None:
        self.model, self.args = model, args
        self.info = info = dist_utils.setup(args.device)
        model.to(info.device)
        self.source = as_batch_source(
            train_data,
            batch_size=args.batch_size,
            collate_fn=collate_fn,
            shuffle=args.shuffle,
            drop_last=args.drop_last,
            seed=args.seed,
            rank=info.rank,
            world_size=info.world_size,
            num_workers=args.num_workers,
            pin_memory=info.device.type == "cuda",
        )
        self.total_steps = _total_steps(args, source_length(self.source))
        self.warmup = args.warmup_for(self.total_steps)
        self.optimizer = build_optimizer(model, args)
        self.scaler = torch.amp.GradScaler(info.device.type, enabled=args.mixed_precision == "fp16")
        self.autocast = autocast_for(args, info.device)
        self.out = Path(args.output_dir) if args.output_dir else None
        self.root = self.out / "checkpoints" if self.out else None
        set_seed(args.seed + info.rank)  # one RNG stream per process (dropout); the data order uses its own
        self.resume_from = resolve_resume(args.resume, args.output_dir)
        self.st, self.saved_rng = self._resume() if self.resume_from is not None else (LoopState(), None)
        self.ddp_model = dist_utils.wrap_model(
            model,
            info,
            find_unused_parameters=args.ddp_find_unused_parameters,
            static_graph=args.ddp_static_graph,
        )
        self.report = RunReport(
            args,
            self.out,
            is_main=info.is_main,
            st=self.st,
            resumed=self.resume_from is not None,
            total_steps=self.total_steps,
            callbacks=callbacks,
        )
        self.best_path = read_pointer(self.root, "best") if self.root is not None else None
        self.last_path: Path | None = self.resume_from
        self.stop = False  # a stop request or early stopping ends the loop
        self.requested = False  # a stop request (SIGTERM, Ctrl-C): the run is to be continued

    def _resume(self) -> tuple[LoopState, Any]:
        """Weights, optimizer, scaler and counters from `resume_from`; returns the counters and this
        process's saved RNG states (restored last, just before the first step)."""
        saved = load_training_state(self.resume_from)
        check_resumed_args(saved.get("args", {}), self.args, self.resume_from)
        load_model_weights(self.model, self.resume_from)
        self.optimizer.load_state_dict(saved["optimizer"])
        if saved.get("scaler") and self.scaler.is_enabled():
            self.scaler.load_state_dict(saved["scaler"])
        st = LoopState(**saved["loop"])
        rngs = saved["rng"]
        if len(rngs) != self.info.world_size:
            logger.warning("resuming %d processes from a %d-process checkpoint: data position and RNG streams "
                           "are approximate", self.info.world_size, len(rngs))  # fmt: skip
        logger.info("resumed from %s at step %d (epoch %d, batch %d)", self.resume_from, st.step, st.epoch,
                    st.batch_in_epoch)  # fmt: skip
        return st, rngs[min(self.info.rank, len(rngs) - 1)]

    def save(self, improved: bool) -> None:
        """A checkpoint of everything needed to resume (collective: every rank's RNG streams)."""
        args, st = self.args, self.st
        rngs = dist_utils.all_gather_object(capture_rng_state())
        if self.info.is_main and self.root is not None:
            state = {
                "loop": dataclasses.asdict(st),
                "optimizer": self.optimizer.state_dict(),
                "scaler": self.scaler.state_dict() if self.scaler.is_enabled() else None,
                "rng": rngs,
                "world_size": self.info.world_size,
                "schedule": {
                    "shape": args.schedule,
                    "peak": args.lr,
                    "warmup_steps": self.warmup,
                    "total_steps": self.total_steps,
                },
                "args": args.to_dict(),
            }
            self.last_path = save_checkpoint(
                self.root, st.step, self.model, state, keep_last=args.keep_last, best=self.best_path
            )
            if improved:
                atomic_write_text(self.root / "best", self.last_path.name + "\n")
                self.best_path = self.last_path
        dist_utils.barrier()
        self.last_path = dist_utils.broadcast_object(self.last_path)
        self.best_path = dist_utils.broadcast_object(self.best_path)

    def take(self) -> list[Batch]:
        """The next optimizer step's micro-batches (empty at the end of the epoch)."""
        return [b for _, b in zip(range(self.args.grad_accum_steps), self.it)]

    def _first_window(self) -> list[Batch]:
        """The first step's micro-batches (none if the run is already complete), moving to the next epoch
        when a resumed run stopped exactly at the end of one."""
        st = self.st
        done = st.step >= self.total_steps or (self.epoch_limit is not None and st.epoch >= self.epoch_limit)
        self.it = iter(self.source(st.epoch, st.batch_in_epoch))
        window = [] if done else self.take()
        if not done and not window and st.batch_in_epoch > 0:  # resumed at the very end of an epoch
            st.epoch, st.batch_in_epoch = st.epoch + 1, 0
            done = self.epoch_limit is not None and st.epoch >= self.epoch_limit
            self.it = iter(self.source(st.epoch, 0))
            window = [] if done else self.take()
        if not done and not window:
            raise ValueError(f"the training data yielded no batches in epoch {st.epoch}")
        return window

    def loop(
        self, eval_fn: EvalFn | None, loss_fn: LossFn | None, stop_request: StopRequest | None = None
    ) -> None:
        """Optimizer steps until `total_steps`, the epoch limit, early stopping or a stop request."""
        args, st = self.args, self.st
        self.epoch_limit = args.epochs if args.max_steps is None else None  # max_steps overrides epochs
        window = self._first_window()
        if self.saved_rng is not None:
            restore_rng_state(self.saved_rng)  # last, so nothing above shifts the restored streams
        if st.eval_pending and eval_fn is not None:  # the evaluation the saved step did not get to
            self._evaluate_and_save(eval_fn)  # (evaluating leaves the RNG streams as they were)
            window = [] if self.stop else window
        self.ddp_model.train()
        self.interval = IntervalStats()
        self.started = time.perf_counter() - st.elapsed_s
        while window:
            lr = self._step(window, loss_fn)
            window = self.take()  # look ahead: an empty window means this step ended the epoch
            epoch_end = not window
            if epoch_end:
                st.epoch += 1
                st.batch_in_epoch = 0
            finished = st.step >= self.total_steps or (
                self.epoch_limit is not None and epoch_end and st.epoch >= self.epoch_limit
            )
            eval_due = eval_fn is not None and (
                finished or (st.step % args.eval_every == 0 if args.eval_every else epoch_end)
            )
            save_due = finished or (st.step % args.save_every == 0 if args.save_every else epoch_end)
            # Every rank stops at the same step: a signal may reach them a step apart, and a rank that
            # checkpointed (a collective) while another trained on would leave both waiting forever.
            requested = dist_utils.any_process(
                stop_request is not None and stop_request.requested, self.info.device
            )
            save_due = save_due or requested  # a stop request logs and checkpoints this step
            st.elapsed_s = time.perf_counter() - self.started
            if st.step % args.log_every == 0 or eval_due or save_due:
                self._log(lr)
            if requested:  # checkpoint now, evaluate on resume: a dev pass can outlast a grace period
                st.eval_pending, eval_due, self.stop, self.requested = eval_due, False, True, True
                logger.info("stopped on request at step %d", st.step)
            if eval_due and save_due and self.root is not None:
                self._evaluate_and_save(eval_fn)  # type: ignore[arg-type]
            else:
                improved = self._evaluate(eval_fn) if eval_due else False  # type: ignore[arg-type]
                if self.root is not None and (save_due or improved or self.stop):
                    self.save(improved)
            if eval_due or save_due:
                self.interval.since = time.perf_counter()  # keep evaluation/saving time out of tokens/s
            if finished or self.stop:
                break
            if epoch_end:
                self.it = iter(self.source(st.epoch, 0))
                window = self.take()
                if not window:
                    raise ValueError(f"the training data yielded no batches in epoch {st.epoch}")

    def _step(self, window: list[Batch], loss_fn: LossFn | None) -> float:
        """One optimizer step on `window`; returns its learning rate."""
        args, st, info = self.args, self.st, self.info
        loss, tokens = accumulate(
            self.ddp_model, window, info.device, self.autocast, self.scaler, loss_fn, info.world_size > 1
        )
        st.batch_in_epoch += len(window)
        lr = lr_at(
            st.step, peak=args.lr, warmup_steps=self.warmup, total_steps=self.total_steps, shape=args.schedule
        )
        set_lr(self.optimizer, lr)
        self.scaler.unscale_(self.optimizer)
        grad_norm = torch.nn.utils.clip_grad_norm_(self.model.parameters(), args.max_grad_norm or math.inf)
        self.scaler.step(self.optimizer)
        self.scaler.update()
        self.optimizer.zero_grad(set_to_none=True)
        st.step += 1
        self.interval.add(loss, grad_norm, tokens)
        self.report.step_done()
        return lr

    def _log(self, lr: float) -> None:
        """Write the interval's training record; a non-finite loss stops the run."""
        st = self.st
        record = self.interval.flush(
            step=st.step,
            epoch=st.epoch,
            lr=lr,
            tokens_before=st.tokens,
            elapsed_s=st.elapsed_s,
            device=self.info.device,
        )
        st.tokens = record["tokens"]
        self.report.train_record(record, lr)

    def _evaluate_and_save(self, eval_fn: EvalFn) -> None:
        """Checkpoint this step marked `eval_pending`, evaluate, checkpoint it again with the result: a
        preemption (SIGTERM, then SIGKILL after its grace period) during a long pass over the dev set
        loses that pass, not the training before it; the resumed run evaluates first."""
        st = self.st
        if self.root is not None:
            st.eval_pending = True
            self.save(False)
        improved = self._evaluate(eval_fn)
        st.eval_pending = False
        if self.root is not None:
            self.save(improved)

    def _evaluate(self, eval_fn: EvalFn) -> bool:
        """Evaluate, record, track the best metric and early stopping; returns whether it improved."""
        args, st = self.args, self.st
        metrics = evaluate(eval_fn, self.model, self.autocast, self.info)
        self.report.emit({"split": "eval", "step": st.step, "epoch": st.epoch, **metrics})
        if self.info.is_main:
            logger.info("eval at step %d: %s", st.step, ", ".join(f"{k} {v:.4g}" for k, v in metrics.items()))
        improved = track_best(args, st, metrics)
        self.stop = args.early_stopping_patience is not None and st.bad_evals >= args.early_stopping_patience
        if self.stop:
            logger.info(
                "early stopping: no improvement of %s in %d evaluations", args.metric_for_best, st.bad_evals
            )
        return improved


def _total_steps(args: TrainArgs, per_epoch: int | None) -> int:
    """`max_steps` if given (it overrides `epochs`, as in transformers), else epochs x steps per epoch."""
    if args.max_steps is not None:
        return args.max_steps
    if per_epoch is None:
        raise ValueError(f"{flag('epochs')} needs training data of known length; give {flag('max_steps')}")
    total = args.epochs * math.ceil(per_epoch / args.grad_accum_steps)
    if total < 1:
        raise ValueError("the training data is too small for a single optimizer step")
    return total
