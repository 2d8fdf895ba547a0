"""The eager fast paths give bit-identical results to the general paths they bypass."""

from __future__ import annotations

import numpy as np
import pytest

import ndflow as tf


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_full_mean_equals_numpy_bit_for_bit(dtype):
    rng = np.random.default_rng(0)
    for n in (1, 7, 32, 1000, 4097):
        x = (rng.standard_normal(n) * 1e3).astype(dtype)
        got = tf.reduce_mean(tf.constant(x)).numpy()
        assert got == np.mean(x, dtype=dtype) and got.dtype == dtype


def test_square_by_pow_matches_np_power_including_non_finite():
    x = np.array([1.5, -2.0, np.inf, np.nan, 1e30], np.float32)
    np.testing.assert_array_equal((tf.constant(x) ** 2.0).numpy(), np.power(x, np.float32(2)))


def test_square_gradient_is_two_x_g_for_reals_and_complex():
    for x in (np.array([0.5, -3.0, np.inf]), np.array([1 + 2j, np.inf + 0j])):
        t = tf.constant(x)
        with tf.GradientTape() as tape:
            tape.watch(t)
            y = tf.square(t)
        g = tape.gradient(y, t, output_gradients=tf.ones_like(t)).numpy()
        expected = 2 * np.conj(x) if x.dtype.kind == "c" else 2 * x
        np.testing.assert_array_equal(g, expected)


def test_fast_binary_paths_still_reject_mixed_dtypes_and_bools():
    with pytest.raises(tf.errors.InvalidArgumentError, match="AddV2"):
        tf.add(tf.constant([1.0]), tf.constant([1.0], tf.float64))
    with pytest.raises(tf.errors.InvalidArgumentError, match="Mul"):
        tf.multiply(tf.constant([True]), tf.constant([False]))


def test_python_scalars_convert_like_binary_operands_and_are_cached_safely():
    from ndflow._src.ops import op_util

    x = tf.constant([1.5, -2.0], tf.float32)
    np.testing.assert_array_equal((0.01 * x).numpy(), np.float32(0.01) * x.numpy())
    np.testing.assert_array_equal((x - 3).numpy(), x.numpy() - np.float32(3))
    np.testing.assert_array_equal((2 + x).numpy(), np.float32(2) + x.numpy())
    assert (x * 2.0).dtype == tf.float32 and (x**2).dtype == tf.float32
    # Signed zeros are never shared through the cache.
    assert np.signbit((x * -0.0).numpy()[0]) and not np.signbit((x * 0.0).numpy()[0])
    # An int tensor still rejects a float even once the equal int is cached.
    i = tf.constant([1, 2])
    assert (i * 2).dtype == tf.int32
    with pytest.raises(TypeError, match="Cannot convert 2.0 to EagerTensor of dtype int32"):
        i * 2.0
    with pytest.raises(TypeError, match="Cannot convert 2.0 to EagerTensor of dtype int32"):
        2.0 * i
    # Cached constants are read-only; NaN is converted each time.
    cached = op_util._scalar_as(0.01, tf.float32)
    assert cached is op_util._scalar_as(0.01, tf.float32)
    assert not cached._value.flags.writeable
    nan = float("nan")
    assert op_util._scalar_as(nan, tf.float32) is not op_util._scalar_as(nan, tf.float32)


def test_scalar_fast_paths_keep_dtype_errors():
    with pytest.raises(tf.errors.InvalidArgumentError, match="Mul"):
        tf.constant([True]) * 2
    with pytest.raises(TypeError):
        tf.constant(["a"]) - 1
    with pytest.raises(tf.errors.InvalidArgumentError, match="Integers to negative integer powers"):
        tf.constant([2, 3]) ** -1


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.float16, np.int32])
def test_scalar_variable_updates_match_the_ufunc_bit_for_bit(dtype):
    cases = ((1.5, 0.01), (1e30, -3e29), (np.inf, 1.0), (0.1, 0.2))
    if np.dtype(dtype).kind == "i":
        cases = ((7, 3), (-5, 12))
    for start, delta in cases:
        v = tf.Variable(np.asarray(start, dtype))
        d = np.asarray(delta, dtype)
        v.assign_sub(tf.constant(d))
        expected = np.subtract(np.asarray(start, dtype), d, dtype=dtype)
        np.testing.assert_array_equal(v.numpy(), expected, strict=False)
        assert v.numpy().dtype == dtype and type(v._array) is np.ndarray
        v.assign_add(tf.constant(d))
        np.testing.assert_array_equal(v.numpy(), np.add(expected, d, dtype=dtype))
        assert type(v._array) is np.ndarray and v._array.flags.writeable


