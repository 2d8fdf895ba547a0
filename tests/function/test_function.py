"""tf.function: tracing, cache keys, signatures, variables, gradients, tf.print, config."""

from __future__ import annotations

import logging
import sys

import numpy as np
import pytest

import ndflow as tf


def test_seed_tracing_example_prints_once_per_signature(capsys):
    @tf.function
    def my_func(x):
        print("Tracing.\n")
        return tf.reduce_sum(x)

    assert int(my_func(tf.constant([31, 1, 4]))) == 36
    assert int(my_func(tf.constant([1, 2, 3]))) == 6
    r = my_func(tf.constant([8.0, 11.8, 14.3], dtype=tf.float32))
    assert r.dtype == tf.float32 and float(r) == pytest.approx(34.1)
    assert capsys.readouterr().out == "Tracing.\n\n" * 2
    assert my_func.experimental_get_tracing_count() == 2


def test_python_scalars_key_by_value_tensors_by_spec():
    @tf.function
    def f(x, k):
        return x * k

    f(tf.constant(1.0), 2.0)
    f(tf.constant(3.0), 2.0)
    assert f.experimental_get_tracing_count() == 1
    f(tf.constant(3.0), 3.0)
    assert f.experimental_get_tracing_count() == 2
    f(tf.constant([3.0]), 3.0)
    assert f.experimental_get_tracing_count() == 3
    f(tf.constant([4.0]), 3.0)
    assert f.experimental_get_tracing_count() == 3


def test_input_signature_with_none_dims_traces_once_and_rejects_mismatch():
    @tf.function(input_signature=[tf.TensorSpec([None], tf.float32)])
    def f(x):
        return x + 1.0

    f(tf.constant([1.0]))
    f(tf.constant([1.0, 2.0, 3.0]))
    assert f.experimental_get_tracing_count() == 1
    with pytest.raises(TypeError, match="Binding inputs to tf.function failed"):
        f(tf.constant([1, 2]))
    cf = f.get_concrete_function()
    assert cf.inputs[0].shape.as_list() == [None]


def test_reduce_retracing_generalizes_shapes():
    @tf.function(reduce_retracing=True)
    def f(x):
        return tf.reduce_sum(x)

    for n in range(1, 6):
        f(tf.constant(np.ones(n, np.float32)))
    assert f.experimental_get_tracing_count() == 2


def test_retracing_warning_names_the_function(caplog):
    @tf.function
    def often(x):
        return x

    with caplog.at_level(logging.WARNING, logger="ndflow"):
        for i in range(8):
            often(i)
    msgs = [r.getMessage() for r in caplog.records if "retracing" in r.getMessage()]
    assert len(msgs) == 2
    assert msgs[0].startswith("5 out of the last 5 calls to <function ")
    assert "often" in msgs[0]
    assert "reduce_retracing=True" in msgs[0]


def test_methods_get_a_cache_per_instance():
    class M(tf.Module if hasattr(tf, "Module") else object):
        def __init__(self, k):
            self.k = tf.Variable(k)

        @tf.function
        def __call__(self, x):
            return x * self.k

    a, b = M(2.0), M(3.0)
    assert float(a(tf.constant(1.0))) == 2.0
    assert float(b(tf.constant(1.0))) == 3.0
    assert a.__call__.experimental_get_tracing_count() == 1
    assert b.__call__.experimental_get_tracing_count() == 1


def test_variables_created_on_first_trace_are_lifted_and_later_ones_raise():
    state = {}

    @tf.function
    def f(x):
        if "v" not in state:
            state["v"] = tf.Variable(2.0)
        return x * state["v"]

    assert float(f(tf.constant(3.0))) == 6.0
    assert f.experimental_get_tracing_count() == 2  # TF traces again after creating
    state["v"].assign(4.0)
    assert float(f(tf.constant(3.0))) == 12.0

    @tf.function
    def g(x):
        return tf.Variable(1.0) * x

    with pytest.raises(ValueError, match="singleton tf.Variables created on the first call"):
        g(tf.constant(1.0))


def test_variables_by_reference_tensors_by_value():
    v = tf.Variable(1.0)
    c = tf.constant(1.0)

    @tf.function
    def f():
        return v + c

    assert float(f()) == 2.0
    v.assign(5.0)
    c = tf.constant(100.0)  # noqa: F841 - rebinding does not change the captured value
    assert float(f()) == 6.0


