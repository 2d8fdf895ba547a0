"""`keras.regularizers` and `keras.constraints` against tf.keras."""

from __future__ import annotations

import numpy as np
import pytest

import ndflow as tf

R, C = tf.keras.regularizers, tf.keras.constraints
W = np.array([[1.0, -2.0, 0.5], [-0.3, 3.0, 0.0]], "float32")


def test_regularizer_values():
    np.testing.assert_allclose(float(R.L1(0.1)(W)), 0.1 * np.abs(W).sum(), rtol=1e-6)
    np.testing.assert_allclose(float(R.L2(0.1)(W)), 0.1 * (W**2).sum(), rtol=1e-6)
    np.testing.assert_allclose(
        float(R.L1L2(0.1, 0.2)(W)), 0.1 * np.abs(W).sum() + 0.2 * (W**2).sum(), rtol=1e-6
    )
    assert isinstance(R.get("l2"), R.L2) and R.get(None) is None
    with pytest.raises(ValueError, match="Could not interpret regularizer identifier"):
        R.get("nope")
    with pytest.raises(ValueError, match="must be a finite float"):
        R.L2(float("nan"))


def test_constraints_project_weights():
    np.testing.assert_array_equal(C.NonNeg()(W).numpy(), np.maximum(W, 0))
    unit = C.UnitNorm()(W).numpy()
    np.testing.assert_allclose(np.linalg.norm(unit, axis=0)[:2], [1, 1], rtol=1e-5)
    capped = C.MaxNorm(1.0)(W).numpy()
    assert np.all(np.linalg.norm(capped, axis=0) <= 1.0 + 1e-5)
    assert isinstance(C.get("max_norm"), C.MaxNorm) and C.get(None) is None


@pytest.mark.parity
@pytest.mark.parametrize(
    "make",
    [
        lambda m: m.regularizers.L1(0.3),
        lambda m: m.regularizers.L2(),
        lambda m: m.regularizers.L1L2(0.1, 0.2),
    ],
)
def test_regularizers_match_tf_keras(real_tf, make):
    ours, theirs = make(tf.keras), make(real_tf.keras)
    np.testing.assert_allclose(float(ours(W)), float(theirs(real_tf.constant(W))), rtol=1e-6)
    assert tf.keras.regularizers.serialize(ours) == real_tf.keras.regularizers.serialize(theirs)


@pytest.mark.parity
@pytest.mark.parametrize(
    "make",
    [
        lambda m: m.constraints.MaxNorm(1.5),
        lambda m: m.constraints.NonNeg(),
        lambda m: m.constraints.UnitNorm(axis=1),
        lambda m: m.constraints.MinMaxNorm(0.5, 1.5, rate=0.7),
    ],
)
def test_constraints_match_tf_keras(real_tf, make):
    ours, theirs = make(tf.keras), make(real_tf.keras)
    np.testing.assert_allclose(
        ours(W).numpy(), theirs(real_tf.constant(W)).numpy(), rtol=1e-5, atol=1e-6
    )
    assert tf.keras.constraints.serialize(ours) == real_tf.keras.constraints.serialize(theirs)


def test_dense_applies_kernel_regularizer_to_losses():
    dense = tf.keras.layers.Dense(2, kernel_regularizer="l1", kernel_constraint="non_neg")
    dense.build((None, 3))
    np.testing.assert_allclose(
        float(dense.losses[0]), 0.01 * np.abs(dense.kernel.numpy()).sum(), rtol=1e-5
    )
    assert isinstance(dense.kernel.constraint, C.NonNeg)
