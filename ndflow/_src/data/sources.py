"""Source datasets: tensor slices, single tensors, range, Python generators, zip, concat."""

from __future__ import annotations

import itertools
from typing import Any
from collections.abc import Callable, Iterator

import numpy as np

from ndflow._src.core import dtypes, nest
from ndflow._src.core.tensor_shape import TensorShape
from ndflow._src.data import structure
from ndflow._src.data.dataset_ops import (
    DatasetV2,
    IndexPlan,
    IterCtx,
    invalid_argument,
)
from ndflow._src.data.options import INFINITE_CARDINALITY, UNKNOWN_CARDINALITY
from ndflow._src.data.structure import TensorSpec


def _whole(n: int) -> Callable[[IterCtx], Iterator[np.ndarray]]:
    def chunks(ctx: IterCtx) -> Iterator[np.ndarray]:
        if n:
            yield np.arange(n, dtype=np.int64)

    return chunks


class TensorSliceDataset(DatasetV2):
    """`Dataset.from_tensor_slices`: row i of every component is element i."""

    def __init__(self, tensors: Any) -> None:
        super().__init__()
        value = structure.normalize(tensors, copy=True)
        self._structure = value
        self._arrays = [np.asarray(a) for a in structure.flatten(value)]
        if not self._arrays:
            raise ValueError("Invalid `tensors`. `tensors` should not be empty.")
        for a in self._arrays:
            if a.ndim == 0:
                raise ValueError(
                    "Unbatching a tensor is only supported for rank >= 1, but got a "
                    f"scalar tensor of value {a!r}."
                )
        n = self._arrays[0].shape[0]
        for a in self._arrays[1:]:
            if a.shape[0] != n:
                raise ValueError(f"Dimensions {n} and {a.shape[0]} are not compatible")
        self._n = n
        self._dtypes = [structure.dtype_of(a) for a in self._arrays]

    def _compute_spec(self) -> Any:
        specs = [structure.spec_of_array(a, drop_leading=True) for a in self._arrays]
        return structure.pack(self._structure, specs)

    def _card(self) -> int:
        return self._n

    def _iter(self, ctx: IterCtx) -> Iterator[tuple]:
        arrays = self._arrays
        for i in range(self._n):
            yield tuple([a[i, ...] for a in arrays])

    def gather(self, idx: np.ndarray) -> tuple:
        if (
            len(idx)
            and idx[-1] - idx[0] == len(idx) - 1
            and (len(idx) < 3 or np.all(np.diff(idx) == 1))
        ):
            s = slice(int(idx[0]), int(idx[-1]) + 1)
            return tuple([a[s] for a in self._arrays])
        return tuple([a[idx] for a in self._arrays])

    @property
    def n(self) -> int:
        return self._n

    def _plan(self) -> IndexPlan:
        return IndexPlan(self, _whole(self._n), ordered=True)

    def _probe(self, k: int) -> list:
        return [tuple([a[i, ...] for a in self._arrays]) for i in range(min(k, self._n))]


class TensorDataset(DatasetV2):
    """`Dataset.from_tensors`: one element."""

    def __init__(self, tensors: Any) -> None:
        super().__init__()
        value = structure.normalize(tensors, copy=True)
        self._structure = value
        self._flat = tuple(structure.flatten(value))

    def _compute_spec(self) -> Any:
        return structure.spec_from_element(self._structure)

    def _card(self) -> int:
        return 1

    def _iter(self, ctx: IterCtx) -> Iterator[tuple]:
        yield self._flat

    def gather(self, idx: np.ndarray) -> tuple:
        return tuple([np.broadcast_to(a, (len(idx),) + a.shape) for a in self._flat])

    @property
    def n(self) -> int:
        return 1

    def _plan(self) -> IndexPlan:
        return IndexPlan(self, _whole(1), ordered=True)


def _as_int(x: Any, name: str) -> int:
    v = np.asarray(structure.normalize(x))
    if v.ndim != 0 or v.dtype.kind not in "iub":
        raise TypeError(f"`{name}` must be a scalar integer. Received: {name}={x!r}")
    return int(v)


