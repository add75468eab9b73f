"""What every pipeline shares: device choice, length-grouped batching, streaming, input order.

A task pipeline is three steps:

1. `preprocess(item, params) -> list[Row]`: pure; text in, token ids out (one row per model input;
   question answering makes one row per context window).
2. `forward(batch, rows) -> list[dict]`: the only step that runs the model, on a padded batch.
3. `postprocess(item, rows, outputs, params) -> result`: pure; tensors in, plain Python out.

`Pipeline.iter_results` reads the inputs a window at a time (`WINDOW_BATCHES` batches), sorts that
window's rows by length so that each batch holds rows of similar length (little compute spent on
padding), and yields the results in input order. Generators are consumed lazily, one window at a time.
"""

from __future__ import annotations

import functools
import itertools
import logging
import os
from collections.abc import Iterable, Iterator, Mapping
from typing import Any, ClassVar

import torch

from albert.devices import resolve_device  # noqa: F401 (re-exported: pipelines' device choice)
from albert.hub_push import PUSH_OPTION_NAMES, WEIGHT_FILES, PushToHubMixin, save_then_push
from albert.model.fast import FastPaths
from albert.pipelines.rows import Row, collate, length_sorted_batches

logger = logging.getLogger(__name__)

# Inputs per forward pass unless the caller says otherwise. 16, not 8: on one core of an Intel Xeon the
# fill-mask pipeline's 128 SST-2 sentences ran ~7% faster in batches of 16 (larger matrix products, at a
# higher fraction of the GEMM rate) and 24 gained nothing more, in an A/B of session 13; the committed
# default-call numbers are in results/bench/pipeline.json.
DEFAULT_BATCH_SIZE = 16

# How many batches' worth of inputs are read ahead and sorted by length. Larger windows pad less but
# hold back results (and memory) longer when streaming; at the default batch size a window is 128 inputs.
WINDOW_BATCHES = 8


def use_packed_weights(model: torch.nn.Module) -> None:
    """A pipeline owns its model's inference, so on top of the default fast paths it runs the matrix
    products on oneDNN-packed weights (`packed_linear`, see `albert.model.fast`); a model whose fast
    paths were chosen otherwise (e.g. `disable_fast_paths()`) keeps them."""
    paths = getattr(model, "fast_paths", None)
    if paths == FastPaths():
        model.enable_fast_paths(**{**vars(paths), "packed_linear": True})


class PipelineError(ValueError):
    """A problem with one input (no [MASK], too long, malformed); other inputs are unaffected."""


# transformers' tokenizer arguments the pipelines take (Pipeline.tokenizer_options)
TOKENIZER_OPTIONS = ("truncation", "max_length", "padding")
TRUNCATIONS = (True, False, "longest_first", "only_first", "only_second", "do_not_truncate")


def checked_count(name: str, value: Any, minimum: int = 1) -> int:
    """A count parameter (`top_k`, `batch_size`, `doc_stride`, ...): an int >= `minimum`; True (an int to
    Python) or 2.0 would otherwise reach torch and fail there without the parameter's name."""
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ValueError(f"{name} must be an int >= {minimum}, got {value!r}")
    return value


def checked_batch_size(value: Any) -> int:
    return checked_count("batch_size", value)


# ----- the pipeline ------------------------------------------------------------------------------


