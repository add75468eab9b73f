"""Pretraining data: corpora → sentences → SOP instances → memory-mapped shards → masked batches.

Typical use (see `build_pretraining_shards` and `pretraining_dataloader` for every option):

    vocabulary = Vocabulary.from_tokenizer(tokenizer)
    build_pretraining_shards([corpus_dir], batch_encoder(tokenizer), vocabulary, "shards/", max_seq_length=128)
    loader = pretraining_dataloader("shards/", batch_size=32, seed=0, rank=rank, world_size=world_size,
                                    consumed_samples=consumed_samples)
"""

from albert.data.build import build_pretraining_shards
from albert.data.collate import PretrainingCollator, masking_generator, pad_batch
from albert.data.corpus import document_sentences, read_documents, split_sentences
from albert.data.dataset import PretrainingDataset, PretrainingSampler, pretraining_dataloader
from albert.data.masking import IGNORE_INDEX, MaskingSpec, mask_tokens
from albert.data.sentence_order import SopInstance, create_sop_instances, pack_pair, truncate_pair
from albert.data.vocab import Vocabulary, batch_encoder, is_word_start_piece

__all__ = [
    "IGNORE_INDEX",
    "MaskingSpec",
    "PretrainingCollator",
    "PretrainingDataset",
    "PretrainingSampler",
    "SopInstance",
    "Vocabulary",
    "batch_encoder",
    "build_pretraining_shards",
    "create_sop_instances",
    "document_sentences",
    "is_word_start_piece",
    "mask_tokens",
    "masking_generator",
    "pack_pair",
    "pad_batch",
    "pretraining_dataloader",
    "read_documents",
    "split_sentences",
    "truncate_pair",
]
