"""Constructors: `tf.fill`, `zeros`, `ones`, `eye`, `range`, `linspace` and `meshgrid`.

`range` and `linspace` infer dtypes as TensorFlow does (`tf.range(5)` is int32, integer
`linspace` endpoints give float64).
"""

from __future__ import annotations

import builtins
from typing import Any

import numpy as np

from ndflow._src.core import dtypes
from ndflow._src.framework.constant import convert_to_tensor
from ndflow._src.framework.execute import execute
from ndflow._src.framework.op_registry import register_op
from ndflow._src.framework.tensor import Tensor, static_value, wrap_with_dtype
from ndflow._src.ops import array_ops, math_ops
from ndflow._src.ops.array_ops import (
    _axis_value,
    _dim,
    _int_input,
    _static_ints,
    broadcast_to,
    reshape,
)
from ndflow._src.ops.op_util import (
    binary_operands,
    broadcast_dims,
    dims_of,
    dims_str,
    invalid,
    to_tensor,
)

_I32 = dtypes.int32


# ---------------------------------------------------------------------------- fills


def _fill_rule(inputs, attrs):
    d, v = inputs
    dims = _static_ints(d)
    if dims is None:
        n = dims_of(d)
        return [(None if n is None or n[0] is None else (None,) * n[0], v.dtype)]
    return [(tuple(dims), v.dtype)]


def _fill_kernel(dims, value):
    if value.ndim:
        raise ValueError("value must be a scalar")
    if np.any(dims < 0):
        raise ValueError("dims")
    return np.full(tuple(int(d) for d in dims), value, dtype=value.dtype)


def _fill_rule_checked(inputs, attrs):
    v = inputs[1]
    vd = dims_of(v)
    if vd is not None and len(vd) != 0:
        raise invalid("Fill", f"value must be a scalar, got a tensor with shape {dims_str(vd)}")
    out = _fill_rule(inputs, attrs)
    if out[0][0] is not None and any(d is not None and d < 0 for d in out[0][0]):
        raise invalid("Fill", f"dims must be non-negative, got {dims_str(out[0][0])}")
    return out


register_op(
    "Fill",
    _fill_kernel,
    _fill_rule_checked,
    lambda op, g: (None, math_ops.reduce_sum(g)),
)


def fill(dims: Any, value: Any, name: str | None = None, layout: Any = None) -> Tensor:
    """`tf.fill`: a tensor of shape `dims` with every element `value`.

    >>> import ndflow as tf
    >>> tf.fill([2], 3).numpy()
    array([3, 3], dtype=int32)
    """
    return execute("Fill", (_int_input(dims), to_tensor(value)))


def _filled(shape_: Any, dtype: Any, value: int) -> Tensor:
    dtype = dtype if isinstance(dtype, dtypes.DType) else dtypes.as_dtype(dtype)
    if type(shape_) in (list, tuple) and dtype is not dtypes.string:
        if all(type(d) is int and d >= 0 for d in shape_):  # the common, all-static case
            return wrap_with_dtype(np.full(shape_, value, dtype=dtype._np), dtype)
    dims = _int_input(shape_) if not isinstance(shape_, (int, np.integer)) else _int_input([shape_])
    static = _static_ints(dims)
    if static is not None and isinstance(shape_, (list, tuple, int, np.integer, np.ndarray)):
        if any(d < 0 for d in static):
            raise invalid("Fill", f"dims must be non-negative, got {dims_str(tuple(static))}")
        if dtype is dtypes.string:
            arr = np.full(static, b"", dtype=object)
        else:
            arr = np.full(static, value, dtype=dtype._np)
        return wrap_with_dtype(arr, dtype)
    v = b"" if dtype is dtypes.string else value
    return execute("Fill", (dims, wrap_with_dtype(np.asarray(v, dtype=dtype._np), dtype)))


def zeros(
    shape: Any, dtype: Any = dtypes.float32, name: str | None = None, layout: Any = None
) -> Tensor:  # noqa: A002
    """`tf.zeros`: a tensor of zeros.

    >>> import ndflow as tf
    >>> tf.zeros([2, 3]).dtype
    tf.float32
    """
    return _filled(shape, dtype, 0)


