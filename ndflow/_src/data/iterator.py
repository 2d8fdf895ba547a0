"""Dataset iterators: Python iteration, NumPy iteration and checkpointable state.

An `OwnedIterator` yields elements as ndflow tensors in the element's structure. Its
checkpoint state is the pipeline's seeds plus the number of elements produced; restoring
rebuilds the pipeline with the same seeds and replays to that position, so a restored
iterator continues with exactly the element that would have come next (for pipelines
whose inputs are deterministic, such as tensors, files and seeded or recorded shuffles).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ndflow._src.core import errors
from ndflow._src.data import structure
from ndflow._src.framework.tensor import wrap

_ndarray = np.ndarray


def _wrap(a: Any) -> Any:
    if type(a) is _ndarray:
        return wrap(a)
    return structure.wrap_component(a)


class OwnedIterator:
    """`iter(dataset)`: `next()` returns the next element as ndflow tensors.

    >>> import ndflow as tf
    >>> it = iter(tf.data.Dataset.range(3))
    >>> int(next(it)), int(it.get_next())
    (0, 1)
    """

    def __init__(self, dataset: Any) -> None:
        self._dataset = dataset
        self._structure = dataset.element_spec
        self._pack = structure.make_packer(self._structure)
        self._start(dataset._new_ctx(), 0)

    def _start(self, ctx: Any, skip: int) -> None:
        self._ctx = ctx
        self._it = self._dataset._iter(ctx)
        self._count = 0
        for _ in range(skip):
            next(self._it)
            self._count += 1

    @property
    def element_spec(self) -> Any:
        return self._structure

    def __iter__(self) -> OwnedIterator:
        return self

    def _next_flat(self) -> tuple:
        flat = next(self._it)
        self._count += 1
        return flat

    def __next__(self) -> Any:
        flat = next(self._it)
        self._count += 1
        return self._pack([_wrap(a) for a in flat])

    def next(self) -> Any:
        return self.__next__()

    def get_next(self) -> Any:
        """The next element; raises `tf.errors.OutOfRangeError` at the end."""
        try:
            return self.__next__()
        except StopIteration:
            raise errors.OutOfRangeError(None, None, "End of sequence") from None

    def get_next_as_optional(self) -> Any:
        try:
            return Optional(self.__next__(), self._structure)
        except StopIteration:
            return Optional(None, self._structure)

    # ------------------------------------------------------------ trackable protocol
    def _trackable_children(self, *args: Any, **kwargs: Any) -> dict:
        return {}

    def _serialize_to_tensors(self) -> dict:
        """The iterator's position: seeds and the count of elements produced."""
        return {
            "count": np.asarray(self._count, np.int64),
            "entropy": np.asarray(self._ctx.entropy, np.int64),
            "iteration": np.asarray(self._ctx.iteration, np.int64),
            "shuffle_positions": np.asarray(list(self._ctx.kbase), np.int64),
            "shuffle_iterators": np.asarray(list(self._ctx.kbase.values()), np.int64),
        }

    def _restore_from_tensors(self, tensors: dict) -> None:
        """Continues from a saved position (replaying the pipeline to it)."""
        from ndflow._src.data.dataset_ops import IterCtx

        arrays = {k: np.asarray(getattr(v, "_value", v)) for k, v in tensors.items()}
        vals = {k: int(v) for k, v in arrays.items() if v.ndim == 0}
        try:
            ctx = IterCtx(vals["entropy"], vals["iteration"])
            ctx.positions = self._dataset._positions()
            ctx.kbase = dict(
                zip(
                    arrays.get("shuffle_positions", np.zeros(0)).tolist(),
                    arrays.get("shuffle_iterators", np.zeros(0)).tolist(),
                )
            )
            self._start(ctx, vals["count"])
        except StopIteration:
            raise errors.FailedPreconditionError(
                None,
                None,
                "Failed to restore the iterator: the dataset has fewer than "
                f"{vals['count']} elements now.",
            ) from None

    def save(self) -> dict:
        return self._serialize_to_tensors()


class NumpyIterator:
    """`as_numpy_iterator()`: elements as NumPy values."""

    def __init__(self, dataset: Any) -> None:
        for spec in structure.flatten(dataset.element_spec):
            if not hasattr(spec, "dtype") or isinstance(spec, structure.DatasetSpec):
                raise TypeError(
                    "Dataset.as_numpy_iterator() is not supported for datasets that produce "
                    f"values of type {type(spec).__name__}"
                )
        self._structure = dataset.element_spec
        self._pack = structure.make_packer(self._structure)
        self._it = dataset._iter(dataset._new_ctx())
        self._ragged = any(
            isinstance(s, structure.RaggedTensorSpec)
            for s in structure.flatten(dataset.element_spec)
        )

    def __iter__(self) -> NumpyIterator:
        return self

    def __next__(self) -> Any:
        flat = next(self._it)
        if self._ragged:  # RaggedTensors come out as TF's object arrays of rows
            flat = [a.numpy() if hasattr(a, "nested_row_splits") else a for a in flat]
        return self._pack([a[()] if a.ndim == 0 else a for a in map(np.asarray, flat)])

    def next(self) -> Any:
        return self.__next__()


class Optional:
    """`tf.experimental.Optional`: a value that may be absent."""

    def __init__(self, value: Any, spec: Any) -> None:
        self._value = value
        self.element_spec = spec

    @staticmethod
    def from_value(value: Any) -> Optional:
        from ndflow._src.data.structure import normalize, spec_from_element

        return Optional(value, spec_from_element(normalize(value)))

    @staticmethod
    def empty(element_spec: Any) -> Optional:
        return Optional(None, element_spec)

    def has_value(self) -> Any:
        from ndflow._src.framework.tensor import wrap

        return wrap(np.asarray(self._value is not None))

    def get_value(self) -> Any:
        if self._value is None:
            raise errors.InvalidArgumentError(None, None, "The optional does not have a value.")
        return self._value
