"""A minimal `tf.RaggedTensor`: rows of different lengths, as `values` + `row_splits`.

Row `i` of a RaggedTensor is `values[row_splits[i]:row_splits[i + 1]]`; `values` is a
Tensor or, for several ragged dimensions, another RaggedTensor. This is what the string
ops return (`tf.strings.split` of a vector, `unicode_decode`, ...). It holds plain
Tensors, so it also works while tracing; `to_list`, `numpy` and printing need eager ones.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ndflow._src.core import dtypes
from ndflow._src.core.tensor_shape import TensorShape
from ndflow._src.framework.constant import convert_to_tensor
from ndflow._src.framework.tensor import Tensor, wrap, wrap_with_dtype


def _tensor_value(t: Tensor, what: str) -> np.ndarray:
    value = t._value
    if value is None:
        raise ValueError(f"RaggedTensor.{what} needs eager values, not symbolic ones.")
    return value


def _leading_size(values: Any) -> int | None:
    """The number of rows in `values` (None when not known yet)."""
    if isinstance(values, RaggedTensor):
        splits = values._row_splits._value
        return None if splits is None else int(splits.shape[0]) - 1
    dims = values.shape._dims
    return None if not dims or dims[0] is None else int(dims[0])


class RaggedTensor:
    """Rows of different lengths.

    >>> import ndflow as tf
    >>> r = tf.RaggedTensor.from_row_splits([b"a", b"b", b"c"], [0, 2, 3])
    >>> r
    <tf.RaggedTensor [[b'a', b'b'], [b'c']]>
    >>> r.to_list()
    [[b'a', b'b'], [b'c']]
    """

    __slots__ = ("_values", "_row_splits", "_uniform_row_length")

    def __init__(
        self,
        values: Any,
        row_splits: Tensor,
        internal: bool = False,
        uniform_row_length: int | None = None,
    ) -> None:
        if not internal:
            raise ValueError(
                "RaggedTensor constructor is private; please use one of the factory methods "
                "instead (e.g., RaggedTensor.from_row_lengths())"
            )
        self._values = values
        self._row_splits = row_splits
        # Set when every row has this length (the dimension is uniform, not ragged).
        self._uniform_row_length = uniform_row_length

    # ------------------------------------------------------------------ factories
    @classmethod
    def from_row_splits(
        cls, values: Any, row_splits: Any, name: Any = None, validate: bool = True
    ) -> RaggedTensor:
        """Rows `values[row_splits[i]:row_splits[i + 1]]`."""
        if not isinstance(values, RaggedTensor):
            values = convert_to_tensor(values)
        splits = (
            row_splits
            if isinstance(row_splits, Tensor)
            else convert_to_tensor(row_splits, dtypes.int64)
        )
        if validate and splits._value is not None:
            s = splits._value
            n_values = _leading_size(values)
            if (
                s.ndim != 1
                or s.size == 0
                or s[0] != 0
                or np.any(np.diff(s) < 0)
                or (n_values is not None and s[-1] != n_values)
            ):
                raise ValueError("Arguments to from_row_splits do not form a valid RaggedTensor")
        return cls(values, splits, internal=True)

    @classmethod
    def from_row_lengths(
        cls, values: Any, row_lengths: Any, name: Any = None, validate: bool = True
    ) -> RaggedTensor:
        """Rows of the given lengths, taken in order from `values`."""
        lengths = np.asarray(
            row_lengths.numpy() if isinstance(row_lengths, Tensor) else row_lengths
        )
        splits = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
        return cls.from_row_splits(values, splits, validate=validate)

    @classmethod
    def from_uniform_row_length(
        cls, values: Any, uniform_row_length: int, nrows: int | None = None, validate: bool = True
    ) -> RaggedTensor:
        """Rows of `uniform_row_length` values each: a uniform (not ragged) dimension."""
        length = int(uniform_row_length)
        if not isinstance(values, RaggedTensor):
            values = convert_to_tensor(values)
        if nrows is None:
            n_values = (
                values.nrows()._value if isinstance(values, RaggedTensor) else values.shape[0]
            )
            nrows = int(n_values) // length if length else 0
        splits = wrap(np.arange(int(nrows) + 1, dtype=np.int64) * length)
        return cls(values, splits, internal=True, uniform_row_length=length)

    @classmethod
    def from_nested_row_splits(
        cls, flat_values: Any, nested_row_splits: Any, name: Any = None, validate: bool = True
    ) -> RaggedTensor:
        """Several ragged dimensions; `nested_row_splits` is outermost first."""
        result = flat_values
        for splits in reversed(list(nested_row_splits)):
            result = cls.from_row_splits(result, splits, validate=validate)
        return result

    # ------------------------------------------------------------------ structure
    @property
    def values(self) -> Any:
        return self._values

    @property
    def row_splits(self) -> Tensor:
        return self._row_splits

    @property
    def flat_values(self) -> Tensor:
        v = self._values
        while isinstance(v, RaggedTensor):
            v = v._values
        return v

    @property
    def nested_row_splits(self) -> tuple:
        out = [self._row_splits]
        v = self._values
        while isinstance(v, RaggedTensor):
            out.append(v._row_splits)
            v = v._values
        return tuple(out)

    @property
    def ragged_rank(self) -> int:
        return len(self.nested_row_splits)

    @property
    def dtype(self) -> dtypes.DType:
        return self.flat_values.dtype

    @property
    def shape(self) -> TensorShape:
        splits = self._row_splits.shape._dims
        nrows = None if splits is None or splits[0] is None else splits[0] - 1
        inner = self._values.shape._dims
        row = self._uniform_row_length
        return TensorShape((nrows, row) + (tuple(inner[1:]) if inner else ()))

    @property
    def ndim(self) -> int:
        return len(self.shape._dims)

    def get_shape(self) -> TensorShape:
        return self.shape

    def nrows(self, out_type: Any = dtypes.int64, name: Any = None) -> Tensor:
        n = _tensor_value(self._row_splits, "nrows").shape[0] - 1
        return wrap_with_dtype(
            np.asarray(n, dtypes.as_dtype(out_type)._np), dtypes.as_dtype(out_type)
        )

    def row_lengths(self, axis: int = 1, name: Any = None) -> Tensor:
        return wrap(np.diff(_tensor_value(self._row_splits, "row_lengths")))

    def with_flat_values(self, new_values: Any) -> RaggedTensor:
        if isinstance(self._values, RaggedTensor):
            values = self._values.with_flat_values(new_values)
        else:
            values = convert_to_tensor(new_values)
        return RaggedTensor(values, self._row_splits, True, self._uniform_row_length)

    # ------------------------------------------------------------------ values
    def to_list(self) -> list:
        """The rows as nested Python lists."""
        splits = _tensor_value(self._row_splits, "to_list")
        if isinstance(self._values, RaggedTensor):
            inner = self._values.to_list()
        else:
            inner = _tensor_value(self._values, "to_list").tolist()
        return [inner[splits[i] : splits[i + 1]] for i in range(len(splits) - 1)]

    def numpy(self) -> np.ndarray:
        """The rows as NumPy: a regular array when all rows have one length, else a 1-D
        object array of row arrays (TensorFlow's convention)."""
        splits = _tensor_value(self._row_splits, "numpy")
        if isinstance(self._values, RaggedTensor):
            inner = self._values.numpy()
        else:
            inner = _tensor_value(self._values, "numpy")
        rows = [inner[splits[i] : splits[i + 1]] for i in range(len(splits) - 1)]
        if not rows:
            return np.zeros((0, 0) + inner.shape[1:], dtype=inner.dtype)
        if all(len(r) == len(rows[0]) for r in rows):
            return np.stack(rows)
        out = np.empty(len(rows), dtype=object)
        for i, r in enumerate(rows):
            out[i] = r
        return out

    def to_tensor(self, default_value: Any = None, name: Any = None, shape: Any = None) -> Tensor:
        """A dense Tensor, rows padded with `default_value` (zero / empty by default)."""
        rows = self.to_list()
        dtype = self.dtype
        if default_value is None:
            default_value = b"" if dtype is dtypes.string else 0
        depth = self.ragged_rank
        dims = [len(rows)]
        level = rows
        for _ in range(depth):
            width = max((len(r) for r in level), default=0)
            dims.append(width)
            level = [x for r in level for x in r]
        inner = list(_tensor_value(self.flat_values, "to_tensor").shape[1:])
        np_dtype = object if dtype is dtypes.string else dtype._np
        out = np.full(dims + inner, default_value, dtype=np_dtype)

        def fill(dst: np.ndarray, src: list, d: int) -> None:
            for i, r in enumerate(src):
                if d == depth:
                    dst[i][: len(r)] = r
                else:
                    fill(dst[i], r, d + 1)

        fill(out, rows, 1)
        return wrap_with_dtype(out, dtype)

    def __getitem__(self, key: Any) -> Any:
        splits = _tensor_value(self._row_splits, "__getitem__")
        n = len(splits) - 1
        if isinstance(key, Tensor):
            key = int(key)
        if isinstance(key, (int, np.integer)):
            i = int(key)
            if not -n <= i < n:
                raise IndexError(f"Index {i} is out of bounds for a RaggedTensor with {n} rows")
            i %= n
            return self._slice_values(int(splits[i]), int(splits[i + 1]))
        if isinstance(key, slice):
            rows = range(n)[key]
            if rows.step != 1:
                return _from_rows([self[i] for i in rows], self)
            start, stop = rows.start, max(rows.stop, rows.start)
            lo, hi = int(splits[start]), int(splits[stop]) if stop <= n else int(splits[-1])
            new_splits = splits[start : stop + 1] - lo
            return RaggedTensor(
                self._slice_values(lo, hi),
                wrap(new_splits.astype(np.int64)),
                internal=True,
                uniform_row_length=self._uniform_row_length,
            )
        raise TypeError(f"RaggedTensor indices must be integers or slices, got {key!r}")

    def _slice_values(self, lo: int, hi: int) -> Any:
        if isinstance(self._values, RaggedTensor):
            return self._values[lo:hi]
        value = _tensor_value(self._values, "__getitem__")
        return wrap_with_dtype(value[lo:hi], self._values.dtype)

    def __repr__(self) -> str:
        if self._row_splits._value is None or self.flat_values._value is None:
            return f"tf.RaggedTensor(values={self._values}, row_splits={self._row_splits})"
        # NumPy's printing with a comma separator at every nesting level, as TF prints.
        with np.printoptions(formatter={"all": _comma_text}):
            return f"<tf.RaggedTensor {_comma_text(self.numpy())}>"

    __str__ = __repr__


def _comma_text(x: Any) -> str:
    if isinstance(x, np.ndarray):
        # array2string prints an empty array as "[]" whatever its shape; lists do not.
        return np.array2string(x, separator=", ") if x.size else repr(x.tolist())
    return str(x)


def _from_rows(parts: list, like: RaggedTensor) -> Any:
    rows = [p.to_list() if isinstance(p, RaggedTensor) else p._value.tolist() for p in parts]
    if not rows:
        return like[0:0]
    return constant(rows, like.dtype, ragged_rank=like.ragged_rank)


def constant(
    pylist: Any, dtype: Any = None, ragged_rank: int | None = None, name: Any = None
) -> Any:
    """`tf.ragged.constant`: a RaggedTensor from nested Python lists of uneven lengths.

    >>> import ndflow as tf
    >>> from ndflow._src.ops.ragged import constant
    >>> constant([[1, 2], [3]]).row_splits.numpy().tolist()
    [0, 2, 3]
    """

    def depth(x: Any) -> int:
        d = 0
        while isinstance(x, (list, tuple)):
            if not x:
                return d + 1
            x = x[0]
            d += 1
        return d

    total = depth(pylist)
    if total <= 1:
        return convert_to_tensor(pylist, dtype)
    levels = []
    level = list(pylist)
    for _ in range(total - 1):
        splits = [0]
        flat = []
        for row in level:
            flat.extend(row)
            splits.append(len(flat))
        levels.append(np.asarray(splits, np.int64))
        level = flat
    flat_values = (
        convert_to_tensor(level, dtype)
        if level
        else convert_to_tensor(
            np.zeros((0,), np.float32 if dtype is None else dtypes.as_dtype(dtype)._np)
        )
    )
    return RaggedTensor.from_nested_row_splits(flat_values, [wrap(s) for s in levels])