def _quadratic_train(use_function: bool) -> list:
    class Model:
        def __init__(self):
            self.w_q = tf.Variable(1.0)
            self.w_l = tf.Variable(0.5)
            self.b = tf.Variable(-1.0)

        def __call__(self, x):
            return self.w_q * (x**2) + self.w_l * x + self.b

        @property
        def variables(self):
            return [self.w_q, self.w_l, self.b]

    if use_function:
        Model.__call__ = tf.function(Model.__call__)
    m = Model()
    x = tf.constant(np.linspace(-3, 3, 21).astype(np.float32))
    y = x**2 + 2.0 * x - 8.0
    losses = []
    for _ in range(20):
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean(tf.square(m(x) - y))
        grads = tape.gradient(loss, m.variables)
        for g, v in zip(grads, m.variables):
            v.assign_sub(0.01 * g)
        losses.append(float(loss))
    return losses + [float(v.numpy()) for v in m.variables]


def test_seed_quadratic_model_with_function_call_trains_like_eager():
    np.testing.assert_allclose(_quadratic_train(True), _quadratic_train(False), rtol=1e-5)


def test_train_step_with_tape_inside_function_matches_eager():
    def make():
        w = tf.Variable([[0.5], [-0.25]])
        slots: dict = {}

        def step(x, y):
            with tf.GradientTape() as tape:
                loss = tf.reduce_mean(
                    tf.square(tf.reduce_sum(x * tf.reshape(w, [1, 2]), axis=1) - y)
                )
            (g,) = tape.gradient(loss, [w])
            if "m" not in slots:  # an optimizer-style slot, created on the first call
                slots["m"] = tf.Variable(tf.zeros_like(w))
            slots["m"].assign(slots["m"] * 0.9 + g)
            w.assign_sub(0.1 * slots["m"])
            return loss

        return w, step

    x = tf.constant([[1.0, 2.0], [3.0, -1.0], [0.5, 0.5]])
    y = tf.constant([1.0, 2.0, 0.0])
    w1, s1 = make()
    w2, s2 = make()
    s2 = tf.function(s2)
    l1 = [float(s1(x, y)) for _ in range(5)]
    l2 = [float(s2(x, y)) for _ in range(5)]
    np.testing.assert_allclose(l1, l2, rtol=1e-6)
    np.testing.assert_allclose(w1.numpy(), w2.numpy(), rtol=1e-6)


def test_tape_outside_function_matches_finite_differences_and_second_order():
    @tf.function
    def f(x):
        return tf.reduce_sum(x * x * x)

    x = tf.constant([1.0, -2.0], dtype=tf.float64)
    with tf.GradientTape() as t2:
        t2.watch(x)
        with tf.GradientTape() as t1:
            t1.watch(x)
            y = f(x)
        g = t1.gradient(y, x)
    np.testing.assert_allclose(g.numpy(), 3 * x.numpy() ** 2)
    np.testing.assert_allclose(t2.gradient(g, x).numpy(), 6 * x.numpy())


def test_tf_print_runs_every_call_python_print_only_when_tracing(capsys):
    @tf.function
    def f(x):
        print("python")
        tf.print("value:", x, output_stream=sys.stdout)
        return x

    f(tf.constant([1.5, 2.0]))
    f(tf.constant([3.0, 4.0]))
    assert capsys.readouterr().out == "python\nvalue: [1.5 2]\nvalue: [3 4]\n"


def test_tf_print_formats_like_tensorflow(capsys):
    tf.print(
        tf.constant(list(range(10))),
        tf.constant([[1, 2], [3, 4]]),
        tf.constant(1.0 / 3),
        tf.constant(True),
        "s",
        tf.constant("t"),
        [1, tf.constant(2)],
        {"a": tf.constant(1.0)},
    )
    assert capsys.readouterr().err == (
        "[0 1 2 ... 7 8 9] [[1 2]\n [3 4]] 0.333333343 1 s \"t\" [1, 2] {'a': 1}\n"
    )


def test_run_functions_eagerly_runs_plain_python():
    seen = []

    @tf.function
    def f(x):
        seen.append(tf.executing_eagerly())
        return x + 1

    tf.config.run_functions_eagerly(True)
    try:
        assert tf.config.functions_run_eagerly()
        f(tf.constant(1))
        f(tf.constant(1))
    finally:
        tf.config.run_functions_eagerly(False)
    f(tf.constant(1))
    assert seen == [True, True, False]
    assert f.experimental_get_tracing_count() == 1


