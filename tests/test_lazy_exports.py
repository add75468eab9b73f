"""`import albert` stays light: the Flax classes are exported lazily and import jax only on first use; the
sentence splitter (`sentencex`, used only to build pretraining data) is imported on first use too."""

from __future__ import annotations

import subprocess
import sys

import albert


def _run(code: str) -> str:
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_import_albert_does_not_import_jax_or_flax_or_the_sentence_splitter():
    out = _run(
        "import sys, albert; print(sorted(m for m in ('jax', 'flax', 'optax', 'sentencex') if m in sys.modules))"
    )
    assert out == "[]"


def test_flax_class_is_imported_on_first_access():
    out = _run("import sys, albert; m = albert.FlaxAlbertModel; print(m.__module__, 'jax' in sys.modules)")
    assert out == "albert.flax.backbone True"


def test_lazy_names_are_listed_and_unknown_names_fail_clearly():
    assert "FlaxAlbertForMaskedLM" in dir(albert)
    assert "FlaxAlbertForMaskedLM" not in albert.__all__  # `import *` must not pull jax
    try:
        albert.NoSuchThing  # noqa: B018
    except AttributeError as e:
        assert "NoSuchThing" in str(e)
    else:
        raise AssertionError("expected AttributeError")