class Pipeline(PushToHubMixin):
    """Base class: holds the model, tokenizer and default parameters; runs items through the 3 steps.

    Subclasses set `task` and `model_class` and implement `check_params`, `preprocess`, `postprocess`
    (and `forward` when the model's output needs more than the default handling).
    """

    hub_what = "pipeline"
    hub_replaces = WEIGHT_FILES  # a push deletes weight files of an earlier save (hub_push.py)

    task: ClassVar[str] = ""
    model_class: ClassVar[type] = object
    # Output fields the default forward hands to postprocess: those with a token axis are cut back to
    # each row's own length (padding dropped); the others have one value per row.
    token_outputs: ClassVar[tuple[str, ...]] = ()
    sequence_outputs: ClassVar[tuple[str, ...]] = ()

    def __init__(
        self, model: torch.nn.Module, tokenizer: Any, *, batch_size: int = DEFAULT_BATCH_SIZE, **defaults: Any
    ) -> None:
        self.model = model.eval()
        use_packed_weights(self.model)
        self.tokenizer = tokenizer
        self.batch_size = checked_batch_size(batch_size)
        self.defaults = self.check_params(defaults)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(task={self.task!r}, device={self.device}, dtype={self.dtype})"

    def save_pretrained(
        self, save_directory: str | os.PathLike, *, push_to_hub: bool = False, **kwargs: Any
    ) -> None:
        """Save the model and its tokenizer into one directory, which `pipeline(task, model=dir)` loads;
        `push_to_hub=True` then uploads both in one commit (`repo_id=`, ...: `albert.hub_push`).
        Other `kwargs` go to the model's `save_pretrained` (e.g. `max_shard_size`)."""
        push_options = {k: kwargs.pop(k) for k in PUSH_OPTION_NAMES if k in kwargs}

        def save() -> None:
            self.model.save_pretrained(save_directory, **kwargs)
            self.tokenizer.save_pretrained(save_directory)

        save_then_push(
            save, save_directory, push_options, push=push_to_hub, what="pipeline", replaces=WEIGHT_FILES
        )

    @property
    def device(self) -> torch.device:
        return next(self.model.parameters()).device

    @property
    def dtype(self) -> torch.dtype:
        return next(self.model.parameters()).dtype

    @property
    def max_length(self) -> int:
        """The longest input the model accepts (position table size, or the tokenizer's limit if lower)."""
        limit = getattr(self.tokenizer, "model_max_length", None) or 10**30
        return int(min(limit, self.model.config.max_position_embeddings))

    # ----- to be provided by each task -----

    def check_params(self, params: dict[str, Any]) -> dict[str, Any]:
        """Validate call/constructor keyword arguments; return them normalised."""
        if params:
            raise TypeError(f"{self.task} pipeline got unexpected arguments: {', '.join(params)}")
        return {}

    def preprocess(self, item: Any, params: dict[str, Any]) -> list[Row]:
        raise NotImplementedError

    def postprocess(self, item: Any, rows: list[Row], outputs: list[dict], params: dict[str, Any]) -> Any:
        raise NotImplementedError

    @torch.inference_mode()
    def forward(self, batch: dict[str, torch.Tensor], rows: list[Row]) -> list[dict[str, torch.Tensor]]:
        """Run the model on one padded batch; per row, its outputs as float32 CPU tensors."""
        out = self.model(**{k: v.to(self.device) for k, v in batch.items()})
        per_row: list[dict[str, torch.Tensor]] = [{} for _ in rows]
        for name in self.token_outputs + self.sequence_outputs:
            value = getattr(out, name)
            if value is None:
                continue
            value = value.float().cpu()
            for i, row in enumerate(rows):
                per_row[i][name] = value[i, : row.length] if name in self.token_outputs else value[i]
        return per_row

    # ----- the driver -----

    def params(self, overrides: dict[str, Any]) -> dict[str, Any]:
        merged = {**self.defaults, **self.check_params(overrides)}
        self.check_call(merged)
        return merged

    def check_call(self, params: dict[str, Any]) -> None:
        """Checks of a call's parameters taken together (the pipeline's defaults and the call's own), made
        before any input is read: a missing or contradictory parameter fails the call once, not each input.
        The tasks override it where they have such a rule."""

    def __call__(
        self, inputs: Any, *, batch_size: int | None = None, num_workers: int | None = None, **params: Any
    ) -> Any:
        """One item -> one result; a list -> a list in the same order; any other iterable, or a map-style
        dataset such as transformers' `KeyDataset`, -> a generator.

        `batch_size` overrides the pipeline's for this call, as upstream's call argument does.
        `num_workers` (upstream: DataLoader workers for preprocessing) is accepted for code written for
        transformers and changes nothing: preprocessing runs in the calling process.
        """
        merged = self.params(params)
        size = self.batch_size if batch_size is None else checked_batch_size(batch_size)
        if num_workers is not None:
            checked_count("num_workers", num_workers, 0)
        run = functools.partial(self.iter_results, params=merged, batch_size=size)
        if self.is_single(inputs, merged):
            return self.single_result(inputs, next(run([inputs])), merged)
        if isinstance(inputs, (list, tuple)):
            return self.list_result(inputs, list(run(inputs)), merged)
        if isinstance(inputs, (bytes, bytearray)):  # iterable, but not a stream of items
            raise TypeError(
                f"{self.task} pipeline cannot take inputs of type {type(inputs).__name__}: decode them to a str "
                "first (inputs.decode('utf-8'))"
            )
        if isinstance(inputs, Iterable):
            return run(inputs)
        if hasattr(inputs, "__getitem__") and hasattr(inputs, "__len__"):  # a map-style dataset (KeyDataset)
            return run(inputs[i] for i in range(len(inputs)))
        raise TypeError(f"{self.task} pipeline cannot take inputs of type {type(inputs).__name__}")

    def is_single(self, inputs: Any, params: dict[str, Any]) -> bool:
        """Whether `inputs` is one item (else a list or stream of items), under this call's `params`."""
        return isinstance(inputs, (str, dict))

    def single_result(self, item: Any, result: Any, params: dict[str, Any]) -> Any:
        """The shape of the answer for one item (upstream wraps some tasks' results in a list)."""
        return result

    def list_result(
        self, items: list[Any] | tuple[Any, ...], results: list[Any], params: dict[str, Any]
    ) -> Any:
        return results

    def iter_results(
        self,
        items: Iterable[Any],
        params: dict[str, Any] | None = None,
        *,
        return_errors: bool = False,
        window: int | None = None,
        batch_size: int | None = None,
    ) -> Iterator[Any]:
        """Results in input order, computed `window` items at a time (default: WINDOW_BATCHES batches;
        1 answers each item as soon as it arrives, e.g. for interactive input), in forward passes of
        `batch_size` rows (default: the pipeline's).

        With `return_errors=True` an item that fails (PipelineError, or a ValueError/TypeError/KeyError
        from the tokenizer) yields its exception instead of a result and the others carry on; otherwise
        the exception propagates.
        """
        params = self.defaults if params is None else params
        self.check_call(params)
        batch_size = batch_size or self.batch_size
        iterator = iter(items)
        window = window or batch_size * WINDOW_BATCHES
        while chunk := list(itertools.islice(iterator, window)):
            yield from self._run_window(chunk, params, return_errors, batch_size)

    def _run_window(
        self, items: list[Any], params: dict[str, Any], return_errors: bool, batch_size: int
    ) -> Iterator[Any]:
        prepared: list[list[Row] | Exception] = []
        for item in items:
            try:
                prepared.append(self.preprocess(item, params))
            except (ValueError, TypeError, KeyError) as e:
                if not return_errors:
                    raise
                prepared.append(e)
        flat = [(i, j) for i, rows in enumerate(prepared) if isinstance(rows, list) for j in range(len(rows))]
        flat_rows = [prepared[i][j] for i, j in flat]
        outputs: list[list[dict] | None] = [
            [{}] * len(rows) if isinstance(rows, list) else None for rows in prepared
        ]
        pad_id = self.tokenizer.pad_token_id if self.tokenizer.pad_token_id is not None else 0
        for members in length_sorted_batches(flat_rows, batch_size):
            batch_rows = [flat_rows[k] for k in members]
            for k, out in zip(members, self.forward(collate(batch_rows, pad_id), batch_rows)):
                i, j = flat[k]
                outputs[i][j] = out
        for item, rows, outs in zip(items, prepared, outputs):
            if isinstance(rows, Exception):
                yield rows
                continue
            try:
                yield self.postprocess(item, rows, outs, params)
            except (ValueError, TypeError, KeyError) as e:
                if not return_errors:
                    raise
                yield e

    # ----- helpers for the tasks -----

    def text_of(self, item: Any) -> str:
        """A text input: a str, or `{"text": str}` (how `albert run` and `albert serve` take a text that
        starts with "{"). Other keys are an error rather than ignored (fill-mask has no text_pair)."""
        if isinstance(item, Mapping):
            if unknown := sorted(set(item) - {"text"}):
                raise PipelineError(
                    f'{self.task} takes {{"text": ...}} only; unexpected keys: {", ".join(unknown)}'
                )
            text = item.get("text")
            if not isinstance(text, str):
                raise PipelineError(f'{self.task}: "text" must be a string, got {type(text).__name__}')
            return text
        if not isinstance(item, str):
            raise PipelineError(f"{self.task} takes a string (or {{'text': ...}}), got {type(item).__name__}")
        return item

    def check_length(
        self, n_tokens: int, what: str = "input", fix: str = "pass truncation=True (CLI: --truncation)"
    ) -> None:
        if n_tokens > self.max_length:
            raise PipelineError(
                f"{what} is {n_tokens} tokens long but the model accepts at most {self.max_length}; "
                f"shorten it or {fix}"
            )

    def truncation_kwargs(self, params: dict[str, Any]) -> dict[str, Any]:
        """The tokenizer arguments of `params`' truncation (to `max_length`, default the model's limit)."""
        truncation = params.get("truncation", False)
        return (
            {"truncation": truncation, "max_length": params.get("max_length", self.max_length)}
            if truncation
            else {}
        )

    def tokenizer_options(self, params: dict[str, Any], nested: str | None = None) -> dict[str, Any]:
        """Pop transformers' tokenizer arguments from `params` (`truncation`, `max_length`, `padding`, or
        inside `params[nested]`, e.g. fill-mask's `tokenizer_kwargs={...}`) and return them as this pipeline's
        `truncation` (True or a strategy) and `max_length`. `padding` changes no answer (batches are padded
        here); it is read only for upstream's rule that `max_length` alone truncates when no padding is asked."""
        given = params.pop(nested, None) if nested else None
        if given is not None and not isinstance(given, Mapping):
            raise ValueError(
                f"{nested} must be a dict of tokenizer arguments, e.g. {{'truncation': True}}, got {given!r}"
            )
        options = dict(given or {})
        options.update({k: params.pop(k) for k in TOKENIZER_OPTIONS if k in params})
        if unknown := sorted(set(options) - set(TOKENIZER_OPTIONS)):
            raise TypeError(f"{self.task} pipeline: unsupported tokenizer arguments {unknown}; it takes "
                            f"{', '.join(TOKENIZER_OPTIONS)}")  # fmt: skip
        out: dict[str, Any] = {}
        max_length = options.get("max_length")
        if max_length is not None:
            if (
                not isinstance(max_length, int)
                or isinstance(max_length, bool)
                or not 1 <= max_length <= self.max_length
            ):
                raise ValueError(f"max_length must be an int from 1 to {self.max_length}, got {max_length!r}")
            out["max_length"] = max_length
        truncation = options.get("truncation")
        if (
            truncation is None
            and max_length is not None
            and options.get("padding") in (None, False, "do_not_pad")
        ):
            truncation = True
        if truncation is not None:
            if truncation not in TRUNCATIONS:
                raise ValueError(f"truncation must be one of {TRUNCATIONS}, got {truncation!r}")
            out["truncation"] = False if truncation in (False, "do_not_truncate") else truncation
        return out


# ----- tokenizer conveniences (only the HF call API is assumed of the tokenizer) ------------------


def tokens_to_string(tokenizer: Any, tokens: list[str]) -> str:
    """`tokenizer.convert_tokens_to_string`, or the Metaspace rule it applies for ALBERT: "▁" becomes a
    space, except in the first token, where it is dropped."""
    convert = getattr(tokenizer, "convert_tokens_to_string", None)
    if convert is not None:
        return convert(tokens)
    return "".join(t.replace("▁", "") if i == 0 else t.replace("▁", " ") for i, t in enumerate(tokens))
