"""What every op family shares: operand conversion, dtype checks and shape-rule helpers.

Shape rules raise `InvalidArgumentError` worded like TensorFlow's eager errors; the graph
builder turns them into the `ValueError` TensorFlow raises while tracing.
"""

from __future__ import annotations

from typing import Any, Iterable, Sequence

import numpy as np

from ndflow._src.core import dtypes, errors
from ndflow._src.core.dtypes import DType
from ndflow._src.core.context import ctx
from ndflow._src.framework.constant import convert_to_tensor
from ndflow._src.framework.tensor import Tensor, VariableBase, wrap_with_dtype

Dims = tuple | None  # a static shape: a tuple of ints/None, or None for unknown rank

# TensorFlow's C++ names, used in its dtype error messages.
_CPP_NAMES = {"float32": "float", "float64": "double", "float16": "half"}


def cpp_name(dtype: DType) -> str:
    return _CPP_NAMES.get(dtype.name, dtype.name)


def invalid(op_type: str, message: str) -> errors.OpError:
    return errors.op_error(errors.InvalidArgumentError, op_type, message)


def dims_str(dims: Dims) -> str:
    return (
        "<unknown>"
        if dims is None
        else "[" + ",".join("?" if d is None else str(d) for d in dims) + "]"
    )


def to_tensor(x: Any, dtype: Any = None) -> Tensor:
    return x if type(x) is Tensor else convert_to_tensor(x, dtype=dtype)


# Checked by enum: DType's is_integer / is_bool are Python properties (hot path below).
_INT_OR_BOOL = frozenset(
    d._enum
    for d in vars(dtypes).values()
    if isinstance(d, dtypes.DType) and (d.is_integer or d.is_bool)
)


# Python ints and floats converted by _scalar_as, by (value, type, dtype enum): `0.01 * g`
# and `x ** 2` convert the same few numbers on every step. Tensors are immutable (the
# arrays are read-only too), so one converted tensor serves every use. Zero is left out
# (0.0 == -0.0 would share an entry) and NaN cannot be found again; the size is capped.
_SCALARS: dict = {}
_SCALARS_MAX = 4096


def _scalar_as(value: Any, dtype: DType) -> Tensor:
    """A Python scalar converted to `dtype`, the fast path of binary operators.

    >>> _scalar_as(2, dtypes.float32).numpy()
    np.float32(2.0)
    """
    key = (value, type(value), dtype._enum)
    t = _SCALARS.get(key)
    if t is not None:
        return t
    if type(value) is float and dtype._enum in _INT_OR_BOOL:
        raise TypeError(f"Cannot convert {value!r} to EagerTensor of dtype {dtype.name}")
    if dtype is dtypes.string:
        return convert_to_tensor(value, dtype=dtype)
    array = np.asarray(value, dtype._np)
    t = wrap_with_dtype(array, dtype)
    if value and value == value and (type(value) is float or type(value) is int):
        if len(_SCALARS) < _SCALARS_MAX:
            array.flags.writeable = False
            _SCALARS[key] = t
    return t


def binary_operands(x: Any, y: Any, op_type: str) -> tuple[Tensor, Tensor]:
    """Converts a binary op's operands as TensorFlow does: a non-tensor operand takes the
    dtype of the tensor one; two tensors of different dtypes are an error."""
    if not isinstance(x, Tensor):
        if isinstance(y, Tensor) or hasattr(y, "_as_tensor_hook"):
            if type(y) is not Tensor:  # to_tensor's own test, without the call
                y = to_tensor(y)
            x = (
                _scalar_as(x, y._dtype)
                if type(x) in (int, float)
                else convert_to_tensor(x, dtype=y._dtype)
            )
        else:
            x = convert_to_tensor(x)
    if not isinstance(y, Tensor):
        if type(y) in (int, float):
            y = _scalar_as(y, x._dtype)
        elif isinstance(y, VariableBase) and y.dtype is x._dtype:
            # Fast path for `t + v`: what Variable's registered conversion does for a
            # matching dtype, without the registry lookup and dtype parsing.
            y = y.value()
        else:
            y = convert_to_tensor(y, dtype=x._dtype)
    if x._dtype is not y._dtype:
        raise invalid(
            op_type,
            f"cannot compute {op_type} as input #1(zero-based) was expected to be a "
            f"{cpp_name(x._dtype)} tensor but is a {cpp_name(y._dtype)} tensor",
        )
    return x, y


