"""Load test of `albert serve` on loopback: requests/s and p50/p99 latency for 1, 8, 32 and 64 concurrent
clients, with batching across requests (the default) and one request at a time (`--max-batch-size 1
--max-wait-ms 0`, what a naive server does).

    OMP_NUM_THREADS=1 python bench/bench_serve.py --out results/bench/serve.json
    python bench/bench_serve.py --device cuda --out results/bench/serve-cuda.json     # a server on a GPU

Each setting starts a fresh `albert serve --task fill-mask` (built-in model) subprocess on 127.0.0.1,
warms it up, then runs the clients (asyncio, one keep-alive connection each, each sends its next request
when the previous one is answered) until `--requests` have been answered or `--seconds` have passed. Inputs are
fill-mask sentences of 6 to 36 words, the same sequence for every setting. Every answer is checked:
status 200 and one list of top-5 predictions; anything else counts as an error, a request without an
answer as lost. Bounded: at most (2 modes x 4 client counts) x `--seconds` of load.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import machine_info  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
WORDS = [
    "the",
    "old",
    "man",
    "saw",
    "a",
    "small",
    "red",
    "boat",
    "near",
    "the",
    "quiet",
    "harbour",
    "on",
    "a",
    "cold",
    "and",
    "windy",
    "morning",
    "in",
    "early",
    "spring",
]
MODES = {"batched": ["--max-batch-size", "32", "--max-wait-ms", "5"], "one-at-a-time": ["--max-batch-size", "1", "--max-wait-ms", "0"]}  # fmt: skip


def sentences(n: int) -> list[str]:
    """n fill-mask inputs of 6 to 36 words with one [MASK] each (deterministic)."""
    out = []
    for i in range(n):
        length = 6 + (i * 7) % 31
        words = [WORDS[(i + k) % len(WORDS)] for k in range(length)]
        words[(i * 3) % length] = "[MASK]"
        out.append(" ".join(words) + ".")
    return out


def start_server(mode_args: list[str], device: str = "cpu") -> tuple[subprocess.Popen, str]:
    env = {**os.environ, "PYTHONPATH": f"{ROOT / 'src'}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"}
    command = [sys.executable, "-m", "albert", "serve", "--task", "fill-mask", "--port", "0", "--max-queue", "1024",
               "--device", device, *mode_args]  # fmt: skip
    process = subprocess.Popen(command, env=env, stderr=subprocess.PIPE, text=True)
    line = process.stderr.readline()
    match = re.search(r"(http://127\.0\.0\.1:\d+)/", line)
    if not match:
        process.kill()
        raise RuntimeError(f"the server did not start: {line}")
    url = match.group(1)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/healthz").status_code == 200:
                return process, url
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    process.kill()
    raise RuntimeError("the server did not become ready in 120 s")


def stop_server(process: subprocess.Popen) -> int:
    process.send_signal(signal.SIGTERM)
    try:
        return process.wait(30)
    except subprocess.TimeoutExpired:
        process.kill()
        return process.wait()


class Connection:
    """A minimal HTTP/1.1 keep-alive client on asyncio streams (POST with a JSON body, Content-Length
    answers). With httpx as the client, the load generator itself, not the server, was the bottleneck on
    a 2-vCPU machine."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def post(self, path: str, payload: dict) -> tuple[int, bytes]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        assert self.reader is not None
        body = json.dumps(payload).encode()
        head = f"POST {path} HTTP/1.1\r\nHost: {self.host}\r\nContent-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
        self.writer.write(head.encode() + body)
        await self.writer.drain()
        header = await self.reader.readuntil(b"\r\n\r\n")
        lines = header.decode("latin-1").split("\r\n")
        status = int(lines[0].split()[1])
        fields = dict(line.split(":", 1) for line in lines[1:] if ":" in line)
        length = int(next(v for k, v in fields.items() if k.strip().lower() == "content-length"))
        return status, await self.reader.readexactly(length)

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            with contextlib.suppress(OSError):
                await self.writer.wait_closed()


