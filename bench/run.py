"""One command for the performance numbers of albert-lite against `transformers` and ONNX Runtime.

    python bench/run.py [--device cpu|cuda] [--quick] [--threads 2] [--rounds 3] [--json out.json]

albert-base-v2 shapes, random weights (seed 0) saved once and loaded by every contestant (see
`peers.py`), fp32, the same inputs for all, timed in interleaved rounds, best of `--rounds`. Memory is
the peak RSS the call adds (CPU) or the peak CUDA allocation it adds (see `common.py`). A full run takes
~10 minutes on 2 cores; `--quick` is a ~1-2 minute smoke run with fewer shapes and one round.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import tempfile
import time
import warnings
from functools import partial
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
import peers  # noqa: E402
from common import Race, machine_info, peak_memory_mib, table  # noqa: E402

RESULTS: dict[str, dict] = {}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--device", choices=("cpu", "cuda"), default="cpu")
    p.add_argument("--quick", action="store_true", help="smoke run: fewer shapes, one round")
    p.add_argument("--threads", type=int, default=2, help="intra-op threads (torch and ONNX Runtime)")
    p.add_argument("--rounds", type=int, default=None, help="timed rounds per case (default 3, quick 1)")
    p.add_argument("--json", type=Path, default=None, help="also write the raw results here")
    args = p.parse_args()
    warnings.filterwarnings("ignore")
    logging.disable(logging.WARNING)  # the peers' loading notices would drown the tables
    if args.device == "cuda" and not torch.cuda.is_available():
        sys.exit("--device cuda: no CUDA device visible to torch")
    peers.set_threads(args.threads)
    rounds = args.rounds or (1 if args.quick else 3)
    info = machine_info(args.device)
    print("# albert-lite benchmark\n")
    print("command: python bench/run.py " + " ".join(sys.argv[1:]))
    print(", ".join(f"{k}: {v}" for k, v in info.items()) + "\n")
    if float(info["load"]) > 2.5 and args.device == "cpu":
        print(
            f"WARNING: load average {info['load']} > 2.5: other processes share the CPU; timings are noisy\n"
        )
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        config = peers.save_checkpoint(workdir / "model")
        bench = Bench(workdir, args.device, rounds, args.quick, config)
        sections = [bench.inference, bench.varlen, bench.fill_mask, bench.pretraining, bench.eager_vs_sdpa]
        sections += [bench.precision] + ([bench.gpu_half] if args.device == "cuda" else []) + [bench.targets]
        for section in sections:
            start = time.perf_counter()
            section()
            print(f"\n({section.__name__}: {time.perf_counter() - start:.0f} s)", flush=True)
    print(f"\ntotal bench time: {time.perf_counter() - started:.0f} s")
    if args.json:
        args.json.write_text(json.dumps({"machine": info, "results": RESULTS}, indent=1, default=str))


def _store(outs: dict, key: str, fn, *args) -> None:
    outs[key] = fn(*args)


def _hidden_states_of(model):
    return lambda ids, mask: model(ids, mask).last_hidden_state


class Bench:
    def __init__(self, workdir: Path, device: str, rounds: int, quick: bool, config) -> None:
        self.dir, self.device, self.rounds, self.quick, self.config = workdir, device, rounds, quick, config
        self.cpu = device == "cpu"
        self.race = Race(device, rounds)

    def _encoders(self) -> dict:
        d, dev = self.dir / "model", self.device
        models = {
            "hf-eager": peers.hf("AlbertModel", d, dev, "eager"),
            "hf-sdpa": peers.hf("AlbertModel", d, dev, "sdpa"),
            "ours": peers.ours("AlbertModel", d, dev),
        }
        calls = {k: _hidden_states_of(m) for k, m in models.items()}
        if self.cpu:
            calls["ort"] = peers.hf_onnx(d, self.dir)
            ours_onnx = peers.ours_onnx(d, self.dir)
            no_arena = peers.ours_onnx(d, self.dir, arena=False)
            calls["ours-onnx"] = lambda ids, mask: ours_onnx(ids, mask).last_hidden_state
            calls["ours-onnx"].memory_probe = lambda ids, mask: no_arena(ids, mask).last_hidden_state
        return calls

    # ----- 1. fixed shapes -----

    def inference(self) -> None:
        shapes = [(1, 128), (8, 128)] if self.quick else [(1, 128), (8, 128), (8, 512), (32, 128)]
        self.calls = self._encoders()
        rows, out = [], {}
        for b, t in shapes:
            ids, mask = peers.fixed_batch(b, t, self.device)
            res = self._contest(self.calls, ids, mask, b * t, f"{b}x{t}")
            out[f"{b}x{t}"] = res
            rows += res.pop("_rows")
        print("## Inference, fixed shapes (no padding), fp32\n")
        print(
            table(
                ["shape", "impl", "ms", "tokens/s", "peak MiB", "max abs diff vs hf-sdpa", "ours vs it"], rows
            )
        )
        RESULTS["inference"] = out

    def _contest(self, calls: dict, ids, mask, useful: int, label: str) -> dict:
        outs, mem = {}, {}
        with torch.inference_mode():
            # The first call is the warm-up, the memory probe and the accuracy check at once. ONNX
            # Runtime keeps an arena across calls, so it is probed on a twin session without one.
            for k, f in calls.items():
                probe = getattr(f, "memory_probe", None)
                if probe is not None:
                    outs[k] = f(ids, mask)
                    mem[k] = peak_memory_mib(partial(probe, ids, mask), self.device)
                else:
                    mem[k] = peak_memory_mib(partial(_store, outs, k, f, ids, mask), self.device)
            ref, keep = outs["hf-sdpa"], mask.bool()
            diffs = {k: float((o.to(ref.device) - ref)[keep].abs().max()) for k, o in outs.items()}
            times = self.race.run({k: partial(f, ids, mask) for k, f in calls.items()}, warmup=0)
        rows = [
            [
                label,
                k,
                times[k] * 1e3,
                useful / times[k],
                mem[k],
                diffs[k],
                f"x{times[k] / times['ours']:.2f}",
            ]
            for k in calls
        ]
        return {"_rows": rows, "seconds": times, "peak_mib": mem, "max_abs_diff": diffs, "tokens": useful}

    # ----- 2. variable-length batch -----

    def varlen(self) -> None:
        n = 8 if self.quick else 32
        ids, mask, useful = peers.varlen_batch(n, 16, 256, self.device)
        res = self._contest(self.calls, ids, mask, useful, f"{n} x 16..256")
        print(f"\n## Variable-length batch: {n} sentences, lengths uniform in 16..256 (seed 0), fp32\n")
        print(
            f"{useful} real tokens in a {tuple(ids.shape)} padded batch ({useful / ids.numel():.0%} useful); "
        )
        print("tokens/s counts real tokens only. The peers run the padded batch; ours removes the padding.\n")
        print(
            table(
                ["batch", "impl", "ms", "useful tok/s", "peak MiB", "max abs diff vs hf-sdpa", "ours vs it"],
                res.pop("_rows"),
            )
        )
        RESULTS["varlen"] = res
        del self.calls

    # ----- 3. fill-mask on sentences -----

    def fill_mask(self) -> None:
        d, dev = self.dir / "model", self.device
        batches, source = peers.fill_mask_batches(64 if self.quick else 128, 32, dev)
        hf_mlm = peers.hf("AlbertForMaskedLM", d, dev, "sdpa")
        ours_mlm = peers.ours("AlbertForMaskedLM", d, dev)

        def hf_run():  # what a pipeline built on transformers does: full logits, then the mask rows
            return [hf_mlm(ids, mask).logits[ids == peers.MASK].topk(5).indices for ids, mask in batches]

        def ours_run():  # logits only at the [MASK] positions, padding removed
            return [
                ours_mlm(ids, mask, mlm_positions=ids == peers.MASK).logits.topk(5).indices
                for ids, mask in batches
            ]

        outs: dict = {}
        with torch.inference_mode():
            mem = {
                k: peak_memory_mib(partial(_store, outs, k, f), dev)
                for k, f in (("hf-sdpa", hf_run), ("ours", ours_run))
            }
            agree = float(
                torch.cat([(a == b).all(-1).float() for a, b in zip(outs["hf-sdpa"], outs["ours"])]).mean()
            )
            times = self.race.run({"hf-sdpa": hf_run, "ours": ours_run}, warmup=0)
        n = sum(len(b[0]) for b in batches)
        rows = [[k, times[k] * 1e3, n / times[k], mem[k], f"x{times[k] / times['ours']:.2f}"] for k in times]
        print(f"\n## Fill-mask: {source}, batches of 32 sorted by length, top-5 at each [MASK]\n")
        print(f"top-5 identical to transformers for {agree:.1%} of the sentences\n")
        print(table(["impl", "ms", "sentences/s", "peak MiB", "ours vs it"], rows))
        RESULTS["fill_mask"] = {"seconds": times, "peak_mib": mem, "sentences": n, "top5_agreement": agree}

    # ----- 4. pretraining step -----

    def _train_step(self, model, batch: dict):
        optimizer = torch.optim.AdamW(model.parameters(), lr=1e-5)
        model.train()

        def step() -> float:
            loss = model(**batch).loss
            loss.backward()
            optimizer.step()
            optimizer.zero_grad(set_to_none=True)
            return float(loss)

        return step

    def pretraining(self, b: int = 8, t: int = 128) -> None:
        d, dev = self.dir / "model", self.device
        batch = peers.pretraining_batch(b, t, dev)
        ours_model = peers.ours("AlbertForPreTraining", d, dev).train()
        steps = {
            "hf-eager": self._train_step(peers.hf("AlbertForPreTraining", d, dev, "eager"), batch),
            "hf-sdpa": self._train_step(peers.hf("AlbertForPreTraining", d, dev, "sdpa"), batch),
            "ours": self._train_step(ours_model, batch),
        }
        losses = {}
        for k, s in steps.items():  # first step: same weights and (seeded) SOP dropout, so the same loss
            torch.manual_seed(0)
            losses[k] = s()
        times = self.race.run(steps, warmup=0)
        mem = {k: peak_memory_mib(s, dev) for k, s in steps.items()}
        rows = [
            [k, times[k] * 1e3, b * t / times[k], mem[k], losses[k], f"x{times[k] / times['ours']:.2f}",
             f"{mem[k] and mem['ours'] / mem[k]:.2f}"]
            for k in steps
        ]  # fmt: skip
        print(f"\n## Pretraining step: MLM + SOP, {b}x{t}, AdamW, fp32 (forward + backward + step)\n")
        print("ours: fused GELU, MLM logits only at the 15% predicted positions (same loss).\n")
        print(
            table(
                ["impl", "ms", "tokens/s", "peak MiB", "first loss", "ours speed-up", "ours mem ratio"], rows
            )
        )
        RESULTS["pretraining"] = {"seconds": times, "peak_mib": mem, "first_loss": losses, "tokens": b * t}

    # ----- 5. eager vs SDPA, our model -----

    def eager_vs_sdpa(self) -> None:
        d, dev = self.dir / "model", self.device
        rows, out = [], {}
        shapes = [(8, 128)] if self.quick else [(8, 128), (8, 512)]
        if self.quick:  # the pretraining section already compares ours with the peers at 8x128
            return
        models = {a: peers.ours("AlbertModel", d, dev, attn=a) for a in ("eager", "sdpa")}
        for b, t in shapes:
            ids, mask = peers.fixed_batch(b, t, dev)
            calls = {a: partial(m, ids, mask) for a, m in models.items()}
            with torch.inference_mode():
                mem = {a: peak_memory_mib(f, dev) for a, f in calls.items()}  # also the warm-up
                times = self.race.run(calls, warmup=0)
            rows.append(self._eager_row("inference", f"{b}x{t}", times, mem))
            out[f"inference {b}x{t}"] = {"seconds": times, "peak_mib": mem}
        for b, t in [(8, 128)]:
            batch = peers.pretraining_batch(b, t, dev)
            steps = {
                a: self._train_step(peers.ours("AlbertForPreTraining", d, dev, attn=a).train(), batch)
                for a in ("eager", "sdpa")
            }
            times = self.race.run(steps)
            mem = {a: peak_memory_mib(s, dev) for a, s in steps.items()}
            rows.append(self._eager_row("training", f"{b}x{t}", times, mem))
            out[f"training {b}x{t}"] = {"seconds": times, "peak_mib": mem}
        print("\n## Our model: eager vs SDPA attention (fast paths on), fp32\n")
        print(
            table(
                ["mode", "shape", "eager ms", "sdpa ms", "speed-up", "eager MiB", "sdpa MiB", "mem saving"],
                rows,
            )
        )
        RESULTS["eager_vs_sdpa"] = out

    @staticmethod
    def _eager_row(mode: str, shape: str, times: dict, mem: dict) -> list:
        saving = 1 - mem["sdpa"] / mem["eager"] if mem["eager"] else float("nan")
        speed = times["eager"] / times["sdpa"]
        return [
            mode,
            shape,
            times["eager"] * 1e3,
            times["sdpa"] * 1e3,
            f"x{speed:.2f}",
            mem["eager"],
            mem["sdpa"],
            f"{saving:.0%}",
        ]

    # ----- 6. reduced precision -----

    def precision(self, b: int = 8, t: int = 128) -> None:
        d, dev = self.dir / "model", self.device
        ids, mask = peers.fixed_batch(b, t, dev, seed=1)
        reference = peers.ours("AlbertForMaskedLM", d, dev)
        hf_mlm = peers.hf("AlbertForMaskedLM", d, dev, "sdpa")
        modes = {"hf-sdpa fp32": hf_mlm, "ours fp32": reference}
        modes["ours bf16"] = peers.ours("AlbertForMaskedLM", d, dev, precision="bf16")
        if self.cpu:
            modes["ours int8"] = peers.ours("AlbertForMaskedLM", d, dev, precision="int8")
            modes["ours-onnx int8"] = peers.ours_onnx(d, self.dir, "AlbertForMaskedLM", precision="int8")
        with torch.inference_mode():
            base = reference(ids, mask).logits.float()
            top1 = base.argmax(-1)
            acc = {}
            for k, m in modes.items():
                logits = m(ids, mask).logits.float()
                acc[k] = (
                    float((logits.argmax(-1) == top1).float().mean()),
                    float((logits - base).abs().max()),
                )
            calls = {k: partial(m, ids, mask) for k, m in modes.items()}
            # bf16 without native support is very slow: time it once, after its accuracy call above
            slow = {k: calls.pop(k) for k in list(calls) if "bf16" in k and self.cpu}
            times = self.race.run(calls)
            for k, f in slow.items():
                start = time.perf_counter()
                f()
                times[k] = time.perf_counter() - start
        ref_t = times["hf-sdpa fp32"]
        rows = [
            [k, times[k] * 1e3, b * t / times[k], f"x{ref_t / times[k]:.2f}", acc[k][0], acc[k][1]]
            for k in modes
        ]
        print(f"\n## Reduced precision: AlbertForMaskedLM {b}x{t}, full-vocabulary logits\n")
        print("accuracy vs our fp32 logits at every position (random weights: top-1 margins are tiny, so")
        print("top-1 agreement is a pessimistic figure; the max logit change is the transferable one)\n")
        print(table(["mode", "ms", "tokens/s", "vs hf fp32", "top-1 agree", "max abs logit diff"], rows))
        RESULTS["precision"] = {"seconds": times, "accuracy": acc}

    # ----- 7. GPU: half precision at 16x512 -----

    def gpu_half(self, b: int = 16, t: int = 512) -> None:
        d, dev = self.dir / "model", self.device
        rows = []
        peak = {"H100": 989e12, "H200": 989e12, "A100": 312e12, "L4": 121e12}
        peak_flops = next((v for k, v in peak.items() if k in torch.cuda.get_device_name()), float("nan"))
        fpt = peers.flops_per_token(self.config, t)
        for dtype in (torch.bfloat16, torch.float16):
            ids, mask = peers.fixed_batch(b, t, dev)
            hf_m = peers.hf("AlbertModel", d, dev, "sdpa", dtype=dtype)
            ours_m = peers.ours("AlbertModel", d, dev).to(dtype)
            with torch.inference_mode():
                times = self.race.run(
                    {"hf-sdpa": partial(hf_m, ids, mask), "ours": partial(ours_m, ids, mask)}
                )
            for k, s in times.items():
                rows.append(["inference", str(dtype)[6:], k, s * 1e3, b * t * fpt / s / peak_flops])
            batch = peers.pretraining_batch(b, t, dev)
            hf_p = peers.hf("AlbertForPreTraining", d, dev, "sdpa", dtype=dtype)
            ours_p = peers.ours("AlbertForPreTraining", d, dev).to(dtype).train()
            times = self.race.run(
                {"hf-sdpa": self._train_step(hf_p, batch), "ours": self._train_step(ours_p, batch)}
            )
            for k, s in times.items():
                rows.append(["training", str(dtype)[6:], k, s * 1e3, 3 * b * t * fpt / s / peak_flops])
            RESULTS[f"gpu {dtype}"] = rows
        print(
            f"\n## GPU, {b}x{t}, half precision (MFU: model FLOPs / peak dense {peak_flops / 1e12:.0f} TFLOP/s)\n"
        )
        print(table(["mode", "dtype", "impl", "ms", "MFU"], rows))

    # ----- targets -----

    def targets(self) -> None:
        r, rows = RESULTS, []

        def add(name: str, value: float, goal: float, higher: bool = True) -> None:
            met = value >= goal if higher else value <= goal
            rows.append(
                [name, f"{value:.2f}", f"{'>=' if higher else '<='} {goal}", "met" if met else "MISSED"]
            )

        for shape in ("8x128", "32x128"):
            if shape in r["inference"] and "ort" in r["inference"][shape]["seconds"]:
                s = r["inference"][shape]["seconds"]
                add(f"fp32 {shape}: ours / ort throughput", s["ort"] / s["ours"], 1.0)
                add(f"fp32 {shape}: ours-onnx / ort throughput", s["ort"] / s["ours-onnx"], 1.0)
        s = r["varlen"]["seconds"]
        add("varlen: ours / hf-sdpa useful tokens/s", s["hf-sdpa"] / s["ours"], 3.0)
        s, m = r["pretraining"]["seconds"], r["pretraining"]["peak_mib"]
        add("pretraining: ours / hf-sdpa tokens/s", s["hf-sdpa"] / s["ours"], 1.5)
        add("pretraining: ours / hf-sdpa peak memory", m["ours"] / m["hf-sdpa"], 0.6, higher=False)
        s = r["precision"]["seconds"]
        add("bf16: ours bf16 / hf fp32 throughput", s["hf-sdpa fp32"] / s["ours bf16"], 3.0)
        if "ours int8" in s:
            add("(int8 instead: ours int8 / hf fp32)", s["hf-sdpa fp32"] / s["ours int8"], 3.0)
            add("(int8 instead: ours-onnx int8 / hf fp32)", s["hf-sdpa fp32"] / s["ours-onnx int8"], 3.0)
        print("\n## Targets (issue 7)\n")
        print(table(["target", "measured", "goal", "status"], rows))
        RESULTS["targets"] = rows


if __name__ == "__main__":
    main()
