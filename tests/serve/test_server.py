"""`albert serve` as a process: SIGTERM drains the in-flight requests and exits 0; a model that cannot
load ends the command with exit status 1 and the reason."""

from __future__ import annotations

import pytest

pytest.importorskip("fastapi", reason="albert serve needs the serve extra: pip install 'albert-lite[serve]'")

import os  # noqa: E402
import re  # noqa: E402
import signal  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import threading  # noqa: E402
from pathlib import Path  # noqa: E402

from albert.cli import main  # noqa: E402
from tests.serve.helpers import http  # noqa: E402

SRC = Path(__file__).resolve().parents[2] / "src"


def test_sigterm_drains_in_flight_requests_and_exits_0(fill_mask_pipe):
    env = {
        **os.environ,
        "PYTHONPATH": f"{SRC}{os.pathsep}{os.environ.get('PYTHONPATH', '')}",
        "OMP_NUM_THREADS": "1",
    }
    # --max-wait-ms 1500: a lone request waits 1.5 s for company, so it is in flight when SIGTERM comes.
    command = [
        sys.executable,
        "-m",
        "albert",
        "serve",
        "--task",
        "fill-mask",
        "--port",
        "0",
        "--max-wait-ms",
        "1500",
    ]
    process = subprocess.Popen(command, env=env, stderr=subprocess.PIPE, text=True)
    try:
        line = process.stderr.readline()
        match = re.search(r"http://127\.0\.0\.1:(\d+)/", line)
        assert match, line
        url = f"http://127.0.0.1:{match.group(1)}"
        deadline = 60
        while http.get(f"{url}/healthz").status_code != 200 and deadline > 0:
            threading.Event().wait(0.1)
            deadline -= 0.1
        answers: list = []
        text = "The capital of France is [MASK]."
        client = threading.Thread(
            target=lambda: answers.append(http.post(f"{url}/v1/fill-mask", json={"inputs": text}))
        )
        client.start()
        threading.Event().wait(0.5)
        process.send_signal(signal.SIGTERM)
        client.join(30)
        assert process.wait(30) == 0, process.stderr.read()
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert answers and answers[0].status_code == 200, answers
    assert answers[0].json()["outputs"][0]["token"] == fill_mask_pipe(text)[0]["token"]


def test_a_model_that_cannot_load_ends_the_command_with_status_1(capsys):
    status = main(["serve", "--task", "question-answering", "--port", "0"])
    assert status == 1
    assert (
        "could not load the model: task 'question-answering' needs a fine-tuned model"
        in capsys.readouterr().err
    )
