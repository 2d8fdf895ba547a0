"""Data adapters: turn what `fit`/`evaluate`/`predict` receive into batches.

Accepted: NumPy arrays, tensors, lists/tuples/dicts of them (dict keys matched to input
names by the model), `tf.data.Dataset`, Python generators/iterators, and PyDataset-like
objects (`__getitem__` + `__len__`). Arrays are batched here (`batch_size`, default 32),
shuffled per epoch when asked, split for `validation_split` and weighted by
`class_weight`.

>>> import numpy as np
>>> a = get_adapter(np.arange(10.0), np.arange(10.0), batch_size=4, shuffle=False)
>>> a.num_batches, [len(b[0]) for b in a.get_epoch()]
(3, [4, 4, 2])
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np

import ndflow as tf
from ndflow._src.core import nest
from ndflow._src.data.dataset_ops import DatasetV2
from ndflow._src.framework.tensor import Tensor, wrap


def unpack_x_y_sample_weight(data: Any) -> tuple:
    """`(x,)`, `(x, y)` or `(x, y, sample_weight)` -> the triple (missing parts None)."""
    if isinstance(data, list):
        data = tuple(data)
    if not isinstance(data, tuple):
        return data, None, None
    if len(data) == 1:
        return data[0], None, None
    if len(data) == 2:
        return data[0], data[1], None
    if len(data) == 3:
        return data
    raise ValueError(
        "Data is expected to be in format `x`, `(x,)`, `(x, y)`, or `(x, y, sample_weight)`, "
        f"found: {data}"
    )


def pack_x_y_sample_weight(x: Any, y: Any = None, sample_weight: Any = None) -> Any:
    if y is None:
        return (x,)
    if sample_weight is None:
        return (x, y)
    return (x, y, sample_weight)


def _to_array(x: Any) -> Any:
    if x is None:
        return None
    if isinstance(x, Tensor):
        return x.numpy()
    if hasattr(x, "numpy") and not isinstance(x, np.ndarray):
        return np.asarray(x.numpy())
    x = np.asarray(x)
    if x.dtype.kind in "USO":
        # Keras 3 refuses NumPy text (and object) arrays here; string tensors and
        # datasets of strings are the way to feed text.
        raise ValueError(f"Invalid dtype: {x.dtype.name}")
    return x


def _is_array_like(x: Any) -> bool:
    leaves = nest.flatten(x)
    return all(
        isinstance(v, (np.ndarray, Tensor, list, float, int, np.generic)) or v is None
        for v in leaves
    )


def _class_weight_to_sample_weight(y: np.ndarray, class_weight: dict) -> np.ndarray:
    if y.ndim > 1 and y.shape[-1] > 1:
        classes = np.argmax(y, axis=-1)
    else:
        classes = np.round(y.reshape(y.shape[0], -1)[:, 0]).astype(np.int64)
    missing = [c for c in np.unique(classes) if int(c) not in class_weight]
    if missing:
        raise ValueError(
            f"Expected `class_weight` to be a dict with keys from 0 to one less than the "
            f"number of classes, found {class_weight}"
        )
    return np.asarray([class_weight[int(c)] for c in classes], dtype=np.float32)


class ArrayAdapter:
    """Batches of in-memory arrays (any nested structure of them)."""

    def __init__(
        self,
        x: Any,
        y: Any = None,
        sample_weight: Any = None,
        batch_size: int | None = None,
        shuffle: Any = False,
        class_weight: dict | None = None,
        steps: int | None = None,
    ) -> None:
        x = nest.map_structure(_to_array, x)
        y = nest.map_structure(_to_array, y) if y is not None else None
        if class_weight is not None:
            if y is None or len(nest.flatten(y)) != 1:
                raise ValueError(
                    "`class_weight` is only supported for Models with a single output."
                )
            cw = _class_weight_to_sample_weight(nest.flatten(y)[0], class_weight)
            sample_weight = cw if sample_weight is None else cw * _to_array(sample_weight)
        if sample_weight is not None:
            sample_weight = nest.map_structure(_to_array, sample_weight)
        self.data = (x, y, sample_weight)
        sizes = {}
        for label, part in (("x", x), ("y", y), ("sample_weight", sample_weight)):
            if part is None:
                continue
            sizes[label] = [int(v.shape[0]) for v in nest.flatten(part) if v is not None]
        all_sizes = {s for v in sizes.values() for s in v}
        if len(all_sizes) > 1:
            msg = "Data cardinality is ambiguous. Make sure all arrays contain the same number of samples."
            for label, v in sizes.items():
                msg += f"'{label}' sizes: {', '.join(str(s) for s in v)}\n"
            raise ValueError(msg)
        self.num_samples = all_sizes.pop() if all_sizes else 0
        self.batch_size = batch_size or 32
        self.shuffle = shuffle
        self.steps = steps
        self._data_batches = int(math.ceil(self.num_samples / self.batch_size))
        self.num_batches = steps if steps is not None else self._data_batches
        self._carry: list | None = None  # [order, next batch] kept across epochs (steps)

    # Batches of arrays keep a fixed structure, so fit may call the traced step's
    # concrete function directly (trainer._StepRunner).
    fixed_structure = True

    def reset(self) -> None:
        """Forgets the position kept across epochs (evaluate starts from the top)."""
        self._carry = None

    def _order(self) -> np.ndarray | None:
        n, bs = self.num_samples, self.batch_size
        if self.shuffle == "batch":
            order = np.arange(n)
            starts = np.random.permutation(int(math.ceil(n / bs)))
            return np.concatenate([order[s * bs : (s + 1) * bs] for s in starts]) if n else order
        return np.random.permutation(n) if self.shuffle else None

    def get_epoch(self) -> Any:
        n, bs = self.num_samples, self.batch_size
        x, y, sw = self.data
        # The leaves are flattened once per epoch; each batch is one `take` of the shuffled
        # indices (cheaper per batch than fancy indexing, and cheaper in total than
        # permuting the whole arrays first) or a contiguous slice (a read-only view).
        structure = pack_x_y_sample_weight(x, y, sw)
        leaves = nest.flatten(structure)

        def batch(order: np.ndarray | None, b: int) -> Any:
            start, stop = b * bs, min(b * bs + bs, n)
            if order is None:
                parts = [_view(v, start, stop) for v in leaves]
            else:
                idx = order[start:stop]
                parts = [_gather(v, idx) for v in leaves]
            return nest.pack_sequence_as(structure, parts)

        if self.steps is None:
            order = self._order()
            for b in range(self._data_batches):
                yield batch(order, b)
            return
        # With `steps`, as Keras' epoch iterator: the position carries over to the next
        # epoch; running out of batches ends the epoch early with a warning, and the data
        # starts again (reshuffled) in the next one.
        if self._carry is None:
            self._carry = [self._order(), 0]
        carry = self._carry
        for _ in range(self.steps):
            b = carry[1]
            if b >= self._data_batches:
                interrupted_warning()
                break
            carry[1] = b + 1
            yield batch(carry[0], b)
        if carry[1] >= self._data_batches:
            self._carry = None


def interrupted_warning() -> None:
    """Keras' warning for an epoch that ran out of data before `steps`."""
    warnings.warn(
        "Your input ran out of data; interrupting training. Make sure that your dataset "
        "or generator can generate at least `steps_per_epoch * epochs` batches. You may "
        "need to use the `.repeat()` function when building your dataset.",
        stacklevel=3,
    )


