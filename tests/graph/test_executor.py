"""Graph building and the executor: static shapes, pruning, folding, CSE, buffer release,
stateful order and error messages."""

from __future__ import annotations

import numpy as np
import pytest

import ndflow as tf
from ndflow._src.core.context import graph_scope
from ndflow._src.graph import executor
from ndflow._src.graph.executor import Plan
from ndflow._src.graph.func_graph import call_function, trace_graph_function
from ndflow._src.graph.graph import Graph, SymbolicTensor


def _run_hooked(plan: Plan, args: list) -> list:
    seen: list = []

    def hook(node, slots):
        seen.append((node.type, sum(s is not None for s in slots)))

    executor.step_hooks.append(hook)
    try:
        plan.run(args)
    finally:
        executor.step_hooks.remove(hook)
    return seen


def test_symbolic_tensor_has_static_shape_name_op_and_graph():
    g = Graph("g")
    with graph_scope(g):
        x = g.add_input(tf.float32, (None, 3), "x")
        y = tf.reduce_sum(x * 2.0, axis=1)
    assert isinstance(y, SymbolicTensor)
    assert y.shape.as_list() == [None]
    assert y.name == "Sum:0"
    assert y.op.type == "Sum"
    assert y.graph is g
    assert x.dtype == tf.float32
    with pytest.raises(NotImplementedError, match="symbolic"):
        y.numpy()


def test_dynamic_shape_of_unknown_dims_is_known_at_run_time():
    g = Graph("g")
    with graph_scope(g):
        x = g.add_input(tf.float32, (None, 3), "x")
        s = tf.shape(x)
    assert s.shape.as_list() == [2]
    assert tf.get_static_value(s) is None
    out = Plan(g, [x], [s]).run([np.zeros((5, 3), np.float32)])[0]
    np.testing.assert_array_equal(out, [5, 3])


def test_shape_of_fully_known_tensor_is_static():
    g = Graph("g")
    with graph_scope(g):
        x = g.add_input(tf.float32, (4, 3), "x")
        s = tf.shape(x)
    np.testing.assert_array_equal(tf.get_static_value(s), [4, 3])


def test_bad_shapes_while_tracing_raise_value_error_naming_the_node():
    g = Graph("g")
    with graph_scope(g):
        x = g.add_input(tf.float32, (2, 3), "x")
        y = g.add_input(tf.float32, (4,), "y")
        with pytest.raises(ValueError, match=r"node AddV2.*input shapes: \[2,3\], \[4\]"):
            x + y


def test_pruning_skips_an_unused_op():
    g = Graph("g")
    with graph_scope(g):
        x = g.add_input(tf.float32, (3,), "x")
        tf.square(x)  # unused
        y = x + 1.0
    plan = Plan(g, [x], [y])
    ran = [t for t, _ in _run_hooked(plan, [np.ones(3, np.float32)])]
    assert "Square" not in ran
    assert ran == ["AddV2"]
    assert plan.stats["pruned"] >= 1


def test_common_subexpressions_are_merged():
    g = Graph("g")
    with graph_scope(g):
        x = g.add_input(tf.float32, (3,), "x")
        a = x * 2.0
        b = x * 2.0
        y = a + b
    plan = Plan(g, [x], [y])
    assert plan.stats["merged"] == 1
    ran = [t for t, _ in _run_hooked(plan, [np.ones(3, np.float32)])]
    assert ran.count("Mul") == 1
    np.testing.assert_allclose(plan.run([np.ones(3, np.float32)])[0], [4, 4, 4])


def test_constants_are_folded_at_compile_time():
    big = tf.constant(np.arange(5000, dtype=np.float32))
    g = Graph("g")
    with graph_scope(g):
        x = g.add_input(tf.float32, (5000,), "x")
        c = tf.square(big) * 2.0  # all-constant, too big to fold while tracing
        y = x + c
    plan = Plan(g, [x], [y])
    assert plan.stats["folded"] >= 2
    ran = [t for t, _ in _run_hooked(plan, [np.zeros(5000, np.float32)])]
    assert ran == ["AddV2"]
    np.testing.assert_allclose(plan.run([np.zeros(5000, np.float32)])[0][3], 18.0)


