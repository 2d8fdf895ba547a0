"""Segment reductions and counting: `tf.math.segment_{sum,mean,max,min,prod}`,
`unsorted_segment_{sum,mean,max,min,prod,sqrt_n}` and `bincount`.

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
from ndflow._src.ops.binary_ops import maximum, minimum
from ndflow._src.ops.math_ops import (
    FLOAT_COMPLEX,
    NUMERIC_TYPES,
    REAL_TYPES,
    add,
    cast,
    check_type,
    divide_,
    equal,
    greater,
    multiply,
    ones_like,
    zeros_like,
)
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


# ---------------------------------------------------------------------------- kernels


def _lowest(dt: np.dtype):
    # Empty unsorted segments get the finite extremes (-FLT_MAX), as in TensorFlow.
    return dtypes.from_numpy(dt).min


def _highest(dt: np.dtype):
    return dtypes.from_numpy(dt).max


# kind -> (ufunc, initial value for an empty segment)
_REDUCERS = {
    "Sum": (np.add, lambda dt: 0),
    "Prod": (np.multiply, lambda dt: 1),
    "Max": (np.maximum, _lowest),
    "Min": (np.minimum, _highest),
}


def _segment_reduce(data, ids, n, kind, empty_value=None):
    """Reduces slices of `data` into `n` rows by `ids` (ids < 0 are dropped). Empty rows
    get the reduction's identity, or `empty_value` when given."""
    rest = data.shape[ids.ndim :]
    flat_ids = ids.reshape(-1)
    flat = data.reshape((flat_ids.size,) + rest)
    keep = flat_ids >= 0
    ids_kept, rows = flat_ids[keep], flat[keep]
    if kind == "Mean":
        out = _segment_reduce(data, ids, n, "Sum")
        counts = np.bincount(ids_kept, minlength=n)[:n].reshape((n,) + (1,) * len(rest))
        with np.errstate(all="ignore"):
            mean = out / np.maximum(counts, 1)
        return (np.trunc(mean) if data.dtype.kind in "iu" else mean).astype(data.dtype)
    ufunc, initial = _REDUCERS[kind]
    out = np.full((n,) + rest, initial(data.dtype), data.dtype)
    ufunc.at(out, ids_kept, rows)
    if empty_value is not None:
        empty = np.bincount(ids_kept, minlength=n)[:n] == 0
        out[empty] = empty_value
    return out


def _sorted_kernel(kind: str):
    op_type = f"Segment{kind}"

    def kernel(data, ids):
        if ids.ndim != 1 or data.ndim == 0 or ids.shape[0] != data.shape[0]:
            raise op_util.invalid(
                op_type, "segment_ids should be the same size as dimension 0 of input."
            )
        if ids.size and (np.any(np.diff(ids) < 0) or ids[0] < 0):
            raise op_util.invalid(op_type, "segment ids are not increasing")
        n = int(ids[-1]) + 1 if ids.size else 0
        # Sorted segment ops give 0 for an empty segment (prod gives 1).
        return _segment_reduce(data, ids, n, kind, None if kind == "Prod" else 0)

    return kernel


def _sorted_shape(op_type: str):
    def rule(inputs, attrs):
        data, ids = dims_of(inputs[0]), dims_of(inputs[1])
        if data is not None and ids is not None:
            bad = len(ids) != 1 or not data
            if not bad and data[0] is not None and ids[0] is not None:
                bad = data[0] != ids[0]
            if bad:
                raise op_util.invalid(
                    op_type, "segment_ids should be the same size as dimension 0 of input."
                )
        ids_value = static_value(inputs[1])
        n = None
        if ids_value is not None:
            n = int(ids_value[-1]) + 1 if ids_value.size else 0
        return [(None if data is None else (n,) + tuple(data[1:]), inputs[0].dtype)]

    return rule


def _unsorted_kernel(kind: str):
    op_type = f"UnsortedSegment{kind}"

    def kernel(data, ids, num_segments):
        n = int(num_segments)
        if data.shape[: ids.ndim] != ids.shape:
            raise op_util.invalid(
                op_type,
                f"data.shape = {list(data.shape)} does not start with segment_ids.shape = "
                f"{list(ids.shape)}",
            )
        flat = ids.reshape(-1)
        bad = np.nonzero(flat >= n)[0]
        if bad.size:
            i = int(bad[0])
            index = ",".join(str(int(v)) for v in np.unravel_index(i, ids.shape))
            raise op_util.invalid(
                op_type, f"segment_ids[{index}] = {int(flat[i])} is out of range [0, {n})"
            )
        return _segment_reduce(data, ids, n, kind)

    return kernel