def _as_batch_tensor(arr: np.ndarray) -> Tensor:
    if arr.dtype.kind in "OUS":
        return tf.convert_to_tensor(arr)
    return wrap(arr)


def _view(v: Any, start: int, stop: int) -> Any:
    if v is None:
        return None
    part = v[start:stop]
    if part.base is not None and part.flags.writeable:
        part = part.view()
        part.flags.writeable = False  # tensors are immutable
    return _as_batch_tensor(part)


def _gather(v: Any, idx: np.ndarray) -> Any:
    if v is None:
        return None
    return _as_batch_tensor(v.take(idx, axis=0))


class IterableAdapter:
    """Batches from a tf.data.Dataset, a generator or a PyDataset-like sequence.

    With `steps`, one iterator is kept across epochs (see `get_epoch`), as in Keras'
    epoch iterator; without it each epoch runs to exhaustion.
    """

    def __init__(self, source: Any, steps: int | None = None, class_weight: Any = None) -> None:
        self.source = source
        self.steps = steps
        self.class_weight = class_weight
        self._iterator = None
        self._seen = 0  # batches taken from the current iterator (with `steps`)
        self.num_batches = steps
        # A dataset's elements share one structure (its element_spec); generators' may not.
        self.fixed_structure = isinstance(source, DatasetV2) and class_weight is None
        if steps is None:
            n = self._cardinality()
            self.num_batches = n

    def _cardinality(self) -> int | None:
        src = self.source
        if isinstance(src, DatasetV2):
            n = int(src.cardinality().numpy())
            return n if n >= 0 else None
        if hasattr(src, "__getitem__") and hasattr(src, "__len__"):
            return len(src)
        return None

    def _fresh(self) -> Any:
        src = self.source
        if (
            isinstance(src, DatasetV2)
            or hasattr(src, "__iter__")
            and not hasattr(src, "__getitem__")
        ):
            return iter(src)
        if hasattr(src, "__getitem__") and hasattr(src, "__len__"):
            return (src[i] for i in range(len(src)))
        return iter(src)

    def _is_one_shot(self) -> bool:
        src = self.source
        return hasattr(src, "__next__")

    def reset(self) -> None:
        """Starts the next epoch from a fresh iterator (evaluate starts from the top)."""
        self._iterator = None

    def get_epoch(self) -> Any:
        if self.steps is None:
            it = self._iterator if self._is_one_shot() and self._iterator else self._fresh()
            self._iterator = it
            for item in it:
                yield self._standardize(item)
            if hasattr(self.source, "on_epoch_end"):
                self.source.on_epoch_end()
            return
        # With `steps`, as Keras' epoch iterator: the iterator carries over to the next
        # epoch; running out ends the epoch early with a warning, and the next epoch starts
        # a fresh iterator (a one-shot generator stays exhausted).
        known = self._cardinality()
        if self._iterator is None:
            self._iterator = self._fresh()
            self._seen = 0
        for _ in range(self.steps):
            if known is not None and self._seen >= known:
                interrupted_warning()
                break
            try:
                item = next(self._iterator)
            except StopIteration:
                interrupted_warning()
                self._seen = known if known is not None else 0
                if known is None:
                    self._iterator = None
                break
            self._seen += 1
            yield self._standardize(item)
        if known is not None and self._seen >= known:
            self._iterator = None

    def _standardize(self, item: Any) -> tuple:
        if self.class_weight is None:
            # The usual dataset element, `(x, y)` of tensors, is already a batch.
            if type(item) is tuple and 0 < len(item) <= 3:
                if all(type(v) is Tensor for v in item):
                    return item
            elif type(item) is Tensor:
                return (item,)
        x, y, sw = unpack_x_y_sample_weight(item)

        def conv(v: Any) -> Any:
            return v if v is None or isinstance(v, Tensor) else tf.convert_to_tensor(np.asarray(v))

        x = nest.map_structure(conv, x)
        y = nest.map_structure(conv, y) if y is not None else None
        sw = nest.map_structure(conv, sw) if sw is not None else None
        if self.class_weight is not None and y is not None:
            cw = _class_weight_to_sample_weight(_to_array(nest.flatten(y)[0]), self.class_weight)
            sw = tf.convert_to_tensor(cw) if sw is None else sw * cw
        return pack_x_y_sample_weight(x, y, sw)


