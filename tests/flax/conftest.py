"""Settings and helpers shared by the Flax tests.

XLA gets one thread (set before jax starts its CPU backend) and fp32 matmuls at full precision, the
setting under which the parity tolerance (1e-5) is stated. `jax_disable_most_optimizations` roughly
halves XLA's compile time, which dominates these tiny models; the math is unchanged (it only turns
off XLA's fusion and layout passes).
"""

from __future__ import annotations

import os

os.environ.setdefault("XLA_FLAGS", "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1")

import jax  # noqa: E402
import numpy as np  # noqa: E402
import torch  # noqa: E402

jax.config.update("jax_default_matmul_precision", "highest")
jax.config.update("jax_disable_most_optimizations", True)

ATOL = 1e-5


def to_numpy(tree: dict) -> dict:
    """torch tensors (or anything array-like) -> numpy arrays, keys kept."""
    return {k: v.detach().numpy() if isinstance(v, torch.Tensor) else np.asarray(v) for k, v in tree.items()}


def assert_close(actual, expected, *, name: str, atol: float = ATOL, rtol: float = ATOL) -> float:
    """Elementwise |actual - expected| <= atol + rtol * |expected|; returns the max abs difference."""
    actual, expected = np.asarray(actual, dtype=np.float64), np.asarray(expected, dtype=np.float64)
    assert actual.shape == expected.shape, f"{name}: shape {actual.shape} vs reference {expected.shape}"
    np.testing.assert_allclose(actual, expected, atol=atol, rtol=rtol, err_msg=name)
    return float(np.abs(actual - expected).max()) if actual.size else 0.0
