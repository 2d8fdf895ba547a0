"""Clipping and normalisation: values, gradients at the boundaries, TF parity, errors."""

from __future__ import annotations

import numpy as np
import pytest
from harness.op_check import check_grads
from harness.tf_compare import assert_same, compare_op

import ndflow as tf

RNG = np.random.default_rng(4)


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int32])
def test_clip_by_value_matches_numpy(dtype):
    x = (RNG.standard_normal((3, 4)) * 3).astype(dtype)
    out = tf.clip_by_value(tf.constant(x), dtype(-1), dtype(2))
    assert out.dtype == tf.as_dtype(dtype)
    np.testing.assert_array_equal(out.numpy(), np.clip(x, -1, 2))


def test_clip_by_value_gradient_passes_at_bounds():
    x = tf.constant([-1.0, 0.0, 1.0, 2.0, 3.0])
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = tf.clip_by_value(x, 0.0, 2.0)
    np.testing.assert_array_equal(tape.gradient(y, x).numpy(), [0.0, 1.0, 1.0, 1.0, 0.0])
    check_grads(lambda t: tf.clip_by_value(t, -0.5, 0.5), [RNG.standard_normal((3, 4))])


def test_clip_by_value_with_tensor_bounds_and_errors():
    out = tf.clip_by_value(tf.constant([[1.0, 5.0], [3.0, -2.0]]), tf.constant([0.0, 1.0]), 4.0)
    np.testing.assert_array_equal(out.numpy(), [[1.0, 4.0], [3.0, 1.0]])
    with pytest.raises(TypeError, match="Cannot convert 0.5 to EagerTensor of dtype int32"):
        tf.clip_by_value(tf.constant([1, 2]), 0.5, 1)
    with pytest.raises(
        tf.errors.InvalidArgumentError, match=r"Incompatible shapes: \[2\] vs. \[3\] \[Op:Minimum\]"
    ):
        tf.clip_by_value(tf.constant([1, 2]), 0, tf.constant([1, 1, 1]))


def test_clip_by_norm():
    out = tf.clip_by_norm(tf.constant([3.0, 4.0]), 1.0)
    np.testing.assert_allclose(out.numpy(), [0.6, 0.8], rtol=1e-6)
    small = tf.clip_by_norm(tf.constant([0.3, 0.4]), 1.0)
    np.testing.assert_allclose(small.numpy(), [0.3, 0.4], rtol=1e-6)
    rows = tf.clip_by_norm(tf.constant([[3.0, 4.0], [0.0, 0.5]]), 1.0, axes=[1])
    np.testing.assert_allclose(rows.numpy(), [[0.6, 0.8], [0.0, 0.5]], rtol=1e-6)
    zeros = tf.clip_by_norm(tf.zeros_like(tf.constant([0.0, 0.0])), 1.0)
    assert np.all(np.isfinite(zeros.numpy()))
    check_grads(lambda t: tf.clip_by_norm(t, 1.0, axes=[1]), [RNG.standard_normal((3, 4))])


def test_global_norm_and_clip_by_global_norm():
    a, b = tf.constant([3.0]), tf.constant([[4.0]])
    clipped, norm = tf.clip_by_global_norm([a, None, b], 1.0)
    assert float(norm) == 5.0 and clipped[1] is None
    np.testing.assert_allclose(clipped[0].numpy(), [0.6], rtol=1e-6)
    np.testing.assert_allclose(clipped[2].numpy(), [[0.8]], rtol=1e-6)
    unchanged, _ = tf.clip_by_global_norm([a], 10.0)
    np.testing.assert_allclose(unchanged[0].numpy(), [3.0])
    inf_clipped, _ = tf.clip_by_global_norm([tf.constant([np.inf, 1.0])], 1.0)
    assert np.all(np.isnan(inf_clipped[0].numpy()))
    with pytest.raises(TypeError, match="should be a sequence of tensors"):
        tf.clip_by_global_norm(a, 1.0)
    check_grads(
        lambda x, y: tf.clip_by_global_norm([x, y], 1.0)[0],
        [RNG.standard_normal((2, 3)), RNG.standard_normal((4,))],
    )


def test_l2_normalize():
    out = tf.math.l2_normalize(tf.constant([[3.0, 4.0], [0.0, 0.0]]), axis=1)
    np.testing.assert_allclose(out.numpy(), [[0.6, 0.8], [0.0, 0.0]], rtol=1e-6)
    check_grads(lambda t: tf.math.l2_normalize(t, axis=0), [RNG.standard_normal((3, 4))])
    with pytest.raises(TypeError, match="Cannot convert 1e-12 to EagerTensor of dtype int32"):
        tf.math.l2_normalize(tf.constant([3, 4]))


@pytest.mark.parity
def test_clip_parity_with_tensorflow(real_tf):
    x = RNG.standard_normal((3, 4)).astype(np.float32) * 2
    x[0, 0] = 0.5  # exactly at a bound
    compare_op(tf, real_tf, "clip_by_value", [x, -0.5, 0.5])
    compare_op(tf, real_tf, "clip_by_norm", [x, 1.5])
    compare_op(tf, real_tf, "clip_by_norm", [x, 1.5], {"axes": [1]})
    compare_op(tf, real_tf, "math.l2_normalize", [x], {"axis": 1})
    compare_op(tf, real_tf, "math.l2_normalize", [x])
    y = RNG.standard_normal((5,)).astype(np.float32)
    for clip in (0.5, 100.0):
        nd_out, nd_norm = tf.clip_by_global_norm([tf.constant(x), tf.constant(y)], clip)
        tf_out, tf_norm = real_tf.clip_by_global_norm(
            [real_tf.constant(x), real_tf.constant(y)], clip
        )
        assert_same(nd_norm, tf_norm)
        for p, q in zip(nd_out, tf_out):
            assert_same(p, q)
    assert_same(
        tf.clip_by_global_norm([tf.constant(x)], 1.0)[1],
        real_tf.linalg.global_norm([real_tf.constant(x)]),
    )
