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
