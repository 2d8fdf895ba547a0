"""Reductions beyond sum and mean: max, min, prod, any, all, euclidean norm, logsumexp,
std, variance, count_nonzero, argmax/argmin, and the scans cumsum/cumprod.

Each op: kernel, shape rule and gradient side by side, then the public function.
`reduce_sum`/`reduce_mean` live in math_ops because the gradient walker needs them.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ndflow._src.core import dtypes
from ndflow._src.framework.execute import execute
from ndflow._src.framework.op_registry import register_op
from ndflow._src.framework.tensor import Tensor, static_value
from ndflow._src.ops import op_util
from ndflow._src.ops.array_ops import stop_gradient, where
from ndflow._src.ops.binary_ops import divide_no_nan, squared_difference
from ndflow._src.ops.math_ops import (
    FLOAT_TYPES,
    NUMERIC_TYPES,
    REAL_TYPES,
    _axes_attr,
    add,
    add_n,
    broadcast_like,
    cast,
    check_bool,
    check_type,
    divide_,
    equal,
    greater,
    less,
    log,
    multiply,
    negative,
    not_equal,
    ones_like,
    reduce_mean,
    reduce_sum,
    reduction_attrs,
    reduction_shape,
    subtract,
    zeros_like,
)
from ndflow._src.ops.math_ops import exp as exp_
from ndflow._src.ops.op_util import dims_of, to_tensor
from ndflow._src.ops.unary_ops import conj, is_finite, real, sqrt

# ---------------------------------------------------------------------------- max / min


def _extreme_kernel(np_fn, empty_value):
    def kernel(x, axis, keepdims):
        if x.size == 0:
            # TensorFlow reduces empty tensors to the identity: -inf / lowest for max.
            return np_fn(x, axis=axis, keepdims=keepdims, initial=empty_value(x.dtype))
        return np_fn(x, axis=axis, keepdims=keepdims)

    return kernel


def _lowest(dt):
    return -np.inf if dt.kind == "f" else np.iinfo(dt).min


def _highest(dt):
    return np.inf if dt.kind == "f" else np.iinfo(dt).max


def _min_or_max_grad(op, g):
    # Ties share the gradient equally, as in TensorFlow.
    x, y = op.inputs[0], op.outputs[0]
    axis, keepdims = op.attrs["axis"], op.attrs["keepdims"]
    y_full = broadcast_like(y, x, axis, keepdims)
    indicators = cast(equal(y_full, x), g.dtype)
    num_selected = reduce_sum(indicators, axis, keepdims=True)
    return (multiply(divide_(indicators, num_selected), broadcast_like(g, x, axis, keepdims)),)


register_op("Max", _extreme_kernel(np.max, _lowest), reduction_shape("Max"), _min_or_max_grad)
register_op("Min", _extreme_kernel(np.min, _highest), reduction_shape("Min"), _min_or_max_grad)


def reduce_max(
    input_tensor: Any, axis: Any = None, keepdims: bool = False, name: str | None = None
) -> Tensor:
    """`tf.math.reduce_max`: the largest element over `axis` (all axes when None).

    Tied maxima share the gradient equally.

    >>> import ndflow as tf
    >>> tf.reduce_max(tf.constant([[1, 5], [3, 4]]), axis=1)
    <tf.Tensor: shape=(2,), dtype=int32, numpy=array([5, 4], dtype=int32)>
    """
    x = to_tensor(input_tensor)
    check_type(x, REAL_TYPES, "Max")
    return execute("Max", (x,), reduction_attrs(x, axis, keepdims))


def reduce_min(
    input_tensor: Any, axis: Any = None, keepdims: bool = False, name: str | None = None
) -> Tensor:
    """`tf.math.reduce_min`: the smallest element over `axis` (all axes when None)."""
    x = to_tensor(input_tensor)
    check_type(x, REAL_TYPES, "Min")
    return execute("Min", (x,), reduction_attrs(x, axis, keepdims))


# ---------------------------------------------------------------------------- prod


def _prod_kernel(x, axis, keepdims):
    return np.prod(x, axis=axis, keepdims=keepdims, dtype=x.dtype)


def _prod_grad(op, g):
    """The product of every other element in each reduced block, without dividing (so
    zeros are handled): for reduced axes a1..ak, the leave-one-out product factors into
    one exclusive scan product per axis, each taken over the later axes' block products."""
    x = op.inputs[0]
    axis, keepdims = op.attrs["axis"], op.attrs["keepdims"]
    rank = len(x.shape._dims)
    axes = list(range(rank)) if axis is None else sorted({a % rank for a in axis})
    others = None
    for m, a in enumerate(axes):
        later = tuple(axes[m + 1 :])
        block = reduce_prod(x, later, keepdims=True) if later else x
        left = cumprod(block, a, exclusive=True)
        right = cumprod(block, a, exclusive=True, reverse=True)
        term = multiply(left, right)
        others = term if others is None else multiply(others, term)
    if others is None:
        return (broadcast_like(g, x, axis, keepdims),)
    return (multiply(broadcast_like(g, x, axis, keepdims), others),)