def ones(
    shape: Any, dtype: Any = dtypes.float32, name: str | None = None, layout: Any = None
) -> Tensor:  # noqa: A002
    """`tf.ones`: a tensor of ones.

    >>> import ndflow as tf
    >>> tf.ones([2], tf.int32).numpy()
    array([1, 1], dtype=int32)
    """
    return _filled(shape, dtype, 1)


def eye(
    num_rows: int,
    num_columns: int | None = None,
    batch_shape: Any = None,
    dtype: Any = dtypes.float32,
    name: str | None = None,
) -> Tensor:
    """`tf.eye`: an identity matrix (or a batch of them).

    >>> import ndflow as tf
    >>> tf.eye(2, 3).numpy()
    array([[1., 0., 0.],
           [0., 1., 0.]], dtype=float32)
    """
    dtype = dtypes.as_dtype(dtype)
    rows = _axis_value(num_rows, "num_rows")
    cols = rows if num_columns is None else _axis_value(num_columns, "num_columns")
    m = np.eye(rows, cols, dtype=dtype._np)
    if batch_shape is not None:
        b = _static_ints(_int_input(batch_shape))
        if b is None:
            raise ValueError("ndflow needs a statically known `batch_shape` for tf.eye.")
        m = np.broadcast_to(m, tuple(b) + m.shape).copy()
    return wrap_with_dtype(m, dtype)


# ---------------------------------------------------------------------------- range, linspace

_RANGE_ORDER = (dtypes.int32, dtypes.int64, dtypes.float32, dtypes.float64)


def _range_kernel(start, limit, delta, Tidx):  # noqa: N803 - TF's attr name
    s, lim, d = start.item(), limit.item(), delta.item()
    if d == 0:
        raise ValueError(f"Requires delta != 0: {d}")
    if d > 0 and s > lim:
        raise ValueError(f"Requires start <= limit when delta > 0: {s}/{lim}")
    if d < 0 and s < lim:
        raise ValueError(f"Requires start >= limit when delta < 0: {s}/{lim}")
    return np.arange(s, lim, d, dtype=Tidx._np)


