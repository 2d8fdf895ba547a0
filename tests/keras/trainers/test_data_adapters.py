"""Data adapters: batching, shuffling, splits, class weights and iterable sources."""

from __future__ import annotations

import numpy as np
import pytest

import ndflow as tf
from ndflow._src.keras.trainers import data_adapters as da


def _sizes(adapter):
    return [int(b[0].shape[0]) for b in adapter.get_epoch()]


def test_array_batches_in_order_without_shuffle():
    x = np.arange(10, dtype="float32")[:, None]
    adapter = da.get_adapter(x, x * 2, batch_size=4, shuffle=False)
    batches = list(adapter.get_epoch())
    assert adapter.num_batches == 3 and _sizes(adapter) == [4, 4, 2]
    np.testing.assert_array_equal(batches[1][0].numpy()[:, 0], [4, 5, 6, 7])
    np.testing.assert_array_equal(batches[1][1].numpy()[:, 0], [8, 10, 12, 14])


def test_array_shuffle_permutes_each_epoch_and_keeps_pairs():
    x = np.arange(32, dtype="float32")[:, None]
    adapter = da.get_adapter(x, x + 100, batch_size=32, shuffle=True)
    (bx, by), (bx2, _) = next(adapter.get_epoch()), next(adapter.get_epoch())
    np.testing.assert_array_equal(by.numpy(), bx.numpy() + 100)
    assert sorted(bx.numpy()[:, 0]) == list(range(32))
    assert not np.array_equal(bx.numpy(), bx2.numpy()) or not np.array_equal(bx.numpy(), x)


def test_default_batch_size_is_32_and_dicts_and_tensors_work():
    x = {"a": np.zeros((70, 2)), "b": tf.zeros((70, 1))}
    adapter = da.get_adapter(x, np.zeros(70))
    assert adapter.num_batches == 3
    first = next(adapter.get_epoch())
    assert set(first[0]) == {"a", "b"} and first[0]["a"].shape == (32, 2)


def test_sample_weight_and_class_weight():
    y = np.array([0, 1, 1, 0])
    adapter = da.get_adapter(np.zeros((4, 1)), y, class_weight={0: 1.0, 1: 5.0}, shuffle=False)
    _, _, sw = next(adapter.get_epoch())
    np.testing.assert_allclose(sw.numpy(), [1.0, 5.0, 5.0, 1.0])
    onehot = np.eye(2)[y]
    adapter = da.get_adapter(
        np.zeros((4, 1)), onehot, sample_weight=np.full(4, 2.0), class_weight={0: 1.0, 1: 5.0}
    )
    _, _, sw = next(adapter.get_epoch())
    assert sorted(sw.numpy()) == [2.0, 2.0, 10.0, 10.0]


def test_validation_split_takes_the_tail():
    x = np.arange(10)
    (tx, ty, _), (vx, vy, _) = da.train_validation_split((x, x, None), 0.2)
    np.testing.assert_array_equal(tx, np.arange(8))
    np.testing.assert_array_equal(vy, [8, 9])
    with pytest.raises(ValueError, match="not sufficient to split"):
        da.train_validation_split((np.arange(1), None, None), 0.5)


def test_cardinality_mismatch_names_both_sizes():
    with pytest.raises(ValueError, match=r"(?s)'x' sizes: 3.*'y' sizes: 2"):
        da.get_adapter(np.zeros((3, 1)), np.zeros((2, 1)))


def test_dataset_generator_and_sequence_sources():
    x = np.arange(12, dtype="float32")[:, None]
    ds = tf.data.Dataset.from_tensor_slices((x, x)).batch(5)
    adapter = da.get_adapter(ds)
    assert adapter.num_batches == 3 and _sizes(adapter) == [5, 5, 2]

    def gen():
        for i in range(0, 12, 4):
            yield x[i : i + 4], x[i : i + 4]

    adapter = da.get_adapter(gen(), steps=2)
    assert _sizes(adapter) == [4, 4]
    assert _sizes(adapter) == [4]  # the same generator continues, then runs out

    class Seq:
        def __len__(self):
            return 2

        def __getitem__(self, i):
            return (x[i * 6 : (i + 1) * 6],)

    adapter = da.get_adapter(Seq())
    batches = list(adapter.get_epoch())
    assert adapter.num_batches == 2 and batches[0][0].shape == (6, 1)
    with pytest.raises(ValueError, match="`batch_size` argument must not be specified"):
        da.get_adapter(ds, batch_size=3)


def test_unpack_x_y_sample_weight():
    assert da.unpack_x_y_sample_weight((1,)) == (1, None, None)
    assert da.unpack_x_y_sample_weight((1, 2)) == (1, 2, None)
    assert da.unpack_x_y_sample_weight([1, 2, 3]) == (1, 2, 3)
    with pytest.raises(ValueError, match="Data is expected to be in format"):
        da.unpack_x_y_sample_weight((1, 2, 3, 4))


def test_python_lists_of_numbers_are_arrays():
    adapter = da.get_adapter([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]], [1, 0, 1], batch_size=2)
    bx, by = next(adapter.get_epoch())
    assert bx.shape == (2, 2) and by.shape == (2,)
    # a list of arrays stays a structure (one array per model input)
    adapter = da.get_adapter([np.zeros((3, 2)), np.zeros((3, 1))], np.zeros(3))
    (bx, by) = next(adapter.get_epoch())
    assert isinstance(bx, list) and len(bx) == 2


def test_pydataset_subclass_calls_on_epoch_end():
    from ndflow._src.keras.trainers.py_dataset import PyDataset

    ends = []

    class Batches(PyDataset):
        def __init__(self):
            super().__init__(workers=2)

        def __len__(self):
            return 3

        def __getitem__(self, i):
            return np.full((2, 1), i, "float32"), np.zeros((2, 1), "float32")

        def on_epoch_end(self):
            ends.append(1)

    adapter = da.get_adapter(Batches())
    firsts = [float(b[0].numpy()[0, 0]) for b in adapter.get_epoch()]
    assert firsts == [0.0, 1.0, 2.0] and ends == [1] and adapter.num_batches == 3
