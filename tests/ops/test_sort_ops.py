"""top_k, sort and argsort: NumPy, finite differences, TensorFlow parity and errors."""

from __future__ import annotations

import numpy as np
import pytest
from harness.op_check import check_grads
from harness.tf_compare import assert_same, compare_op

import ndflow as tf

RNG = np.random.default_rng(2)


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int32, np.int64, np.uint8])
@pytest.mark.parametrize("k", [1, 3, 5])
def test_top_k_matches_numpy(dtype, k):
    x = RNG.integers(0, 50, (3, 5)).astype(dtype)
    values, indices = tf.math.top_k(tf.constant(x), k=k)
    order = np.argsort(-x.astype(np.float64), axis=-1, kind="stable")[:, :k]
    np.testing.assert_array_equal(indices.numpy(), order)
    np.testing.assert_array_equal(values.numpy(), np.take_along_axis(x, order, -1))
    assert values.dtype == tf.as_dtype(dtype) and indices.dtype == tf.int32


def test_top_k_ties_keep_lower_index_first_and_index_type():
    out = tf.math.top_k(tf.constant([1, 3, 2, 3]), k=2, index_type=tf.int64)
    assert out.indices.numpy().tolist() == [1, 3] and out.indices.dtype == tf.int64
    assert out.values.numpy().tolist() == [3, 3]


def test_top_k_gradient_scatters_to_selected_positions():
    check_grads(lambda t: tf.math.top_k(t, k=2).values, [RNG.standard_normal((3, 4))])
    x = tf.constant([[1.0, 4.0, 2.0]])
    with tf.GradientTape() as tape:
        tape.watch(x)
        v = tf.math.top_k(x, 2).values
    np.testing.assert_array_equal(tape.gradient(v, x).numpy(), [[0.0, 1.0, 1.0]])


def test_top_k_errors():
    with pytest.raises(
        tf.errors.InvalidArgumentError,
        match=r"input must have at least k columns. Had 2, needed 3 \[Op:TopKV2\]",
    ):
        tf.math.top_k(tf.constant([1, 2]), 3)
    with pytest.raises(
        tf.errors.InvalidArgumentError, match=r"input must be >= 1-D, got shape \[\] \[Op:TopKV2\]"
    ):
        tf.math.top_k(tf.constant(1), 1)
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"Need k >= 0, got -1 \[Op:TopKV2\]"):
        tf.math.top_k(tf.constant([1.0, 2.0]), -1)


@pytest.mark.parametrize("direction", ["ASCENDING", "DESCENDING"])
@pytest.mark.parametrize("axis", [-1, 0, 1])
@pytest.mark.parametrize("dtype", [np.float32, np.int32, np.uint8, np.int64])
def test_sort_and_argsort_match_numpy(direction, axis, dtype):
    x = RNG.integers(0, 6, (4, 5, 3)).astype(dtype)
    idx = tf.argsort(tf.constant(x), axis=axis, direction=direction)
    val = tf.sort(tf.constant(x), axis=axis, direction=direction)
    key = x.astype(np.float64) * (-1 if direction == "DESCENDING" else 1)
    expected = np.argsort(key, axis=axis, kind="stable")
    assert idx.dtype == tf.int32 and val.dtype == tf.as_dtype(dtype)
    np.testing.assert_array_equal(idx.numpy(), expected)
    np.testing.assert_array_equal(val.numpy(), np.take_along_axis(x, expected, axis))


@pytest.mark.parametrize("axis", [0, -1])
@pytest.mark.parametrize("direction", ["ASCENDING", "DESCENDING"])
def test_sort_gradient_matches_finite_differences(axis, direction):
    check_grads(lambda t: tf.sort(t, axis=axis, direction=direction), [RNG.standard_normal((3, 4))])


def test_sort_errors():
    with pytest.raises(
        ValueError,
        match="Argument `direction` should be one of ASCENDING, DESCENDING. Received: direction=X",
    ):
        tf.sort(tf.constant([1, 2]), direction="X")


@pytest.mark.parity
@pytest.mark.parametrize("direction", ["ASCENDING", "DESCENDING"])
@pytest.mark.parametrize("axis", [-1, 0])
def test_sort_parity_with_tensorflow(real_tf, direction, axis):
    x = RNG.standard_normal((3, 4)).astype(np.float32)
    compare_op(tf, real_tf, "sort", [x], {"axis": axis, "direction": direction})
    compare_op(tf, real_tf, "argsort", [x], {"axis": axis, "direction": direction})
    ties = np.array([[3, 1, 3, 2, 1]], np.int32)
    compare_op(
        tf, real_tf, "argsort", [ties], {"axis": axis, "direction": direction, "stable": True}
    )


@pytest.mark.parity
@pytest.mark.parametrize("k", [1, 2, 4])
def test_top_k_parity_with_tensorflow(real_tf, k):
    x = RNG.standard_normal((2, 3, 4)).astype(np.float32)
    compare_op(tf, real_tf, "math.top_k", [x], {"k": k})
    ties = np.array([[1, 3, 2, 3], [5, 5, 5, 1]], np.int32)
    nd_out, tf_out = (
        tf.math.top_k(tf.constant(ties), k),
        real_tf.math.top_k(real_tf.constant(ties), k),
    )
    assert_same(nd_out.values, tf_out.values)
    assert_same(nd_out.indices, tf_out.indices)


def test_in_top_k():
    pred = tf.constant([[1.0, 1.0, 0.0], [0.0, 1.0, 2.0], [np.nan, 0.0, 1.0], [1.0, 2.0, 3.0]])
    out = tf.math.in_top_k(tf.constant([0, 1, 2, 5]), pred, 1)
    assert out.numpy().tolist() == [True, False, False, False]
    two = tf.constant([[1.0, 1.0, 0.0], [0.0, 1.0, 2.0]])
    assert tf.math.in_top_k(tf.constant([1, 0]), two, 2).numpy().tolist() == [True, False]


@pytest.mark.parity
def test_in_top_k_parity(real_tf):
    pred = np.array(
        [[1.0, 1.0, 0.0], [0.0, 1.0, 2.0], [np.nan, 0.0, 1.0], [1.0, 2.0, 3.0]], np.float32
    )
    for k in (1, 2, 3):
        assert_same(
            tf.math.in_top_k(tf.constant([0, 1, 2, 5]), tf.constant(pred), k),
            real_tf.math.in_top_k(real_tf.constant([0, 1, 2, 5]), real_tf.constant(pred), k),
        )
