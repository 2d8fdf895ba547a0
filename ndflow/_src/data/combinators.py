"""Datasets of datasets: flat_map, interleave, sample_from_datasets, choose_from_datasets."""

from __future__ import annotations

import os
from typing import Any
from collections.abc import Callable, Iterator

import numpy as np

from ndflow._src.core import dtypes, nest
from ndflow._src.data import structure
from ndflow._src.data.dataset_ops import DatasetV2, IterCtx, data_seeds, invalid_argument
from ndflow._src.data.options import AUTOTUNE, INFINITE_CARDINALITY, UNKNOWN_CARDINALITY
from ndflow._src.data.philox import PhiloxStream, stateless_categorical
from ndflow._src.data.structure import TensorSpec
from ndflow._src.data.transformations import _count, _dummy_element, call_user
from ndflow._src.framework.constant import convert_to_tensor
from ndflow._src.framework.tensor import Tensor


class _DatasetFn:
    """A user function from an element to a dataset."""

    def __init__(self, fn: Callable, spec: Any) -> None:
        self._fn = fn
        self._spec = spec

    def __call__(self, flat: tuple) -> DatasetV2:
        tensors = [structure.wrap_component(a) for a in flat]
        arg = structure.pack(self._spec, tensors) if nest.is_nested(self._spec) else tensors[0]
        out = call_user(self._fn, arg)
        if not isinstance(out, DatasetV2):
            raise TypeError(
                f"The `map_func` argument must return a `Dataset` object. Got {type(out)!r}."
            )
        return out


class _NestedDataset(DatasetV2):
    def __init__(self, parent: DatasetV2, fn: Callable) -> None:
        super().__init__([parent])
        self._fn = _DatasetFn(fn, parent.element_spec)

    def _compute_spec(self) -> Any:
        parent = self._inputs[0]
        probes = parent._probe(1) or [_dummy_element(parent.element_spec)]
        return self._fn(probes[0]).element_spec

    def _card(self) -> int:
        return UNKNOWN_CARDINALITY  # as TF, even over infinite inputs


class FlatMapDataset(_NestedDataset):
    """`flat_map`: the elements of `fn(element)` for every element, in order."""

    def _iter(self, ctx: IterCtx) -> Iterator[tuple]:
        for e in self._inputs[0]._iter(ctx):
            yield from self._fn(e)._iter(ctx)


class InterleaveDataset(_NestedDataset):
    """`interleave`: `cycle_length` inner datasets open at once, `block_length` elements
    from each in turn; an exhausted one is replaced by the next input element's."""

    def __init__(
        self, parent: DatasetV2, fn: Callable, cycle_length: Any, block_length: Any
    ) -> None:
        super().__init__(parent, fn)
        c = AUTOTUNE if cycle_length is None else _count(cycle_length, "cycle_length")
        self._cycle = (os.cpu_count() or 1) if c == AUTOTUNE else c
        self._block = 1 if block_length is None else _count(block_length, "block_length")
        if self._cycle <= 0:
            raise invalid_argument("cycle_length must be greater than zero.")
        if self._block <= 0:
            raise invalid_argument("block_length must be greater than zero.")

    def _iter(self, ctx: IterCtx) -> Iterator[tuple]:
        src = self._inputs[0]._iter(ctx)
        slots: list = [None] * self._cycle
        exhausted = False

        def open_next() -> Iterator | None:
            nonlocal exhausted
            if exhausted:
                return None
            try:
                return self._fn(next(src))._iter(ctx)
            except StopIteration:
                exhausted = True
                return None

        for i in range(self._cycle):
            slots[i] = open_next()
        i = 0
        while any(s is not None for s in slots):
            it = slots[i]
            if it is not None:
                for _ in range(self._block):
                    try:
                        yield next(it)
                    except StopIteration:
                        slots[i] = open_next()
                        break
                # An exhausted slot refilled mid-block continues at its next turn.
            i = (i + 1) % self._cycle


