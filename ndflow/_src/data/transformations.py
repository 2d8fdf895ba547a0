"""Element-wise and ordering transformations: map, filter, shuffle, repeat, take, skip,
cache, prefetch, shard, scan, unique, ignore_errors, take_while, with_options."""

from __future__ import annotations

import itertools
import queue
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from collections.abc import Callable, Iterator

import numpy as np

from ndflow._src.core import dtypes, errors, nest
from ndflow._src.data import structure
from ndflow._src.data.dataset_ops import (
    DatasetV2,
    IndexPlan,
    IterCtx,
    data_seeds,
    invalid_argument,
    scratch_ctx,
)
from ndflow._src.data.philox import PhiloxStream
from ndflow._src.data.options import AUTOTUNE, INFINITE_CARDINALITY, UNKNOWN_CARDINALITY
from ndflow._src.data.structure import TensorSpec
from ndflow._src.framework.tensor import wrap


# ---------------------------------------------------------------------- user functions
def call_user(fn: Callable, element: Any, spread: bool = True) -> Any:
    """Calls a user function as tf.data does: a tuple element is spread into arguments."""
    if spread and isinstance(element, tuple) and not hasattr(type(element), "_fields"):
        return fn(*element)
    if not spread:
        return fn(*element)
    return fn(element)


class _EagerMapFn:
    """A user function applied to flat elements, eagerly on ndflow tensors.

    `out_structure` is the nest of the function's result (learned from the first call).
    """

    def __init__(self, fn: Callable, element_spec: Any) -> None:
        self._fn = fn
        self._in_structure = element_spec
        self.out_structure: Any = None

    def __call__(self, flat: tuple) -> tuple:
        tensors = [structure.wrap_component(a) for a in flat]
        arg = (
            structure.pack(self._in_structure, tensors)
            if nest.is_nested(self._in_structure)
            else tensors[0]
        )
        out = call_user(self._fn, arg)
        if isinstance(out, list):
            out = tuple(out)  # tf.data treats a returned list as a tuple
        norm = structure.normalize(out, "map output")
        if self.out_structure is None:
            self.out_structure = norm
        return tuple(structure.flatten(norm))


class _TracedMapFn(_EagerMapFn):
    """The user function traced once by tf.function, as TF does (Python side effects run
    while tracing only). Element and whole-batch calls (map fusion) each trace once.

    """

    def __init__(self, fn: Callable, element_spec: Any) -> None:
        super().__init__(fn, element_spec)
        from ndflow._src.function.polymorphic_function import function

        self._fn = function(fn, reduce_retracing=True)


def _make_map_fn(fn: Callable, element_spec: Any) -> _EagerMapFn:
    """THE way tf.data applies a user function to elements: traced once by tf.function,
    as TensorFlow does, so its Python side effects run while tracing only."""
    return _TracedMapFn(fn, element_spec)


def _spec_from_outputs(outs: list, out_structure: Any) -> Any:
    """Specs from probe outputs: dims equal across all probes stay, others are None."""
    specs = []
    for comps in zip(*outs):
        shapes = {c.shape for c in comps}
        first = comps[0]
        if len(shapes) == 1:
            shape: Any = first.shape
        elif len({len(s) for s in shapes}) == 1:
            shape = [
                d if all(s[i] == d for s in shapes) else None for i, d in enumerate(first.shape)
            ]
        else:
            shape = None
        specs.append(TensorSpec(shape, structure.dtype_of(first)))
    return structure.pack(out_structure, specs)


def _dummy_element(spec: Any, unknown: int = 1) -> tuple:
    """Zeros (or b"") shaped like `spec`, with `unknown` for each unknown dim."""
    out = []
    for s in structure.flatten(spec):
        if s.dtype.as_numpy_dtype is None:
            raise TypeError(f"No dummy value for {s}")
        shape = [unknown if d is None else d for d in (s.shape._dims or ())]
        if s.dtype is dtypes.string:
            out.append(np.full(shape, b"", dtype=object))
        else:
            out.append(np.zeros(shape, s.dtype.as_numpy_dtype))
    return tuple(out)


_ELEMENT_ERRORS = (errors.OpError, ValueError, TypeError, IndexError, ZeroDivisionError)


