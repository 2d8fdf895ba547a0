"""Batching transformations: batch, padded_batch, unbatch, rebatch, window,
group_by_window and bucket_by_sequence_length."""

from __future__ import annotations

import math
from typing import Any
from collections.abc import Callable, Iterator

import numpy as np

from ndflow._src.core import dtypes, nest
from ndflow._src.core.tensor_shape import TensorShape
from ndflow._src.data import structure
from ndflow._src.data.dataset_ops import DatasetV2, IterCtx, invalid_argument
from ndflow._src.data.options import INFINITE_CARDINALITY, UNKNOWN_CARDINALITY
from ndflow._src.data.structure import DatasetSpec, TensorSpec
from ndflow._src.data.transformations import _count, _make_map_fn
from ndflow._src.framework.tensor import wrap
from ndflow._src.ops import math_ops

_HINT = (
    " If you intended to batch elements of different shapes, use `padded_batch` (or "
    "`ragged_batch`) instead of `batch`."
)


def _batch_size(value: Any) -> int:
    n = _count(value, "batch_size")
    if n <= 0:
        raise invalid_argument("Batch size must be greater than zero.")
    return n


def stack_elements(elements: list) -> tuple:
    """Stacks elements component by component, with TF's error for unequal shapes."""
    out = []
    for c in range(len(elements[0])):
        comps = [e[c] for e in elements]
        first = comps[0].shape
        for i, x in enumerate(comps):
            if x.shape != first:
                raise invalid_argument(
                    f"Cannot batch tensors with different shapes in component {c}. First "
                    f"element had shape {structure.shape_str(first)} and element {i} had "
                    f"shape {structure.shape_str(x.shape)}." + _HINT
                )
        out.append(np.stack(comps))
    return tuple(out)


def _batched_card(c: int, n: int, drop: bool) -> int:
    if c < 0:
        return c
    return c // n if drop else math.ceil(c / n)


class BatchDataset(DatasetV2):
    """`batch(batch_size, drop_remainder)`. Over an index plan it gathers each batch with
    one array index per component instead of stacking elements one by one."""

    def __init__(self, parent: DatasetV2, batch_size: Any, drop_remainder: bool) -> None:
        super().__init__([parent])
        self._n = _batch_size(batch_size)
        self._drop = bool(drop_remainder)

    def _gathers_batches(self) -> bool:
        return self._inputs[0]._plan() is not None

    def _compute_spec(self) -> Any:
        dim = self._n if self._drop else None
        return nest.map_structure(
            lambda s: structure.batched_spec(s, dim), self._inputs[0].element_spec
        )

    def _card(self) -> int:
        return _batched_card(self._inputs[0]._card(), self._n, self._drop)

    def _probe(self, k: int) -> list:
        probes = self._inputs[0]._probe(2)
        if not probes:
            return []
        sizes = [self._n] if self._drop else [1, 2]
        return [stack_elements([probes[i % len(probes)] for i in range(s)]) for s in sizes][:k]

    def _iter(self, ctx: IterCtx) -> Iterator[tuple]:
        plan = self._inputs[0]._plan()
        if plan is not None:
            yield from self._gathered(plan, ctx)
            return
        buf: list = []
        n = self._n
        for e in self._inputs[0]._iter(ctx):
            buf.append(e)
            if len(buf) == n:
                yield stack_elements(buf)
                buf = []
        if buf and not self._drop:
            yield stack_elements(buf)

    def _gathered(self, plan: Any, ctx: IterCtx) -> Iterator[tuple]:
        n = self._n
        gather = plan.source.gather
        pending: list = []
        have = 0
        for chunk in plan.chunks(ctx):
            if have:
                need = n - have
                pending.append(chunk[:need])
                have += min(need, len(chunk))
                chunk = chunk[need:]
                if have < n:
                    continue
                yield gather(np.concatenate(pending))
                pending, have = [], 0
            full = len(chunk) - len(chunk) % n
            for s in range(0, full, n):
                yield gather(chunk[s : s + n])
            if full < len(chunk):
                pending, have = [chunk[full:]], len(chunk) - full
        if have and not self._drop:
            yield gather(np.concatenate(pending))


