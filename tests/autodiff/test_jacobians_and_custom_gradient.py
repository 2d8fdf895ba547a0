"""jacobian, batch_jacobian and tf.custom_gradient against closed forms, finite
differences and real TensorFlow."""

from __future__ import annotations

import numpy as np
import pytest
from harness.op_check import check_grads

import ndflow as tf


def test_jacobian_of_elementwise_square_is_diagonal():
    x = tf.constant([1.0, 2.0, 3.0])
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = x * x
    j = tape.jacobian(y, x)
    np.testing.assert_allclose(j.numpy(), np.diag([2.0, 4.0, 6.0]))


def test_jacobian_of_matmul_matches_closed_form_and_structure():
    w = tf.Variable(np.arange(6.0).reshape(2, 3))
    x = tf.constant(np.array([[1.0, -1.0]]))
    with tf.GradientTape(persistent=True) as tape:
        y = tf.matmul(x, w)  # [1, 3]
    jw = tape.jacobian(y, w)  # [1, 3, 2, 3]
    expected = np.zeros((1, 3, 2, 3))
    for j in range(3):
        expected[0, j, :, j] = x.numpy()[0]
    np.testing.assert_allclose(jw.numpy(), expected)
    both = tape.jacobian(y, {"w": w, "x": x})
    assert both["x"].shape == [1, 3, 1, 2]


def test_unconnected_jacobian_is_none_or_zeros():
    x, z = tf.constant([1.0, 2.0]), tf.constant([3.0])
    with tf.GradientTape(persistent=True) as tape:
        tape.watch([x, z])
        y = x * 2.0
    assert tape.jacobian(y, z) is None
    zeros = tape.jacobian(y, z, unconnected_gradients=tf.UnconnectedGradients.ZERO)
    np.testing.assert_array_equal(zeros.numpy(), np.zeros((2, 1)))


def test_batch_jacobian_is_per_example():
    x = tf.constant(np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]))
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = tf.stack([x[:, 0] * x[:, 1], x[:, 0] ** 2.0, x[:, 1]], axis=1)  # [3, 3]
    j = tape.batch_jacobian(y, x)
    assert j.shape == [3, 3, 2]
    for b, (a, c) in enumerate(x.numpy()):
        np.testing.assert_allclose(j.numpy()[b], [[c, a], [2 * a, 0.0], [0.0, 1.0]])


def test_batch_jacobian_rejects_mismatched_batches():
    x = tf.constant(np.ones((3, 2)))
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = tf.reduce_sum(x) * tf.ones([2, 2], tf.float64)
    with pytest.raises(ValueError, match="first dimension"):
        tape.batch_jacobian(y, x)


@pytest.mark.parity
def test_jacobians_match_tensorflow(real_tf):
    a = np.random.default_rng(0).standard_normal((2, 3)).astype(np.float32)
    results = []
    for lib in (tf, real_tf):
        x = lib.constant(a)
        with lib.GradientTape(persistent=True) as tape:
            tape.watch(x)
            y = lib.nn.softmax(x) * lib.reduce_sum(x)
        results.append((tape.jacobian(y, x).numpy(), tape.batch_jacobian(y, x).numpy()))
    np.testing.assert_allclose(results[0][0], results[1][0], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(results[0][1], results[1][1], rtol=1e-5, atol=1e-6)


@tf.custom_gradient
def _log1pexp(x):
    e = tf.exp(x)

    def grad(dy):
        return dy * (1 - 1 / (1 + e))

    return tf.math.log(1 + e), grad


def test_custom_gradient_replaces_the_gradient_and_keeps_the_value():
    x = tf.constant([0.0, 1.0, 100.0])
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = _log1pexp(x)
    g = tape.gradient(y, x).numpy()
    np.testing.assert_allclose(y.numpy()[:2], np.log1p(np.exp([0.0, 1.0])), rtol=1e-6)
    np.testing.assert_allclose(g, [0.5, 1 / (1 + np.exp(-1.0)), 1.0], rtol=1e-6)
    assert np.isfinite(g).all()  # the naive gradient is nan at x=100


def test_custom_gradient_agrees_with_finite_differences_away_from_overflow():
    check_grads(lambda x: _log1pexp(x), [np.array([-1.0, 0.3, 2.0])])


def test_custom_gradient_with_variables_returns_variable_gradients():
    w = tf.Variable(3.0)

    @tf.custom_gradient
    def scaled(x):
        def grad(dy, variables=None):
            return dy * w, [dy * x * 10.0]  # a deliberately "wrong" variable gradient

        return x * w, grad

    x = tf.constant(2.0)
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = scaled(x)
    gx, gw = tape.gradient(y, [x, w])
    assert gx.numpy() == 3.0 and gw.numpy() == 20.0


def test_custom_gradient_inside_tf_function():
    @tf.function
    def f(x):
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = _log1pexp(x)
        return tape.gradient(y, x)

    np.testing.assert_allclose(f(tf.constant([100.0])).numpy(), [1.0])


@pytest.mark.parity
def test_custom_gradient_matches_tensorflow(real_tf):
    outs = []
    for lib in (tf, real_tf):

        @lib.custom_gradient
        def clip(x):
            return lib.identity(x), lambda dy: lib.clip_by_value(dy, -1.0, 1.0)

        x = lib.constant([1.0, 2.0])
        with lib.GradientTape() as tape:
            tape.watch(x)
            y = clip(x) * lib.constant([0.5, 5.0])
        outs.append(tape.gradient(y, x).numpy())
    np.testing.assert_array_equal(outs[0], outs[1])
