"""The tape's array mode (gradients as bare ndarrays when nothing records the backward
pass) gives the op-by-op walk's results bit for bit, and steps aside when it must."""

from __future__ import annotations

import numpy as np
import pytest

import ndflow as tf
from ndflow._src.autodiff import tape as tape_module
from ndflow._src.framework import op_registry


def _grads(fn, values, dtype, array_mode, persistent=False, output_gradients=None, zero=False):
    """Gradients of fn(*tensors) with respect to each input, in one mode."""
    saved = tape_module._ARRAY_BACKWARD[0]
    tape_module._ARRAY_BACKWARD[0] = array_mode
    try:
        xs = [tf.constant(np.asarray(v, dtype)) for v in values]
        with tf.GradientTape(persistent=persistent) as tape:
            for x in xs:
                tape.watch(x)
            y = fn(*xs)
        kwargs = {"unconnected_gradients": "zero"} if zero else {}
        return tape.gradient(y, xs, output_gradients=output_gradients, **kwargs)
    finally:
        tape_module._ARRAY_BACKWARD[0] = saved


def _assert_identical(fast, slow):
    assert len(fast) == len(slow)
    for f, s in zip(fast, slow):
        if s is None:
            assert f is None
            continue
        assert type(f) is type(s) and f.dtype == s.dtype and f.shape == s.shape
        np.testing.assert_array_equal(f.numpy(), s.numpy(), strict=True)


RNG = np.random.default_rng(7)
A = RNG.standard_normal((3, 4))
B = RNG.standard_normal((4,))
P = RNG.uniform(0.5, 2.0, (3, 4))

CASES = {
    "add_broadcast": (lambda a, b: a + b, [A, B]),
    "sub_broadcast": (lambda a, b: tf.reduce_sum(a - b), [A, B]),
    "mul_chain": (lambda a, b: a * b * a, [A, B]),
    "div": (lambda a, b: tf.reduce_mean(a / (b * b + 1.0)), [A, B]),
    "neg_square_exp_log": (lambda a, p: tf.exp(-tf.square(a)) * tf.math.log(p), [A, P]),
    "sum_axis_keepdims": (lambda a: tf.reduce_sum(a * a, axis=1, keepdims=True), [A]),
    "mean_axes": (lambda a: tf.reduce_mean(tf.square(a), axis=[0, 1]), [A]),
    "mean_axis0": (lambda a, b: tf.reduce_mean(a * b, axis=0) * b, [A, B]),
    # Ops without an array twin in the same graph: tanh, matmul, pow, gather, unstack.
    "mixed_ops": (
        lambda a, b: tf.reduce_sum(tf.tanh(tf.matmul(a, tf.reshape(b, (4, 1)))) ** 3.0),
        [A, B],
    ),
    "gather_unstack": (
        lambda a, b: tf.gather(a, [0, 2, 0]) * tf.unstack(tf.reshape(b, (2, 2)))[1][0],
        [A, B],
    ),
    "reused_tensor": (lambda a, b: (a * b) + (a * b) * a - a, [A, B]),
    "unconnected": (lambda a, b: a * 2.0, [A, B]),
}


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.float16])
@pytest.mark.parametrize("name", sorted(CASES))
def test_array_mode_equals_op_mode(name, dtype):
    fn, values = CASES[name]
    _assert_identical(_grads(fn, values, dtype, True), _grads(fn, values, dtype, False))


@pytest.mark.parametrize("name", ["mul_chain", "neg_square_exp_log", "div"])
def test_complex_inputs_take_the_holomorphic_path(name):
    fn, values = CASES[name]
    vals = [np.asarray(v) + 0.5j * np.asarray(v)[::-1] for v in values]
    fast = _grads(fn, vals, np.complex128, True)
    _assert_identical(fast, _grads(fn, vals, np.complex128, False))


def test_output_gradients_and_unconnected_zero():
    fn, values = CASES["unconnected"]
    og = tf.constant(np.full((3, 4), 0.25, np.float32))
    fast = _grads(fn, values, np.float32, True, output_gradients=og, zero=True)
    slow = _grads(fn, values, np.float32, False, output_gradients=og, zero=True)
    _assert_identical(fast, slow)
    assert np.all(fast[1].numpy() == 0) and fast[1].shape == (4,)


def test_variables_scalar_broadcast_and_repeated_reads():
    x = tf.constant(np.linspace(-1, 1, 8, dtype=np.float32))
    results = []
    for mode in (True, False):
        tape_module._ARRAY_BACKWARD[0] = mode
        try:
            a, b = tf.Variable(1.5), tf.Variable(-0.5)
            with tf.GradientTape() as tape:
                loss = tf.reduce_mean(tf.square(a * x**2 + b * x + a - x))
            results.append(tape.gradient(loss, [a, b]))
        finally:
            tape_module._ARRAY_BACKWARD[0] = True
    _assert_identical(*results)
    assert results[0][0].shape == () and results[0][0].dtype == tf.float32