def test_concrete_function_api():
    @tf.function
    def f(a, b=2, *, c=3):
        return {"x": a + 1.0, "y": [a]}

    cf = f.get_concrete_function(tf.TensorSpec([2], tf.float32, name="zz"), 2.0, c=1)
    text = cf.pretty_printed_signature()
    assert "a (POSITIONAL_OR_KEYWORD): TensorSpec(shape=(2,), dtype=tf.float32, name='zz')" in text
    assert "b (POSITIONAL_OR_KEYWORD): Literal[2.0]" in text
    assert "c (KEYWORD_ONLY): Literal[1]" in text
    assert cf.outputs[0].name.startswith("Identity")
    assert isinstance(cf.graph, tf.Graph)
    out = cf(tf.constant([1.0, 2.0]))
    np.testing.assert_allclose(out["x"].numpy(), [2.0, 3.0])


def test_config_device_stubs():
    assert [d.device_type for d in tf.config.list_physical_devices("CPU")] == ["CPU"]
    assert tf.config.list_physical_devices("GPU") == []
    tf.config.experimental.set_memory_growth("GPU:0", True)
    tf.config.optimizer.set_jit(True)


def test_jit_compile_and_init_scope_are_accepted():
    @tf.function(jit_compile=True)
    def f(x):
        with tf.init_scope():
            assert tf.executing_eagerly()
        return x * 2

    assert int(f(tf.constant(2))) == 4


@pytest.mark.parity
def test_parity_seed_tracing_example_output_and_counts(real_tf, tmp_path):
    script = (
        "import sys\n"
        "@tf.function\n"
        "def my_func(x):\n"
        "  print('Tracing.\\n')\n"
        "  return tf.reduce_sum(x)\n"
        "print(my_func(tf.constant([31, 1, 4])))\n"
        "print(my_func(tf.constant([8.0, 11.8, 14.3], dtype=tf.float32)))\n"
        "print(my_func(tf.constant([1.0, 2.0, 3.0])))\n"
        "print(my_func.experimental_get_tracing_count())\n"
    )
    ours = {}
    exec(compile("import ndflow as tf\n" + script, "seed", "exec"), ours)  # noqa: S102
    import io
    from contextlib import redirect_stdout

    results = []
    for lib in ("ndflow", "tensorflow"):
        buf = io.StringIO()
        with redirect_stdout(buf):
            exec(compile(f"import {lib} as tf\n" + script, "seed", "exec"), {})  # noqa: S102
        results.append(buf.getvalue())
    assert results[0] == results[1]


def test_tape_outside_uses_the_values_the_forward_pass_read():
    v = tf.Variable(2.0)

    @tf.function
    def f(x):
        y = v * x
        v.assign_add(10.0)  # after the read: the gradient must use the old value
        return y

    x = tf.constant(3.0)
    with tf.GradientTape() as t:
        t.watch(x)
        y = f(x)
    gx, gv = t.gradient(y, [x, v])
    assert float(y) == 6.0 and float(gx) == 2.0 and float(gv) == 3.0


def test_function_called_inside_another_trace_is_one_call_node():
    inner = tf.function(lambda x: x + 1.0)

    @tf.function
    def outer(x):
        return inner(x) * 2.0

    assert float(outer(tf.constant(1.0))) == 4.0
    types = [n.type for n in outer.get_concrete_function(tf.constant(1.0)).graph.get_operations()]
    assert "PartitionedCall" in types


@pytest.mark.parity
def test_parity_retracing_warning_wording_and_counts(real_tf, caplog):
    import re

    texts = []
    for lib, logger in ((tf, "ndflow"), (real_tf, "tensorflow")):
        caplog.clear()

        @lib.function
        def often(x):
            return x

        with caplog.at_level(logging.WARNING, logger=logger):
            for i in range(8):
                often(i)
        msgs = [r.getMessage() for r in caplog.records if "retracing" in r.getMessage()]
        texts.append([re.sub(r" at 0x[0-9a-f]+", "", m) for m in msgs])
        assert often.experimental_get_tracing_count() == 8
    assert texts[0] == texts[1]


