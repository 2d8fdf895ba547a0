"""Iteration, inspection, options, save/load, and iterator checkpoints (the trackable
protocol: `_serialize_to_tensors` / `_restore_from_tensors`)."""

from __future__ import annotations

import collections

import numpy as np
import pytest

import ndflow as nd

Dataset = nd.data.Dataset


def _ints(xs):
    return [x.numpy().tolist() if hasattr(x, "numpy") else x for x in xs]


def test_seed_pipeline_yields_ndflow_tensors_in_structure():
    x = np.random.default_rng(0).random((100, 28, 28, 1), dtype=np.float32)
    y = np.arange(100, dtype=np.uint8)
    ds = Dataset.from_tensor_slices((x, y)).shuffle(1000).batch(32)
    batches = list(ds)
    assert [b[0].shape.as_list() for b in batches] == [[32, 28, 28, 1]] * 3 + [[4, 28, 28, 1]]
    assert isinstance(batches[0], tuple) and isinstance(batches[0][0], nd.Tensor)
    assert batches[0][0].dtype == nd.float32 and batches[0][1].dtype == nd.uint8
    labels = np.concatenate([b[1].numpy() for b in batches])
    assert sorted(labels.tolist()) == list(range(100))
    rows = np.concatenate([b[0].numpy() for b in batches])
    np.testing.assert_array_equal(rows, x[labels])


def test_as_numpy_iterator_gives_numpy_values():
    ds = Dataset.from_tensor_slices({"a": [1, 2], "s": [b"x", b"y"]})
    got = list(ds.as_numpy_iterator())
    assert got[0]["a"] == 1 and isinstance(got[0]["a"], np.integer)
    assert got[1]["s"] == b"y"


def test_iter_next_and_element_spec():
    ds = Dataset.range(3).map(lambda x: (x, x * 2))
    it = iter(ds)
    assert it.element_spec == ds.element_spec
    assert _ints(next(it)) == [0, 0]
    assert _ints(it.get_next()) == [1, 2]
    opt = it.get_next_as_optional()
    assert bool(opt.has_value()) and _ints(opt.get_value()) == [2, 4]
    assert not bool(it.get_next_as_optional().has_value())


def test_options_roundtrip():
    opts = nd.data.Options()
    opts.deterministic = False
    opts.threading.private_threadpool_size = 3
    ds = Dataset.range(3).with_options(opts).map(lambda x: x)
    assert ds.options().deterministic is False
    assert ds.options().threading.private_threadpool_size == 3
    with pytest.raises(AttributeError):
        opts.threading.not_an_option = 1


def test_save_and_load(tmp_path):
    ds = Dataset.from_tensor_slices(({"a": np.arange(6.0)}, np.array([b"x"] * 6, object)))
    ds = ds.batch(4)
    path = str(tmp_path / "saved")
    ds.save(path)
    loaded = Dataset.load(path)
    assert loaded.element_spec == ds.element_spec
    a = list(ds.as_numpy_iterator())
    b = list(loaded.as_numpy_iterator())
    assert len(a) == len(b) == 2
    for (fa, sa), (fb, sb) in zip(a, b):
        np.testing.assert_array_equal(fa["a"], fb["a"])
        assert list(sa) == list(sb)


def test_prefetch_propagates_errors_and_stops_thread():
    def gen():
        yield 1
        raise ValueError("generator failed")

    ds = Dataset.from_generator(gen, output_types=nd.int32).prefetch(2)
    with pytest.raises(ValueError, match="generator failed"):
        list(ds)
    # Breaking early must not hang (the producer thread is told to stop).
    for i, _ in enumerate(Dataset.range(10**9).prefetch(3)):
        if i == 5:
            break


def _consume(it, n):
    return [int(next(it)) for _ in range(n)]


@pytest.mark.parametrize(
    "make",
    [
        lambda: Dataset.range(20),
        lambda: Dataset.range(20).shuffle(7),
        lambda: Dataset.range(20).shuffle(7, seed=3).repeat(3),
        lambda: Dataset.range(20).shuffle(20).map(lambda x: x * 2).prefetch(2),
        lambda: Dataset.from_tensor_slices(np.arange(40)).shuffle(9).batch(3).unbatch(),
        lambda: Dataset.range(30).interleave(
            lambda x: Dataset.range(x, x + 3), cycle_length=4, block_length=2
        ),
    ],
    ids=["range", "shuffle", "seeded_repeat", "map_prefetch", "batch_unbatch", "interleave"],
)
def test_checkpointed_iterator_resumes_at_the_same_element(make):
    ds = make()
    it = iter(ds)
    _consume(it, 7)
    state = {k: np.array(v) for k, v in it._serialize_to_tensors().items()}
    rest = [int(x) for x in it]

    same = iter(ds)
    same._restore_from_tensors(state)
    assert [int(x) for x in same] == rest
    # A pipeline rebuilt from scratch (as after a restart) resumes the same way.
    rebuilt = iter(make())
    rebuilt._restore_from_tensors(state)
    assert [int(x) for x in rebuilt] == rest


