"""The ALBERT documentation's examples, typed as a transformers user would after swapping the import
(a local directory for the hub id, the CPU for GPU 0), each compared with transformers on the same
directory: pipeline, Auto classes with dtype / attn_implementation / device_map, `.to(model.device)`,
`topk` decoding, multiple choice with `{k: v.unsqueeze(0)}`, and `echo -e ... | albert run`."""

from __future__ import annotations

import json
import logging
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
import torch

import albert
from tests.conftest import MODEL_CLASSES
from tests.doc_checkpoints import DOC_SENTENCES, build_checkpoints

transformers = pytest.importorskip("transformers", reason="transformers is the reference for parity tests")

PROMPT = "Plants create energy through a process known as [MASK]."
NO_CUDA = pytest.mark.skipif(torch.cuda.is_available(), reason="checks the error given without CUDA")


@pytest.fixture(scope="module")
def dirs(tmp_path_factory) -> dict[str, Path]:
    return build_checkpoints(tmp_path_factory.mktemp("doc-examples"), MODEL_CLASSES)


@pytest.fixture(scope="module")
def mlm_dir(dirs) -> Path:
    return dirs["AlbertForMaskedLM"]


def top_predictions(lib, path: Path, **loading) -> list[str]:
    """The documentation's AutoModel example, written once for both libraries (`lib` = the import)."""
    tokenizer = lib.AutoTokenizer.from_pretrained(path)
    model = lib.AutoModelForMaskedLM.from_pretrained(path, **loading)
    inputs = tokenizer(PROMPT, return_tensors="pt").to(model.device)
    with torch.no_grad():
        outputs = model(**inputs)
        mask_token_index = torch.where(inputs["input_ids"] == tokenizer.mask_token_id)[1]
        predictions = outputs.logits[0, mask_token_index]
    top_k = torch.topk(predictions, k=5).indices.tolist()
    return [tokenizer.decode([token_id]) for token_id in top_k[0]]


# ----- the examples --------------------------------------------------------------------------------


def test_pipeline_example(mlm_dir):
    ours = albert.pipeline(task="fill-mask", model=mlm_dir, dtype="auto")
    theirs = transformers.pipeline(task="fill-mask", model=str(mlm_dir))
    text = "Plants create [MASK] through a process known as photosynthesis."
    got, want = ours(text), theirs(text)
    assert [r["token_str"] for r in got] == [r["token_str"] for r in want]
    assert [r["score"] for r in got] == pytest.approx([r["score"] for r in want], abs=1e-5)


def test_pipeline_example_with_torch_dtype(mlm_dir):
    """The v4 documentation's spelling: `torch_dtype=torch.float16` (on the CPU instead of device=0)."""
    fill = albert.pipeline(task="fill-mask", model=mlm_dir, torch_dtype=torch.float16, device="cpu")
    assert fill.dtype is torch.float16
    reference = albert.pipeline(task="fill-mask", model=mlm_dir)
    text = DOC_SENTENCES[0]
    half = {r["token_str"]: r["score"] for r in fill(text, top_k=20)}
    for r in reference(text, top_k=3):  # the fp32 favourites keep (about) their fp32 scores in fp16
        assert half[r["token_str"]] == pytest.approx(r["score"], abs=2e-3)
    auto = albert.pipeline(task="fill-mask", model=mlm_dir, device_map="auto", torch_dtype="auto")
    assert auto.device == (torch.device("cuda", 0) if torch.cuda.is_available() else torch.device("cpu"))


def test_auto_model_example_fp32_matches_transformers(mlm_dir):
    loading = dict(dtype=torch.float32, attn_implementation="sdpa")
    # transformers needs `accelerate` for device_map (not installed here); we do not.
    ours = top_predictions(albert, mlm_dir, device_map="auto", **loading)
    assert ours == top_predictions(transformers, mlm_dir, **loading)