class RaggedBatchDataset(DatasetV2):
    """`ragged_batch(batch_size, drop_remainder, row_splits_dtype)`: like `batch`, but a
    component whose static shape has unknown dimensions becomes a `RaggedTensor`, ragged up
    to its last unknown dimension (TensorFlow's rule); other components batch densely."""

    def __init__(
        self, parent: DatasetV2, batch_size: Any, drop_remainder: bool, row_splits_dtype: Any
    ) -> None:
        super().__init__([parent])
        self._n = _batch_size(batch_size)
        self._drop = bool(drop_remainder)
        self._splits_dtype = dtypes.as_dtype(row_splits_dtype)
        if self._splits_dtype not in (dtypes.int32, dtypes.int64):
            raise ValueError(f"dtype must be int32 or int64, got {self._splits_dtype.name}")
        self._ranks = [_ragged_rank_of(s) for s in parent._flat_specs()]

    def _compute_spec(self) -> Any:
        from ndflow._src.data.structure import RaggedTensorSpec

        dim = self._n if self._drop else None

        def convert(spec: Any) -> Any:
            rank = _ragged_rank_of(spec)
            if rank is None:
                return structure.batched_spec(spec, dim)
            return RaggedTensorSpec(
                [dim] + list(spec.shape._dims), spec.dtype, rank + 1, self._splits_dtype
            )

        return nest.map_structure(convert, self._inputs[0].element_spec)

    def _card(self) -> int:
        return _batched_card(self._inputs[0]._card(), self._n, self._drop)

    def _iter(self, ctx: IterCtx) -> Iterator[tuple]:
        buf: list = []
        for e in self._inputs[0]._iter(ctx):
            buf.append(e)
            if len(buf) == self._n:
                yield self._combine(buf)
                buf = []
        if buf and not self._drop:
            yield self._combine(buf)

    def _combine(self, elements: list) -> tuple:
        out = []
        for c, rank in enumerate(self._ranks):
            parts = [np.asarray(e[c]) for e in elements]
            if rank is None:
                out.append(stack_elements([(p,) for p in parts])[0])
            else:
                out.append(self._ragged(parts, rank + 1))
        return tuple(out)

    def _ragged(self, parts: list, levels: int) -> Any:
        from ndflow._src.ops.ragged import RaggedTensor

        splits_np = self._splits_dtype.as_numpy_dtype
        nested = []
        for k in range(levels):
            lengths = [
                np.full(int(np.prod(p.shape[:k], dtype=np.int64)), p.shape[k], np.int64)
                for p in parts
            ]
            ends = np.cumsum(np.concatenate(lengths)) if lengths else np.zeros(0, np.int64)
            nested.append(wrap(np.concatenate([[0], ends]).astype(splits_np)))
        flat = np.concatenate(
            [
                p.reshape((int(np.prod(p.shape[:levels], dtype=np.int64)),) + p.shape[levels:])
                for p in parts
            ]
        )
        return RaggedTensor.from_nested_row_splits(wrap(flat), nested, validate=False)


def _ragged_rank_of(spec: Any) -> int | None:
    """The element-level ragged rank `ragged_batch` gives a component: its last unknown
    axis; None when it batches densely (fully known or unknown rank, or not a tensor)."""
    dims = getattr(getattr(spec, "shape", None), "_dims", None)
    if not isinstance(spec, TensorSpec) or dims is None or None not in dims:
        return None
    return max(i for i, d in enumerate(dims) if d is None)


def _padded_shape_list(padded_shapes: Any, spec: Any) -> list:
    if padded_shapes is None:
        for s in structure.flatten(spec):
            if s.shape.rank is None:
                raise ValueError(
                    "You must provide `padded_shapes` argument because component has unknown rank."
                )
        return [s.shape for s in structure.flatten(spec)]
    if nest.is_nested(spec):
        flat = _flatten_like(spec, padded_shapes)
    else:
        flat = [padded_shapes]
    return [
        TensorShape(
            structure.normalize(p).tolist()
            if not isinstance(p, (list, tuple, TensorShape)) and p is not None
            else p
        )
        for p in flat
    ]


