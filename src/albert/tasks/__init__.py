"""Fine-tuning tasks: readers for the usual file formats, preprocessing, metrics and evaluation.

    >>> from albert.tasks import TASKS, evaluate
    >>> sorted(TASKS)
    ['multiple-choice', 'question-answering', 'regression', 'text-classification', 'token-classification']

Training itself is `albert.training.finetune.finetune`, which runs the shared training loop.
"""

from albert.tasks.evaluation import add_evaluate_arguments, evaluate, run_evaluate
from albert.tasks.examples import (
    Answer,
    ChoiceExample,
    ClassificationExample,
    DataError,
    QAExample,
    TokenExample,
)
from albert.tasks.task import TASKS, DataOptions, Task, get_task

__all__ = [
    "TASKS",
    "Answer",
    "ChoiceExample",
    "ClassificationExample",
    "DataError",
    "DataOptions",
    "QAExample",
    "Task",
    "TokenExample",
    "add_evaluate_arguments",
    "evaluate",
    "get_task",
    "run_evaluate",
]
