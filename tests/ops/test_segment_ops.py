"""segment_sum, unsorted_segment_sum and bincount: NumPy, gradients, parity, errors."""

from __future__ import annotations

import numpy as np
import pytest
from harness.op_check import check_grads
from harness.tf_compare import compare_op

import ndflow as tf

RNG = np.random.default_rng(3)


def _np_segment_sum(data, ids, n):
    out = np.zeros((n,) + data.shape[ids.ndim :], data.dtype)
    for i, s in np.ndenumerate(ids):
        if s >= 0:
            out[s] += data[i]
    return out


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int32, np.int64])
def test_segment_sum_matches_numpy(dtype):
    data = (RNG.standard_normal((5, 3)) * 4).astype(dtype)
    ids = np.array([0, 0, 1, 3, 3], np.int32)
    out = tf.math.segment_sum(tf.constant(data), tf.constant(ids))
    assert out.dtype == tf.as_dtype(dtype) and out.shape == (4, 3)
    np.testing.assert_allclose(out.numpy(), _np_segment_sum(data, ids, 4), rtol=1e-6)


@pytest.mark.parametrize("dtype", [np.float32, np.int32])
def test_unsorted_segment_sum_matches_numpy(dtype):
    data = (RNG.standard_normal((2, 3, 2)) * 4).astype(dtype)
    ids = np.array([[2, -1, 0], [0, 2, 2]], np.int64)
    out = tf.math.unsorted_segment_sum(tf.constant(data), tf.constant(ids), 4)
    assert out.shape == (4, 2)
    np.testing.assert_allclose(out.numpy(), _np_segment_sum(data, ids, 4), rtol=1e-6)


def test_segment_gradients_match_finite_differences():
    ids = tf.constant([0, 0, 2, 2, 3])
    check_grads(lambda d: tf.math.segment_sum(d, ids), [RNG.standard_normal((5, 2))])
    uids = tf.constant([3, -1, 0, 3, 1])
    check_grads(lambda d: tf.math.unsorted_segment_sum(d, uids, 5), [RNG.standard_normal((5, 2))])


def test_segment_sum_second_derivative():
    ids = tf.constant([0, 1, 1])
    x = tf.constant([1.0, 2.0, 3.0], tf.float64)
    with tf.GradientTape() as outer:
        outer.watch(x)
        with tf.GradientTape() as inner:
            inner.watch(x)
            y = tf.reduce_sum(tf.square(tf.math.segment_sum(x * x, ids)))
        g = inner.gradient(y, x)
    h = outer.gradient(g, x)
    # y = x0^4 + (x1^2 + x2^2)^2
    np.testing.assert_allclose(g.numpy(), [4.0, 4 * 2 * 13.0, 4 * 3 * 13.0])
    np.testing.assert_allclose(h.numpy(), [12.0, 4 * 13 + 8 * 4 + 8 * 6, 4 * 13 + 8 * 9 + 8 * 6])


def test_segment_errors():
    with pytest.raises(
        tf.errors.InvalidArgumentError, match=r"segment ids are not increasing \[Op:SegmentSum\]"
    ):
        tf.math.segment_sum(tf.constant([1.0, 2.0, 3.0]), tf.constant([0, 2, 1]))
    with pytest.raises(
        tf.errors.InvalidArgumentError,
        match=r"segment_ids should be the same size as dimension 0 of input. \[Op:SegmentSum\]",
    ):
        tf.math.segment_sum(tf.constant([[1, 2], [3, 4]]), tf.constant([0, 1, 1]))
    with pytest.raises(
        tf.errors.InvalidArgumentError,
        match=r"segment_ids\[1\] = 5 is out of range \[0, 3\) \[Op:UnsortedSegmentSum\]",
    ):
        tf.math.unsorted_segment_sum(tf.constant([1.0, 2.0, 3.0]), tf.constant([0, 5, 1]), 3)