def _range_rule(inputs, attrs):
    vals = [static_value(t) for t in inputs]
    if any(v is None for v in vals):
        return [((None,), attrs["Tidx"])]
    s, lim, d = (np.asarray(v).item() for v in vals)
    if d == 0:
        raise invalid("Range", f"Requires delta != 0: {d}")
    if d > 0 and s > lim:
        raise invalid("Range", f"Requires start <= limit when delta > 0: {s}/{lim}")
    if d < 0 and s < lim:
        raise invalid("Range", f"Requires start >= limit when delta < 0: {s}/{lim}")
    n = int(np.ceil((lim - s) / d)) if attrs["Tidx"].is_floating else -((s - lim) // d)
    return [((max(n, 0),), attrs["Tidx"])]


register_op("Range", _range_kernel, _range_rule)


def range(
    start: Any, limit: Any = None, delta: Any = 1, dtype: Any = None, name: str = "range"
) -> Tensor:  # noqa: A001
    """`tf.range`: `[start, start + delta, ...]` up to but excluding `limit`.

    The dtype is the widest of the arguments' dtypes (Python ints int32, floats float32)
    unless `dtype` is given.

    >>> import ndflow as tf
    >>> tf.range(5).dtype, tf.range(0, 1, 0.5).dtype
    (tf.int32, tf.float32)
    """
    if limit is None:
        start, limit = 0, start
    if dtype is not None:
        dtype = dtypes.as_dtype(dtype)
        args = [
            math_ops.cast(a, dtype)
            if isinstance(a, Tensor)
            else convert_to_tensor(np.asarray(a, dtype._np))
            for a in (start, limit, delta)
        ]
    else:
        args = [to_tensor(a) for a in (start, limit, delta)]
        inferred = [a.dtype for a in args]
        dtype = max(inferred, key=lambda d: _RANGE_ORDER.index(d) if d in _RANGE_ORDER else -1)
        args = [math_ops.cast(a, dtype) for a in args]
    return execute("Range", tuple(args), {"Tidx": dtype})


def _linspace_rule(inputs, attrs):
    start, stop, num = inputs
    n = _static_ints(num)
    dims = broadcast_dims(dims_of(start), dims_of(stop), "LinSpace")
    if dims is None:
        return [(None, start.dtype)]
    axis = attrs["axis"]
    a = axis % (len(dims) + 1)
    return [(dims[:a] + (None if n is None else n[0],) + dims[a:], start.dtype)]


def _linspace_kernel(start, stop, num, axis):
    num = int(num)
    return np.linspace(start, stop, num, axis=axis).astype(start.dtype)


def _linspace_grad(op, g):
    start, stop, num = op.inputs
    n = _static_ints(num)
    if n is None:
        raise NotImplementedError("The gradient of tf.linspace needs a static `num`.")
    n = n[0]
    frac_np = np.arange(n) / (n - 1) if n > 1 else np.zeros(1)
    axis = op.attrs["axis"]
    r = len(dims_of(g))
    a = axis % r
    frac_np = frac_np.reshape((-1,) + (1,) * (r - a - 1))
    frac = wrap_with_dtype(frac_np.astype(g.dtype._np), g.dtype)
    g_stop = math_ops.reduce_sum(math_ops.multiply(g, frac), axis=a)
    g_start = math_ops.reduce_sum(g, axis=a) - g_stop
    return g_start, g_stop, None


register_op("LinSpace", _linspace_kernel, _linspace_rule, _linspace_grad)


def linspace(start: Any, stop: Any, num: Any, name: str | None = None, axis: int = 0) -> Tensor:
    """`tf.linspace`: `num` evenly spaced values from `start` to `stop` inclusive.

    Integer endpoints give float64 values, as in TensorFlow.

    >>> import ndflow as tf
    >>> tf.linspace(-3, 3, 3).numpy()
    array([-3.,  0.,  3.])
    """
    s, e = to_tensor(start), to_tensor(stop)
    if s.dtype.is_integer:
        s = math_ops.cast(s, dtypes.float64)
    if e.dtype.is_integer:
        e = math_ops.cast(e, dtypes.float64)
    if not isinstance(start, Tensor) and isinstance(stop, Tensor):
        s = math_ops.cast(s, e.dtype)
    elif not isinstance(stop, Tensor):
        e = math_ops.cast(e, s.dtype)
    s, e = binary_operands(s, e, "LinSpace")
    return execute("LinSpace", (s, e, _int_input(num)), {"axis": _axis_value(axis)})


# ---------------------------------------------------------------------------- meshgrid


def meshgrid(*args: Any, **kwargs: Any) -> list:
    """`tf.meshgrid`: coordinate grids from 1-D coordinate vectors (`indexing="xy"` or
    "ij").

    >>> import ndflow as tf
    >>> [g.shape for g in tf.meshgrid([1, 2], [3, 4, 5])]
    [TensorShape([3, 2]), TensorShape([3, 2])]
    """
    indexing = kwargs.pop("indexing", "xy")
    kwargs.pop("name", None)
    if kwargs:
        raise TypeError(f"'{next(iter(kwargs))}' is an invalid keyword argument for this function")
    if indexing not in ("xy", "ij"):
        raise ValueError(
            f"Argument `indexing` parameter must be either 'xy' or 'ij', got '{indexing}'"
        )
    xs = [reshape(to_tensor(a), [-1]) for a in args]
    n = len(xs)
    if n == 0:
        return []
    sizes = [_dim(x, 0) for x in xs]
    if indexing == "xy" and n > 1:
        sizes[0], sizes[1] = sizes[1], sizes[0]
    if any(s is None for s in sizes):
        order = [1, 0] + list(builtins.range(2, n)) if indexing == "xy" and n > 1 else None
        dyn = [array_ops.size(x) for x in xs]
        sizes = array_ops.stack([dyn[i] for i in order] if order else dyn)
    out = []
    for i, x in enumerate(xs):
        pos = i
        if indexing == "xy" and n > 1 and i < 2:
            pos = 1 - i
        target = [1] * n
        target[pos] = -1
        out.append(broadcast_to(reshape(x, target), sizes))
    return out
