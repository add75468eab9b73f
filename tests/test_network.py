"""A hub id without network fails at once, in one clear line: no retries, no backoff, nothing twice.

No test touches the network: "no network" is a closed port on the loopback interface (HF_ENDPOINT)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys

import pytest

import albert
from albert import network


def closed_port_url() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}"  # nothing listens there once the socket is closed


@pytest.fixture
def no_network(monkeypatch, tmp_path):
    from huggingface_hub import constants
    from huggingface_hub.utils import _http

    monkeypatch.setattr(constants, "ENDPOINT", closed_port_url())
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(tmp_path / "hub-cache"))
    monkeypatch.setattr(
        _http.time, "sleep", lambda seconds: pytest.fail(f"huggingface_hub retried ({seconds} s)")
    )
    network.unreachable_reason.cache_clear()
    yield constants.ENDPOINT
    network.unreachable_reason.cache_clear()


def test_unknown_hub_id_without_network_fails_without_retrying(no_network):
    for load in (albert.AlbertConfig.from_pretrained, albert.AlbertForMaskedLM.from_pretrained,
                 albert.AlbertTokenizerFast.from_pretrained):  # fmt: skip
        with pytest.raises(FileNotFoundError, match=f"someone/unknown-model.*cannot connect to {no_network}"):
            load("someone/unknown-model")
    assert network.CONNECT_TIMEOUT_S < 10  # the one connection attempt is all the waiting there is


def cli_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in network.PROXY_VARIABLES}
    return {**env, "HF_HOME": extra.pop("HF_HOME"), **extra}


@pytest.mark.parametrize("offline", [False, True], ids=["closed-port", "HF_HUB_OFFLINE"])
def test_cli_says_it_in_one_line(offline, tmp_path):
    extra = {"HF_HUB_OFFLINE": "1"} if offline else {"HF_ENDPOINT": closed_port_url()}
    proc = subprocess.run(
        [sys.executable, "-m", "albert", "info", "someone/unknown-model"],
        capture_output=True, text=True, env=cli_env(HF_HOME=str(tmp_path), **extra), timeout=120,
    )  # fmt: skip
    assert proc.returncode == 1 and proc.stdout == ""
    (line,) = proc.stderr.splitlines()
    assert line.startswith("albert: error: 'someone/unknown-model' is not a local directory")
    assert ("HF_HUB_OFFLINE is set" if offline else "cannot connect to http://127.0.0.1:") in line
