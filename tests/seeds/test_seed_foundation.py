"""The eager seed examples (GradientTape, accumulation, clipping, the quadratic model
trained from scratch) give TensorFlow's numbers on the same data."""

from __future__ import annotations

import numpy as np
import pytest

import ndflow as nd


def _quadratic_training(tf, x_np, y_np, init, epochs=150, lr=0.01, batch=32):
    """The seed's training loop with a fixed data order; returns the per-epoch MSE."""
    x, y = tf.constant(x_np), tf.constant(y_np)
    w_q, w_l, b = (tf.Variable(float(v)) for v in init)
    variables = [w_q, w_l, b]

    def model(x):
        return w_q * (x**2) + w_l * x + b

    def mse_loss(y_pred, y):
        return tf.reduce_mean(tf.square(y_pred - y))

    losses = []
    for _ in range(epochs):
        for start in range(0, len(x_np), batch):
            xb, yb = (
                tf.constant(x_np[start : start + batch]),
                tf.constant(y_np[start : start + batch]),
            )
            with tf.GradientTape() as tape:
                batch_loss = mse_loss(model(xb), yb)
            grads = tape.gradient(batch_loss, variables)
            for g, v in zip(grads, variables):
                v.assign_sub(lr * g)
        losses.append(float(mse_loss(model(x), y).numpy()))
    return np.array(losses)


def _data():
    rng = np.random.default_rng(22)
    x = np.linspace(-3, 3, 201).astype(np.float32)
    y = (x**2 + 2 * x - 8 + rng.standard_normal(201)).astype(np.float32)
    return x, y, rng.uniform(0, 5, 3).astype(np.float32)


def test_quadratic_model_trains_to_the_noise_floor():
    x, y, init = _data()
    losses = _quadratic_training(nd, x, y, init)
    assert losses[0] > 5 * losses[-1]
    assert losses[-1] == pytest.approx(np.mean((x**2 + 2 * x - 8 - y) ** 2), rel=0.1)


@pytest.mark.parity
def test_quadratic_model_matches_tensorflow_epoch_by_epoch(real_tf):
    x, y, init = _data()
    ours = _quadratic_training(nd, x, y, init, epochs=30)
    theirs = _quadratic_training(real_tf, x, y, init, epochs=30)
    np.testing.assert_allclose(ours, theirs, rtol=1e-4)


@pytest.mark.parity
def test_tape_watch_example_prints_like_tensorflow(real_tf, capsys):
    for tf in (nd, real_tf):
        x = tf.constant(3.0)
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = x * x
        dy_dx = tape.gradient(y, x)
        print("dy/dx:", dy_dx)
    ours, theirs = capsys.readouterr().out.splitlines()
    assert ours == theirs == "dy/dx: tf.Tensor(6.0, shape=(), dtype=float32)"
