"""Pretraining as in the ALBERT paper: corpus -> vocabulary -> SOP shards -> MLM + SOP with the shared loop.

    albert pretrain --config configs/pretrain/smoke.yaml
    albert pretrain --corpus texts/ --output-dir runs/x --model albert-base-v2 --max-steps 125000 ...

Every step is skipped when its output already exists (the tokenizer in `<output_dir>/tokenizer`, the shards
in `<output_dir>/data/{train,eval}`), so a rerun with `--resume auto` continues an interrupted run. The
final model (weights + tokenizer, HF layout) is written to `<output_dir>/model`.
"""

from __future__ import annotations

import argparse
import dataclasses
import itertools
import logging
import shutil
import sys
from pathlib import Path
from typing import Any

import torch

from albert.cli_options import (
    add_dataclass_arguments,
    add_dataclass_flags,
    build_options,
    overlay,
    read_config_file,
)
from albert.config import PRESETS, AlbertConfig
from albert.hub_push import check_push_target, push_run_directory
from albert.training import distributed as dist_utils
from albert.training.evaluation import EvalFn, check_metric_for_best
from albert.training.fingerprint import RUN_OUTPUTS, check_output_dir, record_run
from albert.training.loop import TrainResult, set_seed, train
from albert.training.model_card import pretrain_card, write_model_card
from albert.training.output_dir import check_inputs_outside, check_is_a_directory, earlier_outputs
from albert.training.pretrain_args import PretrainArgs
from albert.training.train_args import EXCLUSIVE, TrainArgs

logger = logging.getLogger(__name__)


def _sentences(sources: list[str]):
    from albert.data import document_sentences, read_documents
    from albert.data.corpus import corpus_files

    files = corpus_files(sources)
    return itertools.chain.from_iterable(
        document_sentences(doc) for path, fmt in files for doc in read_documents(path, fmt)
    )


def _encoder(tokenizer: Any):
    """Whole batches through the tokenizer's call API (one Rust/C++ call when it has one). Text that spells
    a special token ("[SEP]", "<pad>") is ordinary text here, pieces as SentencePiece gives them (as in
    the original's data), never a control id inside a segment."""

    def encode(texts):
        return tokenizer(list(texts), add_special_tokens=False, return_token_type_ids=False,
                         return_attention_mask=False, split_special_tokens=True)["input_ids"]  # fmt: skip

    return encode


def prepare_tokenizer(args: PretrainArgs, out: Path):
    """Load `args.tokenizer`, or train a vocabulary on the corpus into `<out>/tokenizer` (once)."""
    from albert.tokenizer import AlbertTokenizerFast

    directory = Path(args.tokenizer) if args.tokenizer else out / "tokenizer"
    if args.tokenizer is None:
        # Rank 0 alone looks and builds; the others wait for it unconditionally. (Had every rank looked, a
        # rank that looked after rank 0 had finished would skip the barrier that rank 0 waits at.)
        if dist_utils.is_main_process() and not (directory / "spiece.model").is_file():
            logger.info("training a %d-piece vocabulary on %s", args.vocab_size, ", ".join(args.corpus))
            train_vocabulary(args, out / "tokenizer.tmp", directory)
        dist_utils.barrier()
    return AlbertTokenizerFast.from_pretrained(directory)


def train_vocabulary(args: PretrainArgs, tmp: Path, directory: Path) -> None:
    """Train into `tmp`, then move it to `directory`; a failure leaves nothing behind and names the flag."""
    from albert.tokenizer import train_sentencepiece
    from albert.tokenizer.train import VocabularyTrainingError

    shutil.rmtree(tmp, ignore_errors=True)
    try:
        train_sentencepiece(
            None, tmp, vocab_size=args.vocab_size, sentences=_sentences(args.corpus),
            input_sentence_size=args.vocab_sentences,
        )  # fmt: skip
    except BaseException as e:
        shutil.rmtree(tmp, ignore_errors=True)
        if isinstance(e, VocabularyTrainingError):
            raise ValueError(vocabulary_error_message(args, e)) from None
        raise
    tmp.replace(directory)


