"""The model and data options of `albert pretrain` (`PretrainArgs`); the loop's are `train_args.TrainArgs`.
Each field is a flag (`--max-seq-length`) and a key of the `--config` YAML file, documented by its docstring."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal


@dataclass(kw_only=True)
class PretrainArgs:
    """Model and data options of `albert pretrain` (the loop's options are `TrainArgs`)."""

    corpus: list[str] = field(default_factory=list)
    """Training text: files or directories (plain text, WikiExtractor `<doc>` files, Gutenberg books)."""
    eval_corpus: list[str] = field(default_factory=list)
    """Held-out text for the periodic evaluation (MLM accuracy, SOP accuracy, losses)."""
    tokenizer: str | None = None
    """An ALBERT tokenizer directory; by default a new vocabulary is trained on the corpus (with `init_from`:
    that model's own)."""
    vocab_size: int = 30000
    """Size of a newly trained vocabulary (ALBERT: 30000)."""
    vocab_sentences: int = 2_000_000
    """Sentences sampled to train a new vocabulary."""
    model: str = "albert-base-v2"
    """Architecture: a preset name (albert-base-v2, ...) or a config.json / model directory."""
    model_config: dict[str, Any] = field(default_factory=dict)
    """Config fields overriding the architecture, e.g. `hidden_size=256 num_hidden_layers=4`."""
    init_from: str | None = None
    """Start from the weights of this model directory instead of a random initialisation (a warm restart:
    fresh optimizer state); its shape and, unless `tokenizer` is given, its tokenizer are used."""
    attn_implementation: Literal["sdpa", "eager"] = "sdpa"
    """Attention kernel."""
    max_seq_length: int = 512
    """Tokens per instance, [CLS] A [SEP] B [SEP] included (ALBERT: 512)."""
    short_seq_prob: float = 0.1
    """Probability of a shorter target length, uniform in [2, max] (ALBERT: 0.1)."""
    masked_lm_prob: float = 0.15
    """Fraction of tokens to predict (ALBERT: 0.15, capped by `max_predictions_per_seq`)."""
    max_predictions_per_seq: int = 20
    """Cap on predicted tokens per instance (ALBERT: 20)."""
    random_document_negatives: bool = True
    """A one-sentence chunk takes its B segment from another document, labelled 1, as the original does."""
    static_masking: bool = False
    """Mask once at build time (`dupe_factor` copies) instead of fresh masks every epoch."""
    dupe_factor: int = 1
    """Copies of the corpus with different chunking (and masks, when static) built into the shards."""
    eval_batches: int = 20
    """Held-out batches per evaluation (fixed masks, so evaluations are comparable)."""
    data_seed: int = 12345
    """Seed of chunking and pairing (the shards). The masks, static or dynamic, follow the training `seed`."""
    fast_paths: bool = True
    """Train with the model's fast paths (padding removed where it pays, MLM logits only at predicted
    positions, fused GELU): the same losses, less compute and memory (see albert.model.fast)."""
    start_over: bool = False
    """Delete the vocabulary, shards, checkpoints and model of an earlier run in the output directory first
    (without it, a run refuses an output directory built from another corpus or other settings)."""
    push_to_hub: str | None = None
    """Upload the final model (`<output_dir>/model`: weights, config, tokenizer) to this Hugging Face Hub
    repository at the end; the network and a login are checked before anything is built."""
    hub_private: bool = False
    """Create the `push_to_hub` repository private."""
