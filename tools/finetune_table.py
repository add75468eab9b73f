"""Fine-tune a model on the real tasks of `../shared/data` and build the results table of docs/finetuning.md.

Every run is the public command line, `albert finetune ...` then `albert evaluate ...` on the full dev set,
so the table shows exactly what a user would type. Runs go to `--work` (default `runs/finetune`, which git
ignores); each leaves `eval_results.json` (steps, examples, wall time) and `dev_metrics.json` (the output
of `albert evaluate`). `table` only reads those files: every number in it was measured by `run`.

    python tools/finetune_table.py run --only sst2,mrpc --threads 1     # one queue
    python tools/finetune_table.py run --only squad,cola --threads 1    # a second queue beside it
    python tools/finetune_table.py table          # docs/finetuning.md's table
    python tools/finetune_table.py readme-table --work results/finetune   # the README's: both models
    python tools/finetune_table.py archive        # copy the measurements (no weights) to results/finetune
    python tools/finetune_table.py table --work results/finetune   # the tables again, from the copies
    python tools/finetune_table.py floors         # majority class / answer position of each dev set
    python tools/finetune_table.py record --only dream --work runs/ft13 --threads 2 \
        --hardware "CPU, 2 threads, then 1" --train-flags "--save-every 10"   # trained in legs (--resume)
    python tools/finetune_table.py run --device cuda --parallel 11 --only sst2,...,sst2-300,conll-400  # one GPU

The hyperparameters are ours, chosen once for a 3M-parameter model on a 2-core CPU budget (higher learning
rates than the paper's, which suit a 12M+ model; subsets where a full epoch would take hours). They were not
tuned on dev.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"


@dataclass(frozen=True)
class Run:
    name: str
    title: str  # the task as the table shows it
    task: str
    train: str  # relative to the data directory
    dev: str
    flags: str  # `albert finetune` flags besides task, files and output
    metrics: tuple[str, ...]  # dev metrics shown; the first is the one the best checkpoint is picked by
    baseline: str  # what a model that learned nothing scores on the dev set (from its label counts; `floors`)
    paper: str  # the paper's numbers, for context only


RUNS = (
    Run("sst2", "SST-2", "text-classification", "glue/SST-2/train.tsv", "glue/SST-2/dev.tsv",
        "--epochs 1 --batch-size 32 --max-length 64 --lr 1e-4 --eval-every 700",
        ("accuracy",), "50.9 (majority)", "ALBERT-base 90.3 (v1), 92.9 (v2)"),
    Run("cola", "CoLA", "text-classification", "glue/CoLA/train.tsv", "glue/CoLA/dev.tsv",
        "--epochs 3 --batch-size 32 --max-length 64 --lr 1e-4 --metric-for-best matthews_correlation",
        ("matthews_correlation",), "0 (any constant)", "no base number; xxlarge (1M) 68.7"),
    Run("mrpc", "MRPC", "text-classification", "glue/MRPC/train.tsv", "glue/MRPC/dev.tsv",
        "--epochs 4 --batch-size 32 --max-length 128 --lr 1e-4",
        ("accuracy", "f1"), "68.4 / 81.2 (majority)", "no base number; xxlarge (1M) 90.2 (acc.)"),
    Run("stsb", "STS-B", "regression", "glue/STS-B/train.tsv", "glue/STS-B/dev.tsv",
        "--epochs 4 --batch-size 32 --max-length 128 --lr 1e-4",
        ("pearson", "spearman"), "0 (a constant)", "no base number; xxlarge (1M) 92.7 (Pearson)"),
    Run("rte", "RTE", "text-classification", "glue/RTE/train.tsv", "glue/RTE/dev.tsv",
        "--epochs 4 --batch-size 32 --max-length 128 --lr 1e-4 --dropout 0.1",
        ("accuracy",), "52.7 (majority)", "no base number; xxlarge (1M) 88.1"),
    Run("conll", "CoNLL-2003 NER", "token-classification", "conll2003/train.txt", "conll2003/valid.txt",
        "--epochs 2 --batch-size 32 --max-length 128 --lr 2e-4",
        ("f1", "accuracy"), "0 / 83.3 (all `O`)", "not reported in the paper"),
    Run("squad", "SQuAD v1.1", "question-answering", "squad/train-v1.1.json", "squad/dev-v1.1.json",
        "--max-train-examples 8000 --max-eval-examples 1000 --epochs 2 --batch-size 32 --max-length 256"
        " --doc-stride 128 --lr 2e-4",
        ("f1", "exact_match"), "–", "ALBERT-base 89.3 / 82.3 (v1), 90.2 / 83.2 (v2)"),
    Run("csqa", "CommonsenseQA", "multiple-choice", "commonsenseqa/train.jsonl", "commonsenseqa/dev.jsonl",
        "--epochs 2 --batch-size 16 --max-length 64 --lr 1e-4",
        ("accuracy",), "20.9 (majority position)", "not reported; RACE: ALBERT-base 64.0 (v1), 66.8 (v2)"),
    Run("dream", "DREAM", "multiple-choice", "dream/train.json", "dream/dev.json",
        "--epochs 1 --batch-size 16 --max-length 256 --lr 1e-4 --dropout 0.1",
        ("accuracy",), "34.5 (majority position)", "not reported; RACE: ALBERT-base 64.0 (v1), 66.8 (v2)"),
)  # fmt: skip


# The short fine-tunes of issue 16's targets (a fixed number of steps from the built-in model), run with
# `--only sst2-300,conll-400`; they are not rows of the tables.
SHORT_RUNS = (
    Run("sst2-300", "SST-2, 300 steps", "text-classification", "glue/SST-2/train.tsv", "glue/SST-2/dev.tsv",
        "--max-steps 300 --batch-size 32 --max-length 64 --lr 1e-4 --eval-every 300",
        ("accuracy",), "50.9 (majority)", ""),
    Run("conll-400", "CoNLL-2003 NER, 400 steps", "token-classification", "conll2003/train.txt",
        "conll2003/valid.txt", "--max-steps 400 --batch-size 32 --max-length 128 --lr 2e-4 --eval-every 400",
        ("f1", "accuracy"), "0 / 83.3 (all `O`)", ""),
)  # fmt: skip


def commands(
    run: Run, work: Path, data: Path, model: str | None, device: str | None = None, seed: int = 42
) -> tuple[list[str], list[str]]:
    out = work / run.name
    model_flag = ["--model", model] if model else []
    device_flag = ["--device", device] if device else []
    train = ["albert", "-v", "finetune", run.task, "--train", str(data / run.train),
             "--eval", str(data / run.dev), "--output", str(out), *model_flag,
             *shlex.split(run.flags), *device_flag, "--seed", str(seed), "--no-progress-bar"]  # fmt: skip
    evaluate = [
        "albert",
        "evaluate",
        run.task,
        "--model",
        str(out),
        "--eval",
        str(data / run.dev),
        *device_flag,
    ]
    return train, evaluate


def executable(cmd: list[str]) -> list[str]:
    """`cmd` as run: `albert ...`, or `python -m albert ...` where the package is not installed (a bare
    machine with the sources on PYTHONPATH)."""
    if cmd[0] == "albert" and shutil.which("albert") is None:
        return [sys.executable, "-m", "albert", *cmd[1:]]
    return cmd


def display(cmd: list[str], data: Path) -> str:
    """The command as the docs show it: data paths under `$D`, no progress-bar flag."""
    text = shlex.join(c for c in cmd if c != "--no-progress-bar")
    return text.replace(str(data), "$D")


def run_one(
    run: Run, work: Path, data: Path, model: str | None, threads: int, device: str | None, seed: int = 42
) -> None:
    """`albert finetune` then `albert evaluate` on the full dev set; writes `<work>/<run>/dev_metrics.json`."""
    env = {**os.environ, "OMP_NUM_THREADS": str(threads)}
    train, _ = commands(run, work, data, model, device, seed)
    (work / run.name).mkdir(parents=True, exist_ok=True)
    print(f"[{time.strftime('%H:%M:%S')}] {run.name}: {display(train, data)}", flush=True)
    with open(work / run.name / "finetune.log", "w") as log:
        subprocess.run(executable(train), check=True, stdout=log, stderr=subprocess.STDOUT, env=env)
    record(run, work, data, model, threads, device, seed)


def record(
    run: Run,
    work: Path,
    data: Path,
    model: str | None,
    threads: int,
    device: str | None,
    seed: int = 42,
    hardware_text: str | None = None,
    train_flags: str = "",
) -> None:
    """`albert evaluate` of the trained `<work>/<run>` on the full dev set -> `dev_metrics.json`. Also the
    `record` stage, for a run trained in several legs (`--resume latest`): `hardware_text` then says what
    ran them ("CPU, 1 thread, then 2") and `train_flags` the flags added to the table's command."""
    from albert.tasks import DataOptions, get_task

    env = {**os.environ, "OMP_NUM_THREADS": str(threads)}
    train, evaluate = commands(run, work, data, model, device, seed)
    started = time.perf_counter()
    result = subprocess.run(executable(evaluate), check=True, capture_output=True, text=True, env=env)
    dev = json.loads(result.stdout)
    dev["evaluate_wall_time_s"] = round(time.perf_counter() - started, 1)
    dev["threads"] = threads
    dev["hardware"] = hardware_text or hardware(device, threads)
    dev["dev_examples"] = len(get_task(run.task).read(data / run.dev, DataOptions()))
    dev["commands"] = [" ".join([display(train, data), train_flags]).strip(), display(evaluate, data)]
    (work / run.name / "dev_metrics.json").write_text(json.dumps(dev, indent=2) + "\n")
    print(f"[{time.strftime('%H:%M:%S')}] {run.name}: {dev}", flush=True)


