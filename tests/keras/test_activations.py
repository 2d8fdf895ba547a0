"""`keras.activations`: values and gradients against tf.keras, get/serialize/deserialize."""

from __future__ import annotations

import numpy as np
import pytest
from harness.op_check import check_grads

import ndflow as tf

A = tf.keras.activations
NAMES = [
    "relu",
    "sigmoid",
    "softmax",
    "tanh",
    "elu",
    "selu",
    "gelu",
    "softplus",
    "softsign",
    "swish",
    "silu",
    "exponential",
    "linear",
    "leaky_relu",
    "relu6",
    "hard_sigmoid",
    "log_softmax",
    "mish",
]
X = np.array([[-3.0, -0.5, 0.0, 0.7, 2.5, 7.0]], "float32")


@pytest.mark.parametrize("name", NAMES)
def test_activation_by_name_has_finite_difference_gradient(name):
    fn = A.get(name)
    assert A.get(fn) is fn
    x64 = np.array([[-2.1, -0.4, 0.3, 1.2, 2.6]])
    check_grads(lambda t: fn(t), [x64], rtol=1e-4, atol=1e-6)


@pytest.mark.parity
@pytest.mark.parametrize("name", NAMES)
def test_activation_matches_tf_keras(real_tf, name):
    ours = A.get(name)(tf.constant(X)).numpy()
    theirs = real_tf.keras.activations.get(name)(real_tf.constant(X)).numpy()
    np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=1e-6)
    assert A.serialize(A.get(name)) == real_tf.keras.activations.serialize(
        real_tf.keras.activations.get(name)
    )


@pytest.mark.parity
def test_relu_options_match_tf_keras(real_tf):
    kw = {"negative_slope": 0.1, "max_value": 2.0, "threshold": 0.5}
    np.testing.assert_allclose(
        A.relu(tf.constant(X), **kw).numpy(),
        real_tf.keras.activations.relu(real_tf.constant(X), **kw).numpy(),
        rtol=1e-6,
    )


def test_get_none_unknown_and_deserialize():
    assert A.get(None) is A.linear
    with pytest.raises(
        ValueError, match="Could not interpret activation function identifier: nope"
    ):
        A.get("nope")
    assert A.deserialize("relu") is A.relu
    assert A.serialize(A.swish) == "silu"
