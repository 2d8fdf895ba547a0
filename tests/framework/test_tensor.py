"""Tensor conversion, printing and Python protocol behaviour."""

from __future__ import annotations

import numpy as np
import pytest

import ndflow as tf


@pytest.mark.parametrize(
    "value, dtype",
    [
        (1, tf.int32),
        (2**40, tf.int64),
        (1.5, tf.float32),
        (True, tf.bool),
        ("ab", tf.string),
        ([1, 2], tf.int32),
        ([[1.0, 2.0]], tf.float32),
        (np.array([1.0]), tf.float64),
        (np.float64(1.0), tf.float64),
        (np.array([1], np.int64), tf.int64),
        (1 + 2j, tf.complex128),
    ],
)
def test_constant_infers_tensorflow_dtypes(value, dtype):
    assert tf.constant(value).dtype == dtype


def test_repr_and_str_match_tensorflow_formats():
    assert repr(tf.constant(36)) == "<tf.Tensor: shape=(), dtype=int32, numpy=36>"
    assert str(tf.constant([2.0, 4.0])) == "tf.Tensor([2. 4.], shape=(2,), dtype=float32)"
    assert repr(tf.constant([2.0, 4.0])) == (
        "<tf.Tensor: shape=(2,), dtype=float32, numpy=array([2., 4.], dtype=float32)>"
    )
    assert (
        repr(tf.constant(0.1)) == "<tf.Tensor: shape=(), dtype=float32, numpy=0.10000000149011612>"
    )
    assert str(tf.constant(0.1)) == "tf.Tensor(0.1, shape=(), dtype=float32)"
    assert repr(tf.constant("ab")) == "<tf.Tensor: shape=(), dtype=string, numpy=b'ab'>"
    assert repr(tf.constant([[1, 2], [3, 4]])) == (
        "<tf.Tensor: shape=(2, 2), dtype=int32, numpy=\narray([[1, 2],\n       [3, 4]], dtype=int32)>"
    )


def test_scalar_protocols_and_format():
    t = tf.constant(2.5)
    assert f"{t:0.2f}" == "2.50"
    assert float(t) == 2.5 and int(tf.constant(3)) == 3 and bool(tf.constant(True))
    assert [10, 20, 30][tf.constant(1)] == 20
    with pytest.raises(TypeError):
        [1, 2][tf.constant(1.0)]


def test_len_iteration_and_numpy():
    t = tf.constant([[1, 2], [3, 4], [5, 6]])
    assert len(t) == 3
    assert np.array_equal(np.asarray(t), [[1, 2], [3, 4], [5, 6]])
    assert t.numpy().dtype == np.int32
    assert isinstance(tf.constant(1.0).numpy(), np.float32)
    with pytest.raises(TypeError):
        len(tf.constant(1))


def test_tensors_are_unhashable_but_refs_are():
    t = tf.constant(1)
    with pytest.raises(TypeError, match="unhashable"):
        hash(t)
    assert {t.ref(): 1}[t.ref()] == 1
    assert t.ref().deref() is t


def test_constant_copies_numpy_input():
    a = np.array([1.0, 2.0])
    t = tf.constant(a)
    a[0] = 100.0
    assert t.numpy()[0] == 1.0


def test_mixed_dtypes_raise_invalid_argument_with_op_name():
    with pytest.raises(
        tf.errors.InvalidArgumentError,
        match=r"cannot compute AddV2 as input #1\(zero-based\) was expected to be a int32 tensor but is a float tensor",
    ):
        tf.constant(1) + tf.constant(1.0)


def test_python_float_into_int_tensor_is_a_type_error():
    with pytest.raises(TypeError, match="Cannot convert 2.5 to EagerTensor of dtype int32"):
        tf.constant(1) * 2.5


def test_incompatible_shapes_name_both_shapes():
    with pytest.raises(
        tf.errors.InvalidArgumentError, match=r"Incompatible shapes: \[2\] vs. \[3\] \[Op:AddV2\]"
    ):
        tf.constant([1.0, 2.0]) + tf.constant([1.0, 2.0, 3.0])


def test_python_scalar_takes_tensor_dtype():
    assert (tf.constant([1.0, 2.0]) * 2).dtype == tf.float32
    assert (2 * tf.constant([1.0], dtype=tf.float64)).dtype == tf.float64
    assert (tf.constant([1.0]) + np.float64(2.0)).dtype == tf.float32


def test_convert_to_tensor_rejects_a_dtype_change():
    with pytest.raises(
        ValueError, match="Tensor conversion requested dtype float32 for Tensor with dtype int32"
    ):
        tf.convert_to_tensor(tf.constant(1), dtype=tf.float32)


def test_constant_with_shape_fills_and_reshapes():
    assert tf.constant(1.5, shape=[2]).numpy().tolist() == [1.5, 1.5]
    assert tf.constant([1, 2, 3, 4], shape=[2, 2]).shape == [2, 2]


def test_empty_lists_take_the_requested_dtype():
    assert tf.constant([], tf.int32).dtype == tf.int32
    assert tf.constant([], tf.int64).shape == [0]
    assert tf.constant([[], []], tf.float32).shape == [2, 0]


def test_strings_keep_trailing_nul_bytes_and_non_strings_are_rejected():
    assert tf.convert_to_tensor([b"a\x00", "é"]).numpy().tolist() == [b"a\x00", "é".encode()]
    with pytest.raises(TypeError, match="Cannot convert 3 to EagerTensor of dtype string"):
        tf.convert_to_tensor(3, dtype=tf.string)


def test_numpy_views_of_tensors_are_read_only_and_of_variables_are_copies():
    t = tf.constant([1.0, 2.0])
    a = np.asarray(t)
    with pytest.raises(ValueError, match="read-only"):
        a += 1
    b = t.numpy()
    b += 1
    assert t.numpy().tolist() == [1.0, 2.0]
    v = tf.Variable([1.0, 2.0])
    c = np.asarray(v)
    c += 1
    assert v.numpy().tolist() == [1.0, 2.0]
    assert np.asarray(t, dtype=np.float64).dtype == np.float64
