"""LoRA with PEFT on our classes, as transformers users do it: only the adapters (and the head) train, an
adapter saves and loads back, and `merge_and_unload()` gives a plain model whose `save_pretrained` files
transformers loads with the same outputs. Our attention has one fused `qkv` projection, so LoRA targets
`qkv` (and `output`, `up`, `down`) where transformers' ALBERT has `query`, `key`, `value` (`dense`,
`ffn`, `ffn_output`): docs/finetuning.md."""

from __future__ import annotations

import pytest
import torch

import albert
from tests.conftest import tiny_kwargs

peft = pytest.importorskip("peft", reason="PEFT is in the test extra")
transformers = pytest.importorskip("transformers", reason="transformers is the parity reference")

IDS = torch.tensor([[2, 5, 7, 9, 3, 0], [2, 6, 8, 11, 12, 3]])
MASK = (IDS != 0).long()
LABELS = torch.tensor([0, 2])


def _lora_model(checkpoint):
    model = albert.AlbertForSequenceClassification.from_pretrained(checkpoint)
    config = peft.LoraConfig(
        task_type="SEQ_CLS",
        r=4,
        lora_alpha=8,
        target_modules=["qkv", "output"],
        modules_to_save=["classifier"],
    )
    return peft.get_peft_model(model, config)


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory):
    path = tmp_path_factory.mktemp("cls")
    torch.manual_seed(0)
    config = transformers.AlbertConfig(**tiny_kwargs(num_labels=3))
    transformers.AlbertForSequenceClassification(config).save_pretrained(path)
    return path


def test_lora_trains_adapters_only_and_merges_into_a_model_transformers_loads(checkpoint, tmp_path):
    torch.manual_seed(0)
    model = _lora_model(checkpoint)
    trainable = {n for n, p in model.named_parameters() if p.requires_grad}
    assert trainable and all("lora_" in n or "classifier" in n for n in trainable)
    frozen = {n: p.detach().clone() for n, p in model.named_parameters() if not p.requires_grad}
    optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=1e-2)
    losses = []
    for _ in range(8):
        loss = model(input_ids=IDS, attention_mask=MASK, labels=LABELS).loss
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()
        losses.append(loss.item())
    assert losses[-1] < losses[0]
    assert all(torch.equal(p, frozen[n]) for n, p in model.named_parameters() if n in frozen)
    model.eval()
    with torch.no_grad():
        want = model(input_ids=IDS, attention_mask=MASK).logits

    model.save_pretrained(tmp_path / "adapter")  # the adapter alone, loaded onto a fresh base model
    base = albert.AlbertForSequenceClassification.from_pretrained(checkpoint)
    again = peft.PeftModel.from_pretrained(base, tmp_path / "adapter").eval()
    with torch.no_grad():
        torch.testing.assert_close(again(input_ids=IDS, attention_mask=MASK).logits, want, atol=1e-5, rtol=0)

    merged = model.merge_and_unload()
    assert type(merged) is albert.AlbertForSequenceClassification
    merged.save_pretrained(tmp_path / "merged")
    theirs = transformers.AlbertForSequenceClassification.from_pretrained(tmp_path / "merged").eval()
    with torch.no_grad():
        torch.testing.assert_close(theirs(input_ids=IDS, attention_mask=MASK).logits, want, atol=1e-5, rtol=0)


def test_transformers_module_names_are_not_ours(checkpoint):
    """`target_modules=["query", "value"]` (transformers' ALBERT names) matches nothing here: PEFT says so."""
    model = albert.AlbertForSequenceClassification.from_pretrained(checkpoint)
    with pytest.raises(ValueError, match="target_modules"):
        peft.get_peft_model(
            model, peft.LoraConfig(task_type="SEQ_CLS", r=4, target_modules=["query", "value"])
        )


CONVERT_CASES = {
    # class, LoraConfig arguments (transformers' module names)
    "seq-cls q,v,dense,ffn + patterns": (
        "AlbertForSequenceClassification",
        dict(task_type="SEQ_CLS", target_modules=["query", "value", "dense", "ffn"], modules_to_save=["classifier"],
             rank_pattern={"value": 2}, alpha_pattern={"ffn": 3}),
    ),
    "mlm q,k,v,ffn_output rslora": (
        "AlbertForMaskedLM",
        dict(target_modules=["query", "key", "value", "ffn_output", "embedding_hidden_mapping_in"], use_rslora=True),
    ),
    "bare model key only": ("AlbertModel", dict(target_modules=["key", "pooler"])),
    "token-cls all linear": (
        "AlbertForTokenClassification",
        dict(task_type="TOKEN_CLS", target_modules=["query", "key", "value", "dense", "ffn", "ffn_output"]),
    ),
}  # fmt: skip