def _flatten_like(spec: Any, value: Any) -> list:
    if isinstance(spec, dict):
        return [x for k in sorted(spec) for x in _flatten_like(spec[k], value[k])]
    if isinstance(spec, tuple):
        return [x for s, v in zip(spec, value) for x in _flatten_like(s, v)]
    return [value]


class PaddedBatchDataset(DatasetV2):
    """`padded_batch`: batches elements padded to `padded_shapes` (unknown dims: the
    longest in the batch) with `padding_values` (default 0 or b"")."""

    def __init__(
        self,
        parent: DatasetV2,
        batch_size: Any,
        padded_shapes: Any,
        padding_values: Any,
        drop_remainder: bool,
    ) -> None:
        super().__init__([parent])
        self._n = _batch_size(batch_size)
        self._drop = bool(drop_remainder)
        spec = parent.element_spec
        self._shapes = _padded_shape_list(padded_shapes, spec)
        flat_specs = structure.flatten(spec)
        if padding_values is None:
            pads = [b"" if s.dtype is dtypes.string else 0 for s in flat_specs]
        elif nest.is_nested(spec):
            pads = _flatten_like(spec, padding_values)
        else:
            pads = [padding_values]
        self._pads = []
        for p, s in zip(pads, flat_specs):
            v = np.asarray(structure.normalize(p))
            if v.ndim:
                raise ValueError(f"Padding value must be a scalar. Received: {p!r}")
            self._pads.append(v if s.dtype is dtypes.string else v.astype(s.dtype.as_numpy_dtype))
        for shape, s in zip(self._shapes, flat_specs):
            if s.shape.rank is not None and shape.rank != s.shape.rank:
                raise ValueError(
                    f"The padded shape {shape} is not compatible with the shape "
                    f"{s.shape} of the corresponding input component."
                )

    def _compute_spec(self) -> Any:
        dim = self._n if self._drop else None
        specs = [
            TensorSpec((dim,) + shape._dims, s.dtype)
            for shape, s in zip(self._shapes, structure.flatten(self._inputs[0].element_spec))
        ]
        return structure.pack(self._inputs[0].element_spec, specs)

    def _card(self) -> int:
        return _batched_card(self._inputs[0]._card(), self._n, self._drop)

    def _pad(self, elements: list) -> tuple:
        out = []
        for c, (shape, pad) in enumerate(zip(self._shapes, self._pads)):
            comps = [e[c] for e in elements]
            target = [
                d if d is not None else max(x.shape[i] for x in comps)
                for i, d in enumerate(shape._dims)
            ]
            arr = np.empty([len(comps)] + target, dtype=comps[0].dtype)
            arr[...] = pad
            for i, x in enumerate(comps):
                if any(a > b for a, b in zip(x.shape, target)):
                    raise invalid_argument(
                        f"Attempted to pad to a smaller size than the input element. "
                        f"Component {c} of element {i} has shape "
                        f"{structure.shape_str(x.shape)}, padded shape "
                        f"{structure.shape_str(target)}."
                    )
                arr[(i,) + tuple(slice(0, d) for d in x.shape)] = x
            out.append(arr)
        return tuple(out)

    def _iter(self, ctx: IterCtx) -> Iterator[tuple]:
        buf: list = []
        for e in self._inputs[0]._iter(ctx):
            buf.append(e)
            if len(buf) == self._n:
                yield self._pad(buf)
                buf = []
        if buf and not self._drop:
            yield self._pad(buf)


