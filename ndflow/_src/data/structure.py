"""Element structures of tf.data: nested TensorSpecs outside, flat NumPy tuples inside.

A dataset element is a nest (tuples, namedtuples, dicts) of tensors. Inside the pipeline
an element travels as a flat tuple of NumPy arrays in `nest.flatten` order; it becomes a
nest of ndflow tensors only at the iterator's boundary (`to_tensors`). Python lists are
leaves here, converted to one tensor each, as `tf.data` does.
"""

from __future__ import annotations

import collections.abc
from typing import Any

import numpy as np

from ndflow._src.core import dtypes, nest
from ndflow._src.core.tensor_shape import TensorShape
from ndflow._src.framework.constant import convert_to_tensor
from ndflow._src.framework.tensor import Tensor, wrap

try:  # The graph helper's TensorSpec, once merged; the local class has the same interface.
    from ndflow._src.function.tensor_spec import TensorSpec  # type: ignore
except ImportError:  # pragma: no cover - depends on the merge state

    class TensorSpec:  # type: ignore[no-redef]
        """`tf.TensorSpec`: the shape, dtype and optional name of a tensor.

        >>> TensorSpec([None, 2], "float32")
        TensorSpec(shape=(None, 2), dtype=tf.float32, name=None)
        """

        __slots__ = ("_shape", "_dtype", "_name")

        def __init__(self, shape: Any, dtype: Any = dtypes.float32, name: str | None = None):
            self._shape = TensorShape(shape)
            self._dtype = dtypes.as_dtype(dtype)
            self._name = name

        @property
        def shape(self) -> TensorShape:
            return self._shape

        @property
        def dtype(self) -> dtypes.DType:
            return self._dtype

        @property
        def name(self) -> str | None:
            return self._name

        @classmethod
        def from_tensor(cls, tensor: Any, name: str | None = None) -> TensorSpec:
            t = convert_to_tensor(tensor)
            return cls(t.shape, t.dtype, name)

        @classmethod
        def from_spec(cls, spec: Any, name: str | None = None) -> TensorSpec:
            return cls(spec.shape, spec.dtype, name if name is not None else spec.name)

        def is_compatible_with(self, other: Any) -> bool:
            if not isinstance(other, TensorSpec):
                other = TensorSpec.from_tensor(other)
            return self._dtype == other.dtype and self._shape.is_compatible_with(other.shape)

        def most_specific_common_supertype(self, others: list) -> TensorSpec | None:
            shape = self._shape
            for o in others:
                if o.dtype != self._dtype:
                    return None
                shape = most_specific_shape(shape, o.shape)
            return TensorSpec(shape, self._dtype)

        def __eq__(self, other: Any) -> bool:
            return (
                isinstance(other, TensorSpec)
                and self._dtype == other.dtype
                and self._shape._dims == other.shape._dims
                and self._name == other.name
            )

        def __ne__(self, other: Any) -> bool:
            return not self == other

        def __hash__(self) -> int:
            return hash((self._shape._dims, self._dtype.name, self._name))

        def __repr__(self) -> str:
            return f"TensorSpec(shape={self._shape}, dtype={self._dtype!r}, name={self._name!r})"


class RaggedTensorSpec:
    """`tf.RaggedTensorSpec`: the shape, dtype, ragged rank and row-splits dtype of the
    `RaggedTensor` components `ragged_batch` makes.

    >>> RaggedTensorSpec([None, None], "int64", 1)
    RaggedTensorSpec(TensorShape([None, None]), tf.int64, 1, tf.int64)
    """

    __slots__ = ("_shape", "_dtype", "_ragged_rank", "_row_splits_dtype")

    def __init__(
        self,
        shape: Any = None,
        dtype: Any = dtypes.float32,
        ragged_rank: int | None = None,
        row_splits_dtype: Any = dtypes.int64,
    ) -> None:
        self._shape = TensorShape(shape)
        self._dtype = dtypes.as_dtype(dtype)
        rank = self._shape.rank
        self._ragged_rank = int(ragged_rank) if ragged_rank is not None else (rank or 2) - 1
        self._row_splits_dtype = dtypes.as_dtype(row_splits_dtype)

    @property
    def shape(self) -> TensorShape:
        return self._shape

    @property
    def dtype(self) -> dtypes.DType:
        return self._dtype

    @property
    def ragged_rank(self) -> int:
        return self._ragged_rank

    @property
    def row_splits_dtype(self) -> dtypes.DType:
        return self._row_splits_dtype

    def _key(self) -> tuple:
        return (self._shape._dims, self._dtype.name, self._ragged_rank, self._row_splits_dtype.name)

    def __eq__(self, other: Any) -> bool:
        return isinstance(other, RaggedTensorSpec) and self._key() == other._key()

    def __ne__(self, other: Any) -> bool:
        return not self == other

    def __hash__(self) -> int:
        return hash(self._key())

    def __repr__(self) -> str:
        dims = self._shape._dims
        shape = "None" if dims is None else "[" + ", ".join(str(d) for d in dims) + "]"
        return (
            f"RaggedTensorSpec(TensorShape({shape}), {self._dtype!r}, {self._ragged_rank}, "
            f"{self._row_splits_dtype!r})"
        )