def vocabulary_error_message(args: PretrainArgs, error: Any) -> str:
    """A failed vocabulary training in terms of the flags to change."""
    corpus = " ".join(args.corpus)
    if error.no_text:
        return f"--corpus {corpus}: no text to train a vocabulary on"
    if error.max_vocab_size is not None:
        return (
            f"--vocab-size {args.vocab_size} is more than --corpus {corpus} can give (at most "
            f"{error.max_vocab_size} pieces): lower --vocab-size or add text"
        )
    if error.min_vocab_size is not None:
        return (
            f"--vocab-size {args.vocab_size} is fewer pieces than the characters of --corpus {corpus} need "
            f"(at least {error.min_vocab_size}, with the special pieces): raise --vocab-size"
        )
    return f"training a vocabulary on --corpus {corpus} failed: {error}"


def prepare_shards(args: PretrainArgs, tokenizer: Any, corpus: list[str], directory: Path, seed: int) -> Path:
    """Tokenise `corpus` into SOP shards in `directory` unless they are there already."""
    from albert.data import Vocabulary, build_pretraining_shards

    if not corpus and not (directory / "metadata.json").is_file():
        raise ValueError(f"no shards in {directory} and no corpus to build them from (--corpus)")
    if corpus:  # rank 0 alone looks and builds, the others wait (as for the vocabulary above)
        if dist_utils.is_main_process() and not (directory / "metadata.json").is_file():
            build_pretraining_shards(
                corpus, _encoder(tokenizer), Vocabulary.from_tokenizer(tokenizer), directory,
                max_seq_length=args.max_seq_length, short_seq_prob=args.short_seq_prob,
                dupe_factor=args.dupe_factor, random_document_negatives=args.random_document_negatives,
                seed=seed, overwrite=True,
            )  # fmt: skip
        dist_utils.barrier()
    return directory


def check_init_from(args: PretrainArgs) -> PretrainArgs:
    """A warm restart (`--init-from DIR`) must fit the run: the shape is DIR's own (shape flags would be
    ignored), the tokenizer is DIR's unless one is given (a newly trained vocabulary would not match its
    embeddings), and its vocabulary and positions must cover the data. Returns `args` with the tokenizer
    filled in; a mismatch is an error naming the flag to change, before any data is built."""
    if not args.init_from:
        return args
    source = args.init_from  # a directory or a hub id
    if args.model_config:
        fields = " ".join(f"{k}={v}" for k, v in args.model_config.items())
        raise ValueError(
            f"--model-config {fields} does not apply with --init-from {source}: the shape comes from its "
            "config.json; drop one of the two"
        )
    if args.tokenizer is None:
        from albert.hub import resolve_file

        if not any(resolve_file(source, name, required=False) for name in ("spiece.model", "tokenizer.json")):
            raise ValueError(
                f"--init-from {source} has no tokenizer (spiece.model or tokenizer.json): pass --tokenizer "
                "with the vocabulary it was trained with (a new one would not match its embeddings)"
            )
        logger.info("continuing %s with its own tokenizer", source)
        args = dataclasses.replace(args, tokenizer=source)
    from albert.tokenizer import AlbertTokenizerFast

    config = AlbertConfig.from_pretrained(source)
    vocab_size = AlbertTokenizerFast.from_pretrained(args.tokenizer).vocab_size
    if config.vocab_size != vocab_size:
        raise ValueError(
            f"--init-from {source} has {config.vocab_size:,} token ids but the tokenizer {args.tokenizer} has "
            f"{vocab_size:,}: pass --tokenizer with the vocabulary {source} was trained with"
        )
    if args.max_seq_length > config.max_position_embeddings:
        raise ValueError(
            f"--max-seq-length {args.max_seq_length} is longer than --init-from {source} accepts "
            f"({config.max_position_embeddings} positions): use --max-seq-length {config.max_position_embeddings}"
            " or less"
        )
    return args


