"""Pooling ops (NHWC): MaxPool, AvgPool and their gradients, with `tf.nn`'s pooling
functions.

Pooling works on strided slices, KH*KW passes. MaxPoolGrad has a one-pass numba kernel
(and one fused with the ReluGrad of a pooled ReLU output); the forward pass remembers the
argmax it found, so the gradient need not search again.
"""

import threading
from typing import Any

import numpy as np

from ndflow._src.core import dtypes, errors
from ndflow._src.framework.execute import execute
from ndflow._src.framework.op_registry import register_op
from ndflow._src.framework.tensor import Tensor
from ndflow._src.ops import array_ops
from ndflow._src.ops import nn_ops as _nn_ops
from ndflow._src.ops.nn_ops import numba_kernels
from ndflow._src.ops.op_util import (
    FLOATS,
    check_dtype,
    dims_of,
    dims_str,
    invalid,
    to_tensor,
)
from ndflow._src.ops.conv_ops import (
    _backprop_input_shape,
    _check_format,
    _check_rank,
    _expand_1d,
    _out_and_pads,
    _pad,
    _pair,
    _squeeze_1d,
)


# ---------------------------------------------------------------------------- pooling


def _pool_attrs(ksize: Any, strides: Any, padding: Any, n: int = 2) -> dict:
    if not isinstance(padding, str) or padding.upper() not in ("SAME", "VALID"):
        raise ValueError(f"padding must be 'SAME' or 'VALID'. Received: padding={padding}")
    return {
        "ksize": _pair(ksize, "ksize", n),
        "strides": _pair(strides, "strides", n),
        "padding": padding.upper(),
    }


def _pool_geometry(xshape: tuple, attrs: dict) -> tuple:
    kh, kw = attrs["ksize"]
    sh, sw = attrs["strides"]
    oh, ph = _out_and_pads(xshape[1], kh, sh, 1, attrs["padding"], ())
    ow, pw = _out_and_pads(xshape[2], kw, sw, 1, attrs["padding"], ())
    return kh, kw, sh, sw, oh, ow, ph, pw


def _lowest(dtype: np.dtype) -> Any:
    return np.iinfo(dtype).min if dtype.kind in "iu" else np.asarray(-np.inf, dtype)


def _slices(kh: int, kw: int, sh: int, sw: int, oh: int, ow: int):
    if oh == 0 or ow == 0:
        return
    for i in range(kh):
        for j in range(kw):
            yield (
                slice(None),
                slice(i, i + sh * (oh - 1) + 1, sh),
                slice(j, j + sw * (ow - 1) + 1, sw),
            )


def _max_pool_kernel(x, ksize, strides, padding):
    kh, kw, sh, sw, oh, ow, ph, pw = _pool_geometry(x.shape, _P(ksize, strides, padding))
    if oh == 0 or ow == 0:
        return np.zeros((x.shape[0], oh, ow, x.shape[3]), x.dtype)
    nb = numba_kernels(x.dtype)
    if nb is not None:
        xc = np.ascontiguousarray(x)
        inside = ph[0] == pw[0] == 0 and 2 * oh <= x.shape[1] and 2 * ow <= x.shape[2]
        if (kh, kw, sh, sw) == (2, 2, 2, 2) and inside:
            out, arg = nb.max_pool_2x2_argmax(xc, oh, ow)
        else:
            out, arg = nb.max_pool_argmax(xc, oh, ow, kh, kw, sh, sw, ph[0], pw[0])
        _remember_argmax(x, out, arg, (ksize, strides, padding))
        return out
    xp = _pad(x, ph, pw, _lowest(x.dtype))
    out = None
    for sl in _slices(kh, kw, sh, sw, oh, ow):
        if out is None:
            out = xp[sl].copy()
        else:
            np.maximum(out, xp[sl], out=out)
    return out


def _P(ksize, strides, padding) -> dict:  # noqa: N802
    return {"ksize": ksize, "strides": strides, "padding": padding}


