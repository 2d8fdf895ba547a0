"""tf.cond, tf.case, tf.switch_case, tf.while_loop and tf.TensorArray, eager and traced,
with gradients against eager Python, finite differences and real TensorFlow."""

from __future__ import annotations

import numpy as np
import pytest

import ndflow as tf
from ndflow._src.graph.control_flow import cond as cf_cond
from ndflow._src.graph.control_flow import while_loop as cf_while_loop


def _grad(fn, x):
    x = tf.constant(x)
    with tf.GradientTape() as t:
        t.watch(x)
        y = fn(x)
    return y, t.gradient(y, x)


def _fd(fn, x, eps=1e-6):
    x = np.asarray(x, np.float64)
    g = np.zeros_like(x)
    for i in range(x.size):
        d = np.zeros_like(x)
        d.flat[i] = eps
        g.flat[i] = (
            float(tf.reduce_sum(fn(tf.constant(x + d))))
            - float(tf.reduce_sum(fn(tf.constant(x - d))))
        ) / (2 * eps)
    return g


def cond_fn(x):
    return tf.cond(tf.reduce_sum(x) > 0.0, lambda: x * x * 3.0, lambda: x - 1.0)


def while_fn(x):
    _, y = tf.while_loop(
        lambda i, y: i < 10,
        lambda i, y: (i + 1, y * x + 1.0),
        (0, tf.ones_like(x)),
        maximum_iterations=3,
    )
    return y


@pytest.mark.parametrize("fn", [cond_fn, while_fn])
@pytest.mark.parametrize("x", [[1.5, 2.0], [-2.0, 0.5]])
def test_traced_control_flow_matches_eager_values_and_gradients(fn, x):
    x64 = np.asarray(x, np.float64)
    ye, ge = _grad(fn, x64)
    yt, gt = _grad(tf.function(fn), x64)
    np.testing.assert_allclose(yt.numpy(), ye.numpy())
    np.testing.assert_allclose(gt.numpy(), ge.numpy())
    np.testing.assert_allclose(gt.numpy(), _fd(fn, x64), rtol=1e-5)


@pytest.mark.parametrize("fn", [cond_fn, while_fn])
def test_tape_inside_function_differentiates_control_flow(fn):
    @tf.function
    def grad_in(x):
        with tf.GradientTape() as t:
            t.watch(x)
            y = fn(x)
        return t.gradient(y, x)

    x = np.array([1.5, -0.5], np.float64)
    np.testing.assert_allclose(grad_in(tf.constant(x)).numpy(), _grad(fn, x)[1].numpy())


def test_cond_gradient_reaches_variables_in_a_branch():
    v = tf.Variable(2.0)

    @tf.function
    def f(x):
        return tf.cond(x > 0.0, lambda: v * x, lambda: v * v)

    for x, want in [(3.0, 3.0), (-1.0, 4.0)]:
        with tf.GradientTape() as t:
            y = f(tf.constant(x))
        assert float(t.gradient(y, v)) == pytest.approx(want)


def test_while_loop_gradient_reaches_captured_variables():
    v = tf.Variable(1.5)

    @tf.function
    def f(x):
        return tf.while_loop(lambda i, y: i < 3, lambda i, y: (i + 1, y * v), (0, x))[1]

    with tf.GradientTape() as t:
        y = f(tf.constant(2.0))
    # y = x v^3, dy/dv = 3 x v^2
    assert float(t.gradient(y, v)) == pytest.approx(3 * 2.0 * 1.5**2)


def test_cond_branches_are_both_traced_and_must_match():
    with pytest.raises(ValueError, match="same number, type, and overall structure"):
        tf.function(lambda x: tf.cond(x > 0, lambda: (x, x), lambda: x))(tf.constant(1))


def test_cond_merges_branch_shapes():
    @tf.function
    def f(x, p):
        return tf.cond(p, lambda: x, lambda: tf.reshape(x, [-1]))

    cf = f.get_concrete_function(tf.TensorSpec([2, 2], tf.float32), tf.TensorSpec([], tf.bool))
    assert cf.outputs[0].shape.rank is None or cf.outputs[0].shape.as_list() == [None, None]