class RandomDataset(DatasetV2):
    """`Dataset.random(seed)`: endless uniform int64 values in [0, 2**32), TensorFlow's exact
    stream for a seed: the 32-bit samples of Philox4x32-10 keyed by the seeds. With
    `rerandomize_each_iteration` each new iterator takes fresh seeds from the dataset's seed
    stream (as shuffle's reshuffling does); otherwise every iterator repeats the values.

    >>> import ndflow as tf
    >>> [int(x) for x in tf.data.Dataset.random(seed=5).take(2)]
    [3568415791, 2798973839]
    """

    _CHUNK = 512

    def __init__(self, seed: Any = None, rerandomize_each_iteration: Any = None) -> None:
        super().__init__()
        self._seeds = data_seeds(seed)
        self._rerandomize = bool(rerandomize_each_iteration)

    def _compute_spec(self) -> Any:
        return TensorSpec((), dtypes.int64)

    def _card(self) -> int:
        return INFINITE_CARDINALITY

    def _stream(self, ctx: IterCtx) -> PhiloxStream:
        seed, seed2 = ctx.shuffle_seeds(self, self._seeds, self._rerandomize)
        return PhiloxStream(seed, seed2)

    def _values(self, ctx: IterCtx) -> Iterator[np.ndarray]:
        """The values in chunks (int64 arrays)."""
        stream = self._stream(ctx)
        while True:
            yield stream.take(self._CHUNK).astype(np.int64)

    def _iter(self, ctx: IterCtx) -> Iterator[tuple]:
        for chunk in self._values(ctx):
            for v in chunk:
                yield (np.asarray(v),)

    def _probe(self, k: int) -> list:
        return [(np.asarray(0, np.int64),)] * k


class SampleDataset(DatasetV2):
    """`sample_from_datasets`: each element from an input picked at random by weight.

    As TensorFlow: the picks come from `Dataset.random(seed).batch(2)`, each pair seeding one
    `stateless_multinomial` draw over log(weights); a pick of an exhausted input is
    skipped (or ends the dataset with `stop_on_empty_dataset`). `weights` may be a
    dataset of weight vectors, one per pick.
    """

    def __init__(
        self,
        datasets: list,
        logits: Any,
        random: RandomDataset,
        stop_on_empty: bool,
    ) -> None:
        extra = [random] + ([logits] if isinstance(logits, DatasetV2) else [])
        super().__init__(list(datasets) + extra)
        self._n = len(datasets)
        self._logits = logits
        self._random = random
        self._stop = bool(stop_on_empty)

    def _compute_spec(self) -> Any:
        return _common_spec(self._inputs[: self._n])

    def _card(self) -> int:
        return _interleave_card(self._inputs[: self._n])

    def _choices(self, ctx: IterCtx) -> Iterator[int]:
        values = self._random._values(ctx)
        if isinstance(self._logits, DatasetV2):
            pending = np.zeros(0, np.int64)
            for (w,) in self._logits._iter(ctx):
                if len(pending) < 2:
                    pending = np.concatenate([pending, next(values)])
                seed, pending = pending[:2], pending[2:]
                logits = np.log(np.asarray(w)).reshape(-1)
                yield int(stateless_categorical(logits, seed[:1], seed[1:])[0])
            return
        for chunk in values:
            yield from stateless_categorical(self._logits, chunk[0::2], chunk[1::2]).tolist()

    def _iter(self, ctx: IterCtx) -> Iterator[tuple]:
        yield from _directed_interleave(
            [d._iter(ctx) for d in self._inputs[: self._n]], self._choices(ctx), self._stop
        )