def _plain_list_to_array(x: Any) -> Any:
    """A Python list of numbers (or of lists of numbers) is one array, not a structure."""
    if (
        isinstance(x, list)
        and x
        and all(isinstance(e, (int, float, bool, str, bytes, list, np.generic)) for e in x)
    ):
        leaves = nest.flatten(x)
        if all(isinstance(e, (int, float, bool, str, bytes, np.generic)) for e in leaves):
            return np.asarray(x)
    return x


def get_adapter(
    x: Any,
    y: Any = None,
    sample_weight: Any = None,
    batch_size: int | None = None,
    shuffle: Any = False,
    class_weight: dict | None = None,
    steps: int | None = None,
) -> Any:
    """The adapter for `x` (see the module docstring)."""
    x = _plain_list_to_array(x)
    y = _plain_list_to_array(y)
    if isinstance(x, DatasetV2) or (
        not _is_array_like(x)
        and (hasattr(x, "__iter__") or hasattr(x, "__getitem__"))
        and not isinstance(x, dict)
    ):
        if y is not None:
            raise ValueError(
                "When providing `x` as a tf.data.Dataset, a generator or a PyDataset, `y` "
                f"should not be passed. Instead, the targets should be included as part of "
                f"the dataset `x`. Received: y={y}"
            )
        if sample_weight is not None:
            raise ValueError(
                "`sample_weight` argument is not supported when using a dataset, a "
                "generator or a PyDataset as input."
            )
        if batch_size is not None and isinstance(x, DatasetV2):
            raise ValueError(
                "The `batch_size` argument must not be specified for the given input "
                f"type. Received input: x={x}, batch_size={batch_size}"
            )
        return IterableAdapter(x, steps=steps, class_weight=class_weight)
    return ArrayAdapter(
        x,
        y,
        sample_weight=sample_weight,
        batch_size=batch_size,
        shuffle=shuffle,
        class_weight=class_weight,
        steps=steps,
    )


def train_validation_split(arrays: tuple, validation_split: float) -> tuple:
    """Splits each array of `arrays`: the last `validation_split` fraction is held out."""
    flat = [v for v in nest.flatten(list(arrays)) if v is not None]
    for v in flat:
        if not isinstance(v, (np.ndarray, Tensor, list)):
            raise ValueError(
                "`validation_split` is only supported for Tensors or NumPy arrays, found "
                f"following types in the input: {[type(t) for t in flat]}"
            )
    arrays = nest.map_structure(lambda v: None if v is None else _to_array(v), list(arrays))
    sizes = {int(v.shape[0]) for v in nest.flatten(arrays) if v is not None}
    n = sizes.pop()
    split_at = int(math.floor(n * (1.0 - validation_split)))
    if split_at == 0 or split_at == n:
        raise ValueError(
            f"Training data contains {n} samples, which is not sufficient to split it into "
            f"a validation and training set as specified by `validation_split={validation_split}`. "
            "Either provide more data, or a different value for the `validation_split` argument."
        )

    def part(lo: int, hi: int | None) -> Any:
        return nest.map_structure(lambda v: None if v is None else v[lo:hi], arrays)

    return tuple(part(0, split_at)), tuple(part(split_at, None))
