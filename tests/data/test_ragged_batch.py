"""`Dataset.ragged_batch` against TensorFlow 2.21: element specs, values, row-splits
dtypes, cardinality and `as_numpy_iterator` output."""

from __future__ import annotations

import numpy as np
import pytest

import ndflow as nd

# name -> (pipeline built from a library module, ragged_batch arguments)
CASES = {
    "vectors": (lambda tf: tf.data.Dataset.range(7).map(lambda x: tf.range(x)), (3,)),
    "vectors_drop": (lambda tf: tf.data.Dataset.range(7).map(lambda x: tf.range(x)), (3, True)),
    "rows_of_two": (
        lambda tf: tf.data.Dataset.range(1, 5).map(lambda x: tf.fill([x, 2], x)),
        (2,),
    ),
    "ragged_inner": (
        lambda tf: tf.data.Dataset.range(1, 5).map(lambda x: tf.fill([2, x], x)),
        (3,),
    ),
    "square": (lambda tf: tf.data.Dataset.range(0, 4).map(lambda x: tf.fill([x, x], x)), (2,)),
    "mixed_tuple": (
        lambda tf: tf.data.Dataset.range(1, 6).map(
            lambda x: (tf.range(x), x, tf.fill([3], tf.cast(x, tf.float32)))
        ),
        (2,),
    ),
    "dict": (
        lambda tf: tf.data.Dataset.range(1, 4).map(lambda x: {"a": tf.range(x), "b": x * 2}),
        (2,),
    ),
    "dense_only": (lambda tf: tf.data.Dataset.range(5), (2,)),
}


def _value(v):
    return v.to_list() if hasattr(v, "to_list") else np.asarray(v).tolist()


def _batches(ds):
    out = []
    for b in ds:
        if isinstance(b, dict):
            out.append({k: _value(v) for k, v in sorted(b.items())})
        elif isinstance(b, tuple):
            out.append([_value(v) for v in b])
        else:
            out.append(_value(b))
    return out


@pytest.mark.parity
@pytest.mark.parametrize("name", sorted(CASES))
def test_ragged_batch_matches_tensorflow(real_tf, name):
    build, args = CASES[name]
    ours, theirs = build(nd).ragged_batch(*args), build(real_tf).ragged_batch(*args)
    assert repr(ours.element_spec) == repr(theirs.element_spec)
    assert int(ours.cardinality()) == int(theirs.cardinality())
    assert _batches(ours) == _batches(theirs)


@pytest.mark.parity
def test_ragged_batch_row_splits_dtype_matches_tensorflow(real_tf):
    def first(tf):
        ds = tf.data.Dataset.range(5).map(lambda x: tf.range(x))
        b = next(iter(ds.ragged_batch(3, row_splits_dtype=tf.int32)))
        spec = ds.ragged_batch(3, row_splits_dtype=tf.int32).element_spec
        return repr(spec), b.row_splits.dtype.name, b.row_splits.numpy().tolist()

    assert first(nd) == first(real_tf)


@pytest.mark.parity
def test_dense_to_ragged_batch_matches_tensorflow(real_tf):
    def build(tf):
        ds = tf.data.Dataset.range(6).map(lambda x: tf.range(x))
        return ds.apply(tf.data.experimental.dense_to_ragged_batch(4))

    assert _batches(build(nd)) == _batches(build(real_tf))


@pytest.mark.parity
def test_ragged_batch_as_numpy_iterator_matches_tensorflow(real_tf):
    def rows(tf):
        ds = tf.data.Dataset.range(5).map(lambda x: tf.range(x)).ragged_batch(3)
        return [[r.tolist() for r in b] for b in ds.as_numpy_iterator()]

    assert rows(nd) == rows(real_tf)


def test_ragged_batches_pass_through_shuffle_repeat_and_prefetch():
    ds = nd.data.Dataset.range(4).map(lambda x: nd.range(x)).ragged_batch(2)
    got = [b.to_list() for b in ds.repeat(2).shuffle(2, seed=1).prefetch(1)]
    assert sorted(map(str, got)) == sorted(map(str, 2 * [[[], [0]], [[0, 1], [0, 1, 2]]]))


def test_map_over_ragged_batches_says_it_is_not_implemented():
    ds = nd.data.Dataset.range(4).map(lambda x: nd.range(x)).ragged_batch(2)
    with pytest.raises(NotImplementedError, match="ragged_batch"):
        ds.map(lambda r: r)


def test_ragged_batch_rejects_other_row_splits_dtypes():
    with pytest.raises(ValueError, match="int32 or int64"):
        nd.data.Dataset.range(3).ragged_batch(2, row_splits_dtype=nd.float32)
