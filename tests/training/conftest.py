"""Training tests run tiny models: one intra-op thread is several times faster than two on a busy machine
(OpenMP threads spin-wait for each other on microsecond-sized ops)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import torch


@pytest.fixture(autouse=True, scope="module")
def _one_thread() -> Iterator[None]:
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
