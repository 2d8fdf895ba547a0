"""Shared test setup: the harness on sys.path and the real-TensorFlow fixture."""

from __future__ import annotations

import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(__file__))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")


@pytest.fixture(scope="session")
def real_tf():
    """Real TensorFlow for parity tests. Under CI=true its absence is a failure."""
    from harness.tf_compare import import_real_tf

    return import_real_tf()