def test_binary_fast_dispatch_reports_errors_and_traces_like_execute():
    with pytest.raises(
        tf.errors.InvalidArgumentError, match=r"Incompatible shapes: \[2\] vs. \[3\]"
    ):
        tf.constant([1.0, 2.0]) * tf.constant([1.0, 2.0, 3.0])
    c = tf.constant([1.0, 2.0])

    @tf.function(autograph=False)
    def f():
        return 2.0 * c * c + c - 1.0  # eager captures combined while tracing

    np.testing.assert_array_equal(f().numpy(), [2.0, 9.0])
    with tf.GradientTape() as tape:
        tape.watch(c)
        y = 3.0 - c * 2.0
    np.testing.assert_array_equal(tape.gradient(y, c).numpy(), [-2.0, -2.0])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_scalar_divide_no_nan_matches_the_array_kernel_bit_for_bit(dtype):
    import warnings

    from ndflow._src.ops.binary_ops import _div_no_nan_kernel

    info = np.finfo(dtype)
    rng = np.random.default_rng(0)
    special = [
        0.0,
        -0.0,
        1.0,
        -3.0,
        np.inf,
        -np.inf,
        np.nan,
        info.max,
        info.tiny,
        info.smallest_subnormal,
    ]
    values = special + list(rng.standard_normal(40) * 10.0 ** rng.integers(-30, 30, 40))
    values = np.array(values).astype(dtype)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # neither path may warn (overflow, 0/0, inf/inf)
        for a in values:
            for b in values:
                x, y = np.array(a, dtype), np.array(b, dtype)
                got = _div_no_nan_kernel(x, y)
                # The general kernel on 1-element arrays (the scalar path is skipped).
                want = _div_no_nan_kernel(x.reshape(1), y.reshape(1))[0]
                assert type(got) is np.ndarray and got.shape == () and got.dtype == dtype
                assert got.tobytes() == np.array(want, dtype).tobytes(), (a, b)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_scalar_pow_of_a_positive_base_matches_np_power(dtype):
    import warnings

    from ndflow._src.ops.math_ops import _pow_kernel

    bases = [0.9, 0.999, 1.0, 2.0, 1e-30, 3e30, np.inf, 0.0, -0.5, np.nan]
    exps = [0.0, 1.0, 7.0, 1234.0, -3.5, 0.5, 1e6, -1e6, np.inf, np.nan]
    for a in bases:
        for b in exps:
            x, y = np.array(a, dtype), np.array(b, dtype)
            with warnings.catch_warnings(), np.errstate(all="ignore"):
                want = np.power(x, y)
            with warnings.catch_warnings(record=True):
                got = _pow_kernel(x, y)
            assert np.asarray(got).tobytes() == np.asarray(want).tobytes(), (a, b)
            assert np.asarray(got).dtype == dtype


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int32, np.bool_])
def test_sum_kernel_equals_np_sum(dtype):
    from ndflow._src.ops.math_ops import _sum_kernel

    x = (np.random.default_rng(1).standard_normal((5, 7, 3)) * 100).astype(dtype)
    for axis in (None, (0,), (1, 2), (0, 1, 2), ()):
        for keepdims in (False, True):
            got = _sum_kernel(x, axis=axis, keepdims=keepdims)
            want = np.sum(x, axis=axis, keepdims=keepdims, dtype=x.dtype)
            assert type(got) is type(want)
            assert np.asarray(got).tobytes() == np.asarray(want).tobytes()
            assert np.shape(got) == np.shape(want)


def test_one_minus_beta_matches_numpy_for_every_dtype_and_range():
    from ndflow._src.ops.training_ops import _one_minus

    rng = np.random.default_rng(2)
    values = list(rng.random(200)) + [0.0, 0.5, 0.9, 0.999, 1.0, 1e-30, 0.49999997, 1.5, -2.0]
    for dtype in (np.float32, np.float64, np.float16):
        for b in values:
            arr = np.array(b, dtype)
            for out in (np.float32, np.float64):
                got = np.array([_one_minus(arr)], out)
                want = np.array([1.0 - arr], out)
                assert got.tobytes() == want.tobytes(), (dtype, b, out)
