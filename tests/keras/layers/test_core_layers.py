"""Core layers through `layer_check` (build, call, config, training step, tf.keras parity)."""

from __future__ import annotations

import numpy as np
import pytest
from harness.layer_check import layer_check

import ndflow as tf

L = tf.keras.layers

CASES = [
    (L.Dense, {"units": 4}, (2, 3), "float32", (2, 4)),
    (
        L.Dense,
        {"units": 2, "activation": "relu", "use_bias": False},
        (2, 5, 3),
        "float32",
        (2, 5, 2),
    ),
    (
        L.Dense,
        {"units": 3, "activation": "tanh", "kernel_regularizer": "l2"},
        (2, 3),
        "float32",
        (2, 3),
    ),
    (L.Activation, {"activation": "softmax"}, (2, 4), "float32", (2, 4)),
    (L.Activation, {"activation": "gelu"}, (2, 4), "float32", (2, 4)),
    (L.Identity, {}, (2, 4), "float32", (2, 4)),
    (L.Embedding, {"input_dim": 6, "output_dim": 3}, (2, 5), "int32", (2, 5, 3)),
    (L.Embedding, {"input_dim": 6, "output_dim": 3, "mask_zero": True}, (2, 5), "int32", (2, 5, 3)),
    (L.Masking, {"mask_value": 0.0}, (2, 3, 4), "float32", (2, 3, 4)),
    (L.Flatten, {}, (2, 3, 4), "float32", (2, 12)),
    (L.Reshape, {"target_shape": (2, -1)}, (2, 3, 4), "float32", (2, 2, 6)),
    (L.Permute, {"dims": (2, 1)}, (2, 3, 4), "float32", (2, 4, 3)),
    (L.RepeatVector, {"n": 3}, (2, 4), "float32", (2, 3, 4)),
    (L.Dropout, {"rate": 0.5}, (2, 4), "float32", (2, 4)),
    (L.GaussianNoise, {"stddev": 0.1}, (2, 4), "float32", (2, 4)),
    (L.SpatialDropout2D, {"rate": 0.3}, (2, 4, 4, 3), "float32", (2, 4, 4, 3)),
    (L.ActivityRegularization, {"l1": 0.01, "l2": 0.02}, (2, 4), "float32", (2, 4)),
]


@pytest.mark.parametrize(
    "cls,kwargs,shape,dtype,out", CASES, ids=[f"{c[0].__name__}-{i}" for i, c in enumerate(CASES)]
)
def test_layer_check(cls, kwargs, shape, dtype, out):
    layer_check(cls, kwargs, shape, dtype, out)


@pytest.mark.parity
@pytest.mark.parametrize(
    "cls,kwargs,shape,dtype,out", CASES, ids=[f"{c[0].__name__}-{i}" for i, c in enumerate(CASES)]
)
def test_layer_parity(real_tf, cls, kwargs, shape, dtype, out):
    layer_check(cls, kwargs, shape, dtype, out, real_tf=real_tf)


def test_lambda_layer_round_trips_and_needs_unsafe_mode_for_lambdas():
    layer = layer_check(L.Lambda, {"function": lambda x: x * 2.0}, (2, 3), train=False)
    cfg = tf.keras.layers.serialize(layer)
    with pytest.raises(ValueError, match="safe_mode"):
        tf.keras.layers.deserialize(cfg)
    again = L.Lambda.from_config(layer.get_config(), safe_mode=False)
    np.testing.assert_allclose(again(np.ones((1, 2), "float32")).numpy(), [[2.0, 2.0]])


def test_dense_rejects_bad_units_with_keras_wording():
    with pytest.raises(ValueError, match=r"expected a positive integer. Received: units=-3"):
        L.Dense(-3)


def test_dropout_only_drops_when_training_and_honours_seed():
    x = np.ones((50, 20), "float32")
    d = L.Dropout(0.5, seed=3)
    np.testing.assert_array_equal(d(x).numpy(), x)
    y = d(x, training=True).numpy()
    assert set(np.unique(y)) <= {0.0, 2.0} and 0 < (y == 0).mean() < 1
    y2 = L.Dropout(0.5, seed=3)(x, training=True).numpy()
    np.testing.assert_array_equal(y, y2)


def test_embedding_mask_zero_sets_mask_and_compute_mask():
    e = L.Embedding(5, 2, mask_zero=True)
    ids = tf.constant([[0, 1, 2, 0]])
    np.testing.assert_array_equal(e.compute_mask(ids).numpy(), [[False, True, True, False]])
    pooled = L.GlobalAveragePooling1D()(e(ids))
    vecs = e.embeddings.numpy()
    np.testing.assert_allclose(pooled.numpy()[0], (vecs[1] + vecs[2]) / 2, rtol=1e-6)


def test_activity_regularization_loss_divides_by_batch():
    layer = L.ActivityRegularization(l1=0.1)
    layer(np.ones((2, 3), "float32"))
    assert len(layer.losses) == 1
    np.testing.assert_allclose(float(layer.losses[0]), 0.1 * 6 / 2, rtol=1e-6)
