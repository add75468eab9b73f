"""One lease of a CUDA GPU, used end to end inside a fixed time: the built-in model's GPU leg.

A rented GPU comes bare, for minutes, with no network and a size limit on what travels to it and back.
So the inputs are packed here first, one command does everything there within its time budget, and what
comes back is unpacked here:

    python tools/gpu_leg.py pack-inputs                     # here: .gpu/{shards,finetune-data}.tar.xz
    PYTHONPATH=src python3 tools/gpu_leg.py run --budget-s 570 --out $OUT    # there, from the repo root
    python tools/gpu_leg.py receive DIR                     # here: DIR (what came back) -> runs/gpu, ...
    python tools/gpu_leg.py run --rehearse --budget-s 300   # here: every stage on the CPU with a tiny model

A later leg continues the built-in model instead of starting afresh (a warm restart: its weights, fresh
optimizer moments), and may leave out the bench or run other fine-tunes:

    PYTHONPATH=src python3 tools/gpu_leg.py run --budget-s 570 --out $OUT --no-bench \
        --pretrain-args "--init-from src/albert/assets/default --warmup-steps 100" \
        --finetune-runs sst2-300,conll-400 --finetune-parallel 2

Stages of `run`, each with its own deadline inside the budget (a stage that fails or overruns is logged
and the next one still runs):
  unpack    the shards of `tools/build_default_model.py shards` and the fine-tuning data
  bench     `bench/run.py --device cuda` (the CUDA speed table, issue 14)
  serve     with --serve-bench: `bench/bench_serve.py --device cuda` (the load test of `albert serve` with
            its model on the GPU, issue 17; needs the serve extra's wheels carried, see the model card)
  probe     a few steps of the real pretraining run, to measure its steps/s on this GPU
  pretrain  `albert pretrain --config configs/pretrain/gpu.yaml --max-steps N`, N sized so that the run
            (and its learning-rate decay) ends with the stage; SIGTERM at the deadline checkpoints the step
  finetune  `tools/finetune_table.py run --device cuda --parallel ...`: the README table's runs and the
            300/400-step SST-2 and CoNLL runs from the new model, side by side on the one GPU
  collect   the fp32 weights in parts under the 16 MiB per-file limit and tarballs of every record
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shlex
import signal
import subprocess
import sys
import tarfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
INPUTS = ROOT / ".gpu"  # git-ignored through .git/info/exclude; carried to the GPU machine
RUN_DIR = Path("runs/gpu")
PROBE_DIR = Path("runs/probe")
FINETUNE_DIR = Path("runs/finetune-gpu")
BENCH_LOG = Path("runs/bench/bench.log")
SERVE_LOG = Path("runs/bench/serve.log")
FINETUNE_DATA_DIR = Path("runs/finetune-data")  # unpacked there (not in .gpu/, which travels)
PART_BYTES = 15 * 2**20  # what comes back: at most 16 MiB a file
FINETUNE_RUNS = "sst2,cola,mrpc,stsb,rte,conll,squad,csqa,dream,sst2-300,conll-400"
# --rehearse: the same stages on a CPU, with a tiny model and two short fine-tunes, to find mistakes before
# the GPU's minutes are spent.
REHEARSAL_PRETRAIN = ("--device", "cpu", "--mixed-precision", "no", "--batch-size", "16",
                      "--num-workers", "1")  # fmt: skip
# ... and a tiny shape, unless the leg continues a model (--init-from: its shape; rehearse with a tiny one)
REHEARSAL_SHAPE = ("--model-config", "hidden_size=32", "num_attention_heads=2", "intermediate_size=64",
                   "num_hidden_layers=2", "embedding_size=16")  # fmt: skip
FINETUNE_DATA = ("glue/SST-2", "glue/CoLA", "glue/MRPC", "glue/STS-B", "glue/RTE", "conll2003", "squad",
                 "commonsenseqa", "dream")  # fmt: skip
SHARD_FILES = ("data_fingerprint.json", "data/train", "data/eval")


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


# ----- here, before: what travels -----


def pack_inputs(work: Path, data: Path) -> None:
    """The shards (no build-time hash files) and the fine-tuning data, xz-compressed, into .gpu/."""
    INPUTS.mkdir(exist_ok=True)

    def no_hashes(info: tarfile.TarInfo) -> tarfile.TarInfo | None:
        return None if info.name.endswith(".hashes.npy") else info

    with tarfile.open(INPUTS / "shards.tar.xz", "w:xz", preset=9) as tar:
        for name in SHARD_FILES:
            tar.add(work / name, arcname=name, filter=no_hashes)
    with tarfile.open(INPUTS / "finetune-data.tar.xz", "w:xz", preset=9) as tar:
        for name in FINETUNE_DATA:
            tar.add(data / name, arcname=name)
    for path in sorted(INPUTS.iterdir()):
        print(f"{path}: {path.stat().st_size / 2**20:.1f} MiB")


# ----- there: the stages -----


def run_stage(
    name: str, cmd: list[str], deadline: float, logfile: Path | None = None, grace_s: float = 5, env=None
) -> int | None:
    """Run `cmd` in its own process group until it ends or `deadline` (SIGTERM, then SIGKILL `grace_s`
    later); returns its exit code (None if it had to be killed)."""
    log(f"{name}: {' '.join(cmd)}")
    with open(logfile, "w") if logfile else contextlib.nullcontext() as out:
        proc = subprocess.Popen(
            cmd, stdout=out, stderr=subprocess.STDOUT if out else None, start_new_session=True
        )
        try:
            code = proc.wait(timeout=max(deadline - time.monotonic(), 1))
        except subprocess.TimeoutExpired:
            log(f"{name}: deadline reached, SIGTERM")
            # To the leader only: a training run stops after its step with a checkpoint, which needs its
            # DataLoader workers alive (they go with the group below).
            os.kill(proc.pid, signal.SIGTERM)
            try:
                code = proc.wait(timeout=grace_s)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
                code = None
    log(f"{name}: ended with {code}")
    return code


@dataclass(frozen=True)
class Leg:
    """What this lease runs (the command line's options)."""

    rehearse: bool = False  # on the CPU, with a tiny model
    pretrain_args: tuple[str, ...] = ()  # more `albert pretrain` flags, e.g. a warm restart's --init-from
    bench: bool = True
    serve_bench: bool = False
    finetune_runs: str = FINETUNE_RUNS
    finetune_parallel: int = 11


def pretrain_cmd(leg: Leg, output_dir: Path, *extra: str) -> list[str]:
    rehearsal = ()
    if leg.rehearse:
        rehearsal = REHEARSAL_PRETRAIN + (() if "--init-from" in leg.pretrain_args else REHEARSAL_SHAPE)
    return [sys.executable, "-m", "albert", "pretrain", "--config", "configs/pretrain/gpu.yaml",
            "--output-dir", str(output_dir), *rehearsal, *leg.pretrain_args, *extra]  # fmt: skip


def measured_rate(metrics: Path) -> tuple[float, float]:
    """(steps/s between the last two train records, elapsed s at the last) of a metrics.jsonl."""
    records = [json.loads(line) for line in metrics.read_text().splitlines()]
    train = [r for r in records if r.get("split") == "train"]
    a, b = train[-2], train[-1]
    return (b["step"] - a["step"]) / (b["elapsed_s"] - a["elapsed_s"]), b["elapsed_s"]


def probe(leg: Leg, deadline: float, steps: int = 40) -> tuple[float, float]:
    """Steps/s of the real run (same config, shards, workers), and the seconds a run spends outside its
    steps (start, data, evaluation, export), from `steps` steps into a scratch directory."""
    PROBE_DIR.mkdir(parents=True, exist_ok=True)
    if not (PROBE_DIR / "data").exists():
        (PROBE_DIR / "data").symlink_to(Path("../gpu/data"))
        (PROBE_DIR / "data_fingerprint.json").write_bytes((RUN_DIR / "data_fingerprint.json").read_bytes())
    started = time.monotonic()
    extra = ["--max-steps", str(steps), "--log-every", "10", "--eval-batches", "1", "--no-plot"]
    code = run_stage("probe", pretrain_cmd(leg, PROBE_DIR, *extra), deadline, PROBE_DIR / "probe.log")
    if code != 0:
        raise RuntimeError(f"the probe run failed (exit {code}); see {PROBE_DIR / 'probe.log'}")
    rate, elapsed = measured_rate(PROBE_DIR / "metrics.jsonl")
    overhead = time.monotonic() - started - steps / rate
    log(f"probe: {rate:.2f} steps/s, {overhead:.0f} s outside the steps")
    return rate, overhead


def pretrain(leg: Leg, deadline: float) -> None:
    """The real run, sized to end (learning rate at 0) a little before `deadline`."""
    rate, overhead = probe(leg, min(deadline, time.monotonic() + 150))
    seconds = deadline - time.monotonic() - overhead - 10
    max_steps = int(rate * seconds * 0.95)  # periodic evaluations and checkpoints take the rest
    log(f"pretrain: {max_steps} steps in ~{seconds:.0f} s")
    record = {"probe_steps_per_s": rate, "max_steps": max_steps, "pretrain_args": list(leg.pretrain_args)}
    RUN_DIR.joinpath("leg.json").write_text(json.dumps(record))
    cmd = pretrain_cmd(leg, RUN_DIR, "--max-steps", str(max_steps))
    run_stage("pretrain", cmd, deadline, RUN_DIR / "pretrain.log", grace_s=40)
    if not (RUN_DIR / "model" / "model.safetensors").is_file():  # killed or failed before its export
        salvage_checkpoint()


def salvage_checkpoint() -> None:
    """The newest checkpoint's model files into runs/gpu/model, when the run ended without exporting one."""
    checkpoints = sorted((RUN_DIR / "checkpoints").glob("step-*"))
    if not checkpoints:
        raise RuntimeError("the pretraining run left no checkpoint")
    (RUN_DIR / "model").mkdir(exist_ok=True)
    for name in ("config.json", "model.safetensors"):
        (RUN_DIR / "model" / name).write_bytes((checkpoints[-1] / name).read_bytes())
    log(f"pretrain: no exported model; took {checkpoints[-1]}")


def finetune(leg: Leg, deadline: float) -> None:
    model = RUN_DIR / "model"
    if not (model / "model.safetensors").is_file():
        raise RuntimeError(f"no pretrained model in {model}: nothing to fine-tune")
    device, parallel, runs = (
        ("cpu", 2, "sst2-300,conll-400")
        if leg.rehearse
        else ("cuda", leg.finetune_parallel, leg.finetune_runs)
    )
    cmd = [sys.executable, "tools/finetune_table.py", "run", "--device", device, "--parallel", str(parallel),
           "--threads", "1", "--model", str(model), "--data", str(FINETUNE_DATA_DIR), "--work", str(FINETUNE_DIR),
           "--only", runs]  # fmt: skip
    run_stage("finetune", cmd, deadline, FINETUNE_DIR.with_suffix(".log"))


def serve_bench_cmd(leg: Leg) -> list[str]:
    """The load test, short: ~2 x 4 x 6 s of load, 3 x 4 s in process, 2 server starts (~2.5 min on the
    CPU rehearsal; a GPU answers the request cap sooner)."""
    device, clients = ("cpu", ["1", "8"]) if leg.rehearse else ("cuda", ["1", "8", "32", "64"])
    return [sys.executable, "bench/bench_serve.py", "--device", device, "--clients", *clients,
            "--seconds", "6", "--requests", "4000", "--in-process-seconds", "4",
            "--out", f"runs/bench/serve-{device}.json"]  # fmt: skip


def collect(out: Path) -> None:
    """What comes back: weights in parts, records in tarballs (at most 8 files)."""
    weights = RUN_DIR / "model" / "model.safetensors"
    if weights.is_file():
        data = weights.read_bytes()
        for i in range(0, len(data), PART_BYTES):
            (out / f"model.safetensors.part{i // PART_BYTES}").write_bytes(data[i : i + PART_BYTES])
    records = {
        "pretrain.tar.gz": [
            RUN_DIR / n
            for n in (
                "metrics.jsonl",
                "train_args.json",
                "leg.json",
                "pretrain.log",
                "curves.png",
                "model/config.json",
            )
        ]  # fmt: skip
        + [PROBE_DIR / "probe.log", PROBE_DIR / "metrics.jsonl"],
        "finetune.tar.gz": [FINETUNE_DIR, FINETUNE_DIR.with_suffix(".log")],
        "bench.tar.gz": [Path("runs/bench")],
    }
    for name, paths in records.items():
        with tarfile.open(out / name, "w:gz") as tar:
            for path in paths:
                if path.exists():
                    tar.add(path, filter=records_only)


def records_only(info: tarfile.TarInfo) -> tarfile.TarInfo | None:
    """Leave weights, optimizer states and tokenizer copies behind (the base model's are here already)."""
    return None if info.name.endswith((".safetensors", ".pt", "tokenizer.json", "spiece.model")) else info


def stage(name: str, fn, *args) -> None:
    """Run one stage; a failure is logged and the next stage goes on."""
    try:
        fn(*args)
    except Exception as e:  # noqa: BLE001 - one broken stage must not lose the others' results
        log(f"{name} FAILED: {type(e).__name__}: {e}")


def run(leg: Leg, budget_s: float, out: Path) -> None:
    start = time.monotonic()
    end = start + budget_s
    os.environ["PYTHONUNBUFFERED"] = "1"
    log(f"budget {budget_s:.0f} s; python {sys.version.split()[0]}")
    stage("unpack", unpack)
    bench = [sys.executable, "bench/run.py", "--device", "cuda", "--results-dir", "runs/bench"]
    if leg.bench and not leg.rehearse:
        stage("bench", run_stage, "bench", bench, min(start + 90, end), BENCH_LOG, 5, bench_env())
    if leg.serve_bench:
        deadline = min(time.monotonic() + 180, end)
        stage("serve", run_stage, "serve", serve_bench_cmd(leg), deadline, SERVE_LOG)
    stage("pretrain", pretrain, leg, end - 150)
    stage("finetune", finetune, leg, end - 15)
    stage("collect", collect, out)
    for path, lines in ((BENCH_LOG, 25), (SERVE_LOG, 12), (PROBE_DIR / "probe.log", 5), (RUN_DIR / "pretrain.log", 25),
                        (FINETUNE_DIR.with_suffix(".log"), 30)):  # fmt: skip
        if path.is_file():
            print(f"--- {path} (end)", *path.read_text(errors="replace").splitlines()[-lines:], sep="\n")
    log(f"done in {time.monotonic() - start:.0f} s")


def bench_env() -> dict[str, str]:
    """The environment with $GPU_LEG_BENCH_PATH first on PYTHONPATH: packages the bench's peer (transformers)
    needs in other versions than the machine has, carried as wheels."""
    extra = os.environ.get("GPU_LEG_BENCH_PATH")
    if not extra:
        return dict(os.environ)
    return {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [extra, os.environ.get("PYTHONPATH")]))}


