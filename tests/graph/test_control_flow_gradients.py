"""Gradients through graph functions, cond and while_loop that reuse what the forward
pass saw: higher derivatives through tf.while_loop (the backward loop is a while_loop
itself), no rerun of a loop that ran under a tape, and random draws / variable reads in
nested calls, cond branches and loop bodies saved rather than replayed."""

from __future__ import annotations

import numpy as np
import pytest
from harness.op_check import check_grads

import ndflow as tf
from ndflow._src.graph import executor


def _power_loop(lib):
    @lib.function
    def f(x):
        return lib.while_loop(lambda i, y: i < 3, lambda i, y: (i + 1, lib.sin(y) * x), (0, x))[1]

    return f


def _derivatives(lib, f, x, order):
    """[f(x), f'(x), ..., f^(order)(x)] by nested tapes."""
    x = lib.constant(x)
    tapes = [lib.GradientTape() for _ in range(order)]
    for t in tapes:
        t.__enter__()
        t.watch(x)
    vals = [f(x)]
    for t in reversed(tapes):
        t.__exit__(None, None, None)
        vals.append(t.gradient(vals[-1], x))
    return [v.numpy() for v in vals]


# ---------------------------------------------------------------------- closed form


def test_second_and_third_derivatives_through_while_loop_in_a_function():
    @tf.function
    def cube(x):
        return tf.while_loop(lambda i, y: i < 3, lambda i, y: (i + 1, y * x), (0, 1.0))[1]

    y, d1, d2, d3 = _derivatives(tf, cube, 2.0, 3)
    np.testing.assert_allclose([y, d1, d2, d3], [8.0, 12.0, 12.0, 6.0])


def test_second_derivative_with_both_tapes_inside_a_traced_function():
    @tf.function
    def h(x):
        with tf.GradientTape() as t2:
            t2.watch(x)
            with tf.GradientTape() as t1:
                t1.watch(x)
                y = tf.while_loop(
                    lambda i, y: i < 4, lambda i, y: (i + 1, y * x), (0, tf.ones_like(x))
                )[1]
            g = t1.gradient(y, x)
        return y, g, t2.gradient(g, x)

    x = np.array([0.5, 2.0], np.float32)
    y, g, gg = h(tf.constant(x))
    np.testing.assert_allclose(y.numpy(), x**4, rtol=1e-6)
    np.testing.assert_allclose(g.numpy(), 4 * x**3, rtol=1e-6)
    np.testing.assert_allclose(gg.numpy(), 12 * x**2, rtol=1e-6)


def test_second_derivative_with_maximum_iterations_structures_and_variables():
    v = tf.Variable(0.5, dtype=tf.float64)

    @tf.function
    def f(x):
        def body(i, s):
            return i + 1, {"a": s["a"] * x + v, "b": [s["b"][0] + s["a"] * v]}

        init = (0, {"a": tf.ones_like(x), "b": [tf.zeros_like(x)]})
        _, s = tf.while_loop(lambda i, s: i < 10, body, init, maximum_iterations=3)
        return tf.reduce_sum(s["a"] + s["b"][0])

    def grad_fn(x):
        with tf.GradientTape() as t:
            t.watch(x)
            y = f(x)
        gx, gv = t.gradient(y, [x, v])
        return [gx, gv]

    check_grads(grad_fn, [np.array([0.7, -1.3])], rtol=1e-6)
    # d/dv of dy/dx, finite differences in v.
    x = tf.constant([0.7, -1.3], tf.float64)
    with tf.GradientTape() as t2:
        with tf.GradientTape() as t1:
            t1.watch(x)
            y = f(x)
        gx = tf.reduce_sum(t1.gradient(y, x))
    dv = t2.gradient(gx, v).numpy()
    eps = 1e-6
    sums = []
    for s in (eps, -eps):
        v.assign(0.5 + s)
        with tf.GradientTape() as t1:
            t1.watch(x)
            y = f(x)
        sums.append(float(tf.reduce_sum(t1.gradient(y, x))))
    v.assign(0.5)
    np.testing.assert_allclose(dv, (sums[0] - sums[1]) / (2 * eps), rtol=1e-6)


def test_second_derivative_through_a_tensor_array_loop():
    @tf.function
    def f(x):
        ta = tf.TensorArray(tf.float64, size=3)

        def body(i, y, ta):
            y = y * x
            return i + 1, y, ta.write(i, y)

        _, _, ta = tf.while_loop(lambda i, y, ta: i < 3, body, (0, tf.ones_like(x), ta))
        return tf.reduce_sum(ta.stack())  # x + x^2 + x^3

    def grad_fn(x):
        with tf.GradientTape() as t:
            t.watch(x)
            y = f(x)
        return t.gradient(y, x)

    x = np.array([0.5, 1.5])
    np.testing.assert_allclose(grad_fn(tf.constant(x)).numpy(), 1 + 2 * x + 3 * x**2)
    check_grads(grad_fn, [x], rtol=1e-6)