class MapDataset(DatasetV2):
    """`map`: the function on every element; `num_parallel_calls` uses a thread pool and
    keeps the input order. Over an index plan, a function that gives identical results on
    whole batches is applied per batch (map-and-batch fusion)."""

    def __init__(self, parent: DatasetV2, fn: Callable, num_parallel_calls: Any) -> None:
        super().__init__([parent])
        self._user_fn = fn
        self._fn = _make_map_fn(fn, parent.element_spec)
        self._parallel = num_parallel_calls
        self._probes: list | None = None
        self._vectorized: bool | None = None
        self.element_spec  # noqa: B018 - trace-like: learn the output structure now

    def _probe_outputs(self) -> list:
        if self._probes is None:
            parent = self._inputs[0]
            spec = parent.element_spec
            probes = parent._probe(2)
            fully = all(
                getattr(sp.shape, "is_fully_defined", lambda: True)()
                for sp in structure.flatten(spec)
            )
            # Where the input has unknown dims, also run a dummy element whose unknown
            # dims differ from the real ones: output dims that follow them become None.
            if not probes or not fully:
                probes = probes + [_dummy_element(spec)]
            outs, first_error = [], None
            for p in probes:
                try:
                    outs.append(self._fn(p))
                except _ELEMENT_ERRORS as e:  # a bad element fails at iteration, as in TF
                    first_error = first_error or e
            if not outs:
                # The function rejects placeholder values: learn from real elements.
                real = list(itertools.islice(parent._iter(scratch_ctx()), 2))
                for p in real:
                    try:
                        outs.append(self._fn(p))
                    except _ELEMENT_ERRORS as e:
                        first_error = first_error or e
            if not outs:
                raise first_error  # type: ignore[misc]
            self._probes = outs
        return self._probes

    def _compute_spec(self) -> Any:
        outs = self._probe_outputs()
        return _spec_from_outputs(outs, self._fn.out_structure)

    def _probe(self, k: int) -> list:
        return self._probe_outputs()[:k]

    def _card(self) -> int:
        return self._inputs[0]._card()

    def _iter(self, ctx: IterCtx) -> Iterator[tuple]:
        fn = self._fn
        src = self._inputs[0]._iter(ctx)
        n = self._parallel
        if n is None or n == 1:
            for e in src:
                if ctx.skip_errors:
                    try:
                        yield fn(e)
                    except _ELEMENT_ERRORS:
                        continue
                else:
                    yield fn(e)
            return
        workers = 4 if n == AUTOTUNE else max(1, int(n))
        with ThreadPoolExecutor(workers) as pool:
            pending: list = []
            for e in src:
                pending.append(pool.submit(fn, e))
                if len(pending) >= 2 * workers:
                    yield from _resolve(pending.pop(0), ctx)
            while pending:
                yield from _resolve(pending.pop(0), ctx)

    def _plan(self) -> IndexPlan | None:
        p = self._inputs[0]._plan()
        if p is None or not self._is_vectorizable(p):
            return None
        return IndexPlan(_MappedSource(p.source, self._fn), p.chunks, p.ordered)

    def _is_vectorizable(self, p: IndexPlan) -> bool:
        """True when applying the function to a batch equals applying it per element."""
        if self._vectorized is None:
            self._vectorized = False
            k = min(4, p.source.n)
            if k >= 2:
                idx = np.arange(k, dtype=np.int64)
                batch = p.source.gather(idx)
                try:
                    batched = self._fn(batch)
                    singles = [self._fn(tuple(c[i, ...] for c in batch)) for i in range(k)]
                except Exception:  # noqa: BLE001 - any failure means "not vectorizable"
                    return False
                ok = len(batched) == len(singles[0])
                for j in range(len(batched)) if ok else ():
                    b = np.asarray(batched[j])
                    s = np.stack([np.asarray(x[j]) for x in singles])
                    if (
                        b.shape != s.shape
                        or b.dtype != s.dtype
                        or not np.array_equal(b, s, equal_nan=b.dtype.kind in "fc")
                    ):
                        ok = False
                        break
                self._vectorized = ok
        return self._vectorized