def _is_structure(x: Any) -> bool:
    """Tuples, namedtuples and mappings are structure; lists are leaves (one tensor)."""
    return isinstance(x, (tuple, dict, collections.abc.Mapping))


def normalize(value: Any, what: str = "element", copy: bool = False) -> Any:
    """Converts every leaf of `value` to a NumPy array with TensorFlow's dtype inference.

    Lists become one array each; tuples and dicts keep their structure.
    """
    if isinstance(value, Tensor):
        return value._value
    if hasattr(value, "_iter"):  # a dataset component (window elements)
        return value
    if isinstance(value, np.ndarray):
        if value.dtype.kind in "US":
            return convert_to_tensor(value)._value
        # Datasets capture their inputs' values, as TF's do: later writes to the caller's
        # array must not change the elements.
        return np.array(value, copy=True) if copy and value.flags.writeable else value
    if _is_structure(value):
        if isinstance(value, (dict, collections.abc.Mapping)):
            return (
                type(value)((k, normalize(v, what, copy)) for k, v in value.items())
                if isinstance(value, dict)
                else {k: normalize(v, what, copy) for k, v in value.items()}
            )
        items = [normalize(v, what, copy) for v in value]
        if hasattr(type(value), "_fields"):
            return type(value)(*items)
        return tuple(items)
    if value is None:
        raise TypeError(f"Unsupported {what}: None. tf.data elements must be tensors.")
    if isinstance(value, list) and any(isinstance(v, (Tensor, np.ndarray)) for v in value):
        return _stack_list(value)
    if isinstance(value, (list, bytes, str)):
        strings = _string_array(value)
        if strings is not None:
            return strings
    return convert_to_tensor(value)._value


def _string_array(value: Any) -> np.ndarray | None:
    """Bytes/str (nested lists of them) as an object array of bytes, keeping trailing NUL
    bytes that a NumPy `S` array would drop. None for anything else."""
    flat: list = []
    shape: list = []

    def walk(v: Any, depth: int) -> bool:
        if isinstance(v, (bytes, str)):
            if depth != len(shape):
                return False
            flat.append(v.encode() if isinstance(v, str) else v)
            return True
        if not isinstance(v, list):
            return False
        if depth == len(shape):
            shape.append(len(v))
        elif depth > len(shape) or shape[depth] != len(v):
            return False
        return all(walk(x, depth + 1) for x in v)

    if not walk(value, 0) or (isinstance(value, list) and not flat):
        return None
    out = np.empty(len(flat), object)
    out[:] = flat
    return out.reshape(shape)


def _stack_list(value: list) -> np.ndarray:
    """A list of tensors/arrays becomes one stacked array (as tf.stack would make it)."""
    parts = [normalize(v) for v in value]
    dts = {p.dtype for p in parts}
    shapes = {p.shape for p in parts}
    if len(dts) != 1 or len(shapes) != 1:
        raise ValueError(
            "Can't convert a list of tensors with different dtypes or shapes to one tensor. "
            f"Received dtypes {sorted(str(d) for d in dts)} and shapes {sorted(shapes)}."
        )
    return np.stack(parts)


def flatten(structure: Any) -> list:
    return nest.flatten(structure)


def pack(structure: Any, flat: Any) -> Any:
    if not nest.is_nested(structure):
        return flat[0]
    return nest.pack_sequence_as(structure, list(flat))


def dtype_of(arr: np.ndarray) -> dtypes.DType:
    return dtypes.from_numpy(arr.dtype)


def spec_of_array(arr: np.ndarray, drop_leading: bool = False) -> TensorSpec:
    shape = arr.shape[1:] if drop_leading else arr.shape
    return TensorSpec(shape, dtype_of(arr))


def spec_from_element(element: Any) -> Any:
    """The nested TensorSpecs of a normalized element (a nest of arrays)."""
    return nest.map_structure(lambda a: TensorSpec(a.shape, dtype_of(a)), element)


def most_specific_shape(a: TensorShape, b: TensorShape) -> TensorShape:
    """The most specific shape compatible with both (unknown dims where they differ)."""
    if a._dims is None or b._dims is None or len(a._dims) != len(b._dims):
        return TensorShape(None)
    return TensorShape([x if x == y else None for x, y in zip(a._dims, b._dims)])