def test_nested_loops_second_derivative_matches_finite_differences():
    @tf.function
    def f(x):
        def outer(i, y):
            inner = tf.while_loop(lambda j, z: j < 2, lambda j, z: (j + 1, tf.tanh(z) * x), (0, y))
            return i + 1, inner[1] + y

        return tf.while_loop(lambda i, y: i < 2, outer, (0, x))[1]

    def grad_fn(x):
        with tf.GradientTape() as t:
            t.watch(x)
            y = f(x)
        return t.gradient(y, x)

    check_grads(grad_fn, [np.array([0.3, -0.8])], rtol=1e-6)


def test_forward_loop_is_not_rerun_for_its_gradient():
    @tf.function
    def f(x):
        return tf.while_loop(lambda i, y: i < 5, lambda i, y: (i + 1, tf.sin(y) * x), (0, x))[1]

    runs = []

    def hook(node, slots):
        if node.graph.name == "while_body" and node.type == "Sin":
            runs.append(node)

    x = tf.constant(1.5)
    f(x)
    executor.step_hooks.append(hook)
    try:
        with tf.GradientTape() as t:
            t.watch(x)
            y = f(x)
        forward = len(runs)
        t.gradient(y, x)
    finally:
        executor.step_hooks.remove(hook)
    assert forward == 5
    assert len(runs) == forward  # the gradient read the saved history


# ---------------------------------------------------------------------- saved values


def test_random_draws_in_a_loop_body_are_the_ones_the_gradient_sees():
    @tf.function
    def f(x):
        def body(i, s):
            return i + 1, s + x * tf.random.uniform([3])

        return tf.while_loop(lambda i, s: i < 4, body, (0, tf.zeros([3])))[1]

    x = tf.constant([1.0, 2.0, 3.0])
    with tf.GradientTape() as t:
        t.watch(x)
        y = f(x)
    np.testing.assert_allclose(t.gradient(y, x).numpy(), (y / x).numpy(), rtol=1e-5)

    @tf.function
    def inside(x):
        with tf.GradientTape() as t:
            t.watch(x)
            y = f(x)
        return y, t.gradient(y, x)

    y, g = inside(x)
    np.testing.assert_allclose(g.numpy(), (y / x).numpy(), rtol=1e-5)


def test_random_draw_in_a_nested_function_is_saved():
    @tf.function
    def inner(x):
        return x * tf.random.uniform([3])

    @tf.function
    def outer(x):
        return inner(x) + 0.0

    x = tf.constant([1.0, 2.0, 3.0])
    for _ in range(2):
        with tf.GradientTape() as t:
            t.watch(x)
            y = outer(x)
        np.testing.assert_allclose(t.gradient(y, x).numpy(), (y / x).numpy(), rtol=1e-6)


def test_random_draw_in_a_cond_branch_is_saved():
    @tf.function
    def f(x, p):
        return tf.cond(p, lambda: x * tf.random.uniform([3]), lambda: x * 2.0)

    x = tf.constant([1.0, 2.0, 3.0])
    for p in (True, False):
        with tf.GradientTape() as t:
            t.watch(x)
            y = f(x, tf.constant(p))
        np.testing.assert_allclose(t.gradient(y, x).numpy(), (y / x).numpy(), rtol=1e-6)


def test_random_draws_in_a_function_called_from_a_loop_body_second_derivative():
    @tf.function
    def inner(x):
        return x * tf.random.uniform([3])

    @tf.function
    def f(x):
        body = lambda i, s: (i + 1, s + inner(x * x))  # noqa: E731
        return tf.while_loop(lambda i, s: i < 3, body, (0, tf.zeros([3])))[1]

    x = tf.constant([1.0, 2.0, 3.0])
    with tf.GradientTape() as t2:
        t2.watch(x)
        with tf.GradientTape() as t1:
            t1.watch(x)
            y = f(x)
        g = t1.gradient(y, x)
    np.testing.assert_allclose(g.numpy(), (2 * y / x).numpy(), rtol=1e-5)
    np.testing.assert_allclose(t2.gradient(g, x).numpy(), (2 * y / x / x).numpy(), rtol=1e-5)


def test_variable_assigned_in_a_nested_function_between_reads():
    v = tf.Variable(3.0)

    @tf.function
    def inner(x):
        a = v * x
        v.assign_add(1.0)
        return a + v * x

    @tf.function
    def outer(x):
        return inner(x) * 1.0

    x = tf.constant([1.0, 2.0])
    with tf.GradientTape() as t:
        t.watch(x)
        y = outer(x)
    gx, gv = t.gradient(y, [x, v])
    np.testing.assert_allclose(gx.numpy(), [7.0, 7.0])  # 3 + 4: both values the reads saw
    assert float(gv) == pytest.approx(6.0)
    assert float(v) == 4.0  # the gradient did not assign again


# ---------------------------------------------------------------------- parity