class RangeDataset(DatasetV2):
    """`Dataset.range(start, stop, step)`; `stop=None` counts forever (`counter`)."""

    def __init__(self, *args: Any, dtype: Any = None) -> None:
        super().__init__()
        if len(args) == 1:
            start, stop, step = 0, args[0], 1
        elif len(args) == 2:
            (start, stop), step = args, 1
        elif len(args) == 3:
            start, stop, step = args
        else:
            raise ValueError(
                f"Invalid `args`. The length of `args` should be between 1 and "
                f"3 but was {len(args)}."
            )
        self._start = _as_int(start, "start")
        self._stop = None if stop is None else _as_int(stop, "stop")
        self._step = _as_int(step, "step")
        if self._step == 0:
            raise invalid_argument("step must be a non-zero integer.")
        self._dtype = dtypes.as_dtype(dtype or "int64")

    def _compute_spec(self) -> Any:
        return TensorSpec((), self._dtype)

    @property
    def n(self) -> int:
        if self._stop is None:
            return -1
        return max(0, len(range(self._start, self._stop, self._step)))

    def _card(self) -> int:
        return INFINITE_CARDINALITY if self._stop is None else self.n

    def _iter(self, ctx: IterCtx) -> Iterator[tuple]:
        np_dtype = self._dtype.as_numpy_dtype
        seq = (
            itertools.count(self._start, self._step)
            if self._stop is None
            else range(self._start, self._stop, self._step)
        )
        for v in seq:
            yield (np.asarray(v, np_dtype),)

    def gather(self, idx: np.ndarray) -> tuple:
        return ((self._start + idx * self._step).astype(self._dtype.as_numpy_dtype),)

    def _plan(self) -> IndexPlan | None:
        if self._stop is None:
            return None
        return IndexPlan(self, _whole(self.n), ordered=True)


def _signature_from_legacy(output_types: Any, output_shapes: Any) -> Any:
    if output_shapes is None:
        output_shapes = nest.map_structure(lambda _: None, output_types)
    flat_t = nest.flatten(output_types)
    flat_s = (
        nest.flatten_up_to(output_types, output_shapes)
        if hasattr(nest, "flatten_up_to")
        else _flatten_shapes(output_types, output_shapes)
    )
    specs = [TensorSpec(TensorShape(s), t) for t, s in zip(flat_t, flat_s)]
    return nest.pack_sequence_as(output_types, specs) if nest.is_nested(output_types) else specs[0]


def _flatten_shapes(types: Any, shapes: Any) -> list:
    """Flattens `shapes` to the structure of `types` (shapes are lists/TensorShapes)."""
    if not nest.is_nested(types):
        return [shapes]
    if isinstance(types, dict):
        return [s for k in sorted(types) for s in _flatten_shapes(types[k], shapes[k])]
    return [s for t, sh in zip(types, shapes) for s in _flatten_shapes(t, sh)]


class GeneratorDataset(DatasetV2):
    """`Dataset.from_generator`: elements from a Python generator, checked and converted."""

    def __init__(
        self,
        generator: Callable,
        output_types: Any,
        output_shapes: Any,
        args: Any,
        output_signature: Any,
    ) -> None:
        super().__init__()
        if not callable(generator):
            raise TypeError("`generator` must be a Python callable.")
        if output_signature is not None:
            if output_types is not None:
                raise TypeError(
                    "The `output_types` argument can not be used together with "
                    "the `output_signature` argument."
                )
            spec = output_signature
        else:
            if output_types is None:
                raise TypeError(
                    "To specify the output signature you need to provide "
                    "either the `output_signature` argument or the "
                    "`output_types` argument."
                )
            spec = _signature_from_legacy(output_types, output_shapes)
        self._signature = nest.map_structure(lambda s: TensorSpec(s.shape, s.dtype), spec)
        self._generator = generator
        self._args = tuple(np.asarray(structure.normalize(a)) for a in (args or ()))

    def _compute_spec(self) -> Any:
        return self._signature

    def _probe(self, k: int) -> list:
        """Placeholder elements from the signature: the user's generator may be a
        one-shot iterator, so it is never started just to learn specs."""
        from ndflow._src.data.transformations import _dummy_element

        try:
            return [_dummy_element(self._signature, n) for n in (1, 2)][:k]
        except TypeError:
            return []

    def _iter(self, ctx: IterCtx) -> Iterator[tuple]:
        specs = nest.flatten(self._signature)
        args = [a[()] if a.ndim == 0 else a for a in self._args]
        gen = self._generator(*args)
        for value in gen:
            yield _check_generated(value, self._signature, specs)


def _flatten_up_to(signature: Any, value: Any) -> list:
    """The parts of `value` at the signature's leaves (a leaf's value may be a list)."""
    if isinstance(signature, dict):
        if not isinstance(value, dict) or set(value) != set(signature):
            raise TypeError(f"expected a dict with keys {sorted(signature)}")
        return [x for k in sorted(signature) for x in _flatten_up_to(signature[k], value[k])]
    if isinstance(signature, tuple):
        if not isinstance(value, (tuple, list)) or len(value) != len(signature):
            raise TypeError(f"expected a sequence of {len(signature)} elements")
        return [x for sg, v in zip(signature, value) for x in _flatten_up_to(sg, v)]
    return [value]


