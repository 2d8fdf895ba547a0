"""TensorFlow's dtypes, each backed by a NumPy dtype.

`tf.string` is stored as NumPy `object` arrays of `bytes`; `resource` and `variant` are
handles (a Variable, a dataset) and have no NumPy equivalent.
"""

from __future__ import annotations

import builtins
from typing import Any

import numpy as np

try:  # bfloat16 exists only where ml_dtypes is installed (TensorFlow brings it).
    import ml_dtypes as _ml_dtypes

    _BFLOAT16_NP = np.dtype(_ml_dtypes.bfloat16)
except ImportError:  # pragma: no cover - depends on the environment
    _ml_dtypes = None
    _BFLOAT16_NP = None


class DType:
    """A TensorFlow element type such as `tf.float32`.

    >>> import ndflow as tf
    >>> tf.float32.is_floating, tf.int32.max
    (True, 2147483647)
    """

    __slots__ = ("_name", "_np", "_enum")

    def __init__(self, name: str, np_dtype: Any, enum: int) -> None:
        self._name = name
        self._np = np_dtype
        self._enum = enum

    @property
    def name(self) -> str:
        return self._name

    @property
    def as_numpy_dtype(self) -> type:
        if self._np is None:
            return object
        return self._np.type

    @property
    def as_datatype_enum(self) -> int:
        return self._enum

    @property
    def base_dtype(self) -> DType:
        return self

    @property
    def real_dtype(self) -> DType:
        if self is complex64:
            return float32
        if self is complex128:
            return float64
        return self

    @property
    def is_numpy_compatible(self) -> bool:
        return self._name not in ("resource", "variant")

    @property
    def is_floating(self) -> bool:
        return self._name in ("float16", "float32", "float64", "bfloat16")

    @property
    def is_integer(self) -> bool:
        return self._np is not None and self._np.kind in "iu"

    @property
    def is_unsigned(self) -> bool:
        return self._np is not None and self._np.kind == "u"

    @property
    def is_complex(self) -> bool:
        return self._np is not None and self._np.kind == "c"

    @property
    def is_bool(self) -> bool:
        return self._name == "bool"

    @property
    def is_quantized(self) -> bool:
        return False

    @property
    def size(self) -> int:
        if self._np is None or self._name == "string":
            return 0  # TensorFlow's size for variable-length and handle types
        return self._np.itemsize

    @property
    def min(self):
        if self.is_floating:
            return (
                self._np.type(np.finfo(self._np).min) if self is not bfloat16 else _bf16_info().min
            )
        if self.is_integer:
            return np.iinfo(self._np).min
        if self.is_bool:
            return False
        raise TypeError(f"Cannot find minimum value of {self}.")

    @property
    def max(self):
        if self.is_floating:
            return (
                self._np.type(np.finfo(self._np).max) if self is not bfloat16 else _bf16_info().max
            )
        if self.is_integer:
            return np.iinfo(self._np).max
        if self.is_bool:
            return True
        raise TypeError(f"Cannot find maximum value of {self}.")

    @property
    def limits(self) -> tuple:
        return (self.min, self.max)

    def is_compatible_with(self, other: Any) -> bool:
        return self == other

    def __eq__(self, other: Any) -> bool:
        if other is self:
            return True
        if other is None or type(other) is DType:  # DTypes are singletons
            return False
        try:
            return as_dtype(other) is self
        except TypeError:
            return False

    def __ne__(self, other: Any) -> bool:
        return not self.__eq__(other)

    def __hash__(self) -> int:
        return self._enum

    def __repr__(self) -> str:
        return f"tf.{self._name}"

    def __str__(self) -> str:
        return f"<dtype: '{self._name}'>"

    def __reduce__(self):
        return as_dtype, (self._name,)


def _bf16_info():
    return _ml_dtypes.finfo(_ml_dtypes.bfloat16)


float16 = DType("float16", np.dtype(np.float16), 19)
half = float16
float32 = DType("float32", np.dtype(np.float32), 1)
float64 = DType("float64", np.dtype(np.float64), 2)
double = float64
int8 = DType("int8", np.dtype(np.int8), 6)
int16 = DType("int16", np.dtype(np.int16), 5)
int32 = DType("int32", np.dtype(np.int32), 3)
int64 = DType("int64", np.dtype(np.int64), 9)
uint8 = DType("uint8", np.dtype(np.uint8), 4)
uint16 = DType("uint16", np.dtype(np.uint16), 17)
uint32 = DType("uint32", np.dtype(np.uint32), 22)
uint64 = DType("uint64", np.dtype(np.uint64), 23)
bool = DType("bool", np.dtype(np.bool_), 10)  # noqa: A001 - TensorFlow's name
string = DType("string", np.dtype(object), 7)
complex64 = DType("complex64", np.dtype(np.complex64), 8)
complex128 = DType("complex128", np.dtype(np.complex128), 18)
resource = DType("resource", None, 20)
variant = DType("variant", None, 21)
bfloat16 = DType("bfloat16", _BFLOAT16_NP, 14) if _BFLOAT16_NP is not None else None

_ALL = [
    d
    for d in (
        float16,
        float32,
        float64,
        int8,
        int16,
        int32,
        int64,
        uint8,
        uint16,
        uint32,
        uint64,
        bool,
        string,
        complex64,
        complex128,
        resource,
        variant,
        bfloat16,
    )
    if d is not None
]

_BY_NAME: dict[str, DType] = {d.name: d for d in _ALL}
_BY_NAME.update({"half": float16, "float": float32, "double": float64})
_BY_ENUM: dict[int, DType] = {d.as_datatype_enum: d for d in _ALL}
# NumPy dtype -> DType. Bytes and unicode arrays are TensorFlow strings.
_BY_NP: dict[np.dtype, DType] = {d._np: d for d in _ALL if d._np is not None}

# Python types TensorFlow accepts; `int` is deliberately absent (TensorFlow rejects it).
_PY_TYPES = {
    float: float32,
    builtins.bool: bool,
    complex: complex128,
    object: string,
    str: string,
    bytes: string,
}


def from_numpy(np_dtype: np.dtype) -> DType:
    """The DType of a NumPy array's dtype; `S`/`U`/`O` arrays are `tf.string`."""
    d = _BY_NP.get(np_dtype)
    if d is not None:
        return d
    if np_dtype.kind in "SUO":
        return string
    raise TypeError(
        f"Cannot convert the argument `type_value`: {np_dtype!r} to a TensorFlow DType."
    )


def as_dtype(type_value: Any) -> DType:
    """Converts a DType, NumPy dtype or type, name string or enum to a `DType`."""
    if isinstance(type_value, DType):
        return type_value
    if isinstance(type_value, str):
        d = _BY_NAME.get(type_value)
        if d is not None:
            return d
    elif isinstance(type_value, int) and not isinstance(type_value, builtins.bool):
        d = _BY_ENUM.get(type_value)
        if d is not None:
            return d
    elif type_value is not int:
        d = _PY_TYPES.get(type_value)
        if d is not None:
            return d
        try:
            return from_numpy(np.dtype(type_value))
        except TypeError:
            pass
    raise TypeError(
        f"Cannot convert the argument `type_value`: {type_value!r} to a TensorFlow DType."
    )


QUANTIZED_DTYPES: frozenset = frozenset()
