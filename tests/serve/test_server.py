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
import time  # noqa: E402
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
    command = [sys.executable, "-m", "albert", "serve", "--task", "fill-mask", "--port", "0"]
    process = subprocess.Popen(command, env=env, stderr=subprocess.PIPE, text=True)
    try:
        line = process.stderr.readline()
        match = re.search(r"http://127\.0\.0\.1:(\d+)/", line)
        assert match and line.startswith("albert: loading the model"), line
        url = f"http://127.0.0.1:{match.group(1)}"
        deadline = 60
        while http.get(f"{url}/healthz").status_code != 200 and deadline > 0:
            threading.Event().wait(0.1)
            deadline -= 0.1
        line = process.stderr.readline()  # said once the model is loaded, not before
        assert line.startswith(f"albert: serving fill-mask on {url}/"), line
        answers: list = []
        text = "The capital of France is [MASK]."
        # One request long enough (24 inputs of ~45 tokens: seconds on a CPU) to be in the model when
        # SIGTERM comes: it must still be answered, in full.
        filler = " and the old town near the river was quiet in the evening" * 4
        inputs = [text] + [f"Sentence {i} has one [MASK] word{filler}." for i in range(23)]

        def ask() -> None:
            answers.append(http.post(f"{url}/v1/fill-mask", json={"inputs": inputs}, timeout=120))
            answers.append(time.monotonic())

        client = threading.Thread(target=ask)
        client.start()
        for _ in range(3000):
            if "albert_requests_in_flight 1.0" in http.get(f"{url}/metrics").text:
                break
            threading.Event().wait(0.01)
        else:
            pytest.fail("the request never showed as in flight")
        threading.Event().wait(0.2)  # read and queued: a loopback body of 6 kB takes milliseconds
        signalled = time.monotonic()
        process.send_signal(signal.SIGTERM)
        client.join(30)
        assert process.wait(30) == 0, process.stderr.read()
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert answers and answers[0].status_code == 200, answers
    assert answers[1] > signalled  # it was in flight when SIGTERM came, and was answered
    outputs = answers[0].json()["outputs"]
    assert len(outputs) == len(inputs) and outputs[0][0]["token"] == fill_mask_pipe(text)[0]["token"]


def test_a_model_that_cannot_load_ends_the_command_with_status_1(capsys):
    status = main(["serve", "--task", "question-answering", "--port", "0"])
    assert status == 1
    err = capsys.readouterr().err
    reason = "could not load the model: task 'question-answering' needs a fine-tuned model"
    assert reason in err
    # said once (it was logged, then printed again), and no "serving" line for a server that never served
    assert err.count(reason) == 1 and "serving" not in err, err
    assert err.startswith("albert: loading the model (built-in) for question-answering; http://127.0.0.1:"), (
        err
    )


def test_a_model_that_does_not_exist_is_named_before_the_port_is_taken(capsys, tmp_path):
    missing = tmp_path / "no-such-model"
    assert main(["serve", "--task", "fill-mask", "--model", str(missing), "--port", "0"]) == 1
    err = capsys.readouterr().err
    assert err == f"albert: error: no such directory: {missing}\n", err  # no "loading ... http://" line


def test_a_non_local_host_gets_a_whole_note_about_authentication(capsys):
    assert main(["serve", "--task", "question-answering", "--host", "0.0.0.0", "--port", "0"]) == 1
    note = (
        "albert: note: the server has no authentication; expose it only through a proxy that "
        "authenticates clients (and terminates TLS)\n"
    )
    assert note in capsys.readouterr().err


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--port", "99999"], "--port 99999: must be in 0..65535"),  # was bind()'s own wording
        (["--max-wait-ms", "-5"], "max_wait_ms must be >= 0, got -5.0"),
        (["--timeout-s", "0"], "timeout_s must be > 0, got 0.0"),
        (["--max-batch-size", "0"], "max_batch_size must be >= 1, got 0"),
    ],
)
def test_bad_server_flags_are_one_clear_line_before_anything_loads(capsys, flags, message):
    assert main(["serve", "--task", "fill-mask", *flags]) == 1
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err and "serving" not in err, err
