"""`albert convert-lora-adapter`: a PEFT LoRA adapter trained on transformers' ALBERT, for our classes."""

from __future__ import annotations

import argparse

from albert.cli.common import EXIT_OK, add_output_arguments, check_output_is_free


def add_convert_lora_adapter_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "adapter", help="directory saved by PEFT (adapter_config.json + adapter_model.safetensors)"
    )
    add_output_arguments(parser, "the converted adapter")


def convert_lora_adapter(args: argparse.Namespace) -> int:
    """Rename the adapter's modules to ours and fuse its query / key / value LoRAs into one on `qkv`
    (`albert.checkpoint.peft`); load the result with `peft.PeftModel.from_pretrained(our_model, output)`."""
    from albert.checkpoint.peft import convert_lora_adapter as convert

    check_output_is_free(args.output, args.overwrite)
    out = convert(args.adapter, args.output)
    print(f"wrote {out} (load it with peft.PeftModel.from_pretrained(model, {str(out)!r}))")
    return EXIT_OK