async def load(url: str, clients: int, inputs: list[str], max_requests: int, seconds: float) -> dict:
    """Run `clients` closed-loop clients; latency percentiles, throughput, errors and lost requests."""
    host, port = url.removeprefix("http://").split(":")
    latencies: list[float] = []
    errors = sent = 0
    next_input = 0
    stop_at = time.monotonic() + seconds

    async def one_client() -> None:
        nonlocal errors, sent, next_input
        connection = Connection(host, int(port))
        try:
            while sent < max_requests and time.monotonic() < stop_at:
                text = inputs[next_input % len(inputs)]
                next_input += 1
                sent += 1
                start = time.perf_counter()
                try:
                    status, body = await connection.post("/v1/fill-mask", {"inputs": text})
                    ok = status == 200 and len(json.loads(body)["outputs"]) == 5
                except (OSError, asyncio.IncompleteReadError, ValueError, KeyError, StopIteration):
                    ok = False
                    await connection.close()
                    connection = Connection(host, int(port))
                latencies.append(time.perf_counter() - start)
                errors += not ok
        finally:
            await connection.close()

    start = time.perf_counter()
    await asyncio.gather(*(one_client() for _ in range(clients)))
    elapsed = time.perf_counter() - start
    latencies.sort()

    def pct(p: float) -> float:
        return round(1000 * latencies[min(len(latencies) - 1, int(p * len(latencies)))], 1)

    return {
        "clients": clients,
        "requests": len(latencies),
        "seconds": round(elapsed, 2),
        "requests_per_s": round(len(latencies) / elapsed, 1),
        "p50_ms": pct(0.50),
        "p99_ms": pct(0.99),
        "errors": errors,
        "lost": sent - len(latencies),
    }


def in_process(inputs: list[str], seconds: float = 8.0, device: str = "cpu") -> dict:
    """The same pipeline as the server (built-in model, fast paths on), called in this process without
    HTTP: ms per input one at a time and in calls of 16 and 32 inputs. Their ratio is what batching can
    gain at most on this machine; the load test cannot beat it by more than the HTTP cost it amortises."""
    import torch

    import albert

    torch.set_num_threads(int(os.environ.get("OMP_NUM_THREADS") or torch.get_num_threads()))
    pipe = albert.pipeline("fill-mask", batch_size=32, device=device)
    pipe.model.enable_fast_paths()  # what `albert serve` does
    out: dict = {}
    for size in (1, 16, 32):
        pipe(inputs[:size])  # warm-up
        done, start = 0, time.perf_counter()
        while time.perf_counter() - start < seconds:
            chunk = [inputs[(done + k) % len(inputs)] for k in range(size)]
            pipe(chunk if size > 1 else chunk[0])
            done += size
        out[f"ms_per_input_calls_of_{size}"] = round(1000 * (time.perf_counter() - start) / done, 1)
    best = min(out["ms_per_input_calls_of_16"], out["ms_per_input_calls_of_32"])
    out["batching_ceiling"] = round(out["ms_per_input_calls_of_1"] / best, 2)
    return out


def batch_stats(url: str) -> dict:
    text = httpx.get(f"{url}/metrics").text
    count = float(re.search(r"^albert_batch_items_count (\S+)$", text, re.M).group(1))
    total = float(re.search(r"^albert_batch_items_sum (\S+)$", text, re.M).group(1))
    return {"pipeline_calls": int(count), "inputs": int(total)}