def to_tensors(structure: Any, flat: tuple) -> Any:
    """Wraps a flat tuple of arrays as ndflow tensors packed in `structure`."""
    tensors = [wrap_component(a) for a in flat]
    if not nest.is_nested(structure):
        return tensors[0]
    return nest.pack_sequence_as(structure, tensors)


def to_numpy(structure: Any, flat: tuple) -> Any:
    """As `as_numpy_iterator` returns: scalars as NumPy scalars, strings as bytes."""
    out = []
    for a in flat:
        if hasattr(a, "nested_row_splits"):  # a RaggedTensor (from ragged_batch)
            out.append(a.numpy())
            continue
        a = np.asarray(a)
        out.append(a[()] if a.ndim == 0 else a)
    if not nest.is_nested(structure):
        return out[0]
    return nest.pack_sequence_as(structure, out)


def flat_from_value(value: Any, flat_specs: list, structure: Any, what: str) -> tuple:
    """Converts a user function's result to a flat tuple of arrays (dtypes checked later)."""
    norm = normalize(value, what)
    flat = nest.flatten(norm)
    return tuple(flat)


def batched_spec(spec: TensorSpec, batch: int | None) -> TensorSpec:
    dims = spec.shape._dims
    return TensorSpec(None if dims is None else (batch,) + dims, spec.dtype)


def unbatched_spec(spec: TensorSpec) -> TensorSpec:
    dims = spec.shape._dims
    return TensorSpec(None if dims is None else dims[1:], spec.dtype)


def shape_str(shape: Any) -> str:
    """TensorFlow's `[2,3]` shape text used in kernel error messages."""
    return "[" + ",".join("?" if d is None else str(d) for d in shape) + "]"


def spec_to_json(spec: Any) -> Any:
    return nest.map_structure(
        lambda s: {
            "shape": None if s.shape._dims is None else list(s.shape._dims),
            "dtype": s.dtype.name,
        },
        spec,
    )


class DatasetSpec:
    """`tf.data.DatasetSpec`: the spec of a dataset-valued component (window elements)."""

    def __init__(self, element_spec: Any, dataset_shape: Any = ()) -> None:
        self._element_spec = element_spec
        self._dataset_shape = TensorShape(dataset_shape)

    @property
    def element_spec(self) -> Any:
        return self._element_spec

    @property
    def shape(self) -> TensorShape:
        return self._dataset_shape

    @property
    def dtype(self) -> dtypes.DType:
        return dtypes.variant

    def __eq__(self, other: Any) -> bool:
        return isinstance(other, DatasetSpec) and other._element_spec == self._element_spec

    def __hash__(self) -> int:
        return hash(repr(self))

    def __repr__(self) -> str:
        return f"DatasetSpec({self._element_spec!r}, TensorShape({self._dataset_shape._dims!r}))"


def wrap_component(a: Any) -> Any:
    """A tensor for an array; datasets (window components) pass through."""
    if isinstance(a, np.ndarray):
        return wrap(a)
    if hasattr(a, "_iter") or hasattr(a, "nested_row_splits"):  # datasets, RaggedTensors
        return a
    return wrap(np.asarray(a))


def make_packer(template: Any) -> Any:
    """A fast `flat list -> structure` function for `template` (a nest of specs).

    Same result as `nest.pack_sequence_as(template, flat)`, without re-walking the
    template for every element (the hot path of iteration).
    """
    if not nest.is_nested(template):
        return lambda flat: flat[0]
    counter = [0]

    def build(node: Any) -> Any:
        if isinstance(node, (dict, collections.abc.Mapping)):
            keys = sorted(node)
            subs = {k: build(node[k]) for k in keys}
            order = list(node)
            kind = type(node)
            if kind is dict:
                return lambda flat: {k: subs[k](flat) for k in order}
            return lambda flat: _rebuild_mapping(kind, order, subs, flat)
        if isinstance(node, tuple):
            subs_t = [build(c) for c in node]
            if hasattr(type(node), "_fields"):
                kind_t = type(node)
                return lambda flat: kind_t(*[s(flat) for s in subs_t])
            return lambda flat: tuple([s(flat) for s in subs_t])
        if isinstance(node, list):
            subs_l = [build(c) for c in node]
            return lambda flat: [s(flat) for s in subs_l]
        i = counter[0]
        counter[0] += 1
        return lambda flat: flat[i]

    return build(template)


def _rebuild_mapping(kind: type, order: list, subs: dict, flat: Any) -> Any:
    try:
        return kind((k, subs[k](flat)) for k in order)
    except TypeError:
        return {k: subs[k](flat) for k in order}


def is_symbolic(x: Any) -> bool:
    """True for a graph tensor (its value exists only when the graph runs): parsers
    that need concrete values then run as a py_function op."""
    return isinstance(x, Tensor) and type(x) is not Tensor
