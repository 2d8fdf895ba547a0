"""Convolution ops (NHWC): Conv2D and its backprops, depthwise and transposed conv.

Convolution is im2col: a strided window view of the (padded) input, copied once into a
contiguous (N*OH*OW, KH*KW*C) matrix, then one BLAS matmul with the filter viewed as
(KH*KW*C, O). The filter gradient is one matmul of the same matrix with the output
gradient; the input gradient is one matmul followed by col2im (a numba scatter-add, or
KH*KW strided NumPy adds). Pooling is in `pooling_ops`.
"""

from __future__ import annotations

import threading
from typing import Any
from collections.abc import Sequence

import numpy as np
from numpy.lib.stride_tricks import as_strided

from ndflow._src.core import dtypes, errors
from ndflow._src.framework.constant import convert_to_tensor
from ndflow._src.framework.execute import execute
from ndflow._src.framework.op_registry import register_op
from ndflow._src.framework.tensor import Tensor, static_value
from ndflow._src.ops import array_ops
from ndflow._src.ops.nn_ops import numba_kernels
from ndflow._src.ops.op_util import (
    FLOATS,
    cpp_name,
    check_dtype,
    dims_of,
    dims_str,
    invalid,
    to_tensor,
)

# ---------------------------------------------------------------------------- geometry


