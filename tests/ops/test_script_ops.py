"""tf.py_function / tf.numpy_function run Python code as an op, eagerly and in graphs."""

from __future__ import annotations

import numpy as np
import pytest

import ndflow as tf


def test_py_function_gets_eager_tensors_and_returns_declared_dtypes():
    seen = []

    def f(x, y):
        seen.append(type(x).__name__)
        return x * y, tf.constant(["a"])

    a, b = tf.py_function(f, [tf.constant(3), tf.constant(4)], [tf.float32, tf.string])
    assert a.dtype == tf.float32 and float(a) == 12.0
    assert b.numpy().tolist() == [b"a"] and seen == ["Tensor"]


def test_numpy_function_runs_on_every_call_of_a_traced_function():
    calls = []

    def sort(a):
        calls.append(1)
        return np.sort(a)

    @tf.function
    def f(x):
        return tf.numpy_function(sort, [x], tf.float32) * 2

    for _ in range(3):
        out = f(tf.constant([3.0, 1.0, 2.0]))
    np.testing.assert_array_equal(out.numpy(), [2.0, 4.0, 6.0])
    assert len(calls) == 3  # once per call; never while tracing (it is stateful)
    assert f.experimental_get_tracing_count() == 1


def test_wrong_number_of_results_is_an_invalid_argument():
    with pytest.raises(
        tf.errors.InvalidArgumentError, match="returned 1 values, but Tout declares 2"
    ):
        tf.numpy_function(lambda a: a, [tf.constant(1)], [tf.int32, tf.int32])


@pytest.mark.parity
def test_matches_tensorflow(real_tf):
    for lib in (tf, real_tf):
        out = lib.numpy_function(
            lambda a: (a * 2).astype(np.int64), [lib.constant([1, 2])], lib.int64
        )
        assert out.numpy().tolist() == [2, 4] and out.dtype.name == "int64"
