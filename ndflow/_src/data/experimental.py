"""`tf.data.experimental` functions: mostly `apply`-style wrappers of Dataset methods."""

from __future__ import annotations

from typing import Any
from collections.abc import Callable

import numpy as np

from ndflow._src.core import errors
from ndflow._src.data.dataset_ops import DatasetV2, invalid_argument
from ndflow._src.data.options import AutoShardPolicy as AutoShardPolicy
from ndflow._src.data.options import AutotuneOptions as AutotuneOptions
from ndflow._src.data.options import DistributeOptions as DistributeOptions
from ndflow._src.data.options import OptimizationOptions as OptimizationOptions
from ndflow._src.data.options import ThreadingOptions as ThreadingOptions


def cardinality(dataset: DatasetV2) -> Any:
    return dataset.cardinality()


def get_single_element(dataset: DatasetV2) -> Any:
    return dataset.get_single_element()


def sample_from_datasets(
    datasets: list, weights: Any = None, seed: Any = None, stop_on_empty_dataset: bool = False
) -> DatasetV2:
    return DatasetV2.sample_from_datasets(datasets, weights, seed, stop_on_empty_dataset)


def choose_from_datasets(
    datasets: list, choice_dataset: DatasetV2, stop_on_empty_dataset: bool = True
) -> DatasetV2:
    return DatasetV2.choose_from_datasets(datasets, choice_dataset, stop_on_empty_dataset)


def save(
    dataset: DatasetV2,
    path: str,
    compression: Any = None,
    shard_func: Any = None,
    checkpoint_args: Any = None,
) -> None:
    dataset.save(path)


def load(
    path: str, element_spec: Any = None, compression: Any = None, reader_func: Any = None
) -> DatasetV2:
    return DatasetV2.load(path, element_spec)


def _method(name: str) -> Callable:
    def transformation(*args: Any, **kwargs: Any) -> Callable[[DatasetV2], DatasetV2]:
        return lambda ds: getattr(ds, name)(*args, **kwargs)

    transformation.__name__ = name
    transformation.__doc__ = f"`tf.data.experimental.{name}`: use with `dataset.apply`."
    return transformation


group_by_window = _method("group_by_window")
bucket_by_sequence_length = _method("bucket_by_sequence_length")
scan = _method("scan")
take_while = _method("take_while")
unique = _method("unique")
ignore_errors = _method("ignore_errors")


def unbatch() -> Callable[[DatasetV2], DatasetV2]:
    return lambda ds: ds.unbatch()


def enumerate_dataset(start: int = 0) -> Callable[[DatasetV2], DatasetV2]:
    return lambda ds: ds.enumerate(start)


def shuffle_and_repeat(
    buffer_size: int, count: Any = None, seed: Any = None
) -> Callable[[DatasetV2], DatasetV2]:
    return lambda ds: ds.shuffle(buffer_size, seed).repeat(count)


def dense_to_ragged_batch(
    batch_size: int, drop_remainder: bool = False, row_splits_dtype: Any = None
) -> Callable[[DatasetV2], DatasetV2]:
    splits = "int64" if row_splits_dtype is None else row_splits_dtype
    return lambda ds: ds.ragged_batch(batch_size, drop_remainder, splits)


def assert_cardinality(expected_cardinality: Any) -> Callable[[DatasetV2], DatasetV2]:
    expected = int(np.asarray(getattr(expected_cardinality, "_value", expected_cardinality)))

    def apply(ds: DatasetV2) -> DatasetV2:
        from ndflow._src.data.transformations import _PassThrough

        class _Asserted(_PassThrough):
            def _card(self) -> int:
                return expected

            def _iter(self, ctx: Any) -> Any:
                n = 0
                for e in self._inputs[0]._iter(ctx):
                    n += 1
                    if expected >= 0 and n > expected:
                        raise _cardinality_error(expected, "at least", n)
                    yield e
                if expected >= 0 and n < expected:
                    raise _cardinality_error(expected, "", n)

        return _Asserted([ds])

    return apply


def _cardinality_error(expected: int, more: str, n: int) -> Exception:
    word = "at least " if more else ""
    return invalid_argument(
        f"Input dataset was expected to contain {expected} elements but contained "
        f"{word}{n} elements."
    )


def rejection_resample(*args: Any, **kwargs: Any) -> Any:
    raise NotImplementedError("tf.data.experimental.rejection_resample is not implemented.")


def make_saveable_from_iterator(iterator: Any, external_state_policy: Any = None) -> Any:
    """Iterators are trackable themselves; this returns the iterator."""
    return iterator


def get_structure(dataset_or_iterator: Any) -> Any:
    """`tf.data.experimental.get_structure`: the element spec."""
    return dataset_or_iterator.element_spec


def get_next_as_optional(iterator: Any) -> Any:
    return iterator.get_next_as_optional()


