"""keras.utils array helpers against real Keras; set_random_seed makes programs repeat."""

from __future__ import annotations

import numpy as np
import pytest

import ndflow as tf


@pytest.mark.parity
@pytest.mark.parametrize(
    "args, kwargs",
    [
        (([[1, 2, 3], [4], []],), {}),
        (([[1, 2, 3], [4]],), {"maxlen": 2}),
        (([[1, 2, 3], [4]],), {"maxlen": 2, "padding": "post", "truncating": "post"}),
        (([[1.5, 2.5], [4.0]],), {"dtype": "float32", "value": -1.0}),
        (([[[1, 2], [3, 4]], [[5, 6]]],), {}),
    ],
)
def test_pad_sequences_matches_keras(real_tf, args, kwargs):
    ours = tf.keras.utils.pad_sequences(*args, **kwargs)
    theirs = real_tf.keras.utils.pad_sequences(*args, **kwargs)
    assert ours.dtype == theirs.dtype
    np.testing.assert_array_equal(ours, theirs)


@pytest.mark.parity
def test_to_categorical_and_normalize_match_keras(real_tf):
    for labels, n in (([0, 2, 1], 3), ([[1], [0]], None), (np.array([[0, 1], [1, 0]]), 2)):
        ours = tf.keras.utils.to_categorical(labels, n)
        theirs = real_tf.keras.utils.to_categorical(labels, n)
        assert ours.dtype == theirs.dtype and ours.shape == theirs.shape
        np.testing.assert_array_equal(ours, theirs)
    x = np.array([[3.0, 4.0], [0.0, 0.0]])
    np.testing.assert_allclose(tf.keras.utils.normalize(x), real_tf.keras.utils.normalize(x))


def test_set_random_seed_repeats_initializers_and_numpy():
    def program():
        tf.keras.utils.set_random_seed(3)
        layer = tf.keras.layers.Dense(4)
        layer.build((None, 2))
        return layer.kernel.numpy(), np.random.rand(2), tf.random.uniform([2]).numpy()

    for a, b in zip(program(), program()):
        np.testing.assert_array_equal(a, b)
    with pytest.raises(ValueError, match="integer"):
        tf.keras.utils.set_random_seed(1.5)


def test_pad_sequences_rejects_bad_padding():
    with pytest.raises(ValueError, match='Padding type "middle" not understood'):
        tf.keras.utils.pad_sequences([[1]], padding="middle")


@pytest.mark.parity
def test_clear_session_restarts_layer_names_like_keras(real_tf):
    for lib in (tf, real_tf):
        lib.keras.backend.clear_session()
        first = lib.keras.layers.Dense(1).name
        second = lib.keras.layers.Dense(1).name
        lib.keras.backend.clear_session()
        assert (first, second, lib.keras.layers.Dense(1).name) == ("dense", "dense_1", "dense")
    assert tf.keras.backend.floatx() == real_tf.keras.backend.floatx()
    assert tf.keras.backend.epsilon() == real_tf.keras.backend.epsilon()
    assert tf.keras.backend.image_data_format() == real_tf.keras.backend.image_data_format()