def table(result: dict) -> str:
    """The results as the markdown table of docs/serving.md (tests/serve/test_bench_table.py keeps them equal)."""
    machine = result["machine"]
    gpu = f"the server on a GPU ({machine['gpu']}); " if "gpu" in machine else ""
    lines = [
        f"{gpu}CPU {machine['cpu']}, {machine['cores']} cores, torch threads {machine['threads']}, "
        f"load average {result['load_before'][0]} before and {result['load_after'][0]} after the run.",
        "",
        "| server | clients | requests | requests/s | p50 ms | p99 ms | errors | lost | inputs per pipeline call |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for mode, data in result["runs"].items():
        for r in data["results"]:
            lines.append(
                f"| {mode} | {r['clients']} | {r['requests']} | {r['requests_per_s']} | {r['p50_ms']} | "
                f"{r['p99_ms']} | {r['errors']} | {r['lost']} | {r['mean_inputs_per_pipeline_call']} |"
            )
    rps = {
        (mode, r["clients"]): r["requests_per_s"] for mode, d in result["runs"].items() for r in d["results"]
    }
    if ("batched", 1) in rps and ("batched", 32) in rps and ("one-at-a-time", 32) in rps:
        lines += [
            "",
            f"Requests/s of the batched server with 32 clients: {rps['batched', 32] / rps['batched', 1]:.2f}x its "
            f"rate with 1 client, {rps['batched', 32] / rps['one-at-a-time', 32]:.2f}x the one-at-a-time server's "
            "with 32 clients.",
        ]
    if "in_process" in result:
        p = result["in_process"]
        lines += [
            "",
            f"The same pipeline in one process, without HTTP: {p['ms_per_input_calls_of_1']} ms per input one "
            f"at a time, {p['ms_per_input_calls_of_16']} in calls of 16, {p['ms_per_input_calls_of_32']} in "
            f"calls of 32: batching can gain at most {p['batching_ceiling']:.2f}x on this machine.",
        ]
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, nargs="+", default=[1, 8, 32, 64])
    parser.add_argument("--requests", type=int, default=400, help="answered requests per setting (at most)")
    parser.add_argument("--seconds", type=float, default=20.0, help="time per setting (at most)")
    parser.add_argument("--out", type=Path, default=ROOT / "results" / "bench" / "serve.json")
    parser.add_argument("--table", type=Path, help="print the markdown table of a results file and exit")
    parser.add_argument("--device", default="cpu", help="the server's --device (cpu, cuda, cuda:N)")
    parser.add_argument(
        "--in-process-seconds", type=float, default=8.0, help="time per call size of the in-process ceiling"
    )
    args = parser.parse_args()
    if args.table:
        print(table(json.loads(args.table.read_text())), end="")
        return 0
    inputs = sentences(256)
    result: dict = {
        "command": f"OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS', 'unset')} python bench/bench_serve.py "
        + " ".join(sys.argv[1:]),
        "machine": {
            **machine_info("cuda" if args.device.startswith("cuda") else "cpu"),
            "omp_num_threads": os.environ.get("OMP_NUM_THREADS", "unset"),
        },
        "device": args.device,
        "load_before": [round(x, 2) for x in os.getloadavg()],
        "model": "built-in (albert/assets/default), fill-mask, top_k 5",
        "runs": {},
    }
    result["in_process"] = in_process(inputs, args.in_process_seconds, args.device)
    print(f"{'in process':>14}  {json.dumps(result['in_process'])}", flush=True)
    for mode, mode_args in MODES.items():
        process, url = start_server(mode_args, args.device)
        try:
            asyncio.run(load(url, 4, inputs, 40, 10.0))  # warm-up
            before = batch_stats(url)
            runs = []
            for clients in args.clients:
                run = asyncio.run(load(url, clients, inputs, args.requests, args.seconds))
                after = batch_stats(url)
                calls = after["pipeline_calls"] - before["pipeline_calls"]
                run["mean_inputs_per_pipeline_call"] = round(
                    (after["inputs"] - before["inputs"]) / max(calls, 1), 2
                )
                before = after
                runs.append(run)
                print(f"{mode:>14}  {json.dumps(run)}", flush=True)
            result["runs"][mode] = {"server_args": mode_args, "results": runs}
        finally:
            result.setdefault("exit_status", {})[mode] = stop_server(process)
    result["load_after"] = [round(x, 2) for x in os.getloadavg()]
    batched = {r["clients"]: r["requests_per_s"] for r in result["runs"]["batched"]["results"]}
    if 1 in batched and 32 in batched:
        result["speedup_32_clients_vs_1"] = round(batched[32] / batched[1], 2)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