def model_config(args: PretrainArgs, vocab_size: int) -> AlbertConfig:
    name = args.model.removeprefix("albert/")
    config = PRESETS[name] if name in PRESETS else AlbertConfig.from_pretrained(args.model)
    fields = {f.name for f in dataclasses.fields(AlbertConfig)}
    unknown = [f"{k}={v}" for k, v in args.model_config.items() if k not in fields]
    if unknown:
        raise ValueError(
            f"--model-config {' '.join(unknown)}: not a field of AlbertConfig (e.g. hidden_size, "
            "num_hidden_layers, embedding_size; see `albert info` of a model for them all)"
        )
    overrides = {"vocab_size": vocab_size, **args.model_config}
    if args.max_seq_length > config.max_position_embeddings and "max_position_embeddings" not in overrides:
        overrides["max_position_embeddings"] = args.max_seq_length
    return config.replace(**overrides)


@torch.no_grad()
def evaluate_pretraining(model: torch.nn.Module, batches: list[dict[str, torch.Tensor]]) -> dict[str, float]:
    """MLM accuracy/loss over predicted tokens and SOP accuracy/loss over instances of `batches`."""
    device = next(model.parameters()).device
    mlm_correct = mlm_total = sop_correct = sop_total = 0
    mlm_loss = sop_loss = 0.0
    for batch in batches:
        batch = {k: v.to(device) for k, v in batch.items()}
        labels, predicted = batch["labels"], batch["labels"] != -100
        out = model(**batch, mlm_positions=predicted)  # logits (M, V) at the predicted positions only
        logits = out.prediction_logits.float()
        mlm_correct += int((logits.argmax(-1) == labels[predicted]).sum())
        mlm_total += int(predicted.sum())
        mlm_loss += float(torch.nn.functional.cross_entropy(logits, labels[predicted], reduction="sum"))
        sop = batch["sentence_order_label"]
        sop_correct += int((out.sop_logits.argmax(-1) == sop).sum())
        sop_total += len(sop)
        sop_loss += float(torch.nn.functional.cross_entropy(out.sop_logits.float(), sop, reduction="sum"))
    return {  # the keys of PRETRAIN_METRICS
        "mlm_accuracy": mlm_correct / max(mlm_total, 1),
        "sop_accuracy": sop_correct / max(sop_total, 1),
        "mlm_loss": mlm_loss / max(mlm_total, 1),
        "sop_loss": sop_loss / max(sop_total, 1),
        "loss": mlm_loss / max(mlm_total, 1) + sop_loss / max(sop_total, 1),
    }


PRETRAIN_METRICS = ("mlm_accuracy", "sop_accuracy", "mlm_loss", "sop_loss")  # and "loss"


def initial_model(args: PretrainArgs, config: AlbertConfig) -> torch.nn.Module:
    """The model training starts from: `--init-from`'s weights, or `config` with the recipe's truncated
    normal init (transformers' classes draw untruncated), with the fast paths `args` asks for. Its SOP
    head has no dropout, as the original's (transformers' applies classifier_dropout_prob; the config
    keeps that value for fine-tuning, whose classifiers use it)."""
    from albert.model import AlbertForPreTraining

    if args.init_from:
        model = AlbertForPreTraining.from_pretrained(
            args.init_from, attn_implementation=args.attn_implementation
        )
    else:
        model = AlbertForPreTraining(config, attn_implementation=args.attn_implementation)
        model.initialise_weights(truncated=True)
    model.sop_head.dropout = torch.nn.Identity()
    if args.fast_paths:  # the defaults (albert.model.fast) plus MLM logits at the predicted positions only
        model.enable_fast_paths(fused_gelu=True, unpad=True, sparse_mlm=True)
    else:
        model.disable_fast_paths()
    return model


