"""What a request may be, and how a bad one is answered: `Limits` and `parse_request`.

A request body is `{"inputs": X, "parameters": {...}}` where X is one input or a non-empty list of
inputs. A string input is read as `albert run` reads a line (`parse_input`, e.g. `albert.cli.parse_line`:
text, or a JSON object when it starts with "{"); a JSON object input is used as it is. Token
classification with `"is_split_into_words": true` reads pre-split words instead, as the pipeline does: a
list of strings is one input, a list of such lists several. Every problem
raises `RequestError(status, message)`, which the app answers as `{"error": message}`.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

# Parameters that would make an answer that is not JSON (feature-extraction's torch tensors).
NOT_OVER_HTTP = ("return_tensors",)

# Arrays/objects inside each other in a body. A request needs 4 (body, inputs, a list of words, ...);
# a deeper one is refused before anything recurses over it (json.loads and our checks would hit
# Python's recursion limit, a RecursionError, at about 1000).
MAX_JSON_DEPTH = 32


@dataclass(frozen=True)
class Limits:
    """Bounds of one server (the CLI options of `albert serve` of the same names)."""

    max_batch_size: int = 32  # inputs per forward pass of the model worker
    max_wait_ms: float = 5.0  # how long the worker waits for more requests before a partial batch
    max_queue: int = 256  # inputs waiting for the worker; beyond: 429
    max_items: int = 64  # inputs per request; beyond: 413
    max_body_bytes: int = 1_000_000  # request body; beyond: 413
    max_input_chars: int = 100_000  # characters of all the strings of one input; beyond: 413
    max_input_tokens: int | None = (
        None  # tokens of all the texts of one input; beyond: 413 (None: the model's)
    )
    timeout_s: float = 30.0  # from arrival to answer; beyond: 503 and the input leaves the queue
    # The work a request asks of the model (albert.serve.work), which its size does not bound:
    max_top_k: int = 100  # top_k of fill-mask and question-answering; beyond: 413
    max_predictions: int = 2000  # fill-mask: [MASK] tokens x top_k, all inputs together; beyond: 413
    max_sequences: int = 512  # QA windows, zero-shot labels, choices, ner windows per request; beyond: 413

    def __post_init__(self) -> None:
        positive = ("max_batch_size", "max_queue", "max_items", "max_body_bytes", "max_input_chars")
        for name in (*positive, "max_top_k", "max_predictions", "max_sequences"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be >= 1, got {getattr(self, name)}")
        if self.max_input_tokens is not None and self.max_input_tokens < 1:
            raise ValueError(f"max_input_tokens must be >= 1 (or None), got {self.max_input_tokens}")
        if self.max_wait_ms < 0:
            raise ValueError(f"max_wait_ms must be >= 0, got {self.max_wait_ms}")
        if self.timeout_s <= 0:
            raise ValueError(f"timeout_s must be > 0, got {self.timeout_s}")


class RequestError(Exception):
    """A request the server refuses: HTTP `status` and a message naming the problem and the fix."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass
class ParsedRequest:
    items: list[Any]  # pipeline inputs
    single: bool  # `inputs` was one input (answer: one output), not a list
    parameters: dict[str, Any]  # as sent; validated by the pipeline afterwards


def parse_request(
    body: bytes, task: str, limits: Limits, parse_input: Callable[[str, str], Any]
) -> ParsedRequest:
    """Check a request body against `limits` and read its inputs; raises RequestError."""
    try:
        data = json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise RequestError(400, f"malformed JSON body: {e}") from None
    except RecursionError:  # arrays or objects nested ~1000 deep: Python's parser gives up
        raise _too_deep() from None
    if _nested_deeper(data, MAX_JSON_DEPTH):
        raise _too_deep()
    if not isinstance(data, dict):
        raise RequestError(
            422, f'the body must be a JSON object {{"inputs": ..., "parameters": {{...}}}}, got {_kind(data)}'
        )
    unknown = sorted(set(data) - {"inputs", "parameters"})
    if unknown:
        raise RequestError(
            422, f'unknown field(s) {unknown}; the body has "inputs" and optionally "parameters"'
        )
    if "inputs" not in data:
        raise RequestError(422, 'missing field "inputs": one input (a string or an object) or a list of them')
    parameters = data.get("parameters")
    if parameters is None:
        parameters = {}
    if not isinstance(parameters, dict):
        raise RequestError(422, f'"parameters" must be a JSON object, got {_kind(parameters)}')
    refused = [name for name in NOT_OVER_HTTP if name in parameters]
    if refused:
        raise RequestError(422, f"parameter(s) {refused} are not available over HTTP (answers are JSON)")
    words = task == "token-classification" and parameters.get("is_split_into_words") is True
    inputs = data["inputs"]
    # pre-split words (as the pipeline reads them): a list of words is one input, a list of such lists many
    single = _holds_words(inputs) if words else not isinstance(inputs, list)
    raw_items = [inputs] if single else inputs
    if not isinstance(raw_items, list) or not raw_items:
        expected = "a list of words or a list of such lists" if words else "at least one input"
        got = "an empty list" if raw_items == [] else _kind(raw_items)
        raise RequestError(422, f'"inputs" is {got}; send {expected}')
    if len(raw_items) > limits.max_items:
        raise RequestError(
            413,
            f'"inputs" has {len(raw_items)} items; this server takes at most {limits.max_items} per request',
        )
    read = _read_words if words else _read_item
    items = [read(x, i, single, task, limits, parse_input) for i, x in enumerate(raw_items)]
    return ParsedRequest(items, single, parameters)


