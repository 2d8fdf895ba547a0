"""Bit-level ops: `tf.bitwise.*`, the `&`/`|`/`^`/`~` operators (logical for bool tensors,
bitwise for integers), `tf.saturate_cast` and `tf.bitcast`.

Integer-only and bool ops have no gradient, as in TensorFlow.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ndflow._src.core import dtypes
from ndflow._src.framework.execute import execute
from ndflow._src.framework.op_registry import register_op
from ndflow._src.framework.tensor import Tensor, register_operator, wrap_with_dtype
from ndflow._src.ops import op_util
from ndflow._src.ops.binary_ops import maximum, minimum
from ndflow._src.ops.math_ops import (
    INTEGER_TYPES,
    NUMERIC_TYPES,
    _public_name,
    cast,
    check_type,
    logical_and,
    logical_not,
    logical_or,
    logical_xor,
)
from ndflow._src.ops.op_util import binary_operands, binary_shape, dims_of, to_tensor, unary_shape

# ---------------------------------------------------------------------------- tf.bitwise


def _bitwise(op_type: str, kernel, doc: str):
    register_op(op_type, kernel, binary_shape(op_type))

    def fn(x: Any, y: Any, name: str | None = None) -> Tensor:
        x, y = binary_operands(x, y, op_type)
        check_type(x, INTEGER_TYPES, op_type)
        return execute(op_type, (x, y))

    fn.__doc__ = doc
    fn.__name__ = fn.__qualname__ = _public_name(doc)
    return fn


def _shift_kernel(np_fn):
    def kernel(x, y):
        # TensorFlow clamps the shift amount to [0, bits - 1] instead of leaving it undefined.
        bits = x.dtype.itemsize * 8
        return np_fn(x, np.clip(y, 0, bits - 1).astype(x.dtype, copy=False))

    return kernel


bitwise_and = _bitwise("BitwiseAnd", np.bitwise_and, "`tf.bitwise.bitwise_and`: x & y.")
bitwise_or = _bitwise("BitwiseOr", np.bitwise_or, "`tf.bitwise.bitwise_or`: x | y.")
bitwise_xor = _bitwise("BitwiseXor", np.bitwise_xor, "`tf.bitwise.bitwise_xor`: x ^ y.")
left_shift = _bitwise("LeftShift", _shift_kernel(np.left_shift), "`tf.bitwise.left_shift`: x << y.")
right_shift = _bitwise(
    "RightShift",
    _shift_kernel(np.right_shift),
    "`tf.bitwise.right_shift`: x >> y (arithmetic for signed types).",
)
register_op("Invert", np.invert, unary_shape())


def invert(x: Any, name: str | None = None) -> Tensor:
    """`tf.bitwise.invert`: flips every bit of an integer tensor (~x).

    >>> import ndflow as tf
    >>> tf.bitwise.invert(tf.constant([5]))
    <tf.Tensor: shape=(1,), dtype=int32, numpy=array([-6], dtype=int32)>
    """
    x = to_tensor(x)
    check_type(x, INTEGER_TYPES, "Invert")
    return execute("Invert", (x,))


# ---------------------------------------------------------------------------- operators


def _logical_or_bitwise(logical_fn, bitwise_fn, op_names: tuple, reflected: bool = False):
    def method(self: Tensor, other: Any) -> Tensor:
        x, y = (other, self) if reflected else (self, other)
        name = op_names[0] if self._dtype is dtypes.bool else op_names[1]
        x, y = binary_operands(x, y, name)
        if x._dtype is dtypes.bool:
            return logical_fn(x, y)
        return bitwise_fn(x, y)

    return method


for _op, _logical, _bitwise_fn, _names in (
    ("and", logical_and, bitwise_and, ("LogicalAnd", "BitwiseAnd")),
    ("or", logical_or, bitwise_or, ("LogicalOr", "BitwiseOr")),
    ("xor", logical_xor, bitwise_xor, ("LogicalAnd", "BitwiseXor")),
):
    register_operator(f"__{_op}__", _logical_or_bitwise(_logical, _bitwise_fn, _names))
    register_operator(
        f"__r{_op}__", _logical_or_bitwise(_logical, _bitwise_fn, _names, reflected=True)
    )
del _op, _logical, _bitwise_fn, _names


def _invert_operator(self: Tensor) -> Tensor:
    return logical_not(self) if self._dtype is dtypes.bool else invert(self)


register_operator("__invert__", _invert_operator)


def saturate_cast(value: Any, dtype: Any, name: str | None = None) -> Tensor:
    """`tf.saturate_cast`: casts, clamping to the target dtype's range instead of wrapping.

    >>> import ndflow as tf
    >>> tf.saturate_cast(tf.constant([300.0, -5.0]), tf.uint8)
    <tf.Tensor: shape=(2,), dtype=uint8, numpy=array([255,   0], dtype=uint8)>
    """
    x = to_tensor(value)
    dtype = dtypes.as_dtype(dtype)
    src = x._dtype
    if src.is_complex and not dtype.is_complex:
        x = cast(x, src.real_dtype)
        src = x._dtype
    if (src.is_floating or src.is_integer) and (dtype.is_floating or dtype.is_integer):
        np_src = src._np
        lo = np.maximum(np.asarray(src.min, np.float64), np.float64(dtype.min))
        hi = np.minimum(np.asarray(src.max, np.float64), np.float64(dtype.max))
        lo_c, hi_c = np.asarray(lo).astype(np_src), np.asarray(hi).astype(np_src)
        # A limit that rounds past the target's range in the source type is nudged inside
        # it, so the cast never wraps (float32(2**31 - 1) == 2**31 would).
        if src.is_floating:
            if float(lo_c) < float(dtype.min):
                lo_c = np.nextafter(lo_c, np.asarray(np.inf, np_src))
            if float(hi_c) > float(dtype.max):
                hi_c = np.nextafter(hi_c, np.asarray(-np.inf, np_src))
        needs_lo = float(lo_c) > float(src.min)
        needs_hi = float(hi_c) < float(src.max)
        if needs_hi:
            x = minimum(x, wrap_with_dtype(np.asarray(hi_c, np_src), src))
        if needs_lo:
            x = maximum(x, wrap_with_dtype(np.asarray(lo_c, np_src), src))
    return cast(x, dtype)


def _bitcast_kernel(x, type):  # noqa: A002 - TensorFlow's attr name
    out = type._np
    a = np.ascontiguousarray(x)
    if a.dtype.itemsize == out.itemsize:
        return a.view(out)
    if a.dtype.itemsize > out.itemsize:
        ratio = a.dtype.itemsize // out.itemsize
        return a.reshape(a.shape + (1,)).view(out).reshape(a.shape + (ratio,))
    ratio = out.itemsize // a.dtype.itemsize
    if a.ndim == 0 or a.shape[-1] != ratio:
        raise ValueError("bitcast shape")
    return a.view(out).reshape(a.shape[:-1])


def _bitcast_shape(inputs, attrs):
    x = inputs[0]
    src, dst = x.dtype, attrs["type"]
    dims = dims_of(x)
    if src.size == dst.size or dims is None:
        return [(dims if src.size == dst.size else None, dst)]
    if src.size > dst.size:
        return [(dims + (src.size // dst.size,), dst)]
    ratio = dst.size // src.size
    if not dims or dims[-1] not in (ratio, None):
        raise op_util.invalid(
            "Bitcast",
            f"Cannot bitcast from {src._enum} to {dst._enum}: shape {op_util.dims_str(dims)}",
        )
    return [(dims[:-1], dst)]


register_op("Bitcast", _bitcast_kernel, _bitcast_shape)

_BITCASTABLE = NUMERIC_TYPES


def bitcast(input: Any, type: Any, name: str | None = None) -> Tensor:  # noqa: A002
    """`tf.bitcast`: reinterprets the bytes of `input` as `type` without copying values.

    A wider input type adds a last dimension; a narrower one consumes the last dimension,
    which must match the size ratio.

    >>> import ndflow as tf
    >>> tf.bitcast(tf.constant([1.0]), tf.int32)
    <tf.Tensor: shape=(1,), dtype=int32, numpy=array([1065353216], dtype=int32)>
    """
    x = to_tensor(input)
    dst = dtypes.as_dtype(type)
    check_type(x, _BITCASTABLE, "Bitcast")
    if dst not in _BITCASTABLE:
        raise op_util.invalid(
            "Bitcast",
            f"Value for attr 'type' of {op_util.cpp_name(dst)} is not in the list of allowed "
            f"values",
        )
    return execute("Bitcast", (x,), {"type": dst})
