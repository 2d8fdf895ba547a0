"""Reductions and scans: forward against NumPy, gradients against finite differences,
TensorFlow parity (values, dtypes, shapes, gradients) and errors."""

from __future__ import annotations

import numpy as np
import pytest
from harness.op_check import check_grads
from harness.tf_compare import compare_op

import ndflow as tf

RNG = np.random.default_rng(1)

# name, NumPy reference (x, axis, keepdims)
REDUCE = [
    ("reduce_sum", lambda x, a, k: np.sum(x, axis=a, keepdims=k)),
    ("reduce_mean", lambda x, a, k: np.mean(x, axis=a, keepdims=k)),
    ("reduce_max", lambda x, a, k: np.max(x, axis=a, keepdims=k)),
    ("reduce_min", lambda x, a, k: np.min(x, axis=a, keepdims=k)),
    ("reduce_prod", lambda x, a, k: np.prod(x, axis=a, keepdims=k)),
    ("reduce_logsumexp", lambda x, a, k: np.log(np.sum(np.exp(x), axis=a, keepdims=k))),
    ("reduce_variance", lambda x, a, k: np.var(x, axis=a, keepdims=k)),
    ("reduce_std", lambda x, a, k: np.std(x, axis=a, keepdims=k)),
    ("reduce_euclidean_norm", lambda x, a, k: np.sqrt(np.sum(x * x, axis=a, keepdims=k))),
]
IDS = [r[0] for r in REDUCE]
AXES = [None, 0, 1, -1, (0, 2), (0, 1, 2)]


def _tuple_axis(axis):
    return axis if axis is None or isinstance(axis, tuple) else (axis,)


@pytest.mark.parametrize("name, ref", REDUCE, ids=IDS)
@pytest.mark.parametrize("axis", AXES)
@pytest.mark.parametrize("keepdims", [False, True])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_reduction_forward_matches_numpy(name, ref, axis, keepdims, dtype):
    x = RNG.standard_normal((2, 3, 4)).astype(dtype)
    out = getattr(tf.math, name)(tf.constant(x), axis=axis, keepdims=keepdims)
    expected = ref(x, _tuple_axis(axis), keepdims)
    assert out.dtype == tf.as_dtype(dtype)
    assert out.shape == expected.shape
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-5 if dtype == np.float32 else 1e-12)


@pytest.mark.parametrize("name, ref", REDUCE, ids=IDS)
@pytest.mark.parametrize("axis", [None, 1, (0, 2)])
@pytest.mark.parametrize("keepdims", [False, True])
def test_reduction_gradient_matches_finite_differences(name, ref, axis, keepdims):
    x = RNG.standard_normal((2, 3, 4))
    check_grads(lambda t: getattr(tf.math, name)(t, axis=axis, keepdims=keepdims), [x])


@pytest.mark.parity
@pytest.mark.parametrize("name, ref", REDUCE, ids=IDS)
@pytest.mark.parametrize("axis", [None, 1, -1, [0, 2]])
@pytest.mark.parametrize("keepdims", [False, True])
def test_reduction_parity_with_tensorflow(real_tf, name, ref, axis, keepdims):
    x = RNG.standard_normal((2, 3, 4)).astype(np.float32)
    compare_op(tf, real_tf, f"math.{name}", [x], {"axis": axis, "keepdims": keepdims})


@pytest.mark.parity
@pytest.mark.parametrize(
    "name",
    [
        "reduce_sum",
        "reduce_mean",
        "reduce_max",
        "reduce_min",
        "reduce_prod",
        "reduce_euclidean_norm",
    ],
)
@pytest.mark.parametrize("dtype", [np.int32, np.int64, np.uint8, np.int8])
def test_integer_reduction_dtypes_match_tensorflow(real_tf, name, dtype):
    x = np.array([[1, 7, 4], [3, 2, 6]], dtype)
    for axis in (None, 0, 1):
        compare_op(tf, real_tf, f"math.{name}", [x], {"axis": axis}, grad=False)


def test_integer_mean_truncates_toward_zero():
    assert int(tf.reduce_mean(tf.constant([1, 2, 4]))) == 2
    assert int(tf.reduce_mean(tf.constant([-1, -2, -4]))) == -2
    assert int(tf.reduce_mean(tf.constant([200, 200], tf.uint8))) == 200


