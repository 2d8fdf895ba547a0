"""`keras.initializers`: statistics, seeds, aliases, configs (compared with tf.keras)."""

from __future__ import annotations

import numpy as np
import pytest

import ndflow as tf

I = tf.keras.initializers  # noqa: E741

CLASSES = [
    "GlorotUniform",
    "GlorotNormal",
    "HeNormal",
    "HeUniform",
    "LecunNormal",
    "LecunUniform",
    "Zeros",
    "Ones",
    "Constant",
    "RandomNormal",
    "RandomUniform",
    "TruncatedNormal",
    "Orthogonal",
    "Identity",
    "VarianceScaling",
]
ALIASES = [
    "glorot_uniform",
    "glorot_normal",
    "he_normal",
    "he_uniform",
    "lecun_normal",
    "lecun_uniform",
    "zeros",
    "ones",
    "random_normal",
    "random_uniform",
    "truncated_normal",
    "orthogonal",
    "identity",
    "uniform",
    "normal",
]

STDS = {  # expected std for a (200, 300) kernel: fan_in 200, fan_out 300
    "glorot_uniform": np.sqrt(2 / 500),
    "glorot_normal": np.sqrt(2 / 500),
    "he_normal": np.sqrt(2 / 200),
    "he_uniform": np.sqrt(2 / 200),
    "lecun_normal": np.sqrt(1 / 200),
    "lecun_uniform": np.sqrt(1 / 200),
    "random_normal": 0.05,
    "random_uniform": 0.1 / np.sqrt(12),
}


@pytest.mark.parametrize("name", sorted(STDS))
def test_variance_of_random_initializers(name):
    v = I.get(name)((200, 300)).numpy()
    assert v.dtype == np.float32 and v.shape == (200, 300)
    assert abs(v.mean()) < 0.01 * max(1.0, STDS[name] * 10)
    np.testing.assert_allclose(v.std(), STDS[name], rtol=0.05)


def test_seed_makes_values_reproducible():
    a = I.HeNormal(seed=3)((4, 5)).numpy()
    np.testing.assert_array_equal(a, I.HeNormal(seed=3)((4, 5)).numpy())
    assert not np.array_equal(a, I.HeNormal(seed=4)((4, 5)).numpy())
    d1 = tf.keras.layers.Dense(3, kernel_initializer=I.GlorotUniform(seed=1))
    d2 = tf.keras.layers.Dense(3, kernel_initializer=I.GlorotUniform(seed=1))
    d1.build((None, 2))
    d2.build((None, 2))
    np.testing.assert_array_equal(d1.kernel.numpy(), d2.kernel.numpy())


def test_orthogonal_identity_constant_truncated():
    q = I.Orthogonal(seed=0)((4, 6)).numpy()
    np.testing.assert_allclose(q @ q.T, np.eye(4), atol=1e-5)
    np.testing.assert_array_equal(I.Identity()((2, 3)).numpy(), np.eye(2, 3))
    np.testing.assert_array_equal(I.Constant(2.5)((2,)).numpy(), [2.5, 2.5])
    t = I.TruncatedNormal(stddev=1.0, seed=0)((1000,)).numpy()
    assert np.abs(t).max() <= 2.0
    with pytest.raises(ValueError, match="Identity matrix initializer can only be used for 2D"):
        I.Identity()((2, 2, 2))


def test_get_accepts_names_classes_instances_and_callables():
    assert type(I.get("uniform")).__name__ == "RandomUniform"
    assert isinstance(I.get(I.Zeros), I.Zeros)
    inst = I.Ones()
    assert I.get(inst) is inst
    assert I.get(tf.random.normal) is tf.random.normal
    with pytest.raises(ValueError, match="Could not interpret initializer identifier: nope"):
        I.get("nope")
    assert I.he_normal is I.HeNormal


@pytest.mark.parity
@pytest.mark.parametrize("name", CLASSES)
def test_config_matches_tf_keras(real_tf, name):
    ours = I.serialize(getattr(I, name)())
    theirs = real_tf.keras.initializers.serialize(getattr(real_tf.keras.initializers, name)())
    assert ours == theirs
    assert type(I.deserialize(theirs)).__name__ == name


@pytest.mark.parity
@pytest.mark.parametrize("alias", ALIASES)
def test_aliases_resolve_like_tf_keras(real_tf, alias):
    assert type(I.get(alias)).__name__ == type(real_tf.keras.initializers.get(alias)).__name__
