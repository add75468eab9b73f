"""Training: the shared loop (`train`), its options (`TrainArgs`), LAMB/AdamW and the learning-rate schedule.

The pretraining and fine-tuning entry points are thin wiring around `train`. The data protocol it accepts
is described in `albert.training.batches`, the checkpoint layout in `albert.training.state`, multi-process
runs (torchrun) in `albert.training.distributed`.
"""

from albert.training.batches import BatchSource, ShardedBatches
from albert.training.loop import TrainResult, set_seed, train
from albert.training.optim import Lamb, build_optimizer, lr_at, param_groups
from albert.training.state import LoopState, latest_checkpoint, load_training_state
from albert.training.train_args import TrainArgs

__all__ = [
    "BatchSource",
    "Lamb",
    "LoopState",
    "ShardedBatches",
    "TrainArgs",
    "TrainResult",
    "build_optimizer",
    "latest_checkpoint",
    "load_training_state",
    "lr_at",
    "param_groups",
    "set_seed",
    "train",
]