def test_auto_model_example_as_documented(mlm_dir):
    """`dtype=torch.float16, attn_implementation="sdpa", device_map="auto"`: the model is half precision
    on the best device (the CPU here), and its logits are within fp16 rounding of transformers'."""
    loading = dict(dtype=torch.float16, attn_implementation="sdpa", device_map="auto")
    model = albert.AutoModelForMaskedLM.from_pretrained(mlm_dir, **loading)
    expected_device = "cuda" if torch.cuda.is_available() else "cpu"
    assert (model.device.type, model.dtype) == (expected_device, torch.float16)
    assert isinstance(model, albert.AlbertForMaskedLM)
    reference = transformers.AutoModelForMaskedLM.from_pretrained(mlm_dir, dtype=torch.float16).to(
        model.device
    )
    inputs = albert.AutoTokenizer.from_pretrained(mlm_dir)(PROMPT, return_tensors="pt").to(model.device)
    with torch.no_grad():
        ours, theirs = model(**inputs).logits.float(), reference(**inputs).logits.float()
    assert (ours - theirs).abs().max().item() < 2e-2
    assert len(top_predictions(albert, mlm_dir, **loading)) == 5


def test_older_torch_dtype_spelling_with_sdpa(mlm_dir, caplog, monkeypatch):
    """`AlbertModel.from_pretrained(dir, torch_dtype=torch.float16, attn_implementation="sdpa")`: loads in
    fp16 with one warning about the older name, however often it is used."""
    monkeypatch.setattr("albert.loading._warned", set())
    with caplog.at_level(logging.WARNING, logger="albert.loading"):
        model = albert.AlbertModel.from_pretrained(
            mlm_dir, torch_dtype=torch.float16, attn_implementation="sdpa"
        )
        again = albert.AlbertModel.from_pretrained(mlm_dir, torch_dtype=torch.float16, dtype=torch.float32)
    assert (model.dtype, model.attn_implementation, again.dtype) == (torch.float16, "sdpa", torch.float32)
    assert [r.name for r in caplog.records].count("albert.loading") == 1


def test_batch_encoding_attributes_and_to(mlm_dir):
    tokenizer = albert.AutoTokenizer.from_pretrained(mlm_dir)
    inputs = tokenizer(PROMPT, return_tensors="pt").to(torch.device("cpu"))
    assert inputs.input_ids is inputs["input_ids"] and inputs.attention_mask.shape == inputs.input_ids.shape
    reference = transformers.AutoTokenizer.from_pretrained(mlm_dir)(PROMPT, return_tensors="pt")
    assert torch.equal(inputs.input_ids, reference.input_ids)


def test_multiple_choice_example(dirs):
    """The AlbertForMultipleChoice example: one prompt, two choices, `{k: v.unsqueeze(0)}`, a label."""
    path = dirs["AlbertForMultipleChoice"]
    prompt, choice0, choice1 = DOC_SENTENCES[2:5]
    results = []
    for lib in (albert, transformers):
        tokenizer = lib.AutoTokenizer.from_pretrained(path)
        model = lib.AutoModelForMultipleChoice.from_pretrained(path)
        labels = torch.tensor(0).unsqueeze(0)  # choice0 is correct (according to Wikipedia ;)), batch size 1
        encoding = tokenizer([prompt, prompt], [choice0, choice1], return_tensors="pt", padding=True)
        with torch.no_grad():
            outputs = model(**{k: v.unsqueeze(0) for k, v in encoding.items()}, labels=labels)
        results.append((outputs.loss, outputs.logits))
    (loss, logits), (ref_loss, ref_logits) = results
    assert logits.shape == (1, 2)
    torch.testing.assert_close(logits, ref_logits, atol=1e-5, rtol=0)
    torch.testing.assert_close(loss, ref_loss, atol=1e-5, rtol=0)


