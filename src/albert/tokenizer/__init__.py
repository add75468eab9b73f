"""ALBERT tokenizers: `AlbertTokenizer` (SentencePiece), `AlbertTokenizerFast` (Rust `tokenizers`, with
offsets), both giving transformers' slow-tokenizer ids, and `train_sentencepiece` for new vocabularies.

    >>> from albert.tokenizer import AlbertTokenizerFast
    >>> tok = AlbertTokenizerFast.from_pretrained("path/to/checkpoint")
    >>> tok("Hello world")["input_ids"]          # [CLS] ... [SEP]
    >>> tok.encode("Hello world", add_special_tokens=False)
"""

from albert.tokenizer.base import AlbertTokenizerBase
from albert.tokenizer.encoding import BatchEncoding, CharSpan, TokenSpan
from albert.tokenizer.fast import AlbertTokenizerFast, load_tokenizer
from albert.tokenizer.files import SpecialToken
from albert.tokenizer.normalize import preprocess_text, split_digit_comma_piece
from albert.tokenizer.slow import AlbertTokenizer
from albert.tokenizer.train import ALBERT_USER_DEFINED_SYMBOLS, train_sentencepiece

__all__ = [
    "load_tokenizer",
    "ALBERT_USER_DEFINED_SYMBOLS",
    "AlbertTokenizer",
    "AlbertTokenizerBase",
    "AlbertTokenizerFast",
    "BatchEncoding",
    "CharSpan",
    "TokenSpan",
    "SpecialToken",
    "preprocess_text",
    "split_digit_comma_piece",
    "train_sentencepiece",
]
