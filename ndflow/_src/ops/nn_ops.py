"""Neural-network ops: activations, softmax, bias_add, in_top_k, dropout and normalization
(the losses are in `nn_loss_ops`, pooling in `pooling_ops`).

Activations have dedicated gradient ops (ReluGrad, EluGrad, ...) that take the forward
output (or input) and the incoming gradient, so a backward step is one kernel; their own
gradients are written in ndflow ops, so second derivatives work.
"""

from __future__ import annotations

import math
import os
import threading
from typing import Any

import numpy as np

from ndflow._src.core import context, dtypes, errors
from ndflow._src.framework.constant import convert_to_tensor
from ndflow._src.framework.execute import execute
from ndflow._src.framework.op_registry import register_op
from ndflow._src.framework.tensor import Tensor, static_value
from ndflow._src.ops import array_ops, math_ops
from ndflow._src.ops.op_util import (
    FLOATS,
    check_dtype,
    cpp_name,
    dims_of,
    dims_str,
    invalid,
    normalize_axis,
    to_tensor,
    unary_shape,
)

# ---------------------------------------------------------------------------- numba

# "disabled": NDFLOW_DISABLE_NUMBA as read on first use (None: not read yet). Kernels ask
# for the module on every call, and an environment lookup costs ~0.4 us each; tests that
# flip the switch set this entry too (monkeypatch.setitem), as the `kernels` fixture does.
_numba_state: dict = {"module": None, "tried": False, "disabled": None}


_NUMBA_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))


def numba_kernels(dtype: Any = np.float32) -> Any:
    """The numba kernel module for arrays of `dtype`, or None: when numba is missing, when
    NDFLOW_DISABLE_NUMBA=1 (read once; `_numba_state["disabled"] = None` re-reads it), or
    for dtypes the kernels do not cover (only float32/64).

    Imported on first use only, so `import ndflow` does not load numba.
    """
    st = _numba_state
    disabled = st["disabled"]
    if disabled is None:
        disabled = st["disabled"] = os.environ.get("NDFLOW_DISABLE_NUMBA") == "1"
    if disabled or dtype not in _NUMBA_DTYPES:
        return None
    if not st["tried"]:
        st["tried"] = True
        try:
            from ndflow._src.ops import _numba_kernels
        except ImportError:  # numba is the optional `ndflow[fast]` extra
            _numba_kernels = None
        st["module"] = _numba_kernels
    return st["module"]


def _float_input(x: Any, op_type: str) -> Tensor:
    x = to_tensor(x)
    check_dtype(x, FLOATS, op_type)
    return x


def _sigmoid(x: np.ndarray) -> np.ndarray:
    """A sigmoid that neither overflows nor loses relative precision for negative x."""
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + e), e / (1 + e)).astype(x.dtype, copy=False)


def _skip(op: Any, i: int) -> bool:
    return i in op.skip_input_indices


def _zeros_where_not(cond: Tensor, value: Tensor) -> Tensor:
    return array_ops.where(cond, value, math_ops.zeros_like(value))


# ---------------------------------------------------------------------------- relu family


# Arrays at least this big go through the numba kernels (below, the call costs more).
_NUMBA_MIN_SIZE = 4096


def _relu_grad_kernel(g, y):
    nb = numba_kernels(g.dtype) if g.size >= _NUMBA_MIN_SIZE else None
    if nb is not None and g.shape == y.shape and g.dtype == y.dtype and g.dtype.kind == "f":
        g = np.ascontiguousarray(g)
        y = np.ascontiguousarray(y).reshape(-1)
        return nb.relu_grad(g.reshape(-1), y).reshape(g.shape)
    # Multiplying by the mask (not np.where) is faster and, like TF, keeps NaN gradients.
    return g * (y > 0)


def _relu_grad_inplace(g, y):
    if g.shape != y.shape or g.dtype != y.dtype or not g.flags.c_contiguous:
        return _relu_grad_kernel(g, y)
    nb = numba_kernels(g.dtype) if g.size >= _NUMBA_MIN_SIZE else None
    if nb is not None:
        nb.relu_grad_inplace(g.reshape(-1), np.ascontiguousarray(y).reshape(-1))
        return g
    return np.multiply(g, y > 0, out=g)


def _relu_kernel(x):
    nb = numba_kernels(x.dtype) if x.size >= _NUMBA_MIN_SIZE else None
    if nb is not None:
        x = np.ascontiguousarray(x)
        return nb.relu(x.reshape(-1)).reshape(x.shape)
    return np.maximum(x, np.zeros((), x.dtype))


def _relu_inplace(x):
    if not x.flags.c_contiguous:
        return _relu_kernel(x)
    nb = numba_kernels(x.dtype) if x.size >= _NUMBA_MIN_SIZE else None
    if nb is not None:
        nb.relu_inplace(x.reshape(-1))
        return x
    return np.maximum(x, np.zeros((), x.dtype), out=x)


