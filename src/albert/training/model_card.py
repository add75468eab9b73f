"""The model card (README.md) that `albert finetune / pretrain --push-to-hub` upload with a run's model, so
that its Hub page says what the model is, how it was trained and how it scored, and offers the right
inference widget. The YAML header the Hub reads is huggingface_hub's `ModelCardData`. A README.md already
in the directory (the user's own card) is never replaced.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from albert.atomic_files import atomic_write_text
from albert.hub import default_model_dir

# Our task names -> the Hub's pipeline tags (its inference widget); multiple choice has none there.
PIPELINE_TAGS = {
    "text-classification": "text-classification",
    "regression": "text-classification",
    "token-classification": "token-classification",
    "question-answering": "question-answering",
}
CARD_NAME = "README.md"


def write_model_card(directory: Path, text: str) -> bool:
    """Write `text` to `directory/README.md` unless a card is there already; whether it was written."""
    path = directory / CARD_NAME
    if path.exists():
        return False
    atomic_write_text(path, text)
    return True


def finetune_card(
    repo_id: str,
    task: str,
    model_class: str,
    source: str | Path,
    outcome: Any,
    args: Any,
    files: tuple[str, str | None],
) -> str:
    """The card of a fine-tuned model. `outcome`: the run's `FinetuneResult`; `args`: its `TrainArgs`;
    `files`: the training and evaluation files (only their names are shown)."""
    train_file, eval_file = files
    lines = [
        f"# {repo_id.split('/')[-1]}",
        "",
        f"ALBERT fine-tuned for {task} from {_origin(source)} with `albert finetune` (albert-lite).",
        "",
    ]
    if outcome.metrics:
        lines += [f"## Evaluation: `{Path(eval_file).name}`, {outcome.eval_examples:,} examples", "",
                  "| metric | value |", "| --- | --- |",
                  *(f"| {k} | {v:.4f} |" for k, v in outcome.metrics.items()), ""]  # fmt: skip
    best = f" (the model of step {outcome.best_step:,}, the best evaluation)" if outcome.best_step else ""
    lines += [
        "## Training",
        "",
        f"- data: `{Path(train_file).name}`, {outcome.train_examples:,} examples",
        f"- {outcome.steps:,} optimizer steps{best}",
        f"- learning rate {args.lr}, batch size {args.batch_size}, seed {args.seed}",
        "",
    ]
    pipeline_task = "text-classification" if task == "regression" else task
    lines += _use(repo_id, f'albert.pipeline("{pipeline_task}", "{repo_id}")', model_class)
    return _card(lines, task, PIPELINE_TAGS.get(task), source)


def pretrain_card(repo_id: str, source: str | Path | None, config: Any, result: Any) -> str:
    """The card of a pretrained model (MLM + SOP). `source`: the `init_from` model, if any; `config`: its
    `AlbertConfig`; `result`: the run's `TrainResult`."""
    start = f"continued from {_origin(source)}" if source else "pretrained from scratch"
    shape = (f"E = {config.embedding_size}, H = {config.hidden_size}, {config.num_hidden_layers} layer "
             f"applications over {config.num_hidden_groups} group(s), vocabulary {config.vocab_size:,}")  # fmt: skip
    best = (
        f"; best held-out evaluation {result.best_value:.4f} at step {result.best_step:,}"
        if result.best_step
        else ""
    )
    lines = [
        f"# {repo_id.split('/')[-1]}",
        "",
        f"ALBERT {start} with `albert pretrain` (albert-lite): masked language modelling and "
        "sentence-order prediction.",
        "",
        "## Training",
        "",
        f"- shape: {shape}",
        f"- {result.step:,} optimizer steps, {result.tokens:,} tokens{best}",
        "",
        *_use(repo_id, f'albert.pipeline("fill-mask", "{repo_id}")', "AlbertForPreTraining"),
    ]
    return _card(lines, "fill-mask", "fill-mask", source)


def _card(lines: list[str], task: str, pipeline_tag: str | None, source: str | Path | None) -> str:
    from huggingface_hub import ModelCardData

    data = ModelCardData(
        library_name="transformers",  # the files are in its layout, and it loads them
        tags=["albert", "albert-lite", task],
        pipeline_tag=pipeline_tag,
        base_model=_hub_id(source),
    )
    return f"---\n{data.to_yaml()}\n---\n\n" + "\n".join(lines).rstrip() + "\n"


def _use(repo_id: str, pipeline_call: str, model_class: str) -> list[str]:
    return [
        "## Use",
        "",
        "```python",
        "import albert",
        "",
        f"pipe = {pipeline_call}",
        "```",
        "",
        f"The files are in the `transformers` layout: `transformers.{model_class}.from_pretrained"
        f'("{repo_id}")` loads them too.',
    ]


def _hub_id(source: str | Path | None) -> str | None:
    """`source` when it names a Hub model (the Hub's model tree links it), None for a local directory."""
    return None if source is None or Path(source).exists() else str(source)


def _origin(source: str | Path) -> str:
    try:
        if Path(source).resolve() == default_model_dir().resolve():
            return "albert-lite's built-in model"
    except FileNotFoundError:  # no built-in model installed
        pass
    hub_id = _hub_id(source)
    return (
        f"[{hub_id}](https://huggingface.co/{hub_id})" if hub_id else f"a local model (`{Path(source).name}`)"
    )