def _check_generated(value: Any, signature: Any, specs: list) -> tuple:
    try:
        flat = _flatten_up_to(signature, value)
    except (ValueError, TypeError, KeyError) as e:
        raise invalid_argument(
            "TypeError: `generator` yielded an element that did not match the expected "
            f"structure. The expected structure was {signature}, but the yielded element "
            f"was {value!r}. ({e})"
        ) from None
    out = []
    for v, s in zip(flat, specs):
        try:
            arr = np.asarray(structure.normalize(v))
            if s.dtype is dtypes.string:
                if arr.dtype.kind != "O":
                    raise TypeError
            elif arr.dtype != s.dtype.as_numpy_dtype:
                if arr.dtype.kind in "OSU":
                    raise TypeError
                arr = arr.astype(s.dtype.as_numpy_dtype)
        except (TypeError, ValueError):
            raise invalid_argument(
                "TypeError: `generator` yielded an element that could not be converted to "
                f"the expected type. The expected type was {s.dtype.name}, but the yielded "
                f"element was {v!r}."
            ) from None
        if not s.shape.is_compatible_with(arr.shape):
            raise invalid_argument(
                f"TypeError: `generator` yielded an element of shape {tuple(arr.shape)} "
                f"where an element of shape {tuple(s.shape.as_list()) if s.shape.rank is not None else s.shape} "
                "was expected."
            )
        out.append(arr)
    return tuple(out)


class ZipDataset(DatasetV2):
    """`Dataset.zip`: elements of several datasets side by side, as a nested structure."""

    def __init__(self, datasets: Any) -> None:
        flat = nest.flatten(datasets)
        for d in flat:
            if not isinstance(d, DatasetV2) or _has_list(datasets):
                raise TypeError(
                    "Invalid input to `zip`. Inputs are expected to be (nested) structures "
                    "of `tf.data.Dataset` objects. Python `list` is not supported and you "
                    "should use `tuple` instead."
                )
        super().__init__(flat)
        self._datasets = datasets

    def _compute_spec(self) -> Any:
        return nest.map_structure(lambda d: d.element_spec, self._datasets)

    def _card(self) -> int:
        cards = [d._card() for d in self._inputs]
        finite = [c for c in cards if c >= 0]
        if finite:
            return min(finite)
        return UNKNOWN_CARDINALITY if UNKNOWN_CARDINALITY in cards else INFINITE_CARDINALITY

    def _iter(self, ctx: IterCtx) -> Iterator[tuple]:
        its = [d._iter(ctx) for d in self._inputs]
        for parts in zip(*its):
            yield tuple(a for p in parts for a in p)

    def _probe(self, k: int) -> list:
        probes = [d._probe(k) for d in self._inputs]
        return [tuple(a for p in parts for a in p) for parts in zip(*probes)]


def _has_list(x: Any) -> bool:
    if isinstance(x, list):
        return True
    if isinstance(x, dict):
        return any(_has_list(v) for v in x.values())
    if isinstance(x, tuple):
        return any(_has_list(v) for v in x)
    return False


class ConcatenateDataset(DatasetV2):
    """`a.concatenate(b)`: all of a, then all of b; specs relaxed where they differ."""

    def __init__(self, a: DatasetV2, b: DatasetV2) -> None:
        super().__init__([a, b])
        sa, sb = a.element_spec, b.element_spec
        try:
            nest.assert_same_structure(sa, sb)
        except (ValueError, TypeError):
            raise TypeError(f"Incompatible dataset elements:\n  {sa}\nvs.\n  {sb}") from None
        for x, y in zip(nest.flatten(sa), nest.flatten(sb)):
            if x.dtype != y.dtype:
                raise TypeError(f"Incompatible dataset elements:\n  {sa}\nvs.\n  {sb}")

    def _compute_spec(self) -> Any:
        a, b = self._inputs
        sa, sb = a.element_spec, b.element_spec
        specs = [
            TensorSpec(structure.most_specific_shape(x.shape, y.shape), x.dtype)
            for x, y in zip(nest.flatten(sa), nest.flatten(sb))
        ]
        return structure.pack(sa, specs)

    def _card(self) -> int:
        a, b = (d._card() for d in self._inputs)
        if a == INFINITE_CARDINALITY or b == INFINITE_CARDINALITY:
            return INFINITE_CARDINALITY
        if a < 0 or b < 0:
            return UNKNOWN_CARDINALITY
        return a + b

    def _iter(self, ctx: IterCtx) -> Iterator[tuple]:
        yield from self._inputs[0]._iter(ctx)
        yield from self._inputs[1]._iter(ctx)

    def _probe(self, k: int) -> list:
        return self._inputs[0]._probe(k) or self._inputs[1]._probe(k)