def test_checkpoint_state_is_arrays_and_restores_after_epoch_change():
    ds = Dataset.range(10).shuffle(10).repeat(2)
    it = iter(ds)
    _consume(it, 13)  # into the second epoch
    state = it._serialize_to_tensors()
    assert all(isinstance(v, np.ndarray) for v in state.values())
    assert it._trackable_children() == {}
    rest = [int(x) for x in it]
    other = iter(ds)
    other._restore_from_tensors(state)
    assert [int(x) for x in other] == rest


def test_restore_past_the_end_is_failed_precondition():
    it = iter(Dataset.range(3))
    state = dict(it._serialize_to_tensors())
    state["count"] = np.array(10)
    with pytest.raises(nd.errors.FailedPreconditionError):
        it._restore_from_tensors(state)


def test_namedtuple_and_ordered_dict_structures_are_kept():
    Pt = collections.namedtuple("Pt", "x y")
    ds = Dataset.from_tensor_slices(Pt(np.arange(3), np.arange(3.0))).batch(2)
    first = next(iter(ds))
    assert isinstance(first, Pt) and first.x.numpy().tolist() == [0, 1]
    od = collections.OrderedDict([("z", [1, 2]), ("a", [3, 4])])
    ds = Dataset.from_tensor_slices(od)
    assert list(ds.element_spec) == ["z", "a"]
    assert list(next(iter(ds))) == ["z", "a"]


def test_enumerate_and_public_constants():
    assert [_ints(e) for e in Dataset.range(2).enumerate()] == [[0, 0], [1, 1]]
    assert nd.data.AUTOTUNE == -1
    assert nd.data.INFINITE_CARDINALITY == -1 and nd.data.UNKNOWN_CARDINALITY == -2
    assert int(nd.data.experimental.cardinality(Dataset.range(4))) == 4


def test_experimental_aliases_apply():
    ds = Dataset.range(6).apply(nd.data.experimental.shuffle_and_repeat(3, 2, seed=1))
    assert sorted(int(x) for x in ds) == sorted(list(range(6)) * 2)
    ds = Dataset.range(5).apply(nd.data.experimental.assert_cardinality(5))
    assert len(ds) == 5
    bad = Dataset.range(5).apply(nd.data.experimental.assert_cardinality(3))
    with pytest.raises(nd.errors.InvalidArgumentError, match="expected to contain 3"):
        list(bad)


def test_more_experimental_helpers():
    exp = nd.data.experimental
    ds = exp.from_list([(1, b"a"), (2, b"b")])
    assert [(int(a), b.numpy()) for a, b in ds] == [(1, b"a"), (2, b"b")]
    assert int(exp.at(Dataset.range(5), 3)) == 3
    assert exp.get_structure(ds) == ds.element_spec
    mb = Dataset.range(5).apply(exp.map_and_batch(lambda x: x * 2, 2))
    assert [b.numpy().tolist() for b in mb] == [[0, 2], [4, 6], [8]]
    assert [int(x) for x in exp.Counter(3, 2).take(3)] == [3, 5, 7]
    opt = exp.get_next_as_optional(iter(Dataset.range(1)))
    assert isinstance(opt, exp.Optional) and int(opt.get_value()) == 0


def test_snapshot_writes_and_rereads(tmp_path):
    ds = Dataset.range(4).snapshot(str(tmp_path / "snap"))
    assert [int(x) for x in ds] == [0, 1, 2, 3]
    assert [int(x) for x in ds] == [0, 1, 2, 3]


def test_datasets_capture_array_values_at_creation():
    x = np.arange(4)
    ds = Dataset.from_tensor_slices(x)
    one = Dataset.from_tensors(x)
    x[:] = -1
    assert [int(v) for v in ds] == [0, 1, 2, 3]
    assert next(iter(one)).numpy().tolist() == [0, 1, 2, 3]
