"""GradientTape semantics, checked against closed-form derivatives and finite differences."""

from __future__ import annotations

import logging

import numpy as np
import pytest
from harness.op_check import check_grads

import ndflow as tf


def test_seed_watch_example_gives_six():
    x = tf.constant(3.0)
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = x * x
    dy_dx = tape.gradient(y, x)
    assert dy_dx.numpy() == 6.0 and dy_dx.dtype == tf.float32


def test_unwatched_constant_has_no_gradient():
    x = tf.constant(3.0)
    with tf.GradientTape() as tape:
        y = x * x
    assert tape.gradient(y, x) is None


def test_trainable_variables_are_watched_automatically():
    v = tf.Variable(2.0)
    frozen = tf.Variable(5.0, trainable=False)
    with tf.GradientTape() as tape:
        y = v * v * frozen
    gv, gf = tape.gradient(y, [v, frozen])
    assert gv.numpy() == pytest.approx(20.0)
    assert gf is None
    assert tape.watched_variables() == (v,)


def test_watch_accessed_variables_false_needs_explicit_watch():
    v = tf.Variable(2.0)
    w = tf.Variable(3.0)
    with tf.GradientTape(watch_accessed_variables=False) as tape:
        tape.watch(w)
        y = v * w
    gv, gw = tape.gradient(y, [v, w])
    assert gv is None and gw.numpy() == 2.0


def test_second_call_on_non_persistent_tape_raises():
    x = tf.constant(1.0)
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = x * x
    tape.gradient(y, x)
    with pytest.raises(RuntimeError, match="non-persistent GradientTape"):
        tape.gradient(y, x)


def test_persistent_tape_gives_several_gradients():
    x = tf.constant(3.0)
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(x)
        y = x * x
        z = y * y
    assert tape.gradient(z, x).numpy() == pytest.approx(108.0)  # 4x^3
    assert tape.gradient(y, x).numpy() == pytest.approx(6.0)


def test_non_scalar_target_is_summed():
    x = tf.constant([1.0, 2.0, 3.0])
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = x * x
    np.testing.assert_allclose(tape.gradient(y, x).numpy(), [2.0, 4.0, 6.0])


def test_output_gradients_weight_the_target():
    x = tf.constant([1.0, 2.0])
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = x * x
    g = tape.gradient(y, x, output_gradients=tf.constant([10.0, 100.0]))
    np.testing.assert_allclose(g.numpy(), [20.0, 400.0])


def test_nested_structures_of_sources():
    a, b = tf.Variable(1.0), tf.Variable(2.0)
    with tf.GradientTape() as tape:
        y = a * b
    g = tape.gradient(y, {"a": a, "pair": (b, a)})
    assert g["a"].numpy() == 2.0 and g["pair"][0].numpy() == 1.0 and g["pair"][1].numpy() == 2.0


def test_unconnected_gradients_zero():
    x, z = tf.constant([1.0, 2.0]), tf.constant([3.0, 4.0])
    with tf.GradientTape() as tape:
        tape.watch([x, z])
        y = x * 2.0
    g = tape.gradient(y, [x, z], unconnected_gradients=tf.UnconnectedGradients.ZERO)
    np.testing.assert_array_equal(g[1].numpy(), [0.0, 0.0])


def test_integer_source_gives_none_with_warning(caplog):
    x = tf.constant(3)
    with caplog.at_level(logging.WARNING, logger="ndflow"):
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = x * x
        assert tape.gradient(y, x) is None
    assert "must be floating" in caplog.text


def test_broadcast_gradients_sum_to_input_shape():
    x = tf.constant(np.ones((3, 1, 4)))
    y = tf.constant(np.ones((2, 4)))
    with tf.GradientTape() as tape:
        tape.watch([x, y])
        z = x * y
    gx, gy = tape.gradient(z, [x, y])
    assert gx.shape == [3, 1, 4] and gy.shape == [2, 4]
    np.testing.assert_allclose(gx.numpy(), np.full((3, 1, 4), 2.0))
    np.testing.assert_allclose(gy.numpy(), np.full((2, 4), 3.0))


def test_gradient_of_reused_tensor_accumulates():
    check_grads(lambda x: x * x * x + x, [np.array([0.5, -1.5])])


def test_stop_recording_hides_ops():
    x = tf.constant(2.0)
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = x * x
        with tape.stop_recording():
            z = y * y  # not recorded
        w = y + z
    assert tape.gradient(w, x).numpy() == pytest.approx(4.0)


