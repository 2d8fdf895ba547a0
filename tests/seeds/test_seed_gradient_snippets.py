"""The seeds' gradient clipping and accumulation snippets and their `tf.function`
train_step give TensorFlow's numbers from the same weights and data."""

from __future__ import annotations

import numpy as np
import pytest

import ndflow as nd


def _run(tf, x_np, y_np, w0, b0):
    model = tf.keras.layers.Dense(1)
    model.build((None, 1))
    model.set_weights([w0, b0])
    optimizer = tf.keras.optimizers.SGD()
    loss_fn = tf.keras.losses.MeanSquaredError()
    x_train, y_train = tf.constant(x_np), tf.constant(y_np)

    @tf.function
    def train_step(x, y):
        with tf.GradientTape() as tape:
            predictions = model(x)
            loss = loss_fn(y, predictions)
        gradients = tape.gradient(loss, model.trainable_variables)
        optimizer.apply_gradients(zip(gradients, model.trainable_variables))
        return loss

    losses = [float(train_step(x_train, y_train)) for _ in range(5)]

    # Gradient clipping.
    with tf.GradientTape() as tape:
        loss = loss_fn(y_train, model(x_train))
    grads = tape.gradient(loss, model.trainable_variables)
    clipped_grads = [tf.clip_by_norm(g, 1.0) for g in grads]
    optimizer.apply_gradients(zip(clipped_grads, model.trainable_variables))

    # Gradient accumulation.
    gradients_accum = [tf.zeros_like(var) for var in model.trainable_variables]
    for _ in range(3):
        with tf.GradientTape() as tape:
            preds = model(x_train)
            loss = loss_fn(y_train, preds)
        gradients = tape.gradient(loss, model.trainable_variables)
        gradients_accum = [accum + grad for accum, grad in zip(gradients_accum, gradients)]
    optimizer.apply_gradients(zip(gradients_accum, model.trainable_variables))
    return losses, [w.numpy() for w in model.trainable_variables]


def _data():
    rng = np.random.default_rng(5)
    x = rng.standard_normal((100, 1)).astype(np.float32)
    y = (3 * x + rng.standard_normal((100, 1))).astype(np.float32)
    return x, y, np.array([[0.5]], np.float32), np.array([0.1], np.float32)


def test_training_snippets_reduce_the_loss():
    losses, weights = _run(nd, *_data())
    assert losses == sorted(losses, reverse=True)
    assert weights[0].shape == (1, 1) and weights[1].shape == (1,)


@pytest.mark.parity
def test_training_snippets_match_tensorflow(real_tf):
    ours_l, ours_w = _run(nd, *_data())
    theirs_l, theirs_w = _run(real_tf, *_data())
    np.testing.assert_allclose(ours_l, theirs_l, rtol=1e-5)
    for a, b in zip(ours_w, theirs_w):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