def _out_and_pads(size: int, k: int, s: int, d: int, padding: str, explicit: tuple) -> tuple:
    """Output length and (before, after) padding of one spatial dimension, as TF does."""
    keff = (k - 1) * d + 1
    if padding == "VALID":
        return max((size - keff) // s + 1, 0), (0, 0)
    if padding == "SAME":
        out = -(-size // s)
        total = max((out - 1) * s + keff - size, 0)
        return out, (total // 2, total - total // 2)
    before, after = explicit
    return max((size + before + after - keff) // s + 1, 0), (before, after)


def _geometry(xshape: Sequence[int], kh: int, kw: int, attrs: dict) -> tuple:
    sh, sw = attrs["strides"]
    dh, dw = attrs["dilations"]
    exp = attrs.get("explicit_paddings") or ((0, 0), (0, 0))
    oh, ph = _out_and_pads(xshape[1], kh, sh, dh, attrs["padding"], exp[0])
    ow, pw = _out_and_pads(xshape[2], kw, sw, dw, attrs["padding"], exp[1])
    return oh, ow, ph, pw


def _pad(x: np.ndarray, ph: tuple, pw: tuple, value: float = 0.0) -> np.ndarray:
    if ph == (0, 0) and pw == (0, 0):
        return x
    n, h, w, c = x.shape
    out = np.empty((n, h + ph[0] + ph[1], w + pw[0] + pw[1], c), x.dtype)
    if value == 0.0:
        out[:, : ph[0]] = 0
        out[:, h + ph[0] :] = 0
        out[:, :, : pw[0]] = 0
        out[:, :, w + pw[0] :] = 0
    else:
        out.fill(value)
    out[:, ph[0] : ph[0] + h, pw[0] : pw[0] + w] = x
    return out


def _windows(xp: np.ndarray, kh: int, kw: int, oh: int, ow: int, attrs: dict) -> np.ndarray:
    """A (N, OH, OW, KH, KW, C) strided view of the padded input: no copy."""
    sh, sw = attrs["strides"]
    dh, dw = attrs["dilations"]
    s0, s1, s2, s3 = xp.strides
    n, c = xp.shape[0], xp.shape[3]
    shape = (n, oh, ow, kh, kw, c)
    strides = (s0, s1 * sh, s2 * sw, s1 * dh, s2 * dw, s3)
    if xp.flags.c_contiguous:
        # A view straight on the buffer: 0.5 us where as_strided takes 2.2 us. Only read
        # (copied into the im2col matrix or multiplied), never written.
        return np.ndarray(shape, xp.dtype, buffer=xp, strides=strides)
    return as_strided(xp, shape, strides, writeable=False)


def _im2col(x: np.ndarray, kh: int, kw: int, attrs: dict) -> tuple:
    oh, ow, ph, pw = _geometry(x.shape, kh, kw, attrs)
    n, c = x.shape[0], x.shape[3]
    if oh == 0 or ow == 0:
        return np.zeros((0, kh * kw * c), x.dtype), oh, ow
    if (kh, kw) == (1, 1) and attrs["strides"] == (1, 1) and ph == pw == (0, 0):
        return np.ascontiguousarray(x).reshape(n * oh * ow, c), oh, ow
    xp = _pad(x, ph, pw)
    if c == 1:
        # One channel (the first layer of every image model): the strided copy would move
        # single floats. Built transposed, one contiguous row per tap (kh*kw slice copies,
        # 1.75x faster than writing every kh*kw-th float), and returned as its (M, K)
        # transpose: the filter gradient's cols.T @ dy is then a plain matmul (15% faster),
        # the forward's cols @ w a transposed one (20% slower, on a smaller matrix).
        sh, sw = attrs["strides"]
        dh, dw = attrs["dilations"]
        cols_t = np.empty((kh * kw, n, oh, ow), x.dtype)
        x3 = xp[..., 0]
        for i in range(kh):
            for j in range(kw):
                ys, xs = i * dh, j * dw
                cols_t[i * kw + j] = x3[
                    :, ys : ys + sh * (oh - 1) + 1 : sh, xs : xs + sw * (ow - 1) + 1 : sw
                ]
        return cols_t.reshape(kh * kw, n * oh * ow).T, oh, ow
    win = _windows(xp, kh, kw, oh, ow, attrs)
    return win.reshape(n * oh * ow, kh * kw * c), oh, ow


# The forward pass's im2col matrix, kept for the filter gradient of the same input so the
# backward pass does not rebuild it. Keyed by geometry, checked by input identity (tensors
# are immutable), bounded in bytes so large models do not hold 9x their activations.
_COLS_CACHE_BYTES = 32 << 20
_cols_cache = threading.local()


def _cols_key(x: np.ndarray, kh: int, kw: int, attrs: dict) -> tuple:
    return (
        x.shape,
        x.dtype.str,
        kh,
        kw,
        attrs["strides"],
        attrs["padding"],
        attrs["explicit_paddings"],
        attrs["dilations"],
    )


def _im2col_cached(x: np.ndarray, kh: int, kw: int, attrs: dict, store: bool) -> tuple:
    cache = getattr(_cols_cache, "entries", None)
    if cache is None:
        cache = _cols_cache.entries = {}
    key = _cols_key(x, kh, kw, attrs)
    hit = cache.get(key)
    if hit is not None and hit[0] is x:
        if not store:
            del cache[key]
        return hit[1], hit[2], hit[3]
    cols, oh, ow = _im2col(x, kh, kw, attrs)
    if store and cols.nbytes <= _COLS_CACHE_BYTES // 4:
        cache.pop(key, None)  # re-inserted last, so eviction drops the oldest
        cache[key] = (x, cols, oh, ow)
        total = sum(v[1].nbytes for v in cache.values())
        while total > _COLS_CACHE_BYTES:  # drop the oldest entries
            oldest = next(iter(cache))
            total -= cache.pop(oldest)[1].nbytes
    return cols, oh, ow


def _matmul(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """A BLAS matmul; half-precision inputs are multiplied in float32 (NumPy has no BLAS
    for them, and TF accumulates them in float32 too) and rounded back."""
    if a.dtype in (np.float32, np.float64):
        return a @ b
    return (a.astype(np.float32) @ b.astype(np.float32)).astype(a.dtype)


def _einsum(spec: str, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    if a.dtype in (np.float32, np.float64):
        return np.einsum(spec, a, b)
    return np.einsum(spec, a.astype(np.float32), b.astype(np.float32)).astype(a.dtype)


def _col2im(dcols: np.ndarray, xshape: tuple, kh: int, kw: int, attrs: dict) -> np.ndarray:
    """The adjoint of _im2col: sums rows back into an (N, H, W, C) image (unpadded)."""
    n, h, w, c = xshape
    oh, ow, ph, pw = _geometry(xshape, kh, kw, attrs)
    sh, sw = attrs["strides"]
    dh, dw = attrs["dilations"]
    if (kh, kw) == (1, 1) and (sh, sw) == (1, 1) and ph == pw == (0, 0):
        return dcols.reshape(xshape)
    nb = numba_kernels(dcols.dtype)
    if nb is not None:
        args = (n, h, w, c, oh, ow, kh, kw, sh, sw, dh, dw, ph[0], pw[0])
        return nb.col2im(np.ascontiguousarray(dcols), *args)
    hp, wp = h + ph[0] + ph[1], w + pw[0] + pw[1]
    dxp = np.zeros((n, hp, wp, c), dcols.dtype)
    d6 = dcols.reshape(n, oh, ow, kh, kw, c)
    for i in range(kh):
        for j in range(kw):
            ys, xs = i * dh, j * dw
            dxp[:, ys : ys + sh * (oh - 1) + 1 : sh, xs : xs + sw * (ow - 1) + 1 : sw] += d6[
                :, :, :, i, j
            ]
    if hp != h or wp != w:
        # Cropping padding, and rows/columns a stride skipped, which get zero gradient.
        dxp = dxp[:, ph[0] : ph[0] + h, pw[0] : pw[0] + w]
        return np.ascontiguousarray(dxp)
    return dxp


# ---------------------------------------------------------------------------- attrs


def _pair(value: Any, name: str, n: int = 2) -> tuple:
    """TF's stride/dilation argument (int, list of n, or list of n+2) as an n-tuple."""
    if isinstance(value, Tensor):
        value = value.numpy().tolist()
    if isinstance(value, (int, np.integer)):
        return (int(value),) * n
    value = [int(v) for v in value]
    if len(value) == 1:
        return (value[0],) * n
    if len(value) == n:
        return tuple(value)
    if len(value) == n + 2:
        if value[0] != 1 or value[-1] != 1:
            raise errors.InvalidArgumentError(
                None,
                None,
                f"{name} in the batch and depth dimensions must be 1. Received: {name}={value}",
            )
        return tuple(value[1:-1])
    raise ValueError(f"{name} should be of length 1, {n} or {n + 2}. Received: {name}={value}")


def _padding_attrs(padding: Any, n: int = 2) -> tuple:
    """("SAME" | "VALID" | "EXPLICIT", explicit pads per spatial dim)."""
    if isinstance(padding, str):
        p = padding.upper()
        if p not in ("SAME", "VALID"):
            raise ValueError(
                f"padding must be 'SAME', 'VALID' or a list. Received: padding={padding}"
            )
        return p, ()
    pads = [tuple(int(v) for v in p) for p in padding]
    if len(pads) != n + 2:
        raise ValueError(
            f"When padding is a list, it must have {n + 2} entries (one per dimension). "
            f"Received: padding={padding}"
        )
    if pads[0] != (0, 0) or pads[-1] != (0, 0):
        raise ValueError(
            f"Padding in the batch and depth dimensions must be 0. Received: padding={padding}"
        )
    return "EXPLICIT", tuple(pads[1:-1])


def _check_format(data_format: str | None, op_type: str, allowed: tuple = ("NHWC",)) -> None:
    if data_format is not None and data_format not in allowed:
        raise errors.op_error(
            errors.UnimplementedError,
            op_type,
            f"The {op_type} op currently only supports the {allowed[0]} tensor format on "
            f"CPU. Received: data_format={data_format}",
        )


def _conv_attrs(strides: Any, padding: Any, dilations: Any) -> dict:
    pad, explicit = _padding_attrs(padding)
    return {
        "strides": _pair(strides, "strides"),
        "padding": pad,
        "explicit_paddings": explicit,
        "dilations": _pair(1 if dilations is None else dilations, "dilations"),
    }


# ---------------------------------------------------------------------------- Conv2D


def _groups(c: int, fc: int, op_type: str, xshape: Any, wshape: Any) -> int:
    if fc <= 0 or c % fc:
        raise invalid(
            op_type,
            f"input depth must be evenly divisible by filter depth: {c} vs {fc} "
            f"(input shape {dims_str(tuple(xshape))}, filter shape {dims_str(tuple(wshape))})",
        )
    return c // fc


def _conv2d_kernel(x, w, strides, padding, explicit_paddings, dilations):
    kh, kw, fc, o = w.shape
    groups = _groups(x.shape[3], fc, "Conv2D", x.shape, w.shape)
    n = x.shape[0]
    if groups == 1:
        attrs = _A(strides, padding, explicit_paddings, dilations)
        cols, oh, ow = _im2col_cached(x, kh, kw, attrs, store=True)
        out = _matmul(cols, w.reshape(kh * kw * fc, o))
        return out.reshape(n, oh, ow, o)
    og = o // groups
    parts = [
        _conv2d_kernel(
            x[..., g * fc : (g + 1) * fc],
            w[..., g * og : (g + 1) * og],
            strides,
            padding,
            explicit_paddings,
            dilations,
        )
        for g in range(groups)
    ]
    return np.concatenate(parts, axis=-1)


def _A(strides, padding, explicit_paddings, dilations) -> dict:  # noqa: N802
    return {
        "strides": strides,
        "padding": padding,
        "explicit_paddings": explicit_paddings,
        "dilations": dilations,
    }


def _conv_out_dims(xd: Any, kh: Any, kw: Any, attrs: dict) -> tuple:
    n, h, w = xd[0], xd[1], xd[2]
    sh, sw = attrs["strides"]
    dh, dw = attrs["dilations"]
    exp = attrs.get("explicit_paddings") or ((0, 0), (0, 0))
    oh = (
        None
        if h is None or kh is None
        else _out_and_pads(h, kh, sh, dh, attrs["padding"], exp[0])[0]
    )
    ow = (
        None
        if w is None or kw is None
        else _out_and_pads(w, kw, sw, dw, attrs["padding"], exp[1])[0]
    )
    return n, oh, ow


def _conv2d_shape(inputs, attrs):
    x, w = inputs
    xd, wd = dims_of(x), dims_of(w)
    if xd is not None and len(xd) != 4:
        raise invalid("Conv2D", f"input must be 4-dimensional{dims_str(xd)}")
    if wd is not None and len(wd) != 4:
        raise invalid("Conv2D", f"filter must be 4-dimensional: {dims_str(wd)}")
    if x.dtype is not w.dtype:
        raise invalid(
            "Conv2D",
            f"cannot compute Conv2D as input #1(zero-based) was expected to be a "
            f"{cpp_name(x.dtype)} tensor but is a {cpp_name(w.dtype)} tensor",
        )
    if xd is None:
        return [(None, x.dtype)]
    kh, kw, fc, o = wd if wd is not None else (None,) * 4
    if xd[3] is not None and fc is not None:
        _groups(xd[3], fc, "Conv2D", xd, wd)
    n, oh, ow = _conv_out_dims(xd, kh, kw, attrs)
    return [((n, oh, ow, o), x.dtype)]


def _conv2d_grad(op, g):
    x, w = op.inputs
    attrs = op.attrs
    skip = op.skip_input_indices
    dx = None if 0 in skip else _backprop_input(array_ops.shape(x), w, g, attrs)
    dw = None if 1 in skip else _backprop_filter(x, array_ops.shape(w), g, attrs)
    return dx, dw


register_op("Conv2D", _conv2d_kernel, _conv2d_shape, _conv2d_grad)


def _backprop_input_kernel(input_sizes, w, dy, strides, padding, explicit_paddings, dilations):
    xshape = tuple(int(v) for v in input_sizes)
    kh, kw, fc, o = w.shape
    attrs = _A(strides, padding, explicit_paddings, dilations)
    groups = _groups(xshape[3], fc, "Conv2DBackpropInput", xshape, w.shape)
    if groups > 1:
        og = o // groups
        sub = xshape[:3] + (fc,)
        parts = [
            _backprop_input_kernel(
                sub,
                w[..., g * og : (g + 1) * og],
                dy[..., g * og : (g + 1) * og],
                strides,
                padding,
                explicit_paddings,
                dilations,
            )
            for g in range(groups)
        ]
        return np.concatenate(parts, axis=-1)
    dcols = _matmul(dy.reshape(-1, o), w.reshape(kh * kw * fc, o).T)
    return _col2im(dcols, xshape, kh, kw, attrs)


def _backprop_input_shape(inputs, attrs):
    sizes, w, dy = inputs
    v = static_value(sizes)
    if v is None:
        return [((None,) * 4, dy.dtype)]
    return [(tuple(int(d) for d in np.asarray(v)), dy.dtype)]


def _backprop_input_grad(op, g):
    _, w, dy = op.inputs
    attrs = op.attrs
    skip = op.skip_input_indices
    dw = None if 1 in skip else _backprop_filter(g, array_ops.shape(w), dy, attrs)
    ddy = None if 2 in skip else execute("Conv2D", (g, w), attrs)
    return None, dw, ddy


register_op(
    "Conv2DBackpropInput", _backprop_input_kernel, _backprop_input_shape, _backprop_input_grad
)


def _backprop_filter_kernel(x, filter_sizes, dy, strides, padding, explicit_paddings, dilations):
    kh, kw, fc, o = (int(v) for v in filter_sizes)
    attrs = _A(strides, padding, explicit_paddings, dilations)
    groups = _groups(x.shape[3], fc, "Conv2DBackpropFilter", x.shape, (kh, kw, fc, o))
    if groups > 1:
        og = o // groups
        parts = [
            _backprop_filter_kernel(
                x[..., g * fc : (g + 1) * fc],
                (kh, kw, fc, og),
                dy[..., g * og : (g + 1) * og],
                strides,
                padding,
                explicit_paddings,
                dilations,
            )
            for g in range(groups)
        ]
        return np.concatenate(parts, axis=-1)
    cols, _, _ = _im2col_cached(x, kh, kw, attrs, store=False)
    return _matmul(cols.T, dy.reshape(-1, o)).reshape(kh, kw, fc, o)


def _backprop_filter_shape(inputs, attrs):
    x, sizes, dy = inputs
    v = static_value(sizes)
    if v is None:
        return [((None,) * 4, dy.dtype)]
    return [(tuple(int(d) for d in np.asarray(v)), dy.dtype)]


def _backprop_filter_grad(op, g):
    x, _, dy = op.inputs
    attrs = op.attrs
    skip = op.skip_input_indices
    dx = None if 0 in skip else _backprop_input(array_ops.shape(x), g, dy, attrs)
    ddy = None if 2 in skip else execute("Conv2D", (x, g), attrs)
    return dx, None, ddy


register_op(
    "Conv2DBackpropFilter", _backprop_filter_kernel, _backprop_filter_shape, _backprop_filter_grad
)


def _backprop_input(sizes: Tensor, w: Tensor, dy: Tensor, attrs: dict) -> Tensor:
    return execute("Conv2DBackpropInput", (sizes, w, dy), attrs)


def _backprop_filter(x: Tensor, sizes: Tensor, dy: Tensor, attrs: dict) -> Tensor:
    return execute("Conv2DBackpropFilter", (x, sizes, dy), attrs)


def _float_operands(x: Any, w: Any, op_type: str) -> tuple:
    x = to_tensor(x)
    w = to_tensor(w, dtype=x.dtype) if not isinstance(w, Tensor) else w
    check_dtype(x, FLOATS, op_type)
    if x.dtype is not w.dtype:
        raise invalid(
            op_type,
            f"cannot compute {op_type} as input #1(zero-based) was expected to be a "
            f"{cpp_name(x.dtype)} tensor but is a {cpp_name(w.dtype)} tensor",
        )
    return x, w


def _check_rank(t: Tensor, rank: int, what: str, op_type: str) -> None:
    d = dims_of(t)
    if d is not None and len(d) != rank:
        raise ValueError(
            f"{op_type}: {what} must be {rank}-dimensional, received a tensor of shape "
            f"{dims_str(d)}"
        )


def conv2d(
    input: Any,  # noqa: A002 - TF's name
    filters: Any,
    strides: Any,
    padding: Any,
    data_format: str = "NHWC",
    dilations: Any = None,
    name: str | None = None,
) -> Tensor:
    """`tf.nn.conv2d`: 2-D convolution (cross-correlation) of NHWC `input` with `filters`.

    `filters` has shape [height, width, in_channels, out_channels]; `padding` is "SAME",
    "VALID" or explicit [[0, 0], [top, bottom], [left, right], [0, 0]].

    >>> import ndflow as tf
    >>> x = tf.ones((1, 4, 4, 1))
    >>> tf.nn.conv2d(x, tf.ones((3, 3, 1, 2)), 1, "VALID").shape
    TensorShape([1, 2, 2, 2])
    """
    _check_format(data_format, "Conv2D")
    x, w = _float_operands(input, filters, "Conv2D")
    _check_rank(x, 4, "input", "Conv2D")
    _check_rank(w, 4, "filters", "Conv2D")
    return execute("Conv2D", (x, w), _conv_attrs(strides, padding, dilations))


def convolution(
    input: Any,  # noqa: A002
    filters: Any,
    strides: Any = None,
    padding: str = "VALID",
    data_format: str | None = None,
    dilations: Any = None,
    name: str | None = None,
) -> Tensor:
    """`tf.nn.convolution`: N-D convolution for N = 1 or 2 (NWC / NHWC)."""
    rank = len(dims_of(to_tensor(input)) or ())
    strides = 1 if strides is None else strides
    if rank == 3:
        return conv1d(input, filters, strides, padding, "NWC", dilations)
    return conv2d(input, filters, strides, padding, data_format or "NHWC", dilations)


def _reshape_known(x: Tensor, dims: list) -> Tensor:
    if dims.count(None) > 1:
        raise ValueError(
            f"The 1-D convolution and pooling ops need a static shape; got {dims_str(dims_of(x))}"
        )
    return array_ops.reshape(x, [-1 if v is None else v for v in dims])


def _expand_1d(x: Tensor) -> Tensor:
    """[N, W, C] -> [N, 1, W, C] (the 1-D ops are the 2-D ones with a unit height)."""
    d = dims_of(x)
    if d is None:
        raise ValueError("The 1-D convolution and pooling ops need an input of known rank 3.")
    return _reshape_known(x, [d[0], 1, d[1], d[2]])


def _squeeze_1d(y: Tensor) -> Tensor:
    d = dims_of(y)
    return _reshape_known(y, [d[0], d[2], d[3]])


def conv1d(
    input: Any,  # noqa: A002
    filters: Any,
    stride: Any,
    padding: Any,
    data_format: str = "NWC",
    dilations: Any = None,
    name: str | None = None,
) -> Tensor:
    """`tf.nn.conv1d`: 1-D convolution of NWC `input` with [width, in, out] `filters`.

    >>> import ndflow as tf
    >>> tf.nn.conv1d(tf.ones((1, 5, 2)), tf.ones((3, 2, 4)), 1, "SAME").shape
    TensorShape([1, 5, 4])
    """
    _check_format(data_format, "Conv2D", ("NWC",))
    x, w = _float_operands(input, filters, "Conv2D")
    _check_rank(x, 3, "input", "Conv1D")
    _check_rank(w, 3, "filters", "Conv1D")
    wd = dims_of(w)
    s = _pair(stride, "stride", 1)[0]
    d = _pair(1 if dilations is None else dilations, "dilations", 1)[0]
    if isinstance(padding, str):
        pad = padding
    else:
        pads = [list(p) for p in padding]
        pad = [[0, 0], [0, 0], pads[1], [0, 0]]
    x4 = _expand_1d(x)
    w4 = array_ops.reshape(w, [1, wd[0], wd[1], wd[2]])
    y = execute("Conv2D", (x4, w4), _conv_attrs((1, s), pad, (1, d)))
    return _squeeze_1d(y)


def conv2d_transpose(
    input: Any,  # noqa: A002
    filters: Any,
    output_shape: Any,
    strides: Any,
    padding: str = "SAME",
    data_format: str = "NHWC",
    dilations: Any = None,
    name: str | None = None,
) -> Tensor:
    """`tf.nn.conv2d_transpose`: the gradient of conv2d with respect to its input.

    `filters` has shape [height, width, output_channels, in_channels].

    >>> import ndflow as tf
    >>> tf.nn.conv2d_transpose(tf.ones((1, 2, 2, 3)), tf.ones((3, 3, 1, 3)), [1, 4, 4, 1], 2).shape
    TensorShape([1, 4, 4, 1])
    """
    _check_format(data_format, "Conv2DBackpropInput")
    x, w = _float_operands(input, filters, "Conv2DBackpropInput")
    sizes = (
        output_shape
        if isinstance(output_shape, Tensor)
        else convert_to_tensor([int(v) for v in output_shape], dtype=dtypes.int32)
    )
    attrs = _conv_attrs(strides, padding, dilations)
    sv = static_value(sizes)
    wd, xd = dims_of(w), dims_of(x)
    if sv is not None and wd is not None and wd[2] is not None and int(sv[-1]) != wd[2]:
        raise ValueError(
            f"The number of output channels ({int(sv[-1])}) must equal the filter's third "
            f"dimension ({wd[2]}). Received: output_shape={list(np.asarray(sv))}, "
            f"filters.shape={dims_str(wd)}"
        )
    if (
        xd is not None
        and wd is not None
        and xd[3] is not None
        and wd[3] is not None
        and xd[3] != wd[3]
    ):
        raise ValueError(
            f"The input's channels ({xd[3]}) must equal the filter's last dimension "
            f"({wd[3]}). Received: input.shape={dims_str(xd)}, filters.shape={dims_str(wd)}"
        )
    if sv is not None and xd is not None and wd is not None and None not in wd:
        _, oh, ow = _conv_out_dims(tuple(int(v) for v in sv), wd[0], wd[1], attrs)
        if (oh, ow) != (xd[1], xd[2]) and None not in xd[1:3]:
            raise errors.op_error(
                errors.InvalidArgumentError,
                "Conv2DBackpropInput",
                f"Conv2DCustomBackpropInput: Size of out_backprop doesn't match computed: "
                f"actual = {xd[1]}x{xd[2]}, computed = {oh}x{ow} (output_shape "
                f"{list(np.asarray(sv))}, input shape {dims_str(xd)})",
            )
    return execute("Conv2DBackpropInput", (sizes, w, x), attrs)


def conv2d_backprop_input(
    input_sizes,
    filters,
    out_backprop,
    strides,
    padding,
    data_format="NHWC",
    dilations=None,
    name=None,
) -> Tensor:  # noqa: E501
    """`tf.compat.v1.nn.conv2d_backprop_input`: the input gradient of conv2d."""
    sizes = to_tensor(input_sizes, dtype=dtypes.int32)
    return execute(
        "Conv2DBackpropInput",
        (sizes, to_tensor(filters), to_tensor(out_backprop)),
        _conv_attrs(strides, padding, dilations),
    )


def conv2d_backprop_filter(
    input,
    filter_sizes,
    out_backprop,
    strides,
    padding,
    data_format="NHWC",
    dilations=None,
    name=None,
) -> Tensor:  # noqa: A002, E501
    """`tf.compat.v1.nn.conv2d_backprop_filter`: the filter gradient of conv2d."""
    sizes = to_tensor(filter_sizes, dtype=dtypes.int32)
    return execute(
        "Conv2DBackpropFilter",
        (to_tensor(input), sizes, to_tensor(out_backprop)),
        _conv_attrs(strides, padding, dilations),
    )


# ---------------------------------------------------------------------------- depthwise


def _depthwise_check(c: int, fc: int, op_type: str, xshape: Any, wshape: Any) -> None:
    if c != fc:
        raise invalid(
            op_type,
            f"input and filter must have the same depth: {c} vs {fc} "
            f"(input shape {dims_str(tuple(xshape))}, filter shape {dims_str(tuple(wshape))})",
        )


def _depthwise_kernel(x, w, strides, padding, explicit_paddings, dilations):
    kh, kw, c, m = w.shape
    _depthwise_check(x.shape[3], c, "DepthwiseConv2dNative", x.shape, w.shape)
    attrs = _A(strides, padding, explicit_paddings, dilations)
    oh, ow, ph, pw = _geometry(x.shape, kh, kw, attrs)
    win = _windows(_pad(x, ph, pw), kh, kw, oh, ow, attrs)
    out = _einsum("nhwijc,ijcm->nhwcm", win, w)
    return out.reshape(x.shape[0], oh, ow, c * m)


def _depthwise_shape(inputs, attrs):
    x, w = inputs
    xd, wd = dims_of(x), dims_of(w)
    if xd is None or wd is None:
        return [(None, x.dtype)]
    if xd[3] is not None and wd[2] is not None:
        _depthwise_check(xd[3], wd[2], "DepthwiseConv2dNative", xd, wd)
    n, oh, ow = _conv_out_dims(xd, wd[0], wd[1], attrs)
    out_c = None if wd[2] is None or wd[3] is None else wd[2] * wd[3]
    return [((n, oh, ow, out_c), x.dtype)]


def _depthwise_grad(op, g):
    x, w = op.inputs
    skip = op.skip_input_indices
    dx = None
    dw = None
    if 0 not in skip:
        dx = execute("DepthwiseConv2dNativeBackpropInput", (array_ops.shape(x), w, g), op.attrs)
    if 1 not in skip:
        dw = execute("DepthwiseConv2dNativeBackpropFilter", (x, array_ops.shape(w), g), op.attrs)
    return dx, dw


register_op("DepthwiseConv2dNative", _depthwise_kernel, _depthwise_shape, _depthwise_grad)


def _depthwise_bp_input_kernel(input_sizes, w, dy, strides, padding, explicit_paddings, dilations):
    xshape = tuple(int(v) for v in input_sizes)
    kh, kw, c, m = w.shape
    n, h, wd, _ = xshape
    attrs = _A(strides, padding, explicit_paddings, dilations)
    oh, ow, ph, pw = _geometry(xshape, kh, kw, attrs)
    sh, sw = attrs["strides"]
    dh, dw = attrs["dilations"]
    # One strided add per filter tap: no (N*OH*OW, KH*KW*C) intermediate as in col2im.
    wt = w.astype(np.float32) if w.dtype not in (np.float32, np.float64) else w
    dy5 = dy.reshape(n, oh, ow, c, m).astype(wt.dtype, copy=False)
    dxp = np.zeros((n, h + ph[0] + ph[1], wd + pw[0] + pw[1], c), wt.dtype)
    for i in range(kh if oh and ow else 0):
        for j in range(kw):
            tap = (
                dy5[..., 0] * wt[i, j, :, 0]
                if m == 1
                else np.einsum("nhwcm,cm->nhwc", dy5, wt[i, j])
            )
            ys, xs = i * dh, j * dw
            dxp[:, ys : ys + sh * (oh - 1) + 1 : sh, xs : xs + sw * (ow - 1) + 1 : sw] += tap
    dxp = dxp[:, ph[0] : ph[0] + h, pw[0] : pw[0] + wd]
    return np.ascontiguousarray(dxp, dtype=dy.dtype)


def _depthwise_bp_filter_kernel(
    x, filter_sizes, dy, strides, padding, explicit_paddings, dilations
):
    kh, kw, c, m = (int(v) for v in filter_sizes)
    attrs = _A(strides, padding, explicit_paddings, dilations)
    oh, ow, ph, pw = _geometry(x.shape, kh, kw, attrs)
    win = _windows(_pad(x, ph, pw), kh, kw, oh, ow, attrs)
    return _einsum("nhwijc,nhwcm->ijcm", win, dy.reshape(x.shape[0], oh, ow, c, m))


def _depthwise_bp_input_grad(op, g):
    _, w, dy = op.inputs
    skip = op.skip_input_indices
    dw = (
        None
        if 1 in skip
        else execute("DepthwiseConv2dNativeBackpropFilter", (g, array_ops.shape(w), dy), op.attrs)
    )
    ddy = None if 2 in skip else execute("DepthwiseConv2dNative", (g, w), op.attrs)
    return None, dw, ddy


def _depthwise_bp_filter_grad(op, g):
    x, _, dy = op.inputs
    skip = op.skip_input_indices
    dx = (
        None
        if 0 in skip
        else execute("DepthwiseConv2dNativeBackpropInput", (array_ops.shape(x), g, dy), op.attrs)
    )
    ddy = None if 2 in skip else execute("DepthwiseConv2dNative", (x, g), op.attrs)
    return dx, None, ddy


register_op(
    "DepthwiseConv2dNativeBackpropInput",
    _depthwise_bp_input_kernel,
    _backprop_input_shape,
    _depthwise_bp_input_grad,
)
register_op(
    "DepthwiseConv2dNativeBackpropFilter",
    _depthwise_bp_filter_kernel,
    _backprop_filter_shape,
    _depthwise_bp_filter_grad,
)


def depthwise_conv2d(
    input: Any,  # noqa: A002
    filter: Any,  # noqa: A002
    strides: Any,
    padding: Any,
    data_format: str | None = None,
    dilations: Any = None,
    name: str | None = None,
) -> Tensor:
    """`tf.nn.depthwise_conv2d`: each input channel convolved with its own `m` filters.

    `filter` has shape [height, width, in_channels, channel_multiplier]; the output has
    in_channels * channel_multiplier channels.

    >>> import ndflow as tf
    >>> tf.nn.depthwise_conv2d(tf.ones((1, 4, 4, 2)), tf.ones((3, 3, 2, 2)), [1, 1, 1, 1], "SAME").shape
    TensorShape([1, 4, 4, 4])
    """
    _check_format(data_format, "DepthwiseConv2dNative")
    x, w = _float_operands(input, filter, "DepthwiseConv2dNative")
    _check_rank(x, 4, "input", "DepthwiseConv2dNative")
    _check_rank(w, 4, "filter", "DepthwiseConv2dNative")
    return execute("DepthwiseConv2dNative", (x, w), _conv_attrs(strides, padding, dilations))


def separable_conv2d(
    input: Any,  # noqa: A002
    depthwise_filter: Any,
    pointwise_filter: Any,
    strides: Any,
    padding: Any,
    data_format: str | None = None,
    dilations: Any = None,
    name: str | None = None,
) -> Tensor:
    """`tf.nn.separable_conv2d`: a depthwise convolution followed by a 1x1 convolution."""
    y = depthwise_conv2d(input, depthwise_filter, strides, padding, data_format, dilations)
    return conv2d(y, pointwise_filter, 1, "VALID")


def atrous_conv2d(
    value: Any, filters: Any, rate: int, padding: str, name: str | None = None
) -> Tensor:
    """`tf.nn.atrous_conv2d`: conv2d with stride 1 and dilation `rate`."""
    return conv2d(value, filters, 1, padding, dilations=rate)


def conv1d_transpose(
    input: Any,  # noqa: A002
    filters: Any,
    output_shape: Any,
    strides: Any,
    padding: str = "SAME",
    data_format: str = "NWC",
    dilations: Any = None,
    name: str | None = None,
) -> Tensor:
    """`tf.nn.conv1d_transpose`: the gradient of conv1d with respect to its input.

    `filters` has shape [width, output_channels, in_channels].
    """
    _check_format(data_format, "Conv2DBackpropInput", ("NWC",))
    x, w = _float_operands(input, filters, "Conv2DBackpropInput")
    out = [
        int(v) for v in (output_shape.numpy() if isinstance(output_shape, Tensor) else output_shape)
    ]
    if len(out) != 3:
        raise ValueError(f"output_shape must have 3 elements. Received: output_shape={out}")
    wd = dims_of(w)
    s = _pair(strides, "strides", 1)[0]
    d = _pair(1 if dilations is None else dilations, "dilations", 1)[0]
    y = conv2d_transpose(
        _expand_1d(x),
        array_ops.reshape(w, [1, wd[0], wd[1], wd[2]]),
        [out[0], 1, out[1], out[2]],
        (1, s),
        padding,
        dilations=(1, d),
    )
    return _squeeze_1d(y)


def conv_transpose(
    input: Any,  # noqa: A002
    filters: Any,
    output_shape: Any,
    strides: Any,
    padding: str = "SAME",
    data_format: str | None = None,
    dilations: Any = None,
    name: str | None = None,
) -> Tensor:
    """`tf.nn.conv_transpose`: conv1d_transpose or conv2d_transpose by the output rank."""
    n = len(output_shape.numpy() if isinstance(output_shape, Tensor) else output_shape)
    if n == 3:
        return conv1d_transpose(
            input, filters, output_shape, strides, padding, data_format or "NWC", dilations
        )
    if n == 4:
        return conv2d_transpose(
            input, filters, output_shape, strides, padding, data_format or "NHWC", dilations
        )
    raise ValueError(
        f"output_shape must have 3 or 4 elements (3-D transposed convolution is not supported). "
        f"Received: output_shape={output_shape}"
    )


def depthwise_conv2d_backprop_input(
    input_sizes: Any,
    filter: Any,  # noqa: A002
    out_backprop: Any,
    strides: Any,
    padding: Any,
    data_format: str = "NHWC",
    dilations: Any = None,
    name: str | None = None,
) -> Tensor:
    """`tf.nn.depthwise_conv2d_backprop_input`: the input gradient of depthwise_conv2d."""
    _check_format(data_format, "DepthwiseConv2dNativeBackpropInput")
    sizes = to_tensor(input_sizes, dtype=dtypes.int32)
    return execute(
        "DepthwiseConv2dNativeBackpropInput",
        (sizes, to_tensor(filter), to_tensor(out_backprop)),
        _conv_attrs(strides, padding, dilations),
    )


def depthwise_conv2d_backprop_filter(
    input: Any,  # noqa: A002
    filter_sizes: Any,
    out_backprop: Any,
    strides: Any,
    padding: Any,
    data_format: str = "NHWC",
    dilations: Any = None,
    name: str | None = None,
) -> Tensor:
    """`tf.nn.depthwise_conv2d_backprop_filter`: the filter gradient of depthwise_conv2d."""
    _check_format(data_format, "DepthwiseConv2dNativeBackpropFilter")
    sizes = to_tensor(filter_sizes, dtype=dtypes.int32)
    return execute(
        "DepthwiseConv2dNativeBackpropFilter",
        (to_tensor(input), sizes, to_tensor(out_backprop)),
        _conv_attrs(strides, padding, dilations),
    )
