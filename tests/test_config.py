"""AlbertConfig: HF field names and defaults, validation errors, config.json round trips."""

from __future__ import annotations

import json

import pytest

from albert import PRESETS, AlbertConfig


def test_defaults_are_hf_defaults():
    c = AlbertConfig()
    assert (c.vocab_size, c.embedding_size, c.hidden_size, c.num_hidden_layers) == (30000, 128, 4096, 12)
    assert (c.num_attention_heads, c.intermediate_size, c.hidden_act) == (64, 16384, "gelu_new")
    assert (c.pad_token_id, c.bos_token_id, c.eos_token_id) == (0, 2, 3)
    assert c.id2label == {0: "LABEL_0", 1: "LABEL_1"} and c.label2id == {"LABEL_0": 0, "LABEL_1": 1}


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        (dict(hidden_size=100, num_attention_heads=12), "not divisible"),
        (dict(hidden_act="gelu_fancy"), "unknown hidden_act"),
        (dict(num_hidden_layers=0), "must be positive"),
        (dict(vocab_size=-5), "must be positive"),
        (dict(position_embedding_type="rotary"), "position_embedding_type"),
        (dict(num_hidden_groups=3, num_hidden_layers=2), "num_hidden_groups"),
        (dict(hidden_dropout_prob=1.5), "hidden_dropout_prob"),
        (dict(problem_type="ranking"), "problem_type"),
        (dict(hidden_size="768"), "must be an int"),
    ],
)
def test_invalid_values_raise_naming_the_field(changes, message):
    with pytest.raises(ValueError, match=message):
        AlbertConfig(**changes)


def test_json_round_trip_keeps_unknown_keys(tmp_path):
    d = AlbertConfig(hidden_size=768, num_attention_heads=12).to_dict()
    d.update(down_scale_factor=1, gap_size=0, net_structure_type=0, transformers_version="4.56.2")
    (tmp_path / "config.json").write_text(json.dumps(d))
    c = AlbertConfig.from_pretrained(tmp_path)
    assert c.hidden_size == 768 and c.extra == {
        "down_scale_factor": 1,
        "gap_size": 0,
        "net_structure_type": 0,
    }
    c.save_pretrained(tmp_path / "out")
    again = json.loads((tmp_path / "out" / "config.json").read_text())
    assert again["down_scale_factor"] == 1 and again["model_type"] == "albert"
    assert AlbertConfig.from_pretrained(tmp_path / "out") == c


def test_wrong_type_in_config_json_is_a_clear_error(tmp_path):
    d = AlbertConfig().to_dict()
    d["num_hidden_layers"] = "twelve"
    (tmp_path / "config.json").write_text(json.dumps(d))
    with pytest.raises(ValueError, match="num_hidden_layers must be an int"):
        AlbertConfig.from_pretrained(tmp_path)
    (tmp_path / "config.json").write_text("{not json")
    with pytest.raises(ValueError, match="not valid JSON"):
        AlbertConfig.from_pretrained(tmp_path)
    with pytest.raises(FileNotFoundError):
        AlbertConfig.from_json_file(tmp_path / "missing.json")


def test_other_model_type_is_rejected(tmp_path):
    (tmp_path / "config.json").write_text(json.dumps({"model_type": "bert"}))
    with pytest.raises(ValueError, match="model_type 'bert'"):
        AlbertConfig.from_pretrained(tmp_path)


def test_labels_and_group_rule():
    c = AlbertConfig(id2label={"0": "neg", "1": "neu", "2": "pos"})
    assert c.num_labels == 3 and c.label2id == {"neg": 0, "neu": 1, "pos": 2}
    assert c.replace(num_labels=5).id2label[4] == "LABEL_4"
    c = AlbertConfig(num_hidden_layers=5, num_hidden_groups=2)
    assert [c.group_index(i) for i in range(5)] == [0, 0, 0, 1, 1]


def test_presets_cover_the_released_checkpoints():
    assert len(PRESETS) == 8
    assert (
        PRESETS["albert-base-v2"].hidden_act == "gelu_new" and PRESETS["albert-base-v1"].hidden_act == "gelu"
    )
    assert AlbertConfig.from_preset("albert/albert-xlarge-v2").head_size == 128
    with pytest.raises(ValueError, match="unknown preset"):
        AlbertConfig.from_preset("albert-huge")


def test_transformers_reads_our_config_and_we_read_theirs(tmp_path):
    import transformers

    ours = AlbertConfig(hidden_size=64, num_attention_heads=4, position_embedding_type="relative_key")
    ours.save_pretrained(tmp_path / "a")
    theirs = transformers.AlbertConfig.from_pretrained(tmp_path / "a")
    assert theirs.hidden_size == 64 and theirs.position_embedding_type == "relative_key"
    theirs.save_pretrained(tmp_path / "b")
    assert AlbertConfig.from_pretrained(tmp_path / "b") == ours


