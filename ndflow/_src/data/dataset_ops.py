"""`tf.data.Dataset`: the base class, its iteration context and its public methods.

A dataset is a node in a pipeline graph. Iterating creates one Python generator per node
(`_iter(ctx)`), each yielding elements as flat tuples of NumPy arrays. Datasets that can be
read by index (`from_tensor_slices`, `range`, and vectorizable maps over them) also offer an
index plan (`_plan()`), which `batch` uses to gather whole batches with one array index.
The public methods build transformation nodes defined in the sibling modules.
"""

from __future__ import annotations

import itertools
import random
from typing import Any
from collections.abc import Callable, Iterator

import numpy as np

from ndflow._src.core import errors, nest
from ndflow._src.core.context import get_seed
from ndflow._src.data import graph_loop, structure
from ndflow._src.data.options import INFINITE_CARDINALITY, UNKNOWN_CARDINALITY, Options
from ndflow._src.framework.constant import convert_to_tensor
from ndflow._src.framework.tensor import Tensor, wrap

_serial = itertools.count()


class IterCtx:
    """Per-iterator state shared by a pipeline's nodes: the seeds and epoch counters.

    `entropy` seeds unseeded shuffles; `iteration` counts how many iterators the seeded
    top-level dataset has made (so `reshuffle_each_iteration` gives a new order each
    epoch). Both are saved in iterator checkpoints, which makes a restored pipeline
    replay the same order.
    """

    def __init__(self, entropy: int, iteration: int) -> None:
        self.entropy = int(entropy)
        self.iteration = int(iteration)
        self.epochs: dict[int, int] = {}
        self.skip_errors = False
        self.positions: dict[int, int] = {}
        self.kbase: dict[int, int] = {}

    def child(self, skip_errors: bool) -> IterCtx:
        """The same seeds and epoch counters, with element errors skipped or not."""
        c = IterCtx(self.entropy, self.iteration)
        c.epochs = self.epochs
        c.positions = self.positions
        c.kbase = self.kbase
        c.skip_errors = skip_errors
        return c

    def next_epoch(self, node: Any) -> int:
        n = self.epochs.get(node._serial, 0)
        self.epochs[node._serial] = n + 1
        return n

    def shuffle_seeds(self, node: Any, seeds: tuple, reshuffle: bool) -> tuple[int, int]:
        """The Philox (seed, seed2) of a shuffle's next iterator, as TensorFlow picks them:
        fixed seeds without reshuffling; else the k-th pair of a Philox stream keyed by
        the dataset's seeds, k counting that dataset's iterators (TF's seed generator)."""
        from ndflow._src.data.philox import iteration_seeds

        epoch = self.next_epoch(node)
        pos = self.positions.get(id(node), node._serial + 10**6)
        if seeds[0] is None and seeds[1] is None:
            base = np.random.SeedSequence([self.entropy, pos]).generate_state(2, np.uint32)
            return iteration_seeds(int(base[0]), int(base[1]), epoch)
        if not reshuffle:
            return int(seeds[0]), int(seeds[1])
        if pos not in self.kbase:
            self.kbase[pos] = node._creations
        k = self.kbase[pos] + epoch
        node._creations = max(node._creations, k + 1)
        return iteration_seeds(int(seeds[0]), int(seeds[1]), k)

    def rng(self, node: Any, seeds: tuple, reshuffle: bool) -> np.random.Generator:
        epoch = self.next_epoch(node)
        if seeds[0] is None and seeds[1] is None:
            # The node's place in the pipeline (not its global serial), so a pipeline
            # rebuilt after a restart draws the same orders from a restored entropy.
            key = [self.entropy, self.positions.get(id(node), node._serial + 10**6), epoch]
        elif reshuffle:
            key = [seeds[0], seeds[1], self.iteration, epoch]
        else:
            key = [seeds[0], seeds[1]]
        return np.random.Generator(np.random.PCG64([int(k) & 0xFFFFFFFFFFFF for k in key]))


def scratch_ctx() -> IterCtx:
    return IterCtx(0, 0)


class IndexPlan:
    """Elements as `source.gather(indices)`, the indices coming in chunks from `chunks`.

    `ordered` is True when the chunks are 0..n-1 in order (no shuffle under it).
    """

    def __init__(
        self, source: Any, chunks: Callable[[IterCtx], Iterator[np.ndarray]], ordered: bool
    ) -> None:
        self.source = source
        self.chunks = chunks
        self.ordered = ordered


_op_seed_draws: dict[int, tuple[random.Random, list[int]]] = {}


