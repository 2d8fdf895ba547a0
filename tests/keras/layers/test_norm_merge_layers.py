"""Normalization and merging layers through `layer_check`, with tf.keras parity."""

from __future__ import annotations

import numpy as np
import pytest
from harness.layer_check import layer_check

import ndflow as tf

L = tf.keras.layers

NORM_CASES = [
    (L.BatchNormalization, {}, (4, 3), {}),
    (L.BatchNormalization, {"axis": 1, "momentum": 0.9}, (4, 3, 2, 2), {"training": True}),
    (L.BatchNormalization, {"center": False}, (4, 5, 3), {"training": True}),
    (L.LayerNormalization, {}, (2, 5), {}),
    (L.LayerNormalization, {"axis": [1, 2], "epsilon": 1e-5}, (2, 3, 4), {}),
    (L.LayerNormalization, {"rms_scaling": True}, (2, 5), {}),
    (L.Normalization, {"mean": 1.0, "variance": 4.0}, (2, 3), {}),
    (
        L.Normalization,
        {"mean": [1.0, 2.0, 3.0], "variance": [1.0, 4.0, 9.0], "invert": True},
        (2, 3),
        {},
    ),
]

MERGE_CASES = [
    (L.Add, {}, [(2, 3), (2, 3)], (2, 3)),
    (L.Add, {}, [(2, 3), (2, 3), (2, 3)], (2, 3)),
    (L.Subtract, {}, [(2, 3), (2, 3)], (2, 3)),
    (L.Multiply, {}, [(2, 3), (2, 3)], (2, 3)),
    (L.Average, {}, [(2, 3), (2, 3)], (2, 3)),
    (L.Maximum, {}, [(2, 3), (2, 3)], (2, 3)),
    (L.Minimum, {}, [(2, 3), (2, 3)], (2, 3)),
    (L.Concatenate, {}, [(2, 3), (2, 4)], (2, 7)),
    (L.Concatenate, {"axis": 1}, [(2, 3, 4), (2, 2, 4)], (2, 5, 4)),
    (L.Dot, {"axes": 1}, [(2, 3), (2, 3)], (2, 1)),
    (L.Dot, {"axes": (2, 2)}, [(2, 3, 4), (2, 5, 4)], (2, 3, 5)),
    (L.Dot, {"axes": 1, "normalize": True}, [(2, 3), (2, 3)], (2, 1)),
]


@pytest.mark.parametrize(
    "cls,kwargs,shape,call_kwargs",
    NORM_CASES,
    ids=[f"{c[0].__name__}-{i}" for i, c in enumerate(NORM_CASES)],
)
def test_norm_layer_check(cls, kwargs, shape, call_kwargs):
    layer_check(cls, kwargs, shape, expected_output_shape=shape, call_kwargs=call_kwargs)


@pytest.mark.parity
@pytest.mark.parametrize(
    "cls,kwargs,shape,call_kwargs",
    NORM_CASES,
    ids=[f"{c[0].__name__}-{i}" for i, c in enumerate(NORM_CASES)],
)
def test_norm_layer_parity(real_tf, cls, kwargs, shape, call_kwargs):
    layer_check(
        cls,
        kwargs,
        shape,
        expected_output_shape=shape,
        call_kwargs=call_kwargs,
        real_tf=real_tf,
        rtol=1e-4,
        atol=1e-4,
    )


@pytest.mark.parametrize(
    "cls,kwargs,shapes,out",
    MERGE_CASES,
    ids=[f"{c[0].__name__}-{i}" for i, c in enumerate(MERGE_CASES)],
)
def test_merge_layer_check(cls, kwargs, shapes, out):
    layer_check(cls, kwargs, shapes, expected_output_shape=out)


@pytest.mark.parity
@pytest.mark.parametrize(
    "cls,kwargs,shapes,out",
    MERGE_CASES,
    ids=[f"{c[0].__name__}-{i}" for i, c in enumerate(MERGE_CASES)],
)
def test_merge_layer_parity(real_tf, cls, kwargs, shapes, out):
    layer_check(
        cls, kwargs, shapes, expected_output_shape=out, real_tf=real_tf, rtol=1e-4, atol=1e-4
    )


def test_batchnorm_moving_stats_update_only_when_training():
    bn = L.BatchNormalization(momentum=0.5)
    x = np.array([[1.0, 2.0], [3.0, 6.0]], "float32")
    bn(x)
    np.testing.assert_array_equal(bn.moving_mean.numpy(), [0.0, 0.0])
    bn(x, training=True)
    np.testing.assert_allclose(bn.moving_mean.numpy(), [1.0, 2.0])
    np.testing.assert_allclose(bn.moving_variance.numpy(), [1.0, 2.5])
    assert [w.name for w in bn.non_trainable_weights] == ["moving_mean", "moving_variance"]
    bn.trainable = False  # frozen: inference mode even with training=True
    bn(x, training=True)
    np.testing.assert_allclose(bn.moving_mean.numpy(), [1.0, 2.0])


def test_normalization_adapt_on_arrays_and_batches():
    data = np.arange(12.0, dtype="float32").reshape(6, 2)
    norm = L.Normalization()
    norm.adapt(data)
    np.testing.assert_allclose(norm.adapt_mean.numpy(), data.mean(0), rtol=1e-6)
    np.testing.assert_allclose(norm.adapt_variance.numpy(), data.var(0), rtol=1e-6)
    out = norm(data).numpy()
    np.testing.assert_allclose(out.mean(0), [0, 0], atol=1e-6)
    batched = L.Normalization()
    batched.adapt([data[:2], data[2:4], data[4:]])
    np.testing.assert_allclose(batched.adapt_mean.numpy(), data.mean(0), rtol=1e-6)
    inv = L.Normalization(invert=True)
    inv.adapt(data)
    np.testing.assert_allclose(inv(out).numpy(), data, rtol=1e-5)


@pytest.mark.parity
def test_normalization_adapt_matches_keras(real_tf):
    data = np.random.default_rng(0).standard_normal((10, 3, 2)).astype("float32")
    ours, theirs = L.Normalization(axis=(1, 2)), real_tf.keras.layers.Normalization(axis=(1, 2))
    ours.adapt(data)
    theirs.adapt(data)
    np.testing.assert_allclose(ours(data).numpy(), theirs(data).numpy(), rtol=1e-4, atol=1e-5)
    assert [w.name for w in ours.weights] == [w.name for w in theirs.weights]


def test_functional_merge_helpers():
    a, b = np.ones((2, 2), "float32"), np.full((2, 2), 3.0, "float32")
    np.testing.assert_allclose(L.add([a, b]).numpy(), a + b)
    np.testing.assert_allclose(L.concatenate([a, b], axis=0).numpy(), np.concatenate([a, b]))
    np.testing.assert_allclose(L.subtract([a, b]).numpy(), a - b)
    np.testing.assert_allclose(L.dot([a, b], axes=1).numpy(), [[6.0], [6.0]])


def test_merge_layer_needs_a_list():
    with pytest.raises(ValueError, match="list"):
        L.Add()(np.ones((2, 2), "float32"))
