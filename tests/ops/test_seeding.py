"""`tf.random.set_seed` restarts every seeded stream, dropout's included."""

from __future__ import annotations

import numpy as np

import ndflow as tf


def _program():
    return (
        tf.random.uniform([4], seed=5).numpy(),
        tf.nn.dropout(tf.ones([16]), 0.5, seed=1).numpy(),
        tf.nn.dropout(tf.ones([16]), 0.5).numpy(),
    )


def test_set_seed_makes_a_program_with_dropout_repeat():
    tf.random.set_seed(3)
    first = _program()
    tf.random.set_seed(3)
    second = _program()
    for a, b in zip(first, second):
        np.testing.assert_array_equal(a, b)
    tf.random.set_seed(4)
    third = _program()
    assert not all(np.array_equal(a, b) for a, b in zip(first, third))


def test_nn_aliases_are_the_owning_functions():
    assert tf.nn.sigmoid is tf.math.sigmoid and tf.nn.tanh is tf.math.tanh
    assert tf.nn.top_k is tf.math.top_k and tf.nn.l2_normalize is tf.math.l2_normalize
    table = tf.constant([[1.0], [2.0]])
    np.testing.assert_allclose(tf.nn.embedding_lookup(table, [1]).numpy(), [[2.0]])
