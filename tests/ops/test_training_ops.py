"""Fused optimizer updates: against closed-form NumPy, real TensorFlow's raw ops, and
with both the numba kernels and the NumPy twins."""

from __future__ import annotations

import numpy as np
import pytest

import ndflow as tf
from ndflow._src.ops import training_ops


def _adam_reference(w, m, v, g, t, lr=0.01, b1=0.9, b2=0.999, eps=1e-7):
    lr_t = lr * np.sqrt(1 - b2**t) / (1 - b1**t)
    m = b1 * m + (1 - b1) * g
    v = b2 * v + (1 - b2) * g * g
    return w - lr_t * m / (np.sqrt(v) + eps), m, v


def test_adam_matches_closed_form_over_steps(kernels):
    rng = np.random.default_rng(0)
    w0 = rng.standard_normal((4, 3)).astype(np.float32)
    w, m, v = tf.Variable(w0), tf.Variable(np.zeros_like(w0)), tf.Variable(np.zeros_like(w0))
    ref = (w0.astype(np.float64), np.zeros((4, 3)), np.zeros((4, 3)))
    for t in range(1, 4):
        g = rng.standard_normal((4, 3)).astype(np.float32)
        training_ops.apply_adam(w, m, v, 0.9**t, 0.999**t, 0.01, 0.9, 0.999, 1e-7, tf.constant(g))
        ref = _adam_reference(*ref, g.astype(np.float64), t)
    np.testing.assert_allclose(w.numpy(), ref[0], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(m.numpy(), ref[1], rtol=1e-5)
    np.testing.assert_allclose(v.numpy(), ref[2], rtol=1e-4)


def test_momentum_and_nesterov_match_closed_form(kernels):
    for nesterov in (False, True):
        w0, g = np.array([1.0, -2.0], np.float32), np.array([0.5, 0.25], np.float32)
        w, acc = tf.Variable(w0), tf.Variable(np.zeros(2, np.float32))
        ref_w, ref_a = w0.astype(np.float64), np.zeros(2)
        for _ in range(3):
            training_ops.apply_keras_momentum(w, acc, 0.1, tf.constant(g), 0.9, nesterov)
            ref_a = 0.9 * ref_a - 0.1 * g
            ref_w = ref_w + (0.9 * ref_a - 0.1 * g if nesterov else ref_a)
        np.testing.assert_allclose(w.numpy(), ref_w, rtol=1e-6)


def test_gradient_descent_updates_in_place(kernels):
    w = tf.Variable([1.0, 2.0])
    training_ops.apply_gradient_descent(w, 0.5, tf.constant([2.0, 2.0]))
    np.testing.assert_array_equal(w.numpy(), [0.0, 1.0])


def test_a_value_read_before_the_update_keeps_its_value(kernels):
    w, m, v = tf.Variable([1.0, 2.0]), tf.Variable([0.0, 0.0]), tf.Variable([0.0, 0.0])
    before = w.value()
    training_ops.apply_adam(w, m, v, 0.9, 0.999, 0.1, 0.9, 0.999, 1e-7, tf.constant([1.0, 1.0]))
    np.testing.assert_array_equal(before.numpy(), [1.0, 2.0])
    assert w.numpy()[0] < 1.0


def test_gradient_of_the_wrong_shape_is_an_invalid_argument():
    w = tf.Variable([1.0, 2.0])
    with pytest.raises(tf.errors.InvalidArgumentError, match="ResourceApplyGradientDescent"):
        training_ops.apply_gradient_descent(w, 0.5, tf.constant([1.0, 2.0, 3.0]))


@pytest.mark.parity
def test_adam_matches_tensorflow_raw_op(real_tf, kernels):
    rng = np.random.default_rng(1)
    w0 = rng.standard_normal(5).astype(np.float32)
    ours = [
        tf.Variable(w0),
        tf.Variable(np.zeros(5, np.float32)),
        tf.Variable(np.zeros(5, np.float32)),
    ]
    theirs = [
        real_tf.Variable(w0),
        real_tf.Variable(np.zeros(5, np.float32)),
        real_tf.Variable(np.zeros(5, np.float32)),
    ]
    for t in range(1, 4):
        g = rng.standard_normal(5).astype(np.float32)
        training_ops.apply_adam(*ours, 0.9**t, 0.999**t, 0.001, 0.9, 0.999, 1e-7, tf.constant(g))
        real_tf.raw_ops.ResourceApplyAdam(
            var=theirs[0].handle, m=theirs[1].handle, v=theirs[2].handle,
            beta1_power=np.float32(0.9**t), beta2_power=np.float32(0.999**t), lr=np.float32(0.001),
            beta1=np.float32(0.9), beta2=np.float32(0.999), epsilon=np.float32(1e-7), grad=g,
        )  # fmt: skip
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-5, atol=1e-7)


