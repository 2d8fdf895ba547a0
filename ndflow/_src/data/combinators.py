"""Datasets of datasets: flat_map, interleave, sample_from_datasets, choose_from_datasets."""

from __future__ import annotations

import os
from typing import Any
from collections.abc import Callable, Iterator

import numpy as np

from ndflow._src.core import dtypes, nest
from ndflow._src.core.context import get_seed
from ndflow._src.data import structure
from ndflow._src.data.dataset_ops import DatasetV2, IterCtx, invalid_argument
from ndflow._src.data.options import AUTOTUNE, INFINITE_CARDINALITY, UNKNOWN_CARDINALITY
from ndflow._src.data.structure import TensorSpec
from ndflow._src.data.transformations import _count, _dummy_element, call_user


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


class SampleDataset(DatasetV2):
    """`sample_from_datasets`: each element from a dataset chosen at random by weight."""

    def __init__(self, datasets: list, weights: Any, seed: Any, stop_on_empty: bool) -> None:
        super().__init__(list(datasets))
        if not datasets:
            raise ValueError("Invalid `datasets`. `datasets` should not be empty.")
        n = len(datasets)
        w = (
            np.full(n, 1.0 / n)
            if weights is None
            else np.asarray(structure.normalize(weights), np.float64)
        )
        if w.shape != (n,):
            raise ValueError(
                f"Invalid `weights`. The shape of `weights` should be "
                f"compatible with `[len(datasets)]` but is {w.shape}."
            )
        self._weights = w
        self._seeds = get_seed(seed)
        self._stop = bool(stop_on_empty)

    def _compute_spec(self) -> Any:
        return _common_spec(self._inputs)

    def _card(self) -> int:
        cards = [d._card() for d in self._inputs]
        if all(c == INFINITE_CARDINALITY for c in cards):
            return INFINITE_CARDINALITY
        return UNKNOWN_CARDINALITY

    def _iter(self, ctx: IterCtx) -> Iterator[tuple]:
        rng = ctx.rng(self, self._seeds, True)
        its = [d._iter(ctx) for d in self._inputs]
        w = self._weights.copy()
        while w.sum() > 0:
            i = int(rng.choice(len(w), p=w / w.sum()))
            try:
                yield next(its[i])
            except StopIteration:
                if self._stop:
                    return
                w[i] = 0.0


class ChooseDataset(DatasetV2):
    """`choose_from_datasets`: element i comes from datasets[choice[i]]."""

    def __init__(self, datasets: list, choice: DatasetV2, stop_on_empty: bool) -> None:
        super().__init__(list(datasets) + [choice])
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
        return UNKNOWN_CARDINALITY

    def _iter(self, ctx: IterCtx) -> Iterator[tuple]:
        its = [d._iter(ctx) for d in self._inputs[:-1]]
        done = [False] * self._n
        for (c,) in self._inputs[-1]._iter(ctx):
            i = int(c)
            if not 0 <= i < self._n:
                raise invalid_argument(f"Selector index out of range: {i} >= {self._n}")
            if done[i]:
                continue
            try:
                yield next(its[i])
            except StopIteration:
                if self._stop:
                    return
                done[i] = True


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
