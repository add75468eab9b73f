"""What the keys of transformers' config.json files mean to `AlbertConfig` beyond its own fields: the keys
that describe the file rather than the model, and transformers' generic defaults of the generic fields."""

from __future__ import annotations

from typing import Any

# Keys transformers writes into config.json that describe the file, not the model. Read and dropped.
HF_BOOKKEEPING_KEYS = frozenset(
    {
        "architectures",
        "model_type",
        "transformers_version",
        "torch_dtype",
        "dtype",
        "_name_or_path",
        "_attn_implementation_autoset",
        "_attn_implementation",
        "return_dict",
        "torchscript",
        "use_return_dict",
        "_commit_hash",
    }
)

# transformers' generic (PretrainedConfig) defaults of the generic fields AlbertConfig has, as to_dict()
# writes them; to_diff_dict() leaves such a field out when it holds this value and AlbertConfig's default.
GENERIC_DEFAULTS: dict[str, Any] = {
    "pad_token_id": None,
    "bos_token_id": None,
    "eos_token_id": None,
    "tie_word_embeddings": True,
    "id2label": {"0": "LABEL_0", "1": "LABEL_1"},
    "label2id": {"LABEL_0": 0, "LABEL_1": 1},
    "problem_type": None,
    "chunk_size_feed_forward": 0,
    "pruned_heads": {},
    "output_hidden_states": False,
    "output_attentions": False,
}