def test_buffers_are_released_after_last_use():
    g = Graph("g")
    with graph_scope(g):
        x = g.add_input(tf.float32, (3,), "x")
        y = x
        for _ in range(6):
            y = tf.square(y) + 0.0
    plan = Plan(g, [x], [y])
    live = [n for _, n in _run_hooked(plan, [np.ones(3, np.float32)])]
    # A chain keeps O(1) buffers alive (input, constant, current), not one per step.
    assert max(live) <= 4
    assert len(live) == 12


def test_stateful_ops_run_in_program_order():
    v = tf.Variable(1.0)

    def f():
        v.assign(5.0)
        a = v.read_value()
        v.assign_add(1.0)
        return a, v.read_value()

    gf, _ = trace_graph_function(f, [])
    a, b = call_function(gf, [])
    assert float(a) == 5.0 and float(b) == 6.0
    assert float(v.numpy()) == 6.0


def test_unused_stateful_op_still_runs():
    v = tf.Variable(0.0)

    def f(x):
        v.assign_add(1.0)
        return x * 2.0

    gf, _ = trace_graph_function(f, [(tf.float32, ())])
    call_function(gf, [tf.constant(1.0)])
    call_function(gf, [tf.constant(1.0)])
    assert float(v.numpy()) == 2.0


def test_run_time_error_names_op_and_user_line():
    @tf.function
    def bad(x, n):
        return tf.reshape(x, n)  # the line the error must name

    with pytest.raises(tf.errors.InvalidArgumentError) as info:
        bad(tf.constant([1.0, 2.0, 3.0]), tf.constant([4]))
    msg = str(info.value)
    assert "Reshape" in msg
    assert "test_executor.py" in msg
    assert "in bad" in msg
    assert "[3]" in msg


def test_trace_time_shape_error_is_value_error():
    @tf.function
    def bad(x):
        return tf.reshape(x, [4])

    with pytest.raises(ValueError, match="Reshape"):
        bad(tf.constant([1.0, 2.0, 3.0]))


_draws = [0]


def _draw_kernel(shape):
    _draws[0] += 1
    return np.full(tuple(shape), float(_draws[0]), np.float32)


def test_random_ops_are_never_folded_or_merged_even_if_registered_stateless():
    from ndflow._src.framework.execute import execute
    from ndflow._src.framework.op_registry import _OPS, register_op

    if "TestRandomDraw" not in _OPS:
        register_op("TestRandomDraw", _draw_kernel, lambda inputs, attrs: [((2,), tf.float32)])
    f = tf.function(
        lambda: (
            execute("TestRandomDraw", (tf.constant([2]),)),
            execute("TestRandomDraw", (tf.constant([2]),)),
        )
    )
    a1, b1 = f()
    a2, _ = f()
    assert a1.numpy()[0] != b1.numpy()[0]
    assert a2.numpy()[0] != a1.numpy()[0]


# ---------------------------------------------------------------------------- fusion and
# buffer donation (nn_ops.FUSED_KERNELS / INPLACE_KERNELS)


def _conv_net_grads(x0, w0, b0, v0):
    """A small conv layer + dense head with its gradients, as one plan's outputs."""
    g = Graph("net")
    with graph_scope(g):
        x = g.add_input(tf.float32, x0.shape, "x")
        w = g.add_input(tf.float32, w0.shape, "w")
        b = g.add_input(tf.float32, b0.shape, "b")
        v = g.add_input(tf.float32, v0.shape, "v")
        with tf.GradientTape() as tape:
            tape.watch([w, b, v])
            h = tf.nn.relu(tf.nn.bias_add(tf.nn.conv2d(x, w, 1, "VALID"), b))
            h = tf.nn.max_pool2d(h, 2, 2, "VALID")
            logits = tf.matmul(tf.reshape(h, [x0.shape[0], -1]), v)
            loss = tf.reduce_mean(tf.nn.relu(logits) ** 2)
        grads = tape.gradient(loss, [w, b, v])
    plan = Plan(g, [x, w, b, v], [loss, *grads])
    return plan, plan.run([x0, w0, b0, v0])


