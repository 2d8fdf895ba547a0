"""`keras.utils.split_dataset` against real Keras on the same data: identical elements
(and element specs) on both sides, the same sizes, and the same errors."""

from __future__ import annotations

import random

import numpy as np
import pytest

import ndflow as tf

split_dataset = tf.keras.utils.split_dataset

X = np.arange(20, dtype=np.float32).reshape(10, 2)
Y = np.arange(10, dtype=np.int64)


def _elements(ds):
    out = []
    for e in ds:
        flat = e if isinstance(e, (tuple, list)) else (e,)
        out.append(tuple(np.asarray(v).tolist() for v in flat))
    return out


def _spec(ds):
    spec = ds.element_spec
    flat = spec if isinstance(spec, tuple) else (spec,)
    return [(tuple(s.shape.as_list()), s.dtype.name) for s in flat]


def _datasets(lib, kind):
    if kind == "array":
        return X
    if kind == "tuple":
        return (X, Y)
    if kind == "list":
        return [X, Y]
    if kind == "dataset":
        return lib.data.Dataset.from_tensor_slices((X, Y))
    if kind == "batched":
        return lib.data.Dataset.from_tensor_slices((X, Y)).batch(3)
    raise AssertionError(kind)


SIZES = [
    {"left_size": 0.8},
    {"right_size": 3},
    {"left_size": 0.25},  # round(2.5) == 2: Python's rounding, as in Keras
    {"left_size": 4, "right_size": 4},
    {"left_size": 3, "right_size": 0.5},
    {"left_size": 0.5, "right_size": 0.5},
]


@pytest.mark.parity
@pytest.mark.parametrize("kind", ["array", "tuple", "list", "dataset", "batched"])
@pytest.mark.parametrize("sizes", SIZES, ids=lambda s: str(s))
def test_split_matches_real_keras(real_tf, kind, sizes):
    ours = split_dataset(_datasets(tf, kind), **sizes)
    theirs = real_tf.keras.utils.split_dataset(_datasets(real_tf, kind), **sizes)
    for a, b in zip(ours, theirs):
        assert _spec(a) == _spec(b)
        assert int(a.cardinality()) == int(b.cardinality())
        assert _elements(a) == _elements(b)


@pytest.mark.parity
@pytest.mark.parametrize("kind", ["array", "tuple", "dataset"])
def test_shuffled_split_with_a_seed_matches_real_keras(real_tf, kind):
    ours = split_dataset(_datasets(tf, kind), left_size=0.3, shuffle=True, seed=7)
    theirs = real_tf.keras.utils.split_dataset(
        _datasets(real_tf, kind), left_size=0.3, shuffle=True, seed=7
    )
    for a, b in zip(ours, theirs):
        assert _elements(a) == _elements(b)
    # Every sample lands on exactly one side.
    rows = sorted(r[0] for side in ours for r in _elements(side))
    assert rows == X.tolist()


def test_shuffle_without_seed_keeps_all_samples():
    random.seed(0)
    left, right = split_dataset(X, right_size=0.4, shuffle=True)
    rows = [r[0] for r in _elements(left) + _elements(right)]
    assert sorted(rows) == X.tolist()
    assert len(_elements(right)) == 4


def test_dict_elements_of_a_dataset_keep_their_structure():
    ds = tf.data.Dataset.from_tensor_slices({"a": X, "b": Y})
    left, right = split_dataset(ds, left_size=7)
    assert set(left.element_spec) == {"a", "b"}
    got = [int(e["b"]) for e in right]
    assert got == [7, 8, 9]


ERRORS = [
    ((X,), {}, ValueError, "At least one of the `left_size` or `right_size` must be"),
    ((X,), {"left_size": 0.5, "right_size": 0.6}, ValueError, "is greater than 1"),
    ((X,), {"left_size": 11}, ValueError, "positive integer smaller than 10"),
    ((X,), {"right_size": 11}, ValueError, "Received: right_size=11"),
    ((X,), {"left_size": 0}, ValueError, "Received: left_size=0"),
    ((X,), {"left_size": 1.0}, ValueError, "Received: left_size=1.0"),
    ((X,), {"left_size": 10}, ValueError, "Received: left_size=10"),
    ((X,), {"left_size": "a"}, TypeError, "Invalid `left_size` Type"),
    ((X,), {"left_size": True}, TypeError, "type(left_size)=<class 'bool'>"),
    ((X,), {"left_size": np.int64(3)}, TypeError, "numpy.int64"),
    ((X,), {"right_size": [1]}, TypeError, "Invalid `right_size` Type"),
    ((X,), {"left_size": 0.05}, ValueError, "Resulting left side dataset split will be"),
    ((X,), {"right_size": 0.05}, ValueError, "Resulting right side dataset split will"),
    ((X,), {"left_size": 6, "right_size": 5}, ValueError, "should be smaller than the 10"),
    (({"a": X},), {"left_size": 0.3}, TypeError, "Unsupported dataset type"),
    (("abc",), {"left_size": 0.3}, TypeError, "Unsupported dataset type"),
    (([1.0, 2.0],), {"left_size": 0.5}, ValueError, "Expected a list of `numpy.ndarray`"),
    (((X, Y[:5]),), {"left_size": 0.3}, ValueError, "different lengths"),
    ((np.zeros((0, 2)),), {"left_size": 0.3}, ValueError, "Received an empty dataset"),
    (((),), {"left_size": 0.3}, ValueError, "Received an empty list dataset"),
]


@pytest.mark.parity
@pytest.mark.parametrize("args,kwargs,cls,fragment", ERRORS, ids=lambda v: str(v)[:40])
def test_errors_match_real_keras(real_tf, args, kwargs, cls, fragment):
    with pytest.raises(cls) as ours:
        split_dataset(*args, **kwargs)
    with pytest.raises(cls) as theirs:
        real_tf.keras.utils.split_dataset(*args, **kwargs)
    assert fragment in str(ours.value)
    assert str(ours.value) == str(theirs.value)
