"""`for x in dataset:` and `dataset.reduce` inside tf.function loop when the function
runs (one op), not while tracing."""

from __future__ import annotations

import numpy as np
import pytest

import ndflow as tf


def _sum_loop(ds):
    total = tf.constant(0, tf.int64)
    for x in ds:
        total += x
    return total


def _loop_with_break(ds):
    total = tf.constant(0, tf.int64)
    for x in ds:
        if x > 2:
            break
        total += x
    return total


def test_for_over_a_dataset_runs_on_every_call():
    f = tf.function(_sum_loop)
    ds = tf.data.Dataset.range(5)
    assert int(f(ds)) == 10 and int(f(ds)) == 10
    names = [n.type for n in f.get_concrete_function(ds).graph.get_operations()]
    assert "DatasetForLoop" in names  # not unrolled at trace time


def test_break_inside_a_dataset_loop():
    assert int(tf.function(_loop_with_break)(tf.data.Dataset.range(10))) == 3


def test_dataset_loop_sees_new_data_each_call():
    data = {"scale": 1}
    ds = tf.data.Dataset.from_generator(
        lambda: iter(np.arange(4, dtype=np.int64) * data["scale"]),
        output_signature=tf.TensorSpec([], tf.int64),
    )
    f = tf.function(_sum_loop)
    assert int(f(ds)) == 6
    data["scale"] = 10
    assert int(f(ds)) == 60  # the generator runs again: the loop is an op, not constants


def test_reduce_inside_a_function():
    ds = tf.data.Dataset.from_tensor_slices(np.arange(6, dtype=np.float32)).batch(2)

    @tf.function
    def total():
        return ds.reduce(tf.constant(0.0), lambda s, x: s + tf.reduce_sum(x) * 2.0)

    assert float(total()) == 30.0


def test_loop_state_that_changes_dtype_is_rejected():
    @tf.function
    def bad(ds):
        total = tf.constant(0, tf.int32)
        for x in ds:
            total = tf.cast(total, tf.float32) + 1.0
        return total

    with pytest.raises(TypeError, match="changed dtype"):
        bad(tf.data.Dataset.range(3))


@pytest.mark.parity
def test_matches_tensorflow(real_tf):
    results = []
    for lib in (tf, real_tf):
        ds = lib.data.Dataset.range(10).map(lambda x: x * 3)

        def f(ds, lib=lib):
            total = lib.constant(0, lib.int64)
            for x in ds:
                if x > 12:
                    break
                total += x
            return total

        results.append(int(lib.function(f)(ds)))
    assert results[0] == results[1] == 0 + 3 + 6 + 9 + 12