@pytest.mark.parity
def test_parity_higher_derivatives_through_while_loop(real_tf):
    for x in (2.0, -0.7):
        ours = _derivatives(tf, _power_loop(tf), x, 3)
        theirs = _derivatives(real_tf, _power_loop(real_tf), x, 3)
        np.testing.assert_allclose(ours, theirs, rtol=1e-4, atol=1e-5)


@pytest.mark.parity
def test_parity_second_derivative_of_loop_with_captured_variable(real_tf):
    def run(lib):
        v = lib.Variable([0.5, -0.25])

        @lib.function
        def f(x):
            body = lambda i, y: (i + 1, y * x + v * y * y)  # noqa: E731
            y = lib.while_loop(lambda i, y: i < 3, body, (0, lib.ones_like(x)))[1]
            return lib.reduce_sum(y)

        x = lib.constant([0.3, 0.9])
        with lib.GradientTape(persistent=True) as t2:
            t2.watch(x)
            with lib.GradientTape() as t1:
                t1.watch(x)
                y = f(x)
            gx, gv = t1.gradient(y, [x, v])
        return [gx.numpy(), gv.numpy(), t2.gradient(gx, x).numpy(), t2.gradient(gv, v).numpy()]

    for a, b in zip(run(tf), run(real_tf)):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_random_draw_in_a_cond_branch_with_the_tape_inside_the_function():
    @tf.function
    def f(x):
        with tf.GradientTape() as t:
            t.watch(x)
            y = tf.cond(tf.reduce_sum(x) > 0, lambda: x * tf.random.uniform([3]), lambda: x)
        return y, t.gradient(y, x)

    y, g = f(tf.constant([1.0, 2.0, 3.0]))
    np.testing.assert_allclose(g.numpy(), (y / [1.0, 2.0, 3.0]).numpy(), rtol=1e-6)


def test_loop_inside_a_cond_branch_second_derivative_and_zero_iterations():
    @tf.function
    def f(x, p, n):
        loop = lambda: tf.while_loop(  # noqa: E731
            lambda i, y: i < n, lambda i, y: (i + 1, tf.sin(y) * x + y * y), (0, x)
        )[1]
        return tf.cond(p, loop, lambda: x * x * x)

    def grad_fn(p, n):
        def g(x):
            with tf.GradientTape() as t:
                t.watch(x)
                y = f(x, tf.constant(p), tf.constant(n))
            return t.gradient(y, x)

        return g

    for p, n in ((True, 3), (False, 3), (True, 0)):
        check_grads(grad_fn(p, n), [np.array([0.3, -0.7])], rtol=1e-6)


def test_saved_values_survive_a_saved_model_round_trip(tmp_path):
    class M(tf.Module):
        @tf.function
        def inner(self, x):
            return x * tf.random.uniform([2])

        @tf.function(input_signature=[tf.TensorSpec([2], tf.float32)])
        def __call__(self, x):
            y = tf.cond(tf.reduce_sum(x) > 0, lambda: self.inner(x), lambda: x)
            body = lambda i, y: (i + 1, y + self.inner(x))  # noqa: E731
            return tf.while_loop(lambda i, y: i < 2, body, (0, y))[1]

    tf.saved_model.save(M(), str(tmp_path))
    m = tf.saved_model.load(str(tmp_path))
    x = tf.constant([1.0, 2.0])
    with tf.GradientTape() as t:
        t.watch(x)
        y = m(x)
    np.testing.assert_allclose(t.gradient(y, x).numpy(), (y / x).numpy(), rtol=1e-5)


def test_loop_without_saved_history_is_rerun_for_its_gradient_and_back_prop_false():
    def make(back_prop):
        @tf.function
        def f(x):
            body = lambda i, y: (i + 1, y * x)  # noqa: E731
            return tf.while_loop(lambda i, y: i < 3, body, (0, x), back_prop=back_prop)[1] + x

        return f

    x = tf.constant(2.0)
    f = make(True)
    for n in f.get_concrete_function(x).graph.nodes:
        if n.type.endswith("While"):
            del n.attrs["hist"]  # as a loop loaded from an older SavedModel
    _, d1, d2 = _derivatives(tf, f, 2.0, 2)
    assert (d1, d2) == (33.0, 48.0)  # x^4 + x
    with tf.GradientTape() as t:
        t.watch(x)
        y = make(False)(x)
    assert float(t.gradient(y, x)) == 1.0  # as TensorFlow: the loop is not differentiated


@pytest.mark.parity
def test_parity_variable_assigned_between_reads_in_a_loop_body(real_tf):
    def run(lib):
        v = lib.Variable(1.5)

        @lib.function
        def f(x):
            def body(i, y):
                y = y * v + x
                v.assign_add(0.5)
                return i + 1, y * v

            return lib.while_loop(lambda i, y: i < 3, body, (0, x))[1]

        x = lib.constant(0.7)
        with lib.GradientTape() as t:
            t.watch(x)
            y = f(x)
        gx, gv = t.gradient(y, [x, v])
        return [y.numpy(), gx.numpy(), gv.numpy(), v.numpy()]

    np.testing.assert_allclose(run(tf), run(real_tf), rtol=1e-6)
