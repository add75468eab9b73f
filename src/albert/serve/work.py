"""How much work a request asks of the model, refused (413) before it is queued when over `Limits`.

The size limits (`albert.serve.limits`) count inputs and characters; the work an input causes can be
far larger than its size. A 3.5 kB fill-mask body with 500 [MASK]s and `top_k: 30000` asks for 15 M
decoded sequences; a question-answering context of 96 kB with `max_seq_len: 16, doc_stride: 1` makes
thousands of windows. Such a request held the one model worker for hours, so that every later request
timed out. Here each request is priced before it reaches the model:

* `top_k` of fill-mask and question-answering: at most `max_top_k`;
* fill-mask predictions, [MASK] tokens x top_k summed over the inputs: at most `max_predictions`;
* model sequences that inputs multiply into (question-answering windows, zero-shot candidate labels,
  multiple-choice choices, token-classification `stride` windows), summed: at most `max_sequences`.

Every refusal names the parameter, its value, the limit and the `albert serve` flag that raises it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from albert.serve.limits import Limits, ParsedRequest, RequestError
from albert.tasks.preprocess import tokenize
from albert.tasks.qa_spans import DOC_STRIDE, window_count

TOP_K_TASKS = ("fill-mask", "question-answering")  # where each unit of top_k is work (decoding, merging)


@dataclass
class Cost:
    """The work of one input in some unit, and why, in the request's terms (for the error)."""

    units: int
    why: str


def check_work(pipe: Any, task: str, parsed: ParsedRequest, params: dict[str, Any], limits: Limits) -> None:
    """Raise RequestError(413) when the request asks more work of the model than `limits` allow.
    `params` are the pipeline's validated parameters (`pipe.params(...)`, its defaults included).
    Tokenises the inputs that need it: call it off the event loop."""
    top_k = params.get("top_k")
    if task in TOP_K_TASKS and isinstance(top_k, int) and top_k > limits.max_top_k:
        raise RequestError(
            413,
            f'"parameters": top_k is {top_k}; this server returns at most {limits.max_top_k} answers per input '
            "(albert serve --max-top-k)",
        )
    if task == "fill-mask":
        costs = [_cost(_predictions, pipe, item, params) for item in parsed.items]
        _within(parsed, costs, limits.max_predictions, "fill-mask predictions", "--max-predictions",
                "lower top_k or send fewer [MASK] tokens")  # fmt: skip
    elif (count := SEQUENCES.get(task)) is not None:
        costs = [_cost(count, pipe, item, params) for item in parsed.items]
        _within(parsed, costs, limits.max_sequences, "model sequences", "--max-sequences", FIXES[task])


def _cost(
    count: Callable[[Any, Any, dict[str, Any]], Cost], pipe: Any, item: Any, params: dict[str, Any]
) -> Cost:
    """`count(pipe, item, params)`; nothing for an input the tokenizer refuses: the pipeline then answers
    it with a 422 naming the problem, which a failure here would turn into a 500."""
    try:
        return count(pipe, item, params)
    except (ValueError, TypeError, KeyError):
        return Cost(0, "")


def _within(parsed: ParsedRequest, costs: list[Cost], limit: int, unit: str, flag: str, fix: str) -> None:
    """413 when the inputs' costs add up to more than `limit` `unit`; the message shows the costliest."""
    total = sum(c.units for c in costs)
    if total <= limit:
        return
    worst = max(range(len(costs)), key=lambda i: costs[i].units)
    where = '"inputs"' if parsed.single else f'"inputs"[{worst}]'
    others = "" if len(costs) == 1 else f", the most of its {len(costs)} inputs"
    raise RequestError(
        413,
        f"the request needs {total} {unit} ({where}: {costs[worst].why}{others}); this server runs at most "
        f"{limit} per request (albert serve {flag}); {fix}",
    )


# ----- what one input costs, per task; an input the pipeline will reject costs nothing here ----------