@pytest.mark.parity
def test_parity_tf_print_format(real_tf, capfd):
    def emit(lib):
        lib.print(
            lib.constant([1.5, 2.0, 3.25]),
            lib.constant(3),
            "hi",
            lib.constant([[1, 2, 3], [4, 5, 6]]),
            lib.constant(list(range(10))),
            lib.constant(1.0 / 3),
            lib.constant(1e-8),
            lib.constant(123456789.0),
            lib.constant("s"),
            [1, lib.constant(2)],
            2.5,
        )
        lib.print(lib.constant(list(range(10))), summarize=-1)
        lib.print(lib.constant(np.zeros((3, 2, 2), np.int32)))

    emit(real_tf)
    want = capfd.readouterr().err
    emit(tf)
    got = capfd.readouterr().err
    assert got == want


def _tracing_scenarios(lib) -> list:
    out = []

    @lib.function
    def f(x, k=1, *, flag=False):
        return x * 2

    f(lib.constant(1.0))
    f(lib.constant(2.0))
    f(lib.constant(1.0), 1)
    f(lib.constant(1.0), k=1)
    out.append(f.experimental_get_tracing_count())
    f(lib.constant(1.0), 1.0)  # equal Python values share a trace
    f(lib.constant(1.0), True)
    out.append(f.experimental_get_tracing_count())
    f(lib.constant(1.0), flag=True)
    out.append(f.experimental_get_tracing_count())
    f(np.array([1.0, 2.0], np.float32))
    f(lib.constant([3.0, 2.0]))  # a NumPy array keys like a tensor of its spec
    out.append(f.experimental_get_tracing_count())

    @lib.function(reduce_retracing=True)
    def g(x):
        return x

    for n in range(1, 6):
        g(lib.constant(np.ones(n, np.float32)))
    g(lib.constant(np.ones((2, 2), np.float32)))
    g(lib.constant(np.ones((3, 2), np.float32)))
    out.append(g.experimental_get_tracing_count())

    @lib.function
    def h(d):
        return d["a"] + d["b"]

    h({"a": lib.constant(1.0), "b": lib.constant(2.0)})
    h({"b": lib.constant(1.0), "a": lib.constant(2.0)})
    out.append(h.experimental_get_tracing_count())
    return out


@pytest.mark.parity
def test_parity_tracing_counts(real_tf):
    assert _tracing_scenarios(tf) == _tracing_scenarios(real_tf)


def test_concrete_function_binds_positional_and_keyword_arguments():
    @tf.function
    def f(a, b, scale=2.0):
        return (a - b) * scale

    cf = f.get_concrete_function(tf.TensorSpec([], tf.float32), tf.TensorSpec([], tf.float32))
    assert float(cf(tf.constant(5.0), tf.constant(1.0))) == 8.0
    assert float(cf(b=tf.constant(5.0), a=tf.constant(1.0))) == -8.0
    with pytest.raises(TypeError):
        cf(tf.constant(1.0))
    with pytest.raises(TypeError, match="Can not cast"):
        cf(tf.constant(1), tf.constant(2))


def test_positional_calls_bind_like_the_signature():
    # Calls passing every parameter positionally skip inspect's binding; the others bind
    # as before. Both reach the same trace and the same values.
    @tf.function
    def f(x, y=2.0):
        return x * y

    a = tf.constant([1.0, 3.0])
    np.testing.assert_array_equal(f(a, 2.0).numpy(), [2.0, 6.0])
    np.testing.assert_array_equal(f(a).numpy(), [2.0, 6.0])
    np.testing.assert_array_equal(f(x=a, y=2.0).numpy(), [2.0, 6.0])
    assert f.experimental_get_tracing_count() == 1
    np.testing.assert_array_equal(f(a, 3.0).numpy(), [3.0, 9.0])
    assert f.experimental_get_tracing_count() == 2
    with pytest.raises(TypeError, match="Binding inputs to tf.function failed"):
        f(a, 2.0, 5.0)

    class M:
        @tf.function
        def g(self, x):
            return x + 1.0

    m = M()
    np.testing.assert_array_equal(m.g(a).numpy(), [2.0, 4.0])

    @tf.function
    def h(*xs):
        return xs[0] + xs[1]

    np.testing.assert_array_equal(h(a, a).numpy(), [2.0, 6.0])