def _pool_shape(op_type: str):
    def rule(inputs, attrs):
        x = inputs[0]
        xd = dims_of(x)
        if xd is None:
            return [(None, x.dtype)]
        if len(xd) != 4:
            raise invalid(op_type, f"input must be 4-dimensional{dims_str(xd)}")
        kh, kw = attrs["ksize"]
        sh, sw = attrs["strides"]
        oh = None if xd[1] is None else _out_and_pads(xd[1], kh, sh, 1, attrs["padding"], ())[0]
        ow = None if xd[2] is None else _out_and_pads(xd[2], kw, sw, 1, attrs["padding"], ())[0]
        return [((xd[0], oh, ow, xd[3]), x.dtype)]

    return rule


def _max_pool_grad(op, g):
    return (execute("MaxPoolGrad", (op.inputs[0], op.outputs[0], g), op.attrs),)


register_op("MaxPool", _max_pool_kernel, _pool_shape("MaxPool"), _max_pool_grad)


# The window index of each maximum, recorded by the numba forward pass for the MaxPoolGrad
# of the same (input, output) pair, so the backward pass reads a small int16 array instead
# of the input again. Checked by identity (tensors are immutable); a few entries at most.
_argmax_cache = threading.local()
_ARGMAX_BYTES = 64 << 20  # of inputs kept alive by the cache, per thread


def _remember_argmax(x: np.ndarray, out: np.ndarray, arg: np.ndarray, key: tuple) -> None:
    cache = getattr(_argmax_cache, "entries", None)
    if cache is None:
        cache = _argmax_cache.entries = {}
    if x.nbytes > _ARGMAX_BYTES // 4:
        return
    k = (out.shape, x.shape) + key
    cache.pop(k, None)
    cache[k] = (x, out, arg)
    total = sum(v[0].nbytes for v in cache.values())
    while total > _ARGMAX_BYTES:  # drop the oldest entries
        total -= cache.pop(next(iter(cache)))[0].nbytes


def _recall_argmax(x: np.ndarray, out: np.ndarray, key: tuple) -> np.ndarray | None:
    cache = getattr(_argmax_cache, "entries", None)
    hit = None if cache is None else cache.get((out.shape, x.shape) + key)
    if hit is not None and hit[0] is x and hit[1] is out:
        return hit[2]
    return None


def _max_pool_grad_kernel(x, out, g, ksize, strides, padding):
    kh, kw, sh, sw, oh, ow, ph, pw = _pool_geometry(x.shape, _P(ksize, strides, padding))
    nb = numba_kernels(x.dtype)
    if nb is not None and oh and ow:
        arg = _recall_argmax(x, out, (ksize, strides, padding))
        if arg is not None:
            g = np.ascontiguousarray(g)
            return nb.max_pool_grad_from_argmax(
                arg, g, x.shape[1], x.shape[2], kh, kw, sh, sw, ph[0], pw[0]
            )
        return nb.max_pool_grad(
            np.ascontiguousarray(x),
            np.ascontiguousarray(out),
            np.ascontiguousarray(g),
            kh,
            kw,
            sh,
            sw,
            ph[0],
            pw[0],
        )
    xp = _pad(x, ph, pw, _lowest(x.dtype))
    dxp = np.zeros(xp.shape, g.dtype)
    free = np.ones(out.shape, bool)  # windows whose maximum is not yet found
    hit = np.empty(out.shape, bool)
    overlap = kh > sh or kw > sw
    for sl in _slices(kh, kw, sh, sw, oh, ow):
        np.equal(xp[sl], out, out=hit)
        hit &= free
        free ^= hit
        # Multiplying by the mask is several times faster than a masked copy.
        if overlap:
            dxp[sl] += g * hit
        else:
            np.multiply(g, hit, out=dxp[sl])
    if dxp.shape != x.shape:
        dxp = np.ascontiguousarray(dxp[:, ph[0] : ph[0] + x.shape[1], pw[0] : pw[0] + x.shape[2]])
    return dxp


