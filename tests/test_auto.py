"""`albert.auto`: the Auto classes read what a checkpoint is, return our classes, and refuse others."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import torch

import albert
from albert.auto import MODEL_CLASSES, AutoModelBase
from tests.conftest import MODEL_CLASSES as CLASS_NAMES
from tests.conftest import tiny_kwargs
from tests.doc_checkpoints import build_tokenizer_dir


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory) -> Path:
    """A tiny AlbertForMaskedLM saved by us, with tokenizer files."""
    path = build_tokenizer_dir(tmp_path_factory.mktemp("auto") / "albert")
    albert.AlbertForMaskedLM(albert.AlbertConfig(**tiny_kwargs())).save_pretrained(path)
    return path


def rewrite_json(source: Path, target: Path, filename: str, **changes) -> Path:
    shutil.copytree(source, target)
    data = json.loads((target / filename).read_text())
    (target / filename).write_text(json.dumps({**data, **changes}))
    return target


def test_the_table_names_every_model_class_and_each_is_exported():
    for prefix, module in (("", "albert.model"), ("Flax", "albert.flax"), ("TF", "albert.tf")):
        built = sorted(cls for mod, cls in MODEL_CLASSES.values() if mod == module)
        assert built == sorted(prefix + name for name in CLASS_NAMES), module
    for auto_name, (_, class_name) in MODEL_CLASSES.items():
        auto = getattr(albert, auto_name)
        assert issubclass(auto, AutoModelBase) and auto.model_class() is getattr(albert, class_name)


@pytest.mark.parametrize("auto_name", sorted(MODEL_CLASSES))
def test_from_pretrained_returns_the_tables_class(checkpoint, auto_name):
    model = getattr(albert, auto_name).from_pretrained(checkpoint, layer_norm_eps=1e-6)
    assert type(model) is getattr(albert, MODEL_CLASSES[auto_name][1]) and model.config.layer_norm_eps == 1e-6


def test_auto_classes_are_factories():
    for factory in (albert.AutoModel, albert.AutoConfig, albert.AutoTokenizer):
        with pytest.raises(
            TypeError, match=rf"{factory.__name__} is a factory: use {factory.__name__}.from_pretrained"
        ):
            factory()
    with pytest.raises(TypeError, match="path and keyword arguments only"):
        albert.AutoModel.from_pretrained("dir", albert.AlbertConfig())


def test_from_config_takes_ours_or_transformers_config():
    config = albert.AlbertConfig(**tiny_kwargs())
    model = albert.AutoModelForQuestionAnswering.from_config(
        config, attn_implementation="eager", dtype=torch.bfloat16
    )
    assert isinstance(model, albert.AlbertForQuestionAnswering)
    assert (model.attn_implementation, model.dtype) == ("eager", torch.bfloat16)
    transformers = pytest.importorskip("transformers")
    theirs = transformers.AlbertConfig(**tiny_kwargs(), num_labels=4)
    model = albert.AutoModelForSequenceClassification.from_config(theirs)
    assert model.config.num_labels == 4 and model.config.hidden_size == 16
    with pytest.raises(ValueError, match="model_type 'bert'"):
        albert.AutoModel.from_config(transformers.BertConfig())
    with pytest.raises(ValueError, match="unsupported argument 'foo'"):
        albert.AutoModel.from_config(config, foo=1)
    with pytest.raises(ValueError, match="reads no files; revision apply only to from_pretrained"):
        albert.AutoModel.from_config(config, revision="main")


def test_auto_config(checkpoint):
    assert albert.AutoConfig.from_pretrained(checkpoint) == albert.AlbertConfig.from_pretrained(checkpoint)
    assert albert.AutoConfig.from_pretrained("albert/albert-base-v2", num_labels=5).num_labels == 5
    assert albert.AutoConfig.for_model("albert", hidden_size=64, num_attention_heads=4).hidden_size == 64
    with pytest.raises(ValueError, match="model_type 'bert' is not ALBERT"):
        albert.AutoConfig.for_model("bert")


def test_a_non_albert_checkpoint_is_named(checkpoint, tmp_path):
    bert = rewrite_json(
        checkpoint, tmp_path / "bert", "config.json", model_type="bert", architectures=["BertForMaskedLM"]
    )
    for load in (albert.AutoModelForMaskedLM.from_pretrained, albert.AutoConfig.from_pretrained):
        with pytest.raises(
            ValueError,
            match=r"holds a model_type 'bert' and architectures \['BertForMaskedLM'\] checkpoint, not ALBERT",
        ):
            load(bert)
    (bert / "tokenizer_config.json").unlink()  # no tokenizer_class: the model's config.json decides
    with pytest.raises(ValueError, match="model_type 'bert'"):
        albert.AutoTokenizer.from_pretrained(bert)


def test_architectures_of_another_model_are_refused(checkpoint, tmp_path):
    odd = rewrite_json(checkpoint, tmp_path / "odd", "config.json", architectures=["RobertaForMaskedLM"])
    with pytest.raises(ValueError, match=r"architectures \['RobertaForMaskedLM'\]"):
        albert.AutoModel.from_pretrained(odd)


def test_a_non_albert_tokenizer_is_named(checkpoint, tmp_path):
    other = rewrite_json(checkpoint, tmp_path / "t5", "tokenizer_config.json", tokenizer_class="T5Tokenizer")
    with pytest.raises(ValueError, match="holds a T5Tokenizer tokenizer"):
        albert.AutoTokenizer.from_pretrained(other)


def test_auto_tokenizer_kwargs(checkpoint):
    tokenizer = albert.AutoTokenizer.from_pretrained(
        checkpoint, do_lower_case=False, trust_remote_code=True, revision="x"
    )
    assert isinstance(tokenizer, albert.AlbertTokenizerFast) and tokenizer.do_lower_case is False
    with pytest.raises(ValueError, match="got an unsupported argument 'lowercase'"):
        albert.AutoTokenizer.from_pretrained(checkpoint, lowercase=False)
