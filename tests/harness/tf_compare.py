"""Comparing ndflow with real TensorFlow 2.21 (the `parity` tests)."""

from __future__ import annotations

import os
from typing import Any

import numpy as np
import pytest

_tf = None


def import_real_tf() -> Any:
    """Imports real TensorFlow, skipping the test when absent (failing under CI=true)."""
    global _tf
    if _tf is not None:
        return _tf
    import sys

    mod = sys.modules.get("tensorflow")
    if mod is not None and getattr(mod, "__name__", "") == "ndflow":
        pytest.fail("`tensorflow` is aliased to ndflow in this process; parity needs the real one")
    try:
        import tensorflow as tf
    except ImportError:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("TensorFlow 2.21 must be installed for parity tests when CI=true")
        pytest.skip("real TensorFlow is not installed")
    _tf = tf
    return tf


def assert_same(nd_value: Any, tf_value: Any, rtol: float = 1e-5, atol: float = 1e-6) -> None:
    """Same dtype name, shape and values (to tolerance) for an ndflow and a TF tensor."""
    assert nd_value.dtype.name == tf_value.dtype.name, (nd_value.dtype, tf_value.dtype)
    assert tuple(nd_value.shape) == tuple(tf_value.shape), (nd_value.shape, tf_value.shape)
    a, b = np.asarray(nd_value.numpy()), np.asarray(tf_value.numpy())
    if a.dtype.kind in "fc":
        np.testing.assert_allclose(a, b, rtol=rtol, atol=atol)
    else:
        np.testing.assert_array_equal(a, b)


def compare_op(
    nd: Any,
    tf: Any,
    fn_name: str,
    args: list,
    kwargs: dict | None = None,
    grad: bool = True,
    rtol: float = 1e-5,
    atol: float = 1e-6,
) -> None:
    """Runs `fn_name` (a dotted public name like "math.cumsum") in both libraries on the
    same NumPy inputs; compares outputs, and gradients w.r.t. the float inputs."""
    kwargs = kwargs or {}

    def resolve(mod: Any) -> Any:
        for part in fn_name.split("."):
            mod = getattr(mod, part)
        return mod

    nd_args = [nd.constant(a) if isinstance(a, np.ndarray) else a for a in args]
    tf_args = [tf.constant(a) if isinstance(a, np.ndarray) else a for a in args]
    float_idx = [i for i, a in enumerate(args) if isinstance(a, np.ndarray) and a.dtype.kind == "f"]
    with nd.GradientTape(persistent=True) as nd_tape:
        for i in float_idx:
            nd_tape.watch(nd_args[i])
        nd_out = resolve(nd)(*nd_args, **kwargs)
    with tf.GradientTape(persistent=True) as tf_tape:
        for i in float_idx:
            tf_tape.watch(tf_args[i])
        tf_out = resolve(tf)(*tf_args, **kwargs)
    nd_flat = nd_out if isinstance(nd_out, (list, tuple)) else [nd_out]
    tf_flat = tf_out if isinstance(tf_out, (list, tuple)) else [tf_out]
    assert len(nd_flat) == len(tf_flat)
    for a, b in zip(nd_flat, tf_flat):
        assert_same(a, b, rtol, atol)
    if not grad or not float_idx:
        return
    rng = np.random.default_rng(0)
    for a, b in zip(nd_flat, tf_flat):
        if not b.dtype.is_floating:
            continue
        cot = rng.standard_normal(tuple(b.shape)).astype(b.dtype.as_numpy_dtype)
        nd_g = nd_tape.gradient(
            a, [nd_args[i] for i in float_idx], output_gradients=nd.constant(cot)
        )
        tf_g = tf_tape.gradient(
            b, [tf_args[i] for i in float_idx], output_gradients=tf.constant(cot)
        )
        for g1, g2 in zip(nd_g, tf_g):
            if g2 is None:
                assert g1 is None or not np.any(g1.numpy())
                continue
            if hasattr(g2, "values") and hasattr(g2, "indices"):  # IndexedSlices
                g2 = tf.convert_to_tensor(g2)
            assert g1 is not None, f"ndflow gave no gradient where TF gave {g2}"
            assert_same(g1, g2, rtol=max(rtol, 1e-4), atol=max(atol, 1e-5))