def _max_pool_grad_relu_kernel(x, out, g, ksize, strides, padding):
    """relu_grad(max_pool_grad(x, out, g), x), for pooling of a ReLU's output `x`: the
    executor's fusion (nn_ops.FUSED_KERNELS). Each gradient goes to a position holding its
    window's maximum, so the ReLU mask there is (out > 0): masking the pooled gradient
    saves a pass over the input-sized one. Exact for windows that do not overlap (each
    position then receives at most one gradient); otherwise the two ops run unfused."""
    kh, kw = ksize
    sh, sw = strides
    if kh > sh or kw > sw or g.shape != out.shape or g.dtype != x.dtype:
        dx = _max_pool_grad_kernel(x, out, g, ksize, strides, padding)
        return _nn_ops._relu_grad_kernel(dx, x)
    nb = numba_kernels(x.dtype)
    if nb is not None and (kh, kw) == (sh, sw) and out.size:
        _, _, _, _, oh, ow, ph, pw = _pool_geometry(x.shape, _P(ksize, strides, padding))
        arg = _recall_argmax(x, out, (ksize, strides, padding))
        if (
            arg is not None
            and ph[0] == pw[0] == 0
            and oh * sh <= x.shape[1]
            and ow * sw <= x.shape[2]
        ):
            g = np.ascontiguousarray(g)
            return nb.max_pool_grad_relu_tiled(
                arg, g, np.ascontiguousarray(out), x.shape[1], x.shape[2], kh, kw
            )
    return _max_pool_grad_kernel(x, out, g * (out > 0), ksize, strides, padding)


def _max_pool_grad_grad(op, gg):
    x, out, _ = op.inputs
    return None, None, execute("MaxPoolGradGrad", (x, out, gg), op.attrs)


_nn_ops.FUSED_KERNELS[("MaxPoolGrad", "ReluGrad")] = (
    "MaxPoolGrad+ReluGrad",
    _max_pool_grad_relu_kernel,
    ("out", 0),
)

register_op(
    "MaxPoolGrad",
    _max_pool_grad_kernel,
    lambda inputs, attrs: [(dims_of(inputs[0]), inputs[2].dtype)],
    _max_pool_grad_grad,
)


def _max_pool_grad_grad_kernel(x, out, gg, ksize, strides, padding):
    kh, kw, sh, sw, oh, ow, ph, pw = _pool_geometry(x.shape, _P(ksize, strides, padding))
    nb = numba_kernels(x.dtype)
    if nb is not None:
        return nb.max_pool_grad_grad(
            np.ascontiguousarray(x),
            np.ascontiguousarray(out),
            np.ascontiguousarray(gg),
            kh,
            kw,
            sh,
            sw,
            ph[0],
            pw[0],
        )
    xp = _pad(x, ph, pw, _lowest(x.dtype))
    ggp = _pad(gg, ph, pw)
    res = np.zeros(out.shape, gg.dtype)
    free = np.ones(out.shape, bool)
    hit = np.empty(out.shape, bool)
    for sl in _slices(kh, kw, sh, sw, oh, ow):
        np.equal(xp[sl], out, out=hit)
        hit &= free
        free ^= hit
        np.copyto(res, ggp[sl], where=hit)
    return res


register_op(
    "MaxPoolGradGrad",
    _max_pool_grad_grad_kernel,
    lambda inputs, attrs: [(dims_of(inputs[1]), inputs[2].dtype)],
    lambda op, g: (None, None, execute("MaxPoolGrad", (op.inputs[0], op.inputs[1], g), op.attrs)),
)


def _avg_counts(xshape: tuple, attrs: dict, dtype: np.dtype) -> Any:
    """How many real (unpadded) inputs each output window covers: TF's SAME divisor."""
    kh, kw, sh, sw, oh, ow, ph, pw = _pool_geometry(xshape, attrs)
    if ph == (0, 0) and pw == (0, 0):
        return np.asarray(kh * kw, dtype)
    ys = np.arange(oh) * sh - ph[0]
    xs = np.arange(ow) * sw - pw[0]
    rows = np.minimum(ys + kh, xshape[1]) - np.maximum(ys, 0)
    cols = np.minimum(xs + kw, xshape[2]) - np.maximum(xs, 0)
    return np.multiply.outer(rows, cols).astype(dtype)[None, :, :, None]