register_op(
    "Relu",
    _relu_kernel,
    unary_shape(),
    lambda op, g: (execute("ReluGrad", (g, op.outputs[0])),),
)
register_op(
    "ReluGrad",
    _relu_grad_kernel,
    unary_shape(),
    lambda op, gg: (execute("ReluGrad", (gg, op.inputs[1])), None),
)


def relu(features: Any, name: str | None = None) -> Tensor:
    """`tf.nn.relu`: max(features, 0).

    >>> import ndflow as tf
    >>> tf.nn.relu(tf.constant([-1.0, 2.0])).numpy()
    array([0., 2.], dtype=float32)
    """
    return execute("Relu", (to_tensor(features),))


def _relu6_grad_kernel(g, x):
    return np.where((x > 0) & (x < 6), g, np.zeros((), g.dtype))


register_op(
    "Relu6",
    lambda x: np.clip(x, 0, 6).astype(x.dtype, copy=False),
    unary_shape(),
    lambda op, g: (execute("Relu6Grad", (g, op.inputs[0])),),
)
register_op(
    "Relu6Grad",
    _relu6_grad_kernel,
    unary_shape(),
    lambda op, gg: (execute("Relu6Grad", (gg, op.inputs[1])), None),
)


def relu6(features: Any, name: str | None = None) -> Tensor:
    """`tf.nn.relu6`: min(max(features, 0), 6)."""
    return execute("Relu6", (to_tensor(features),))


def _leaky_relu_kernel(x, alpha):
    return np.where(x > 0, x, x * x.dtype.type(alpha))


def _leaky_relu_grad_kernel(g, x, alpha):
    return np.where(x > 0, g, g * g.dtype.type(alpha))


register_op(
    "LeakyRelu",
    _leaky_relu_kernel,
    unary_shape(),
    lambda op, g: (execute("LeakyReluGrad", (g, op.inputs[0]), op.attrs),),
)
register_op(
    "LeakyReluGrad",
    _leaky_relu_grad_kernel,
    unary_shape(),
    lambda op, gg: (execute("LeakyReluGrad", (gg, op.inputs[1]), op.attrs), None),
)


def leaky_relu(features: Any, alpha: float = 0.2, name: str | None = None) -> Tensor:
    """`tf.nn.leaky_relu`: features where positive, else alpha * features.

    >>> import ndflow as tf
    >>> tf.nn.leaky_relu(tf.constant([-1.0, 2.0])).numpy()
    array([-0.2,  2. ], dtype=float32)
    """
    x = to_tensor(features)
    if x.dtype.is_integer:
        x = math_ops.cast(x, dtypes.float32)
    return execute("LeakyRelu", (x,), {"alpha": float(alpha)})


# ---------------------------------------------------------------------------- elu / selu

_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


def _elu_kernel(x):
    return np.where(x > 0, x, np.expm1(np.minimum(x, 0)))


def _elu_grad_kernel(g, y):
    return np.where(y < 0, g * (y + 1), g)


def _elu_grad_grad(op, gg):
    g, y = op.inputs
    dg = execute("EluGrad", (gg, y))
    dy = None if _skip(op, 1) else _zeros_where_not(math_ops.less(y, 0), math_ops.multiply(gg, g))
    return dg, dy


register_op(
    "Elu", _elu_kernel, unary_shape(), lambda op, g: (execute("EluGrad", (g, op.outputs[0])),)
)
register_op("EluGrad", _elu_grad_kernel, unary_shape(), _elu_grad_grad)


def elu(features: Any, name: str | None = None) -> Tensor:
    """`tf.nn.elu`: features where positive, else exp(features) - 1."""
    return execute("Elu", (_float_input(features, "Elu"),))


def _selu_kernel(x):
    t = x.dtype.type
    return np.where(
        x > 0, x * t(_SELU_SCALE), t(_SELU_SCALE * _SELU_ALPHA) * np.expm1(np.minimum(x, 0))
    )


def _selu_grad_kernel(g, y):
    t = y.dtype.type
    return np.where(y < 0, g * (y + t(_SELU_SCALE * _SELU_ALPHA)), g * t(_SELU_SCALE))


register_op(
    "Selu", _selu_kernel, unary_shape(), lambda op, g: (execute("SeluGrad", (g, op.outputs[0])),)
)
register_op(
    "SeluGrad",
    _selu_grad_kernel,
    unary_shape(),
    lambda op, gg: (
        execute("SeluGrad", (gg, op.inputs[1])),
        None
        if _skip(op, 1)
        else _zeros_where_not(math_ops.less(op.inputs[1], 0), math_ops.multiply(gg, op.inputs[0])),
    ),
)


def selu(features: Any, name: str | None = None) -> Tensor:
    """`tf.nn.selu`: scale * elu-like(features) with the self-normalizing constants."""
    return execute("Selu", (_float_input(features, "Selu"),))


