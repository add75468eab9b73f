"""`TrainArgs`: every knob of the shared training loop, as one dataclass whose attribute docstrings are the help.

Used by pretraining and fine-tuning alike; the entry points pick their own defaults (e.g. LAMB with the
original schedule for pretraining). Validation errors name the command-line flag (`--grad-accum-steps`),
which is the field name with dashes. Not in here: model or data options.
"""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass
from typing import Any, Literal

OPTIMIZERS = ("lamb", "adamw")
SCHEDULES = ("original", "linear", "constant")
PRECISIONS = ("no", "bf16", "fp16")
# Two ways to say one thing: a source (config file, command line) that gives one replaces the other's
# value from the sources below it (`albert.cli_options.overlay`).
EXCLUSIVE = (("warmup_steps", "warmup_ratio"),)

logger = logging.getLogger(__name__)


def flag(name: str) -> str:
    """The command-line spelling of a field: `grad_accum_steps` -> `--grad-accum-steps`."""
    return "--" + name.replace("_", "-")


@dataclass(kw_only=True)
class TrainArgs:
    """Options of `albert.training.train` (one optimizer step = `grad_accum_steps` micro-batches per process)."""

    output_dir: str | None = None
    """Directory for checkpoints, `metrics.jsonl` and `curves.png`; None writes nothing (tests, dry runs)."""
    seed: int = 42
    """Seed of the data order and of the training RNG streams (each process adds its rank)."""
    device: str | None = None
    """`cpu`, `cuda`, `cuda:1`, ...; None picks `cuda:<LOCAL_RANK>` when CUDA is available, else `cpu`."""

    # Data.
    batch_size: int = 32
    """Micro-batch size per process. Global batch = batch_size x grad_accum_steps x world size."""
    grad_accum_steps: int = 1
    """Micro-batches whose gradients are summed (averaged) into one optimizer step."""
    num_workers: int = 0
    """DataLoader worker processes when the loop batches a Dataset itself."""
    shuffle: bool = True
    """Shuffle a map-style Dataset with a permutation seeded by (seed, epoch)."""
    drop_last: bool = False
    """Drop the last incomplete micro-batch of each epoch when the loop batches a Dataset itself."""

    # Length.
    max_steps: int | None = None
    """Number of optimizer steps; overrides `epochs` when given (as in transformers), cycling over the data."""
    epochs: int | None = None
    """Number of passes over the training data, used when `max_steps` is not given (needs data of known
    length)."""

    # Optimizer and schedule.
    optimizer: Literal["lamb", "adamw"] = "adamw"
    """`lamb` (the original ALBERT pretraining optimizer) or `adamw`."""
    lr: float = 5e-5
    """Peak learning rate."""
    weight_decay: float = 0.01
    """Decoupled weight decay; never applied to LayerNorm weights or biases."""
    adam_beta1: float = 0.9
    """Decay of the first moment."""
    adam_beta2: float = 0.999
    """Decay of the second moment."""
    adam_epsilon: float = 1e-6
    """Added to sqrt(v) in the denominator (1e-6 as in the original; PyTorch's default is 1e-8)."""
    bias_correction: bool | None = None
    """Adam bias correction; None = the optimizer's usual choice (LAMB: off, as in Google's code; AdamW: on,
    as in PyTorch). `--optimizer adamw --no-bias-correction` reproduces the original TF AdamW exactly."""
    max_grad_norm: float | None = 1.0
    """Clip the global gradient norm to this value before the optimizer step; None disables clipping."""
    lr_schedule: Literal["original", "linear", "constant"] | None = None
    """Shape after warmup: `original` decays linearly from step 0 (a small drop at the end of warmup, as in
    Google's code), `linear` decays continuously from the peak, `constant` stays at the peak.
    None = `original` for LAMB and `linear` for AdamW."""
    warmup_steps: int | None = None
    """Linear warmup length in optimizer steps (exclusive with `warmup_ratio`)."""
    warmup_ratio: float | None = None
    """Warmup as a fraction of the total steps (exclusive with `warmup_steps`); no warmup if both are None."""

    # Precision.
    mixed_precision: Literal["no", "bf16", "fp16"] = "no"
    """Autocast dtype: `bf16` (CPU and recent GPUs) or `fp16` (with a gradient scaler); weights and optimizer
    state stay fp32."""

    # Evaluation, checkpoints, logging.
    eval_every: int | None = None
    """Evaluate every N optimizer steps; None evaluates at the end of every epoch. Always at the end."""
    save_every: int | None = None
    """Checkpoint every N optimizer steps; None checkpoints at the end of every epoch. Always at the end."""
    keep_last: int = 3
    """Number of most recent checkpoints kept (the best one is kept in addition)."""
    log_every: int = 10
    """Log the mean training loss, learning rate, gradient norm and tokens/s every N optimizer steps."""
    metric_for_best: str | None = None
    """Key of the evaluation metrics that selects the best checkpoint, e.g. `loss` or `accuracy`."""
    greater_is_better: bool | None = None
    """Direction of `metric_for_best`; None = lower is better if its name contains `loss`, else higher."""
    early_stopping_patience: int | None = None
    """Stop after this many evaluations without improvement of `metric_for_best`."""
    resume: str | None = None
    """Resume from a checkpoint: a checkpoint directory, `latest` (the last one in output_dir; an error if
    there is none) or `auto` (the last one if any, else start fresh)."""
    progress_bar: bool = True
    """Show a progress bar on stderr (only on rank 0 and only when stderr is a terminal)."""
    plot: bool = True
    """Write `curves.png` (loss and metric curves) at the end; needs matplotlib (`pip install albert-lite[plot]`)."""

    # Distributed.
    ddp_find_unused_parameters: bool = False
    """Let DDP tolerate parameters that get no gradient (e.g. a head whose loss is not computed)."""
    ddp_static_graph: bool = False
    """Tell DDP the set of used parameters never changes (needed with reentrant activation checkpointing)."""

    def __post_init__(self) -> None:
        def check(ok: bool, name: str, message: str) -> None:
            if not ok:
                raise ValueError(f"{flag(name)}: {message}, got {getattr(self, name)!r}")

        for name in ("batch_size", "grad_accum_steps", "keep_last", "log_every"):
            check(_is_int(getattr(self, name)) and getattr(self, name) >= 1, name, "must be an integer >= 1")
        for name in ("max_steps", "epochs", "eval_every", "save_every", "early_stopping_patience"):
            value = getattr(self, name)
            check(value is None or (_is_int(value) and value >= 1), name, "must be an integer >= 1")
        check(_is_int(self.num_workers) and self.num_workers >= 0, "num_workers", "must be an integer >= 0")
        if self.max_steps is None and self.epochs is None:
            raise ValueError(f"give {flag('max_steps')} or {flag('epochs')} (or both)")
        check(self.optimizer in OPTIMIZERS, "optimizer", f"must be one of {', '.join(OPTIMIZERS)}")
        check(
            self.lr_schedule is None or self.lr_schedule in SCHEDULES,
            "lr_schedule",
            f"must be one of {', '.join(SCHEDULES)}",
        )
        check(
            self.mixed_precision in PRECISIONS, "mixed_precision", f"must be one of {', '.join(PRECISIONS)}"
        )
        check(_is_num(self.lr) and self.lr > 0, "lr", "must be a number > 0")
        check(_is_num(self.weight_decay) and self.weight_decay >= 0, "weight_decay", "must be a number >= 0")
        for name in ("adam_beta1", "adam_beta2"):
            check(_is_num(getattr(self, name)) and 0 <= getattr(self, name) < 1, name, "must be in [0, 1)")
        check(_is_num(self.adam_epsilon) and self.adam_epsilon > 0, "adam_epsilon", "must be a number > 0")
        check(
            self.max_grad_norm is None or (_is_num(self.max_grad_norm) and self.max_grad_norm > 0),
            "max_grad_norm",
            "must be a number > 0 (or None to disable clipping)",
        )
        if self.warmup_steps is not None and self.warmup_ratio is not None:
            raise ValueError(f"give {flag('warmup_steps')} or {flag('warmup_ratio')}, not both")
        check(
            self.warmup_steps is None or (_is_int(self.warmup_steps) and self.warmup_steps >= 0),
            "warmup_steps",
            "must be an integer >= 0",
        )
        check(
            self.warmup_ratio is None or (_is_num(self.warmup_ratio) and 0 <= self.warmup_ratio < 1),
            "warmup_ratio",
            "must be in [0, 1)",
        )
        if self.early_stopping_patience is not None and self.metric_for_best is None:
            raise ValueError(f"{flag('early_stopping_patience')} needs {flag('metric_for_best')}")
        check(
            self.resume is None or (isinstance(self.resume, str) and self.resume != ""),
            "resume",
            "must be a checkpoint directory, 'latest' or 'auto'",
        )
        if self.resume in ("latest", "auto") and self.output_dir is None:
            raise ValueError(f"{flag('resume')} {self.resume} needs {flag('output_dir')}")

    @property
    def schedule(self) -> str:
        """The effective schedule shape (resolves None by optimizer)."""
        if self.lr_schedule is not None:
            return self.lr_schedule
        return "original" if self.optimizer == "lamb" else "linear"

    @property
    def use_bias_correction(self) -> bool:
        """The effective bias-correction choice (resolves None by optimizer)."""
        return self.optimizer == "adamw" if self.bias_correction is None else self.bias_correction

    def warmup_for(self, total_steps: int) -> int:
        """Warmup length in steps for a run of `total_steps` optimizer steps (a warning when the warmup
        outlasts the run: the learning rate would never reach its peak)."""
        if self.warmup_steps is None:
            return round((self.warmup_ratio or 0.0) * total_steps)
        if self.warmup_steps > total_steps:
            logger.warning(
                "%s %d is longer than the run (%d steps): the learning rate never reaches %s %g; lower %s "
                "(or give %s instead)", flag("warmup_steps"), self.warmup_steps, total_steps, flag("lr"), self.lr,
                flag("warmup_steps"), flag("warmup_ratio"),
            )  # fmt: skip
        return self.warmup_steps

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-compatible dict (written to `train_args.json` and into checkpoints)."""
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> TrainArgs:
        """Inverse of `to_dict`; unknown keys are an error naming the key."""
        names = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(values) - names)
        if unknown:
            raise ValueError(f"unknown training option(s): {', '.join(flag(k) for k in unknown)}")
        return cls(**values)


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_num(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


# What a resumed run must share with its checkpoint: the data order (seed, batch size, ...: the saved
# position counts batches of the saved size in the saved permutation) and the optimizer, whose saved
# state carries its own settings. The number of steps, the learning rate, evaluation and saving may change.
RESUME_FIXED = ("seed", "batch_size", "grad_accum_steps", "shuffle", "drop_last", "optimizer", "weight_decay",
                "adam_beta1", "adam_beta2", "adam_epsilon", "bias_correction")  # fmt: skip


def check_resumed_args(saved: dict[str, Any], args: TrainArgs, checkpoint: Any) -> None:
    """Refuse (ValueError) to continue `checkpoint` with other RESUME_FIXED options than it was trained
    with: some crashed deep inside the optimizer, others silently skipped or repeated examples."""
    changed = [
        f"{flag(name)} {saved[name]!r} -> {getattr(args, name)!r}"
        for name in RESUME_FIXED
        if name in saved and saved[name] != getattr(args, name)
    ]
    if changed:
        raise ValueError(
            f"--resume {checkpoint}: that run was trained with other settings ({'; '.join(changed)}); resume "
            "with the same ones, or start a new run (it may start from the checkpoint's weights)"
        )