def _too_deep() -> RequestError:
    return RequestError(
        400,
        f"JSON nested too deeply: this server takes at most {MAX_JSON_DEPTH} levels of arrays and objects",
    )


def _nested_deeper(value: Any, limit: int) -> bool:
    """Whether arrays/objects nest more than `limit` levels deep in a JSON value (without recursion,
    which such a value would exhaust)."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, (dict, list)):
            if depth > limit:
                return True
            stack.extend((x, depth + 1) for x in (item.values() if isinstance(item, dict) else item))
    return False


def _holds_words(value: Any) -> bool:
    """A list with a string in it: pre-split words (one input), not a list of inputs."""
    return isinstance(value, list) and any(isinstance(w, str) for w in value)


def _read_words(
    value: Any, index: int, single: bool, task: str, limits: Limits, parse_input: Callable[[str, str], Any]
) -> list[str]:
    """One input of token-classification with `is_split_into_words`: a non-empty list of strings."""
    where = '"inputs"' if single else f'"inputs"[{index}]'
    if not isinstance(value, list) or not value:
        got = "an empty list" if value == [] else _kind(value)
        raise RequestError(
            422, f"{where} must be a non-empty list of words (strings) with is_split_into_words, got {got}"
        )
    bad = next((i for i, w in enumerate(value) if not isinstance(w, str)), None)
    if bad is not None:
        raise RequestError(
            422, f"{where}[{bad}] must be a word (a string) with is_split_into_words, got {_kind(value[bad])}"
        )
    return _within_chars(value, where, limits)


def _read_item(
    value: Any, index: int, single: bool, task: str, limits: Limits, parse_input: Callable[[str, str], Any]
) -> Any:
    where = '"inputs"' if single else f'"inputs"[{index}]'
    if isinstance(value, str):
        try:
            value = parse_input(value, task)
        except ValueError as e:
            raise RequestError(422, f"{where}: {e}") from None
    elif not isinstance(value, dict):
        raise RequestError(422, f"{where} must be a string or a JSON object, got {_kind(value)}")
    return _within_chars(value, where, limits)


def _within_chars(value: Any, where: str, limits: Limits) -> Any:
    """`value`, or 413 when its strings hold more than `limits.max_input_chars` characters."""
    chars = _chars(value)
    if chars > limits.max_input_chars:
        raise RequestError(
            413,
            f"{where} has {chars} characters; this server takes at most {limits.max_input_chars} per input",
        )
    return value


def check_tokens(parsed: ParsedRequest, count: Callable[[str], int], limits: Limits) -> None:
    """413 for an input whose texts hold more than `limits.max_input_tokens` tokens (`count(text)`, without
    special tokens); nothing to check when that limit is None (the model's own length limit applies)."""
    if limits.max_input_tokens is None:
        return
    for index, item in enumerate(parsed.items):
        tokens = sum(count(text) for text in _strings(item))
        if tokens > limits.max_input_tokens:
            where = '"inputs"' if parsed.single else f'"inputs"[{index}]'
            raise RequestError(
                413,
                f"{where} has {tokens} tokens; this server takes at most {limits.max_input_tokens} per input",
            )


def _strings(value: Any) -> list[str]:
    """Every string inside a JSON value."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return []


def _chars(value: Any) -> int:
    """Characters of all the strings inside a JSON value."""
    return sum(len(text) for text in _strings(value))


def _kind(value: Any) -> str:
    names = {
        dict: "an object",
        list: "a list",
        str: "a string",
        bool: "a boolean",
        int: "a number",
        float: "a number",
    }
    return "null" if value is None else names.get(type(value), type(value).__name__)