def _resolve(fut: Any, ctx: IterCtx) -> Iterator[tuple]:
    if ctx.skip_errors:
        try:
            yield fut.result()
        except _ELEMENT_ERRORS:
            return
    else:
        yield fut.result()


class _MappedSource:
    """An index-readable source whose gathered batches pass through a vectorized map."""

    def __init__(self, source: Any, fn: _EagerMapFn) -> None:
        self._source = source
        self._fn = fn
        self.n = source.n

    def gather(self, idx: np.ndarray) -> tuple:
        return self._fn(self._source.gather(idx))


def _predicate_value(out: Any) -> bool:
    arr = np.asarray(structure.normalize(out))
    if arr.shape != () or arr.dtype != np.bool_:
        raise ValueError(
            "Invalid `predicate`. `predicate` must return a `tf.bool` scalar tensor, but "
            f"its return type is {TensorSpec(arr.shape, structure.dtype_of(arr))}."
        )
    return bool(arr)


class _PredicateDataset(DatasetV2):
    def __init__(self, parent: DatasetV2, predicate: Callable) -> None:
        super().__init__([parent])
        self._pred = _make_map_fn(predicate, parent.element_spec)
        # Check the predicate's result type now, as TF's trace does; a predicate that
        # fails on this placeholder is checked on real elements instead.
        try:
            probes = parent._probe(1) or [_dummy_element(parent.element_spec)]
            out = self._pred(probes[0])
        except _ELEMENT_ERRORS:
            return
        if len(out) != 1:
            _predicate_value(tuple(out))
        _predicate_value(out[0])

    def _compute_spec(self) -> Any:
        return self._inputs[0].element_spec

    def _probe(self, k: int) -> list:
        return self._inputs[0]._probe(k)

    def _test(self, e: tuple) -> bool:
        return _predicate_value(self._pred(e)[0])


class FilterDataset(_PredicateDataset):
    """`filter`: keeps the elements for which the predicate is True."""

    def _iter(self, ctx: IterCtx) -> Iterator[tuple]:
        for e in self._inputs[0]._iter(ctx):
            if self._test(e):
                yield e

    def _card(self) -> int:
        return UNKNOWN_CARDINALITY  # as TF, even over an infinite input


class TakeWhileDataset(_PredicateDataset):
    """`take_while`: elements until the predicate first returns False."""

    def _iter(self, ctx: IterCtx) -> Iterator[tuple]:
        for e in self._inputs[0]._iter(ctx):
            if not self._test(e):
                return
            yield e


class _PassThrough(DatasetV2):
    def _compute_spec(self) -> Any:
        return self._inputs[0].element_spec

    def _probe(self, k: int) -> list:
        return self._inputs[0]._probe(k)

    def _card(self) -> int:
        return self._inputs[0]._card()


def _count(value: Any, name: str) -> int:
    arr = np.asarray(structure.normalize(value))
    if arr.ndim != 0 or arr.dtype.kind not in "iu":
        raise TypeError(f"`{name}` must be a scalar integer. Received: {name}={value!r}")
    return int(arr)


# ---------------------------------------------------------------------- shuffle
_CHUNK = 4096


class _Tape:
    """The shuffle's random samples, drawn from a Philox stream in blocks."""

    def __init__(self, stream: PhiloxStream) -> None:
        self._stream = stream
        self.samples = np.zeros(0, np.uint32)
        self.pos = 0

    def ensure(self, need: int) -> None:
        left = len(self.samples) - self.pos
        if left < need:
            more = max(need - left, _CHUNK)
            self.samples = np.concatenate([self.samples[self.pos :], self._stream.take(more)])
            self.pos = 0

    def next(self) -> int:
        self.ensure(1)
        v = int(self.samples[self.pos])
        self.pos += 1
        return v


def _shuffle_stream(items: Iterator, size: int, tape: _Tape) -> Iterator:
    """TF's shuffle buffer: a ring of `size` slots, filled before each output; the output
    is slot start + (sample % count), which then takes the value at `start`."""
    buf: list = [None] * size
    start = end = 0
    for x in items:
        buf[end % size] = x
        end += 1
        if end - start == size:
            idx = (start + tape.next() % size) % size
            yield buf[idx]
            buf[idx] = buf[start % size]
            start += 1
    while end > start:
        idx = (start + tape.next() % (end - start)) % size
        yield buf[idx]
        buf[idx] = buf[start % size]
        start += 1