# ---------------------------------------------------------------------------- smooth activations
# Softplus, softsign, gelu and silu: `<Op>Grad(g, x)` = g * f'(x); the gradient of that
# uses `ActivationSecondDerivative(a, x)` = a * f''(x), so second derivatives work.


def _erf(x: np.ndarray) -> np.ndarray:
    nb = numba_kernels(x.dtype)
    flat = np.ascontiguousarray(x).reshape(-1)
    if nb is not None and x.dtype.kind == "f" and x.dtype.itemsize >= 4:
        return nb.erf(flat).reshape(x.shape)
    return np.frompyfunc(math.erf, 1, 1)(flat).astype(x.dtype).reshape(x.shape)


_SQRT_2_OVER_PI = math.sqrt(2 / math.pi)
_INV_SQRT_2PI = 1 / math.sqrt(2 * math.pi)


def _gelu_tanh_parts(x):
    u = _SQRT_2_OVER_PI * (x + 0.044715 * x**3)
    du = _SQRT_2_OVER_PI * (1 + 3 * 0.044715 * x**2)
    return np.tanh(u), du


def _first_derivative(kind: str, x: np.ndarray, attrs: dict) -> np.ndarray:
    if kind == "softplus":
        return _sigmoid(x)
    if kind == "softsign":
        return 1 / np.square(1 + np.abs(x))
    if kind == "gelu":
        if attrs["approximate"]:
            t, du = _gelu_tanh_parts(x)
            return 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * du
        return 0.5 * (1 + _erf(x / math.sqrt(2))) + x * _INV_SQRT_2PI * np.exp(-0.5 * x * x)
    if kind == "silu":
        b = attrs["beta"]
        s = _sigmoid(b * x)
        return s + b * x * s * (1 - s)
    raise KeyError(kind)


def _second_derivative(kind: str, x: np.ndarray, attrs: dict) -> np.ndarray:
    if kind == "softplus":
        s = _sigmoid(x)
        return s * (1 - s)
    if kind == "softsign":
        return -2 * np.sign(x) / (1 + np.abs(x)) ** 3
    if kind == "gelu":
        if attrs["approximate"]:
            t, du = _gelu_tanh_parts(x)
            d2u = _SQRT_2_OVER_PI * 6 * 0.044715 * x
            return (1 - t * t) * (du + 0.5 * x * (d2u - 2 * t * du * du))
        return _INV_SQRT_2PI * np.exp(-0.5 * x * x) * (2 - x * x)
    if kind == "silu":
        b = attrs["beta"]
        s = _sigmoid(b * x)
        return b * s * (1 - s) * (2 + b * x * (1 - 2 * s))
    raise KeyError(kind)


def _derivative_op(op_type: str, kind: str, order: int):
    fn = _first_derivative if order == 1 else _second_derivative

    def kernel(g, x, **attrs):
        return (g * fn(kind, x, attrs)).astype(g.dtype, copy=False)

    def grad(op, gg):
        g, x = op.inputs
        dg = execute(op_type, (gg, x), op.attrs)
        dx = None
        if not _skip(op, 1):
            if order == 2:
                raise LookupError(f"Third derivatives of {kind} are not implemented.")
            dx = execute(f"{op_type}2", (math_ops.multiply(gg, g), x), op.attrs)
        return dg, dx

    register_op(op_type if order == 1 else f"{op_type}2", kernel, unary_shape(), grad)


for _op, _kind in (
    ("SoftplusGrad", "softplus"),
    ("SoftsignGrad", "softsign"),
    ("GeluGrad", "gelu"),
    ("SiluGrad", "silu"),
):
    _derivative_op(_op, _kind, 1)
    _derivative_op(_op, _kind, 2)
del _op, _kind


def _grad_via(grad_op: str):
    return lambda op, g: (execute(grad_op, (g, op.inputs[0]), op.attrs),)


register_op(
    "Softplus",
    lambda x: np.logaddexp(np.zeros((), x.dtype), x),
    unary_shape(),
    _grad_via("SoftplusGrad"),
)
register_op("Softsign", lambda x: x / (1 + np.abs(x)), unary_shape(), _grad_via("SoftsignGrad"))


def _gelu_kernel(x, approximate):
    if approximate:
        t, _ = _gelu_tanh_parts(x)
        return (0.5 * x * (1 + t)).astype(x.dtype, copy=False)
    return (0.5 * x * (1 + _erf(x / x.dtype.type(math.sqrt(2))))).astype(x.dtype, copy=False)


register_op("Gelu", _gelu_kernel, unary_shape(), _grad_via("GeluGrad"))
register_op(
    "Silu",
    lambda x, beta: (x * _sigmoid(x * x.dtype.type(beta))).astype(x.dtype, copy=False),
    unary_shape(),
    _grad_via("SiluGrad"),
)


def softplus(features: Any, name: str | None = None) -> Tensor:
    """`tf.nn.softplus`: log(exp(features) + 1), computed without overflow."""
    return execute("Softplus", (_float_input(features, "Softplus"),))


