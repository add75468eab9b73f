"""The try-out page in headless Chromium (tools/check_serve_page.py): it loads, submits a sentence and
renders the pipeline's top-k as bars, and shows the server's error for a text without [MASK]."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

pytest.importorskip("fastapi", reason="albert serve needs the serve extra: pip install 'albert-lite[serve]'")

from tests.serve.helpers import running_server  # noqa: E402

TOOL = Path(__file__).resolve().parents[2] / "tools" / "check_serve_page.py"


def load_tool():
    spec = importlib.util.spec_from_file_location("check_serve_page", TOOL)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_page_renders_the_answer_in_chromium(fill_mask_pipe, tmp_path):
    tool = load_tool()
    chromium = tool.find_chromium()
    if chromium is None:
        pytest.skip("no chromium executable on PATH (apt-get install chromium) to check the page with")
    with running_server("fill-mask", lambda: fill_mask_pipe) as (url, _):
        expected = fill_mask_pipe(tool.TEXT, top_k=tool.TOP_K)
        problems = tool.check_page(url, expected, tmp_path / "page.png", chromium)
    assert problems == []
    assert (tmp_path / "page.png").stat().st_size > 1000