def test_max_gradient_is_shared_between_ties():
    x = tf.constant([[1.0, 3.0, 3.0], [2.0, 2.0, 2.0]])
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = tf.reduce_max(x, axis=1)
    np.testing.assert_allclose(tape.gradient(y, x).numpy(), [[0, 0.5, 0.5], [1 / 3, 1 / 3, 1 / 3]])


def test_prod_gradient_handles_zeros():
    x = tf.constant([-1.0, 0.0, 1.0, 2.0, 3.0])
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = tf.reduce_prod(x)
    np.testing.assert_array_equal(tape.gradient(y, x).numpy(), [0.0, -6.0, 0.0, 0.0, 0.0])
    x2 = RNG.standard_normal((3, 4))
    x2[1, 2] = 0.0
    x2[0, 0] = 0.0
    check_grads(lambda t: tf.reduce_prod(t, axis=[0, 1]), [x2])
    check_grads(lambda t: tf.reduce_prod(t, axis=0), [x2])


def test_reductions_of_empty_tensors_are_identities():
    assert float(tf.reduce_max(tf.zeros_like(tf.constant(np.zeros(0, np.float32))))) == -np.inf
    assert int(tf.reduce_min(tf.constant(np.zeros(0, np.int32)))) == np.iinfo(np.int32).max
    assert float(tf.reduce_prod(tf.constant(np.zeros(0, np.float32)))) == 1.0
    assert float(tf.reduce_sum(tf.constant(np.zeros((0, 3), np.float32)))) == 0.0


def test_logsumexp_is_stable_and_handles_minus_infinity():
    out = tf.reduce_logsumexp(tf.constant([1000.0, 1000.0]))
    np.testing.assert_allclose(out.numpy(), 1000.0 + np.log(2.0))
    assert tf.reduce_logsumexp(tf.constant([-np.inf, -np.inf])).numpy() == -np.inf


def test_any_all_and_count_nonzero():
    b = tf.constant([[True, False], [True, True]])
    np.testing.assert_array_equal(tf.reduce_any(b, axis=0).numpy(), [True, True])
    np.testing.assert_array_equal(tf.reduce_all(b, axis=1).numpy(), [False, True])
    assert tf.reduce_all(b, keepdims=True).shape == (1, 1)
    c = tf.math.count_nonzero(tf.constant([[1, 0, 2], [0, 0, 3]]), axis=1)
    assert c.dtype == tf.int64 and c.numpy().tolist() == [2, 1]
    assert tf.math.count_nonzero(tf.constant([1.0, 0.0]), dtype=tf.int32).dtype == tf.int32
    assert int(tf.math.count_nonzero(tf.constant(["a", "", "b"]))) == 2
    with pytest.raises(
        tf.errors.InvalidArgumentError,
        match=r"cannot compute Any as input #0\(zero-based\) was expected to be a bool tensor but is a int32 tensor",
    ):
        tf.reduce_any(tf.constant([1, 2]))


def test_reduction_errors():
    with pytest.raises(
        tf.errors.InvalidArgumentError,
        match=r"Invalid reduction dimension \(3 for input with 1 dimension\(s\) \[Op:Sum\]",
    ):
        tf.reduce_sum(tf.constant([1, 2]), axis=3)
    with pytest.raises(
        tf.errors.InvalidArgumentError,
        match=r"Invalid reduction dimension \(-3 for input with 1 dimension\(s\) \[Op:Max\]",
    ):
        tf.reduce_max(tf.constant([1, 2]), axis=-3)
    with pytest.raises(
        tf.errors.InvalidArgumentError, match=r"Value for attr 'T' of bool .*\[Op:Sum\]"
    ):
        tf.reduce_sum(tf.constant([True]))
    with pytest.raises(TypeError, match="Input must be either real or complex"):
        tf.math.reduce_variance(tf.constant([1, 2]))


# ---------------------------------------------------------------------------- argmax / argmin


@pytest.mark.parametrize("name, ref", [("argmax", np.argmax), ("argmin", np.argmin)])
@pytest.mark.parametrize("dtype", [np.float32, np.int32, np.uint8])
def test_arg_reductions_match_numpy(name, ref, dtype):
    x = np.array([[1, 5, 5], [7, 0, 7]], dtype)
    for axis in (None, 0, 1, -1):
        out = getattr(tf.math, name)(tf.constant(x), axis=axis)
        assert out.dtype == tf.int64
        np.testing.assert_array_equal(out.numpy(), ref(x, axis=0 if axis is None else axis))
    assert getattr(tf, name)(tf.constant(x), 1, output_type=tf.int32).dtype == tf.int32