class UnbatchDataset(DatasetV2):
    """`unbatch`: splits every element along its first dimension."""

    def __init__(self, parent: DatasetV2) -> None:
        super().__init__([parent])
        for s in structure.flatten(parent.element_spec):
            if s.shape.rank == 0:
                raise ValueError("Cannot unbatch an input with scalar components.")

    def _compute_spec(self) -> Any:
        return nest.map_structure(structure.unbatched_spec, self._inputs[0].element_spec)

    def _card(self) -> int:
        c = self._inputs[0]._card()
        if c == INFINITE_CARDINALITY:
            return c
        specs = structure.flatten(self._inputs[0].element_spec)
        d = specs[0].shape._dims[0] if specs[0].shape.rank else None
        if c >= 0 and d is not None:
            return c * d
        return UNKNOWN_CARDINALITY

    def _iter(self, ctx: IterCtx) -> Iterator[tuple]:
        for e in self._inputs[0]._iter(ctx):
            n = e[0].shape[0]
            for c in e[1:]:
                if c.shape[0] != n:
                    raise invalid_argument(
                        "Input element must have the same batch size in each component. "
                        f"Component 0 had size {n} but component had size {c.shape[0]}."
                    )
            for i in range(n):
                yield tuple([c[i, ...] for c in e])

    def _probe(self, k: int) -> list:
        out = []
        for e in self._inputs[0]._probe(2):
            out.extend(tuple([c[i, ...] for c in e]) for i in range(e[0].shape[0]))
        return out[:k]


class RebatchDataset(BatchDataset):
    """`rebatch(batch_size)`: re-slices batches into batches of a new size."""

    def __init__(self, parent: DatasetV2, batch_size: Any, drop_remainder: bool) -> None:
        super().__init__(UnbatchDataset(parent), batch_size, drop_remainder)

    def _card(self) -> int:
        return super()._card() if self._inputs[0]._card() >= 0 else UNKNOWN_CARDINALITY


class ListDataset(DatasetV2):
    """A dataset over a list of flat elements (windows and groups are these)."""

    def __init__(self, elements: list, spec: Any) -> None:
        super().__init__()
        self._elements = elements
        self._spec = spec

    def _compute_spec(self) -> Any:
        return self._spec

    def _card(self) -> int:
        return len(self._elements)

    def _iter(self, ctx: IterCtx) -> Iterator[tuple]:
        return iter(self._elements)

    def _probe(self, k: int) -> list:
        return self._elements[:k]


class WindowDataset(DatasetV2):
    """`window(size, shift, stride)`: each element is a nest of datasets of `size`
    consecutive (every `stride`-th) elements, starting every `shift` elements."""

    def __init__(
        self, parent: DatasetV2, size: Any, shift: Any, stride: Any, drop_remainder: bool
    ) -> None:
        super().__init__([parent])
        self._size = _count(size, "size")
        self._shift = self._size if shift is None else _count(shift, "shift")
        self._stride = _count(stride, "stride")
        for name, v in (("size", self._size), ("shift", self._shift), ("stride", self._stride)):
            if v <= 0:
                raise invalid_argument(f"Window {name} must be greater than zero, but got {v}.")
        self._drop = bool(drop_remainder)

    def _compute_spec(self) -> Any:
        return nest.map_structure(DatasetSpec, self._inputs[0].element_spec)

    def _card(self) -> int:
        c = self._inputs[0]._card()
        if c < 0:
            return c
        if self._drop:
            span = (self._size - 1) * self._stride + 1
            return 0 if c < span else (c - span) // self._shift + 1
        return math.ceil(c / self._shift)

    def _iter(self, ctx: IterCtx) -> Iterator[tuple]:
        spec = self._inputs[0].element_spec
        flat_specs = structure.flatten(spec)
        span = (self._size - 1) * self._stride + 1
        buf: list = []
        start = 0  # index in the input of buf[0]
        next_start = 0
        src = self._inputs[0]._iter(ctx)
        exhausted = False
        while True:
            while not exhausted and len(buf) < next_start - start + span:
                try:
                    buf.append(next(src))
                except StopIteration:
                    exhausted = True
            off = next_start - start
            if off >= len(buf):
                return
            window = buf[off : off + span : self._stride]
            if exhausted and len(window) < self._size and self._drop:
                return
            yield tuple(ListDataset([(e[c],) for e in window], s) for c, s in enumerate(flat_specs))
            next_start += self._shift
            drop = min(next_start - start, len(buf))
            buf = buf[drop:]
            start += drop


