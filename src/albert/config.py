"""`AlbertConfig`: the model's hyperparameters as a frozen dataclass with Hugging Face field names.

The field names and defaults are those of `transformers.AlbertConfig` (defaults describe albert-xxlarge),
so a `config.json` written by `transformers` 4.x or 5.x round-trips without a mapping table. Keys we do
not model (e.g. the original TF config's `down_scale_factor`) are kept in `extra` and written back.
Not in here: anything about weights or files other than `config.json` (see `albert.checkpoint`).
"""

from __future__ import annotations

import dataclasses
import inspect
import json
import logging
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Literal

from albert.atomic_files import atomic_write_json
from albert.config_checks import (  # noqa: F401 (the names are re-exported)
    ACTIVATIONS,
    ATTN_IMPLEMENTATIONS,
    POSITION_EMBEDDING_TYPES,
    PROBLEM_TYPES,
    check_and_normalise,
)
from albert.config_keys import GENERIC_DEFAULTS, HF_BOOKKEEPING_KEYS
from albert.hub_push import PushToHubMixin, save_then_push
from albert.presets import RELEASED_SHAPES

logger = logging.getLogger(__name__)

CONFIG_NAME = "config.json"


@dataclass(frozen=True, kw_only=True)
class AlbertConfig(PushToHubMixin):
    """Hyperparameters of an ALBERT model (field names and defaults as in Hugging Face).

    The two ALBERT ideas live here: `embedding_size` (E) < `hidden_size` (H) is the factorised
    embedding, and `num_hidden_groups` / `inner_group_num` control cross-layer parameter sharing:
    `num_hidden_layers` (L) layer applications draw on `num_hidden_groups` (G) distinct groups of
    `inner_group_num` (I) layers each.

    Change a field with `dataclasses.replace(config, ...)` or `config.replace(...)`.
    """

    model_type: ClassVar[str] = "albert"
    is_encoder_decoder: ClassVar[bool] = False
    hub_what: ClassVar[str] = "config"  # push_to_hub's default commit message: "Upload config"

    vocab_size: int = 30000
    embedding_size: int = 128
    hidden_size: int = 4096
    num_hidden_layers: int = 12
    num_hidden_groups: int = 1
    num_attention_heads: int = 64
    intermediate_size: int = 16384
    inner_group_num: int = 1
    hidden_act: str = "gelu_new"
    hidden_dropout_prob: float = 0.0
    attention_probs_dropout_prob: float = 0.0
    max_position_embeddings: int = 512
    type_vocab_size: int = 2
    initializer_range: float = 0.02
    layer_norm_eps: float = 1e-12
    classifier_dropout_prob: float | None = 0.1
    position_embedding_type: Literal["absolute", "relative_key", "relative_key_query"] = "absolute"
    pad_token_id: int | None = 0
    bos_token_id: int | None = 2
    eos_token_id: int | None = 3
    tie_word_embeddings: bool = True
    # Task-head fields (HF's generic PretrainedConfig fields that ALBERT heads read).
    num_labels: int = 2
    id2label: dict[int, str] | None = None
    label2id: dict[str, int] | None = None
    problem_type: (
        Literal["regression", "single_label_classification", "multi_label_classification"] | None
    ) = None
    chunk_size_feed_forward: int = 0
    # Attention heads removed by `model.prune_heads` (HF's generic field): distinct layer k (group
    # k // inner_group_num, its inner layer k % inner_group_num) -> its removed heads, original numbers.
    pruned_heads: dict[int, list[int]] = field(default_factory=dict)
    # Whether a model call returns these unless the call says (HF's generic output fields, e.g.
    # `from_pretrained(path, output_hidden_states=True)`). Outputs are always dataclasses: a tuple is
    # `return_dict=False` in the call.
    output_hidden_states: bool = False
    output_attentions: bool = False
    # Unknown keys from a config.json (kept so that saving does not lose them).
    extra: dict[str, Any] = field(default_factory=dict, compare=False)

    def __post_init__(self) -> None:
        check_and_normalise(self)

    # ----- derived values -------------------------------------------------------------------------

    @property
    def head_size(self) -> int:
        """Width of one attention head, D = H / N."""
        return self.hidden_size // self.num_attention_heads

    @property
    def use_return_dict(self) -> bool:
        """Always True (transformers' flag; a call's `return_dict=False` gives a tuple)."""
        return True

    def group_index(self, layer: int) -> int:
        """The parameter group used by layer application `layer` (0-based).

        HF's rule `int(layer / (L / G))` with float division, which also works when L is not a
        multiple of G (L=5, G=2 -> groups 0, 0, 0, 1, 1).
        """
        return int(layer / (self.num_hidden_layers / self.num_hidden_groups))

    @classmethod
    def coerce(cls, config: Any) -> AlbertConfig:
        """`config` as an AlbertConfig: ours as it is, transformers' `AlbertConfig` (anything with
        `to_dict()` describing an ALBERT model) converted, so code that still builds transformers' config
        can hand it to our classes."""
        if isinstance(config, cls):
            return config
        to_dict = getattr(config, "to_dict", None)
        kind = f"{type(config).__module__}.{type(config).__name__}"
        if not callable(to_dict):
            raise TypeError(
                f"config must be an albert.AlbertConfig (or transformers' AlbertConfig), got {kind}"
            )
        try:
            return cls.from_dict(to_dict())
        except ValueError as e:
            raise ValueError(f"the {kind} given cannot be an AlbertConfig: {e}") from None

    @classmethod
    def field_names(cls) -> frozenset[str]:
        """The fields a caller may set (`from_pretrained(..., num_labels=3)` overrides), `extra` aside."""
        return frozenset(f.name for f in dataclasses.fields(cls)) - {"extra"}

    def replace(self, **changes: Any) -> AlbertConfig:
        """A copy with some fields changed (validated again)."""
        if "num_labels" in changes and "id2label" not in changes:
            changes["id2label"] = None
            changes.setdefault("label2id", None)
        return dataclasses.replace(self, **changes)

    # ----- config.json ----------------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """The config.json contents (HF layout, `model_type: "albert"`, extras kept)."""
        d: dict[str, Any] = {
            f.name: getattr(self, f.name) for f in dataclasses.fields(self) if f.name != "extra"
        }
        d["id2label"] = {str(k): v for k, v in self.id2label.items()}
        d.pop("num_labels")  # HF derives it from id2label and does not write it
        d = {**self.extra, **d}
        d["model_type"] = "albert"
        return dict(sorted(d.items()))

    @classmethod
    def from_dict(cls, d: dict[str, Any], **overrides: Any) -> AlbertConfig:
        """Build from a config.json dict; unknown keys are kept in `extra` (with a log line)."""
        if not isinstance(d, dict):
            raise ValueError(f"a config must be a JSON object, got {type(d).__name__}")
        model_type = d.get("model_type", "albert")
        if model_type != "albert":
            raise ValueError(
                f"config.json has model_type {model_type!r}; this library loads only 'albert' models"
            )
        d = {**d, **overrides}
        names = {f.name for f in dataclasses.fields(cls)} - {"extra"}
        known = {k: v for k, v in d.items() if k in names}
        extra = {k: v for k, v in d.items() if k not in names and k not in HF_BOOKKEEPING_KEYS}
        if extra:
            logger.info("config.json keys kept but not used by the model: %s", ", ".join(sorted(extra)))
        # JSON has only float; ints written as 0 for dropouts (v4) are fine, "0.1" strings are not.
        try:
            return cls(**known, extra=extra)
        except TypeError as e:  # a wrong type inside a comparison, e.g. "12" <= 0
            raise ValueError(f"invalid config value: {e}") from e

    @classmethod
    def from_json_file(cls, path: str | os.PathLike) -> AlbertConfig:
        path = Path(path)
        if not path.is_file():
            raise FileNotFoundError(f"no config file at {path}")
        try:
            d = json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as e:
            raise ValueError(f"{path} is not valid JSON: {e}") from e
        try:
            return cls.from_dict(d)
        except ValueError as e:
            raise ValueError(f"{path}: {e}") from e

    def to_diff_dict(self) -> dict[str, Any]:
        """`to_dict()` without the generic transformers fields (labels, special token ids, output defaults,
        ...) that hold both transformers' generic default and AlbertConfig's: the keys transformers'
        `to_diff_dict` keeps (every ALBERT field is kept)."""
        ours = AlbertConfig().to_dict()
        return {
            k: v
            for k, v in self.to_dict().items()
            if k not in GENERIC_DEFAULTS or v != GENERIC_DEFAULTS[k] or v != ours.get(k)
        }

    def to_json_string(self, use_diff: bool = True) -> str:
        """The JSON text of `to_diff_dict()` (transformers' default), or of `to_dict()` with use_diff=False."""
        return (
            json.dumps(self.to_diff_dict() if use_diff else self.to_dict(), indent=2, sort_keys=True) + "\n"
        )

    def to_json_file(self, json_file_path: str | os.PathLike, use_diff: bool = True) -> None:
        """Write `to_json_string(use_diff)` to a file, atomically."""
        atomic_write_json(
            Path(json_file_path), self.to_diff_dict() if use_diff else self.to_dict(), sort_keys=True
        )

    def update(self, config_dict: dict[str, Any]) -> None:
        """transformers changes its config in place here; ours is immutable: say what to do instead."""
        raise dataclasses.FrozenInstanceError(
            f"AlbertConfig is immutable and cannot be updated in place: use config = config.replace(**{config_dict!r})"
        )

    def save_pretrained(
        self,
        directory: str | os.PathLike,
        *,
        architectures: list[str] | None = None,
        torch_dtype: str | None = None,
        push_to_hub: bool = False,
        **push_options: Any,
    ) -> Path:
        """Write `config.json` into `directory` (created if needed) atomically; returns its path.
        `push_to_hub=True` then uploads it (`albert.hub_push`)."""
        save = lambda: self._write(Path(directory), architectures, torch_dtype)  # noqa: E731
        return save_then_push(save, directory, push_options, push=push_to_hub, what="config")

    def _write(self, directory: Path, architectures: list[str] | None, torch_dtype: str | None) -> Path:
        directory.mkdir(parents=True, exist_ok=True)
        d = self.to_dict()
        if architectures:
            d["architectures"] = architectures
        if torch_dtype:
            d["torch_dtype"] = torch_dtype
        path = directory / CONFIG_NAME
        atomic_write_json(path, d, sort_keys=True)
        return path

    @classmethod
    def from_pretrained(cls, name_or_path: str | os.PathLike, **overrides: Any) -> Any:
        """Load from a directory with config.json, a config.json path, a preset name or a hub id.

        `overrides` are fields to change, or loading arguments (`revision`, ...: see `albert.loading`).
        With `return_unused_kwargs=True`: `(config, {the other arguments})` instead of an error for them."""
        from albert.hub import hub_options, resolve_file  # hub resolution lives with the file I/O
        from albert.loading import is_loading_option, normalise_loading_kwargs

        fields = {f.name for f in dataclasses.fields(cls)} - {"extra"}
        owner = f"{cls.__name__}.from_pretrained"
        unused: dict[str, Any] = {}
        return_unused = bool(overrides.pop("return_unused_kwargs", False))
        if return_unused:  # transformers: (config, the arguments not used)
            unused = {k: overrides.pop(k) for k in list(overrides) if not is_loading_option(k, fields)}
        options = normalise_loading_kwargs(
            owner, overrides, accepted=fields, what=f"an {cls.__name__} field", model=False
        )
        overrides = options.rest
        name = str(name_or_path)
        if name in PRESETS or name.removeprefix("albert/") in PRESETS:
            config = PRESETS[name.removeprefix("albert/")].replace(**overrides)
            return (config, unused) if return_unused else config
        path = Path(name)
        if path.is_file():
            config_path = path
        else:
            with hub_options(**options.hub):
                config_path = resolve_file(name, CONFIG_NAME)
        config = cls.from_json_file(config_path)
        config = config.replace(**overrides) if overrides else config
        return (config, unused) if return_unused else config

    @classmethod
    def from_preset(cls, name: str, **overrides: Any) -> AlbertConfig:
        """One of the eight released architectures, e.g. `albert-base-v2` (or `albert/albert-base-v2`)."""
        key = name.removeprefix("albert/")
        if key not in PRESETS:
            raise ValueError(f"unknown preset {name!r}; known: {', '.join(PRESETS)}")
        return PRESETS[key].replace(**overrides)