def test_while_loop_nested_structures_and_shape_invariants():
    @tf.function
    def g(v):
        return tf.while_loop(
            lambda s: s["i"] < 3,
            lambda s: {"i": s["i"] + 1, "pair": (s["pair"][0] * 2.0, s["pair"][1] + 1)},
            {"i": tf.constant(0), "pair": (v, tf.constant(0))},
        )

    out = g(tf.constant([1.0, 2.0]))
    np.testing.assert_allclose(out["pair"][0].numpy(), [8.0, 16.0])
    assert int(out["pair"][1]) == 3 and int(out["i"]) == 3

    @tf.function
    def bad(v):
        return tf.while_loop(
            lambda v: tf.reduce_sum(v) < 10.0, lambda v: tf.reshape(v, [1, -1]), [v]
        )

    with pytest.raises(ValueError, match="shape_invariants"):
        bad(tf.constant([1.0, 2.0]))

    @tf.function
    def ok(v):
        return tf.while_loop(
            lambda v: tf.reduce_sum(v) < 10.0,
            lambda v: v * 2.0,
            [v],
            shape_invariants=[tf.TensorShape([None])],
        )

    r = ok(tf.constant([1.0, 2.0]))
    np.testing.assert_allclose(r[0].numpy(), [4.0, 8.0])
    assert ok.get_concrete_function(tf.constant([1.0, 2.0])).outputs[0].shape.as_list() == [None]


def test_eager_while_loop_is_python_and_honours_maximum_iterations():
    r = tf.while_loop(lambda i: i < 100, lambda i: i + 1, [tf.constant(0)], maximum_iterations=7)
    assert isinstance(r, list) and int(r[0]) == 7
    assert int(tf.while_loop(lambda i: i < 5, lambda i: i + 2, tf.constant(0))) == 6


def test_library_functions_used_by_autograph_work_both_ways():
    assert float(cf_cond(tf.constant(True), lambda: 1.0, lambda: 2.0)) == 1.0
    (n,) = cf_while_loop(lambda n: n < 5, lambda n: (n + 1,), (tf.constant(0),))
    assert int(n) == 5


@pytest.mark.parametrize("i,want", [(0, 10), (1, 20), (2, 30), (7, 30), (-1, 30)])
def test_switch_case_eager_and_traced(i, want):
    fns = [lambda: tf.constant(10), lambda: tf.constant(20), lambda: tf.constant(30)]
    assert int(tf.switch_case(tf.constant(i), fns)) == want
    f = tf.function(lambda k: tf.switch_case(k, fns))
    assert int(f(tf.constant(i))) == want


@pytest.mark.parametrize("x,want", [(1, 1), (5, 2), (50, 3)])
def test_case_eager_and_traced(x, want):
    def run(v):
        return tf.case(
            [(v < 3, lambda: tf.constant(1)), (v < 10, lambda: tf.constant(2))],
            default=lambda: tf.constant(3),
        )

    assert int(run(tf.constant(x))) == want
    assert int(tf.function(run)(tf.constant(x))) == want


def test_tensor_array_eager_and_traced():
    def build(n):
        ta = tf.TensorArray(tf.float32, size=0, dynamic_size=True)

        def body(i, ta):
            return i + 1, ta.write(i, tf.cast(i, tf.float32) * 2.0)

        _, ta = tf.while_loop(lambda i, ta: i < n, body, (0, ta))
        return ta.stack()

    np.testing.assert_allclose(build(tf.constant(4)).numpy(), [0, 2, 4, 6])
    np.testing.assert_allclose(tf.function(build)(tf.constant(4)).numpy(), [0, 2, 4, 6])
    ta = tf.TensorArray(tf.float32, size=2)
    with pytest.raises(tf.errors.InvalidArgumentError, match="not resizeable"):
        ta.write(2, 1.0)
    ta = tf.TensorArray(tf.float32, size=3).unstack(tf.constant([1.0, 2.0, 3.0]))
    assert float(ta.read(1)) == 2.0 and int(ta.size()) == 3


def test_tensor_array_stack_gradient_eager():
    x = tf.constant([1.0, 2.0])
    with tf.GradientTape() as t:
        t.watch(x)
        ta = tf.TensorArray(tf.float32, size=2)
        ta = ta.write(0, x * 2.0).write(1, x * x)
        y = tf.reduce_sum(ta.stack())
    np.testing.assert_allclose(t.gradient(y, x).numpy(), [4.0, 6.0])