def check_dtype(x: Tensor, allowed: Iterable[DType], op_type: str, index: int = 0) -> None:
    if x._dtype not in allowed:
        names = ", ".join(d.name for d in allowed)
        raise invalid(
            op_type,
            f"Value for attr 'T' of {x._dtype.name} is not in the list of allowed values: {names}",
        )


FLOATS = tuple(d for d in (dtypes.float16, dtypes.bfloat16, dtypes.float32, dtypes.float64) if d)
COMPLEX = (dtypes.complex64, dtypes.complex128)
INTS = (dtypes.int8, dtypes.int16, dtypes.int32, dtypes.int64)
UINTS = (dtypes.uint8, dtypes.uint16, dtypes.uint32, dtypes.uint64)
NUMERIC = FLOATS + COMPLEX + INTS + UINTS
REAL = FLOATS + INTS + UINTS


# ---------------------------------------------------------------------------- shapes


def dims_of(t: Tensor) -> Dims:
    """The static shape of a tensor as a tuple (None entries unknown), None if unknown rank."""
    return t.shape._dims


def broadcast_dims(a: Dims, b: Dims, op_type: str) -> Dims:
    """NumPy broadcasting of two static shapes; raises TensorFlow's error on a mismatch."""
    if a is None or b is None:
        return None
    n = max(len(a), len(b))
    a2 = (1,) * (n - len(a)) + tuple(a)
    b2 = (1,) * (n - len(b)) + tuple(b)
    out = []
    for da, db in zip(a2, b2):
        if da == 1:
            out.append(db)
        elif db == 1:
            out.append(da)
        elif da is None:
            out.append(db)
        elif db is None or da == db:
            out.append(da)
        elif ctx.graph is not None:
            # While tracing, TF's shape inference words it by the first unequal dimension
            # (the graph adds the node and the input shapes).
            raise invalid(op_type, f"Dimensions must be equal, but are {da} and {db}")
        else:
            raise invalid(op_type, f"Incompatible shapes: {dims_str(a)} vs. {dims_str(b)}")
    return tuple(out)


def broadcast_shape_rule(inputs: list, attrs: dict, op_type: str = "BinaryOp") -> list:
    return [(broadcast_dims(dims_of(inputs[0]), dims_of(inputs[1]), op_type), inputs[0].dtype)]


def binary_shape(op_type: str, out_dtype: DType | None = None):
    """The shape rule of a broadcasting binary op (output dtype = input dtype unless given)."""

    def rule(inputs: list, attrs: dict) -> list:
        dims = broadcast_dims(dims_of(inputs[0]), dims_of(inputs[1]), op_type)
        return [(dims, out_dtype or inputs[0].dtype)]

    return rule


def unary_shape(out_dtype: DType | None = None):
    def rule(inputs: list, attrs: dict) -> list:
        return [(dims_of(inputs[0]), out_dtype or inputs[0].dtype)]

    return rule


def normalize_axis(axis: int, rank: int, op_type: str) -> int:
    if not -rank <= axis < max(rank, 1):
        raise invalid(op_type, f"Expected axis in the range [{-rank}, {rank}), but got {axis}")
    return axis + rank if axis < 0 else axis


def reduced_dims(dims: Dims, axes: Sequence[int] | None, keepdims: bool, op_type: str) -> Dims:
    if dims is None:
        return None
    rank = len(dims)
    if axes is None:
        return (1,) * rank if keepdims else ()
    axes_n = {normalize_axis(a, rank, op_type) for a in axes}
    if keepdims:
        return tuple(1 if i in axes_n else d for i, d in enumerate(dims))
    return tuple(d for i, d in enumerate(dims) if i not in axes_n)
