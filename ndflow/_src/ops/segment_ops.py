"""Segment reductions and counting: `tf.math.segment_sum`, `unsorted_segment_sum` and
`bincount`.

The sums' gradients gather the output gradient back by segment id (`GatherSegments`,
an internal op whose own gradient scatters it back, so higher derivatives work).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ndflow._src.core import dtypes
from ndflow._src.framework.execute import execute
from ndflow._src.framework.op_registry import register_op
from ndflow._src.framework.tensor import Tensor, static_value
from ndflow._src.ops import op_util
from ndflow._src.ops.math_ops import NUMERIC_TYPES, check_type
from ndflow._src.ops.op_util import dims_of, to_tensor

_INDEX_TYPES = (dtypes.int32, dtypes.int64)


def _segment_scatter(data, ids, num_segments):
    """Sums rows of `data` into `num_segments` rows by `ids` (ids < 0 are dropped)."""
    rest = data.shape[ids.ndim :]
    out = np.zeros((num_segments,) + rest, data.dtype)
    flat_ids = ids.reshape(-1)
    flat = data.reshape((flat_ids.size,) + rest)
    keep = flat_ids >= 0
    np.add.at(out, flat_ids[keep], flat[keep])
    return out


# ---------------------------------------------------------------------------- gather/scatter


def _gather_segments_kernel(g, ids):
    out_of_range = (ids < 0) | (ids >= g.shape[0])
    safe = np.where(out_of_range, 0, ids)
    out = g[safe]
    if out_of_range.any():
        out[out_of_range] = 0
    return out


def _gather_segments_shape(inputs, attrs):
    g, ids = dims_of(inputs[0]), dims_of(inputs[1])
    if g is None or ids is None:
        return [(None, inputs[0].dtype)]
    return [(ids + g[1:], inputs[0].dtype)]


def _gather_segments_grad(op, dy):
    g, ids = op.inputs
    return execute("ScatterSegmentsLike", (dy, ids, g)), None


register_op(
    "GatherSegments", _gather_segments_kernel, _gather_segments_shape, _gather_segments_grad
)


def _scatter_like_kernel(data, ids, like):
    return _segment_scatter(data, ids, like.shape[0])


def _scatter_like_grad(op, dy):
    _, ids, _ = op.inputs
    return execute("GatherSegments", (dy, ids)), None, None


register_op(
    "ScatterSegmentsLike",
    _scatter_like_kernel,
    lambda inputs, attrs: [(dims_of(inputs[2]), inputs[0].dtype)],
    _scatter_like_grad,
)


def _segment_grad(op, g):
    ids = op.inputs[1]
    grads = [execute("GatherSegments", (g, ids)), None]
    return tuple(grads + [None] * (len(op.inputs) - 2))


# ---------------------------------------------------------------------------- segment_sum


def _segment_sum_kernel(data, ids):
    if ids.ndim != 1 or data.ndim == 0 or ids.shape[0] != data.shape[0]:
        raise op_util.invalid(
            "SegmentSum", "segment_ids should be the same size as dimension 0 of input."
        )
    if ids.size and (np.any(np.diff(ids) < 0) or ids[0] < 0):
        raise op_util.invalid("SegmentSum", "segment ids are not increasing")
    n = int(ids[-1]) + 1 if ids.size else 0
    return _segment_scatter(data, ids, n)


def _segment_sum_shape(inputs, attrs):
    data, ids = dims_of(inputs[0]), dims_of(inputs[1])
    if data is not None and ids is not None:
        if len(ids) != 1 or not data or None not in (data[0], ids[0]) and data[0] != ids[0]:
            raise op_util.invalid(
                "SegmentSum", "segment_ids should be the same size as dimension 0 of input."
            )
    ids_value = static_value(inputs[1])
    n = None
    if ids_value is not None:
        n = int(ids_value[-1]) + 1 if ids_value.size else 0
    return [(None if data is None else (n,) + tuple(data[1:]), inputs[0].dtype)]


register_op("SegmentSum", _segment_sum_kernel, _segment_sum_shape, _segment_grad)


def _check_ids(ids: Tensor, op_type: str) -> None:
    if ids.dtype not in _INDEX_TYPES:
        raise op_util.invalid(
            op_type,
            f"Value for attr 'Tindices' of {op_util.cpp_name(ids.dtype)} is not in the list "
            "of allowed values: int32, int64",
        )


def segment_sum(data: Any, segment_ids: Any, name: str | None = None) -> Tensor:
    """`tf.math.segment_sum`: sums rows of `data` that share a (sorted) segment id.

    The output has `segment_ids[-1] + 1` rows; ids with no rows give zeros.

    >>> import ndflow as tf
    >>> tf.math.segment_sum(tf.constant([1.0, 2.0, 3.0]), tf.constant([0, 0, 2]))
    <tf.Tensor: shape=(3,), dtype=float32, numpy=array([3., 0., 3.], dtype=float32)>
    """
    x, ids = to_tensor(data), to_tensor(segment_ids)
    check_type(x, NUMERIC_TYPES, "SegmentSum")
    _check_ids(ids, "SegmentSum")
    return execute("SegmentSum", (x, ids))


# ---------------------------------------------------------------------------- unsorted


def _unsorted_segment_sum_kernel(data, ids, num_segments):
    n = int(num_segments)
    if data.shape[: ids.ndim] != ids.shape:
        raise op_util.invalid(
            "UnsortedSegmentSum",
            f"data.shape = {list(data.shape)} does not start with segment_ids.shape = "
            f"{list(ids.shape)}",
        )
    flat = ids.reshape(-1)
    bad = np.nonzero(flat >= n)[0]
    if bad.size:
        i = int(bad[0])
        index = ",".join(str(int(v)) for v in np.unravel_index(i, ids.shape)) if ids.ndim else ""
        raise op_util.invalid(
            "UnsortedSegmentSum",
            f"segment_ids[{index}] = {int(flat[i])} is out of range [0, {n})",
        )
    return _segment_scatter(data, ids, n)


def _unsorted_segment_sum_shape(inputs, attrs):
    data, ids = dims_of(inputs[0]), dims_of(inputs[1])
    n = static_value(inputs[2])
    n = None if n is None else int(n)
    if data is None or ids is None:
        return [(None, inputs[0].dtype)]
    return [((n,) + tuple(data[len(ids) :]), inputs[0].dtype)]


register_op(
    "UnsortedSegmentSum",
    _unsorted_segment_sum_kernel,
    _unsorted_segment_sum_shape,
    _segment_grad,
)


def unsorted_segment_sum(
    data: Any, segment_ids: Any, num_segments: Any, name: str | None = None
) -> Tensor:
    """`tf.math.unsorted_segment_sum`: sums slices of `data` into `num_segments` rows by id.

    `segment_ids` may be unsorted and may have several dimensions (a prefix of `data`'s
    shape); negative ids are dropped.

    >>> import ndflow as tf
    >>> tf.math.unsorted_segment_sum(tf.constant([1.0, 2.0, 3.0]), tf.constant([1, -1, 1]), 2)
    <tf.Tensor: shape=(2,), dtype=float32, numpy=array([0., 4.], dtype=float32)>
    """
    x, ids = to_tensor(data), to_tensor(segment_ids)
    check_type(x, NUMERIC_TYPES, "UnsortedSegmentSum")
    _check_ids(ids, "UnsortedSegmentSum")
    n = num_segments if isinstance(num_segments, Tensor) else to_tensor(num_segments)
    if n.dtype not in _INDEX_TYPES:
        raise op_util.invalid(
            "UnsortedSegmentSum",
            f"Value for attr 'Tnumsegments' of {op_util.cpp_name(n.dtype)} is not in the list "
            "of allowed values: int32, int64",
        )
    return execute("UnsortedSegmentSum", (x, ids, n))


# ---------------------------------------------------------------------------- bincount


def _bincount_kernel(arr, size, weights, binary_output):
    size = int(size)
    if arr.size and arr.min() < 0:
        raise op_util.invalid("DenseBincount", "Input arr must be non-negative!")
    out_dtype = weights.dtype
    use_weights = weights.size > 0

    def count_row(values, w):
        keep = values < size
        values = values[keep]
        if binary_output:
            out = np.zeros(size, out_dtype)
            out[values] = 1
            return out
        if use_weights:
            return np.bincount(values, weights=w[keep], minlength=size)[:size].astype(out_dtype)
        return np.bincount(values, minlength=size)[:size].astype(out_dtype)

    if arr.ndim <= 1:
        return count_row(arr.reshape(-1), weights.reshape(-1) if use_weights else None)
    rows = [count_row(arr[i], weights[i] if use_weights else None) for i in range(arr.shape[0])]
    return np.stack(rows).reshape(arr.shape[0], size)


def _bincount_shape(inputs, attrs):
    arr = dims_of(inputs[0])
    size = static_value(inputs[1])
    size = None if size is None else int(size)
    out_dtype = inputs[2].dtype
    if arr is not None and len(arr) == 2:
        return [((arr[0], size), out_dtype)]
    return [((size,), out_dtype)]


register_op("DenseBincount", _bincount_kernel, _bincount_shape)


def bincount(
    arr: Any,
    weights: Any = None,
    minlength: Any = None,
    maxlength: Any = None,
    dtype: Any = dtypes.int32,
    name: str | None = None,
    axis: Any = None,
    binary_output: bool = False,
) -> Tensor:
    """`tf.math.bincount`: how often each value 0..N-1 occurs in `arr` (or the sum of
    `weights` there), with N = max(arr) + 1 raised to `minlength` and capped at `maxlength`.

    `axis=-1` counts each row of a 2-D `arr` separately; `axis=None` flattens first.

    >>> import ndflow as tf
    >>> tf.math.bincount(tf.constant([1, 0, 2, 2]))
    <tf.Tensor: shape=(3,), dtype=int32, numpy=array([1, 1, 2], dtype=int32)>
    """
    x = to_tensor(arr)
    if x.dtype not in _INDEX_TYPES:
        x = to_tensor(np.asarray(x._value).astype(np.int32))
    if axis not in (None, 0, -1):
        raise ValueError(f"Unsupported axis value {axis}. Only 0 and -1 are currently supported.")
    values = x._value
    if axis is None or axis == 0:
        values = values.reshape(-1)
    elif values.ndim != 2:
        raise ValueError(f"`arr` must be 2-D when `axis=-1`. Received: arr.shape={x.shape}")
    x = to_tensor(values) if values is not x._value else x
    size = int(values.max()) + 1 if values.size else 0
    if minlength is not None:
        size = max(size, int(minlength))
    if maxlength is not None:
        size = min(size, int(maxlength))
    if weights is not None:
        w = to_tensor(weights)
        w = to_tensor(np.reshape(w._value, values.shape)) if w._value.shape != values.shape else w
        out_dtype = w.dtype
    else:
        out_dtype = dtypes.as_dtype(dtype)
        w = to_tensor(np.zeros((0,), out_dtype._np))
    return execute(
        "DenseBincount",
        (x, to_tensor(np.asarray(size, x.dtype._np)), w),
        {"binary_output": bool(binary_output)},
    )