def _unsorted_shape(inputs, attrs):
    data, ids = dims_of(inputs[0]), dims_of(inputs[1])
    n = static_value(inputs[2])
    n = None if n is None else int(n)
    if data is None or ids is None:
        return [(None, inputs[0].dtype)]
    return [((n,) + tuple(data[len(ids) :]), inputs[0].dtype)]


# ---------------------------------------------------------------------------- gradients


def _gather(values: Tensor, ids: Tensor) -> Tensor:
    return execute("GatherSegments", (values, ids))


def _segment_sum_like(values: Tensor, ids: Tensor, like: Tensor) -> Tensor:
    """Sums `values` by `ids` into as many rows as `like` has."""
    return execute("ScatterSegmentsLike", (values, ids, like))


def _sum_grad(op, g):
    return (_gather(g, op.inputs[1]),) + (None,) * (len(op.inputs) - 1)


def _mean_grad(op, g):
    x, ids = op.inputs[0], op.inputs[1]
    counts = _segment_sum_like(ones_like(x), ids, g)
    return (_gather(divide_(g, counts), ids),) + (None,) * (len(op.inputs) - 1)


def _min_or_max_grad(op, g):
    # The gradient is shared equally between the elements that attain the extreme.
    x, ids, y = op.inputs[0], op.inputs[1], op.outputs[0]
    is_selected = equal(x, _gather(y, ids))
    num_selected = _segment_sum_like(cast(is_selected, g.dtype), ids, g)
    grads = _gather(divide_(g, num_selected), ids)
    out = execute("SelectV2", (is_selected, grads, zeros_like(grads)))
    return (out,) + (None,) * (len(op.inputs) - 1)


def _prod_grad(op, g):
    # Handles zeros without dividing by them: an element's partial derivative is the
    # product of the others, which is 0 when the segment holds another zero.
    x, ids, y = op.inputs[0], op.inputs[1], op.outputs[0]
    is_zero = equal(x, zeros_like(x))
    num_zeros = _segment_sum_like(cast(is_zero, g.dtype), ids, g)
    g = execute("SelectV2", (greater(num_zeros, ones_like(num_zeros)), zeros_like(g), g))
    non_zero = execute("SelectV2", (is_zero, ones_like(x), x))
    non_zero_prod = execute("UnsortedSegmentProd", (non_zero, ids, _num_rows(g)))
    partial = execute(
        "SelectV2",
        (is_zero, _gather(non_zero_prod, ids), divide_(_gather(y, ids), non_zero)),
    )
    return (multiply(_gather(g, ids), partial),) + (None,) * (len(op.inputs) - 1)


register_op(
    "NumRows", lambda x: np.asarray(x.shape[0], np.int32), lambda i, a: [((), dtypes.int32)]
)


def _num_rows(x: Tensor) -> Tensor:
    return execute("NumRows", (x,))


_GRADS = {"Sum": _sum_grad, "Mean": _mean_grad, "Max": _min_or_max_grad,
          "Min": _min_or_max_grad, "Prod": _prod_grad}  # fmt: skip
for _kind in ("Sum", "Mean", "Max", "Min", "Prod"):
    register_op(
        f"Segment{_kind}", _sorted_kernel(_kind), _sorted_shape(f"Segment{_kind}"), _GRADS[_kind]
    )
for _kind in ("Sum", "Max", "Min", "Prod"):
    register_op(f"UnsortedSegment{_kind}", _unsorted_kernel(_kind), _unsorted_shape, _GRADS[_kind])
del _kind


# ---------------------------------------------------------------------------- public


def _check_ids(ids: Tensor, op_type: str) -> None:
    if ids.dtype not in _INDEX_TYPES:
        raise op_util.invalid(
            op_type,
            f"Value for attr 'Tindices' of {op_util.cpp_name(ids.dtype)} is not in the list "
            "of allowed values: int32, int64",
        )


def _sorted(kind: str, data: Any, segment_ids: Any) -> Tensor:
    op_type = f"Segment{kind}"
    x, ids = to_tensor(data), to_tensor(segment_ids)
    check_type(x, REAL_TYPES if kind in ("Max", "Min") else NUMERIC_TYPES, op_type)
    _check_ids(ids, op_type)
    return execute(op_type, (x, ids))


def _unsorted(kind: str, data: Any, segment_ids: Any, num_segments: Any) -> Tensor:
    op_type = f"UnsortedSegment{kind}"
    x, ids = to_tensor(data), to_tensor(segment_ids)
    check_type(x, REAL_TYPES if kind in ("Max", "Min") else NUMERIC_TYPES, op_type)
    _check_ids(ids, op_type)
    n = num_segments if isinstance(num_segments, Tensor) else to_tensor(num_segments)
    if n.dtype not in _INDEX_TYPES:
        raise op_util.invalid(
            op_type,
            f"Value for attr 'Tnumsegments' of {op_util.cpp_name(n.dtype)} is not in the list "
            "of allowed values: int32, int64",
        )
    return execute(op_type, (x, ids, n))