def _eager_op_seed(global_seed: int, k: int) -> int:
    """The k-th op seed (from 1) TensorFlow's eager context draws after `set_seed(g)`:
    `random.Random(g).randint(0, 2**31 - 1)`, one per random op built without a seed.
    `get_seed` counts those ops; the count indexes this stream."""
    rng, draws = _op_seed_draws.setdefault(global_seed, (random.Random(global_seed), []))
    while len(draws) < k:
        draws.append(rng.randint(0, 2**31 - 1))
    return draws[k - 1]


def data_seeds(seed: Any) -> tuple:
    """A tf.data random op's (seed, seed2) as TensorFlow's `get_seed` gives them: (None,
    None) when unseeded, both seeds reduced modulo 2**31 - 1, and (0, 0) turned into
    (0, 2**31 - 1) (the kernels read (0, 0) as "unseeded")."""
    s0, s1 = get_seed(None if seed is None else int(seed))
    if s0 is None and s1 is None:
        return s0, s1
    if seed is None and s0 is not None and s1 is not None:
        s1 = _eager_op_seed(int(s0), int(s1))
    s0 = 0 if s0 is None else int(s0) % (2**31 - 1)
    s1 = 0 if s1 is None else int(s1) % (2**31 - 1)
    return (0, 2**31 - 1) if (s0, s1) == (0, 0) else (s0, s1)


def invalid_argument(msg: str) -> errors.OpError:
    return errors.InvalidArgumentError(None, None, msg)


