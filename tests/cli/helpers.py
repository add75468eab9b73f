"""Running `python -m albert` as a user would, and reading its JSON lines."""

from __future__ import annotations

import json
import subprocess
import sys


def albert_cmd(env, *args: str, stdin: str = "") -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "albert", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )


def json_lines(stdout: str) -> list:
    return [json.loads(line) for line in stdout.splitlines()]