register_op("Prod", _prod_kernel, reduction_shape("Prod"), _prod_grad)


def reduce_prod(
    input_tensor: Any, axis: Any = None, keepdims: bool = False, name: str | None = None
) -> Tensor:
    """`tf.math.reduce_prod`: the product over `axis` (all axes when None).

    >>> import ndflow as tf
    >>> tf.reduce_prod(tf.constant([[1.0, 2.0], [3.0, 4.0]]))
    <tf.Tensor: shape=(), dtype=float32, numpy=24.0>
    """
    x = to_tensor(input_tensor)
    check_type(x, NUMERIC_TYPES, "Prod")
    return execute("Prod", (x,), reduction_attrs(x, axis, keepdims))


# ---------------------------------------------------------------------------- any / all

register_op(
    "Any",
    lambda x, axis, keepdims: np.any(x, axis=axis, keepdims=keepdims),
    reduction_shape("Any"),
)
register_op(
    "All",
    lambda x, axis, keepdims: np.all(x, axis=axis, keepdims=keepdims),
    reduction_shape("All"),
)


def reduce_any(
    input_tensor: Any, axis: Any = None, keepdims: bool = False, name: str | None = None
) -> Tensor:
    """`tf.math.reduce_any`: logical OR over `axis` of a bool tensor."""
    x = to_tensor(input_tensor)
    check_bool(x, "Any")
    return execute("Any", (x,), reduction_attrs(x, axis, keepdims))


def reduce_all(
    input_tensor: Any, axis: Any = None, keepdims: bool = False, name: str | None = None
) -> Tensor:
    """`tf.math.reduce_all`: logical AND over `axis` of a bool tensor.

    >>> import ndflow as tf
    >>> tf.reduce_all(tf.constant([True, False]))
    <tf.Tensor: shape=(), dtype=bool, numpy=False>
    """
    x = to_tensor(input_tensor)
    check_bool(x, "All")
    return execute("All", (x,), reduction_attrs(x, axis, keepdims))


# ---------------------------------------------------------------------------- norms


def _euclidean_norm_kernel(x, axis, keepdims):
    if x.dtype.kind in "iu":
        s = np.sum(np.square(x.astype(np.float64)), axis=axis, keepdims=keepdims)
        return np.sqrt(s).astype(x.dtype)
    with np.errstate(all="ignore"):
        if x.dtype.kind == "c":
            s = np.sum(np.real(x * np.conj(x)), axis=axis, keepdims=keepdims)
            return np.sqrt(s).astype(x.dtype)
        return np.sqrt(np.sum(np.square(x), axis=axis, keepdims=keepdims, dtype=x.dtype))


