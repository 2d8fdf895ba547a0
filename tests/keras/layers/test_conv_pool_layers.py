"""Convolution, pooling and reshaping-2D layers through `layer_check`, with tf.keras parity."""

from __future__ import annotations

import pytest
from harness.layer_check import layer_check

import ndflow as tf

L = tf.keras.layers

CASES = [
    (L.Conv1D, {"filters": 3, "kernel_size": 2}, (2, 6, 4), (2, 5, 3)),
    (
        L.Conv1D,
        {"filters": 2, "kernel_size": 3, "padding": "causal", "dilation_rate": 2},
        (2, 7, 3),
        (2, 7, 2),
    ),
    (
        L.Conv1D,
        {"filters": 4, "kernel_size": 3, "strides": 2, "padding": "same"},
        (2, 7, 2),
        (2, 4, 4),
    ),
    (L.Conv2D, {"filters": 3, "kernel_size": 3}, (2, 6, 6, 2), (2, 4, 4, 3)),
    (
        L.Conv2D,
        {
            "filters": 4,
            "kernel_size": (2, 3),
            "strides": 2,
            "padding": "same",
            "activation": "relu",
        },
        (2, 7, 7, 2),
        (2, 4, 4, 4),
    ),
    (L.Conv2D, {"filters": 2, "kernel_size": 3, "dilation_rate": 2}, (1, 7, 7, 3), (1, 3, 3, 2)),
    (L.Conv2D, {"filters": 4, "kernel_size": 3, "groups": 2}, (2, 5, 5, 4), (2, 3, 3, 4)),
    (L.Conv2DTranspose, {"filters": 3, "kernel_size": 3, "strides": 2}, (2, 4, 4, 2), (2, 9, 9, 3)),
    (
        L.Conv2DTranspose,
        {"filters": 2, "kernel_size": 3, "strides": 2, "padding": "same"},
        (2, 3, 3, 2),
        (2, 6, 6, 2),
    ),
    (L.DepthwiseConv2D, {"kernel_size": 3, "depth_multiplier": 2}, (2, 5, 5, 3), (2, 3, 3, 6)),
    (
        L.SeparableConv2D,
        {"filters": 4, "kernel_size": 3, "padding": "same"},
        (2, 5, 5, 3),
        (2, 5, 5, 4),
    ),
    (L.MaxPooling1D, {}, (2, 6, 3), (2, 3, 3)),
    (L.AveragePooling1D, {"pool_size": 3, "strides": 1, "padding": "same"}, (2, 6, 3), (2, 6, 3)),
    (L.MaxPooling2D, {"pool_size": 2}, (2, 5, 5, 3), (2, 2, 2, 3)),
    (L.MaxPooling2D, {"pool_size": 3, "strides": 2, "padding": "same"}, (2, 5, 5, 3), (2, 3, 3, 3)),
    (L.AveragePooling2D, {"pool_size": 2}, (2, 4, 4, 3), (2, 2, 2, 3)),
    (L.GlobalAveragePooling1D, {}, (2, 5, 3), (2, 3)),
    (L.GlobalMaxPooling1D, {"keepdims": True}, (2, 5, 3), (2, 1, 3)),
    (L.GlobalAveragePooling2D, {}, (2, 4, 4, 3), (2, 3)),
    (L.GlobalMaxPooling2D, {}, (2, 4, 4, 3), (2, 3)),
    (L.ZeroPadding2D, {"padding": ((1, 2), (0, 1))}, (2, 3, 3, 2), (2, 6, 4, 2)),
    (L.Cropping2D, {"cropping": ((1, 0), (1, 1))}, (2, 4, 5, 2), (2, 3, 3, 2)),
    (L.UpSampling2D, {"size": (2, 3)}, (2, 2, 2, 3), (2, 4, 6, 3)),
]


@pytest.mark.parametrize(
    "cls,kwargs,shape,out", CASES, ids=[f"{c[0].__name__}-{i}" for i, c in enumerate(CASES)]
)
def test_layer_check(cls, kwargs, shape, out):
    layer_check(cls, kwargs, shape, expected_output_shape=out)


@pytest.mark.parity
@pytest.mark.parametrize(
    "cls,kwargs,shape,out", CASES, ids=[f"{c[0].__name__}-{i}" for i, c in enumerate(CASES)]
)
def test_layer_parity(real_tf, cls, kwargs, shape, out):
    layer_check(
        cls, kwargs, shape, expected_output_shape=out, real_tf=real_tf, rtol=1e-4, atol=1e-4
    )


def test_conv_groups_must_divide_filters():
    with pytest.raises(ValueError, match="divisible by the number of groups"):
        L.Conv2D(3, 3, groups=2)


def test_conv2d_channels_first_matches_channels_last():
    import numpy as np

    x = np.random.default_rng(0).standard_normal((1, 5, 5, 2)).astype("float32")
    last = L.Conv2D(3, 3)
    y_last = last(x).numpy()
    first = L.Conv2D(3, 3, data_format="channels_first")
    first.build((None, 2, 5, 5))
    first.set_weights(last.get_weights())
    y_first = first(np.transpose(x, (0, 3, 1, 2))).numpy()
    np.testing.assert_allclose(np.transpose(y_first, (0, 2, 3, 1)), y_last, rtol=1e-5, atol=1e-6)