def hardware(device: str | None, threads: int) -> str:
    """What the table's hardware column says: the GPU's name, or CPU and threads."""
    if device and device.startswith("cuda"):
        import torch

        return f"GPU ({torch.cuda.get_device_name(torch.device(device))})"
    return f"CPU, {threads} thread{'s' if threads > 1 else ''}"


def run_all(
    runs: list[Run],
    work: Path,
    data: Path,
    model: str | None,
    threads: int,
    device: str | None,
    parallel: int,
    seed: int = 42,
) -> int:
    """Every run (`parallel` at a time, e.g. several small fine-tunes sharing one GPU); a failed run is
    reported and the others go on. Returns the number of failed runs."""
    from concurrent.futures import ThreadPoolExecutor

    def attempt(run: Run) -> bool:
        try:
            run_one(run, work, data, model, threads, device, seed)
            return True
        except subprocess.CalledProcessError as e:
            print(f"[{time.strftime('%H:%M:%S')}] {run.name} FAILED: {e} (see {work / run.name})", flush=True)
            return False

    with ThreadPoolExecutor(max_workers=max(parallel, 1)) as pool:
        return sum(not ok for ok in pool.map(attempt, runs))


def measured(work: Path, run: Run, folder: str | None = None) -> tuple[dict, dict, str] | None:
    """(dev metrics, eval_results, the shown metrics as text) of a finished run (in `work/<folder>`, by
    default `work/<run name>`); None if it did not run or was stopped before its end."""
    folder = folder or run.name
    try:
        dev = json.loads((work / folder / "dev_metrics.json").read_text())
        res = json.loads((work / folder / "eval_results.json").read_text())
    except FileNotFoundError:
        return None
    if res.get("stopped_early"):  # a run stopped before its end is not a result (resume it first)
        return None
    return dev, res, " / ".join(f"{m.replace('_', ' ')} {100 * dev[m]:.1f}" for m in run.metrics)


