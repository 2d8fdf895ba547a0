"""Element-wise unary math: abs, sign, roots, exponentials, trigonometric and hyperbolic
functions, sigmoid, erf, rounding, and the float classifiers (is_nan, is_inf, is_finite).

Each op: kernel, shape rule and gradient side by side, then the public function. The
allowed dtypes and error messages follow TensorFlow's op definitions.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ndflow._src.core import dtypes
from ndflow._src.framework.execute import execute
from ndflow._src.framework.op_registry import register_op
from ndflow._src.framework.tensor import Tensor, register_operator, wrap_with_dtype
from ndflow._src.ops.binary_ops import divide_no_nan
from ndflow._src.ops.math_ops import (
    ABS_TYPES,
    FLOAT_COMPLEX,
    FLOAT_TYPES,
    SIGNED_TYPES,
    _public_name,
    _quiet,
    add,
    cast,
    check_type,
    divide_,
    exp,
    holomorphic,
    less,
    multiply,
    negative,
    ones_like,
    pow,  # noqa: A004 - TF's name
    square,
    subtract,
    zeros_like,
)
from ndflow._src.ops.op_util import broadcast_dims, dims_of, to_tensor, unary_shape

# ---------------------------------------------------------------------------- more unary math


def _unary(op_type: str, kernel, grad, allowed: tuple, doc: str, out_dtype=None):
    """Registers a one-input element-wise op and returns its public function."""
    if grad is not None and dtypes.complex64 in allowed:
        grad = holomorphic(grad)
    register_op(op_type, kernel, unary_shape(out_dtype), grad)

    def fn(x: Any, name: str | None = None) -> Tensor:
        x = to_tensor(x)
        check_type(x, allowed, op_type)
        return execute(op_type, (x,))

    fn.__doc__ = doc
    fn.__name__ = fn.__qualname__ = _public_name(doc)
    return fn


def _sigmoid_kernel(x):
    # Split by sign so neither branch overflows: e = exp(-|x|) is always in (0, 1].
    with np.errstate(all="ignore"):
        if x.dtype.kind == "c":
            return 1 / (1 + np.exp(-x))
        e = np.exp(-np.abs(x))
        return np.where(x >= 0, 1 / (1 + e), e / (1 + e)).astype(x.dtype, copy=False)


def _erf_kernel(x):
    import math

    if x.dtype.kind == "c":
        raise TypeError("erf of complex numbers is not supported")
    flat = np.fromiter((math.erf(v) for v in x.reshape(-1).astype(np.float64)), np.float64, x.size)
    return flat.reshape(x.shape).astype(x.dtype)


def _abs_grad(op, g):
    return (multiply(g, sign(op.inputs[0])),)


def _complex_abs_grad(op, g):
    x, y = op.inputs[0], op.outputs[0]
    return (divide_no_nan(multiply(cast(g, x.dtype), x), cast(y, x.dtype)),)


register_op("Abs", np.abs, unary_shape(), _abs_grad)
register_op(
    "ComplexAbs",
    np.abs,
    lambda inputs, attrs: [(dims_of(inputs[0]), inputs[0].dtype.real_dtype)],
    _complex_abs_grad,
)


def abs(x: Any, name: str | None = None) -> Tensor:  # noqa: A001 - TF's name
    """`tf.math.abs`: |x| element-wise; complex inputs give their (real) magnitude.

    >>> import ndflow as tf
    >>> tf.abs(tf.constant([-1.5, 2.0]))
    <tf.Tensor: shape=(2,), dtype=float32, numpy=array([1.5, 2. ], dtype=float32)>
    """
    x = to_tensor(x)
    if x._dtype.is_complex:
        return execute("ComplexAbs", (x,))
    check_type(x, ABS_TYPES, "Abs")
    return execute("Abs", (x,))


sign = _unary(
    "Sign",
    np.sign,
    lambda op, g: (zeros_like(op.inputs[0]),),
    SIGNED_TYPES,
    "`tf.math.sign`: -1, 0 or 1 by the sign of x (x/|x| for complex); its gradient is 0.",
)
sqrt = _unary(
    "Sqrt",
    _quiet(np.sqrt),
    lambda op, g: (divide_(multiply(g, 0.5), op.outputs[0]),),
    FLOAT_COMPLEX,
    "`tf.math.sqrt`: the square root of x (nan below zero).",
)


def _rsqrt_kernel(x):
    with np.errstate(all="ignore"):
        return (1 / np.sqrt(x)).astype(x.dtype, copy=False)


rsqrt = _unary(
    "Rsqrt",
    _rsqrt_kernel,
    lambda op, g: (multiply(multiply(g, -0.5), pow(op.outputs[0], 3)),),
    FLOAT_COMPLEX,
    "`tf.math.rsqrt`: 1 / sqrt(x).",
)
expm1 = _unary(
    "Expm1",
    _quiet(np.expm1),
    lambda op, g: (multiply(g, exp(op.inputs[0])),),
    FLOAT_COMPLEX,
    "`tf.math.expm1`: exp(x) - 1, accurate for small x.",
)
log1p = _unary(
    "Log1p",
    _quiet(np.log1p),
    lambda op, g: (divide_(g, add(op.inputs[0], 1)),),
    FLOAT_COMPLEX,
    "`tf.math.log1p`: log(1 + x), accurate for small x.",
)


def _reciprocal_kernel(x):
    with np.errstate(all="ignore"):
        return np.reciprocal(x)


reciprocal = _unary(
    "Reciprocal",
    _reciprocal_kernel,
    lambda op, g: (negative(multiply(g, square(op.outputs[0]))),),
    FLOAT_COMPLEX,
    "`tf.math.reciprocal`: 1 / x.",
)
sin = _unary(
    "Sin",
    _quiet(np.sin),
    lambda op, g: (multiply(g, cos(op.inputs[0])),),
    FLOAT_COMPLEX,
    "`tf.math.sin`: sine, element-wise.",
)
cos = _unary(
    "Cos",
    _quiet(np.cos),
    lambda op, g: (negative(multiply(g, sin(op.inputs[0]))),),
    FLOAT_COMPLEX,
    "`tf.math.cos`: cosine, element-wise.",
)
tan = _unary(
    "Tan",
    _quiet(np.tan),
    lambda op, g: (multiply(g, square(reciprocal(cos(op.inputs[0])))),),
    FLOAT_COMPLEX,
    "`tf.math.tan`: tangent, element-wise.",
)


def _one_minus_square(x: Tensor) -> Tensor:
    return subtract(ones_like(x), square(x))


asin = _unary(
    "Asin",
    _quiet(np.arcsin),
    lambda op, g: (multiply(g, rsqrt(_one_minus_square(op.inputs[0]))),),
    FLOAT_COMPLEX,
    "`tf.math.asin`: inverse sine (nan outside [-1, 1]).",
)
acos = _unary(
    "Acos",
    _quiet(np.arccos),
    lambda op, g: (negative(multiply(g, rsqrt(_one_minus_square(op.inputs[0])))),),
    FLOAT_COMPLEX,
    "`tf.math.acos`: inverse cosine (nan outside [-1, 1]).",
)
atan = _unary(
    "Atan",
    _quiet(np.arctan),
    lambda op, g: (divide_(g, add(square(op.inputs[0]), 1)),),
    FLOAT_COMPLEX,
    "`tf.math.atan`: inverse tangent.",
)
sinh = _unary(
    "Sinh",
    _quiet(np.sinh),
    lambda op, g: (multiply(g, cosh(op.inputs[0])),),
    FLOAT_COMPLEX,
    "`tf.math.sinh`: hyperbolic sine.",
)
cosh = _unary(
    "Cosh",
    _quiet(np.cosh),
    lambda op, g: (multiply(g, sinh(op.inputs[0])),),
    FLOAT_COMPLEX,
    "`tf.math.cosh`: hyperbolic cosine.",
)
tanh = _unary(
    "Tanh",
    _quiet(np.tanh),
    lambda op, g: (multiply(g, _one_minus_square(op.outputs[0])),),
    FLOAT_COMPLEX,
    "`tf.math.tanh` (also `tf.tanh`, `tf.nn.tanh`): hyperbolic tangent.",
)
asinh = _unary(
    "Asinh",
    _quiet(np.arcsinh),
    lambda op, g: (divide_(g, cosh(op.outputs[0])),),
    FLOAT_COMPLEX,
    "`tf.math.asinh`: inverse hyperbolic sine.",
)
acosh = _unary(
    "Acosh",
    _quiet(np.arccosh),
    lambda op, g: (divide_(g, sinh(op.outputs[0])),),
    FLOAT_COMPLEX,
    "`tf.math.acosh`: inverse hyperbolic cosine (nan below 1).",
)
atanh = _unary(
    "Atanh",
    _quiet(np.arctanh),
    lambda op, g: (divide_(g, _one_minus_square(op.inputs[0])),),
    FLOAT_COMPLEX,
    "`tf.math.atanh`: inverse hyperbolic tangent.",
)
sigmoid = _unary(
    "Sigmoid",
    _sigmoid_kernel,
    lambda op, g: (multiply(g, multiply(op.outputs[0], subtract(1, op.outputs[0]))),),
    FLOAT_COMPLEX,
    "`tf.math.sigmoid` (also `tf.sigmoid`, `tf.nn.sigmoid`): 1 / (1 + exp(-x)), computed "
    "without overflow.",
)
erf = _unary(
    "Erf",
    _erf_kernel,
    lambda op, g: (multiply(g, multiply(exp(negative(square(op.inputs[0]))), 2 / np.sqrt(np.pi))),),
    FLOAT_TYPES,
    "`tf.math.erf`: the Gauss error function.",
)


def _round_kernel(x):
    # np.round rounds half to even, which is TensorFlow's (banker's) rounding.
    return x if x.dtype.kind in "iu" else np.round(x)


# Round, Floor and Ceil are piecewise constant: TensorFlow gives them no gradient.
_round = _unary(
    "Round",
    _round_kernel,
    None,
    ABS_TYPES,
    "`tf.math.round`: rounds half to even (banker's rounding), as TensorFlow does.",
)


def round(x: Any, name: str | None = None) -> Tensor:  # noqa: A001 - TF's name
    """`tf.math.round`: rounds half to even (banker's rounding), as TensorFlow does;
    integer tensors are returned unchanged.

    >>> import ndflow as tf
    >>> tf.round(tf.constant([0.5, 1.5, 2.5, -0.5]))
    <tf.Tensor: shape=(4,), dtype=float32, numpy=array([ 0.,  2.,  2., -0.], dtype=float32)>
    """
    x = to_tensor(x)
    if x._dtype.is_integer:
        return x
    return _round(x)


rint = _unary(
    "Rint",
    np.rint,
    None,
    FLOAT_TYPES,
    "`tf.math.rint`: the nearest integer, halves to even.",
)
floor = _unary("Floor", np.floor, None, FLOAT_TYPES, "`tf.math.floor`: largest integer <= x.")
ceil = _unary("Ceil", np.ceil, None, FLOAT_TYPES, "`tf.math.ceil`: smallest integer >= x.")


is_nan = _unary("IsNan", np.isnan, None, FLOAT_TYPES, "`tf.math.is_nan`: x is NaN.", dtypes.bool)
is_inf = _unary(
    "IsInf", np.isinf, None, FLOAT_TYPES, "`tf.math.is_inf`: x is +inf or -inf.", dtypes.bool
)
is_finite = _unary(
    "IsFinite",
    np.isfinite,
    None,
    FLOAT_TYPES,
    "`tf.math.is_finite`: x is neither inf nor NaN.",
    dtypes.bool,
)


register_operator("__abs__", lambda self: abs(self))


# ---------------------------------------------------------------------------- complex parts


def _real_dtype_shape(inputs, attrs):
    return [(dims_of(inputs[0]), inputs[0].dtype.real_dtype)]


def _real_grad(op, g):
    return (cast(g, op.inputs[0].dtype),)


def _imag_grad(op, g):
    return (multiply(cast(g, op.inputs[0].dtype), _constant_like(1j, op.inputs[0].dtype)),)


def _constant_like(value: Any, dtype: dtypes.DType) -> Tensor:
    return wrap_with_dtype(np.asarray(value, dtype._np), dtype)


def _angle_grad(op, g):
    z = op.inputs[0]
    inv = reciprocal(execute("Complex", (imag(z), real(z)), {"Tout": z.dtype}))
    return (negative(multiply(cast(g, z.dtype), inv)),)


def _complex_shape(inputs, attrs):
    return [(broadcast_dims(dims_of(inputs[0]), dims_of(inputs[1]), "Complex"), attrs["Tout"])]


def _complex_grad(op, g):
    return real(g), imag(g)


register_op("Real", np.real, _real_dtype_shape, _real_grad)
register_op("Imag", np.imag, _real_dtype_shape, _imag_grad)
register_op("Conj", np.conj, unary_shape(), lambda op, g: (conj(g),))
register_op("Angle", np.angle, _real_dtype_shape, _angle_grad)
register_op(
    "Complex",
    lambda re, im, Tout: (re + 1j * im).astype(Tout._np),
    _complex_shape,
    _complex_grad,
)


def real(input: Any, name: str | None = None) -> Tensor:  # noqa: A002
    """`tf.math.real`: the real part of a complex tensor (real tensors pass through).

    >>> import ndflow as tf
    >>> tf.math.real(tf.constant([1 + 2j]))
    <tf.Tensor: shape=(1,), dtype=float64, numpy=array([1.])>
    """
    x = to_tensor(input)
    return execute("Real", (x,)) if x._dtype.is_complex else x


def imag(input: Any, name: str | None = None) -> Tensor:  # noqa: A002
    """`tf.math.imag`: the imaginary part of a complex tensor (zeros for real tensors)."""
    x = to_tensor(input)
    return execute("Imag", (x,)) if x._dtype.is_complex else zeros_like(x)


def conj(x: Any, name: str | None = None) -> Tensor:
    """`tf.math.conj`: the complex conjugate (real tensors pass through).

    Raises:
        TypeError: for non-numeric tensors.
    """
    x = to_tensor(x)
    if x._dtype.is_complex:
        return execute("Conj", (x,))
    if x._dtype.is_floating or x._dtype.is_integer:
        return x
    raise TypeError(f"Expected numeric or variant tensor, got dtype {x._dtype!r}")


def angle(input: Any, name: str | None = None) -> Tensor:  # noqa: A002
    """`tf.math.angle`: the argument of a complex number; pi for negative reals, else 0."""
    x = to_tensor(input)
    if x._dtype.is_complex:
        return execute("Angle", (x,))
    pi = _constant_like(np.pi, x._dtype)
    return execute("SelectV2", (less(x, zeros_like(x)), multiply(ones_like(x), pi), zeros_like(x)))


def complex(real: Any, imag: Any, name: str | None = None) -> Tensor:  # noqa: A001
    """`tf.complex`: builds complex numbers from real and imaginary parts (float32 parts
    give complex64, float64 parts complex128).

    Raises:
        TypeError: when the parts' dtypes differ or are not float32/float64.

    >>> import ndflow as tf
    >>> tf.complex(tf.constant([1.0]), tf.constant([2.0]))
    <tf.Tensor: shape=(1,), dtype=complex64, numpy=array([1.+2.j], dtype=complex64)>
    """
    re, im = to_tensor(real), to_tensor(imag)
    out = {dtypes.float32: dtypes.complex64, dtypes.float64: dtypes.complex128}.get(re._dtype)
    if re._dtype is not im._dtype or out is None:
        raise TypeError(
            f"The `real` and `imag` components have incorrect types: {re._dtype.name} "
            f"{im._dtype.name}. They must be consistent, and one of [tf.float32, tf.float64]"
        )
    return execute("Complex", (re, im), {"Tout": out})


# ---------------------------------------------------------------------------- erfc


def _erfc_kernel(x):
    import math

    flat = np.fromiter((math.erfc(v) for v in x.reshape(-1).astype(np.float64)), np.float64, x.size)
    return flat.reshape(x.shape).astype(x.dtype)


erfc = _unary(
    "Erfc",
    _erfc_kernel,
    lambda op, g: (
        multiply(g, multiply(exp(negative(square(op.inputs[0]))), -2 / np.sqrt(np.pi))),
    ),
    FLOAT_TYPES,
    "`tf.math.erfc`: the complementary error function 1 - erf(x), accurate for large x.",
)