def softsign(features: Any, name: str | None = None) -> Tensor:
    """`tf.nn.softsign`: features / (abs(features) + 1)."""
    return execute("Softsign", (_float_input(features, "Softsign"),))


def gelu(features: Any, approximate: bool = False, name: str | None = None) -> Tensor:
    """`tf.nn.gelu`: x * Phi(x), or its tanh approximation when `approximate`.

    >>> import ndflow as tf
    >>> round(float(tf.nn.gelu(tf.constant(1.0))), 4)
    0.8413
    """
    x = _float_input(features, "Gelu")
    return execute("Gelu", (x,), {"approximate": bool(approximate)})


def silu(features: Any, beta: float = 1.0, name: str | None = None) -> Tensor:
    """`tf.nn.silu` (also `tf.nn.swish`): features * sigmoid(beta * features)."""
    x = _float_input(features, "Silu")
    if isinstance(beta, Tensor):
        beta = float(beta.numpy())
    return execute("Silu", (x,), {"beta": float(beta)})


swish = silu


# ---------------------------------------------------------------------------- softmax


def _axis_shape(op_type: str):
    def rule(inputs, attrs):
        d = dims_of(inputs[0])
        if d is not None:
            if len(d) == 0:
                raise invalid(op_type, "logits must have >= 1 dimension, got []")
            normalize_axis(attrs["axis"], len(d), op_type)
        return [(d, inputs[0].dtype)]

    return rule


def _softmax_kernel(x, axis):
    e = x - np.max(x, axis=axis, keepdims=True)
    np.exp(e, out=e)
    e /= np.sum(e, axis=axis, keepdims=True)
    return e


def _softmax_grad_kernel(g, y, axis):
    gy = g * y
    return gy - y * np.sum(gy, axis=axis, keepdims=True)


def _softmax_grad_grad(op, gg):
    # z = y * (g - sum(g * y)); dz/dg = SoftmaxGrad(., y); dz/dy as below.
    g, y = op.inputs
    axis = op.attrs["axis"]
    dg = execute("SoftmaxGrad", (gg, y), op.attrs)
    dy = None
    if not _skip(op, 1):
        s = math_ops.reduce_sum(math_ops.multiply(g, y), axis, keepdims=True)
        t = math_ops.reduce_sum(math_ops.multiply(gg, y), axis, keepdims=True)
        dy = math_ops.subtract(
            math_ops.multiply(gg, math_ops.subtract(g, s)), math_ops.multiply(g, t)
        )
    return dg, dy


register_op(
    "Softmax",
    _softmax_kernel,
    _axis_shape("Softmax"),
    lambda op, g: (execute("SoftmaxGrad", (g, op.outputs[0]), op.attrs),),
)
register_op("SoftmaxGrad", _softmax_grad_kernel, unary_shape(), _softmax_grad_grad)


def _log_softmax_kernel(x, axis):
    shifted = x - np.max(x, axis=axis, keepdims=True)
    shifted -= np.log(np.sum(np.exp(shifted), axis=axis, keepdims=True))
    return shifted


def _log_softmax_grad(op, g):
    y = op.outputs[0]
    axis = op.attrs["axis"]
    return (
        math_ops.subtract(
            g, math_ops.multiply(math_ops.exp(y), math_ops.reduce_sum(g, axis, keepdims=True))
        ),
    )


register_op("LogSoftmax", _log_softmax_kernel, _axis_shape("LogSoftmax"), _log_softmax_grad)


def _axis_attr(x: Tensor, axis: Any) -> dict:
    if axis is None:
        axis = -1
    if isinstance(axis, Tensor):
        axis = int(axis.numpy())
    d = dims_of(x)
    if d is not None and d and not -len(d) <= int(axis) < len(d):
        raise errors.InvalidArgumentError(
            None,
            None,
            f"`axis` must be in the range [{-len(d)}, {len(d)}) where {len(d)} is "
            f"the number of dimensions in the input. Received: axis={axis}",
        )
    return {"axis": int(axis)}


def softmax(logits: Any, axis: int | None = None, name: str | None = None) -> Tensor:
    """`tf.nn.softmax`: exp(logits) / sum(exp(logits), axis), computed stably.

    >>> import ndflow as tf
    >>> tf.nn.softmax(tf.constant([0.0, 0.0])).numpy()
    array([0.5, 0.5], dtype=float32)
    """
    x = _float_input(logits, "Softmax")
    return execute("Softmax", (x,), _axis_attr(x, axis))


def log_softmax(logits: Any, axis: int | None = None, name: str | None = None) -> Tensor:
    """`tf.nn.log_softmax`: logits - log(sum(exp(logits), axis))."""
    x = _float_input(logits, "LogSoftmax")
    return execute("LogSoftmax", (x,), _axis_attr(x, axis))


# ---------------------------------------------------------------------------- bias_add


def _bias_axis(ndim: int, data_format: str) -> int:
    return 1 if data_format.startswith("NC") and ndim > 2 else ndim - 1


