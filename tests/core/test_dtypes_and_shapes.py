"""DTypes and TensorShape, with parity against real TensorFlow where it matters."""

from __future__ import annotations

import numpy as np
import pytest

import ndflow as tf

DTYPE_NAMES = [
    "float16", "float32", "float64", "int8", "int16", "int32", "int64", "uint8", "uint16",
    "uint32", "uint64", "bool", "string", "complex64", "complex128", "bfloat16",
]  # fmt: skip


@pytest.mark.parity
@pytest.mark.parametrize("name", DTYPE_NAMES)
def test_dtype_properties_match_tensorflow(real_tf, name):
    ours, theirs = tf.as_dtype(name), real_tf.as_dtype(name)
    for prop in (
        "name",
        "is_floating",
        "is_integer",
        "is_unsigned",
        "is_complex",
        "is_bool",
        "size",
    ):
        assert getattr(ours, prop) == getattr(theirs, prop), prop
    assert str(ours) == str(theirs) and repr(ours) == repr(theirs)
    assert ours.as_datatype_enum == theirs.as_datatype_enum
    if ours.is_integer or ours.is_floating:
        assert ours.min == theirs.min and ours.max == theirs.max
    if name != "string":
        assert np.dtype(ours.as_numpy_dtype) == np.dtype(theirs.as_numpy_dtype)


def test_as_dtype_accepts_names_numpy_and_python_types():
    assert tf.as_dtype(np.float64) == tf.float64
    assert tf.as_dtype("double") == tf.float64
    assert tf.as_dtype(float) == tf.float32 and tf.as_dtype(bool) == tf.bool
    assert tf.float32 == "float32" and tf.float32 == np.float32 and tf.float32 != tf.float64
    with pytest.raises(TypeError, match="Cannot convert the argument `type_value`"):
        tf.as_dtype(int)
    with pytest.raises(TypeError):
        tf.as_dtype("not_a_type")


@pytest.mark.parity
def test_tensor_shape_behaviour_matches_tensorflow(real_tf):
    for dims in ([2, None], [], [None], None, [1, 2, 3]):
        ours, theirs = tf.TensorShape(dims), real_tf.TensorShape(dims)
        assert str(ours) == str(theirs) and repr(ours) == repr(theirs)
        assert ours.rank == theirs.rank
        assert ours.is_fully_defined() == theirs.is_fully_defined()
        if dims is not None:
            assert ours.as_list() == theirs.as_list()
    a, b = tf.TensorShape([2, None]), tf.TensorShape([None, 3])
    assert a.merge_with(b).as_list() == [2, 3]
    assert a.is_compatible_with([2, 7]) and not a.is_compatible_with([3, 7])
    assert a[1:] == tf.TensorShape([None]) and a[0] == 2
    assert tf.TensorShape([2, 3]) == [2, 3] and tf.TensorShape([2, 3]).num_elements() == 6
    with pytest.raises(ValueError):
        tf.TensorShape([2]).merge_with([3])
    with pytest.raises(ValueError):
        tf.TensorShape(None).as_list()


def test_nest_flattens_dicts_in_sorted_key_order_and_packs_back():
    import collections

    Point = collections.namedtuple("Point", ["x", "y"])
    structure = {"b": (1, [2, 3]), "a": Point(4, 5)}
    flat = tf.nest.flatten(structure)
    assert flat == [4, 5, 1, 2, 3]
    rebuilt = tf.nest.pack_sequence_as(structure, [x * 10 for x in flat])
    assert rebuilt == {"b": (10, [20, 30]), "a": Point(40, 50)}
    assert list(rebuilt) == ["b", "a"]  # the template's own key order is kept
    doubled = tf.nest.map_structure(lambda a, b: a + b, structure, structure)
    assert doubled["a"] == Point(8, 10)


def test_nest_structure_mismatch_errors():
    with pytest.raises(ValueError):
        tf.nest.assert_same_structure([1, 2], [1, 2, 3])
    with pytest.raises(TypeError):
        tf.nest.assert_same_structure([1, 2], (1, 2))
    with pytest.raises(ValueError):
        tf.nest.assert_same_structure({"a": 1}, {"b": 1})
    with pytest.raises(ValueError):
        tf.nest.pack_sequence_as([1, 2], [1])


@pytest.mark.parity
def test_nest_flatten_matches_tensorflow(real_tf):
    s = {"z": [1, {"y": 2, "x": (3, 4)}], "a": 5}
    assert tf.nest.flatten(s) == real_tf.nest.flatten(s)


def test_error_classes_carry_tensorflow_codes():
    assert issubclass(tf.errors.InvalidArgumentError, tf.errors.OpError)
    assert tf.errors.InvalidArgumentError.error_code == 3
    assert tf.errors.NotFoundError(None, None, "missing").message == "missing"
    assert tf.errors.exception_type_from_error_code(11) is tf.errors.OutOfRangeError


def test_invalid_name_scope_raises():
    with pytest.raises(ValueError, match="not a valid scope name"):
        with tf.name_scope("bad name!"):
            pass
