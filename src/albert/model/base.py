"""`AlbertPreTrainedModel`: what every ALBERT module class shares (config, init, file I/O entry points).

Weight initialisation follows the reference: Linear and Embedding weights ~ Normal(0, initializer_range)
(plain, not truncated), biases 0, the padding row of the word embeddings 0, LayerNorm 1/0, MLM bias 0.
`initialise_weights(truncated=True)` draws them as the original TF recipe did instead (what `albert
pretrain` uses from scratch).
Loading and saving are delegated to `albert.checkpoint`, the only module that knows HF key names.
"""

from __future__ import annotations

import logging
import os
from functools import partial
from pathlib import Path
from typing import Any

import torch
from torch import nn

from albert.checkpoint import load_model, save_model
from albert.config import ATTN_IMPLEMENTATIONS, AlbertConfig, check_config, with_output_defaults
from albert.hub_push import WEIGHT_FILES, PushToHubMixin, save_then_push
from albert.loading import LoadingOptions, normalise_loading_kwargs
from albert.model.fast import REFERENCE, FastPaths, activation_for
from albert.model.onednn import forget_packed_weights
from albert.model.shape_changes import ShapeChangesMixin

logger = logging.getLogger(__name__)


_TRACING_DEPTH = [0]  # nesting of model calls under torch.jit.trace (a task model calls its AlbertModel)


def _output_requires_grad(module: nn.Module, inputs: Any, output: torch.Tensor) -> None:
    """Forward hook of `enable_input_require_grads` (a named function: models must pickle)."""
    output.requires_grad_(True)