@pytest.mark.parity
def test_segment_parity_with_tensorflow(real_tf):
    data = RNG.standard_normal((6, 3)).astype(np.float32)
    compare_op(tf, real_tf, "math.segment_sum", [data, np.array([0, 0, 1, 1, 4, 4], np.int32)])
    compare_op(
        tf, real_tf, "math.unsorted_segment_sum", [data, np.array([2, -1, 0, 2, 1, 0], np.int32), 4]
    )


@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"minlength": 8},
        {"maxlength": 2},
        {"minlength": 2, "maxlength": 3},
        {"dtype": "float32"},
        {"binary_output": True},
    ],
)
def test_bincount_matches_numpy(kwargs):
    arr = np.array([1, 0, 4, 4, 2, 1, 4], np.int32)
    out = tf.math.bincount(tf.constant(arr), **kwargs)
    size = max(arr.max() + 1, kwargs.get("minlength", 0))
    size = min(size, kwargs.get("maxlength", size))
    expected = np.bincount(arr[arr < size], minlength=size)
    if kwargs.get("binary_output"):
        expected = (expected > 0).astype(np.int32)
    assert out.dtype == tf.as_dtype(kwargs.get("dtype", "int32"))
    np.testing.assert_array_equal(out.numpy(), expected)


def test_bincount_weights_axis_and_errors():
    out = tf.math.bincount(tf.constant([1, 0, 2, 2]), weights=tf.constant([1.0, 2.0, 3.0, 4.0]))
    assert out.dtype == tf.float32 and out.numpy().tolist() == [2.0, 1.0, 7.0]
    rows = tf.math.bincount(tf.constant([[1, 0], [2, 2]]), axis=-1)
    assert rows.numpy().tolist() == [[1, 1, 0], [0, 0, 2]]
    assert tf.math.bincount(tf.constant(np.zeros(0, np.int32))).shape == (0,)
    with pytest.raises(
        tf.errors.InvalidArgumentError,
        match=r"Input arr must be non-negative! \[Op:DenseBincount\]",
    ):
        tf.math.bincount(tf.constant([1, -1]))


@pytest.mark.parity
def test_bincount_parity_with_tensorflow(real_tf):
    arr = np.array([[1, 0, 4], [4, 2, 1]], np.int32)
    w = RNG.standard_normal((2, 3)).astype(np.float32)
    for kwargs in ({}, {"minlength": 7}, {"maxlength": 3}, {"axis": -1}, {"binary_output": True}):
        compare_op(tf, real_tf, "math.bincount", [arr], kwargs)
    compare_op(tf, real_tf, "math.bincount", [arr, w], {"axis": -1}, grad=False)


SORTED = [
    ("segment_mean", np.mean, 0),
    ("segment_max", np.max, 0),
    ("segment_min", np.min, 0),
    ("segment_prod", np.prod, 1),
]


@pytest.mark.parametrize("name, reduce, empty", SORTED, ids=[s[0] for s in SORTED])
@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int32])
def test_sorted_segment_reductions_match_numpy(name, reduce, empty, dtype):
    data = (RNG.standard_normal((5, 2)) * 4).astype(dtype)
    ids = np.array([0, 0, 0, 2, 2])
    out = getattr(tf.math, name)(tf.constant(data), tf.constant(ids))
    expected = np.stack([reduce(data[:3], 0), np.full(2, empty), reduce(data[3:], 0)])
    if dtype == np.int32 and name == "segment_mean":
        expected = np.trunc(np.stack([np.sum(data[:3], 0) / 3, [0, 0], np.sum(data[3:], 0) / 2]))
    assert out.dtype == tf.as_dtype(dtype)
    np.testing.assert_allclose(out.numpy(), expected.astype(dtype), rtol=1e-5)


UNSORTED = ["unsorted_segment_max", "unsorted_segment_min", "unsorted_segment_prod",
            "unsorted_segment_mean", "unsorted_segment_sqrt_n"]  # fmt: skip