def _euclidean_norm_grad(op, g):
    x, y = op.inputs[0], op.outputs[0]
    axis, keepdims = op.attrs["axis"], op.attrs["keepdims"]
    y_full = broadcast_like(y, x, axis, keepdims)
    return (multiply(divide_(x, y_full), broadcast_like(g, x, axis, keepdims)),)


register_op(
    "EuclideanNorm",
    _euclidean_norm_kernel,
    reduction_shape("EuclideanNorm"),
    _euclidean_norm_grad,
)


def reduce_euclidean_norm(
    input_tensor: Any, axis: Any = None, keepdims: bool = False, name: str | None = None
) -> Tensor:
    """`tf.math.reduce_euclidean_norm`: sqrt(sum(x ** 2)) over `axis` (integers truncate).

    >>> import ndflow as tf
    >>> tf.math.reduce_euclidean_norm(tf.constant([3.0, 4.0]))
    <tf.Tensor: shape=(), dtype=float32, numpy=5.0>
    """
    x = to_tensor(input_tensor)
    check_type(x, NUMERIC_TYPES, "EuclideanNorm")
    return execute("EuclideanNorm", (x,), reduction_attrs(x, axis, keepdims))


def reduce_logsumexp(
    input_tensor: Any, axis: Any = None, keepdims: bool = False, name: str | None = None
) -> Tensor:
    """`tf.math.reduce_logsumexp`: log(sum(exp(x))) over `axis`, computed stably by
    subtracting the (finite) maximum first, as TensorFlow does.

    >>> import ndflow as tf
    >>> tf.math.reduce_logsumexp(tf.constant([0.0, 0.0]))
    <tf.Tensor: shape=(), dtype=float32, numpy=0.6931471824645996>
    """
    x = to_tensor(input_tensor)
    axes = _axes_attr(x, axis)
    raw_max = reduce_max(x, axes, keepdims=True)
    finite = is_finite(raw_max)
    my_max = stop_gradient(where(finite, raw_max, zeros_like(raw_max)))
    result = log(reduce_sum(exp_(subtract(x, my_max)), axes, keepdims=keepdims))
    # my_max has size-1 reduced axes; summing over them drops them when keepdims is False.
    shift = my_max if keepdims else reduce_sum(my_max, axes, keepdims=False)
    return add(result, shift)


def reduce_variance(
    input_tensor: Any, axis: Any = None, keepdims: bool = False, name: str | None = None
) -> Tensor:
    """`tf.math.reduce_variance`: the mean squared deviation from the mean over `axis`.

    Raises:
        TypeError: for integer inputs, as TensorFlow does.

    >>> import ndflow as tf
    >>> tf.math.reduce_variance(tf.constant([1.0, 2.0, 3.0, 4.0]))
    <tf.Tensor: shape=(), dtype=float32, numpy=1.25>
    """
    x = to_tensor(input_tensor)
    if x.dtype.is_integer:
        raise TypeError(f"Input must be either real or complex. Received integer type {x.dtype}.")
    axes = _axes_attr(x, axis)
    means = reduce_mean(x, axes, keepdims=True)
    if x.dtype.is_complex:
        d = subtract(x, means)
        squared = real(multiply(conj(d), d))
    else:
        squared = squared_difference(x, means)
    return reduce_mean(squared, axes, keepdims=keepdims)


def reduce_std(
    input_tensor: Any, axis: Any = None, keepdims: bool = False, name: str | None = None
) -> Tensor:
    """`tf.math.reduce_std`: the standard deviation, sqrt(reduce_variance(x))."""
    return sqrt(reduce_variance(input_tensor, axis, keepdims))


def count_nonzero(
    input: Any,  # noqa: A002
    axis: Any = None,
    keepdims: Any = None,
    dtype: Any = dtypes.int64,
    name: str | None = None,
) -> Tensor:
    """`tf.math.count_nonzero`: how many elements are not zero (not "" for strings).

    >>> import ndflow as tf
    >>> tf.math.count_nonzero(tf.constant([1, 0, 2]))
    <tf.Tensor: shape=(), dtype=int64, numpy=2>
    """
    x = to_tensor(input)
    zero = b"" if x.dtype is dtypes.string else (False if x.dtype.is_bool else 0)
    nonzero = cast(not_equal(x, zero), dtypes.int64)
    return cast(reduce_sum(nonzero, axis, keepdims=bool(keepdims)), dtype)


