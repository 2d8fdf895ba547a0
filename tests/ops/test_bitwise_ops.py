"""tf.bitwise, saturate_cast and bitcast: NumPy, TensorFlow parity and errors."""

from __future__ import annotations

import numpy as np
import pytest
from harness.tf_compare import assert_same, compare_op

import ndflow as tf

BITWISE = [
    ("bitwise_and", np.bitwise_and),
    ("bitwise_or", np.bitwise_or),
    ("bitwise_xor", np.bitwise_xor),
    ("left_shift", np.left_shift),
    ("right_shift", np.right_shift),
]


@pytest.mark.parametrize("name, ref", BITWISE, ids=[b[0] for b in BITWISE])
@pytest.mark.parametrize("dtype", [np.int8, np.int32, np.int64, np.uint8, np.uint32])
def test_bitwise_matches_numpy(name, ref, dtype):
    x = np.array([[5, 12, 7], [1, 0, 3]], dtype)
    y = np.array([3, 1, 2], dtype)
    out = getattr(tf.bitwise, name)(tf.constant(x), tf.constant(y))
    assert out.dtype == tf.as_dtype(dtype)
    np.testing.assert_array_equal(out.numpy(), ref(x, y))


def test_invert_and_dtype_errors():
    np.testing.assert_array_equal(tf.bitwise.invert(tf.constant([5], tf.uint8)).numpy(), [250])
    with pytest.raises(
        tf.errors.InvalidArgumentError, match=r"Value for attr 'T' of float .*\[Op:BitwiseOr\]"
    ):
        tf.bitwise.bitwise_or(tf.constant([1.0]), tf.constant([1.0]))
    with pytest.raises(
        tf.errors.InvalidArgumentError,
        match=r"cannot compute BitwiseAnd as input #1\(zero-based\) was expected to be a int32 tensor but is a int64 tensor",
    ):
        tf.bitwise.bitwise_and(tf.constant([1]), tf.constant([1], tf.int64))


@pytest.mark.parity
@pytest.mark.parametrize("name", [b[0] for b in BITWISE] + ["invert"])
def test_bitwise_parity_with_tensorflow(real_tf, name):
    x = np.array([[5, -12, 7], [1, 0, 3]], np.int32)
    y = np.array([3, 1, 2], np.int32)
    args = [x] if name == "invert" else [x, y]
    compare_op(tf, real_tf, f"bitwise.{name}", args)


@pytest.mark.parametrize(
    "x, dtype, expected",
    [
        (np.array([300.0, -5.0, 7.6], np.float32), tf.uint8, [255, 0, 7]),
        (np.array([3e9, -3e9], np.float32), tf.int32, [2147483520, -2147483648]),
        (np.array([-3, 300], np.int32), tf.uint8, [0, 255]),
        (np.array([70000, -70000], np.int64), tf.int16, [32767, -32768]),
        (np.array([1.5, -2.5]), tf.float32, [1.5, -2.5]),
    ],
)
def test_saturate_cast_clamps_instead_of_wrapping(x, dtype, expected):
    out = tf.saturate_cast(tf.constant(x), dtype)
    assert out.dtype == dtype
    np.testing.assert_array_equal(out.numpy(), expected)


@pytest.mark.parity
def test_saturate_cast_parity(real_tf):
    cases = [
        (np.array([300.0, -5.0, 7.6, np.inf, -np.inf], np.float32), "uint8"),
        (np.array([3e9, -3e9, 1.0], np.float32), "int32"),
        (np.array([3e9, -3e9, 1.0], np.float64), "int32"),
        (np.array([-3, 300, 70000], np.int32), "int16"),
        (np.array([2**40, -1], np.int64), "uint32"),
    ]
    for x, dtype in cases:
        assert_same(
            tf.saturate_cast(tf.constant(x), dtype),
            real_tf.saturate_cast(real_tf.constant(x), dtype),
        )


@pytest.mark.parametrize(
    "x, dtype, shape",
    [
        (np.array([1.0, 2.0], np.float32), tf.int32, (2,)),
        (np.array([1.0, -2.0], np.float32), tf.int16, (2, 2)),
        (np.array([[1, 2], [3, 4]], np.int16), tf.int32, (2,)),
        (np.array([1.0], np.float64), tf.uint8, (1, 8)),
    ],
)
def test_bitcast_matches_numpy_view(x, dtype, shape):
    out = tf.bitcast(tf.constant(x), dtype)
    assert out.shape == shape and out.dtype == dtype
    np.testing.assert_array_equal(
        out.numpy().reshape(-1), np.ascontiguousarray(x).view(dtype.as_numpy_dtype).reshape(-1)
    )


def test_bitcast_shape_error():
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"Cannot bitcast .*\[Op:Bitcast\]"):
        tf.bitcast(tf.constant([1, 2, 3], tf.int16), tf.int32)


@pytest.mark.parity
def test_bitcast_parity(real_tf):
    for x, dtype in [
        (np.array([1.0, -2.5], np.float32), "int32"),
        (np.array([[1, 2]], np.int16), "int32"),
        (np.array([1.5], np.float64), "uint16"),
    ]:
        assert_same(tf.bitcast(tf.constant(x), dtype), real_tf.bitcast(real_tf.constant(x), dtype))
