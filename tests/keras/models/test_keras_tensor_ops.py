"""Arithmetic on KerasTensors builds operation nodes, as in Keras 3: the same summary,
the same `model.layers`, the same outputs."""

from __future__ import annotations

import json

import numpy as np
import pytest

import ndflow as nd


def _build(tf):
    tf.keras.backend.clear_session()
    inputs = tf.keras.Input(shape=(4,))
    x = inputs / 255.0
    y = x + inputs
    z = 2.0 * y - 1.0
    v = -(z**2)
    out = tf.keras.layers.Dense(2)(v)
    return tf.keras.Model(inputs, out)


def _summary(model):
    lines = []
    model.summary(print_fn=lambda line, *a, **k: lines.append(line))
    return "\n".join(lines)


def test_operations_compute_and_train():
    model = _build(nd)
    a = np.arange(12, dtype=np.float32).reshape(3, 4)
    dense = model.layers[-1]
    expected = -((2 * (a / 255 + a) - 1) ** 2) @ dense.kernel.numpy() + dense.bias.numpy()
    np.testing.assert_allclose(model(a).numpy(), expected, rtol=1e-5)
    assert [type(layer).__name__ for layer in model.layers] == ["InputLayer", "Dense"]
    model.compile(optimizer="sgd", loss="mse")
    before = dense.kernel.numpy().copy()
    model.fit(a, np.zeros((3, 2), np.float32), epochs=1, verbose=0)
    assert not np.allclose(before, dense.kernel.numpy())


@pytest.mark.parity
def test_summary_layers_and_outputs_match_keras(real_tf):
    ours, theirs = _build(nd), _build(real_tf)
    assert _summary(ours) == _summary(theirs)
    assert [layer.name for layer in ours.layers] == [layer.name for layer in theirs.layers]
    ours.set_weights(theirs.get_weights())
    a = np.random.default_rng(0).random((3, 4)).astype(np.float32)
    np.testing.assert_allclose(ours(a).numpy(), theirs(a).numpy(), rtol=1e-5)


@pytest.mark.parity
def test_get_config_writes_operations_as_keras_does(real_tf):
    def ops(model):
        config = json.loads(json.dumps(model.get_config()))
        return [e for e in config["layers"] if (e["module"] or "").startswith("keras.src.ops")]

    ours, theirs = ops(_build(nd)), ops(_build(real_tf))
    assert [e["class_name"] for e in ours] == [
        "TrueDivide",
        "Add",
        "Multiply",
        "Subtract",
        "Power",
        "Negative",
    ]
    assert ours == theirs


def test_operations_round_trip_through_config():
    model = _build(nd)
    clone = nd.keras.Model.from_config(model.get_config())
    clone.set_weights(model.get_weights())
    a = np.arange(12, dtype=np.float32).reshape(3, 4)
    np.testing.assert_allclose(clone(a).numpy(), model(a).numpy(), rtol=1e-6)
