"""tf.Variable: construction, names, assignment semantics and printing."""

from __future__ import annotations

import numpy as np
import pytest

import ndflow as tf


def test_repr_matches_tensorflow():
    assert repr(tf.Variable(3.0)) == "<tf.Variable 'Variable:0' shape=() dtype=float32, numpy=3.0>"
    assert repr(tf.Variable([1, 2], name="v")) == (
        "<tf.Variable 'v:0' shape=(2,) dtype=int32, numpy=array([1, 2], dtype=int32)>"
    )


def test_names_come_from_name_scopes():
    with tf.name_scope("outer"):
        with tf.name_scope("inner"):
            v = tf.Variable(1.0, name="w")
    assert v.name == "outer/inner/w:0"


def test_assign_family_returns_the_variable_and_chains():
    v = tf.Variable(1.0)
    assert v.assign_add(2.0) is v
    assert (v.assign_sub(0.5) * 2).numpy() == 5.0
    v.assign(10.0)
    assert v.numpy() == 10.0


def test_reads_are_snapshots():
    v = tf.Variable([1.0, 2.0])
    before = v.value()
    v.assign_add([1.0, 1.0])
    np.testing.assert_array_equal(before.numpy(), [1.0, 2.0])
    np.testing.assert_array_equal(v.numpy(), [2.0, 3.0])


def test_initial_value_is_copied():
    a = np.zeros(3, np.float32)
    v = tf.Variable(a)
    a[0] = 5.0
    assert v.numpy()[0] == 0.0


def test_assign_shape_mismatch_raises_value_error():
    v = tf.Variable([1.0, 2.0])
    with pytest.raises(ValueError, match="Shape mismatch"):
        v.assign([1.0, 2.0, 3.0])


def test_assign_wrong_dtype_raises():
    v = tf.Variable([1.0, 2.0])
    with pytest.raises(ValueError):
        v.assign(tf.constant([1.0, 2.0], dtype=tf.float64))


def test_variable_operators_read_the_value():
    v = tf.Variable(3.0)
    assert (v * 2).numpy() == 6.0 and (2 * v).numpy() == 6.0 and (-v).numpy() == -3.0
    assert (tf.constant(1.0) + v).numpy() == 4.0
    assert f"{v:0.1f}" == "3.0"


def test_callable_initial_value_and_explicit_dtype():
    v = tf.Variable(lambda: [1, 2], dtype=tf.float64)
    assert v.dtype == tf.float64 and v.shape == [2]


def test_shape_argument_allows_unknown_dims():
    v = tf.Variable(np.zeros((2, 3), np.float32), shape=tf.TensorShape([None, 3]))
    v.assign(np.ones((5, 3), np.float32))
    assert v.shape.as_list() == [None, 3] and v.numpy().shape == (5, 3)


def test_variables_are_unhashable_but_refs_are():
    v = tf.Variable(1.0)
    with pytest.raises(TypeError, match="unhashable"):
        {v}
    assert v.ref().deref() is v


def test_none_initial_value_raises():
    with pytest.raises(ValueError, match="initial_value"):
        tf.Variable(None)