def _avg_pool_kernel(x, ksize, strides, padding):
    attrs = _P(ksize, strides, padding)
    kh, kw, sh, sw, oh, ow, ph, pw = _pool_geometry(x.shape, attrs)
    xp = _pad(x, ph, pw)
    out = np.zeros((x.shape[0], oh, ow, x.shape[3]), x.dtype)
    for sl in _slices(kh, kw, sh, sw, oh, ow):
        out += xp[sl]
    out /= _avg_counts(x.shape, attrs, x.dtype)
    return out


def _avg_pool_grad(op, g):
    return (execute("AvgPoolGrad", (array_ops.shape(op.inputs[0]), g), op.attrs),)


register_op("AvgPool", _avg_pool_kernel, _pool_shape("AvgPool"), _avg_pool_grad)


def _avg_pool_grad_kernel(orig_input_shape, g, ksize, strides, padding):
    xshape = tuple(int(v) for v in orig_input_shape)
    attrs = _P(ksize, strides, padding)
    kh, kw, sh, sw, oh, ow, ph, pw = _pool_geometry(xshape, attrs)
    gs = g / _avg_counts(xshape, attrs, g.dtype)
    n, h, w, c = xshape
    dxp = np.zeros((n, h + ph[0] + ph[1], w + pw[0] + pw[1], c), g.dtype)
    for sl in _slices(kh, kw, sh, sw, oh, ow):
        dxp[sl] += gs
    if dxp.shape != xshape:
        dxp = np.ascontiguousarray(dxp[:, ph[0] : ph[0] + h, pw[0] : pw[0] + w])
    return dxp


register_op(
    "AvgPoolGrad",
    _avg_pool_grad_kernel,
    lambda inputs, attrs: _backprop_input_shape([inputs[0], None, inputs[1]], attrs),
    lambda op, g: (None, execute("AvgPool", (g,), op.attrs)),
)


def _pool_input(input: Any, op_type: str, allow_int: bool) -> Tensor:  # noqa: A002
    x = to_tensor(input)
    allowed = FLOATS + (
        (dtypes.int8, dtypes.int16, dtypes.int32, dtypes.int64, dtypes.uint8) if allow_int else ()
    )
    check_dtype(x, allowed, op_type)
    return x


def _pool2d(
    op_type: str, input: Any, ksize: Any, strides: Any, padding: str, data_format: str
) -> Tensor:  # noqa: A002
    _check_format(data_format, op_type)
    x = _pool_input(input, op_type, op_type == "MaxPool")
    _check_rank(x, 4, "input", op_type)
    return execute(op_type, (x,), _pool_attrs(ksize, strides, padding))


def max_pool2d(
    input: Any,  # noqa: A002
    ksize: Any,
    strides: Any,
    padding: str,
    data_format: str = "NHWC",
    name: str | None = None,
) -> Tensor:
    """`tf.nn.max_pool2d`: the maximum over each ksize window of an NHWC tensor.

    >>> import ndflow as tf
    >>> tf.nn.max_pool2d(tf.reshape(tf.constant([1., 2., 3., 4.]), (1, 2, 2, 1)), 2, 2, "VALID")
    <tf.Tensor: shape=(1, 1, 1, 1), dtype=float32, numpy=array([[[[4.]]]], dtype=float32)>
    """
    return _pool2d("MaxPool", input, ksize, strides, padding, data_format)


def avg_pool2d(
    input: Any,  # noqa: A002
    ksize: Any,
    strides: Any,
    padding: str,
    data_format: str = "NHWC",
    name: str | None = None,
) -> Tensor:
    """`tf.nn.avg_pool2d`: the mean over each ksize window; SAME padding is not counted.

    >>> import ndflow as tf
    >>> tf.nn.avg_pool2d(tf.reshape(tf.constant([1., 2., 3., 4.]), (1, 2, 2, 1)), 2, 2, "VALID")
    <tf.Tensor: shape=(1, 1, 1, 1), dtype=float32, numpy=array([[[[2.5]]]], dtype=float32)>
    """
    return _pool2d("AvgPool", input, ksize, strides, padding, data_format)