def _fill_py(buf, start, end, size, inp, tape, t, out):  # noqa: ANN001, ANN202 - mirrors numba
    n = 0
    for i in range(inp.shape[0]):
        buf[end % size] = inp[i]
        end += 1
        if end - start == size:
            idx = (start + tape[t] % size) % size
            t += 1
            out[n] = buf[idx]
            n += 1
            buf[idx] = buf[start % size]
            start += 1
    return start, end, t, n


def _drain_py(buf, start, end, size, tape, t, out):  # noqa: ANN001, ANN202 - mirrors numba
    n = 0
    while end > start:
        idx = (start + tape[t] % (end - start)) % size
        t += 1
        out[n] = buf[idx]
        n += 1
        buf[idx] = buf[start % size]
        start += 1
    return start, t, n


_kernels: list = []


def _shuffle_kernels() -> tuple:
    """numba-compiled fill/drain loops when numba is installed, else the Python ones.
    Both consume the same random samples in the same order, so results are identical."""
    if not _kernels:
        try:
            import numba

            _kernels.extend(
                [
                    numba.njit(cache=True, nogil=True)(_fill_py),
                    numba.njit(cache=True, nogil=True)(_drain_py),
                ]
            )
        except Exception:  # noqa: BLE001 - numba is optional
            _kernels.extend([_fill_py, _drain_py])
    return _kernels[0], _kernels[1]


def _shuffle_indices(
    chunks: Iterator[np.ndarray], size: int, tape: _Tape, use_numba: bool = True
) -> Iterator[np.ndarray]:
    """The shuffle buffer over index chunks: exactly `_shuffle_stream`'s order, computed
    chunk by chunk in a compiled loop."""

    def kernels(n: int) -> tuple:
        # numba pays off on big chunks (its import costs ~0.3 s); results are identical.
        if use_numba and (_kernels or n >= 50_000):
            return _shuffle_kernels()
        return _fill_py, _drain_py

    buf = np.zeros(size, np.int64)
    start = end = 0
    for c in chunks:
        c = np.ascontiguousarray(c, np.int64)
        if not len(c):
            continue
        tape.ensure(len(c))
        out = np.empty(len(c), np.int64)
        fill = kernels(len(c))[0]
        start, end, tape.pos, n = fill(buf, start, end, size, c, tape.samples, tape.pos, out)
        if n:
            yield out[:n]
    left = end - start
    tape.ensure(left)
    out = np.empty(left, np.int64)
    start, tape.pos, n = kernels(left)[1](buf, start, end, size, tape.samples, tape.pos, out)
    if n:
        yield out[:n]


class ShuffleDataset(_PassThrough):
    """`shuffle(buffer_size, seed, reshuffle_each_iteration)`."""

    def __init__(
        self, parent: DatasetV2, buffer_size: Any, seed: Any, reshuffle_each_iteration: bool | None
    ) -> None:
        super().__init__([parent])
        size = _count(buffer_size, "buffer_size")
        if size == AUTOTUNE:
            size = 10_000
        if size <= 0:
            raise invalid_argument("buffer_size must be greater than zero.")
        self._size = size
        self._seeds = data_seeds(seed)
        self._reshuffle = (
            True if reshuffle_each_iteration is None else bool(reshuffle_each_iteration)
        )

    def _tape(self, ctx: IterCtx) -> _Tape:
        seed, seed2 = ctx.shuffle_seeds(self, self._seeds, self._reshuffle)
        return _Tape(PhiloxStream(seed, seed2))

    def _iter(self, ctx: IterCtx) -> Iterator[tuple]:
        return _shuffle_stream(self._inputs[0]._iter(ctx), self._size, self._tape(ctx))

    def _plan(self) -> IndexPlan | None:
        p = self._inputs[0]._plan()
        if p is None:
            return None

        def chunks(ctx: IterCtx) -> Iterator[np.ndarray]:
            return _shuffle_indices(p.chunks(ctx), self._size, self._tape(ctx))

        return IndexPlan(p.source, chunks, ordered=False)


