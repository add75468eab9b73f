"""The exact expectations of transformers' ALBERT tokenizer tests (contract §6.7), on the real vocabulary,
for both of our tokenizers."""

from __future__ import annotations

from albert.tokenizer import AlbertTokenizer, AlbertTokenizerFast

# Each test checks both tokenizers (one test each: these expectations are only about the real vocabulary,
# which a clone without ../shared does not have).


def test_convert_token_and_id(real_slow, real_fast):
    for tok in (real_slow, real_fast):
        assert tok.convert_tokens_to_ids("<pad>") == 0
        assert tok.convert_ids_to_tokens(0) == "<pad>"


def test_get_vocab(real_slow, real_fast):
    for tok in (real_slow, real_fast):
        vocab = tok.get_vocab()
        keys = list(vocab)
        assert keys[0] == "<pad>" and keys[1] == "<unk>" and keys[-1] == "▁eloquent"
        assert len(vocab) == 30000 and tok.vocab_size == 30000 and len(tok) == 30000


def test_special_token_ids(real_slow, real_fast):
    for tok in (real_slow, real_fast):
        assert (
            tok.pad_token_id,
            tok.unk_token_id,
            tok.cls_token_id,
            tok.sep_token_id,
            tok.mask_token_id,
        ) == (
            0,
            1,
            2,
            3,
            4,
        )
        assert (tok.bos_token, tok.eos_token) == ("[CLS]", "[SEP]")
        assert tok.all_special_tokens == ["[CLS]", "[SEP]", "<unk>", "<pad>", "[MASK]"]
        assert tok.all_special_ids == [2, 3, 1, 0, 4]


def test_full_tokenizer_keep_accents(real_spm):
    for tok_cls in (AlbertTokenizer, AlbertTokenizerFast):
        tok = tok_cls(real_spm, keep_accents=True)
        assert tok.tokenize("This is a test") == ["▁this", "▁is", "▁a", "▁test"]
        assert tok.convert_tokens_to_ids(tok.tokenize("This is a test")) == [48, 25, 21, 1289]
        pieces = tok.tokenize("I was born in 92000, and this is falsé.")
        assert pieces == [
            "▁i",
            "▁was",
            "▁born",
            "▁in",
            "▁9",
            "2000",
            ",",
            "▁and",
            "▁this",
            "▁is",
            "▁fal",
            "s",
            "é",
            ".",
        ]
        ids = tok.convert_tokens_to_ids(pieces)
        assert ids == [31, 23, 386, 19, 561, 3050, 15, 17, 48, 25, 8256, 18, 1, 9]
        assert tok.encode("I was born in 92000, and this is falsé.", add_special_tokens=False) == ids
        back = tok.convert_ids_to_tokens(ids)
        assert back == [
            "▁i",
            "▁was",
            "▁born",
            "▁in",
            "▁9",
            "2000",
            ",",
            "▁and",
            "▁this",
            "▁is",
            "▁fal",
            "s",
            "<unk>",
            ".",
        ]


def test_rust_and_python_full_tokenizers(real_slow, real_fast):
    text = "I was born in 92000, and this is falsé."
    assert real_slow.tokenize(text) == real_fast.tokenize(text)
    assert real_slow.encode(text, add_special_tokens=False) == real_fast.encode(
        text, add_special_tokens=False
    )
    assert real_slow.encode(text) == real_fast.encode(text)
    assert real_fast.tokenize(text)[-3:] == ["▁is", "▁false", "."]


def test_sequence_builders(real_slow, real_fast):
    for tok in (real_slow, real_fast):
        a = tok.encode("sequence builders", add_special_tokens=False)
        b = tok.encode("multi-sequence build", add_special_tokens=False)
        assert tok.build_inputs_with_special_tokens(a) == [tok.cls_token_id, *a, tok.sep_token_id]
        assert tok.build_inputs_with_special_tokens(a, b) == [
            tok.cls_token_id,
            *a,
            tok.sep_token_id,
            *b,
            tok.sep_token_id,
        ]


INTEGRATION_SENTENCES = [
    "Transformers (formerly known as pytorch-transformers and pytorch-pretrained-bert) provides general-purpose "
    "architectures (BERT, GPT-2, RoBERTa, XLM, DistilBert, XLNet...) for Natural Language Understanding (NLU) and "
    "Natural Language Generation (NLG) with over 32+ pretrained models in 100+ languages and deep interoperability "
    "between Jax, PyTorch and TensorFlow.",
    "BERT is designed to pre-train deep bidirectional representations from unlabeled text by jointly conditioning "
    "on both left and right context in all layers.",
    "The quick brown fox jumps over the lazy dog.",
]
INTEGRATION_IDS = [
    [2, 21970, 13, 5, 6092, 167, 28, 7103, 2153, 673, 8, 7028, 12051, 18, 17, 7103, 2153, 673, 8, 3515, 18684, 8,
     4461, 6, 1927, 297, 8, 12060, 2607, 18, 13, 5, 4461, 15, 10538, 38, 8, 135, 15, 822, 58, 15, 993, 10363, 15,
     1460, 8005, 4461, 15, 993, 255, 2328, 9, 9, 9, 6, 26, 1112, 816, 3260, 13, 5, 103, 2377, 6, 17, 1112, 816,
     2782, 13, 5, 103, 10641, 6, 29, 84, 2512, 2430, 782, 18684, 2761, 19, 808, 2430, 2556, 17, 855, 1480, 9477,
     4091, 128, 11712, 15, 7103, 2153, 673, 17, 24883, 9990, 9, 3],
    [2, 11502, 25, 1006, 20, 782, 8, 11809, 855, 1732, 19393, 18667, 37, 367, 21018, 69, 1854, 34, 11860, 19124,
     27, 156, 225, 17, 193, 4141, 19, 65, 9124, 9, 3] + [0] * 70,
    [2, 14, 2231, 886, 2385, 17659, 84, 14, 16792, 1952, 9, 3] + [0] * 89,
]  # fmt: skip


