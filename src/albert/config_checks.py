"""What `AlbertConfig` accepts: the names it knows (activations, position types, problem types) and the
checks and normalisations of its fields, run by `AlbertConfig.__post_init__`. Errors name the field, the
value and what would be accepted."""

from __future__ import annotations

from typing import Any

# Activations the model implements (names as in transformers' ACT2FN). ALBERT checkpoints use only
# "gelu" (v1) and "gelu_new" (v2); the rest are cheap to support and appear in fine-tuned configs.
ACTIVATIONS = (
    "gelu",
    "gelu_new",
    "gelu_fast",
    "gelu_pytorch_tanh",
    "gelu_python",
    "gelu_accurate",
    "quick_gelu",
    "relu",
    "relu6",
    "silu",
    "swish",
    "tanh",
    "sigmoid",
    "mish",
    "linear",
)
POSITION_EMBEDDING_TYPES = ("absolute", "relative_key", "relative_key_query")
PROBLEM_TYPES = ("regression", "single_label_classification", "multi_label_classification")
ATTN_IMPLEMENTATIONS = ("sdpa", "eager")

# Types of the fields we validate when reading JSON: a wrong type names the key and the expected type.
_INT_FIELDS = (
    "vocab_size",
    "embedding_size",
    "hidden_size",
    "num_hidden_layers",
    "num_hidden_groups",
    "num_attention_heads",
    "intermediate_size",
    "inner_group_num",
    "max_position_embeddings",
    "type_vocab_size",
    "chunk_size_feed_forward",
)
_FLOAT_FIELDS = (
    "hidden_dropout_prob",
    "attention_probs_dropout_prob",
    "initializer_range",
    "layer_norm_eps",
)


def check_and_normalise(config: Any) -> None:
    """Validate an AlbertConfig's fields (ValueError naming the field) and normalise the derived ones:
    id2label / label2id / num_labels agree, pruned_heads has int keys and sorted heads."""
    for name in _INT_FIELDS:
        value = getattr(config, name)
        if not isinstance(value, int) or isinstance(value, bool):
            raise ValueError(f"AlbertConfig.{name} must be an int, got {value!r} ({type(value).__name__})")
    for name in _FLOAT_FIELDS:
        value = getattr(config, name)
        if not isinstance(value, (int, float)) or isinstance(value, bool):
            raise ValueError(f"AlbertConfig.{name} must be a number, got {value!r}")
    for name in ("output_hidden_states", "output_attentions", "tie_word_embeddings"):
        if not isinstance(getattr(config, name), bool):
            raise ValueError(f"AlbertConfig.{name} must be true or false, got {getattr(config, name)!r}")
    for name in _INT_FIELDS:
        if name != "chunk_size_feed_forward" and getattr(config, name) <= 0:
            raise ValueError(f"AlbertConfig.{name} must be positive, got {getattr(config, name)}")
    if config.hidden_size % config.num_attention_heads != 0:
        raise ValueError(
            f"hidden_size ({config.hidden_size}) is not divisible by num_attention_heads "
            f"({config.num_attention_heads}); choose a head count that divides it"
        )
    if config.num_hidden_groups > config.num_hidden_layers:
        raise ValueError(
            f"num_hidden_groups ({config.num_hidden_groups}) exceeds num_hidden_layers "
            f"({config.num_hidden_layers}): some groups would never be used"
        )
    if config.hidden_act not in ACTIVATIONS:
        raise ValueError(
            f"unknown hidden_act {config.hidden_act!r}; expected one of {', '.join(ACTIVATIONS)}"
        )
    if config.position_embedding_type not in POSITION_EMBEDDING_TYPES:
        raise ValueError(
            f"unknown position_embedding_type {config.position_embedding_type!r}; "
            f"expected one of {', '.join(POSITION_EMBEDDING_TYPES)}"
        )
    if config.problem_type is not None and config.problem_type not in PROBLEM_TYPES:
        raise ValueError(
            f"unknown problem_type {config.problem_type!r}; expected None or one of {', '.join(PROBLEM_TYPES)}"
        )
    for name in ("hidden_dropout_prob", "attention_probs_dropout_prob"):
        if not 0.0 <= getattr(config, name) < 1.0:
            raise ValueError(f"AlbertConfig.{name} must be in [0, 1), got {getattr(config, name)}")
    if config.classifier_dropout_prob is not None and not 0.0 <= config.classifier_dropout_prob < 1.0:
        raise ValueError(
            f"classifier_dropout_prob must be in [0, 1) or None, got {config.classifier_dropout_prob}"
        )
    if config.layer_norm_eps <= 0:
        raise ValueError(f"layer_norm_eps must be positive, got {config.layer_norm_eps}")
    if config.num_labels <= 0:
        raise ValueError(f"num_labels must be positive, got {config.num_labels}")
    if config.chunk_size_feed_forward < 0:
        raise ValueError(f"chunk_size_feed_forward must be >= 0, got {config.chunk_size_feed_forward}")
    # Labels: HF derives id2label from num_labels ("LABEL_0", ...) and num_labels from id2label.
    id2label = config.id2label
    if id2label is not None:
        id2label = {int(k): str(v) for k, v in id2label.items()}
        if sorted(id2label) != list(range(len(id2label))):
            raise ValueError(f"id2label keys must be 0..n-1, got {sorted(id2label)}")
        object.__setattr__(config, "num_labels", len(id2label))
    else:
        id2label = {i: f"LABEL_{i}" for i in range(config.num_labels)}
    object.__setattr__(config, "id2label", id2label)
    label2id = config.label2id
    if label2id is None or len(label2id) != len(id2label):
        label2id = {v: k for k, v in id2label.items()}
    object.__setattr__(config, "label2id", {str(k): int(v) for k, v in label2id.items()})
    object.__setattr__(config, "pruned_heads", _checked_pruned_heads(config))


def _checked_pruned_heads(config: Any) -> dict[int, list[int]]:
    """`config.pruned_heads` with int keys (JSON has strings) and sorted unique heads, or a ValueError
    naming the layer or head that the model does not have."""
    pruned, heads = config.pruned_heads, config.num_attention_heads
    layers = config.num_hidden_groups * config.inner_group_num
    if not isinstance(pruned, dict):
        raise ValueError(f"pruned_heads must be a dict {{layer: [heads]}}, got {pruned!r}")
    out: dict[int, list[int]] = {}
    for key, removed in pruned.items():
        try:
            layer = int(key)
            removed = sorted({int(h) for h in removed})
        except (TypeError, ValueError):
            raise ValueError(
                f"pruned_heads[{key!r}] = {removed!r}: expected a layer number and a list of head numbers"
            ) from None
        if not 0 <= layer < layers:
            raise ValueError(
                f"pruned_heads has layer {key!r}, but the model has {layers} distinct layers "
                f"(num_hidden_groups x inner_group_num): layers are numbered 0..{layers - 1}"
            )
        if removed and not (removed[0] >= 0 and removed[-1] < heads):
            raise ValueError(f"pruned_heads[{layer}] = {removed}: heads are numbered 0..{heads - 1}")
        if len(removed) == heads:
            raise ValueError(
                f"pruned_heads[{layer}] removes all {heads} heads of the layer; keep at least one"
            )
        if removed:
            out[layer] = removed
    return dict(sorted(out.items()))