def sample_from_datasets(
    datasets: list,
    weights: Any = None,
    seed: Any = None,
    stop_on_empty_dataset: bool = False,
    rerandomize_each_iteration: Any = None,
) -> DatasetV2:
    """`tf.data.Dataset.sample_from_datasets`, with TensorFlow's checks and special cases:
    inputs of weight 0 (in a list of weights) are dropped, and a single remaining input is
    returned as it is."""
    datasets = list(datasets)
    if not datasets:
        raise ValueError("Invalid `datasets`. `datasets` should not be empty.")
    if isinstance(weights, DatasetV2):
        logits: Any = weights
    else:
        if weights is None:
            logits = np.zeros(len(datasets), np.float32)
        else:
            if isinstance(weights, Tensor):
                if not weights.shape.is_compatible_with([len(datasets)]):
                    raise ValueError(
                        "Invalid `weights`. The shape of `weights` should be compatible "
                        f"with `[len(datasets)]` but is {weights.shape}."
                    )
                w = weights
            else:
                weights = (
                    list(structure.normalize(weights))
                    if isinstance(weights, np.ndarray)
                    else list(weights)
                )
                if len(datasets) != len(weights):
                    raise ValueError(
                        "Invalid `weights`. `weights` should have the same length as "
                        f"`datasets` but got `len(weights)={len(weights)}` vs. "
                        f"`len(datasets)={len(datasets)}`."
                    )
                kept = [(d, x) for d, x in zip(datasets, weights) if x > 0]
                if kept:
                    datasets, weights = [k[0] for k in kept], [k[1] for k in kept]
                else:
                    datasets, weights = [datasets[0].take(0)], [1.0]
                w = convert_to_tensor(weights)
            if w.dtype not in (dtypes.float32, dtypes.float64):
                raise TypeError(
                    "Invalid `weights`. `weights` type must be either `tf.float32` or "
                    f"`tf.float64` but is <dtype: '{w.dtype.name}'>."
                )
            with np.errstate(divide="ignore"):
                logits = np.log(np.asarray(w._value).reshape(-1))
        if len(datasets) == 1:
            return datasets[0]
    random = RandomDataset(seed, rerandomize_each_iteration)
    return SampleDataset(datasets, logits, random, stop_on_empty_dataset)


class ChooseDataset(DatasetV2):
    """`choose_from_datasets`: element i comes from datasets[choice[i]]."""

    def __init__(self, datasets: list, choice: DatasetV2, stop_on_empty: bool) -> None:
        super().__init__(list(datasets) + [choice])
        if not datasets:
            raise ValueError("Invalid `datasets`. `datasets` should not be empty.")
        spec = choice.element_spec
        if (
            not isinstance(spec, TensorSpec)
            or spec.dtype is not dtypes.int64
            or (spec.shape.rank != 0)
        ):
            raise TypeError(
                "Invalid `choice_dataset`. Elements of `choice_dataset` must be "
                f"scalar `tf.int64` tensors but are {spec}."
            )
        self._n = len(datasets)
        self._stop = bool(stop_on_empty)

    def _compute_spec(self) -> Any:
        return _common_spec(self._inputs[:-1])

    def _card(self) -> int:
        return _interleave_card(self._inputs[:-1])

    def _iter(self, ctx: IterCtx) -> Iterator[tuple]:
        choices = (int(c) for (c,) in self._inputs[-1]._iter(ctx))
        its = [d._iter(ctx) for d in self._inputs[:-1]]
        yield from _directed_interleave(its, choices, self._stop)


def _interleave_card(datasets: list) -> int:
    """TF's DirectedInterleave cardinality: infinite if any input is, else unknown."""
    if any(d._card() == INFINITE_CARDINALITY for d in datasets):
        return INFINITE_CARDINALITY
    return UNKNOWN_CARDINALITY


def _directed_interleave(its: list, choices: Iterator[int], stop: bool) -> Iterator[tuple]:
    """The next element of its[c] for each choice c; a choice of an exhausted input is
    skipped, or ends everything when `stop`; ends when every input is exhausted."""
    n = len(its)
    live = n
    done = [False] * n
    for i in choices:
        if not 0 <= i < n:
            raise invalid_argument(f"Selector index out of range: {i} >= {n}")
        if done[i]:
            continue
        try:
            yield next(its[i])
        except StopIteration:
            if stop:
                return
            done[i] = True
            live -= 1
            if not live:
                return


def _common_spec(datasets: list) -> Any:
    spec = datasets[0].element_spec
    for d in datasets[1:]:
        other = d.element_spec
        try:
            nest.assert_same_structure(spec, other)
        except (ValueError, TypeError):
            raise TypeError(
                "Invalid `datasets`. `datasets` must have compatible element "
                f"specs.\n Dataset 0 element_spec={spec}."
            ) from None
        flat = [
            TensorSpec(structure.most_specific_shape(a.shape, b.shape), a.dtype)
            for a, b in zip(structure.flatten(spec), structure.flatten(other))
        ]
        for a, b in zip(structure.flatten(spec), structure.flatten(other)):
            if a.dtype != b.dtype:
                raise TypeError(
                    "Invalid `datasets`. `datasets` must have compatible "
                    f"element specs.\n Dataset 0 element_spec={spec}."
                )
        spec = structure.pack(spec, flat)
    return spec
