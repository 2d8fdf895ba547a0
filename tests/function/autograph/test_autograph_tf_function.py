"""Autograph end to end: `tf.function` traces converted Python control flow into graph
`cond` / `while_loop` ops, gives the eager results for every input from one trace, and
matches real TensorFlow. Needs the graph layer (skipped where it is not installed)."""

from __future__ import annotations

import numpy as np
import pytest

import ndflow as tf

pytest.importorskip("ndflow._src.graph.control_flow")


def make_functions(tf):  # noqa: C901 - one table of small programs, for both libraries
    """The same programs for ndflow and for real TensorFlow."""

    def sign(x):
        if x > 0:
            s = 1.0
        elif x < 0:
            s = -1.0
        else:
            s = 0.0
        return s * x

    def collatz_steps(n):
        steps = 0
        while n != 1:
            if n % 2 == 0:
                n = n // 2
            else:
                n = 3 * n + 1
            steps += 1
        return steps

    def sum_until_negative(xs):
        total = 0.0
        for x in xs:
            if x < 0:
                break
            if x > 10:
                continue
            total += x
        return total

    def sum_of_squares(n):
        acc = tf.constant(0)
        for i in tf.range(n):
            acc += i * i
        return acc

    def early_return(x):
        if tf.reduce_sum(x) > 0:
            return x * 2.0
        return -x

    def logic(a, b):
        both = a > 0 and b > 0
        either = a > 0 or b > 0
        return tf.cast(both, tf.int32), tf.cast(not either, tf.int32), a if b > 0 else b

    return {
        "sign": (sign, [np.float32(3), np.float32(-2), np.float32(0)]),
        "collatz_steps": (collatz_steps, [np.int32(1), np.int32(6), np.int32(27)]),
        "sum_until_negative": (
            sum_until_negative,
            [np.array([1, 20, 3, -1, 5], np.float32), np.array([2, 2, 30, 2, 1], np.float32)],
        ),
        "sum_of_squares": (sum_of_squares, [np.int32(0), np.int32(5)]),
        "early_return": (early_return, [np.ones(3, np.float32), -np.ones(3, np.float32)]),
        "logic": (logic, [(np.float32(1), np.float32(-1)), (np.float32(-1), np.float32(-2))]),
    }


NAMES = sorted(make_functions(tf))


def _args(value):
    return value if isinstance(value, tuple) else (value,)


def _numpy(out):
    if isinstance(out, (tuple, list)):
        return [_numpy(o) for o in out]
    return np.asarray(out)


@pytest.mark.parametrize("name", NAMES)
def test_one_trace_gives_the_eager_result_for_every_input(name):
    fn, inputs = make_functions(tf)[name]
    traced = tf.function(fn)
    for value in inputs:
        args = [tf.constant(a) for a in _args(value)]
        expected = _numpy(fn(*args))  # plain Python control flow on eager tensors
        np.testing.assert_allclose(_numpy(traced(*args)), expected, rtol=1e-6)
    assert traced.experimental_get_tracing_count() == 1


@pytest.mark.parametrize(
    "name,ops", [("sign", {"If", "StatelessIf"}), ("collatz_steps", {"While", "StatelessWhile"})]
)
def test_the_graph_holds_control_flow_ops(name, ops):
    fn, inputs = make_functions(tf)[name]
    concrete = tf.function(fn).get_concrete_function(tf.constant(_args(inputs[0])[0]))
    assert ops & {op.type for op in concrete.graph.get_operations()}


@pytest.mark.parity
@pytest.mark.parametrize("name", NAMES)
def test_matches_real_tensorflow(name, real_tf):
    fn, inputs = make_functions(tf)[name]
    real_fn, _ = make_functions(real_tf)[name]
    ours, theirs = tf.function(fn), real_tf.function(real_fn)
    for value in inputs:
        got = _numpy(ours(*[tf.constant(a) for a in _args(value)]))
        want = _numpy(theirs(*[real_tf.constant(a) for a in _args(value)]))
        np.testing.assert_allclose(got, want, rtol=1e-6)


def test_tensor_condition_errors_name_the_users_line():
    def bad(x):
        if x > 0:
            y = x
        return y  # noqa: F821 - undefined on the else path, as the test wants

    with pytest.raises(ValueError, match="'y' must also be initialized in the else branch"):
        tf.function(bad)(tf.constant(1.0))


def test_helpers_called_from_a_tf_function_are_converted():
    def magnitude(x):
        if x < 0:
            return -x
        return x

    @tf.function
    def outer(x):
        return magnitude(x) + 1.0

    assert float(outer(tf.constant(-3.0))) == 4.0
    assert float(outer(tf.constant(2.0))) == 3.0
    assert outer.experimental_get_tracing_count() == 1


def test_do_not_convert_keeps_python_semantics_inside_tf_function():
    @tf.autograph.experimental.do_not_convert
    def python_only(x):
        if x > 0:  # a symbolic tensor here is an error, as in TF
            return x
        return -x

    with pytest.raises(TypeError, match="bool"):
        tf.function(python_only)(tf.constant(1.0))


def first_above(xs, limit):
    for i in tf.range(tf.shape(xs)[0]):
        if xs[i] > limit:
            return xs[i] * 10.0
    return -1.0


def contains(xs, target):
    for x in xs:
        if x == target:
            return True
    return False


def last_double(n):
    i = 0
    while i < n:
        tmp = i * 2
        i += 1
    return tmp


@pytest.mark.parametrize(
    "fn,inputs",
    [
        (first_above, [([1.0, 3.0, 5.0], 2.0), ([1.0, 1.0, 1.0], 2.0)]),
        (contains, [([1, 2, 3], 2), ([1, 2, 3], 7)]),
        (last_double, [(4,)]),
    ],
)
def test_return_and_loop_local_values_after_a_tensor_loop(fn, inputs):
    # TensorFlow rejects some of these (a return inside a tensor loop); ndflow learns the
    # value's dtype by tracing the body once more and carries it through the loop.
    traced = tf.function(fn)
    for args in inputs:
        args = [tf.constant(a) for a in args]
        np.testing.assert_allclose(np.asarray(traced(*args)), np.asarray(fn(*args)))