# ---------------------------------------------------------------------------- argmax / argmin


def _arg_kernel(np_fn):
    def kernel(x, axis, output_type):
        return np_fn(x, axis=axis).astype(output_type._np, copy=False)

    return kernel


def _arg_shape(op_type: str):
    def rule(inputs, attrs):
        dims = dims_of(inputs[0])
        axis = attrs["axis"]
        if dims is None:
            return [(None, attrs["output_type"])]
        rank = len(dims)
        if not -rank <= axis < rank:
            raise op_util.invalid(
                op_type, f"Expected dimension in the range [{-rank}, {rank}), but got {axis}"
            )
        axis %= rank
        return [(dims[:axis] + dims[axis + 1 :], attrs["output_type"])]

    return rule


_ARG_TYPES = REAL_TYPES + (dtypes.bool,)
register_op("ArgMax", _arg_kernel(np.argmax), _arg_shape("ArgMax"))
register_op("ArgMin", _arg_kernel(np.argmin), _arg_shape("ArgMin"))


def _arg(op_type: str, input: Any, axis: Any, output_type: Any) -> Tensor:  # noqa: A002
    x = to_tensor(input)
    check_type(x, _ARG_TYPES, op_type)
    if axis is None:
        axis = 0
    if isinstance(axis, Tensor):
        axis = static_value(axis)
    out = dtypes.as_dtype(output_type)
    if out not in (dtypes.int32, dtypes.int64, dtypes.int16, dtypes.uint16):
        raise op_util.invalid(
            op_type,
            f"Value for attr 'output_type' of {op_util.cpp_name(out)} is not in the list of "
            "allowed values: int16, uint16, int32, int64",
        )
    attrs = {"axis": int(np.asarray(axis).reshape(())), "output_type": out}
    _arg_shape(op_type)([x], attrs)
    return execute(op_type, (x,), attrs)


def argmax(
    input: Any,  # noqa: A002
    axis: Any = None,
    output_type: Any = dtypes.int64,
    name: str | None = None,
) -> Tensor:
    """`tf.math.argmax`: the index of the largest value along `axis` (0 when None); ties
    give the first index.

    >>> import ndflow as tf
    >>> tf.argmax(tf.constant([1, 3, 2]))
    <tf.Tensor: shape=(), dtype=int64, numpy=1>
    """
    return _arg("ArgMax", input, axis, output_type)


def argmin(
    input: Any,  # noqa: A002
    axis: Any = None,
    output_type: Any = dtypes.int64,
    name: str | None = None,
) -> Tensor:
    """`tf.math.argmin`: the index of the smallest value along `axis` (0 when None)."""
    return _arg("ArgMin", input, axis, output_type)


# ---------------------------------------------------------------------------- scans


def _scan_kernel(np_fn, identity):
    def kernel(x, axis, exclusive, reverse):
        if reverse:
            x = np.flip(x, axis)
        out = np_fn(x, axis=axis, dtype=x.dtype)
        if exclusive:
            out = np.roll(out, 1, axis=axis)
            index = [slice(None)] * x.ndim
            index[axis] = slice(0, 1)
            out[tuple(index)] = identity
        if reverse:
            out = np.flip(out, axis)
        return np.ascontiguousarray(out)

    return kernel


def _scan_shape(op_type: str):
    def rule(inputs, attrs):
        dims = dims_of(inputs[0])
        axis = attrs["axis"]
        if dims is not None:
            rank = len(dims)
            if not -rank <= axis < rank:
                raise op_util.invalid(
                    op_type,
                    f"ScanOp: Expected scan axis in the range [{-rank}, {rank}), but got {axis}",
                )
        return [(dims, inputs[0].dtype)]

    return rule