def test_argmax_axis_error():
    with pytest.raises(
        tf.errors.InvalidArgumentError,
        match=r"Expected dimension in the range \[-1, 1\), but got 3 \[Op:ArgMax\]",
    ):
        tf.argmax(tf.constant([1, 2]), axis=3)


@pytest.mark.parity
def test_arg_reductions_parity(real_tf):
    x = RNG.standard_normal((3, 4)).astype(np.float32)
    for name in ("argmax", "argmin"):
        for axis in (None, 0, 1):
            compare_op(tf, real_tf, f"math.{name}", [x], {"axis": axis})
        compare_op(tf, real_tf, f"math.{name}", [x], {"axis": 1, "output_type": "int32"})


# ---------------------------------------------------------------------------- scans

SCAN_FLAGS = [(False, False), (True, False), (False, True), (True, True)]


def _np_scan(fn, identity, x, axis, exclusive, reverse):
    if reverse:
        x = np.flip(x, axis)
    out = fn(x, axis=axis)
    if exclusive:
        out = np.roll(out, 1, axis=axis)
        idx = [slice(None)] * x.ndim
        idx[axis] = 0
        out[tuple(idx)] = identity
    return np.flip(out, axis) if reverse else out


@pytest.mark.parametrize(
    "name, fn, identity", [("cumsum", np.cumsum, 0), ("cumprod", np.cumprod, 1)]
)
@pytest.mark.parametrize("exclusive, reverse", SCAN_FLAGS)
@pytest.mark.parametrize("axis", [0, 1, -1])
@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int32])
def test_scan_forward_matches_numpy(name, fn, identity, exclusive, reverse, axis, dtype):
    x = (RNG.standard_normal((3, 4)) * 3).astype(dtype)
    out = getattr(tf.math, name)(tf.constant(x), axis=axis, exclusive=exclusive, reverse=reverse)
    expected = _np_scan(fn, identity, x, axis, exclusive, reverse)
    assert out.dtype == tf.as_dtype(dtype)
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-5)


@pytest.mark.parametrize("name", ["cumsum", "cumprod"])
@pytest.mark.parametrize("exclusive, reverse", SCAN_FLAGS)
@pytest.mark.parametrize("axis", [0, 1])
def test_scan_gradient_matches_finite_differences(name, exclusive, reverse, axis):
    x = RNG.uniform(0.5, 1.5, (3, 4))
    check_grads(lambda t: getattr(tf.math, name)(t, axis, exclusive, reverse), [x])


@pytest.mark.parity
@pytest.mark.parametrize("name", ["cumsum", "cumprod"])
@pytest.mark.parametrize("exclusive, reverse", SCAN_FLAGS)
def test_scan_parity_with_tensorflow(real_tf, name, exclusive, reverse):
    x = RNG.uniform(0.5, 1.5, (3, 4)).astype(np.float32)
    x[1, 1] = 0.0
    for axis in (0, 1):
        compare_op(
            tf,
            real_tf,
            f"math.{name}",
            [x],
            {"axis": axis, "exclusive": exclusive, "reverse": reverse},
        )


def test_scan_errors():
    with pytest.raises(
        tf.errors.InvalidArgumentError,
        match=r"ScanOp: Expected scan axis in the range \[-1, 1\), but got 3 \[Op:Cumsum\]",
    ):
        tf.cumsum(tf.constant([1, 2]), axis=3)
    with pytest.raises(
        tf.errors.InvalidArgumentError, match=r"Value for attr 'T' of bool .*\[Op:Cumsum\]"
    ):
        tf.cumsum(tf.constant([True]))


def test_duplicate_axes_and_bool_argmax():
    with pytest.raises(
        tf.errors.InvalidArgumentError, match=r"Axes contains duplicate dimension: 0 \[Op:Max\]"
    ):
        tf.reduce_max(tf.constant([[1, 2]]), axis=[0, 0])
    assert int(tf.argmax(tf.constant([False, True]))) == 1
    assert tf.reduce_sum(tf.constant([[1, 2]]), axis=tf.constant(1)).numpy().tolist() == [3]