def map_and_batch(
    map_func: Callable,
    batch_size: int,
    num_parallel_batches: Any = None,
    drop_remainder: bool = False,
    num_parallel_calls: Any = None,
) -> Callable[[DatasetV2], DatasetV2]:
    """`map` then `batch` (which ndflow fuses itself where the function allows)."""
    return lambda ds: ds.map(map_func, num_parallel_calls).batch(batch_size, drop_remainder)


def parallel_interleave(
    map_func: Callable,
    cycle_length: int,
    block_length: int = 1,
    sloppy: bool = False,
    buffer_output_elements: Any = None,
    prefetch_input_elements: Any = None,
) -> Callable[[DatasetV2], DatasetV2]:
    return lambda ds: ds.interleave(map_func, cycle_length, block_length)


def from_list(elements: list, name: str | None = None) -> DatasetV2:
    """`tf.data.experimental.from_list`: one element per list entry (same structure)."""
    from ndflow._src.core import nest
    from ndflow._src.data import structure
    from ndflow._src.data.sources import TensorSliceDataset

    if not elements:
        raise ValueError("Invalid `elements`. `elements` should not be empty.")
    norm = [structure.normalize(e) for e in elements]
    flat = [nest.flatten(e) for e in norm]
    columns = [np.stack([f[i] for f in flat]) for i in range(len(flat[0]))]
    return TensorSliceDataset(structure.pack(norm[0], columns))


def at(dataset: DatasetV2, index: int) -> Any:
    """`tf.data.experimental.at`: the element at `index`."""
    n = int(index)
    if n < 0:
        raise invalid_argument(f"Index must be non-negative, but got {n}.")
    for i, e in enumerate(dataset):
        if i == n:
            return e
    raise errors.OutOfRangeError(None, None, f"Index {n} is out of range.")


def copy_to_device(target_device: str, source_device: str = "/cpu:0") -> Callable:
    return lambda ds: ds


def prefetch_to_device(device: str, buffer_size: Any = None) -> Callable:
    return lambda ds: ds.prefetch(buffer_size if buffer_size is not None else -1)


def enable_debug_mode() -> None:
    """Functions already run eagerly element by element here; nothing to switch."""


def Counter(start: int = 0, step: int = 1, dtype: Any = None) -> DatasetV2:  # noqa: N802
    return DatasetV2.counter(start, step, dtype)


def snapshot(
    path: str, compression: Any = None, reader_func: Any = None, shard_func: Any = None
) -> Callable[[DatasetV2], DatasetV2]:
    return lambda ds: ds.snapshot(path)


class ExternalStatePolicy:
    WARN = 0
    IGNORE = 1
    FAIL = 2


class TFRecordWriter:
    """`tf.data.experimental.TFRecordWriter`: writes a dataset of scalar strings."""

    def __init__(self, filename: str, compression_type: Any = None) -> None:
        self._filename = filename
        self._compression = compression_type

    def write(self, dataset: DatasetV2) -> None:
        from ndflow._src.data.tfrecord import TFRecordWriter as Writer

        with Writer(self._filename, self._compression) as w:
            for record in dataset.as_numpy_iterator():
                w.write(record)


def make_batched_features_dataset(
    file_pattern: Any,
    batch_size: int,
    features: dict,
    reader: Any = None,
    label_key: str | None = None,
    reader_args: list | None = None,
    num_epochs: int | None = None,
    shuffle: bool = True,
    shuffle_buffer_size: int = 10000,
    shuffle_seed: int | None = None,
    prefetch_buffer_size: Any = None,
    reader_num_threads: Any = None,
    parser_num_threads: Any = None,
    sloppy_ordering: bool = False,
    drop_final_batch: bool = False,
) -> DatasetV2:
    """Batches of parsed tf.train.Example features (and a label) read from files."""
    from ndflow._src.data.parsing import parse_example
    from ndflow._src.data.readers import TFRecordDataset

    reader = reader or TFRecordDataset
    files = DatasetV2.list_files(file_pattern, shuffle=shuffle, seed=shuffle_seed)
    ds = files.interleave(
        lambda f: reader(f, *(reader_args or [])),
        cycle_length=int(reader_num_threads or 1),
        block_length=1,
    )
    if shuffle:
        ds = ds.shuffle(shuffle_buffer_size, seed=shuffle_seed)
    if num_epochs != 1:
        ds = ds.repeat(num_epochs)
    ds = ds.batch(batch_size, drop_remainder=drop_final_batch)

    def parse(serialized: Any) -> Any:
        parsed = parse_example(serialized, features)
        if label_key is None:
            return parsed
        if label_key not in parsed:
            raise ValueError(
                f"The `label_key` provided ({label_key}) must be one of the "
                f"`features` keys: {sorted(parsed)}."
            )
        label = parsed.pop(label_key)
        return parsed, label

    ds = ds.map(parse)
    return ds.prefetch(prefetch_buffer_size if prefetch_buffer_size is not None else -1)
