"""`albert convert-tf-checkpoint` and `albert export`: the TensorFlow side of the command line."""

from __future__ import annotations

import argparse
import json

from albert.cli.common import EXIT_OK, add_output_arguments, check_output_is_free


def add_convert_tf_checkpoint_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "checkpoint", help="TF1 checkpoint prefix of google-research/albert, e.g. model.ckpt-best"
    )
    parser.add_argument("--config", required=True, help="its albert_config.json")
    add_output_arguments(parser, "config.json + model.safetensors")
    parser.add_argument(
        "--spm-model", help="its SentencePiece model (30k-clean.model), copied as spiece.model"
    )


def convert_tf_checkpoint(args: argparse.Namespace) -> int:
    """Convert an original ALBERT TensorFlow checkpoint into a model directory that albert (PyTorch or
    TensorFlow classes) and transformers load."""
    from albert.checkpoint.original_tf import convert_original_checkpoint

    check_output_is_free(args.output, args.overwrite)
    out = convert_original_checkpoint(args.checkpoint, args.config, args.output, spm_model=args.spm_model)
    print(f"wrote {out}")
    return EXIT_OK


EXPORT_FORMATS = ("saved_model",)


def add_export_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("model", help="model directory or hub id")
    parser.add_argument(
        "--format", required=True, choices=EXPORT_FORMATS, help="saved_model: a TF SavedModel"
    )
    add_output_arguments(parser, "the export")
    parser.add_argument(
        "--class", dest="model_class",
        help="TF class to export, e.g. TFAlbertForSequenceClassification (default: from config.json's "
        "architectures, else TFAlbertModel)",
    )  # fmt: skip


def export(args: argparse.Namespace) -> int:
    """Export a model for serving (SavedModel with a `serving_default` signature)."""
    import albert.tf
    from albert.tf.export import export_saved_model

    check_output_is_free(args.output, args.overwrite)
    name = args.model_class or _tf_class_from_config(args.model)
    if name not in albert.tf.__all__ or name == "TFAlbertPreTrainedModel":
        choices = ", ".join(n for n in albert.tf.__all__ if n != "TFAlbertPreTrainedModel")
        raise ValueError(f"unknown --class {name!r}; choose one of {choices}")
    model = getattr(albert.tf, name).from_pretrained(args.model)
    print(f"wrote {export_saved_model(model, args.output)} ({name})")
    return EXIT_OK


def _tf_class_from_config(model: str) -> str:
    from albert.hub import resolve_file

    architectures = json.loads(resolve_file(model, "config.json").read_text()).get("architectures") or []
    known = ("AlbertModel", "AlbertForPreTraining", "AlbertForMaskedLM", "AlbertForSequenceClassification",
             "AlbertForMultipleChoice", "AlbertForTokenClassification", "AlbertForQuestionAnswering")  # fmt: skip
    first = architectures[0].removeprefix("TF") if architectures else "AlbertModel"
    return "TF" + (first if first in known else "AlbertModel")