def _conv_net_inputs():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 18, 18, 3)).astype(np.float32)  # 16x16x16 activations:
    # big enough for the numba kernels
    w = rng.standard_normal((3, 3, 3, 16)).astype(np.float32)
    b = rng.standard_normal(16).astype(np.float32)
    v = (rng.standard_normal((8 * 8 * 16, 5)) / 8).astype(np.float32)
    return x, w, b, v


def test_fusion_and_donation_give_the_same_results(monkeypatch, kernels):
    inputs = _conv_net_inputs()
    copies = [a.copy() for a in inputs]
    plan, fast = _conv_net_grads(*inputs)
    assert plan.stats["fused"] >= 1  # BiasAdd -> Relu
    assert plan.stats["donating"] >= 2  # ReluGrad, the fused BiasAdd+Relu, ...
    monkeypatch.setattr(executor, "fusion_enabled", False)
    monkeypatch.setattr(executor, "donation_enabled", False)
    plan, slow = _conv_net_grads(*inputs)
    assert plan.stats["fused"] == plan.stats["donating"] == 0
    for a, b in zip(fast, slow):
        np.testing.assert_array_equal(a, b)
    for a, b in zip(inputs, copies):  # the caller's arrays are never written
        np.testing.assert_array_equal(a, b)


def test_fused_step_matches_finite_differences(kernels):
    x, w, b, v = (a.astype(np.float64) for a in _conv_net_inputs())

    def loss(w_, b_):
        y = np.zeros((2, 16, 16, 16))
        for i in range(3):
            for j in range(3):
                y += np.einsum("nhwc,co->nhwo", x[:, i : i + 16, j : j + 16], w_[i, j])
        h = np.maximum(y + b_, 0).reshape(2, 8, 2, 8, 2, 16).max(axis=(2, 4))
        return np.mean(np.maximum(h.reshape(2, -1) @ v, 0) ** 2)

    f32 = [a.astype(np.float32) for a in (x, w, b, v)]
    _, (_, dw, db, _) = _conv_net_grads(*f32)
    eps = 1e-4
    for idx in [(0, 0, 0, 0), (1, 2, 1, 5), (2, 1, 2, 15)]:
        wp, wm = w.copy(), w.copy()
        wp[idx] += eps
        wm[idx] -= eps
        np.testing.assert_allclose(dw[idx], (loss(wp, b) - loss(wm, b)) / (2 * eps), rtol=2e-3)
    for k in (0, 7):
        bp, bm = b.copy(), b.copy()
        bp[k] += eps
        bm[k] -= eps
        np.testing.assert_allclose(db[k], (loss(w, bp) - loss(w, bm)) / (2 * eps), rtol=2e-3)


def test_a_kept_intermediate_is_neither_fused_nor_overwritten():
    g = Graph("g")
    with graph_scope(g):
        x = g.add_input(tf.float32, (64, 128), "x")
        b = g.add_input(tf.float32, (128,), "b")
        h = tf.nn.bias_add(x * 1.0, b)
        y = tf.nn.relu(h)
    plan = Plan(g, [x, b], [h, y])
    assert plan.stats["fused"] == 0
    rng = np.random.default_rng(0)
    x0, b0 = rng.standard_normal((64, 128)).astype(np.float32), rng.standard_normal(128)
    h_out, y_out = plan.run([x0, b0.astype(np.float32)])
    np.testing.assert_array_equal(h_out, x0 + b0.astype(np.float32))
    np.testing.assert_array_equal(y_out, np.maximum(h_out, 0))