@pytest.mark.parity
def test_parity_cond_and_while_loop_with_gradients(real_tf):
    def make(lib):
        @lib.function
        def f(x):
            y = lib.cond(lib.reduce_sum(x) > 0.0, lambda: x * x, lambda: x * 3.0)
            _, z = lib.while_loop(
                lambda i, z: i < 5,
                lambda i, z: (i + 1, z * y + 1.0),
                (0, lib.ones_like(x)),
                maximum_iterations=3,
            )
            return z

        return f

    for x in ([0.5, 1.5], [-1.0, 0.25]):
        outs = []
        for lib in (tf, real_tf):
            f = make(lib)
            xt = lib.constant(x)
            with lib.GradientTape() as t:
                t.watch(xt)
                z = f(xt)
            outs.append((z.numpy(), t.gradient(z, xt).numpy(), f.experimental_get_tracing_count()))
        np.testing.assert_allclose(outs[0][0], outs[1][0], rtol=1e-6)
        np.testing.assert_allclose(outs[0][1], outs[1][1], rtol=1e-5)
        assert outs[0][2] == outs[1][2]


def _ta_loss(x):
    ta = tf.TensorArray(tf.float32, size=3)

    def body(i, ta):
        return i + 1, ta.write(i, x * tf.cast(i + 1, tf.float32))

    _, ta = tf.while_loop(lambda i, ta: i < 3, body, (0, ta))
    s = ta.stack()
    return tf.reduce_sum(s * s) + tf.reduce_sum(ta.read(1))


def test_tensor_array_gradients_through_while_loop_eager_traced_and_inside():
    # s = [x, 2x, 3x]: d/dx (14 x^2 + 2x) = 28 x + 2
    want = [30.0, 58.0]
    for fn in (_ta_loss, tf.function(_ta_loss)):
        _, g = _grad(fn, np.array([1.0, 2.0], np.float32))
        np.testing.assert_allclose(g.numpy(), want)

    @tf.function
    def inside(x):
        with tf.GradientTape() as t:
            t.watch(x)
            y = _ta_loss(x)
        return t.gradient(y, x)

    np.testing.assert_allclose(inside(tf.constant([1.0, 2.0])).numpy(), want)


def test_leaked_symbolic_tensor_raises_type_error():
    leak = []

    @tf.function
    def keep(x):
        leak.append(x * 2.0)
        return x

    keep(tf.constant(1.0))
    with pytest.raises(TypeError, match="leaked out of a function trace"):
        tf.function(lambda x: x + leak[0])(tf.constant(1.0))


def test_nested_functions_differentiate_inside_and_outside():
    inner = tf.function(lambda x: x * x)

    @tf.function
    def outer(x):
        with tf.GradientTape() as t:
            t.watch(x)
            y = inner(x) * 3.0
        return y, t.gradient(y, x)

    x = tf.constant(2.0)
    with tf.GradientTape() as t:
        t.watch(x)
        y, g = outer(x)
    assert float(y) == 12.0 and float(g) == 12.0
    assert float(t.gradient(g, x)) == 6.0


def test_cond_branches_for_side_effects_may_return_none():
    v = tf.Variable(0)

    def setter(k):
        def fn():
            v.assign(k)

        return fn

    @tf.function
    def f(p):
        r = tf.cond(p, setter(1), setter(2))
        return r, v.read_value()

    r, val = f(tf.constant(True))
    assert r is None and int(val) == 1
    _, val = f(tf.constant(False))
    assert int(val) == 2


def _nested_fn(x):
    def body(i, y):
        y2 = tf.cond(tf.reduce_sum(y) > 5.0, lambda: y * 0.5, lambda: y * x)
        return i + 1, y2

    inner = tf.while_loop(lambda i, y: i < 6, body, (0, x))[1]
    return tf.cond(tf.reduce_sum(x) > 0.0, lambda: inner, lambda: -x)


def test_cond_inside_while_inside_cond_gradients():
    x = np.array([1.5, 2.0])
    ye, ge = _grad(_nested_fn, x)
    yt, gt = _grad(tf.function(_nested_fn), x)
    np.testing.assert_allclose(yt.numpy(), ye.numpy())
    np.testing.assert_allclose(gt.numpy(), ge.numpy())
    np.testing.assert_allclose(gt.numpy(), _fd(_nested_fn, x), rtol=1e-5)