def test_assignment_says_what_to_do_instead():
    import dataclasses

    config = AlbertConfig(num_labels=2)
    with pytest.raises(dataclasses.FrozenInstanceError, match=r"immutable.*config.replace\(num_labels=5\)"):
        config.num_labels = 5
    with pytest.raises(
        AttributeError, match=r"pass output_hidden_states=... to the model call, or .*replace"
    ):
        config.output_hidden_states = True
    with pytest.raises(
        AttributeError, match=r"cannot be updated in place: use config = config.replace\(\*\*"
    ):
        config.update({"num_labels": 3})
    assert config.replace(num_labels=5).num_labels == 5 and config.num_labels == 2


def test_transformers_config_habits(tmp_path):
    """The class attributes and methods transformers code reads off a config, equal to transformers'."""
    import transformers

    kw = dict(hidden_size=64, num_attention_heads=4, pad_token_id=None, num_labels=3, output_attentions=True)
    ours, theirs = AlbertConfig(**kw), transformers.AlbertConfig(**kw)
    assert AlbertConfig.model_type == ours.model_type == theirs.model_type == "albert"
    assert ours.is_encoder_decoder is theirs.is_encoder_decoder is False and ours.use_return_dict

    def as_json(d: dict) -> dict:  # as written to a file (transformers keeps int id2label keys until then)
        return json.loads(json.dumps({k: v for k, v in d.items() if k != "transformers_version"}))

    assert as_json(ours.to_diff_dict()) == as_json(theirs.to_diff_dict())
    default = AlbertConfig().to_diff_dict()
    assert as_json(default) == as_json(transformers.AlbertConfig().to_diff_dict())
    assert "output_attentions" not in default and "id2label" not in default and "pad_token_id" in default
    assert json.loads(ours.to_json_string()) == ours.to_diff_dict()
    assert json.loads(ours.to_json_string(use_diff=False)) == ours.to_dict()
    ours.to_json_file(tmp_path / "c.json")
    assert AlbertConfig.from_json_file(tmp_path / "c.json") == ours
    assert transformers.AlbertConfig.from_json_file(tmp_path / "c.json").output_attentions is True


def test_from_pretrained_return_unused_kwargs(tmp_path):
    AlbertConfig(hidden_size=64, num_attention_heads=4).save_pretrained(tmp_path)
    config, unused = AlbertConfig.from_pretrained(
        tmp_path, return_unused_kwargs=True, num_labels=3, foo=1, revision="main"
    )
    assert config.num_labels == 3 and unused == {"foo": 1}
    config, unused = AlbertConfig.from_pretrained("albert-base-v2", return_unused_kwargs=True, bar=2)
    assert config.hidden_size == 768 and unused == {"bar": 2}
    with pytest.raises(ValueError, match="unsupported argument 'foo'"):
        AlbertConfig.from_pretrained(tmp_path, foo=1)


def test_transformers_config_is_converted_where_we_take_a_config(tmp_path):
    """transformers' AlbertConfig given to our code: converted by `coerce`, `from_pretrained(config=...)` and
    the Auto classes' `from_config`; a model class built from one directly says how to convert it."""
    import transformers

    import albert

    theirs = transformers.AlbertConfig(hidden_size=32, num_attention_heads=4, intermediate_size=37,
                                       embedding_size=16, num_hidden_layers=2, vocab_size=99, num_labels=3)  # fmt: skip
    ours = AlbertConfig.coerce(theirs)
    assert (ours.hidden_size, ours.num_labels, ours.vocab_size) == (32, 3, 99) and AlbertConfig.coerce(
        ours
    ) is ours
    transformers.AlbertForSequenceClassification(theirs).save_pretrained(tmp_path)
    model = albert.AlbertForSequenceClassification.from_pretrained(tmp_path, config=theirs)
    assert model.config == ours
    assert albert.AutoModelForSequenceClassification.from_config(theirs).config == ours
    with pytest.raises(
        TypeError, match=r"must be an albert.AlbertConfig, got transformers\..*AlbertConfig: convert"
    ):
        albert.AlbertModel(theirs)
    with pytest.raises(ValueError, match="model_type 'bert'"):
        AlbertConfig.coerce(transformers.BertConfig())
    with pytest.raises(TypeError, match="got builtins.dict"):
        AlbertConfig.coerce({"hidden_size": 32})