# ---------------------------------------------------------------------- counting
class RepeatDataset(_PassThrough):
    """`repeat(count)`: the input `count` times (forever for None or -1)."""

    def __init__(self, parent: DatasetV2, count: Any) -> None:
        super().__init__([parent])
        self._count = -1 if count is None else _count(count, "count")

    def _card(self) -> int:
        c = self._inputs[0]._card()
        if self._count == 0 or c == 0:
            return 0
        if self._count < 0 or c == INFINITE_CARDINALITY:
            return INFINITE_CARDINALITY
        return c * self._count if c >= 0 else UNKNOWN_CARDINALITY

    def _epochs(self, make: Callable[[], Iterator]) -> Iterator:
        epoch = 0
        while self._count < 0 or epoch < self._count:
            empty = True
            for x in make():
                empty = False
                yield x
            if empty:
                return
            epoch += 1

    def _iter(self, ctx: IterCtx) -> Iterator[tuple]:
        return self._epochs(lambda: self._inputs[0]._iter(ctx))

    def _plan(self) -> IndexPlan | None:
        p = self._inputs[0]._plan()
        if p is None:
            return None
        return IndexPlan(
            p.source,
            lambda ctx: self._epochs(lambda: p.chunks(ctx)),
            ordered=p.ordered and self._count in (0, 1),
        )


def _take_chunks(chunks: Iterator[np.ndarray], n: int) -> Iterator[np.ndarray]:
    left = n
    for c in chunks:
        if left <= 0:
            return
        c = c[:left]
        left -= len(c)
        yield c


def _skip_chunks(chunks: Iterator[np.ndarray], n: int) -> Iterator[np.ndarray]:
    left = n
    for c in chunks:
        if left > 0:
            k = min(left, len(c))
            left -= k
            c = c[k:]
            if not len(c):
                continue
        yield c


class TakeDataset(_PassThrough):
    """`take(count)`: the first `count` elements (all for -1)."""

    def __init__(self, parent: DatasetV2, count: Any) -> None:
        super().__init__([parent])
        self._n = _count(count, "count")

    def _card(self) -> int:
        c = self._inputs[0]._card()
        if self._n < 0:
            return c
        if c == INFINITE_CARDINALITY:
            return self._n
        return min(c, self._n) if c >= 0 else UNKNOWN_CARDINALITY

    def _iter(self, ctx: IterCtx) -> Iterator[tuple]:
        if self._n < 0:
            yield from self._inputs[0]._iter(ctx)
            return
        if self._n == 0:
            return
        for i, e in enumerate(self._inputs[0]._iter(ctx)):
            yield e
            if i + 1 >= self._n:
                return

    def _plan(self) -> IndexPlan | None:
        p = self._inputs[0]._plan()
        if p is None:
            return None
        if self._n < 0:
            return p
        return IndexPlan(p.source, lambda ctx: _take_chunks(p.chunks(ctx), self._n), p.ordered)


class SkipDataset(_PassThrough):
    """`skip(count)`: all but the first `count` elements (none for -1)."""

    def __init__(self, parent: DatasetV2, count: Any) -> None:
        super().__init__([parent])
        self._n = _count(count, "count")

    def _card(self) -> int:
        c = self._inputs[0]._card()
        if c < 0:
            return c
        if self._n < 0:
            return 0
        return max(0, c - self._n)

    def _iter(self, ctx: IterCtx) -> Iterator[tuple]:
        if self._n < 0:
            for _ in self._inputs[0]._iter(ctx):
                pass
            return
        for i, e in enumerate(self._inputs[0]._iter(ctx)):
            if i >= self._n:
                yield e

    def _plan(self) -> IndexPlan | None:
        p = self._inputs[0]._plan()
        if p is None or self._n < 0:
            return None
        return IndexPlan(p.source, lambda ctx: _skip_chunks(p.chunks(ctx), self._n), False)