@pytest.mark.parametrize("case", list(CONVERT_CASES))
def test_an_adapter_trained_on_transformers_albert_converts_exactly(case, tmp_path):
    """`convert_lora_adapter`: transformers' module names -> ours, query / key / value LoRAs -> one
    block-structured LoRA on the fused `qkv`, scalings folded in; outputs and merged weights equal."""
    from albert.checkpoint.peft import convert_lora_adapter

    name, lora_kwargs = CONVERT_CASES[case]
    torch.manual_seed(0)
    structure = tiny_kwargs(num_labels=3, num_hidden_layers=4, num_hidden_groups=2, inner_group_num=2)
    getattr(transformers, name)(transformers.AlbertConfig(**structure)).save_pretrained(tmp_path / "base")
    base = getattr(transformers, name).from_pretrained(tmp_path / "base")
    theirs = peft.get_peft_model(base, peft.LoraConfig(r=4, lora_alpha=8, **lora_kwargs))
    with torch.no_grad():  # B starts at zero: give every adapter (and saved module) something to add
        for p in theirs.parameters():
            if p.requires_grad:
                p.add_(0.3 * torch.randn_like(p))
    theirs.eval().save_pretrained(tmp_path / "theirs")
    convert_lora_adapter(tmp_path / "theirs", tmp_path / "ours")
    ours = peft.PeftModel.from_pretrained(
        getattr(albert, name).from_pretrained(tmp_path / "base"), tmp_path / "ours"
    )
    ours.eval()
    field = "last_hidden_state" if name == "AlbertModel" else "logits"
    with torch.no_grad():
        want = getattr(theirs(input_ids=IDS, attention_mask=MASK), field)
        got = getattr(ours(input_ids=IDS, attention_mask=MASK), field)
        if got.dim() == 3:  # per token: the real ones (our padded positions are zeros)
            want, got = want[MASK.bool()], got[MASK.bool()]
        torch.testing.assert_close(got, want, atol=1e-5, rtol=0)
        merged_theirs = theirs.merge_and_unload()
        merged_ours = ours.merge_and_unload()
        merged_ours.save_pretrained(tmp_path / "merged")
        reloaded = getattr(transformers, name).from_pretrained(tmp_path / "merged").eval()
        for key, value in merged_theirs.state_dict().items():
            torch.testing.assert_close(reloaded.state_dict()[key], value, atol=1e-6, rtol=0, msg=key)


def test_adapters_that_do_not_convert_say_why(tmp_path):
    import json

    from albert.checkpoint.peft import convert_lora_adapter

    with pytest.raises(FileNotFoundError, match="has no adapter_config.json"):
        convert_lora_adapter(tmp_path, tmp_path / "out")
    (tmp_path / "adapter_config.json").write_text(json.dumps({"peft_type": "LORA", "use_dora": True}))
    with pytest.raises(ValueError, match=r"use_dora=True is not converted .*merge_and_unload"):
        convert_lora_adapter(tmp_path, tmp_path / "out")
    (tmp_path / "adapter_config.json").write_text(json.dumps({"peft_type": "IA3"}))
    with pytest.raises(ValueError, match="only LoRA adapters convert, this one is 'IA3'"):
        convert_lora_adapter(tmp_path, tmp_path / "out")


def test_the_command_line_converts_and_reports_bad_input(tmp_path, capsys):
    from albert.cli import main

    assert main(["convert-lora-adapter", str(tmp_path / "missing"), "--output", str(tmp_path / "out")]) == 1
    assert "has no adapter_config.json: is it a directory saved by PEFT?" in capsys.readouterr().err
    torch.manual_seed(0)
    base = transformers.AlbertModel(transformers.AlbertConfig(**tiny_kwargs()))
    peft.get_peft_model(base, peft.LoraConfig(r=2, target_modules=["query"])).save_pretrained(tmp_path / "a")
    assert main(["convert-lora-adapter", str(tmp_path / "a"), "--output", str(tmp_path / "b")]) == 0
    assert "wrote" in capsys.readouterr().out and (tmp_path / "b" / "adapter_model.safetensors").is_file()
    # an --output that holds files is refused (converting in place lost the transformers adapter);
    # an adapter converted before is named as such
    assert main(["convert-lora-adapter", str(tmp_path / "a"), "--output", str(tmp_path / "a")]) == 1
    err = capsys.readouterr().err
    assert "already holds README.md, adapter_config.json" in err and "--overwrite" in err
    assert main(["convert-lora-adapter", str(tmp_path / "b"), "--output", str(tmp_path / "c")]) == 1
    assert "already albert-lite's (this adapter was converted before)" in capsys.readouterr().err
    assert (
        main(["convert-lora-adapter", str(tmp_path / "a"), "--output", str(tmp_path / "b"), "--overwrite"])
        == 0
    )