def _pool1d(
    op_type: str, input: Any, ksize: Any, strides: Any, padding: str, data_format: str
) -> Tensor:  # noqa: A002, E501
    _check_format(data_format, op_type, ("NWC",))
    x = _pool_input(input, op_type, op_type == "MaxPool")
    _check_rank(x, 3, "input", op_type)
    k = _pair(ksize, "ksize", 1)[0]
    s = _pair(strides, "strides", 1)[0]
    y = execute(op_type, (_expand_1d(x),), _pool_attrs((1, k), (1, s), padding))
    return _squeeze_1d(y)


def max_pool1d(
    input: Any,
    ksize: Any,
    strides: Any,
    padding: str,
    data_format: str = "NWC",
    name: str | None = None,
) -> Tensor:  # noqa: A002, E501
    """`tf.nn.max_pool1d`: max pooling of an NWC tensor."""
    return _pool1d("MaxPool", input, ksize, strides, padding, data_format)


def avg_pool1d(
    input: Any,
    ksize: Any,
    strides: Any,
    padding: str,
    data_format: str = "NWC",
    name: str | None = None,
) -> Tensor:  # noqa: A002, E501
    """`tf.nn.avg_pool1d`: average pooling of an NWC tensor."""
    return _pool1d("AvgPool", input, ksize, strides, padding, data_format)


def _pool_by_rank(kind: str, input: Any, ksize, strides, padding, data_format) -> Tensor:  # noqa: A002
    x = to_tensor(input)
    d = dims_of(x)
    rank = None if d is None else len(d)
    if rank == 3:
        fn = max_pool1d if kind == "max" else avg_pool1d
        return fn(x, ksize, strides, padding, data_format or "NWC")
    if rank == 4:
        fn = max_pool2d if kind == "max" else avg_pool2d
        return fn(x, ksize, strides, padding, data_format or "NHWC")
    raise ValueError(
        f"`input.shape.rank` must be 3 or 4 (3-D pooling is not supported). "
        f"Received: input.shape={dims_str(d)} of rank {rank}"
    )


def max_pool(
    input: Any,
    ksize: Any,
    strides: Any,
    padding: str,
    data_format: str | None = None,
    name: str | None = None,
) -> Tensor:  # noqa: A002, E501
    """`tf.nn.max_pool`: max pooling of a rank 3 (NWC) or 4 (NHWC) tensor."""
    return _pool_by_rank("max", input, ksize, strides, padding, data_format)


def avg_pool(
    input: Any,
    ksize: Any,
    strides: Any,
    padding: str,
    data_format: str | None = None,
    name: str | None = None,
) -> Tensor:  # noqa: A002, E501
    """`tf.nn.avg_pool`: average pooling of a rank 3 (NWC) or 4 (NHWC) tensor."""
    return _pool_by_rank("avg", input, ksize, strides, padding, data_format)


def pool(
    input: Any,  # noqa: A002
    window_shape: Any,
    pooling_type: str,
    strides: Any = None,
    padding: str = "VALID",
    data_format: str | None = None,
    dilations: Any = None,
    name: str | None = None,
) -> Tensor:
    """`tf.nn.pool`: "MAX" or "AVG" pooling over 1 or 2 spatial dimensions.

    >>> import ndflow as tf
    >>> x = tf.reshape(tf.constant([1.0, 3.0, 2.0, 4.0]), (1, 4, 1))
    >>> tf.nn.pool(x, [2], "MAX", strides=[2]).numpy().ravel()
    array([3., 4.], dtype=float32)
    """
    kind = str(pooling_type).upper()
    if kind not in ("MAX", "AVG"):
        raise ValueError(
            f"pooling_type must be 'MAX' or 'AVG'. Received: pooling_type={pooling_type}"
        )
    window = [int(v) for v in window_shape]
    n = len(window)
    if dilations is not None and any(int(d) != 1 for d in _pair(dilations, "dilations", n)):
        raise errors.UnimplementedError(
            None, None, f"tf.nn.pool supports only dilations of 1. Received: dilations={dilations}"
        )
    strides = [1] * n if strides is None else strides
    return _pool_by_rank(
        "max" if kind == "MAX" else "avg", input, window, strides, padding, data_format
    )