class ShardDataset(_PassThrough):
    """`shard(num_shards, index)`: every num_shards-th element starting at index."""

    def __init__(self, parent: DatasetV2, num_shards: Any, index: Any) -> None:
        super().__init__([parent])
        self._num = _count(num_shards, "num_shards")
        self._index = _count(index, "index")
        if self._num <= 0:
            raise invalid_argument(
                f"Number of shards must be greater than zero (currently num_shards = {self._num})."
            )
        if not 0 <= self._index < self._num:
            raise invalid_argument(
                f"Index must be between 0 and {self._num - 1} (currently index = {self._index})."
            )

    def _card(self) -> int:
        c = self._inputs[0]._card()
        if c < 0:
            return c
        return c // self._num + (1 if c % self._num > self._index else 0)

    def _iter(self, ctx: IterCtx) -> Iterator[tuple]:
        for i, e in enumerate(self._inputs[0]._iter(ctx)):
            if i % self._num == self._index:
                yield e


# ---------------------------------------------------------------------- cache, prefetch
class CacheDataset(_PassThrough):
    """`cache(filename)`: the first complete pass is kept in memory (or in a file) and
    later passes read it back instead of recomputing the input."""

    def __init__(self, parent: DatasetV2, filename: str) -> None:
        super().__init__([parent])
        self._filename = str(filename) if filename else ""
        self._memory: list | None = None
        self._arrays: _ArraySource | None = None

    def _path(self) -> str:
        return self._filename + ".ndflow-cache.npz"

    def _iter(self, ctx: IterCtx) -> Iterator[tuple]:
        from ndflow._src.data import snapshot

        if self._memory is not None:
            yield from self._memory
            return
        if self._filename:
            import os

            if os.path.exists(self._path()):
                self._memory = snapshot.read_elements(self._path())
                yield from self._memory
                return
        seen: list = []
        for e in self._inputs[0]._iter(ctx):
            seen.append(e)
            yield e
        if self._filename:
            snapshot.write_elements(self._path(), seen)
        self._memory = seen

    def _plan(self) -> IndexPlan | None:
        """Over an ordered index plan, the first use gathers every element into arrays
        once; later epochs index those arrays (a memory cache that batches fast)."""
        if self._filename:
            return None
        p = self._inputs[0]._plan()
        if p is None or not p.ordered:
            return None
        if self._arrays is None:
            from ndflow._src.data.dataset_ops import scratch_ctx

            chunks = list(p.chunks(scratch_ctx()))
            idx = np.concatenate(chunks) if chunks else np.zeros(0, np.int64)
            self._arrays = _ArraySource(p.source.gather(idx), len(idx))
        src = self._arrays

        def chunks_fn(ctx: IterCtx) -> Iterator[np.ndarray]:
            if src.n:
                yield np.arange(src.n, dtype=np.int64)

        return IndexPlan(src, chunks_fn, ordered=True)


class _ArraySource:
    """Index-readable arrays (what a memory cache holds)."""

    def __init__(self, arrays: tuple, n: int) -> None:
        self._arrays = arrays
        self.n = n

    def gather(self, idx: np.ndarray) -> tuple:
        return tuple([a[idx] for a in self._arrays])


_DONE = object()


class PrefetchDataset(_PassThrough):
    """`prefetch(buffer_size)`: a background thread keeps up to buffer_size elements
    ready (AUTOTUNE: 2)."""

    def __init__(self, parent: DatasetV2, buffer_size: Any) -> None:
        super().__init__([parent])
        n = _count(buffer_size, "buffer_size")
        if n < -1:
            raise invalid_argument(f"buffer_size must be >= -1, got {n}")
        self._size = 2 if n == AUTOTUNE else n

    def _plan(self) -> IndexPlan | None:
        return self._inputs[0]._plan()

    def _iter(self, ctx: IterCtx) -> Iterator[tuple]:
        if self._size == 0 or self._inputs[0]._gathers_batches():
            # Gathering batches from in-memory arrays is cheaper than a Python thread
            # handoff (the GIL serializes them anyway): produce inline, same elements.
            yield from self._inputs[0]._iter(ctx)
            return
        q: queue.Queue = queue.Queue(self._size)
        stop = threading.Event()
        src = self._inputs[0]._iter(ctx)

        def produce() -> None:
            try:
                for e in src:
                    while not stop.is_set():
                        try:
                            q.put(e, timeout=0.1)
                            break
                        except queue.Full:
                            continue
                    if stop.is_set():
                        return
                item: Any = _DONE
            except BaseException as exc:  # noqa: BLE001 - re-raised in the consumer
                item = exc
            while not stop.is_set():
                try:
                    q.put(item, timeout=0.1)
                    return
                except queue.Full:
                    continue

        t = threading.Thread(target=produce, daemon=True, name="ndflow-prefetch")
        t.start()
        try:
            while True:
                item = q.get()
                if item is _DONE:
                    return
                if isinstance(item, BaseException):
                    raise item
                yield item
        finally:
            stop.set()