def _cumsum_grad(op, g):
    a = op.attrs
    return (cumsum(g, a["axis"], exclusive=a["exclusive"], reverse=not a["reverse"]),)


def _cumprod_grad(op, g):
    # TensorFlow's rule: reverse-cumsum(prod * g) / x, with 0 where x is 0.
    x = op.inputs[0]
    a = op.attrs
    prod = cumprod(x, a["axis"], exclusive=a["exclusive"], reverse=a["reverse"])
    out = cumsum(multiply(prod, g), a["axis"], exclusive=a["exclusive"], reverse=not a["reverse"])
    return (divide_no_nan(out, x),)


register_op("Cumsum", _scan_kernel(np.cumsum, 0), _scan_shape("Cumsum"), _cumsum_grad)
register_op("Cumprod", _scan_kernel(np.cumprod, 1), _scan_shape("Cumprod"), _cumprod_grad)


def _scan(op_type: str, x: Any, axis: Any, exclusive: bool, reverse: bool) -> Tensor:
    x = to_tensor(x)
    check_type(x, NUMERIC_TYPES, op_type)
    if isinstance(axis, Tensor):
        axis = static_value(axis)
    attrs = {
        "axis": int(np.asarray(axis).reshape(())),
        "exclusive": bool(exclusive),
        "reverse": bool(reverse),
    }
    _scan_shape(op_type)([x], attrs)
    return execute(op_type, (x,), attrs)


def cumsum(
    x: Any, axis: Any = 0, exclusive: bool = False, reverse: bool = False, name: str | None = None
) -> Tensor:
    """`tf.math.cumsum`: running sums along `axis`; `exclusive` starts at 0 and `reverse`
    runs from the end.

    >>> import ndflow as tf
    >>> tf.cumsum(tf.constant([1, 2, 3]), exclusive=True, reverse=True)
    <tf.Tensor: shape=(3,), dtype=int32, numpy=array([5, 3, 0], dtype=int32)>
    """
    return _scan("Cumsum", x, axis, exclusive, reverse)


def cumprod(
    x: Any, axis: Any = 0, exclusive: bool = False, reverse: bool = False, name: str | None = None
) -> Tensor:
    """`tf.math.cumprod`: running products along `axis` (see `cumsum` for the flags)."""
    return _scan("Cumprod", x, axis, exclusive, reverse)


def _cumulative_logsumexp_kernel(x, axis, exclusive, reverse):
    if reverse:
        x = np.flip(x, axis)
    with np.errstate(all="ignore"):
        out = np.logaddexp.accumulate(x, axis=axis)
    if exclusive:
        out = np.roll(out, 1, axis=axis)
        index = [slice(None)] * x.ndim
        index[axis] = slice(0, 1)
        out[tuple(index)] = -np.inf
    if reverse:
        out = np.flip(out, axis)
    return np.ascontiguousarray(out)


def _cumulative_logsumexp_grad(op, g):
    # TensorFlow's rule: the positive and negative parts of g are carried in log space
    # through a reversed scan, so nothing overflows.
    x, out = op.inputs[0], op.outputs[0]
    a = op.attrs
    lowest = cast(zeros_like(g), g.dtype)
    lowest = add(lowest, float(g.dtype.min))
    log_pos = where(greater(g, 0), log(where(greater(g, 0), g, ones_like(g))), lowest)
    log_neg = where(less(g, 0), log(where(less(g, 0), negative(g), ones_like(g))), lowest)

    def scan(v):
        return cumulative_logsumexp(
            subtract(v, out), a["axis"], exclusive=a["exclusive"], reverse=not a["reverse"]
        )

    return (subtract(exp_(add(scan(log_pos), x)), exp_(add(scan(log_neg), x))),)


register_op(
    "CumulativeLogsumexp",
    _cumulative_logsumexp_kernel,
    _scan_shape("CumulativeLogsumexp"),
    _cumulative_logsumexp_grad,
)