class GroupByWindowDataset(DatasetV2):
    """`group_by_window`: groups elements by `key_func`, calls `reduce_func(key, window)`
    on each full window (and every partial one at the end) and flattens the results."""

    def __init__(
        self,
        parent: DatasetV2,
        key_func: Callable,
        reduce_func: Callable,
        window_size: Any,
        window_size_func: Any,
    ) -> None:
        super().__init__([parent])
        if (window_size is None) == (window_size_func is None):
            raise ValueError(
                "Either the `window_size` argument or the `window_size_func` "
                "argument must be specified."
            )
        self._key_fn = _make_map_fn(key_func, parent.element_spec)
        self._reduce = reduce_func
        self._size = window_size
        self._size_fn = window_size_func

    def _window_size(self, key: np.ndarray) -> int:
        if self._size_fn is None:
            return _count(self._size, "window_size")
        from ndflow._src.framework.tensor import wrap

        return _count(self._size_fn(wrap(key)), "window_size")

    def _reduced(self, key: Any, elements: list) -> DatasetV2:
        from ndflow._src.framework.tensor import wrap

        window = ListDataset(elements, self._inputs[0].element_spec)
        out = self._reduce(wrap(np.asarray(key, np.int64)), window)
        if not isinstance(out, DatasetV2):
            raise TypeError("`reduce_func` must return a `tf.data.Dataset` object.")
        return out

    def _compute_spec(self) -> Any:
        probes = self._inputs[0]._probe(2)
        return self._reduced(0, probes).element_spec

    def _iter(self, ctx: IterCtx) -> Iterator[tuple]:
        groups: dict = {}
        for e in self._inputs[0]._iter(ctx):
            key = np.asarray(self._key_fn(e)[0])
            if key.shape != () or key.dtype != np.int64:
                raise invalid_argument(
                    f"`key_func` must return a single tf.int64 scalar tensor. Received: {key!r}"
                )
            k = int(key)
            groups.setdefault(k, []).append(e)
            if len(groups[k]) >= self._window_size(key):
                yield from self._reduced(k, groups.pop(k))._iter(ctx)
        for k, elements in list(groups.items()):
            yield from self._reduced(k, elements)._iter(ctx)


def bucket_by_sequence_length(
    ds: DatasetV2,
    element_length_func: Callable,
    bucket_boundaries: list,
    bucket_batch_sizes: list,
    padded_shapes: Any,
    padding_values: Any,
    pad_to_bucket_boundary: bool,
    no_padding: bool,
    drop_remainder: bool,
) -> DatasetV2:
    """Batches elements of similar length together, padded per bucket."""
    if len(bucket_batch_sizes) != len(bucket_boundaries) + 1:
        raise ValueError(
            "len(bucket_batch_sizes) must equal len(bucket_boundaries) + 1 but "
            f"len(bucket_batch_sizes)={len(bucket_batch_sizes)} and "
            f"len(bucket_boundaries)={len(bucket_boundaries)}"
        )
    bounds = list(bucket_boundaries)

    def key_func(*args: Any) -> Any:
        # Written in ops, so it traces like any key function: the bucket is the number of
        # boundaries <= the element's length (searchsorted, side="right").
        n = math_ops.cast(element_length_func(*args), dtypes.int64)
        edges = wrap(np.asarray(bounds, np.int64))
        return math_ops.reduce_sum(math_ops.cast(math_ops.greater_equal(n, edges), dtypes.int64))

    def reduce_func(key: Any, window: DatasetV2) -> DatasetV2:
        b = int(key.numpy())
        size = bucket_batch_sizes[b]
        if no_padding:
            return window.batch(size, drop_remainder=drop_remainder)
        shapes = padded_shapes
        if pad_to_bucket_boundary:
            if b == len(bounds):
                raise invalid_argument(
                    "When pad_to_bucket_boundary=True, elements must "
                    "have length < max(bucket_boundaries)."
                )
            specs = structure.flatten(window.element_spec)
            shapes = structure.pack(
                window.element_spec,
                [[bounds[b] - 1] + list(s.shape._dims[1:]) if s.shape.rank else [] for s in specs],
            )
        return window.padded_batch(size, shapes, padding_values, drop_remainder=drop_remainder)

    def size_func(key: Any) -> Any:
        return wrap(np.asarray(bucket_batch_sizes[int(key.numpy())], np.int64))

    return ds.group_by_window(key_func, reduce_func, window_size_func=size_func)