class AlbertPreTrainedModel(ShapeChangesMixin, PushToHubMixin, nn.Module):
    """Base class: holds `config` and `attn_implementation` ("sdpa" default, or "eager")."""

    hub_replaces = WEIGHT_FILES  # a push deletes weight files of an earlier save (hub_push.py)

    # transformers' class attributes that tools read (the prefix of a head's backbone in its weight names)
    main_input_name = "input_ids"
    base_model_prefix = "albert"
    config_class = AlbertConfig
    supports_gradient_checkpointing = True
    framework = "pt"
    # Constructor arguments besides the config that `from_pretrained` passes on (transformers passes any
    # keyword it does not know to the constructor: `AlbertModel.from_pretrained(d, add_pooling_layer=False)`).
    init_options: tuple[str, ...] = ()

    def __init__(self, config: AlbertConfig, *, attn_implementation: str = "sdpa") -> None:
        super().__init__()
        check_config(config)
        self.config = config
        self.name_or_path = ""  # where from_pretrained loaded it from, as upstream
        self.set_attn_implementation(attn_implementation)
        self._fast_paths = FastPaths()

    def __call__(self, *args: Any, return_dict: bool | None = None, **kwargs: Any) -> Any:
        """The module call; transformers' `return_dict=False` gives the output's `to_tuple()` (its fields
        that are not None, in order: `loss, logits = model(..., labels=y, return_dict=False)`).
        `output_attentions` / `output_hidden_states` not given in the call come from the config."""
        kwargs = with_output_defaults(self.config, self.forward, args, kwargs)
        if torch.jit.is_tracing():
            # torch.jit.trace takes tensors and tuples: the outermost call gives a tuple
            _TRACING_DEPTH[0] += 1
            try:
                out = super().__call__(*args, **kwargs)
            finally:
                _TRACING_DEPTH[0] -= 1
            outermost = return_dict is None and _TRACING_DEPTH[0] == 0  # return_dict=True keeps the dataclass
            return out.to_tuple() if return_dict is False or outermost else out
        out = super().__call__(*args, **kwargs)
        return out.to_tuple() if return_dict is False else out

    # ----- attention implementation -----

    @property
    def attn_implementation(self) -> str:
        return self._attn_implementation

    def set_attn_implementation(self, name: str) -> None:
        """Switch every attention layer between "sdpa" and "eager" (same weights, same numbers to ~1e-7)."""
        if name not in ATTN_IMPLEMENTATIONS:
            raise ValueError(
                f"unknown attn_implementation {name!r}; expected one of {', '.join(ATTN_IMPLEMENTATIONS)}"
            )
        for module in self.modules():
            if isinstance(module, AlbertPreTrainedModel):
                module._attn_implementation = name

    # ----- fast paths (see fast.py) -----

    @property
    def fast_paths(self) -> FastPaths:
        return self._fast_paths

    def enable_fast_paths(
        self,
        *,
        fused_gelu: bool = True,
        unpad: bool = True,
        sparse_mlm: bool = True,
        checkpointing: bool = False,
        packed_linear: bool = True,
        narrow_last_layer: bool = True,
    ) -> AlbertPreTrainedModel:
        """Switch fast paths on (all but `checkpointing` by default; `fused_gelu` and `unpad` are on from
        the start); returns the model.
        fp32 results stay within 1e-5 of the reference at real positions; what else changes (padded
        positions, the shape of MLM logits in training) is listed in `albert.model.fast`."""
        paths = FastPaths(fused_gelu, unpad, sparse_mlm, checkpointing, packed_linear, narrow_last_layer)
        return self._set_fast_paths(paths)

    def disable_fast_paths(self) -> AlbertPreTrainedModel:
        """The one opt-out: compute exactly as the reference does (padded positions included); returns
        the model. `enable_fast_paths()` switches them back on."""
        return self._set_fast_paths(REFERENCE)

    def _set_fast_paths(self, paths: FastPaths) -> AlbertPreTrainedModel:
        forget_packed_weights(self)
        for module in self.modules():
            if isinstance(module, AlbertPreTrainedModel):
                module._fast_paths = paths
            if hasattr(module, "activation_name"):  # FeedForward, MaskedLMHead
                module.activation = activation_for(module.activation_name, fused=paths.fused_gelu)
            if hasattr(module, "checkpointing"):  # Encoder
                module.checkpointing = paths.checkpointing
            if hasattr(module, "packed_linear"):  # Encoder, SelfAttention, FeedForward
                module.packed_linear = paths.packed_linear
        return self

    def gradient_checkpointing_enable(self) -> None:
        """transformers' spelling of `enable_fast_paths(checkpointing=True)` (other paths unchanged)."""
        self.enable_fast_paths(**{**vars(self.fast_paths), "checkpointing": True})

    def gradient_checkpointing_disable(self) -> None:
        self.enable_fast_paths(**{**vars(self.fast_paths), "checkpointing": False})

    # ----- initialisation -----

    def post_init(self) -> None:
        """Initialise all weights (called at the end of every concrete __init__)."""
        self.initialise_weights()

    def initialise_weights(self, *, truncated: bool = False) -> None:
        """Draw every weight afresh. Linear and Embedding weights ~ Normal(0, initializer_range) as in
        transformers, or with `truncated` as in the original TF recipe (`tf.truncated_normal_initializer`:
        the same normal with draws beyond 2 std redrawn, so the spread is ~0.88 x initializer_range)."""
        self.apply(partial(self._init_module, truncated=truncated))
        self.tie_weights()
        # After all draws: a tied MLM decoder (a Linear) redraws the word table, padding row included.
        for module in self.modules():
            if isinstance(module, nn.Embedding) and module.padding_idx is not None:
                with torch.no_grad():
                    module.weight[module.padding_idx].zero_()

    def _init_module(self, module: nn.Module, truncated: bool = False) -> None:
        std = self.config.initializer_range

        def draw(weight: torch.Tensor) -> None:
            if truncated:
                nn.init.trunc_normal_(weight, mean=0.0, std=std, a=-2 * std, b=2 * std)
            else:
                nn.init.normal_(weight, mean=0.0, std=std)

        if isinstance(module, nn.Linear):
            draw(module.weight)
            if module.bias is not None:
                nn.init.zeros_(module.bias)
        elif isinstance(module, nn.Embedding):
            draw(module.weight)
        elif isinstance(module, nn.LayerNorm):
            nn.init.ones_(module.weight)
            nn.init.zeros_(module.bias)
        init_extra = getattr(module, "init_extra_parameters", None)
        if init_extra is not None:
            init_extra()

    def tie_weights(self) -> None:
        """Re-link tied parameters (overridden by the classes with an MLM head)."""

    # ----- conveniences -----

    @property
    def device(self) -> torch.device:
        return next(self.parameters()).device

    @property
    def dtype(self) -> torch.dtype:
        return next(self.parameters()).dtype

    @property
    def backbone_model(self) -> nn.Module:
        """The `AlbertModel` inside (the model itself for `AlbertModel`)."""
        return getattr(self, "backbone", self)

    def get_input_embeddings(self) -> nn.Embedding:
        return self.backbone_model.embeddings.word

    def enable_input_require_grads(self) -> None:
        """Make the embeddings' output require grad, as transformers does for reentrant activation
        checkpointing past frozen embeddings (adapter training calls it). Our checkpointing is
        non-reentrant and back-propagates there without it; the call is kept for code written for
        transformers."""
        self.disable_input_require_grads()
        self._input_grad_hook = self.get_input_embeddings().register_forward_hook(_output_requires_grad)

    def disable_input_require_grads(self) -> None:
        hook = self.__dict__.pop("_input_grad_hook", None)
        if hook is not None:
            hook.remove()

    def get_memory_footprint(self, return_buffers: bool = True) -> int:
        """Bytes held by the parameters (tied ones once) and, by default, the buffers."""
        params = {id(p): p for p in self.parameters()}
        total = sum(p.numel() * p.element_size() for p in params.values())
        if return_buffers:
            total += sum(b.numel() * b.element_size() for b in self.buffers())
        return total

    @classmethod
    def can_generate(cls) -> bool:
        """ALBERT is an encoder: no `generate()`."""
        return False

    def num_parameters(self, only_trainable: bool = False, exclude_embeddings: bool = False) -> int:
        """Unique parameters (tied tensors counted once), as transformers counts them: `exclude_embeddings`
        leaves out the embedding tables (not their LayerNorm), `only_trainable` the frozen ones."""
        tables = {id(m.weight) for m in self.modules() if isinstance(m, nn.Embedding)}
        params = {id(p): p for p in self.parameters()}
        return sum(
            p.numel()
            for key, p in params.items()
            if (p.requires_grad or not only_trainable) and not (exclude_embeddings and key in tables)
        )

    def floating_point_ops(self, input_dict: dict[str, Any], exclude_embeddings: bool = True) -> int:
        """transformers' estimate of a training step's FLOPs (6 x tokens x parameters), which its Trainer
        adds up as `total_flos`."""
        return (
            6 * self.estimate_tokens(input_dict) * self.num_parameters(exclude_embeddings=exclude_embeddings)
        )

    def estimate_tokens(self, input_dict: dict[str, Any]) -> int:
        """Tokens in a batch: the size of its input_ids (0 without them)."""
        ids = input_dict.get(self.main_input_name)
        return int(ids.numel()) if isinstance(ids, torch.Tensor) else 0

    @property
    def base_model(self) -> nn.Module:
        """transformers' name for the `AlbertModel` inside (`backbone_model`)."""
        return self.backbone_model

    @property
    def is_gradient_checkpointing(self) -> bool:
        return self.fast_paths.checkpointing

    @property
    def dummy_inputs(self) -> dict[str, torch.Tensor]:
        """A tiny batch, as transformers' (tools that trace a model call it)."""
        return {"input_ids": torch.tensor([[7, 6, 0, 0, 1], [1, 2, 3, 0, 0], [0, 0, 0, 4, 5]])}

    # transformers' mask helpers, for code that runs the model's layers itself.
    def get_extended_attention_mask(
        self,
        attention_mask: torch.Tensor,
        input_shape: Any = None,
        device: Any = None,
        dtype: torch.dtype | None = None,
    ) -> torch.Tensor:
        """(B, T) or (B, T, T) mask, 1 = attend -> additive (B, 1, 1, T) or (B, 1, T, T) in `dtype` (default
        the model's): 0 where attended, the dtype's minimum elsewhere. `input_shape` and `device` are
        accepted for upstream's signature (an encoder needs neither)."""
        if attention_mask.dim() not in (2, 3):
            raise ValueError(
                f"attention_mask must be (batch, tokens) or (batch, tokens, tokens), got shape "
                f"{tuple(attention_mask.shape)}"
            )
        dtype = self.dtype if dtype is None else dtype
        mask = attention_mask[:, None] if attention_mask.dim() == 3 else attention_mask[:, None, None]
        return (1.0 - mask.to(dtype)) * torch.finfo(dtype).min

    def invert_attention_mask(self, encoder_attention_mask: torch.Tensor) -> torch.Tensor:
        """transformers' name for `get_extended_attention_mask` on an encoder mask."""
        return self.get_extended_attention_mask(encoder_attention_mask)

    def get_head_mask(
        self, head_mask: torch.Tensor | None, num_hidden_layers: int, is_attention_chunked: bool = False
    ) -> torch.Tensor | list[None]:
        """(N,) or (L, N) head mask -> (L, 1, N, 1, 1) in the model's dtype (one more trailing axis when
        `is_attention_chunked`), or [None] * L without one, as upstream."""
        if head_mask is None:
            return [None] * num_hidden_layers
        if head_mask.dim() == 1:
            head_mask = head_mask[None, None, :, None, None].expand(num_hidden_layers, -1, -1, -1, -1)
        elif head_mask.dim() == 2:
            head_mask = head_mask[:, None, :, None, None]
        else:
            raise ValueError(
                f"head_mask must be (heads,) or (layers, heads), got shape {tuple(head_mask.shape)}"
            )
        head_mask = head_mask.to(self.dtype)
        return head_mask.unsqueeze(-1) if is_attention_chunked else head_mask

    def get_output_embeddings(self) -> nn.Module | None:
        """The MLM decoder of the classes that have one (None here, as upstream)."""
        return None

    # ----- files -----

    @classmethod
    def from_pretrained(
        cls,
        name_or_path: str | os.PathLike,
        *,
        config: AlbertConfig | None = None,
        dtype: torch.dtype | str | None = None,
        attn_implementation: str | None = None,
        device: torch.device | str | int | None = None,
        **kwargs: Any,
    ) -> AlbertPreTrainedModel:
        """Load a model from a local directory (HF layout) or a hub id (see `albert.checkpoint.load_model`).

        Also takes transformers' spellings (`torch_dtype`, `device_map`, `revision`, ...; `albert.loading`
        lists them) and any `AlbertConfig` field as an override (e.g. `num_labels=3`). With
        `output_loading_info=True`: `(model, {"missing_keys", "unexpected_keys", ...})` as transformers.
        """
        from albert.hub import hub_options

        info: dict[str, list[str]] | None = {} if kwargs.pop("output_loading_info", False) else None
        options = _normalise_loading_kwargs(
            cls, dict(kwargs, dtype=dtype, attn_implementation=attn_implementation, device=device)
        )
        with hub_options(**options.hub):
            model = load_model(
                cls,
                name_or_path,
                config=config,
                dtype=options.dtype,
                attn_implementation=options.attn_implementation,
                device=options.device,
                weights=options.weights,
                loading_info=info,
                model_kwargs={k: options.rest.pop(k) for k in cls.init_options if k in options.rest},
                **options.rest,
            )
        model.name_or_path = str(name_or_path)
        return model if info is None else (model, info)

    def save_pretrained(
        self,
        directory: str | os.PathLike,
        *,
        max_shard_size: int | str | None = None,
        safe_serialization: bool = True,
        push_to_hub: bool = False,
        **push_options: Any,
    ) -> Path:
        """Write config.json + model.safetensors with HF key names (loadable by transformers);
        `max_shard_size` (bytes or "5GB") shards it. transformers' `safe_serialization=True` is the only
        format. `push_to_hub=True` then uploads the files written (`repo_id=`, `token=`, ...: see
        `albert.hub_push`)."""
        if not safe_serialization:
            raise ValueError(
                "safe_serialization=False (a pytorch_model.bin pickle) is not written: model.safetensors is "
                "what albert-lite writes, and transformers and every albert-lite class read it"
            )
        return save_then_push(
            lambda: save_model(self, directory, max_shard_size=max_shard_size),
            directory,
            push_options,
            push=push_to_hub,
            what="model",
            replaces=WEIGHT_FILES,
        )


def _normalise_loading_kwargs(cls: type, kwargs: dict[str, Any]) -> LoadingOptions:
    """`from_pretrained`'s keyword arguments sorted out (`albert.loading`); the rest are config overrides."""
    accepted = [*AlbertConfig.field_names(), *cls.init_options]
    owner = f"{cls.__name__}.from_pretrained"
    what = "an AlbertConfig field" + "".join(f" nor {name}" for name in cls.init_options)
    return normalise_loading_kwargs(owner, kwargs, accepted=accepted, what=what)
