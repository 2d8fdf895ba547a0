"""Shared test setup: the harness on sys.path and the real-TensorFlow fixture."""

from __future__ import annotations

import os
import sys

import numpy as np
import pytest

sys.path.insert(0, os.path.dirname(__file__))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")


@pytest.fixture(scope="session")
def real_tf():
    """Real TensorFlow for parity tests. Under CI=true its absence is a failure."""
    from harness.tf_compare import import_real_tf

    return import_real_tf()


@pytest.fixture(params=["numba", "numpy"])
def kernels(request, monkeypatch):
    """Runs a test on the numba kernels and again on their NumPy twins (which must agree)."""
    from ndflow._src.ops import nn_ops, training_ops

    # nn_ops reads the switch once: its cached reading is set (and restored) alongside.
    monkeypatch.setitem(nn_ops._numba_state, "disabled", request.param == "numpy")
    if request.param == "numpy":
        monkeypatch.setenv("NDFLOW_DISABLE_NUMBA", "1")
        monkeypatch.setattr(training_ops, "_kernels_cache", [None])
    else:
        monkeypatch.delenv("NDFLOW_DISABLE_NUMBA", raising=False)
        if nn_ops.numba_kernels(np.float32) is None or training_ops._numba_kernels() is None:
            pytest.skip("numba is not installed")
    return request.param