def _bias_add_numba(x: np.ndarray, b: np.ndarray, data_format: str) -> Any:
    """The numba module when BiasAdd of these arrays can take its one-pass kernels."""
    if (
        x.size < _NUMBA_MIN_SIZE
        or _bias_axis(x.ndim, data_format) != x.ndim - 1
        or x.dtype != b.dtype
        or not x.flags.c_contiguous
    ):
        return None
    return numba_kernels(x.dtype)


def _bias_add_kernel(x, b, data_format):
    nb = _bias_add_numba(x, b, data_format)
    if nb is not None:
        x2 = x.reshape(-1, x.shape[-1])
        return nb.bias_add(x2, np.ascontiguousarray(b)).reshape(x.shape)
    axis = _bias_axis(x.ndim, data_format)
    if axis == x.ndim - 1:
        return x + b
    return x + b.reshape((-1,) + (1,) * (x.ndim - 2))


def _bias_add_inplace(x, b, data_format):
    nb = _bias_add_numba(x, b, data_format)
    if nb is not None:
        nb.bias_add_inplace(x.reshape(-1, x.shape[-1]), np.ascontiguousarray(b))
        return x
    if x.dtype != b.dtype:
        return _bias_add_kernel(x, b, data_format)
    axis = _bias_axis(x.ndim, data_format)
    x += b if axis == x.ndim - 1 else b.reshape((-1,) + (1,) * (x.ndim - 2))
    return x


def _bias_add_relu_kernel(x, b, data_format):
    """relu(bias_add(x, b)): the executor's fusion of a BiasAdd feeding only a Relu."""
    nb = _bias_add_numba(x, b, data_format)
    if nb is not None:
        x2 = x.reshape(-1, x.shape[-1])
        return nb.bias_add_relu(x2, np.ascontiguousarray(b)).reshape(x.shape)
    return _relu_inplace(_bias_add_kernel(x, b, data_format))


def _bias_add_relu_inplace(x, b, data_format):
    nb = _bias_add_numba(x, b, data_format)
    if nb is not None:
        nb.bias_add_relu_inplace(x.reshape(-1, x.shape[-1]), np.ascontiguousarray(b))
        return x
    return _relu_inplace(_bias_add_inplace(x, b, data_format))


def _bias_add_shape(inputs, attrs):
    x, b = inputs
    xd, bd = dims_of(x), dims_of(b)
    if xd is not None and len(xd) < 2:
        raise invalid("BiasAdd", f"Input tensor must be at least 2D: {dims_str(xd)}")
    if bd is not None and len(bd) != 1:
        raise invalid("BiasAdd", f"Biases must be 1D: {dims_str(bd)}")
    if xd is not None and bd is not None:
        c = xd[_bias_axis(len(xd), attrs["data_format"])]
        if c is not None and bd[0] is not None and c != bd[0]:
            raise invalid(
                "BiasAdd",
                f"Must provide as many biases as the last dimension of the input tensor: "
                f"{dims_str(bd)} vs. {dims_str(xd)}",
            )
    if x.dtype is not b.dtype:
        raise invalid(
            "BiasAdd",
            f"cannot compute BiasAdd as input #1(zero-based) was expected to be a "
            f"{cpp_name(x.dtype)} tensor but is a {cpp_name(b.dtype)} tensor",
        )
    return [(xd, x.dtype)]


def _bias_add_grad(op, g):
    db = None if _skip(op, 1) else execute("BiasAddGrad", (g,), op.attrs)
    return g, db