@pytest.mark.parametrize("class_name", MODEL_CLASSES)
def test_every_auto_model_class_matches_transformers(dirs, class_name):
    auto_name = "AutoModel" + class_name.removeprefix("Albert").removeprefix("Model")
    path = dirs[class_name]
    model = getattr(albert, auto_name).from_pretrained(path)
    reference = getattr(transformers, auto_name).from_pretrained(path).eval()
    assert type(model) is getattr(albert, class_name)
    shape = (1, 2, 9) if class_name == "AlbertForMultipleChoice" else (2, 9)
    input_ids = torch.randint(5, model.config.vocab_size, shape)
    with torch.no_grad():
        ours, theirs = model(input_ids=input_ids), reference(input_ids=input_ids)
    for key in theirs.keys():
        torch.testing.assert_close(ours[key], theirs[key], atol=1e-5, rtol=0, msg=f"{auto_name}: {key}")


def test_auto_tokenizer_fast_by_default_and_slow_on_request(mlm_dir):
    fast = albert.AutoTokenizer.from_pretrained(mlm_dir)
    slow = albert.AutoTokenizer.from_pretrained(mlm_dir, use_fast=False)
    assert (type(fast), type(slow)) == (albert.AlbertTokenizerFast, albert.AlbertTokenizer)
    reference = transformers.AutoTokenizer.from_pretrained(mlm_dir, use_fast=False)
    for text in DOC_SENTENCES:
        assert fast(text)["input_ids"] == slow(text)["input_ids"] == reference(text)["input_ids"]


# ----- the device a user without a GPU types -------------------------------------------------------


@NO_CUDA
def test_pipeline_on_gpu_0_without_cuda_suggests_cpu(mlm_dir):
    with pytest.raises(ValueError, match=r"device=0 asks for a GPU but CUDA is not available.*device='cpu'"):
        albert.pipeline(task="fill-mask", model=mlm_dir, torch_dtype=torch.float16, device=0)


@NO_CUDA
def test_from_pretrained_on_gpu_without_cuda_suggests_cpu(mlm_dir):
    with pytest.raises(ValueError, match=r"device_map='cuda' asks for a GPU.*device_map=\"cpu\""):
        albert.AutoModelForMaskedLM.from_pretrained(mlm_dir, device_map="cuda")


# ----- the command line ----------------------------------------------------------------------------


def echo_into_albert_run(path: Path, *options: str) -> subprocess.CompletedProcess:
    """`echo -e "...\\n..." | albert run --task fill-mask --model DIR ...` through a shell."""
    lines = "\\n".join([DOC_SENTENCES[0], PROMPT])
    albert_run = [
        sys.executable,
        "-m",
        "albert",
        "run",
        "--task",
        "fill-mask",
        "--model",
        str(path),
        *options,
    ]
    command = f"echo -e {shlex.quote(lines)} | {shlex.join(albert_run)}"
    return subprocess.run(["bash", "-c", command], capture_output=True, text=True, timeout=120)


def test_echo_into_albert_run(mlm_dir):
    proc = echo_into_albert_run(mlm_dir, "--device", "cpu")
    assert proc.returncode == 0, proc.stderr
    results = [json.loads(line) for line in proc.stdout.splitlines()]
    reference = transformers.pipeline(task="fill-mask", model=str(mlm_dir))
    for got, text in zip(results, [DOC_SENTENCES[0], PROMPT], strict=True):
        want = reference(text)
        assert [r["token_str"] for r in got] == [r["token_str"] for r in want]
        assert [r["score"] for r in got] == pytest.approx([r["score"] for r in want], abs=1e-5)


@NO_CUDA
def test_albert_run_on_gpu_0_without_cuda_suggests_cpu(mlm_dir):
    proc = echo_into_albert_run(mlm_dir, "--device", "0")
    assert proc.returncode == 1 and proc.stdout == ""
    assert "--device 0 asks for a GPU but CUDA is not available here; use --device cpu" in proc.stderr
    assert "Traceback" not in proc.stderr
