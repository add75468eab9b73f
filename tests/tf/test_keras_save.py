"""Keras' own saving on our TF classes: `model.save("m.keras")`, `keras.models.load_model`, the
`ModelCheckpoint` callback in `fit`, and `get_config` / `from_config` (the AlbertConfig as a dict, as
transformers' TF classes)."""

from __future__ import annotations

import keras
import numpy as np
import pytest

import albert
import albert.tf
from tests.tf.conftest import CLASSES, config_for, make_inputs, make_labels


def assert_same_variables(expected: albert.tf.TFAlbertPreTrainedModel, actual) -> None:
    want, got = expected.variables_as_numpy(), actual.variables_as_numpy()
    assert sorted(got) == sorted(want)
    for name, array in want.items():
        np.testing.assert_array_equal(got[name], array, err_msg=name)


@pytest.mark.parametrize("cls_name", CLASSES)
def test_save_and_load_model_round_trip(cls_name, tmp_path):
    """Every variable comes back (the attention's `output` projection included, whose attribute name
    Keras' saving skips), with the config, the class and the dtype policy."""
    config = config_for("L5-G2-I2", position_embedding_type="relative_key", tie_word_embeddings=False)
    model = getattr(albert.tf, "TF" + cls_name)(config, dtype="mixed_bfloat16")
    model.save(tmp_path / "m.keras")
    loaded = keras.models.load_model(tmp_path / "m.keras")
    assert type(loaded) is type(model)
    assert loaded.config == model.config
    assert loaded.dtype_policy.name == "mixed_bfloat16"
    assert_same_variables(model, loaded)
    inputs = make_inputs(cls_name)
    np.testing.assert_array_equal(loaded(**inputs).to_tuple()[0], model(**inputs).to_tuple()[0])


def test_get_config_is_the_albert_config_and_from_config_rebuilds():
    model = albert.tf.TFAlbertModel(config_for("shared"), add_pooling_layer=False, name="encoder")
    config = model.get_config()
    assert config["vocab_size"] == model.config.vocab_size and config["model_type"] == "albert"
    rebuilt = albert.tf.TFAlbertModel.from_config(config)
    assert rebuilt.config == model.config and rebuilt.pooler is None and rebuilt.name == "encoder"
    # as transformers: a config.json dict or a config object works too
    task = albert.tf.TFAlbertForSequenceClassification
    assert task.from_config(model.config.to_dict()).config == model.config
    assert task.from_config(model.config).config == model.config


def test_model_checkpoint_saves_during_fit_and_training_resumes(tmp_path):
    """Keras' default ModelCheckpoint calls model.save at every epoch; the file reloads compiled, with
    the optimizer state and the problem type inferred while training."""
    config = config_for("shared", classifier_dropout_prob=0.0)  # (tiny configs: no other dropout)
    model = albert.tf.TFAlbertForSequenceClassification(config)
    model.compile(optimizer=keras.optimizers.Adam(1e-3), metrics=["accuracy"])
    x, y = make_inputs("AlbertForSequenceClassification"), make_labels("AlbertForSequenceClassification")
    checkpoint = keras.callbacks.ModelCheckpoint(str(tmp_path / "last.keras"))
    history = model.fit(x, y["labels"], batch_size=1, epochs=2, verbose=0, callbacks=[checkpoint])
    assert len(history.history["loss"]) == 2
    loaded = keras.models.load_model(tmp_path / "last.keras")
    assert loaded.config.problem_type == "single_label_classification"
    assert int(loaded.optimizer.iterations) == int(model.optimizer.iterations) == 4
    assert_same_variables(model, loaded)
    for resumed in (loaded, model):
        resumed.fit(x, y["labels"], batch_size=1, epochs=1, verbose=0, shuffle=False)
    assert_same_variables(model, loaded)  # the same step from the same optimizer state


def test_legacy_h5_saves_and_loads_with_custom_objects(tmp_path):
    """Keras 3's legacy .h5 format does not look up registered classes: give the class (docs say so)."""
    model = albert.tf.TFAlbertForTokenClassification(config_for("shared"))
    model.save(tmp_path / "m.h5")
    loaded = keras.models.load_model(
        tmp_path / "m.h5", custom_objects={"TFAlbertForTokenClassification": type(model)}
    )
    assert_same_variables(model, loaded)