def _predictions(pipe: Any, item: Any, params: dict[str, Any]) -> Cost:
    """fill-mask: one prediction (a decoded sequence) per [MASK] token and proposal."""
    text = item.get("text") if isinstance(item, dict) else item
    if not isinstance(text, str):
        return Cost(0, "")
    ids = pipe.tokenizer(text, **pipe.truncation_kwargs(params))["input_ids"]  # as the pipeline reads it
    masks = sum(1 for t in ids if t == pipe.tokenizer.mask_token_id)
    targets = params.get("target_ids")
    top_k = params.get("top_k", 5)  # the pipeline's default
    proposals = min(top_k, len(targets) if targets is not None else pipe.model.config.vocab_size)
    each = f"top_k {top_k}" if proposals == top_k else f"{proposals} targets"
    return Cost(masks * proposals, f"{masks} [MASK] tokens x {each}")


def _qa_windows(pipe: Any, item: Any, params: dict[str, Any]) -> Cost:
    """question-answering: one model sequence per window of the context (the pipeline's windows)."""
    if not isinstance(item, dict) or not all(isinstance(item.get(k), str) for k in ("question", "context")):
        return Cost(0, "")
    # The pipeline's defaults (QuestionAnsweringPipeline.preprocess); tests/serve check the counts match.
    max_seq_len = params.get("max_seq_len") or min(384, pipe.max_length)
    stride = params.get("doc_stride", min(max_seq_len // 2, DOC_STRIDE))
    (question, context), _ = tokenize(pipe.tokenizer, [item["question"], item["context"]])
    room = max_seq_len - len(question) - 3
    try:
        windows = window_count(len(context), room, stride) if room >= 1 and stride <= max_seq_len else 1
    except ValueError:  # the pipeline refuses these settings, with its own message
        windows = 1
    return Cost(
        windows,
        f"a context of {len(context)} tokens in windows of max_seq_len {max_seq_len} overlapping by "
        f"doc_stride {stride} makes {windows} windows",
    )


def _labels(pipe: Any, item: Any, params: dict[str, Any]) -> Cost:
    """zero-shot-classification: one model sequence (text, hypothesis) per candidate label."""
    labels = params.get("candidate_labels") or []
    return Cost(len(labels), f"{len(labels)} candidate_labels, one model sequence each")


def _choices(pipe: Any, item: Any, params: dict[str, Any]) -> Cost:
    """multiple-choice: one model sequence per choice."""
    choices = item.get("choices") if isinstance(item, dict) else None
    count = len(choices) if isinstance(choices, list) else 0
    return Cost(count, f'{count} "choices", one model sequence each')


def _ner_windows(pipe: Any, item: Any, params: dict[str, Any]) -> Cost:
    """token-classification: one model sequence per input, or per window with `stride`."""
    stride = params.get("stride")
    if stride is None:
        return Cost(1, "one model sequence")
    text = item.get("text") if isinstance(item, dict) else item
    texts = [w for w in text if isinstance(w, str)] if isinstance(text, list) else [text]
    if not all(isinstance(t, str) for t in texts):
        return Cost(0, "")
    tokens = sum(len(ids) for ids in tokenize(pipe.tokenizer, texts)[0]) if texts else 0
    room = pipe.max_length - 2  # [CLS] window [SEP]; stride < room (the pipeline checks it)
    windows = window_count(tokens, room, stride)
    return Cost(
        windows, f"about {tokens} tokens in windows of {pipe.max_length} overlapping by stride {stride}"
    )


SEQUENCES: dict[str, Callable[[Any, Any, dict[str, Any]], Cost]] = {
    "question-answering": _qa_windows,
    "zero-shot-classification": _labels,
    "multiple-choice": _choices,
    "token-classification": _ner_windows,
}
FIXES = {
    "question-answering": "raise max_seq_len, lower doc_stride, or send shorter contexts or fewer inputs",
    "zero-shot-classification": "send fewer candidate_labels or fewer inputs",
    "multiple-choice": "send fewer choices or fewer inputs",
    "token-classification": "lower stride (less overlap: fewer windows), or send shorter texts or fewer inputs",
}