def unpack() -> None:
    RUN_DIR.mkdir(parents=True, exist_ok=True)
    with tarfile.open(INPUTS / "shards.tar.xz") as tar:
        tar.extractall(RUN_DIR, filter="data")
    with tarfile.open(INPUTS / "finetune-data.tar.xz") as tar:
        tar.extractall(FINETUNE_DATA_DIR, filter="data")
    Path("runs/bench").mkdir(parents=True, exist_ok=True)


# ----- here, after: what came back -----


def receive(came_back: Path) -> None:
    """Reassemble the weights into runs/gpu/model and unpack the records where `run` wrote them."""
    parts = sorted(came_back.glob("model.safetensors.part*"), key=lambda p: int(p.name.rsplit("part", 1)[1]))
    for name in ("pretrain.tar.gz", "finetune.tar.gz", "bench.tar.gz"):
        if (came_back / name).is_file():
            with tarfile.open(came_back / name) as tar:
                tar.extractall(".", filter="data")
    if parts:
        (RUN_DIR / "model").mkdir(parents=True, exist_ok=True)
        with open(RUN_DIR / "model" / "model.safetensors", "wb") as f:
            for part in parts:
                f.write(part.read_bytes())
    print(f"{len(parts)} weight parts; records unpacked under runs/")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("stage", choices=["pack-inputs", "run", "receive"])
    parser.add_argument("path", nargs="?", type=Path, help="receive: the folder that came back")
    parser.add_argument("--budget-s", type=float, default=570)
    parser.add_argument("--out", type=Path, default=Path(os.environ.get("OUT", "runs/gpu-out")))
    parser.add_argument("--work", type=Path, default=Path("runs/full"), help="pack-inputs: the shard build")
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--rehearse", action="store_true", help="run: on the CPU with a tiny model")
    parser.add_argument("--no-bench", action="store_true", help="run: leave out the CUDA bench stage")
    parser.add_argument(
        "--serve-bench", action="store_true", help="run: the load test of albert serve on the GPU"
    )
    parser.add_argument(
        "--pretrain-args", default="", help='run: more `albert pretrain` flags, e.g. "--init-from DIR"'
    )
    parser.add_argument("--finetune-runs", default=FINETUNE_RUNS, help="run: tools/finetune_table.py names")
    parser.add_argument("--finetune-parallel", type=int, default=11, help="run: fine-tunes at a time")
    args = parser.parse_args()
    leg = Leg(
        rehearse=args.rehearse,
        pretrain_args=tuple(shlex.split(args.pretrain_args)),
        bench=not args.no_bench,
        serve_bench=args.serve_bench,
        finetune_runs=args.finetune_runs,
        finetune_parallel=args.finetune_parallel,
    )
    if args.stage == "pack-inputs":
        pack_inputs(args.work, args.data)
    elif args.stage == "run":
        args.out.mkdir(parents=True, exist_ok=True)
        run(leg, args.budget_s, args.out)
    else:
        receive(args.path)


if __name__ == "__main__":
    main()