def pretrain(args: PretrainArgs, train_args: TrainArgs) -> TrainResult:
    """Run the whole recipe; returns the loop's result. The final model is in `<output_dir>/model`."""
    from albert.data import PretrainingCollator, PretrainingDataset

    args, out = check_run(args, train_args)
    dist_utils.setup(train_args.device)
    if dist_utils.is_main_process():
        record_run(out, args, start_over=args.start_over)
    dist_utils.barrier()
    tokenizer = prepare_tokenizer(args, out)
    train_dir = prepare_shards(args, tokenizer, args.corpus, out / "data" / "train", args.data_seed)
    dataset = PretrainingDataset(train_dir)
    spec = dataset.masking_spec(
        masked_lm_prob=args.masked_lm_prob, max_predictions_per_seq=args.max_predictions_per_seq
    )
    collate = PretrainingCollator(
        spec,
        dataset.pad_token_id,
        seed=train_args.seed,
        static_masking=args.static_masking,
        pad_to_multiple_of=8,
    )
    eval_fn = pretraining_eval_fn(args, train_args, tokenizer, out)
    set_seed(train_args.seed)
    model = initial_model(args, model_config(args, tokenizer.vocab_size))
    logger.info("pretraining %s parameters on %d instances", f"{model.num_parameters():,}", len(dataset))
    result = train(model, dataset, args=train_args, eval_fn=eval_fn, collate_fn=collate)
    if dist_utils.is_main_process():
        export_model(result, tokenizer, out / "model")
        if args.push_to_hub is not None:
            card = pretrain_card(args.push_to_hub, args.init_from, model.config, result)
            push_model(result, out / "model", args.push_to_hub, card, private=args.hub_private or None)
    return result


def check_run(args: PretrainArgs, train_args: TrainArgs) -> tuple[PretrainArgs, Path]:
    """Everything about the arguments and the output directory that can be wrong, checked before any
    work (and, with --start-over, before anything is deleted); returns the checked args and the output."""
    if train_args.output_dir is None:
        raise ValueError("--output-dir is required for pretraining")
    out = Path(train_args.output_dir)
    if not args.corpus and (args.start_over or not (out / "data" / "train" / "metadata.json").is_file()):
        raise ValueError(
            f"no corpus to train on: pass --corpus (no shards in {out / 'data' / 'train'} either)"
        )
    if args.push_to_hub is not None:  # now, not after hours of training
        check_push_target(args.push_to_hub, before="pretraining")
    elif args.hub_private:
        raise ValueError(
            "--hub-private is for --push-to-hub: name the repository too (--push-to-hub REPO_ID)"
        )
    check_is_a_directory(out, "--output-dir")
    args = check_init_from(args)
    check_metric_for_best(train_args.metric_for_best, PRETRAIN_METRICS)
    if args.start_over:  # every rank, before rank 0 deletes: never what the run starts from
        starts_from = {"--init-from": args.init_from, "--tokenizer": args.tokenizer}
        check_inputs_outside(out, earlier_outputs(out, RUN_OUTPUTS), starts_from)
    else:
        check_output_dir(out, args, resuming=train_args.resume is not None)
    return args, out


def pretraining_eval_fn(
    args: PretrainArgs, train_args: TrainArgs, tokenizer: Any, out: Path
) -> EvalFn | None:
    """The held-out evaluation (None without an eval corpus): fixed instances with fixed masks, evenly
    spread over the eval shards, so that every evaluation sees the same data."""
    from albert.data import PretrainingCollator, PretrainingDataset

    if not args.eval_corpus and not (out / "data" / "eval" / "metadata.json").is_file():
        return None
    eval_dir = prepare_shards(args, tokenizer, args.eval_corpus, out / "data" / "eval", args.data_seed + 1)
    eval_set = PretrainingDataset(eval_dir)
    eval_collate = PretrainingCollator(
        eval_set.masking_spec(masked_lm_prob=args.masked_lm_prob, max_predictions_per_seq=args.max_predictions_per_seq),
        eval_set.pad_token_id, seed=0, static_masking=True, pad_to_multiple_of=8,
    )  # fmt: skip
    n = min(len(eval_set), args.eval_batches * train_args.batch_size)
    picks = torch.linspace(0, len(eval_set) - 1, n).long().tolist()
    eval_batches = [
        eval_collate([eval_set[i] for i in picks[k : k + train_args.batch_size]])
        for k in range(0, n, train_args.batch_size)
    ]

    def eval_fn(model: torch.nn.Module) -> dict[str, float]:
        return evaluate_pretraining(dist_utils.unwrap(model), eval_batches)

    return eval_fn


