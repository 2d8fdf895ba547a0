"""Less common tf.math functions: erfc, xlog1py, nextafter, cumulative_logsumexp,
polyval, zero_fraction, monotonicity checks, invert_permutation, approx_max_k/min_k."""

from __future__ import annotations

import math

import numpy as np
import pytest
from harness.op_check import check_grads
from harness.tf_compare import assert_same, compare_op

import ndflow as tf

RNG = np.random.default_rng(5)


def test_erfc_forward_and_gradient():
    x = RNG.standard_normal((2, 3))
    np.testing.assert_allclose(tf.math.erfc(tf.constant(x)).numpy(), np.vectorize(math.erfc)(x))
    check_grads(tf.math.erfc, [x])


def test_xlog1py_and_nextafter():
    out = tf.math.xlog1py(tf.constant([0.0, 2.0]), tf.constant([-1.0, 1.0]))
    np.testing.assert_allclose(out.numpy(), [0.0, 2 * np.log(2.0)], rtol=1e-6)
    check_grads(tf.math.xlog1py, [RNG.standard_normal((3,)), RNG.uniform(0.5, 2, (3,))])
    up = tf.math.nextafter(tf.constant([1.0], tf.float64), tf.constant([2.0], tf.float64))
    assert up.numpy()[0] == np.nextafter(1.0, 2.0)


@pytest.mark.parametrize(
    "exclusive, reverse", [(False, False), (True, False), (False, True), (True, True)]
)
def test_cumulative_logsumexp(exclusive, reverse):
    x = RNG.standard_normal((3, 4))
    out = tf.math.cumulative_logsumexp(tf.constant(x), axis=1, exclusive=exclusive, reverse=reverse)
    with np.errstate(divide="ignore"):
        ref = np.log(tf.cumsum(tf.constant(np.exp(x)), 1, exclusive, reverse).numpy())
    np.testing.assert_allclose(out.numpy(), ref, rtol=1e-10)

    def finite(t):
        # An exclusive scan starts at -inf, which finite differences cannot difference.
        y = tf.math.cumulative_logsumexp(t, 1, exclusive, reverse)
        return tf.where(tf.math.is_finite(y), y, tf.zeros_like(y))

    check_grads(finite, [x])


def test_cumulative_logsumexp_does_not_overflow():
    out = tf.math.cumulative_logsumexp(tf.constant([1000.0, 1000.0]))
    np.testing.assert_allclose(out.numpy(), [1000.0, 1000.0 + np.log(2.0)])


def test_small_composites():
    assert float(tf.math.zero_fraction(tf.constant([0, 1, 0, 2]))) == 0.5
    assert float(tf.math.polyval([1.0, 2.0, 3.0], tf.constant(2.0))) == 11.0
    with pytest.raises(ValueError, match="must be list type"):
        tf.math.polyval(tf.constant([1.0]), 2.0)
    assert bool(tf.math.is_non_decreasing([1, 1, 2])) and not bool(
        tf.math.is_strictly_increasing([1, 1, 2])
    )
    assert bool(tf.math.is_strictly_increasing(tf.constant([[1, 2], [3, 4]])))
    assert bool(tf.math.is_non_decreasing(tf.constant(3)))
    np.testing.assert_array_equal(
        tf.math.accumulate_n([tf.constant([1, 2]), tf.constant([3, 4])]).numpy(), [4, 6]
    )


def test_invert_permutation():
    assert tf.math.invert_permutation([2, 0, 1]).numpy().tolist() == [1, 2, 0]
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"\[Op:InvertPermutation\]"):
        tf.math.invert_permutation([0, 0, 1])


def test_approx_k_is_exact():
    x = tf.constant([[1.0, 5.0, 3.0, -2.0]])
    hi, lo = tf.math.approx_max_k(x, 2), tf.math.approx_min_k(x, 2)
    assert hi.values.numpy().tolist() == [[5.0, 3.0]] and hi.indices.numpy().tolist() == [[1, 2]]
    assert lo.values.numpy().tolist() == [[-2.0, 1.0]] and lo.indices.numpy().tolist() == [[3, 0]]


@pytest.mark.parity
def test_extras_parity_with_tensorflow(real_tf):
    x = RNG.standard_normal((3, 4)).astype(np.float32)
    y = RNG.uniform(0.5, 2.0, (3, 4)).astype(np.float32)
    compare_op(tf, real_tf, "math.erfc", [x])
    compare_op(tf, real_tf, "math.xlog1py", [x, y])
    compare_op(tf, real_tf, "math.nextafter", [x, y], grad=False)
    for exclusive in (False, True):
        for reverse in (False, True):
            compare_op(
                tf,
                real_tf,
                "math.cumulative_logsumexp",
                [x],
                {"axis": 1, "exclusive": exclusive, "reverse": reverse},
            )
    compare_op(tf, real_tf, "math.zero_fraction", [np.array([0, 1, 0, 2, 0], np.int32)])
    compare_op(tf, real_tf, "math.invert_permutation", [np.array([3, 0, 2, 1], np.int32)])
    for v in ([1, 1, 2], [1, 2, 3], [3, 1]):
        arr = np.array(v, np.int32)
        compare_op(tf, real_tf, "math.is_non_decreasing", [arr])
        compare_op(tf, real_tf, "math.is_strictly_increasing", [arr])
    a = tf.math.polyval([tf.constant(x), 2.0, tf.constant(y)], tf.constant(y))
    b = real_tf.math.polyval([real_tf.constant(x), 2.0, real_tf.constant(y)], real_tf.constant(y))
    assert_same(a, b)
    nd_k, tf_k = (
        tf.math.approx_max_k(tf.constant(x), 2),
        real_tf.math.approx_max_k(real_tf.constant(x), 2),
    )
    assert_same(nd_k[0], tf_k[0])
    assert_same(nd_k[1], tf_k[1])