def check_unpruned(config: AlbertConfig, owner: str) -> None:
    """The TensorFlow and Flax classes have every head (transformers' cannot prune either)."""
    if config.pruned_heads:
        raise ValueError(
            f"{owner} cannot run a model whose attention heads were pruned (config.pruned_heads = "
            f"{config.pruned_heads}): only the PyTorch classes can, as in transformers. Load it with "
            "albert.AlbertModel (or the head class) instead."
        )


def check_config(config: Any) -> None:
    """What a model class is built from: an AlbertConfig. transformers' config gets the conversion to use
    (`from_pretrained(config=...)` and the Auto classes' `from_config` convert it themselves)."""
    if not isinstance(config, AlbertConfig):
        kind = f"{type(config).__module__}.{type(config).__name__}"
        raise TypeError(
            f"config must be an albert.AlbertConfig, got {kind}: convert it with albert.AlbertConfig.coerce(config)"
        )


OUTPUT_FLAGS = ("output_attentions", "output_hidden_states")


def with_output_defaults(
    config: AlbertConfig, method: Callable[..., Any], args: tuple, kwargs: dict[str, Any]
) -> dict[str, Any]:
    """A model call's `kwargs` with `output_attentions` / `output_hidden_states` set from `config` where the
    call (to `method`, with positional `args`) passes no value for them: transformers' rule, every framework."""
    for name in OUTPUT_FLAGS:
        if getattr(config, name) and kwargs.get(name) is None:
            params = list(inspect.signature(method).parameters)
            if not (name in params and params.index(name) < len(args)):
                kwargs = {**kwargs, name: True}
    return kwargs


_dataclass_setattr = AlbertConfig.__setattr__


def _refuse_assignment(self: AlbertConfig, name: str, value: Any) -> None:
    """transformers' configs are mutable (`config.num_labels = 3`); ours are not, so that a config shared by
    models, pipelines and files cannot change under them. Say what to do instead."""
    try:
        _dataclass_setattr(self, name, value)
    except dataclasses.FrozenInstanceError:
        if name in ("return_dict", "use_return_dict"):
            hint = f"pass {name}=... to the model call instead"
        elif name in ("output_hidden_states", "output_attentions"):
            hint = f"pass {name}=... to the model call, or make a copy with config.replace({name}={value!r})"
        else:
            hint = f"make a changed copy with config.replace({name}={value!r}) (or pass {name}= to from_pretrained)"
        raise dataclasses.FrozenInstanceError(
            f"AlbertConfig is immutable, {name} cannot be set: {hint}"
        ) from None


AlbertConfig.__setattr__ = _refuse_assignment  # type: ignore[method-assign]


# The released checkpoints' architectures (`albert.presets`), as configs.
PRESETS: dict[str, AlbertConfig] = {name: AlbertConfig(**shape) for name, shape in RELEASED_SHAPES.items()}
