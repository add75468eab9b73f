"""`output_hidden_states` / `output_attentions` as config defaults on the Flax classes, as on the torch ones
(tests/model/test_output_defaults.py): the config's value unless the call passes one."""

from __future__ import annotations

from tests.model.test_output_defaults import check_other_framework

transformers = __import__("pytest").importorskip(
    "transformers", reason="transformers is the parity reference"
)


def test_config_output_flags_are_call_defaults(tmp_path):
    from albert.flax import FlaxAlbertForMaskedLM

    check_other_framework(FlaxAlbertForMaskedLM, tmp_path)