def segment_sum(data: Any, segment_ids: Any, name: str | None = None) -> Tensor:
    """`tf.math.segment_sum`: sums rows of `data` that share a (sorted) segment id.

    The output has `segment_ids[-1] + 1` rows; ids with no rows give zeros.

    >>> import ndflow as tf
    >>> tf.math.segment_sum(tf.constant([1.0, 2.0, 3.0]), tf.constant([0, 0, 2]))
    <tf.Tensor: shape=(3,), dtype=float32, numpy=array([3., 0., 3.], dtype=float32)>
    """
    return _sorted("Sum", data, segment_ids)


def segment_mean(data: Any, segment_ids: Any, name: str | None = None) -> Tensor:
    """`tf.math.segment_mean`: the mean of each (sorted) segment; 0 for empty ones."""
    return _sorted("Mean", data, segment_ids)


def segment_max(data: Any, segment_ids: Any, name: str | None = None) -> Tensor:
    """`tf.math.segment_max`: the maximum of each (sorted) segment; 0 for empty ones."""
    return _sorted("Max", data, segment_ids)


def segment_min(data: Any, segment_ids: Any, name: str | None = None) -> Tensor:
    """`tf.math.segment_min`: the minimum of each (sorted) segment; 0 for empty ones."""
    return _sorted("Min", data, segment_ids)


def segment_prod(data: Any, segment_ids: Any, name: str | None = None) -> Tensor:
    """`tf.math.segment_prod`: the product of each (sorted) segment; 1 for empty ones."""
    return _sorted("Prod", data, segment_ids)


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
    return _unsorted("Sum", data, segment_ids, num_segments)


def unsorted_segment_max(
    data: Any, segment_ids: Any, num_segments: Any, name: str | None = None
) -> Tensor:
    """`tf.math.unsorted_segment_max`: per-id maximum; the dtype's lowest value if empty."""
    return _unsorted("Max", data, segment_ids, num_segments)


def unsorted_segment_min(
    data: Any, segment_ids: Any, num_segments: Any, name: str | None = None
) -> Tensor:
    """`tf.math.unsorted_segment_min`: per-id minimum; the dtype's highest value if empty."""
    return _unsorted("Min", data, segment_ids, num_segments)


def unsorted_segment_prod(
    data: Any, segment_ids: Any, num_segments: Any, name: str | None = None
) -> Tensor:
    """`tf.math.unsorted_segment_prod`: per-id product; 1 for empty segments."""
    return _unsorted("Prod", data, segment_ids, num_segments)


def _segment_counts(data: Tensor, segment_ids: Any, num_segments: Any) -> Tensor:
    # Counting with a ones tensor shaped like `data` gives counts that already broadcast
    # against the sums; empty segments count as 1 so the division leaves their 0 alone.
    counts = unsorted_segment_sum(ones_like(data), segment_ids, num_segments)
    return maximum(counts, ones_like(counts))


def unsorted_segment_mean(
    data: Any, segment_ids: Any, num_segments: Any, name: str | None = None
) -> Tensor:
    """`tf.math.unsorted_segment_mean`: per-id mean (sum / count); 0 for empty segments.

    >>> import ndflow as tf
    >>> tf.math.unsorted_segment_mean(tf.constant([1.0, 2.0, 4.0]), tf.constant([1, 0, 1]), 2)
    <tf.Tensor: shape=(2,), dtype=float32, numpy=array([2. , 2.5], dtype=float32)>
    """
    x = to_tensor(data)
    check_type(x, FLOAT_COMPLEX, "UnsortedSegmentSum")
    summed = unsorted_segment_sum(x, segment_ids, num_segments)
    return divide_(summed, _segment_counts(x, segment_ids, num_segments))


def unsorted_segment_sqrt_n(
    data: Any, segment_ids: Any, num_segments: Any, name: str | None = None
) -> Tensor:
    """`tf.math.unsorted_segment_sqrt_n`: per-id sum divided by sqrt(count)."""
    from ndflow._src.ops.unary_ops import sqrt

    x = to_tensor(data)
    check_type(x, FLOAT_COMPLEX, "UnsortedSegmentSum")
    summed = unsorted_segment_sum(x, segment_ids, num_segments)
    return divide_(summed, sqrt(_segment_counts(x, segment_ids, num_segments)))


# ---------------------------------------------------------------------------- bincount