def test_tokenizer_integration(real_slow, real_fast):
    for tok in (real_slow, real_fast):
        # Upstream's test feeds the sentences lowercased (test_sentencepiece_ignore_case).
        sentences = [s.lower() for s in INTEGRATION_SENTENCES]
        enc = tok(sentences, padding=True)
        assert enc["input_ids"] == INTEGRATION_IDS
        assert enc["token_type_ids"] == [[0] * 101] * 3
        assert [sum(m) for m in enc["attention_mask"]] == [101, 31, 12]
        assert [tok.decode(ids, skip_special_tokens=True) for ids in enc["input_ids"]] == sentences
        # Cased input gives the same ids (do_lower_case).
        assert tok(INTEGRATION_SENTENCES, padding=True)["input_ids"] == INTEGRATION_IDS


COMMON_STRING = (
    "This is a test 😊\nI was born in 92000, and this is falsé.\n生活的真谛是\nHi  Hello\nHi   Hello\n\n \n  \n Hello\n"
    "<s>\nhi<s>there\nThe following string should be properly encoded: Hello.\nBut ird and ปี   ird   ด\n"
    "Hey how are you doing"
)
COMMON_TOKENS = [
    "▁this", "▁is", "▁a", "▁test", "▁", "😊", "▁i", "▁was", "▁born", "▁in", "▁9", "2000", ",", "▁and", "▁this",
    "▁is", "▁false", ".", "▁", "生活的真谛是", "▁hi", "▁hello", "▁hi", "▁hello", "▁hello", "▁", "<", "s", ">", "▁hi",
    "<", "s", ">", "there", "▁the", "▁following", "▁string", "▁should", "▁be", "▁properly", "▁encoded", ":",
    "▁hello", ".", "▁but", "▁i", "rd", "▁and", "▁", "ปี", "▁i", "rd", "▁", "ด", "▁hey", "▁how", "▁are", "▁you",
    "▁doing",
]  # fmt: skip
# Upstream v5 (tokenizers' StripAccents, category Mn) lists "ป" where ALBERT's rule (combining class) keeps
# "ปี": U+0E35 is Mn with class 0. Both are <unk>, so the ids below are upstream's exactly.
COMMON_IDS = [
    48, 25, 21, 1289, 13, 1, 31, 23, 386, 19, 561, 3050, 15, 17, 48, 25, 4997, 9, 13, 1, 4148, 10975, 4148, 10975,
    10975, 13, 1, 18, 1, 4148, 1, 18, 1, 1887, 14, 249, 3724, 378, 44, 7428, 13665, 45, 10975, 9, 47, 31, 897, 17,
    13, 1, 31, 897, 13, 1, 8409, 184, 50, 42, 845,
]  # fmt: skip


def test_common_integration_string(real_slow, real_fast):
    for tok in (real_slow, real_fast):
        assert tok.tokenize(COMMON_STRING) == COMMON_TOKENS
        assert tok.encode(COMMON_STRING, add_special_tokens=False) == COMMON_IDS
        assert tok.encode(COMMON_STRING) == [2, *COMMON_IDS, 3]


def test_common_string_decode_fast(real_fast):
    # The decoded text of transformers' tokenizers-backed ALBERT (Metaspace decoder).
    assert real_fast.decode(COMMON_IDS) == (
        "this is a test <unk> i was born in 92000, and this is false. <unk> hi hello hi hello hello <unk>s<unk> "
        "hi<unk>s<unk>there the following string should be properly encoded: hello. but ird and <unk> ird <unk> "
        "hey how are you doing"
    )


def test_unknown_runs_merge(real_slow, real_fast):
    for tok in (real_slow, real_fast):
        assert tok.encode("生活的真谛是", add_special_tokens=False) == [13, 1]


def test_decode_special_tokens(real_slow, real_fast):
    for tok in (real_slow, real_fast):
        ids = tok.encode("hello world")
        assert tok.decode(ids) == "[CLS] hello world[SEP]"
        assert tok.decode(ids, skip_special_tokens=True) == "hello world"
