"""transformers' `from_pt` / `from_tf` / `from_flax` on every framework's `from_pretrained`: the torch
classes read transformers' `tf_model.h5` and `flax_model.msgpack`; the TF and Flax classes accept the flag
that names a file they read and explain the one they do not."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import albert
from tests.conftest import tiny_kwargs

transformers = pytest.importorskip("transformers", reason="transformers is the parity reference (test extra)")
IDS = np.array([[2, 15, 27, 41, 3], [2, 9, 3, 0, 0]])
MASK = (IDS != 0).astype(np.int64)


def reference(tmp_path):
    torch.manual_seed(0)
    config = transformers.AlbertConfig(**tiny_kwargs(), attn_implementation="eager")
    model = transformers.AlbertForMaskedLM(config).eval()
    with torch.no_grad():
        expected = model(torch.tensor(IDS), attention_mask=torch.tensor(MASK)).logits.numpy()
    model.save_pretrained(tmp_path / "pt")
    return expected


def ours_torch(path, **kwargs) -> np.ndarray:
    model = albert.AlbertForMaskedLM.from_pretrained(path, **kwargs)
    with torch.no_grad():
        return model(torch.tensor(IDS), attention_mask=torch.tensor(MASK)).logits.numpy()


def test_torch_reads_transformers_tf_model_h5(tmp_path):
    pytest.importorskip("tf_keras", reason="transformers' TF classes need tf_keras (test extra)")
    expected = reference(tmp_path)
    transformers.TFAlbertForMaskedLM.from_pretrained(tmp_path / "pt", from_pt=True).save_pretrained(
        tmp_path / "tf"
    )
    assert not (tmp_path / "tf" / "model.safetensors").exists()
    got = ours_torch(tmp_path / "tf", from_tf=True)
    np.testing.assert_allclose(got[MASK == 1], expected[MASK == 1], atol=1e-5, rtol=0)
    with pytest.raises(FileNotFoundError, match="has no weights"):
        albert.AlbertForMaskedLM.from_pretrained(tmp_path / "tf")  # without the flag, as upstream


def test_torch_reads_transformers_flax_model_msgpack(tmp_path):
    pytest.importorskip("flax", reason="the Flax extra")
    expected = reference(tmp_path)
    flax_model = transformers.FlaxAlbertForMaskedLM.from_pretrained(tmp_path / "pt", from_pt=True)
    flax_model.save_pretrained(tmp_path / "flax")
    assert not (tmp_path / "flax" / "model.safetensors").exists()
    got = ours_torch(tmp_path / "flax", from_flax=True)
    np.testing.assert_allclose(got[MASK == 1], expected[MASK == 1], atol=1e-5, rtol=0)


def test_flags_that_name_a_missing_file_or_another_framework_say_what_to_do(tmp_path):
    reference(tmp_path)
    with pytest.raises(
        FileNotFoundError,
        match=r"from_tf=True reads tf_model.h5 \(or its shards, tf_model.h5.index.json\), which .* does not have",
    ):
        albert.AlbertForMaskedLM.from_pretrained(tmp_path / "pt", from_tf=True)
    with pytest.raises(ValueError, match="from_tf and from_flax were both given"):
        albert.AlbertForMaskedLM.from_pretrained(tmp_path / "pt", from_tf=True, from_flax=True)
    with pytest.raises(ValueError, match="from_pt must be True or False"):
        albert.AlbertForMaskedLM.from_pretrained(tmp_path / "pt", from_pt="yes")


def test_tf_and_flax_classes_take_from_pt_and_refuse_what_they_cannot_read(tmp_path):
    expected = reference(tmp_path)
    if pytest.importorskip("tensorflow", reason="the TF extra"):
        model = albert.TFAlbertForMaskedLM.from_pretrained(tmp_path / "pt", from_pt=True)
        got = model(input_ids=IDS, attention_mask=MASK).logits.numpy()
        np.testing.assert_allclose(got[MASK == 1], expected[MASK == 1], atol=1e-5, rtol=0)
        with pytest.raises(ValueError, match=r"reads model.safetensors or tf_model.h5; from_flax=True names"):
            albert.TFAlbertForMaskedLM.from_pretrained(tmp_path / "pt", from_flax=True)
        with pytest.raises(ValueError, match=r"unsupported argument 'num_label'.*AlbertConfig field"):
            albert.TFAlbertForMaskedLM.from_pretrained(tmp_path / "pt", num_label=3)
    if pytest.importorskip("flax", reason="the Flax extra"):
        model = albert.FlaxAlbertForMaskedLM.from_pretrained(tmp_path / "pt", from_pt=True)
        got = np.asarray(model(IDS, attention_mask=MASK).logits)
        np.testing.assert_allclose(got[MASK == 1], expected[MASK == 1], atol=1e-5, rtol=0)
        with pytest.raises(ValueError, match=r"reads model.safetensors or flax_model.msgpack; from_tf=True"):
            albert.FlaxAlbertForMaskedLM.from_pretrained(tmp_path / "pt", from_tf=True)


@pytest.mark.parametrize("framework", ["flax", "tf"])
def test_safetensors_in_the_flax_or_tf_layout_load_in_every_framework(framework, tmp_path):
    # transformers' Flax and TF classes write model.safetensors in their own layout (metadata "format"
    # "flax" / "tf"). Our loaders read every file as the torch layout: most weights came back random,
    # with one warning.
    pytest.importorskip("flax" if framework == "flax" else "tf_keras", reason=f"the {framework} extra")
    from safetensors import safe_open

    torch.manual_seed(0)
    config = transformers.AlbertConfig(**tiny_kwargs(), attn_implementation="eager")
    transformers.AlbertForPreTraining(config).save_pretrained(tmp_path / "pt")
    prefix = "Flax" if framework == "flax" else "TF"
    theirs_cls = getattr(transformers, f"{prefix}AlbertForPreTraining")
    theirs_cls.from_pretrained(tmp_path / "pt", from_pt=True).save_pretrained(
        tmp_path / "x", safe_serialization=True
    )
    with safe_open(str(tmp_path / "x" / "model.safetensors"), "np") as f:
        assert f.metadata()["format"] == framework
    theirs = theirs_cls.from_pretrained(tmp_path / "x")(IDS, attention_mask=MASK)
    want = {k: np.asarray(getattr(theirs, k)) for k in ("prediction_logits", "sop_logits")}
    ours_torch_model = albert.AlbertForPreTraining.from_pretrained(tmp_path / "x")
    with torch.no_grad():
        out = ours_torch_model(torch.tensor(IDS), attention_mask=torch.tensor(MASK))
    got = {"torch": {k: getattr(out, k).numpy() for k in want}}
    if pytest.importorskip(framework if framework == "flax" else "tensorflow"):
        ours = getattr(albert, f"{prefix}AlbertForPreTraining").from_pretrained(tmp_path / "x")
        out = ours(input_ids=IDS, attention_mask=MASK)
        got[framework] = {k: np.asarray(getattr(out, k)) for k in want}
    for where, logits in got.items():
        for key, value in logits.items():
            np.testing.assert_allclose(value[MASK == 1] if value.ndim == 3 else value,
                                       want[key][MASK == 1] if value.ndim == 3 else want[key],
                                       atol=1e-5, rtol=0, err_msg=f"{where} {key}")  # fmt: skip


def test_a_safetensors_layout_we_do_not_read_is_named(tmp_path):
    from safetensors.numpy import save_file

    save_file({"w": np.zeros(2, np.float32)}, str(tmp_path / "model.safetensors"), metadata={"format": "mlx"})
    reference(tmp_path)
    (tmp_path / "pt" / "model.safetensors").unlink()
    (tmp_path / "model.safetensors").rename(tmp_path / "pt" / "model.safetensors")
    with pytest.raises(ValueError, match="in the 'mlx' layout .* reads the 'pt', 'flax' and 'tf' layouts"):
        albert.AlbertForMaskedLM.from_pretrained(tmp_path / "pt")


@pytest.mark.parametrize("framework", ["flax", "tf"])
def test_sharded_tf_h5_and_flax_msgpack_load_in_every_framework(framework, tmp_path):
    # transformers' save_pretrained(max_shard_size=...) writes tf_model-0000k-of-0000n.h5 (one dataset per
    # weight, unlike tf_model.h5) or flax_model-...msgpack shards with an index; ours read neither.
    pytest.importorskip("flax" if framework == "flax" else "tf_keras", reason=f"the {framework} extra")
    expected = reference(tmp_path)
    prefix = "Flax" if framework == "flax" else "TF"
    theirs = getattr(transformers, f"{prefix}AlbertForMaskedLM").from_pretrained(
        tmp_path / "pt", from_pt=True
    )
    theirs.save_pretrained(tmp_path / "x", max_shard_size="4KB")  # the tiny model: ~14 kB
    stem = "flax_model.msgpack" if framework == "flax" else "tf_model.h5"
    assert (tmp_path / "x" / f"{stem}.index.json").is_file() and not (tmp_path / "x" / stem).exists()
    assert len(list((tmp_path / "x").glob(f"{stem.split('.')[0]}-*-of-*"))) > 2
    got = {"torch": ours_torch(tmp_path / "x", **{f"from_{framework}": True})}
    if pytest.importorskip(framework if framework == "flax" else "tensorflow"):
        ours = getattr(albert, f"{prefix}AlbertForMaskedLM").from_pretrained(tmp_path / "x")
        got[framework] = np.asarray(ours(IDS, attention_mask=MASK).logits)
    for where, logits in got.items():
        np.testing.assert_allclose(logits[MASK == 1], expected[MASK == 1], atol=1e-5, rtol=0, err_msg=where)
