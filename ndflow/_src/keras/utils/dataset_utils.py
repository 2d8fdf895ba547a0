"""`keras.utils.split_dataset`: a left and a right `tf.data.Dataset` from arrays or a
dataset, with Keras 3's size rules and error messages.

>>> import numpy as np
>>> left, right = split_dataset(np.arange(10.0), left_size=0.8)
>>> int(left.cardinality()), int(right.cardinality())
(8, 2)
"""

from __future__ import annotations

import random
from typing import Any

import numpy as np

from ndflow._src.core import nest
from ndflow._src.data.batching import BatchDataset, PaddedBatchDataset, RaggedBatchDataset
from ndflow._src.data.dataset_ops import DatasetV2
from ndflow._src.framework.tensor import Tensor

# Keras unbatches (and re-batches the splits of) a dataset whose last transformation is
# a batching one, as TensorFlow's batch datasets carry their batch size.
_BATCHING = (BatchDataset, PaddedBatchDataset, RaggedBatchDataset)


def split_dataset(
    dataset: Any,
    left_size: int | float | None = None,
    right_size: int | float | None = None,
    shuffle: bool = False,
    seed: int | None = None,
    preferred_backend: str | None = None,
) -> tuple:
    """Splits samples into a left and a right `tf.data.Dataset` (e.g. train / test).

    Args:
        dataset: a NumPy array, a tuple or list of NumPy arrays of the same length, or a
            `tf.data.Dataset` (a batched one is split by samples and re-batched).
        left_size: a float in (0, 1) is the fraction of samples on the left, an int the
            number of them; None means the complement of `right_size`.
        right_size: the same for the right side.
        shuffle: shuffle the samples before splitting (with Python's `random`, seeded
            by `seed`, as Keras does).
        seed: the shuffle's seed.
        preferred_backend: accepted for Keras compatibility; only "tensorflow" applies.

    Returns:
        `(left, right)`, two `tf.data.Dataset`s. Fractions are rounded with Python's
        `round`; the left side takes the first samples and the right side the last ones.

    Raises:
        TypeError: an unsupported dataset, or sizes that are not int/float/None.
        ValueError: no size given, sizes out of range, or a split that would be empty.

    >>> left, right = split_dataset((np.zeros((5, 2)), np.arange(5)), right_size=2)
    >>> [int(y) for _, y in right]
    [3, 4]
    """
    if not isinstance(dataset, (list, tuple, np.ndarray, DatasetV2)):
        raise TypeError(f"Unsupported dataset type: {type(dataset)}")
    if right_size is None and left_size is None:
        raise ValueError(
            "At least one of the `left_size` or `right_size` must be specified. Received: "
            "left_size=None and right_size=None"
        )
    columns, structure = _to_columns(dataset)
    total = len(columns[0])
    order = list(range(total))
    if shuffle:
        # Keras shuffles its list of samples with the global Python generator; shuffling
        # indices with the same calls gives the same permutation.
        if seed is None:
            seed = random.randint(0, int(1e6))
        random.seed(seed)
        random.shuffle(order)
    left_n, right_n = _split_sizes(left_size, right_size, total)
    left_idx = np.asarray(order[:left_n], dtype=np.int64)
    right_idx = np.asarray(order[total - right_n :], dtype=np.int64)
    batch_size = dataset._n if isinstance(dataset, _BATCHING) else None
    left = _rebuild(columns, structure, left_idx, batch_size)
    right = _rebuild(columns, structure, right_idx, batch_size)
    return left, right


def _to_columns(dataset: Any) -> tuple:
    """The samples as one stacked array per leaf, and the structure of one sample."""
    if isinstance(dataset, np.ndarray):
        if len(dataset) == 0:
            raise _empty()
        return [dataset], None
    if isinstance(dataset, (list, tuple)):
        kind = "list" if isinstance(dataset, list) else "tuple"
        if len(dataset) == 0:
            if kind == "list":
                raise ValueError(
                    "Received an empty list dataset. Please provide a non-empty list of arrays."
                )
            raise ValueError(
                "Received an empty list dataset.Please provide a non-empty tuple of arrays."
            )
        expected = None
        for i, element in enumerate(dataset):
            if not isinstance(element, np.ndarray):
                raise ValueError(
                    f"Expected a {kind} of `numpy.ndarray` objects,Received: "
                    f"{type(element)} at index {i}."
                )
            if expected is None:
                expected = element.shape
            elif element.shape[0] != expected[0]:
                raise ValueError(
                    f"Received a {kind} of NumPy arrays with different lengths.Mismatch "
                    f"found at index {i}, Expected shape={expected} Received shape="
                    f"{element.shape}.Please provide a {kind} of NumPy arrays of the same "
                    "length."
                )
        if expected[0] == 0:
            raise _empty()
        # Keras rebuilds list datasets as tuples (tf.data takes tuples as structure).
        return list(dataset), tuple(range(len(dataset)))
    if isinstance(dataset, _BATCHING):
        dataset = dataset.unbatch()
    samples = []
    first_shape = None
    for i, element in enumerate(dataset):
        if i == 0:
            if isinstance(element, Tensor):
                first_shape = tuple(element.shape.as_list())
        elif first_shape is not None and tuple(element.shape.as_list()) != first_shape:
            raise ValueError(
                f"All `dataset` samples must have same shape, Expected shape: {first_shape} "
                f"Received shape: {tuple(element.shape.as_list())} at index {i - 1}."
            )
        samples.append(element)
    if not samples:
        raise _empty()
    structure = samples[0]
    flat = [nest.flatten(s) for s in samples]
    columns = [np.stack([_array(f[j]) for f in flat]) for j in range(len(flat[0]))]
    return columns, structure