def test_large_updates_split_across_threads_give_the_same_result(monkeypatch):
    if training_ops._numba_kernels() is None:
        pytest.skip("numba is not installed")
    rng = np.random.default_rng(3)
    w0, g = rng.standard_normal(101).astype(np.float32), rng.standard_normal(101).astype(np.float32)

    def run():
        w, m, v = (
            tf.Variable(w0),
            tf.Variable(np.zeros(101, np.float32)),
            tf.Variable(np.zeros(101, np.float32)),
        )
        training_ops.apply_adam(w, m, v, 0.9, 0.999, 0.01, 0.9, 0.999, 1e-7, tf.constant(g))
        return w.numpy(), m.numpy(), v.numpy()

    whole = run()
    monkeypatch.setattr(training_ops, "_SPLIT_AT", 8)
    split = run()
    for a, b in zip(whole, split):
        np.testing.assert_array_equal(a, b)


def _run_every_update(dtype, n=37, steps=3):
    """Final buffers of every fused update after a few steps from one seed."""
    rng = np.random.default_rng(7)

    def var():
        return tf.Variable(rng.standard_normal(n).astype(dtype))

    def slot():
        return tf.Variable((np.abs(rng.standard_normal(n)) + 0.1).astype(dtype))

    def zeros():
        return tf.Variable(np.zeros(n, dtype))

    cases = {
        "momentum": ([var(), slot()], lambda v, g: training_ops.apply_keras_momentum(
            v[0], v[1], 0.1, g, 0.9, False)),
        "nesterov": ([var(), slot()], lambda v, g: training_ops.apply_keras_momentum(
            v[0], v[1], 0.1, g, 0.9, True)),
        "adam": ([var(), slot(), slot()], lambda v, g: training_ops.apply_adam(
            *v, 0.9**2, 0.999**2, 0.01, 0.9, 0.999, 1e-7, g)),
        "amsgrad": ([var(), slot(), slot(), slot()], lambda v, g:
            training_ops.apply_adam_with_amsgrad(*v, 0.81, 0.998, 0.01, 0.9, 0.999, 1e-7, g)),
        "rmsprop": ([var(), slot()], lambda v, g: training_ops.apply_keras_rmsprop(
            v[0], v[1], None, None, 0.01, 0.9, 0.0, 1e-7, g)),
        "rmsprop_centered_momentum": ([var(), slot(), slot(), zeros()], lambda v, g:
            training_ops.apply_keras_rmsprop(*v, 0.01, 0.9, 0.5, 1e-7, g)),
        "adagrad": ([var(), slot()], lambda v, g: training_ops.apply_keras_adagrad(
            v[0], v[1], 0.01, 1e-7, g)),
        "adadelta": ([var(), slot(), slot()], lambda v, g: training_ops.apply_adadelta(
            *v, 1.0, 0.95, 1e-7, g)),
        "adamax": ([var(), slot(), slot()], lambda v, g: training_ops.apply_ada_max(
            *v, 0.81, 0.01, 0.9, 0.999, 1e-7, g)),
        "nadam": ([var(), slot(), slot()], lambda v, g: training_ops.apply_keras_nadam(
            *v, 0.01, 0.9, 0.999, 1e-7, 0.89, 0.895, 0.8, 0.71, 0.998, g)),
        "ftrl": ([var(), slot(), var()], lambda v, g: training_ops.apply_ftrl_v2(
            v[0], v[1], v[2], g, 0.05, 0.01, 0.02, 0.03, -0.5)),
        "lion": ([var(), var()], lambda v, g: training_ops.apply_lion(
            *v, 0.01, 0.9, 0.99, g)),
    }  # fmt: skip
    out = {}
    for name, (variables, update) in cases.items():
        for _ in range(steps):
            update(variables, tf.constant(rng.standard_normal(n).astype(dtype)))
        out[name] = [v.numpy() for v in variables]
    return out


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_numba_kernels_match_the_numpy_twins(monkeypatch, dtype):
    if training_ops._numba_kernels() is None:
        pytest.skip("numba is not installed")
    fast = _run_every_update(dtype)
    monkeypatch.setattr(training_ops, "_kernels_cache", [None])
    slow = _run_every_update(dtype)
    for name in fast:
        for a, b in zip(fast[name], slow[name]):
            assert a.dtype == dtype, name
            if name == "ftrl":  # a vectorized pow may differ in the last bit
                np.testing.assert_allclose(a, b, rtol=1e-6, err_msg=name)
            else:  # the same formulas in the same order, in the same precision
                np.testing.assert_array_equal(a, b, err_msg=name)
