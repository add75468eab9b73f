"""The built-in model shipped in the package: present, small, loadable here and in transformers, and
answering fill-mask offline."""

from __future__ import annotations

import json
import subprocess
import sys

import torch

import albert
from albert.pipelines import default_model_dir


def test_built_in_model_is_shipped_and_small():
    directory = default_model_dir()
    files = {p.name for p in directory.iterdir()}
    assert {"config.json", "model.safetensors", "spiece.model", "tokenizer_config.json"} <= files
    size = sum(p.stat().st_size for p in directory.iterdir())
    assert size < 25 * 2**20, f"built-in model is {size / 2**20:.1f} MiB, over the 25 MB budget"


def test_fill_mask_pipeline_with_the_built_in_model():
    fill = albert.pipeline("fill-mask")
    results = fill("The [MASK] of the river was very cold.", top_k=3)
    assert len(results) == 3
    assert all(set(r) == {"score", "token", "token_str", "sequence"} for r in results)
    assert results[0]["score"] >= results[1]["score"] >= results[2]["score"]


def test_built_in_model_loads_in_transformers_with_the_same_logits():
    import transformers

    directory = default_model_dir()
    tokenizer = albert.AlbertTokenizerFast.from_pretrained(directory)
    enc = tokenizer("Plants create [MASK] through a process known as photosynthesis.", return_tensors="pt")
    ours = albert.AlbertForMaskedLM.from_pretrained(directory)(**enc).logits
    ref = transformers.AlbertForMaskedLM.from_pretrained(directory).eval()(**enc).logits
    torch.testing.assert_close(ours, ref, atol=1e-5, rtol=1e-5)


def test_cli_fill_mask_without_a_model_argument():
    text = "Plants create [MASK] through a process known as photosynthesis."
    done = subprocess.run(
        [sys.executable, "-m", "albert", "run", "--task", "fill-mask", "--top-k", "2"],
        input=text + "\n",
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    results = json.loads(done.stdout.splitlines()[0])
    assert len(results) == 2 and "[MASK]" not in results[0]["sequence"]
