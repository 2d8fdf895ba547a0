"""`tf.TensorSpec`: the shape and dtype of a tensor, for signatures and cache keys."""

from __future__ import annotations

from typing import Any

from ndflow._src.core import dtypes
from ndflow._src.core.tensor_shape import TensorShape
from ndflow._src.framework.tensor import Tensor


class TensorSpec:
    """Describes a tensor: `shape` (None dims allowed), `dtype` and an optional `name`.

    >>> import ndflow as tf
    >>> tf.TensorSpec([None, 3], tf.float32)
    TensorSpec(shape=(None, 3), dtype=tf.float32, name=None)
    """

    __slots__ = ("_shape", "_dtype", "_name")

    def __init__(self, shape: Any, dtype: Any = dtypes.float32, name: str | None = None) -> None:
        self._shape = TensorShape(shape)
        self._dtype = dtypes.as_dtype(dtype)
        self._name = name

    @classmethod
    def from_tensor(cls, tensor: Any, name: str | None = None) -> TensorSpec:
        return cls(tensor.shape, tensor.dtype, name)

    @classmethod
    def from_spec(cls, spec: TensorSpec, name: str | None = None) -> TensorSpec:
        return cls(spec.shape, spec.dtype, name if name is not None else spec.name)

    @property
    def shape(self) -> TensorShape:
        return self._shape

    @property
    def dtype(self) -> dtypes.DType:
        return self._dtype

    @property
    def name(self) -> str | None:
        return self._name

    def is_compatible_with(self, other: Any) -> bool:
        """True if `other` (a spec or tensor) has this dtype and a compatible shape."""
        if isinstance(other, (TensorSpec, Tensor)):
            return other.dtype is self._dtype and self._shape.is_compatible_with(other.shape)
        return False

    def is_subtype_of(self, other: TensorSpec) -> bool:
        """True if every tensor this spec describes also fits `other`."""
        if not isinstance(other, TensorSpec) or other.dtype is not self._dtype:
            return False
        o, s = other.shape._dims, self._shape._dims
        if o is None:
            return True
        if s is None or len(s) != len(o):
            return False
        return all(b is None or a == b for a, b in zip(s, o))

    def most_specific_common_supertype(self, others: list) -> TensorSpec | None:
        shape = self._shape
        for o in others:
            if not isinstance(o, TensorSpec) or o.dtype is not self._dtype:
                return None
            shape = _relax(shape, o.shape)
        return TensorSpec(shape, self._dtype, self._name)

    def __eq__(self, other: Any) -> bool:
        return (
            type(other) is type(self)
            and other._dtype is self._dtype
            and other._shape._dims == self._shape._dims
            and other._name == self._name
        )

    def __ne__(self, other: Any) -> bool:
        return not self == other

    def __hash__(self) -> int:
        return hash((self._shape._dims, self._dtype, self._name))

    def __repr__(self) -> str:
        return f"TensorSpec(shape={self._shape}, dtype={self._dtype!r}, name={self._name!r})"

    def __reduce__(self):
        return TensorSpec, (
            self._shape.as_list() if self._shape.rank is not None else None,
            self._dtype,
            self._name,
        )


def _relax(a: TensorShape, b: TensorShape) -> TensorShape:
    if a._dims is None or b._dims is None or len(a._dims) != len(b._dims):
        return TensorShape(None)
    return TensorShape([x if x == y else None for x, y in zip(a._dims, b._dims)])
