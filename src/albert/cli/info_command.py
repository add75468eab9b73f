"""`albert info`: a model's config, where its parameters are, what the two ALBERT ideas save, and
whether config.json and the weights agree."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from typing import Any

from albert.cli.common import EXIT_ERROR, EXIT_OK


def add_info_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("model", help="checkpoint directory, hub id, or preset name such as albert-base-v2")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of text")


def parameter_report(config: Any) -> dict[str, int]:
    """Parameter counts of the encoder (`AlbertModel` with pooler) from the config alone, and of a BERT
    with the same H, L, vocabulary and positions but H-wide embeddings and no sharing."""
    V, P, T = config.vocab_size, config.max_position_embeddings, config.type_vocab_size  # noqa: N806
    E, H, F = config.embedding_size, config.hidden_size, config.intermediate_size  # noqa: N806
    layer = 4 * H * H + 4 * H + 2 * H + H * F + F + F * H + H + 2 * H  # attention + LN + FFN + LN
    if config.position_embedding_type != "absolute":
        layer += (2 * P - 1) * config.head_size  # relative-distance table of each attention
    embeddings = (V + P + T) * E + 2 * E
    projection = E * H + H
    shared = config.num_hidden_groups * config.inner_group_num * layer
    pooler = H * H + H
    depth = config.num_hidden_layers * config.inner_group_num  # layer applications
    bert = (V + P + T) * H + 2 * H + depth * layer + pooler
    return {
        "total": embeddings + projection + shared + pooler,
        "embedding": embeddings,
        "embedding_projection": projection,
        "shared_layers": shared,
        "pooler": pooler,
        "unshared_bert_total": bert,
        "factorisation_saves": (V + P + T) * H + 2 * H - embeddings - projection,
        "sharing_saves": (depth - config.num_hidden_groups * config.inner_group_num) * layer,
    }


def info(args: argparse.Namespace) -> int:
    """Print a model's config and where its parameters are (and are saved, compared with BERT)."""
    from albert.config import PRESETS, AlbertConfig

    try:
        config = AlbertConfig.from_pretrained(args.model)
    except FileNotFoundError as e:
        raise FileNotFoundError(f"{e} (albert info also takes a preset name: {', '.join(PRESETS)})") from None
    counts = parameter_report(config)
    stored = None
    disagreements: list[str] = []
    if args.model.removeprefix("albert/") not in PRESETS:
        from albert.checkpoint import read_state_dict

        try:
            tensors = read_state_dict(args.model)
            stored = sum(t.numel() for t in tensors.values() if t.is_floating_point())
        except FileNotFoundError:
            logging.getLogger(__name__).info("no weights in %s; counts come from the config only", args.model)
        else:
            disagreements = config_weight_disagreements(config, tensors)
    if args.json:
        config_dict = config.to_dict()
        print(
            json.dumps(
                {
                    "model": args.model,
                    "config": config_dict,
                    "parameters": counts,
                    "checkpoint_parameters": stored,
                    "config_weight_disagreements": disagreements,
                }
            )
        )
        return warn_disagreements(args.model, disagreements)
    print(f"model: {args.model}")
    print("config:")
    for key, value in config.to_dict().items():
        print(f"  {key:<30} {value}")
    c, L, G, I = counts, config.num_hidden_layers, config.num_hidden_groups, config.inner_group_num  # noqa: N806, E741
    rows = [
        ("parameters (encoder + pooler, from the config)", None),
        ("  total", c["total"]),
        (f"  embedding ((V + P + T) x E = ({config.vocab_size} + {config.max_position_embeddings} + {config.type_vocab_size}) x {config.embedding_size}, + LayerNorm)", c["embedding"]),
        (f"  embedding projection E -> H ({config.embedding_size} -> {config.hidden_size})", c["embedding_projection"]),
        (f"  shared layers ({G} group(s) x {I} layer(s), applied {L} times)", c["shared_layers"]),
        ("  pooler", c["pooler"]),
    ]  # fmt: skip
    if stored is not None:
        rows.append(("all tensors in the checkpoint (incl. task head)", stored))
    rows += [
        (f"unshared BERT of the same shape (E = H = {config.hidden_size}, {L * I} distinct layers)", c["unshared_bert_total"]),
        ("  saved by the factorised embedding", c["factorisation_saves"]),
        ("  saved by cross-layer sharing", c["sharing_saves"]),
    ]  # fmt: skip
    width = max(len(label) for label, _ in rows)
    for label, value in rows:
        print(label if value is None else f"{label:<{width}}  {value:>14,}")
    ratio = c["total"] / c["unshared_bert_total"]
    print(f"ALBERT has {ratio:.1%} of that BERT's parameters ({1 / ratio:.1f}x fewer)")
    return warn_disagreements(args.model, disagreements)


def config_weight_disagreements(config: Any, tensors: dict[str, Any]) -> list[str]:
    """Where a checkpoint's encoder weights disagree with what its config.json implies (shapes, tensors
    missing or left over), one line each; heads and a missing pooler are not counted (any task's head may
    be there, and masked-LM checkpoints have no pooler)."""
    import torch

    from albert.checkpoint.hf import from_hf_state_dict
    from albert.model import AlbertModel

    state, _ = from_hf_state_dict(tensors)
    weights = {k.removeprefix("backbone."): v for k, v in state.items() if k.startswith("backbone.")}
    with torch.device("meta"):  # shapes only: nothing allocated
        expected = AlbertModel(config).state_dict()
    shapes, missing, extra = [], [], []
    for key in sorted(set(expected) | set(weights)):
        if key not in weights and key.startswith("pooler."):
            continue  # masked-LM and token-level checkpoints have no pooler
        if key not in weights:
            missing.append(f"{key}: the config implies it, the weights lack it")
        elif key not in expected:
            extra.append(f"{key}: in the weights, but the config has no place for it")
        elif tuple(weights[key].shape) != tuple(expected[key].shape):
            shapes.append(f"{key}: shape {tuple(weights[key].shape)} in the weights, {tuple(expected[key].shape)} "
                         "from the config")  # fmt: skip
    return shapes + missing + extra


def warn_disagreements(model: str, disagreements: list[str]) -> int:
    """Exit status of `albert info`: 1 (after saying where) when config.json and the weights disagree."""
    if not disagreements:
        return EXIT_OK
    print(
        f"albert: warning: {model}: config.json and the weights disagree (loading will fail):",
        file=sys.stderr,
    )
    for line in disagreements[:10]:
        print(f"  {line}", file=sys.stderr)
    if len(disagreements) > 10:
        print(f"  ... and {len(disagreements) - 10} more", file=sys.stderr)
    return EXIT_ERROR