class OptionsDataset(_PassThrough):
    """`with_options`: the same elements, with options attached."""

    def _gathers_batches(self) -> bool:
        return self._inputs[0]._gathers_batches()

    def __init__(self, parent: DatasetV2, options: Any) -> None:
        super().__init__([parent])
        self._options = parent._options.merge(options)

    def _iter(self, ctx: IterCtx) -> Iterator[tuple]:
        return self._inputs[0]._iter(ctx)

    def _plan(self) -> IndexPlan | None:
        return self._inputs[0]._plan()


class IgnoreErrorsDataset(_PassThrough):
    """`ignore_errors`: elements whose computation raised are dropped."""

    def _iter(self, ctx: IterCtx) -> Iterator[tuple]:
        return self._inputs[0]._iter(ctx.child(skip_errors=True))

    def _card(self) -> int:
        return UNKNOWN_CARDINALITY


# ---------------------------------------------------------------------- stateful
class ScanDataset(DatasetV2):
    """`scan(initial_state, fn)`: fn(state, element) -> (new_state, output)."""

    def __init__(self, parent: DatasetV2, initial_state: Any, fn: Callable) -> None:
        super().__init__([parent])
        self._state0 = structure.normalize(initial_state)
        self._fn = fn
        self._out_structure: Any = None
        self.element_spec  # noqa: B018

    def _step(self, state: Any, flat: tuple) -> tuple:
        parent_spec = self._inputs[0].element_spec
        tensors = [wrap(a) for a in flat]
        elem = structure.pack(parent_spec, tensors)
        st = nest.map_structure(wrap, state)
        new_state, out = (
            self._fn(st, *elem)
            if (isinstance(elem, tuple) and not hasattr(type(elem), "_fields"))
            else self._fn(st, elem)
        )
        new_state = structure.normalize(new_state)
        out = structure.normalize(tuple(out) if isinstance(out, list) else out)
        if self._out_structure is None:
            self._out_structure = out
        return new_state, tuple(structure.flatten(out))

    def _compute_spec(self) -> Any:
        probes = self._inputs[0]._probe(2) or [_dummy_element(self._inputs[0].element_spec)]
        outs = []
        state = self._state0
        for p in probes:
            state, o = self._step(state, p)
            outs.append(o)
        return _spec_from_outputs(outs, self._out_structure)

    def _card(self) -> int:
        return self._inputs[0]._card()

    def _iter(self, ctx: IterCtx) -> Iterator[tuple]:
        state = self._state0
        for e in self._inputs[0]._iter(ctx):
            state, out = self._step(state, e)
            yield out


class UniqueDataset(_PassThrough):
    """`unique`: the first occurrence of each (scalar int or string) element."""

    def __init__(self, parent: DatasetV2) -> None:
        super().__init__([parent])
        spec = parent.element_spec
        if (
            nest.is_nested(spec)
            or spec.shape.rank != 0
            or not (spec.dtype.is_integer or spec.dtype is dtypes.string)
        ):
            raise TypeError(
                "`tf.data.Dataset.unique` does not support type "
                f"{spec}. Only scalar tf.int32, tf.int64 and tf.string elements are "
                "supported."
            )

    def _card(self) -> int:
        return UNKNOWN_CARDINALITY

    def _iter(self, ctx: IterCtx) -> Iterator[tuple]:
        seen: set = set()
        for e in self._inputs[0]._iter(ctx):
            key = e[0].item()
            if key not in seen:
                seen.add(key)
                yield e