@pytest.mark.parametrize("name", [s[0] for s in SORTED] + UNSORTED)
def test_segment_reduction_gradients_match_finite_differences(name):
    data = RNG.standard_normal((6, 2))
    if name.startswith("unsorted"):
        # Every segment non-empty: an empty max/min segment holds -DBL_MAX, which
        # overflows the finite-difference projection.
        ids = tf.constant([2, 0, -1, 2, 0, 1])
        check_grads(lambda d: getattr(tf.math, name)(d, ids, 3), [data])
    else:
        check_grads(lambda d: getattr(tf.math, name)(d, tf.constant([0, 0, 1, 3, 3, 3])), [data])


def test_segment_max_gradient_splits_ties_and_prod_gradient_handles_zeros():
    x = tf.constant([1.0, 3.0, 3.0, 0.0, 2.0, 0.0, 5.0, 4.0])
    ids = tf.constant([0, 0, 0, 1, 1, 2, 2, 2])
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(x)
        m = tf.math.segment_max(x, ids)
        p = tf.math.segment_prod(x, ids)
    np.testing.assert_allclose(tape.gradient(m, x).numpy(), [0, 0.5, 0.5, 0, 1, 0, 1, 0])
    np.testing.assert_allclose(tape.gradient(p, x).numpy(), [9, 3, 3, 2, 0, 20, 0, 0])


def test_unsorted_segment_empty_values():
    out = tf.math.unsorted_segment_max(tf.constant([1.0, 2.0]), tf.constant([0, 0]), 2)
    assert out.numpy()[1] == np.finfo(np.float32).min
    out = tf.math.unsorted_segment_min(tf.constant([1, 2]), tf.constant([0, 0]), 2)
    assert out.numpy()[1] == np.iinfo(np.int32).max
    out = tf.math.unsorted_segment_mean(tf.constant([1.0, 2.0]), tf.constant([0, 0]), 2)
    np.testing.assert_array_equal(out.numpy(), [1.5, 0.0])


@pytest.mark.parity
@pytest.mark.parametrize("name", [s[0] for s in SORTED])
def test_sorted_segment_parity(real_tf, name):
    data = RNG.standard_normal((6, 3)).astype(np.float32)
    data[4, 1] = 0.0
    compare_op(tf, real_tf, f"math.{name}", [data, np.array([0, 0, 1, 1, 4, 4], np.int32)])


@pytest.mark.parity
@pytest.mark.parametrize("name", UNSORTED)
def test_unsorted_segment_parity(real_tf, name):
    data = RNG.standard_normal((6, 3)).astype(np.float32)
    ids = np.array([2, -1, 0, 2, 1, 0], np.int32)
    compare_op(tf, real_tf, f"math.{name}", [data, ids, 4])


def test_confusion_matrix():
    out = tf.math.confusion_matrix([1, 2, 4], [2, 2, 4])
    expected = np.zeros((5, 5), np.int32)
    expected[1, 2] = expected[2, 2] = expected[4, 4] = 1
    assert out.dtype == tf.int32
    np.testing.assert_array_equal(out.numpy(), expected)
    w = tf.math.confusion_matrix(
        [1, 2, 4], [2, 2, 4], num_classes=6, weights=tf.constant([1.0, 2.0, 3.0]), dtype=tf.float32
    )
    assert w.shape == (6, 6) and w.dtype == tf.float32 and float(w.numpy()[2, 2]) == 2.0
    with pytest.raises(tf.errors.InvalidArgumentError, match="out of bound"):
        tf.math.confusion_matrix([1, 2], [2, 7], num_classes=5)
    with pytest.raises(tf.errors.InvalidArgumentError, match="negative"):
        tf.math.confusion_matrix([1, -2], [2, 3])


@pytest.mark.parity
def test_confusion_matrix_parity(real_tf):
    labels, preds = np.array([0, 1, 2, 2, 3], np.int32), np.array([0, 2, 2, 1, 3], np.int32)
    compare_op(tf, real_tf, "math.confusion_matrix", [labels, preds])
    compare_op(tf, real_tf, "math.confusion_matrix", [labels, preds], {"num_classes": 6})