def _bincount_kernel(arr, size, weights, binary_output):
    size = int(size)
    if arr.size and arr.min() < 0:
        raise op_util.invalid("DenseBincount", "Input arr must be non-negative!")
    rows = arr.shape[0] if arr.ndim == 2 else 1
    a2 = arr.reshape(rows, -1).astype(np.int64)
    keep = a2 < size
    # One bincount over all rows: row r's values are shifted into [r * size, (r+1) * size).
    flat = (a2 + np.arange(rows, dtype=np.int64)[:, None] * size)[keep]
    if binary_output:
        out = np.zeros(rows * size, weights.dtype)
        out[flat] = 1
    elif weights.size:
        w = weights.reshape(rows, -1)[keep]
        out = np.bincount(flat, weights=w, minlength=rows * size).astype(weights.dtype)
    else:
        out = np.bincount(flat, minlength=rows * size).astype(weights.dtype)
    return out.reshape((rows, size) if arr.ndim == 2 else (size,))


def _bincount_shape(inputs, attrs):
    arr = dims_of(inputs[0])
    size = static_value(inputs[1])
    size = None if size is None else int(size)
    out_dtype = inputs[2].dtype
    if arr is None:
        return [(None, out_dtype)]
    if len(arr) == 2:
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
    from ndflow._src.ops.array_ops import reshape, shape
    from ndflow._src.ops.reduction_ops import reduce_max, reduce_prod

    x = to_tensor(arr)
    if x.dtype not in _INDEX_TYPES:
        x = cast(x, dtypes.int32)
    w = None if weights is None else to_tensor(weights)
    if axis not in (None, 0, -1):
        raise ValueError(f"Unsupported axis value {axis}. Only 0 and -1 are currently supported.")
    if axis is None or axis == 0:
        x = reshape(x, [-1])
        w = None if w is None else reshape(w, [-1])
    elif x.shape.rank not in (None, 2):
        raise ValueError(f"`arr` must be 2-D when `axis=-1`. Received: arr.shape={x.shape}")
    # N = (max + 1) when arr is non-empty, else 0, computed with ops so it also traces.
    nonempty = cast(greater(reduce_prod(shape(x)), 0), x.dtype)
    size = multiply(nonempty, add(reduce_max(x), 1))
    if minlength is not None:
        size = maximum(size, cast(to_tensor(minlength), x.dtype))
    if maxlength is not None:
        size = minimum(size, cast(to_tensor(maxlength), x.dtype))
    if w is None:
        w = to_tensor(np.zeros((0,), dtypes.as_dtype(dtype)._np))
    return execute("DenseBincount", (x, size, w), {"binary_output": bool(binary_output)})


# ---------------------------------------------------------------------------- confusion matrix


def confusion_matrix(
    labels: Any,
    predictions: Any,
    num_classes: Any = None,
    weights: Any = None,
    dtype: Any = dtypes.int32,
    name: str | None = None,
) -> Tensor:
    """`tf.math.confusion_matrix`: counts[i, j] = how often label i was predicted as j
    (or the sum of `weights` there). `num_classes` defaults to max(labels, predictions) + 1.

    Raises:
        InvalidArgumentError: for negative or out-of-range labels or predictions.

    >>> import ndflow as tf
    >>> tf.math.confusion_matrix([0, 1, 1], [0, 1, 0]).numpy().tolist()
    [[1, 0], [1, 1]]
    """
    from ndflow._src.ops.array_ops import reshape
    from ndflow._src.ops.reduction_ops import reduce_max

    dtype = dtypes.as_dtype(dtype)
    y = cast(to_tensor(labels), dtypes.int64)
    p = cast(to_tensor(predictions), dtypes.int64)
    for t, what in ((y, "labels"), (p, "predictions")):
        v = static_value(t)
        if v is not None and v.size and v.min() < 0:
            raise op_util.invalid("ConfusionMatrix", f"`{what}` contains negative values")
    if num_classes is None:
        n = maximum(reduce_max(y), reduce_max(p))
        value = static_value(n)
        if value is None:
            raise NotImplementedError("confusion_matrix needs num_classes inside a graph.")
        n = int(value) + 1
    else:
        n = int(static_value(to_tensor(num_classes)))
        for t, what in ((y, "labels"), (p, "predictions")):
            v = static_value(t)
            if v is not None and v.size and v.max() >= n:
                raise op_util.invalid("ConfusionMatrix", f"`{what}` out of bound")
    cells = add(multiply(y, n), p)
    if weights is None:
        values = ones_like(cells, dtype=dtype)
    else:
        values = cast(to_tensor(weights), dtype)
    counts = unsorted_segment_sum(values, cells, to_tensor(np.asarray(n * n, np.int64)))
    return reshape(counts, [n, n])