def test_reset_forgets_everything_recorded():
    x = tf.constant(2.0)
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = x * x
        tape.reset()
        tape.watch(x)
        z = x * 3.0
    assert tape.gradient(z, x).numpy() == 3.0
    assert tape.gradient is not None and y.numpy() == 4.0


def test_nested_tapes_give_second_and_third_derivatives():
    x = tf.constant(2.0)
    with tf.GradientTape() as t3:
        t3.watch(x)
        with tf.GradientTape() as t2:
            t2.watch(x)
            with tf.GradientTape() as t1:
                t1.watch(x)
                y = x * x * x
            dy = t1.gradient(y, x)
        d2y = t2.gradient(dy, x)
    d3y = t3.gradient(d2y, x)
    assert dy.numpy() == pytest.approx(12.0)
    assert d2y.numpy() == pytest.approx(12.0)
    assert d3y.numpy() == pytest.approx(6.0)


def test_gradient_through_division_pow_exp_log():
    check_grads(
        lambda a, b: tf.exp(a) / (b * b + 1.0) + tf.math.log(b * b + 1.0) * a**2.0,
        [np.array([0.3, -0.2, 1.1]), np.array([[1.5], [0.7]])],
    )


def test_gradient_of_mean_and_sum_over_axes():
    check_grads(lambda x: tf.reduce_mean(x * x, axis=1), [np.arange(6.0).reshape(2, 3)])
    check_grads(
        lambda x: tf.reduce_sum(x * x, axis=0, keepdims=True), [np.arange(6.0).reshape(2, 3)]
    )


def test_variable_assign_sub_training_loop_converges():
    w = tf.Variable(0.0)
    for _ in range(200):
        with tf.GradientTape() as tape:
            loss = (w - 3.0) * (w - 3.0)
        (g,) = tape.gradient(loss, [w])
        w.assign_sub(0.1 * g)
    assert w.numpy() == pytest.approx(3.0, abs=1e-4)


def test_gradient_accumulation_matches_one_big_batch():
    # The seeds' accumulation pattern: summing per-step gradients with `+`.
    w = tf.Variable([1.0, -2.0])
    xs = [tf.constant([1.0, 2.0]), tf.constant([3.0, -1.0])]
    accum = [tf.zeros_like(w)]
    for x in xs:
        with tf.GradientTape() as tape:
            loss = tf.reduce_sum(w * x) ** 2.0
        accum = [a + g for a, g in zip(accum, tape.gradient(loss, [w]))]
    expected = sum(2 * np.dot([1.0, -2.0], x.numpy()) * x.numpy() for x in xs)
    np.testing.assert_allclose(accum[0].numpy(), expected)


def test_re_entering_an_active_tape_raises():
    tape = tf.GradientTape()
    with tape:
        with pytest.raises(ValueError, match="still recording"):
            tape.__enter__()


def test_watch_rejects_non_tensors():
    with tf.GradientTape() as tape:
        with pytest.raises(ValueError, match="not tf.Tensor"):
            tape.watch("not a tensor")


def test_second_derivative_through_fused_square_gradient():
    def inner_grad(x):
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = tf.reduce_sum(tf.square(x) * x)
        return tape.gradient(y, x)

    check_grads(inner_grad, [np.array([0.5, -1.2, 2.0])])
    check_grads(lambda x, g: tf.square(x) * g, [np.array([0.5, -1.2]), np.array([2.0, 3.0])])


def test_unused_outputs_of_a_multi_output_op_get_constant_zero_gradients():
    # Fused sparse cross entropy's gradient skips its second-order term when the gradient
    # of its backprop output is a known zero: in a traced step no Softmax op remains.
    @tf.function
    def step(logits, labels):
        with tf.GradientTape() as tape:
            tape.watch(logits)
            loss = tf.reduce_mean(
                tf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=logits)
            )
        return tape.gradient(loss, logits)

    logits = tf.constant(np.array([[1.0, 2.0, 0.5]], np.float32))
    g = step(logits, tf.constant([1]))
    p = np.exp(logits.numpy()) / np.exp(logits.numpy()).sum()
    np.testing.assert_allclose(g.numpy(), p - [[0.0, 1.0, 0.0]], rtol=1e-6)
    ops = [
        n.type for n in step.get_concrete_function(logits, tf.constant([1])).graph.get_operations()
    ]
    assert "Softmax" not in ops