def test_buffers_referenced_elsewhere_are_not_donated():
    v = tf.Variable(np.linspace(-1, 1, 5000, dtype=np.float32))
    before = v.numpy().copy()
    g = Graph("g")
    with graph_scope(g):
        x = g.add_input(tf.float32, (5000,), "x")
        y = tf.nn.relu(tf.identity(x))  # Identity hands the caller's array on
        z = tf.nn.relu(v.read_value())  # the variable's own buffer
    plan = Plan(g, [x], [y, z])
    x0 = np.linspace(-1, 1, 5000, dtype=np.float32)
    x_copy = x0.copy()
    y_out, z_out = plan.run([x0])
    np.testing.assert_array_equal(x0, x_copy)
    np.testing.assert_array_equal(v.numpy(), before)
    np.testing.assert_array_equal(y_out, np.maximum(x_copy, 0))
    np.testing.assert_array_equal(z_out, np.maximum(before, 0))


def _exclusive(make):
    a = make()  # held by one local, as Plan.run holds a donated buffer
    return executor._exclusive(a)


def test_exclusive_checks_references_views_and_writability():
    ok = _exclusive(lambda: np.ones(8))
    assert ok
    ok = _exclusive(lambda: np.ones(8).reshape(2, 4))  # the sole view of a fresh array
    assert ok
    base = np.ones(8)
    assert not _exclusive(lambda: base.reshape(2, 4))  # the base is held elsewhere
    assert not _exclusive(lambda: base)
    assert not _exclusive(lambda: np.ones(8)[::2])  # a part of a larger buffer
    assert not _exclusive(lambda: np.broadcast_to(np.ones(1), (4,)))  # read-only
    assert not _exclusive(lambda: 3.0)


def test_shape_only_inputs_fold_gradient_seeds():
    g = Graph("g")
    with graph_scope(g):
        x = g.add_input(tf.float32, (4, 3), "x")
        with tf.GradientTape() as tape:
            tape.watch(x)
            loss = tf.reduce_mean(tf.reduce_sum(x * x, axis=1))
        dx = tape.gradient(loss, x)
    plan = Plan(g, [x], [dx])
    ran = [t for t, _ in _run_hooked(plan, [np.ones((4, 3), np.float32)])]
    assert "OnesLike" not in ran and "BroadcastLike" not in ran
    x0 = np.arange(12, dtype=np.float32).reshape(4, 3)
    np.testing.assert_allclose(plan.run([x0])[0], 2 * x0 / 4)


def test_shape_only_folding_waits_for_unknown_dims():
    g = Graph("g")
    with graph_scope(g):
        x = g.add_input(tf.float32, (None, 3), "x")
        y = tf.ones_like(x) + x
    plan = Plan(g, [x], [y])
    np.testing.assert_array_equal(plan.run([np.zeros((2, 3), np.float32)])[0], np.ones((2, 3)))


def test_size_shape_and_rank_of_a_fully_known_tensor_fold():
    g = Graph("g")
    with graph_scope(g):
        x = g.add_input(tf.float32, (4, 3), "x")
        y = tf.reduce_sum(x) / tf.cast(tf.size(x), tf.float32)
        s = tf.shape(x)
        r = tf.rank(x)
    plan = Plan(g, [x], [y, s, r])
    ran = [t for t, _ in _run_hooked(plan, [np.ones((4, 3), np.float32)])]
    assert "Size" not in ran and "Shape" not in ran and "Rank" not in ran and "Cast" not in ran
    x0 = np.arange(12, dtype=np.float32).reshape(4, 3)
    got = plan.run([x0])
    assert got[0] == np.float32(66.0) / np.float32(12.0)
    np.testing.assert_array_equal(got[1], [4, 3])
    assert got[1].dtype == np.int32 and got[2] == 2


def test_size_of_an_unknown_dim_runs_at_run_time():
    g = Graph("g")
    with graph_scope(g):
        x = g.add_input(tf.float32, (None, 3), "x")
        n = tf.size(x)
    plan = Plan(g, [x], [n])
    assert plan.run([np.zeros((5, 3), np.float32)])[0] == 15