def _array(value: Any) -> np.ndarray:
    return np.asarray(value.numpy() if hasattr(value, "numpy") else value)


def _empty() -> ValueError:
    return ValueError(
        "Received an empty dataset. Argument `dataset` must be a non-empty list/tuple of "
        "`numpy.ndarray` objects or `tf.data.Dataset` objects."
    )


def _rebuild(columns: list, structure: Any, idx: np.ndarray, batch_size: Any) -> Any:
    parts = [c[idx] for c in columns]
    if structure is None:
        data: Any = parts[0]
    else:
        data = _lists_to_tuples(nest.pack_sequence_as(structure, parts))
    out = DatasetV2.from_tensor_slices(data)
    if batch_size is not None:
        out = out.batch(batch_size)
    return out.prefetch(-1)


def _lists_to_tuples(x: Any) -> Any:
    if isinstance(x, list):
        return tuple(_lists_to_tuples(v) for v in x)
    if isinstance(x, tuple) and not hasattr(x, "_fields"):
        return tuple(_lists_to_tuples(v) for v in x)
    if isinstance(x, dict):
        return {k: _lists_to_tuples(v) for k, v in x.items()}
    return x


def _split_sizes(left: Any, right: Any, total: int) -> tuple:
    """Keras's size rules: types, ranges, fractions rounded, complements, no empty side."""
    lt, rt = type(left), type(right)
    ok = (int, float)
    if (left is not None and lt not in ok) and (right is not None and rt not in ok):
        raise TypeError(
            "Invalid `left_size` and `right_size` Types. Expected: integer or float or None, "
            f"Received: type(left_size)={lt} and type(right_size)={rt}"
        )
    if left is not None and lt not in ok:
        raise TypeError(
            f"Invalid `left_size` Type. Expected: int or float or None, Received: "
            f"type(left_size)={lt}.  "
        )
    if right is not None and rt not in ok:
        raise TypeError(
            f"Invalid `right_size` Type. Expected: int or float or None,Received: "
            f"type(right_size)={rt}."
        )
    if left == 0 and right == 0:
        raise ValueError(
            "Both `left_size` and `right_size` are zero. At least one of the split sizes "
            "must be non-zero."
        )
    if (lt is int and (left <= 0 or left >= total)) or (lt is float and not 0 < left < 1):
        raise ValueError(
            f"`left_size` should be either a positive integer smaller than {total}, or a "
            f"float within the range `[0, 1]`. Received: left_size={left}"
        )
    if (rt is int and (right <= 0 or right >= total)) or (rt is float and not 0 < right < 1):
        raise ValueError(
            f"`right_size` should be either a positive integer and smaller than {total} or "
            f"a float within the range `[0, 1]`. Received: right_size={right}"
        )
    if lt is float and rt is float and left + right > 1:
        raise ValueError(
            "The sum of `left_size` and `right_size` is greater than 1. It must be less "
            "than or equal to 1."
        )
    # Keras holds int sizes as floats from here on, which shows in its messages.
    left_n = round(left * total) if lt is float else (float(left) if lt is int else None)
    right_n = round(right * total) if rt is float else (float(right) if rt is int else None)
    if left_n is None:
        left_n = total - right_n
    elif right_n is None:
        right_n = total - left_n
    if left_n + right_n > total:
        raise ValueError(
            f"The sum of `left_size` and `right_size` should be smaller than the {total}. "
            f"Received: left_size + right_size = {left_n + right_n}and total_length "
            f"= {total}"
        )
    for split, side in ((left_n, "left"), (right_n, "right")):
        if split == 0:
            raise ValueError(
                f"With `dataset` of length={total}, `left_size`={left_n} and "
                f"`right_size`={right_n}.Resulting {side} side dataset split will be "
                "empty. Adjust any of the aforementioned parameters"
            )
    return int(left_n), int(right_n)
