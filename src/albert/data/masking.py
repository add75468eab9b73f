"""Whole-word n-gram masking for masked language modelling, as in ALBERT's original recipe (§2.2 "Masking").

Pure functions: the output depends only on the arguments, and all randomness comes from an explicit
`numpy.random.Generator`. The original drew the n-gram length from NumPy's *global* RNG (recipe quirk 2),
so its output was not reproducible from its seed; here one generator drives every draw. The whole data
package uses `numpy.random.Generator` rather than `torch.Generator`: the data are numpy memory maps, and
`np.random.default_rng([seed, epoch, index])` derives an independent stream per example cheaply.

Deliberate differences from the original, both fixes of edge cases: a word unit never straddles a
special token (see `word_units`), and near the end of a sequence n is drawn only among spans that fit
(the original sliced past the end, so a "3-gram" at the last unit was silently a 1-gram).

Notation: T tokens in one unpadded sequence, U word units in it, V vocabulary size.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

IGNORE_INDEX = -100  # label of positions that are not predicted (Hugging Face / PyTorch convention)


@dataclass(frozen=True, eq=False)
class MaskingSpec:
    """The vocabulary facts and recipe numbers n-gram masking needs.

    Attributes:
        word_start: (V,) bool, whether each piece starts a word (`Vocabulary.word_start_table()`).
        special_ids: ids never chosen for masking ([CLS], [SEP], [MASK], padding).
        mask_token_id: id of [MASK].
        masked_lm_prob: target fraction of tokens to predict (0.15).
        max_predictions_per_seq: cap on predictions per sequence (20 in the original recipe).
        max_ngram: longest span in word units (3).
        favor_shorter_ngram: p(n) ∝ 1/n if True (the recipe), ∝ n otherwise.
        mask_prob: share of chosen tokens replaced by [MASK] (0.8).
        random_prob: share replaced by a random id drawn from the whole vocabulary (0.1); the rest are kept.
    """

    word_start: np.ndarray
    special_ids: tuple[int, ...]
    mask_token_id: int
    masked_lm_prob: float = 0.15
    max_predictions_per_seq: int = 20
    max_ngram: int = 3
    favor_shorter_ngram: bool = True
    mask_prob: float = 0.8
    random_prob: float = 0.1

    def __post_init__(self) -> None:
        if self.word_start.ndim != 1 or self.word_start.dtype != bool:
            raise ValueError(f"word_start must be a 1-D bool array, got {self.word_start.dtype}")
        if not 0.0 < self.masked_lm_prob <= 1.0:
            raise ValueError(f"masked_lm_prob={self.masked_lm_prob} must be in (0, 1]")
        if self.max_predictions_per_seq < 1 or self.max_ngram < 1:
            raise ValueError("max_predictions_per_seq and max_ngram must be >= 1")
        if self.mask_prob < 0 or self.random_prob < 0 or self.mask_prob + self.random_prob > 1:
            raise ValueError(
                f"mask_prob={self.mask_prob} and random_prob={self.random_prob} must sum to <= 1"
            )
        token_class = np.where(self.word_start, 1, 2).astype(np.uint8)
        token_class[list(self.special_ids)] = 0
        # Cached lookup tables (a frozen dataclass needs object.__setattr__).
        object.__setattr__(self, "_token_class", token_class)
        object.__setattr__(self, "_ngram_cdfs", _ngram_cdfs(self.max_ngram, self.favor_shorter_ngram))

    @property
    def vocab_size(self) -> int:
        return len(self.word_start)

    def num_to_predict(self, num_tokens: int) -> int:
        """Prediction budget for a sequence of `num_tokens` tokens, specials included (as the original).

        Python's `round` (half to even) matches the original's rounding.
        """
        return min(self.max_predictions_per_seq, max(1, round(num_tokens * self.masked_lm_prob)))


def _ngram_cdfs(max_ngram: int, favor_shorter: bool) -> list[list[float]]:
    """cdfs[k] is the cumulative distribution of n over 1..k+1, renormalised over those k+1 lengths.

    Plain floats (the greedy loop is scalar Python) with the last entry exactly 1.0.
    """
    weights = 1.0 / np.arange(1, max_ngram + 1)
    if not favor_shorter:
        weights = weights[::-1]
    cdfs = [np.cumsum(weights[: k + 1] / weights[: k + 1].sum()).tolist() for k in range(max_ngram)]
    for cdf in cdfs:
        cdf[-1] = 1.0
    return cdfs


def word_units(input_ids: np.ndarray, spec: MaskingSpec) -> tuple[np.ndarray, np.ndarray]:
    """Split a sequence into whole-word units, leaving special tokens out.

    A non-special token starts a unit if its piece starts a word or if it follows a special token. The
    latter differs from the original, which glued a continuation piece after [SEP] onto the last word
    before it; here a unit never straddles a special token.

    Args:
        input_ids: (T,) token ids of one unpadded sequence.
    Returns:
        `(starts, ends)`, each (U,) int64: unit u covers tokens `starts[u]:ends[u]`.
    """
    token_class = spec._token_class[np.asarray(input_ids)]  # (T,) 0 special, 1 word start, 2 continuation
    if len(token_class) == 0:
        return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64)
    special = token_class == 0
    is_start = token_class == 1
    is_start[0] |= token_class[0] == 2
    is_start[1:] |= (token_class[1:] == 2) & special[:-1]
    # A unit ends at the next unit start or the next special token, whichever comes first.
    boundaries = np.flatnonzero(is_start | special)
    unit_at = is_start[boundaries]
    starts = boundaries[unit_at]
    ends = np.append(boundaries[1:], len(token_class))[unit_at]
    return starts, ends


def choose_masked_spans(
    unit_lengths: np.ndarray | list[int],
    num_to_predict: int,
    spec: MaskingSpec,
    generator: np.random.Generator,
) -> list[tuple[int, int]]:
    """Choose spans of word units to mask with the recipe's greedy n-gram procedure.

    For each unit start, in a shuffled order, until the budget is reached: draw n with p(n) ∝ 1/n
    renormalised over the spans that fit before the sequence ends; fall back to shorter n while the span
    would overshoot the remaining budget (skip if even n = 1 does); skip the span if any of its units is
    already masked (no retry). So the masked count can end below the budget, as in the original.

    Args:
        unit_lengths: (U,) number of tokens in each unit.
        num_to_predict: token budget.
    Returns:
        `(first_unit, num_units)` of each chosen span, in the order chosen.
    """
    num_units = len(unit_lengths)
    if num_units == 0:
        return []
    # Two vectorised draws per sequence; the loop below is scalar Python because it usually stops after
    # about `num_to_predict` visits, far fewer than U, and numpy calls cost more than that per element.
    order = generator.permutation(num_units).tolist()
    uniforms = generator.random(num_units).tolist()  # the i-th visited start draws its n from uniforms[i]
    cumulative = [0, *np.cumsum(unit_lengths).tolist()]
    cdfs, max_ngram = spec._ngram_cdfs, spec.max_ngram
    covered = [False] * num_units
    spans: list[tuple[int, int]] = []
    count = 0
    for start, u in zip(order, uniforms):
        if count >= num_to_predict:
            break
        cdf = cdfs[min(max_ngram, num_units - start) - 1]  # only spans that fit before the end
        n = 1
        while u >= cdf[n - 1]:
            n += 1
        while n > 0 and count + cumulative[start + n] - cumulative[start] > num_to_predict:
            n -= 1
        if n == 0 or any(covered[start : start + n]):
            continue
        covered[start : start + n] = [True] * n
        count += cumulative[start + n] - cumulative[start]
        spans.append((start, n))
    return spans


def mask_tokens(
    input_ids: np.ndarray, spec: MaskingSpec, generator: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Apply whole-word n-gram masking with 80/10/10 replacement to one unpadded sequence.

    Args:
        input_ids: (T,) token ids, e.g. `[CLS] A [SEP] B [SEP]`, without padding (the budget counts all T).
        spec: vocabulary facts and recipe numbers.
        generator: the only source of randomness.
    Returns:
        `(masked_ids, labels)`, each (T,) int64. `labels` holds the original id at every chosen position
        and `IGNORE_INDEX` elsewhere. A chosen token becomes [MASK] with `mask_prob`, a random id from the
        whole vocabulary (specials included, as in the original) with `random_prob`, else stays itself.
    """
    ids = np.asarray(input_ids, dtype=np.int64)
    starts, ends = word_units(ids, spec)
    spans = choose_masked_spans(ends - starts, spec.num_to_predict(len(ids)), spec, generator)
    starts_list, ends_list = starts.tolist(), ends.tolist()
    chosen = [k for first, n in spans for k in range(first, first + n)]
    # Units are disjoint, so sorting the units sorts the positions.
    positions = np.fromiter(
        (p for k in sorted(chosen) for p in range(starts_list[k], ends_list[k])), dtype=np.int64
    )
    labels = np.full_like(ids, IGNORE_INDEX)
    labels[positions] = ids[positions]
    draw = generator.random(len(positions))
    random_ids = generator.integers(0, spec.vocab_size, len(positions))  # drawn for all: one call
    masked = ids.copy()
    masked[positions] = np.where(
        draw < spec.mask_prob,
        spec.mask_token_id,
        np.where(draw < spec.mask_prob + spec.random_prob, random_ids, ids[positions]),
    )
    return masked, labels