def cumulative_logsumexp(
    x: Any, axis: Any = 0, exclusive: bool = False, reverse: bool = False, name: str | None = None
) -> Tensor:
    """`tf.math.cumulative_logsumexp`: running log(sum(exp(x))) along `axis`, computed
    without overflow; the flags work as in `cumsum` (an empty prefix is -inf).

    >>> import ndflow as tf
    >>> tf.math.cumulative_logsumexp(tf.constant([0.0, 0.0]))
    <tf.Tensor: shape=(2,), dtype=float32, numpy=array([0.       , 0.6931472], dtype=float32)>
    """
    x = to_tensor(x)
    check_type(x, FLOAT_TYPES, "CumulativeLogsumexp")
    if isinstance(axis, Tensor):
        axis = static_value(axis)
    attrs = {
        "axis": int(np.asarray(axis).reshape(())),
        "exclusive": bool(exclusive),
        "reverse": bool(reverse),
    }
    _scan_shape("CumulativeLogsumexp")([x], attrs)
    return execute("CumulativeLogsumexp", (x,), attrs)


# ---------------------------------------------------------------------------- small composites


def accumulate_n(
    inputs: Any, shape: Any = None, tensor_dtype: Any = None, name: str | None = None
) -> Tensor:
    """`tf.math.accumulate_n` (deprecated in TensorFlow): the same as `tf.math.add_n`."""
    return add_n(inputs)


def zero_fraction(value: Any, name: str | None = None) -> Tensor:
    """`tf.math.zero_fraction`: the fraction of elements equal to zero, as float32.

    >>> import ndflow as tf
    >>> tf.math.zero_fraction(tf.constant([0, 1, 0, 2]))
    <tf.Tensor: shape=(), dtype=float32, numpy=0.5>
    """
    x = to_tensor(value)
    return reduce_mean(cast(equal(x, zeros_like(x)), dtypes.float32))


def polyval(coeffs: Any, x: Any, name: str | None = None) -> Tensor:
    """`tf.math.polyval`: evaluates sum(coeffs[i] * x ** (n - 1 - i)) by Horner's rule.

    Raises:
        ValueError: when `coeffs` is not a list.

    >>> import ndflow as tf
    >>> tf.math.polyval([1.0, 2.0, 3.0], tf.constant(2.0))
    <tf.Tensor: shape=(), dtype=float32, numpy=11.0>
    """
    if not isinstance(coeffs, list):
        raise ValueError(f"Argument coeffs must be list type found {type(coeffs)}.")
    x = to_tensor(x)
    if not coeffs:
        return zeros_like(x)
    p = multiply(ones_like(x), coeffs[0])
    for c in coeffs[1:]:
        p = add(multiply(p, x), c)
    return p


def _is_monotonic_kernel(x, strict):
    flat = x.reshape(-1)
    d = flat[1:] > flat[:-1] if strict else flat[1:] >= flat[:-1]
    return np.asarray(bool(np.all(d)))


register_op("IsMonotonic", _is_monotonic_kernel, lambda inputs, attrs: [((), dtypes.bool)])


def is_non_decreasing(x: Any, name: str | None = None) -> Tensor:
    """`tf.math.is_non_decreasing`: True when the flattened `x` never decreases.

    >>> import ndflow as tf
    >>> tf.math.is_non_decreasing([1, 1, 2])
    <tf.Tensor: shape=(), dtype=bool, numpy=True>
    """
    x = to_tensor(x)
    check_type(x, REAL_TYPES, "IsMonotonic")
    return execute("IsMonotonic", (x,), {"strict": False})


def is_strictly_increasing(x: Any, name: str | None = None) -> Tensor:
    """`tf.math.is_strictly_increasing`: True when the flattened `x` always increases."""
    x = to_tensor(x)
    check_type(x, REAL_TYPES, "IsMonotonic")
    return execute("IsMonotonic", (x,), {"strict": True})