class DatasetV2:
    """`tf.data.Dataset`: a sequence of elements, each a nest of tensors.

    >>> import ndflow as tf
    >>> ds = tf.data.Dataset.range(5).map(lambda x: x * 2).batch(2)
    >>> [b.numpy().tolist() for b in ds]
    [[0, 2], [4, 6], [8]]
    """

    def __init__(self, inputs: list | tuple = ()) -> None:
        self._inputs = list(inputs)
        self._serial = next(_serial)
        self._spec_cache: Any = None
        self._iterations = 0
        self._creations = 0  # iterators made over this node (TF's seed generator count)
        self._options = Options()
        for i in self._inputs:
            self._options = self._options.merge(i._options)

    # ------------------------------------------------------------ to be overridden
    def _compute_spec(self) -> Any:
        raise NotImplementedError

    def _iter(self, ctx: IterCtx) -> Iterator[tuple]:
        raise NotImplementedError

    def _card(self) -> int:
        return UNKNOWN_CARDINALITY

    def _plan(self) -> IndexPlan | None:
        return None

    def _gathers_batches(self) -> bool:
        """True when elements come from whole-batch array indexing (cheap to produce)."""
        return False

    def _probe(self, k: int) -> list:
        """Up to k elements with this dataset's spec, cheaply (used to infer map specs)."""
        return list(itertools.islice(self._iter(scratch_ctx()), k))

    # ------------------------------------------------------------ structure
    @property
    def element_spec(self) -> Any:
        """The nested TensorSpecs of one element."""
        if self._spec_cache is None:
            self._spec_cache = self._compute_spec()
        return self._spec_cache

    def _flat_specs(self) -> list:
        return structure.flatten(self.element_spec)

    # ------------------------------------------------------------ iteration
    def _autograph_for_loop(self, extra_test, body, get_state, set_state) -> None:
        """How autograph runs `for x in dataset:` inside a traced function."""
        graph_loop.autograph_for_loop(self, extra_test, body, get_state, set_state)

    def __iter__(self):
        from ndflow._src.data.iterator import OwnedIterator

        return OwnedIterator(self)

    def as_numpy_iterator(self):
        """Iterates elements as NumPy values (scalars, arrays, bytes)."""
        from ndflow._src.data.iterator import NumpyIterator

        return NumpyIterator(self)

    def _new_ctx(self) -> IterCtx:
        self._iterations += 1
        ctx = IterCtx(int(np.random.SeedSequence().entropy) & 0x7FFFFFFFFFFF, self._iterations - 1)
        ctx.positions = self._positions()
        return ctx

    def _positions(self) -> dict[int, int]:
        """Depth-first positions of the pipeline's nodes, from this (the top) node."""
        out: dict[int, int] = {}
        stack: list = [self]
        while stack:
            node = stack.pop()
            if id(node) in out:
                continue
            out[id(node)] = len(out)
            stack.extend(reversed(node._inputs))
        return out

    def __bool__(self) -> bool:
        return True

    def __len__(self) -> int:
        n = self._card()
        if n == INFINITE_CARDINALITY:
            raise TypeError("The dataset is infinite.")
        if n == UNKNOWN_CARDINALITY:
            raise TypeError("The dataset length is unknown.")
        return n

    def cardinality(self) -> Tensor:
        """The number of elements, or INFINITE_CARDINALITY (-1) / UNKNOWN_CARDINALITY (-2)."""
        return wrap(np.asarray(self._card(), np.int64))

    def __repr__(self) -> str:
        return f"<{type(self).__name__} element_spec={self.element_spec}>"

    # ------------------------------------------------------------ options
    def options(self) -> Options:
        return self._options

    def with_options(self, options: Options, name: str | None = None) -> DatasetV2:
        from ndflow._src.data import transformations as t

        return t.OptionsDataset(self, options)

    # ------------------------------------------------------------ sources
    @staticmethod
    def from_tensor_slices(tensors: Any, name: str | None = None) -> DatasetV2:
        """Slices each component of `tensors` along its first dimension."""
        from ndflow._src.data import sources

        return sources.TensorSliceDataset(tensors)

    @staticmethod
    def from_tensors(tensors: Any, name: str | None = None) -> DatasetV2:
        """A dataset with the single element `tensors`."""
        from ndflow._src.data import sources

        return sources.TensorDataset(tensors)

    @staticmethod
    def range(*args: Any, dtype: Any = None, name: str | None = None) -> DatasetV2:
        """Like Python's range, as int64 scalars (or `dtype`)."""
        from ndflow._src.data import sources

        return sources.RangeDataset(*args, dtype=dtype)

    @staticmethod
    def from_generator(
        generator: Callable,
        output_types: Any = None,
        output_shapes: Any = None,
        args: Any = None,
        output_signature: Any = None,
        name: str | None = None,
    ) -> DatasetV2:
        """Elements produced by calling `generator(*args)`, checked against the signature."""
        from ndflow._src.data import sources

        return sources.GeneratorDataset(
            generator, output_types, output_shapes, args, output_signature
        )

    @staticmethod
    def zip(*datasets: Any, name: str | None = None) -> DatasetV2:
        from ndflow._src.data import sources

        if len(datasets) == 1 and not isinstance(datasets[0], DatasetV2):
            datasets = datasets[0]
        return sources.ZipDataset(datasets)

    @staticmethod
    def list_files(
        file_pattern: Any,
        shuffle: bool | None = None,
        seed: int | None = None,
        name: str | None = None,
    ) -> DatasetV2:
        from ndflow._src.data import readers

        return readers.list_files(file_pattern, shuffle, seed)

    @staticmethod
    def sample_from_datasets(
        datasets: list,
        weights: Any = None,
        seed: int | None = None,
        stop_on_empty_dataset: bool = False,
        rerandomize_each_iteration: Any = None,
    ) -> DatasetV2:
        from ndflow._src.data import combinators

        return combinators.sample_from_datasets(
            datasets, weights, seed, stop_on_empty_dataset, rerandomize_each_iteration
        )

    @staticmethod
    def choose_from_datasets(
        datasets: list, choice_dataset: DatasetV2, stop_on_empty_dataset: bool = True
    ) -> DatasetV2:
        from ndflow._src.data import combinators

        return combinators.ChooseDataset(datasets, choice_dataset, stop_on_empty_dataset)

    @staticmethod
    def load(
        path: str, element_spec: Any = None, compression: str | None = None, reader_func: Any = None
    ) -> DatasetV2:
        from ndflow._src.data import snapshot

        return snapshot.load(path, element_spec)

    def save(
        self,
        path: str,
        compression: str | None = None,
        shard_func: Any = None,
        checkpoint_args: Any = None,
    ) -> None:
        from ndflow._src.data import snapshot

        snapshot.save(self, path)

    # ------------------------------------------------------------ transformations
    def concatenate(self, dataset: DatasetV2, name: str | None = None) -> DatasetV2:
        from ndflow._src.data import sources

        return sources.ConcatenateDataset(self, dataset)

    def map(
        self,
        map_func: Callable,
        num_parallel_calls: int | None = None,
        deterministic: bool | None = None,
        name: str | None = None,
    ) -> DatasetV2:
        """Applies `map_func` to each element (unpacking tuples into arguments)."""
        from ndflow._src.data import transformations as t

        self._reject_ragged("map")
        return t.MapDataset(self, map_func, num_parallel_calls)

    def filter(self, predicate: Callable, name: str | None = None) -> DatasetV2:
        from ndflow._src.data import transformations as t

        self._reject_ragged("filter")
        return t.FilterDataset(self, predicate)

    def batch(
        self,
        batch_size: Any,
        drop_remainder: bool = False,
        num_parallel_calls: int | None = None,
        deterministic: bool | None = None,
        name: str | None = None,
    ) -> DatasetV2:
        """Stacks consecutive elements into batches of `batch_size`."""
        from ndflow._src.data import batching

        self._reject_ragged("batch")
        return batching.BatchDataset(self, batch_size, drop_remainder)

    def padded_batch(
        self,
        batch_size: Any,
        padded_shapes: Any = None,
        padding_values: Any = None,
        drop_remainder: bool = False,
        name: str | None = None,
    ) -> DatasetV2:
        from ndflow._src.data import batching

        self._reject_ragged("padded_batch")
        return batching.PaddedBatchDataset(
            self, batch_size, padded_shapes, padding_values, drop_remainder
        )

    def ragged_batch(
        self,
        batch_size: Any,
        drop_remainder: bool = False,
        row_splits_dtype: Any = "int64",
        name: str | None = None,
    ) -> DatasetV2:
        """Batches elements of different shapes: components with unknown dimensions
        become `tf.RaggedTensor`s, the others batch as `batch` does.

        >>> import ndflow as tf
        >>> ds = tf.data.Dataset.range(4).map(lambda x: tf.range(x)).ragged_batch(2)
        >>> [b.to_list() for b in ds]
        [[[], [0]], [[0, 1], [0, 1, 2]]]
        """
        from ndflow._src.data import batching

        return batching.RaggedBatchDataset(self, batch_size, drop_remainder, row_splits_dtype)

    def unbatch(self, name: str | None = None) -> DatasetV2:
        from ndflow._src.data import batching

        self._reject_ragged("unbatch")
        return batching.UnbatchDataset(self)

    def rebatch(
        self, batch_size: Any, drop_remainder: bool = False, name: str | None = None
    ) -> DatasetV2:
        from ndflow._src.data import batching

        self._reject_ragged("rebatch")
        return batching.RebatchDataset(self, batch_size, drop_remainder)

    def shuffle(
        self,
        buffer_size: Any,
        seed: int | None = None,
        reshuffle_each_iteration: bool | None = None,
        name: str | None = None,
    ) -> DatasetV2:
        """Samples from a buffer of `buffer_size` elements, refilled from the input."""
        from ndflow._src.data import transformations as t

        return t.ShuffleDataset(self, buffer_size, seed, reshuffle_each_iteration)

    def repeat(self, count: Any = None, name: str | None = None) -> DatasetV2:
        from ndflow._src.data import transformations as t

        return t.RepeatDataset(self, count)

    def take(self, count: Any, name: str | None = None) -> DatasetV2:
        from ndflow._src.data import transformations as t

        return t.TakeDataset(self, count)

    def skip(self, count: Any, name: str | None = None) -> DatasetV2:
        from ndflow._src.data import transformations as t

        return t.SkipDataset(self, count)

    def cache(self, filename: str = "", name: str | None = None) -> DatasetV2:
        from ndflow._src.data import transformations as t

        return t.CacheDataset(self, filename)

    def prefetch(self, buffer_size: Any, name: str | None = None) -> DatasetV2:
        from ndflow._src.data import transformations as t

        return t.PrefetchDataset(self, buffer_size)

    def flat_map(self, map_func: Callable, name: str | None = None) -> DatasetV2:
        from ndflow._src.data import combinators

        return combinators.FlatMapDataset(self, map_func)

    def interleave(
        self,
        map_func: Callable,
        cycle_length: int | None = None,
        block_length: int | None = None,
        num_parallel_calls: int | None = None,
        deterministic: bool | None = None,
        name: str | None = None,
    ) -> DatasetV2:
        from ndflow._src.data import combinators

        return combinators.InterleaveDataset(self, map_func, cycle_length, block_length)

    def enumerate(self, start: int = 0, name: str | None = None) -> DatasetV2:
        from ndflow._src.data import sources

        ds = DatasetV2.zip((sources.RangeDataset(start, np.iinfo(np.int64).max), self))
        return ds

    def window(
        self,
        size: int,
        shift: int | None = None,
        stride: int = 1,
        drop_remainder: bool = False,
        name: str | None = None,
    ) -> DatasetV2:
        from ndflow._src.data import batching

        return batching.WindowDataset(self, size, shift, stride, drop_remainder)

    def shard(self, num_shards: Any, index: Any, name: str | None = None) -> DatasetV2:
        from ndflow._src.data import transformations as t

        return t.ShardDataset(self, num_shards, index)

    def apply(self, transformation_func: Callable) -> DatasetV2:
        out = transformation_func(self)
        if not isinstance(out, DatasetV2):
            raise TypeError(
                f"`transformation_func` must return a `tf.data.Dataset` object. Received: {out!r}"
            )
        return out

    def scan(self, initial_state: Any, scan_func: Callable, name: str | None = None):
        from ndflow._src.data import transformations as t

        return t.ScanDataset(self, initial_state, scan_func)

    def unique(self, name: str | None = None) -> DatasetV2:
        from ndflow._src.data import transformations as t

        return t.UniqueDataset(self)

    def ignore_errors(self, log_warning: bool = False, name: str | None = None) -> DatasetV2:
        from ndflow._src.data import transformations as t

        return t.IgnoreErrorsDataset([self])

    def take_while(self, predicate: Callable, name: str | None = None) -> DatasetV2:
        from ndflow._src.data import transformations as t

        return t.TakeWhileDataset(self, predicate)

    def group_by_window(
        self,
        key_func: Callable,
        reduce_func: Callable,
        window_size: int | None = None,
        window_size_func: Any = None,
        name: str | None = None,
    ) -> DatasetV2:
        from ndflow._src.data import batching

        return batching.GroupByWindowDataset(
            self, key_func, reduce_func, window_size, window_size_func
        )

    def bucket_by_sequence_length(
        self,
        element_length_func: Callable,
        bucket_boundaries: list,
        bucket_batch_sizes: list,
        padded_shapes: Any = None,
        padding_values: Any = None,
        pad_to_bucket_boundary: bool = False,
        no_padding: bool = False,
        drop_remainder: bool = False,
        name: str | None = None,
    ) -> DatasetV2:
        from ndflow._src.data import batching

        return batching.bucket_by_sequence_length(
            self,
            element_length_func,
            bucket_boundaries,
            bucket_batch_sizes,
            padded_shapes,
            padding_values,
            pad_to_bucket_boundary,
            no_padding,
            drop_remainder,
        )

    def reduce(self, initial_state: Any, reduce_func: Callable, name: str | None = None):
        """Folds every element into a state with `reduce_func(state, element)`."""
        from ndflow._src.data.transformations import call_user

        state = nest.map_structure(convert_to_tensor, initial_state)
        if graph_loop.tracing():  # inside tf.function: one op that loops when run
            return graph_loop.graph_fold(
                self, state, lambda s, e: call_user(reduce_func, (s, e), spread=False)
            )
        for element in self:
            state = call_user(reduce_func, (state, element), spread=False)
        return state

    def get_single_element(self, name: str | None = None) -> Any:
        it = iter(self)
        try:
            first = next(it)
        except StopIteration:
            raise invalid_argument("Dataset was empty.") from None
        try:
            next(it)
        except StopIteration:
            return first
        raise invalid_argument("Dataset had more than one element.")

    def snapshot(
        self,
        path: str,
        compression: Any = None,
        reader_func: Any = None,
        shard_func: Any = None,
        name: str | None = None,
    ) -> DatasetV2:
        """The same elements, written under `path` on the first pass and read back after."""
        import os

        os.makedirs(os.fspath(path), exist_ok=True)
        return self.cache(os.path.join(os.fspath(path), "snapshot"))

    @staticmethod
    def random(
        seed: int | None = None, rerandomize_each_iteration: Any = None, name: str | None = None
    ) -> DatasetV2:
        """Endless uniform int64 values in [0, 2**32): TensorFlow's exact values for a seed."""
        from ndflow._src.data import combinators

        return combinators.RandomDataset(seed, rerandomize_each_iteration)

    @staticmethod
    def counter(start: int = 0, step: int = 1, dtype: Any = None) -> DatasetV2:
        from ndflow._src.data import sources

        return sources.RangeDataset(start, np.iinfo(np.int64).max, step, dtype=dtype or "int64")

    def _reject_ragged(self, what: str) -> None:
        """ndflow's tf.data passes RaggedTensor components (from `ragged_batch`) through
        iteration, take/skip/repeat/shuffle/prefetch only; say so instead of failing later."""
        if any(isinstance(s, structure.RaggedTensorSpec) for s in self._flat_specs()):
            raise NotImplementedError(
                f"`{what}` over RaggedTensor elements (from `ragged_batch`) is not "
                "implemented in ndflow's tf.data; apply it before `ragged_batch`."
            )

    def _seed_pair(self, seed: int | None) -> tuple:
        return get_seed(seed)


Dataset = DatasetV2
