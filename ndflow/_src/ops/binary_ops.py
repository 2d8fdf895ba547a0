"""Element-wise binary math beyond the four operations: maximum, minimum,
squared_difference, atan2, floor/truncating division and modulo, the no-nan divisions,
xlogy/xdivy, and the `//` and `%` operators.

Each op: kernel, shape rule and gradient side by side, then the public function.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ndflow._src.core import dtypes
from ndflow._src.framework.execute import execute
from ndflow._src.framework.op_registry import register_op
from ndflow._src.framework.tensor import Tensor, register_operator
from ndflow._src.ops import op_util
from ndflow._src.ops.math_ops import (
    _C,
    _F,
    FLOAT_COMPLEX,
    FLOAT_TYPES,
    REAL_TYPES,
    _binary,
    _binary_operator,
    _quiet,
    _skip,
    add,
    cast,
    check_type,
    divide_,
    greater_equal,
    holomorphic,
    less_equal,
    multiply,
    negative,
    not_equal,
    ones_like,
    square,
    subtract,
    truediv_operands,
    zeros_like,
)
from ndflow._src.ops.op_util import binary_operands, binary_shape


def _select(cond: Tensor, a: Tensor, b: Tensor) -> Tensor:
    return execute("SelectV2", (cond, a, b))


def _maximum_grad(op, g):
    # The gradient goes to x where x >= y (ties to x), as in TensorFlow.
    x, y = op.inputs
    mask = greater_equal(x, y)
    zeros = zeros_like(g)
    return _select(mask, g, zeros), _select(mask, zeros, g)


def _minimum_grad(op, g):
    x, y = op.inputs
    mask = less_equal(x, y)
    zeros = zeros_like(g)
    return _select(mask, g, zeros), _select(mask, zeros, g)


maximum = _binary(
    "Maximum",
    np.maximum,
    _maximum_grad,
    REAL_TYPES,
    "`tf.math.maximum`: the larger of x and y, element-wise (nan propagates).",
)
minimum = _binary(
    "Minimum",
    np.minimum,
    _minimum_grad,
    REAL_TYPES,
    "`tf.math.minimum`: the smaller of x and y, element-wise (nan propagates).",
)


def _squared_difference_grad(op, g):
    x, y = op.inputs
    gx = multiply(multiply(g, 2), subtract(x, y))
    return gx, None if _skip(op, 1) else negative(gx)


squared_difference = _binary(
    "SquaredDifference",
    lambda x, y: np.square(x - y),
    _squared_difference_grad,
    _F + (dtypes.int32, dtypes.int64) + _C,
    "`tf.math.squared_difference`: (x - y) ** 2, element-wise.",
)


def _atan2_grad(op, g):
    y, x = op.inputs
    scale = divide_(g, add(square(x), square(y)))
    return multiply(x, scale), negative(multiply(y, scale))


atan2 = _binary(
    "Atan2",
    _quiet(np.arctan2),
    _atan2_grad,
    FLOAT_TYPES,
    "`tf.math.atan2(y, x)`: the angle of the point (x, y), in [-pi, pi].",
)


def _check_int_divisor(x, y, op_type: str):
    if x.dtype.kind in "iu" and np.any(y == 0):
        raise op_util.invalid(op_type, "Integer division by zero")


def _floordiv_kernel(x, y):
    _check_int_divisor(x, y, "FloorDiv")
    with np.errstate(all="ignore"):
        if x.dtype.kind in "iu":
            return np.floor_divide(x, y)
        # floor(x / y), as TensorFlow computes it (np.floor_divide differs in edge cases).
        return np.floor(np.true_divide(x, y)).astype(x.dtype, copy=False)


def _floormod_kernel(x, y):
    _check_int_divisor(x, y, "FloorMod")
    with np.errstate(all="ignore"):
        return np.mod(x, y)


def _floormod_grad(op, g):
    x, y = op.inputs
    gy = None if _skip(op, 1) else multiply(g, negative(floordiv(x, y)))
    return g, gy


register_op("FloorDiv", _floordiv_kernel, binary_shape("FloorDiv"))  # no gradient, as in TF
register_op("FloorMod", _floormod_kernel, binary_shape("FloorMod"), _floormod_grad)


def floordiv(x: Any, y: Any, name: str | None = None) -> Tensor:
    """`tf.math.floordiv` (and `//`): floor(x / y); integer division by zero raises.

    >>> import ndflow as tf
    >>> tf.math.floordiv(tf.constant([-7, 7]), 2)
    <tf.Tensor: shape=(2,), dtype=int32, numpy=array([-4,  3], dtype=int32)>
    """
    x, y = binary_operands(x, y, "FloorDiv")
    check_type(x, REAL_TYPES, "FloorDiv")
    return execute("FloorDiv", (x, y))


def floormod(x: Any, y: Any, name: str | None = None) -> Tensor:
    """`tf.math.floormod` (`tf.math.mod`, `%`): the remainder with the sign of y.

    >>> import ndflow as tf
    >>> tf.math.floormod(tf.constant([-7, 7]), 2)
    <tf.Tensor: shape=(2,), dtype=int32, numpy=array([1, 1], dtype=int32)>
    """
    x, y = binary_operands(x, y, "FloorMod")
    check_type(x, REAL_TYPES, "FloorMod")
    return execute("FloorMod", (x, y))


mod = floormod


_F32 = np.dtype(np.float32)
_F64 = np.dtype(np.float64)
_F32_MAX = float(np.finfo(np.float32).max)


def _div_no_nan_kernel(x, y):
    # Scalars (Keras' metric results and loss means): Python float division, ~0.3 us
    # instead of ~3.5 us for errstate + ufuncs. Exact: a float64 quotient of float32
    # operands rounds to the correctly rounded float32 quotient; overflow takes the
    # general path.
    dt = x.dtype
    if x.ndim == 0 and y.ndim == 0 and (dt is _F32 or dt is _F64) and y.dtype is dt:
        b = float(y)
        if b == 0.0:
            return np.zeros((), dt)
        q = float(x) / b
        if dt is _F64 or not abs(q) > _F32_MAX:
            return np.array(q, dt)
    with np.errstate(all="ignore"):
        out = np.true_divide(x, y).astype(x.dtype, copy=False)
    return np.where(y == 0, np.zeros((), x.dtype), out)


def _div_no_nan_grad(op, g):
    x, y = op.inputs
    gx = None if _skip(op, 0) else divide_no_nan(g, y)
    gy = None
    if not _skip(op, 1):
        gy = multiply(g, divide_no_nan(divide_no_nan(negative(x), y), y))
    return gx, gy


register_op("DivNoNan", _div_no_nan_kernel, binary_shape("DivNoNan"), holomorphic(_div_no_nan_grad))


def divide_no_nan(x: Any, y: Any, name: str | None = None) -> Tensor:
    """`tf.math.divide_no_nan`: x / y, but 0 wherever y is 0 (integers divide as truediv).

    >>> import ndflow as tf
    >>> tf.math.divide_no_nan(tf.constant([1.0, 2.0]), tf.constant([0.0, 4.0]))
    <tf.Tensor: shape=(2,), dtype=float32, numpy=array([0. , 0.5], dtype=float32)>
    """
    x, y = truediv_operands(x, y, "tf.math.divide_no_nan")
    return execute("DivNoNan", (x, y))


for _name, _fn in (("floordiv", floordiv), ("mod", floormod)):
    register_operator(f"__{_name}__", _binary_operator(_fn))
    register_operator(f"__r{_name}__", _binary_operator(_fn, reflected=True))
del _name, _fn


# ---------------------------------------------------------------------------- truncating


def _truncatediv_kernel(x, y):
    _check_int_divisor(x, y, "TruncateDiv")
    with np.errstate(all="ignore"):
        if x.dtype.kind in "iu":
            q = np.floor_divide(x, y)
            # Round toward zero: floor division is one too low when signs differ and the
            # division is inexact.
            fix = (np.mod(x, y) != 0) & ((x < 0) != (y < 0))
            return (q + fix.astype(q.dtype)).astype(x.dtype, copy=False)
        return np.trunc(np.true_divide(x, y)).astype(x.dtype, copy=False)


def _truncatemod_kernel(x, y):
    _check_int_divisor(x, y, "TruncateMod")
    with np.errstate(all="ignore"):
        return np.fmod(x, y)


register_op("TruncateDiv", _truncatediv_kernel, binary_shape("TruncateDiv"))
register_op("TruncateMod", _truncatemod_kernel, binary_shape("TruncateMod"))
_TRUNCATEMOD_TYPES = _F + (dtypes.int32, dtypes.int64)


def truncatediv(x: Any, y: Any, name: str | None = None) -> Tensor:
    """`tf.truncatediv`: x / y rounded toward zero (C-style integer division).

    >>> import ndflow as tf
    >>> tf.truncatediv(tf.constant([-7, 7]), 2)
    <tf.Tensor: shape=(2,), dtype=int32, numpy=array([-3,  3], dtype=int32)>
    """
    x, y = binary_operands(x, y, "TruncateDiv")
    check_type(x, REAL_TYPES, "TruncateDiv")
    return execute("TruncateDiv", (x, y))


def truncatemod(x: Any, y: Any, name: str | None = None) -> Tensor:
    """`tf.truncatemod`: the remainder of truncating division (sign of x), like C's fmod.

    >>> import ndflow as tf
    >>> tf.truncatemod(tf.constant([-7, 7]), 2)
    <tf.Tensor: shape=(2,), dtype=int32, numpy=array([-1,  1], dtype=int32)>
    """
    x, y = binary_operands(x, y, "TruncateMod")
    check_type(x, _TRUNCATEMOD_TYPES, "TruncateMod")
    return execute("TruncateMod", (x, y))


def realdiv(x: Any, y: Any, name: str | None = None) -> Tensor:
    """`tf.realdiv`: x / y for real (floating or complex) tensors, without casting ints."""
    x, y = binary_operands(x, y, "RealDiv")
    check_type(x, FLOAT_COMPLEX, "RealDiv")
    return divide_(x, y)


# ---------------------------------------------------------------------------- no-nan products


def _mul_no_nan_kernel(x, y):
    with np.errstate(all="ignore"):
        out = np.multiply(x, y)
    return np.where(y == 0, np.zeros((), out.dtype), out)


def _mul_no_nan_grad(op, g):
    x, y = op.inputs
    gx = None if _skip(op, 0) else multiply_no_nan(g, y)
    gy = None if _skip(op, 1) else multiply_no_nan(x, g)
    return gx, gy


register_op("MulNoNan", _mul_no_nan_kernel, binary_shape("MulNoNan"), holomorphic(_mul_no_nan_grad))


def multiply_no_nan(x: Any, y: Any, name: str | None = None) -> Tensor:
    """`tf.math.multiply_no_nan`: x * y, but 0 wherever y is 0 even if x is inf or nan.

    >>> import ndflow as tf
    >>> tf.math.multiply_no_nan(tf.constant([float("inf"), 2.0]), tf.constant([0.0, 3.0]))
    <tf.Tensor: shape=(2,), dtype=float32, numpy=array([0., 6.], dtype=float32)>
    """
    x, y = binary_operands(x, y, "MulNoNan")
    check_type(x, FLOAT_COMPLEX, "MulNoNan")
    return execute("MulNoNan", (x, y))


def reciprocal_no_nan(x: Any, name: str | None = None) -> Tensor:
    """`tf.math.reciprocal_no_nan`: 1 / x, but 0 where x is 0."""
    x = op_util.to_tensor(x)
    check_type(x, FLOAT_COMPLEX, "DivNoNan")
    return divide_no_nan(ones_like(x), x)


def _xlogy_kernel(x, y):
    with np.errstate(all="ignore"):
        out = np.multiply(x, np.log(y))
    return np.where(x == 0, np.zeros((), out.dtype), out).astype(x.dtype, copy=False)


def _xdivy_kernel(x, y):
    with np.errstate(all="ignore"):
        out = np.true_divide(x, y)
    return np.where(x == 0, np.zeros((), out.dtype), out).astype(x.dtype, copy=False)


def _xlogy_grad(op, g):
    x, y = op.inputs
    nonzero = cast(not_equal(x, 0), x.dtype)
    gx = None if _skip(op, 0) else multiply(xlogy(nonzero, y), g)
    gy = None if _skip(op, 1) else multiply(xdivy(x, y), g)
    return gx, gy


def _xdivy_grad(op, g):
    x, y = op.inputs
    nonzero = cast(not_equal(x, 0), x.dtype)
    gx = None if _skip(op, 0) else multiply(xdivy(nonzero, y), g)
    gy = None if _skip(op, 1) else multiply(negative(xdivy(x, square(y))), g)
    return gx, gy


register_op("Xlogy", _xlogy_kernel, binary_shape("Xlogy"), holomorphic(_xlogy_grad))
register_op("Xdivy", _xdivy_kernel, binary_shape("Xdivy"), holomorphic(_xdivy_grad))


def xlogy(x: Any, y: Any, name: str | None = None) -> Tensor:
    """`tf.math.xlogy`: x * log(y), defined as 0 where x is 0 (even when y is 0).

    >>> import ndflow as tf
    >>> tf.math.xlogy(tf.constant([0.0, 2.0]), tf.constant([0.0, 1.0]))
    <tf.Tensor: shape=(2,), dtype=float32, numpy=array([0., 0.], dtype=float32)>
    """
    x, y = binary_operands(x, y, "Xlogy")
    check_type(x, FLOAT_COMPLEX, "Xlogy")
    return execute("Xlogy", (x, y))


def xdivy(x: Any, y: Any, name: str | None = None) -> Tensor:
    """`tf.math.xdivy`: x / y, defined as 0 where x is 0 (even when y is 0)."""
    x, y = binary_operands(x, y, "Xdivy")
    check_type(x, FLOAT_COMPLEX, "Xdivy")
    return execute("Xdivy", (x, y))


def scalar_mul(scalar: Any, x: Any, name: str | None = None) -> Tensor:
    """`tf.math.scalar_mul`: multiplies tensor `x` by a 0-d `scalar`.

    Raises:
        ValueError: when `scalar` is not 0-d.
    """
    s = op_util.to_tensor(scalar) if not isinstance(scalar, (int, float)) else scalar
    if isinstance(s, Tensor) and s.shape._dims not in ((), None):
        raise ValueError(f"`scalar` must be a 0-D tensor. Received shape: {s.shape}")
    return multiply(s, x)


def _xlog1py_kernel(x, y):
    with np.errstate(all="ignore"):
        out = np.multiply(x, np.log1p(y))
    return np.where(x == 0, np.zeros((), out.dtype), out).astype(x.dtype, copy=False)


def _xlog1py_grad(op, g):
    x, y = op.inputs
    nonzero = cast(not_equal(x, 0), x.dtype)
    gx = None if _skip(op, 0) else multiply(xlog1py(nonzero, y), g)
    gy = None if _skip(op, 1) else multiply(xdivy(x, add(y, 1)), g)
    return gx, gy


register_op("Xlog1py", _xlog1py_kernel, binary_shape("Xlog1py"), holomorphic(_xlog1py_grad))


def xlog1py(x: Any, y: Any, name: str | None = None) -> Tensor:
    """`tf.math.xlog1py`: x * log1p(y), defined as 0 where x is 0."""
    x, y = binary_operands(x, y, "Xlog1py")
    check_type(x, FLOAT_COMPLEX, "Xlog1py")
    return execute("Xlog1py", (x, y))


register_op("NextAfter", np.nextafter, binary_shape("NextAfter"))


def nextafter(x1: Any, x2: Any, name: str | None = None) -> Tensor:
    """`tf.math.nextafter`: the next representable value after x1 in the direction of x2.

    >>> import ndflow as tf
    >>> float(tf.math.nextafter(tf.constant(1.0, tf.float64), 2.0)) - 1.0
    2.220446049250313e-16
    """
    x, y = binary_operands(x1, x2, "NextAfter")
    check_type(x, (dtypes.float64, dtypes.float32), "NextAfter")
    return execute("NextAfter", (x, y))