def shown_hardware(dev: dict) -> str:
    """The hardware column of a run (runs measured before the `hardware` field were CPU runs)."""
    return dev.get("hardware") or f"CPU, {dev['threads']} thread"


def table(work: Path) -> str:
    rows = [
        "| task | dev result (full dev set) | learned nothing | training examples / steps | wall time"
        " | hardware | paper, for context |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for run in RUNS:
        if (found := measured(work, run)) is None:
            rows.append(f"| {run.title} | not run | {run.baseline} | | | | {run.paper} |")
            continue
        dev, res, shown = found
        examples = f"{res['train_examples']:,}"
        if res["train_features"] != res["train_examples"] and run.task == "question-answering":
            examples += f" ({res['train_features']:,} windows)"
        rows.append(
            f"| {run.title} | {shown} (n={dev['dev_examples']:,}) | {run.baseline} | {examples} /"
            f" {res['steps']:,} | {res['wall_time_s'] / 60:.1f} min | {shown_hardware(dev)} |"
            f" {run.paper} |"
        )
    return "\n".join(rows)


def comparison_table(earlier: Path, current: Path) -> str:
    """The README's table: each run re-measured with the current built-in model (`current/<run>-cpu`)
    beside the earlier model's (`earlier/<run>`), what learning nothing scores, and the paper. No wall
    times: the current model's runs took one to three legs on different CPUs (the model card has them)."""
    rows = [
        "| task | current model (ALBERT-base shape) | earlier model (3M) | learned nothing | training examples"
        " | paper, for context |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for run in RUNS:
        new, old = measured(current, run, f"{run.name}-cpu"), measured(earlier, run)
        examples = f"{(new or old)[1]['train_examples']:,}" if new or old else ""
        rows.append(
            f"| {run.title} | {new[2] if new else 'not re-run yet'} | {old[2] if old else 'not run'} |"
            f" {run.baseline} | {examples} | {run.paper} |"
        )
    return "\n".join(rows)


def majority_floor(run: Run, data: Path) -> float | None:
    """Accuracy (%) of always answering the dev set's most frequent label (class, or answer position for
    multiple choice); None for tasks whose floor is not a label count (regression, NER, QA)."""
    from collections import Counter

    from albert.tasks import DataOptions, get_task

    if run.task not in ("text-classification", "multiple-choice"):
        return None
    labels = [e.label for e in get_task(run.task).read(data / run.dev, DataOptions())]
    return round(100 * Counter(labels).most_common(1)[0][1] / len(labels), 1)


ARCHIVED = ("eval_results.json", "dev_metrics.json", "metrics.jsonl", "finetune_config.json", "train_args.json",
            "curves.png")  # fmt: skip


def archive(work: Path, to: Path) -> None:
    """Copy each run's measurements (not its weights) to `to`, the committed record the tables come from."""
    for run in RUNS + SHORT_RUNS:
        for name in ARCHIVED:
            source = work / run.name / name
            if source.is_file():
                (to / run.name).mkdir(parents=True, exist_ok=True)
                shutil.copyfile(source, to / run.name / name)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "stage", choices=["run", "record", "table", "readme-table", "commands", "archive", "floors"]
    )
    parser.add_argument("--only", default=None, help="comma-separated run names (default: all)")
    parser.add_argument("--work", type=Path, default=Path("runs/finetune"))
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--model", default=None, help="pretrained model (default: the built-in one)")
    parser.add_argument("--to", type=Path, default=Path("results/finetune"), help="archive: destination")
    parser.add_argument("--current", type=Path, default=Path("results/pretrain-gpu/finetune"),
                        help="readme-table: the current model's runs (<run>-cpu), beside --work's")  # fmt: skip
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--device", default=None, help="run: cpu (default), cuda, cuda:N")
    parser.add_argument("--parallel", type=int, default=1, help="run: runs at a time (e.g. on one GPU)")
    parser.add_argument("--seed", type=int, default=42, help="run: the fine-tune's seed (the tables use 42)")
    parser.add_argument(
        "--hardware", default=None, help='record: what trained the legs ("CPU, 1 thread, then 2")'
    )
    parser.add_argument("--train-flags", default="", help="record: flags the legs added (--save-every 10)")
    args = parser.parse_args()
    known = RUNS + SHORT_RUNS
    names = args.only.split(",") if args.only else [r.name for r in RUNS]
    unknown = sorted(set(names) - {r.name for r in known})
    if unknown:
        parser.error(f"unknown run(s) {unknown}; known: {[r.name for r in known]}")
    runs = [r for r in known if r.name in names]
    if args.stage == "run":
        failed = run_all(
            runs, args.work, args.data, args.model, args.threads, args.device, args.parallel, args.seed
        )
        raise SystemExit(1 if failed else 0)
    elif args.stage == "record":  # a run trained in legs with --resume latest: evaluate and write its record
        for run in runs:
            record(run, args.work, args.data, args.model, args.threads, args.device, args.seed, args.hardware,
                   args.train_flags)  # fmt: skip
    elif args.stage == "commands":
        for run in runs:
            print(
                "\n".join(
                    display(c, args.data)
                    for c in commands(run, args.work, args.data, args.model, seed=args.seed)
                )
            )
    elif args.stage == "floors":
        for run in runs:
            print(f"{run.name}: {majority_floor(run, args.data)}  (table: {run.baseline})")
    elif args.stage == "archive":
        archive(args.work, args.to)
    elif args.stage == "readme-table":
        print(comparison_table(args.work, args.current))
    else:
        print(table(args.work))


if __name__ == "__main__":
    main()