def test_an_outer_tape_records_the_backward_pass():
    # With an outer tape active the walk must run ops, so the outer tape can
    # differentiate the gradient: d/dx (d/dx x^3) = 6x.
    x = tf.constant(2.0)
    with tf.GradientTape() as outer:
        outer.watch(x)
        with tf.GradientTape() as inner:
            inner.watch(x)
            y = x * x * x
        dy = inner.gradient(y, x)
    assert dy.numpy() == pytest.approx(12.0)
    assert outer.gradient(dy, x).numpy() == pytest.approx(12.0)


def test_persistent_tape_gradient_inside_its_context_records_itself():
    x = tf.constant(3.0)
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(x)
        y = tf.square(x)
        dy = tape.gradient(y, x)  # recorded on the tape itself, as in TensorFlow
    assert tape.gradient(dy, x).numpy() == pytest.approx(2.0)


def test_registered_gradient_override_replaces_the_array_twin():
    opdef = op_registry.get_op("Neg")
    saved = (opdef.grad, opdef.array_grad)
    try:
        op_registry.RegisterGradient("Neg")(lambda op, g: (g * 10.0,))
        assert opdef.array_grad is None
        x = tf.constant(1.0)
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = -x
        assert tape.gradient(y, x).numpy() == 10.0
    finally:
        opdef.grad, opdef.array_grad = saved


def test_array_grad_needs_a_single_output_op_with_a_grad():
    with pytest.raises(ValueError, match="array_grad"):
        op_registry.register_op("_ArrayGradNoGrad", np.negative, array_grad=lambda op, g: (g,))


def _both_modes(fn):
    """fn() run in array mode and in op mode."""
    out = []
    for mode in (True, False):
        saved = tape_module._ARRAY_BACKWARD[0]
        tape_module._ARRAY_BACKWARD[0] = mode
        try:
            out.append(fn())
        finally:
            tape_module._ARRAY_BACKWARD[0] = saved
    return out


def test_variable_reads_as_sources_targets_and_inside_functions():
    v = tf.Variable([1.0, 2.0])
    frozen = tf.Variable(3.0, trainable=False)

    @tf.function
    def f(a):
        return tf.reduce_sum(v * a)

    def run():
        with tf.GradientTape(persistent=True) as tape:
            r = v.value()
            y = tf.reduce_sum(r * r) + f(r) + frozen * 2.0
        g_v, g_r, g_frozen = tape.gradient(y, [v, r, frozen])
        g_self = tape.gradient(r, v)  # a read is its own target
        return [g_v, g_r, g_frozen, g_self]

    fast, slow = _both_modes(run)
    _assert_identical(fast, slow)
    # d/dv [sum(v^2) + sum(v * v)] through both the read and the function = 4v.
    np.testing.assert_allclose(fast[0].numpy(), [4.0, 8.0])
    np.testing.assert_allclose(fast[1].numpy(), [3.0, 6.0])  # 2r + v
    assert fast[2] is None
    np.testing.assert_array_equal(fast[3].numpy(), [1.0, 1.0])


def test_unwatched_reads_and_explicit_watch():
    v, w = tf.Variable(2.0), tf.Variable(5.0)

    def run():
        with tf.GradientTape(watch_accessed_variables=False) as tape:
            tape.watch(v)
            y = v * w + v * v
        return list(tape.gradient(y, [v, w]))

    fast, slow = _both_modes(run)
    _assert_identical(fast, slow)
    assert fast[0].numpy() == 9.0 and fast[1] is None


def test_second_order_through_variable_reads():
    v = tf.Variable(3.0)
    with tf.GradientTape() as outer:
        with tf.GradientTape() as inner:
            y = v * v * v
        dy = inner.gradient(y, v)
    assert dy.numpy() == pytest.approx(27.0)
    assert outer.gradient(dy, v).numpy() == pytest.approx(18.0)


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.float16])
def test_repeated_full_mean_losses_share_nothing_writable(dtype):
    # The unit gradient of a full mean is cached per shape; each step's results still
    # match the op walk, and a cached array cannot be written through.
    x = tf.constant(np.arange(6, dtype=dtype).reshape(2, 3))
    for _ in range(2):
        fast = _grads(lambda a: tf.reduce_mean(a), [x.numpy()], dtype, True)
        slow = _grads(lambda a: tf.reduce_mean(a), [x.numpy()], dtype, False)
        _assert_identical(fast, slow)
        assert not np.asarray(fast[0]).flags.writeable
    keep = _grads(lambda a: tf.reduce_mean(a, keepdims=True), [x.numpy()], dtype, True)
    _assert_identical(
        keep, _grads(lambda a: tf.reduce_mean(a, keepdims=True), [x.numpy()], dtype, False)
    )
