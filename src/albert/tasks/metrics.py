"""Task metrics, as fractions (accuracy 0.93, not 93): scikit-learn for accuracy / F1 / Matthews
correlation, SciPy for Pearson / Spearman, seqeval for entity-level F1 (conlleval rules), and SQuAD exact
match / F1 with the official v1.1 answer normalisation, which is short and has no maintained package.
"""

from __future__ import annotations

import logging
import re
import string
from collections import Counter
from collections.abc import Sequence

import numpy as np

logger = logging.getLogger(__name__)


# The keys each metric function returns (tests check that they do): what `--metric-for-best` may name.
CLASSIFICATION = ("accuracy", "f1", "matthews_correlation")
MULTI_LABEL = ("accuracy", "f1", "f1_macro")
REGRESSION = ("pearson", "spearman", "mse")
NER = ("precision", "recall", "f1", "accuracy")
MULTIPLE_CHOICE = ("accuracy",)
SQUAD = ("exact_match", "f1")


def classification_metrics(
    predictions: Sequence[int], labels: Sequence[int], num_labels: int
) -> dict[str, float]:
    """accuracy, f1 (binary with class 1 positive, as GLUE's MRPC; macro average for > 2 classes) and
    matthews_correlation (CoLA's metric)."""
    from sklearn.metrics import accuracy_score, f1_score, matthews_corrcoef

    if len(set(predictions)) == 1 and len(set(labels)) > 1:
        # A run still on the chance plateau scores the majority share and looks merely weak; say why.
        logger.warning(
            "all %d predictions are label %s: the classifier does not tell the classes apart yet (its "
            "accuracy is that label's share); train longer, or with another learning rate or seed",
            len(predictions), predictions[0],
        )  # fmt: skip
    average = "binary" if num_labels == 2 else "macro"
    return {
        "accuracy": float(accuracy_score(labels, predictions)),
        "f1": float(
            f1_score(labels, predictions, average=average, labels=range(num_labels), zero_division=0)
        ),
        "matthews_correlation": float(matthews_corrcoef(labels, predictions)),
    }


def multi_label_metrics(predictions: np.ndarray, labels: np.ndarray) -> dict[str, float]:
    """For (N, L) 0/1 arrays: accuracy (all labels of an example right), micro and macro F1."""
    from sklearn.metrics import accuracy_score, f1_score

    return {
        "accuracy": float(accuracy_score(labels, predictions)),
        "f1": float(f1_score(labels, predictions, average="micro", zero_division=0)),
        "f1_macro": float(f1_score(labels, predictions, average="macro", zero_division=0)),
    }


def regression_metrics(predictions: Sequence[float], labels: Sequence[float]) -> dict[str, float]:
    """pearson, spearman (STS-B's metrics) and mse. A constant prediction has no defined correlation;
    it scores 0 rather than NaN so that best-checkpoint selection can compare it."""
    from scipy.stats import pearsonr, spearmanr

    x, y = np.asarray(predictions, dtype=float), np.asarray(labels, dtype=float)
    constant = len(x) < 2 or np.ptp(x) == 0 or np.ptp(y) == 0
    return {
        "pearson": 0.0 if constant else float(pearsonr(x, y)[0]),
        "spearman": 0.0 if constant else float(spearmanr(x, y)[0]),
        "mse": float(np.mean((x - y) ** 2)),
    }


def ner_metrics(predictions: Sequence[Sequence[str]], labels: Sequence[Sequence[str]]) -> dict[str, float]:
    """Entity-level precision / recall / f1 (seqeval's default, conlleval-compatible) and tag accuracy."""
    from seqeval.metrics import accuracy_score, f1_score, precision_score, recall_score

    y_true, y_pred = [list(x) for x in labels], [list(x) for x in predictions]
    return {
        "precision": float(precision_score(y_true, y_pred, zero_division=0)),
        "recall": float(recall_score(y_true, y_pred, zero_division=0)),
        "f1": float(f1_score(y_true, y_pred, zero_division=0)),
        "accuracy": float(accuracy_score(y_true, y_pred)),
    }


def multiple_choice_metrics(predictions: Sequence[int], labels: Sequence[int]) -> dict[str, float]:
    """accuracy (the metric of RACE, DREAM and CommonsenseQA)."""
    p, y = np.asarray(predictions), np.asarray(labels)
    return {"accuracy": float((p == y).mean()) if len(y) else 0.0}


# ----- SQuAD -----------------------------------------------------------------------------------------

_PUNCTUATION = set(string.punctuation)
_ARTICLES = re.compile(r"\b(a|an|the)\b")


def normalize_answer(text: str) -> str:
    """The official SQuAD v1.1 normalisation: lower case, drop punctuation, drop the articles a/an/the,
    collapse whitespace (in this order)."""
    text = "".join(ch for ch in text.lower() if ch not in _PUNCTUATION)
    return " ".join(_ARTICLES.sub(" ", text).split())


def squad_f1(prediction: str, truth: str) -> float:
    """Token-overlap F1 of the normalised strings (bag of words)."""
    pred, gold = normalize_answer(prediction).split(), normalize_answer(truth).split()
    same = sum((Counter(pred) & Counter(gold)).values())
    if same == 0:
        return 0.0
    precision, recall = same / len(pred), same / len(gold)
    return 2 * precision * recall / (precision + recall)


def squad_exact_match(prediction: str, truth: str) -> float:
    return float(normalize_answer(prediction) == normalize_answer(truth))


def squad_metrics(predictions: Sequence[str], references: Sequence[Sequence[str]]) -> dict[str, float]:
    """exact_match and f1 averaged over questions, each the best over that question's gold answers."""
    if len(predictions) != len(references):
        raise ValueError(f"{len(predictions)} predictions for {len(references)} questions")
    if not predictions:
        return {"exact_match": 0.0, "f1": 0.0}
    em = [max(squad_exact_match(p, t) for t in refs) for p, refs in zip(predictions, references)]
    f1 = [max(squad_f1(p, t) for t in refs) for p, refs in zip(predictions, references)]
    return {"exact_match": float(np.mean(em)), "f1": float(np.mean(f1))}