def _bias_add_grad_kernel(g, data_format):
    axis = _bias_axis(g.ndim, data_format)
    if axis == g.ndim - 1:
        g2 = g.reshape(-1, g.shape[-1])
        # A BLAS matrix-vector product sums the rows several times faster than np.sum.
        if g.dtype in (np.float32, np.float64):
            rows, c = g2.shape
            m = 512 // c if c else 0
            if g2.size >= 1 << 16 and c <= 32 and rows % m == 0 and g2.flags.c_contiguous:
                # Few channels: m rows side by side make a row of ~512 (BLAS's gemv runs
                # 1.4x faster on 32 channels of the CNN's first layer), m partial sums.
                wide = g2.reshape(rows // m, m * c)
                return (np.ones(rows // m, g.dtype) @ wide).reshape(m, c).sum(0)
            return np.ones(rows, g.dtype) @ g2
        return g2.sum(0, dtype=g.dtype)
    return np.sum(g, axis=tuple(a for a in range(g.ndim) if a != 1), dtype=g.dtype)


def _bias_add_grad_grad(op, gg):
    g = op.inputs[0]
    rank = len(dims_of(g))
    axis = _bias_axis(rank, op.attrs["data_format"])
    axes = tuple(a for a in range(rank) if a != axis)
    return (math_ops.broadcast_like(gg, g, axes, False),)


register_op("BiasAdd", _bias_add_kernel, _bias_add_shape, _bias_add_grad)

# For the graph executor (graph/executor.py), which owns the decisions; these only say what
# is possible.
# In-place variants: op type (or fused name) -> a kernel taking the op's arguments that may
# overwrite its first input and return it. The executor passes a buffer only at its last
# use and when nothing else references it (buffer donation), so no tensor changes value.
# Each returns exactly what the op's kernel returns (tests/ops/test_nn_fusions.py).
INPLACE_KERNELS = {
    "BiasAdd": _bias_add_inplace,
    "Relu": _relu_inplace,
    "ReluGrad": _relu_grad_inplace,
    "BiasAdd+Relu": _bias_add_relu_inplace,
}
# Fusions: (producer, consumer) op types -> (fused name, kernel taking the producer's
# arguments and attrs[, pattern]), used when the producer's only output feeds only the
# consumer, which has no attrs and whose inputs are given by the pattern: "out" for the
# producer's output, an int i for the producer's input i; by default ("out",). conv_ops
# adds MaxPoolGrad -> ReluGrad.
FUSED_KERNELS: dict = {("BiasAdd", "Relu"): ("BiasAdd+Relu", _bias_add_relu_kernel)}
register_op(
    "BiasAddGrad",
    _bias_add_grad_kernel,
    lambda inputs, attrs: [
        (
            (
                None
                if dims_of(inputs[0]) is None
                else (
                    dims_of(inputs[0])[_bias_axis(len(dims_of(inputs[0])), attrs["data_format"])],
                )
            ),
            inputs[0].dtype,
        )
    ],
    _bias_add_grad_grad,
)


def bias_add(
    value: Any, bias: Any, data_format: str | None = None, name: str | None = None
) -> Tensor:
    """`tf.nn.bias_add`: value + bias along the channel axis (last, or 1 for NC* formats).

    >>> import ndflow as tf
    >>> tf.nn.bias_add(tf.zeros((2, 3)), tf.constant([1.0, 2.0, 3.0])).numpy()[0]
    array([1., 2., 3.], dtype=float32)
    """
    x = to_tensor(value)
    b = to_tensor(bias, dtype=x.dtype) if not isinstance(bias, Tensor) else bias
    fmt = data_format or "NHWC"
    if not (fmt.startswith("N") and (fmt.endswith("C") or fmt.startswith("NC"))):
        raise ValueError(f"data_format must be of the form `N...C` or `NC...`. Received: {fmt}")
    return execute(
        "BiasAdd",
        (x, b),
        # Channels-first formats (NCHW, NCW, ...) add along axis 1; the rest along the last.
        {"data_format": "NCHW" if fmt.startswith("NC") and fmt != "NC" else "NHWC"},
    )


# ---------------------------------------------------------------------------- in_top_k


def _in_top_k_kernel(predictions, targets, k):
    n, c = predictions.shape
    k = int(k)
    t = targets.astype(np.int64)
    valid = (t >= 0) & (t < c)
    tp = predictions[np.arange(n), np.where(valid, t, 0)]
    finite = np.all(np.isfinite(predictions), axis=1) & np.isfinite(tp)
    more = np.sum(predictions > tp[:, None], axis=1)
    return valid & finite & (more < k)


def _in_top_k_shape(inputs, attrs):
    p, t, _ = inputs
    pd, td = dims_of(p), dims_of(t)
    if pd is not None and len(pd) != 2:
        raise invalid("InTopKV2", f"predictions must be 2-dimensional, got {dims_str(pd)}")
    if td is not None and len(td) != 1:
        raise invalid("InTopKV2", f"targets must be 1-dimensional, got {dims_str(td)}")
    if pd is not None and td is not None and None not in (pd[0], td[0]) and pd[0] != td[0]:
        raise invalid(
            "InTopKV2",
            f"First dimension of predictions {pd[0]} must match length of targets {td[0]}",
        )
    return [(None if pd is None else (pd[0],), dtypes.bool)]


register_op("InTopKV2", _in_top_k_kernel, _in_top_k_shape)


def in_top_k(targets: Any, predictions: Any, k: Any, name: str | None = None) -> Tensor:
    """`tf.math.in_top_k`: whether each target is among its row's top `k` predictions.

    Ties count as in the top k; rows with a non-finite prediction give False.

    >>> import ndflow as tf
    >>> tf.nn.in_top_k([1, 0], [[0.1, 0.9], [0.2, 0.8]], 1).numpy()
    array([ True, False])
    """
    p = (
        to_tensor(predictions, dtype=dtypes.float32)
        if not isinstance(predictions, Tensor)
        else predictions
    )
    check_dtype(p, (dtypes.float32,), "InTopKV2")
    t = to_tensor(targets, dtype=dtypes.int32) if not isinstance(targets, Tensor) else targets
    check_dtype(t, (dtypes.int32, dtypes.int64), "InTopKV2", 1)
    kt = to_tensor(k, dtype=t.dtype) if not isinstance(k, Tensor) else k
    return execute("InTopKV2", (p, t, kt))


# ---------------------------------------------------------------------------- dropout
# TF builds dropout from RandomUniform; the random ops live with the random helper, so
# dropout draws its own mask here from a seeded NumPy Generator.

_generators: dict = {}
_gen_lock = threading.Lock()
_unseeded: list = []  # the fresh-entropy Generator, made on first use (numpy.random is slow to import)


def _generator(seed: int | None, seed2: int | None) -> np.random.Generator:
    """One Generator per (global, op) seed pair: repeated runs continue its stream, as a
    TF random op with fixed seeds does; unseeded calls share one fresh-entropy stream."""
    if seed is None and seed2 is None:
        if not _unseeded:
            _unseeded.append(np.random.default_rng())
        return _unseeded[0]
    key = (seed, seed2)
    with _gen_lock:
        gen = _generators.get(key)
        if gen is None:
            gen = np.random.default_rng([int(seed or 0) & 0xFFFFFFFF, int(seed2 or 0) & 0xFFFFFFFF])
            _generators[key] = gen
    return gen


def reset_generators(global_seed: int | None = None) -> None:
    """Restarts the seeded dropout streams (all, or those of one global seed), as
    `tf.random.set_seed` restarts TF's; `set_seed` should call this."""
    with _gen_lock:
        for key in [k for k in _generators if global_seed is None or k[0] == global_seed]:
            del _generators[key]


def _dropout_mask_kernel(x, rate, seed, seed2, noise_shape):
    shape = (
        x.shape
        if noise_shape is None
        else tuple(x.shape[i] if d is None else d for i, d in enumerate(noise_shape))
        if len(noise_shape) == x.ndim
        else tuple(noise_shape)
    )
    u = _generator(seed, seed2).random(
        shape, dtype=np.float64 if x.dtype == np.float64 else np.float32
    )
    scale = x.dtype.type(1.0 / (1.0 - rate))
    return np.where(u >= rate, scale, x.dtype.type(0))


def _dropout_mask_shape(inputs, attrs):
    ns = attrs["noise_shape"]
    d = dims_of(inputs[0])
    if ns is None:
        return [(d, inputs[0].dtype)]
    if d is not None and len(ns) == len(d):
        return [(tuple(d[i] if v is None else v for i, v in enumerate(ns)), inputs[0].dtype)]
    return [(tuple(ns), inputs[0].dtype)]


register_op("DropoutMask", _dropout_mask_kernel, _dropout_mask_shape, stateful=True)


def dropout(
    x: Any,
    rate: Any,
    noise_shape: Any = None,
    seed: int | None = None,
    name: str | None = None,
) -> Tensor:
    """`tf.nn.dropout`: zeroes elements with probability `rate`, scales the rest by
    1 / (1 - rate) so the expected value is unchanged.

    >>> import ndflow as tf
    >>> y = tf.nn.dropout(tf.ones((1000,)), 0.5, seed=1)
    >>> sorted(set(y.numpy().tolist()))
    [0.0, 2.0]
    """
    x = _float_input(x, "Dropout")
    if isinstance(rate, Tensor):
        rate = static_value(rate)
        if rate is None:
            raise NotImplementedError("dropout needs a rate known when the op is built")
    rate = float(rate)
    if not 0 <= rate < 1:
        raise ValueError(
            f"`rate` must be a scalar tensor or a float in the range [0, 1). Received: rate={rate}"
        )
    if rate == 0:
        return x
    ns = None
    if noise_shape is not None:
        if isinstance(noise_shape, Tensor):
            noise_shape = noise_shape.numpy().tolist()
        ns = tuple(None if v is None else int(v) for v in noise_shape)
    s1, s2 = context.get_seed(seed)
    if seed is None and s2 == 1:
        # The op-seed counter was just reset by set_seed: restart this seed's streams.
        reset_generators(s1)
    mask = execute("DropoutMask", (x,), {"rate": rate, "seed": s1, "seed2": s2, "noise_shape": ns})
    return math_ops.multiply(x, mask)


# ---------------------------------------------------------------------------- normalization


def moments(
    x: Any, axes: Any, shift: Any = None, keepdims: bool = False, name: str | None = None
) -> tuple:
    """`tf.nn.moments`: the mean and variance of `x` over `axes`.

    >>> import ndflow as tf
    >>> m, v = tf.nn.moments(tf.constant([1.0, 2.0, 3.0]), axes=[0])
    >>> float(m), round(float(v), 4)
    (2.0, 0.6667)
    """
    x = _float_input(x, "Mean")
    axes = [int(a) for a in (axes.numpy().tolist() if isinstance(axes, Tensor) else axes)]
    mean = math_ops.reduce_mean(x, axes, keepdims=True)
    dev = math_ops.subtract(x, array_ops.stop_gradient(mean))
    variance = math_ops.reduce_mean(math_ops.square(dev), axes, keepdims=keepdims)
    if not keepdims:
        mean = math_ops.reduce_mean(x, axes, keepdims=False)
    return mean, variance


def batch_normalization(
    x: Any,
    mean: Any,
    variance: Any,
    offset: Any,
    scale: Any,
    variance_epsilon: float,
    name: str | None = None,
) -> Tensor:
    """`tf.nn.batch_normalization`: scale * (x - mean) / sqrt(variance + eps) + offset.

    `offset` and `scale` may be None.
    """
    x = _float_input(x, "BatchNormalization")

    def conv(v: Any) -> Tensor:
        return v if isinstance(v, Tensor) else convert_to_tensor(v, dtype=x.dtype)

    mean, variance = conv(mean), conv(variance)
    inv = math_ops.pow(
        math_ops.add(variance, convert_to_tensor(variance_epsilon, dtype=x.dtype)), -0.5
    )
    if scale is not None:
        inv = math_ops.multiply(inv, conv(scale))
    shift = math_ops.negative(math_ops.multiply(mean, inv))
    if offset is not None:
        shift = math_ops.add(shift, conv(offset))
    return math_ops.add(math_ops.multiply(x, inv), shift)


def fused_batch_norm(
    x: Any,
    scale: Any,
    offset: Any,
    mean: Any = None,
    variance: Any = None,
    epsilon: float = 0.001,
    data_format: str = "NHWC",
    is_training: bool = True,
    name: str | None = None,
    exponential_avg_factor: float = 1.0,
) -> tuple:
    """`tf.compat.v1.nn.fused_batch_norm` for NHWC 4-D input: (y, mean, variance).

    In training the batch statistics are used and the returned variance is the unbiased
    (n / (n - 1)) one, as TensorFlow returns it for updating moving averages.
    """
    if data_format != "NHWC":
        raise errors.UnimplementedError(
            None, None, f"fused_batch_norm supports only NHWC. Received: data_format={data_format}"
        )
    x = _float_input(x, "FusedBatchNormV3")
    if is_training:
        batch_mean, batch_var = moments(x, [0, 1, 2])
        y = batch_normalization(x, batch_mean, batch_var, offset, scale, epsilon)
        d = dims_of(x)
        n = None if d is None or None in d[:3] else d[0] * d[1] * d[2]
        if n is not None and n > 1:
            batch_var = math_ops.multiply(batch_var, convert_to_tensor(n / (n - 1), dtype=x.dtype))
        if exponential_avg_factor != 1.0 and mean is not None and variance is not None:
            f = exponential_avg_factor
            batch_mean = math_ops.add(
                math_ops.multiply(to_tensor(mean), 1 - f), math_ops.multiply(batch_mean, f)
            )
            batch_var = math_ops.add(
                math_ops.multiply(to_tensor(variance), 1 - f), math_ops.multiply(batch_var, f)
            )
        return y, batch_mean, batch_var
    if mean is None or variance is None:
        raise ValueError("fused_batch_norm needs `mean` and `variance` when is_training=False")
    mean, variance = to_tensor(mean), to_tensor(variance)
    return batch_normalization(x, mean, variance, offset, scale, epsilon), mean, variance


def sufficient_statistics(
    x: Any, axes: Any, shift: Any = None, keepdims: bool = False, name: str | None = None
) -> tuple:
    """`tf.nn.sufficient_statistics`: (count, sum(x - shift), sum((x - shift)**2), shift)."""
    x = _float_input(x, "SufficientStatistics")
    axes = [int(a) for a in (axes.numpy().tolist() if isinstance(axes, Tensor) else axes)]
    d = dims_of(x)
    if d is not None and all(d[a] is not None for a in axes):
        count = convert_to_tensor(float(np.prod([d[a] for a in axes])), dtype=x.dtype)
    else:
        count = math_ops.cast(execute("SizeRatio", (x, math_ops.reduce_sum(x, axes))), x.dtype)
    y = x if shift is None else math_ops.subtract(x, to_tensor(shift, x.dtype))
    m_ss = math_ops.reduce_sum(y, axes, keepdims=keepdims)
    v_ss = math_ops.reduce_sum(math_ops.square(y), axes, keepdims=keepdims)
    return count, m_ss, v_ss, (None if shift is None else to_tensor(shift, x.dtype))


def normalize_moments(
    counts: Any, mean_ss: Any, variance_ss: Any, shift: Any, name: str | None = None
) -> tuple:
    """`tf.nn.normalize_moments`: (mean, variance) from sufficient statistics."""
    m = to_tensor(mean_ss)
    divisor = math_ops.truediv(math_ops.ones_like(m), to_tensor(counts, m.dtype))
    shifted_mean = math_ops.multiply(m, divisor)
    mean = shifted_mean if shift is None else math_ops.add(shifted_mean, to_tensor(shift, m.dtype))
    variance = math_ops.subtract(
        math_ops.multiply(to_tensor(variance_ss, m.dtype), divisor), math_ops.square(shifted_mean)
    )
    return mean, variance
