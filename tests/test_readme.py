"""The README's two commands: exactly two, and command 2 is what `.ci/run` runs, character for character,
inside a fresh virtualenv."""

from __future__ import annotations

import re

from tests.conftest import REPO_ROOT


def readme_commands() -> list[str]:
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Two commands", 1)[1].split("\n## ", 1)[0]
    block = re.search(r"```bash\n(.*?)```", section, re.S).group(1)
    return [line for line in block.splitlines() if line.strip() and not line.startswith("#")]


def test_readme_has_exactly_two_commands():
    commands = readme_commands()
    assert len(commands) == 2, commands
    assert commands[1].startswith('python -m pip install -e ".[test]" && ')


def test_ci_runs_command_2_verbatim_in_a_fresh_virtualenv():
    script = (REPO_ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    command_2 = readme_commands()[1]
    assert script.count(command_2) == 1
    before = script[: script.index(command_2)]
    assert any(line.startswith('rm -rf "$venv"') for line in before)  # fresh: the old one removed first
    assert any("-m venv" in line for line in before) and any("activate" in line for line in before)
    venv = next(line for line in before if line.startswith("venv="))
    assert ".ci-venv" in venv and "/.ci-venv/" in (REPO_ROOT / ".gitignore").read_text()


def test_test_toolchain_is_pinned():
    text = (REPO_ROOT / "pyproject.toml").read_text(encoding="utf-8")
    extra = re.search(r"^test = \[\n(.*?)^\]", text, re.S | re.M).group(1)
    requirements = re.findall(r'^\s*"([^"]+)"', extra, re.M)
    pins = {re.split(r"[=<>!~\[ ]", r, maxsplit=1)[0].lower(): r for r in requirements}
    for tool in ("pytest", "hypothesis", "ruff", "onnx", "onnxruntime", "transformers", "protobuf"):
        assert "==" in pins[tool], f"{tool} is not pinned in the test extra: {pins.get(tool)}"


def test_command_1_prints_what_the_readme_shows():
    """The README's sample output of command 1 is what the built-in model prints (tokens exact, scores
    within 1e-4: the last digit may move between CPUs)."""
    import subprocess
    import sys

    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    text = re.search(r'albert fill-mask "(.*?)"', readme).group(1)
    shown = re.search(r"What command 1 prints.*?```\n(.*?)```", readme, re.S).group(1).splitlines()
    done = subprocess.run(
        [sys.executable, "-m", "albert", "fill-mask", text], capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    printed = done.stdout.splitlines()
    assert printed[0] == shown[0] and len(printed) == len(shown)
    for ours, readme_row in zip(printed[1:], shown[1:]):
        (rank, score, rest), (rank2, score2, rest2) = ours.split(None, 2), readme_row.split(None, 2)
        assert (rank, rest) == (rank2, rest2)
        assert abs(float(score) - float(score2)) < 1e-4