def export_model(result: TrainResult, tokenizer: Any, directory: Path) -> None:
    """Copy the best (else last) checkpoint's model files and the tokenizer into `directory`."""
    source = result.best_checkpoint or result.last_checkpoint
    if source is None:
        return
    tmp = directory.with_name(directory.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    for name in ("config.json", "model.safetensors"):
        shutil.copy2(Path(source) / name, tmp / name)
    tokenizer.save_pretrained(tmp)
    shutil.rmtree(directory, ignore_errors=True)
    tmp.replace(directory)
    logger.info("model written to %s (from %s)", directory, source)


def push_model(
    result: TrainResult, directory: Path, repo_id: str, card: str, *, private: bool | None
) -> None:
    """Upload the exported model of a finished run, with its model card, to `repo_id` (a stopped run is
    continued, not pushed)."""
    if result.stopped_early or not (directory / "config.json").is_file():
        logger.warning(
            "not pushed to %s: the run is not finished (continue it with --resume latest)", repo_id
        )
        return
    write_model_card(directory, card)
    url = push_run_directory(directory, repo_id, what="pretrained model", private=private)
    logger.info("pushed %s to %s", directory, url)


# ----- command line -----

PRETRAIN_DEFAULTS = dict(optimizer="lamb", lr=0.00176, warmup_steps=3125, max_steps=125000, batch_size=32,
                         metric_for_best="mlm_accuracy")  # fmt: skip


def add_pretrain_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--config", help="YAML file of options (model/data keys at top level, loop keys under `train:`)"
    )
    add_dataclass_flags(parser, PretrainArgs, "model and data")
    # The help shows pretraining's defaults (LAMB, ...), which are not TrainArgs' own.
    add_dataclass_arguments(parser.add_argument_group("training loop"), TrainArgs, defaults=PRETRAIN_DEFAULTS)


def pretrain_options(ns: argparse.Namespace) -> tuple[PretrainArgs, TrainArgs]:
    """The run's options: pretraining's defaults < the `--config` file < the flags given."""
    file_values = read_config_file(ns.config)
    train_values = overlay(PRETRAIN_DEFAULTS, file_values.pop("train", {}), EXCLUSIVE)
    return build_options(PretrainArgs, file_values, ns), build_options(TrainArgs, train_values, ns, EXCLUSIVE)


def run_pretrain(ns: argparse.Namespace) -> int:
    args, train_args = pretrain_options(ns)
    try:
        result = pretrain(args, train_args)
    except BaseException:
        dist_utils.cleanup(wait=False)
        raise
    dist_utils.cleanup()
    if dist_utils.is_main_process():  # under torchrun, one report
        logger.info("done: %d steps, %d tokens, best %s at step %s", result.step, result.tokens,
                    result.best_value, result.best_step)  # fmt: skip
        sys.stdout.write(final_report(result, Path(train_args.output_dir) / "model") + "\n")
    return 0


def final_report(result: TrainResult, model_dir: Path) -> str:
    """The line `albert pretrain` ends with: where the model is (or that none was saved)."""
    if not (model_dir / "config.json").is_file():
        return f"pretraining stopped at step {result.step} before any checkpoint was saved: no model written"
    best = (
        f", best {result.best_value:.4g} at step {result.best_step}" if result.best_step is not None else ""
    )
    written = f"model written to {model_dir} ({result.step} steps, {result.tokens:,} tokens{best})"
    if result.stopped_early:  # (it looked like a finished run, exit 0 and all)
        return f"{written}; the run was stopped before its planned end: continue it with --resume auto (same command)"
    return written
