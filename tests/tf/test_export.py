"""`albert export --format saved_model`: the SavedModel reloads with plain TensorFlow and gives the same
logits; and `import albert` does not import TensorFlow."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
import tensorflow as tf

import albert
import albert.tf
from albert.cli import main
from tests.tf.conftest import ATOL, config_for, make_inputs


@pytest.mark.parametrize(
    "cls_name,structure",
    [("AlbertForSequenceClassification", "relkey-E=H-relu"), ("AlbertForMultipleChoice", "shared")],
)
def test_saved_model_serves_the_same_logits(cls_name: str, structure: str, tmp_path) -> None:
    model = getattr(albert.tf, "TF" + cls_name)(config_for(structure))
    model.save_pretrained(tmp_path / "model")
    assert (
        main(["export", str(tmp_path / "model"), "--format", "saved_model", "--output", str(tmp_path / "sm")])
        == 0
    )
    serve = tf.saved_model.load(str(tmp_path / "sm")).signatures["serving_default"]
    for batch, seq in ((2, 7), (1, 12)):  # one signature for any batch size and length
        inputs = make_inputs(cls_name, batch=batch, seq=seq)
        got = serve(**{k: tf.constant(v, tf.int32) for k, v in inputs.items()})
        np.testing.assert_allclose(got["logits"], model(**inputs).logits, atol=ATOL)


def test_export_unknown_class_is_named(tmp_path, capsys) -> None:
    albert.tf.TFAlbertModel(config_for("shared")).save_pretrained(tmp_path)
    argv = [
        "export",
        str(tmp_path),
        "--format",
        "saved_model",
        "--output",
        str(tmp_path / "sm"),
        "--class",
        "TFBert",
    ]
    assert main(argv) == 1
    assert "unknown --class 'TFBert'" in capsys.readouterr().err


def test_import_albert_does_not_import_tensorflow() -> None:
    code = (
        "import sys, albert; assert 'tensorflow' not in sys.modules and 'keras' not in sys.modules; "
        "assert 'TFAlbertModel' in dir(albert); print('ok')"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert result.stdout.strip() == "ok", result.stderr
    assert albert.TFAlbertForMaskedLM is albert.tf.TFAlbertForMaskedLM  # resolved lazily, in this process
    with pytest.raises(AttributeError, match="TFAlbertNope"):
        _ = albert.TFAlbertNope
