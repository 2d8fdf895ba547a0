"""Bad input raises TensorFlow's exception classes with messages naming what was wrong."""

from __future__ import annotations

import numpy as np
import pytest

import ndflow as nd
from ndflow._src.data.structure import TensorSpec

Dataset = nd.data.Dataset


def test_mismatched_leading_dimensions_name_both_sizes():
    with pytest.raises(ValueError, match="Dimensions 3 and 4 are not compatible"):
        Dataset.from_tensor_slices((np.zeros((3, 2)), np.zeros(4)))


def test_slicing_a_scalar_is_rejected():
    with pytest.raises(ValueError, match="rank >= 1"):
        Dataset.from_tensor_slices(np.float32(1.0))


def test_generator_yielding_wrong_shape_names_both_shapes():
    def gen():
        yield np.zeros(3, np.float32)
        yield np.zeros(2, np.float32)

    ds = Dataset.from_generator(gen, output_signature=TensorSpec((3,), nd.float32))
    it = iter(ds)
    next(it)
    with pytest.raises(
        nd.errors.InvalidArgumentError,
        match=r"shape \(2,\) where an element "
        r"of shape \(3,\) was expected",
    ):
        next(it)


def test_generator_yielding_wrong_dtype_names_the_expected_type():
    ds = Dataset.from_generator(lambda: iter(["a"]), output_signature=TensorSpec((), nd.float32))
    with pytest.raises(nd.errors.InvalidArgumentError, match="expected type was float32"):
        list(ds)


def test_generator_converts_compatible_numbers_like_tensorflow():
    ds = Dataset.from_generator(
        lambda: iter([np.arange(3)]), output_signature=TensorSpec((3,), nd.float32)
    )
    (value,) = list(ds)
    assert value.dtype == nd.float32


def test_generator_yielding_wrong_structure():
    ds = Dataset.from_generator(lambda: iter([1]), output_types=(nd.int32, nd.int32))
    with pytest.raises(nd.errors.InvalidArgumentError, match="structure"):
        list(ds)


def test_batching_different_shapes_names_component_and_suggests_padded_batch():
    def gen():
        yield np.zeros(3)
        yield np.zeros(2)

    ds = Dataset.from_generator(gen, output_types=nd.float64, output_shapes=[None]).batch(2)
    with pytest.raises(nd.errors.InvalidArgumentError) as e:
        list(ds)
    msg = str(e.value)
    assert "Cannot batch tensors with different shapes in component 0" in msg
    assert "First element had shape [3] and element 1 had shape [2]" in msg
    assert "padded_batch" in msg


def test_padded_batch_smaller_than_element():
    ds = Dataset.from_generator(
        lambda: iter([np.zeros(4, np.int64)]), output_types=nd.int64, output_shapes=[None]
    ).padded_batch(1, padded_shapes=[2])
    with pytest.raises(nd.errors.InvalidArgumentError, match="smaller size"):
        list(ds)


@pytest.mark.parametrize("size", [0, -3])
def test_batch_size_must_be_positive(size):
    with pytest.raises(nd.errors.InvalidArgumentError, match="Batch size must be greater"):
        Dataset.range(3).batch(size)


def test_shuffle_buffer_must_be_positive():
    with pytest.raises(nd.errors.InvalidArgumentError, match="buffer_size must be greater"):
        Dataset.range(3).shuffle(0)


def test_get_single_element_errors():
    with pytest.raises(nd.errors.InvalidArgumentError, match="more than one element"):
        Dataset.range(3).get_single_element()
    with pytest.raises(nd.errors.InvalidArgumentError, match="was empty"):
        Dataset.range(0).get_single_element()
    assert int(Dataset.range(4, 5).get_single_element()) == 4


def test_len_of_infinite_and_unknown_datasets():
    with pytest.raises(TypeError, match="The dataset is infinite."):
        len(Dataset.range(3).repeat())
    with pytest.raises(TypeError, match="The dataset length is unknown."):
        len(Dataset.range(3).filter(lambda x: x > 1))
    assert len(Dataset.range(7).batch(2)) == 4


def test_filter_predicate_must_return_scalar_bool():
    with pytest.raises(ValueError, match="tf.bool"):
        Dataset.range(3).filter(lambda x: x * 2)


def test_apply_must_return_a_dataset():
    with pytest.raises(TypeError, match="must return a `tf.data.Dataset`"):
        Dataset.range(3).apply(lambda d: 3)


def test_zip_rejects_lists():
    with pytest.raises(TypeError, match="tuple"):
        Dataset.zip([Dataset.range(2), Dataset.range(2)])


def test_concatenate_incompatible_dtypes():
    with pytest.raises(TypeError, match="Incompatible dataset elements"):
        Dataset.range(2).concatenate(Dataset.from_tensor_slices([1.0]))


def test_unique_rejects_floats():
    with pytest.raises(TypeError, match="unique"):
        Dataset.from_tensor_slices([1.0, 2.0]).unique()


def test_iterator_end_raises_out_of_range_from_get_next():
    it = iter(Dataset.range(1))
    it.get_next()
    with pytest.raises(nd.errors.OutOfRangeError):
        it.get_next()
    with pytest.raises(StopIteration):
        next(it)


def test_errors_in_map_propagate_with_their_class():
    # The map function is traced; the bad index only shows when the third element runs.
    table = nd.constant([10, 20])
    ds = Dataset.range(0, 3).map(lambda x: x).map(lambda x: nd.gather(table, x))
    it = iter(ds)
    assert [int(next(it)), int(next(it))] == [10, 20]
    with pytest.raises(nd.errors.InvalidArgumentError, match="GatherV2"):
        next(it)
