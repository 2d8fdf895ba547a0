"""Sorting: `tf.math.top_k`, `tf.sort` and `tf.argsort`.

Ties keep their original order (lower index first) in both directions, as TensorFlow's
top-k based sorts do. Gradients route through `TakeAlongAxis` / `ScatterAlongAxis`, a
pair of internal ops that are each other's gradient.
"""

from __future__ import annotations

from collections import namedtuple
from typing import Any

import numpy as np

from ndflow._src.core import dtypes
from ndflow._src.framework.execute import execute
from ndflow._src.framework.op_registry import register_op
from ndflow._src.framework.tensor import Tensor, static_value
from ndflow._src.ops import op_util
from ndflow._src.ops.math_ops import REAL_TYPES, check_type, negative
from ndflow._src.ops.op_util import dims_of, to_tensor

TopKV2 = namedtuple("TopKV2", ["values", "indices"])

# ---------------------------------------------------------------------------- gather/scatter


def _take_along_axis_kernel(x, indices, axis):
    return np.take_along_axis(x, indices.astype(np.intp, copy=False), axis=axis)


def _take_along_axis_grad(op, g):
    x, indices = op.inputs
    return execute("ScatterAlongAxis", (g, indices, x), {"axis": op.attrs["axis"]}), None


register_op(
    "TakeAlongAxis",
    _take_along_axis_kernel,
    lambda inputs, attrs: [(dims_of(inputs[1]), inputs[0].dtype)],
    _take_along_axis_grad,
)


def _scatter_along_axis_kernel(updates, indices, like, axis):
    out = np.zeros(like.shape, updates.dtype)
    # Indices are distinct along `axis` (they come from a sort), so a put is a scatter-add.
    np.put_along_axis(out, indices.astype(np.intp, copy=False), updates, axis=axis)
    return out


def _scatter_along_axis_grad(op, g):
    _, indices, _ = op.inputs
    return execute("TakeAlongAxis", (g, indices), {"axis": op.attrs["axis"]}), None, None


register_op(
    "ScatterAlongAxis",
    _scatter_along_axis_kernel,
    lambda inputs, attrs: [(dims_of(inputs[2]), inputs[0].dtype)],
    _scatter_along_axis_grad,
)


def _descending_order(x: np.ndarray, axis: int) -> np.ndarray:
    """Indices sorting `x` descending along `axis`, ties in ascending index order."""
    n = x.shape[axis]
    flipped = np.flip(x, axis)
    order = np.argsort(flipped, axis=axis, kind="stable")
    return (n - 1) - np.flip(order, axis)


# ---------------------------------------------------------------------------- top_k


def _top_k_kernel(x, k, sorted, index_type):  # noqa: A002 - TensorFlow's attr name
    # sorted=False allows any order; the result is sorted either way, as on TF's CPU.
    order = _descending_order(x, -1)[..., :k]
    values = np.take_along_axis(x, order, axis=-1)
    return values, order.astype(index_type._np)


def _top_k_shape(inputs, attrs):
    dims = dims_of(inputs[0])
    k = attrs["k"]
    if k < 0:
        raise op_util.invalid("TopKV2", f"Need k >= 0, got {k}")
    if dims is None:
        return [(None, inputs[0].dtype), (None, attrs["index_type"])]
    if len(dims) < 1:
        raise op_util.invalid("TopKV2", f"input must be >= 1-D, got shape {op_util.dims_str(dims)}")
    if dims[-1] is not None and dims[-1] < k:
        raise op_util.invalid(
            "TopKV2", f"input must have at least k columns. Had {dims[-1]}, needed {k}"
        )
    out = dims[:-1] + (k,)
    return [(out, inputs[0].dtype), (out, attrs["index_type"])]


def _top_k_grad(op, g_values, g_indices):
    x = op.inputs[0]
    indices = op.outputs[1]
    return (execute("ScatterAlongAxis", (g_values, indices, x), {"axis": -1}),)


register_op("TopKV2", _top_k_kernel, _top_k_shape, _top_k_grad, num_outputs=2)


def top_k(
    input: Any,  # noqa: A002
    k: Any = 1,
    sorted: bool = True,  # noqa: A002
    index_type: Any = dtypes.int32,
    name: str | None = None,
) -> TopKV2:
    """`tf.math.top_k` (also `tf.nn.top_k`): the `k` largest entries along the last axis
    and their indices; equal values keep the lower index first.

    >>> import ndflow as tf
    >>> tf.math.top_k(tf.constant([1, 3, 2, 3]), k=2).indices
    <tf.Tensor: shape=(2,), dtype=int32, numpy=array([1, 3], dtype=int32)>
    """
    x = to_tensor(input)
    check_type(x, REAL_TYPES, "TopKV2")
    if isinstance(k, Tensor):
        k = static_value(k)
    attrs = {"k": int(np.asarray(k).reshape(())), "sorted": bool(sorted)}
    attrs["index_type"] = dtypes.as_dtype(index_type)
    _top_k_shape([x], attrs)
    values, indices = execute("TopKV2", (x,), attrs)
    return TopKV2(values, indices)


# ---------------------------------------------------------------------------- sort / argsort


def _argsort_kernel(x, axis, descending):
    if descending:
        return _descending_order(x, axis).astype(np.int32)
    return np.argsort(x, axis=axis, kind="stable").astype(np.int32)


def _argsort_shape(inputs, attrs):
    dims = dims_of(inputs[0])
    if dims is not None:
        op_util.normalize_axis(attrs["axis"], len(dims), "ArgSort")
    return [(dims, dtypes.int32)]


register_op("ArgSort", _argsort_kernel, _argsort_shape)


def _check_direction(direction: str) -> bool:
    if direction not in ("ASCENDING", "DESCENDING"):
        raise ValueError(
            "Argument `direction` should be one of ASCENDING, DESCENDING. Received: "
            f"direction={direction}"
        )
    return direction == "DESCENDING"


def _order(values: Any, axis: Any, direction: str) -> tuple[Tensor, Tensor, int]:
    x = to_tensor(values)
    descending = _check_direction(direction)
    check_type(x, REAL_TYPES, "ArgSort")
    if isinstance(axis, Tensor):
        axis = static_value(axis)
    dims = dims_of(x)
    if dims is not None and len(dims) == 0:
        raise ValueError("The rank of `values` must be at least 1. Received rank 0.")
    attrs = {"axis": int(np.asarray(axis).reshape(())), "descending": descending}
    _argsort_shape([x], attrs)
    return x, execute("ArgSort", (x,), attrs), attrs["axis"]


def argsort(
    values: Any,
    axis: Any = -1,
    direction: str = "ASCENDING",
    stable: bool = False,
    name: str | None = None,
) -> Tensor:
    """`tf.argsort`: int32 indices that sort `values` along `axis` (always stable).

    >>> import ndflow as tf
    >>> tf.argsort(tf.constant([1, 3, 2, 3]), direction="DESCENDING")
    <tf.Tensor: shape=(4,), dtype=int32, numpy=array([1, 3, 2, 0], dtype=int32)>
    """
    return _order(values, axis, direction)[1]


def sort(
    values: Any, axis: Any = -1, direction: str = "ASCENDING", name: str | None = None
) -> Tensor:
    """`tf.sort`: `values` sorted along `axis`; differentiable for floats.

    >>> import ndflow as tf
    >>> tf.sort(tf.constant([3.0, 1.0, 2.0]))
    <tf.Tensor: shape=(3,), dtype=float32, numpy=array([1., 2., 3.], dtype=float32)>
    """
    x, order, axis = _order(values, axis, direction)
    return execute("TakeAlongAxis", (x, order), {"axis": axis})


# ---------------------------------------------------------------------------- permutations


def _invert_permutation_kernel(x):
    n = x.shape[0]
    if x.ndim != 1:
        raise op_util.invalid("InvertPermutation", f"x must be a vector, got {list(x.shape)}")
    if n and (x.min() < 0 or x.max() >= n or np.unique(x).size != n):
        bad = next(int(v) for v in x if not 0 <= v < n or np.sum(x == v) > 1)
        raise op_util.invalid(
            "InvertPermutation",
            f"{bad} is not between 0 and {n}"
            if not 0 <= bad < n
            else f"{bad} is duplicated in the input.",
        )
    out = np.empty_like(x)
    out[x] = np.arange(n, dtype=x.dtype)
    return out


register_op(
    "InvertPermutation",
    _invert_permutation_kernel,
    lambda inputs, attrs: [(dims_of(inputs[0]), inputs[0].dtype)],
)


def invert_permutation(x: Any, name: str | None = None) -> Tensor:
    """`tf.math.invert_permutation`: y such that y[x[i]] = i.

    >>> import ndflow as tf
    >>> tf.math.invert_permutation([2, 0, 1])
    <tf.Tensor: shape=(3,), dtype=int32, numpy=array([1, 2, 0], dtype=int32)>
    """
    x = to_tensor(x)
    if x.dtype not in (dtypes.int32, dtypes.int64):
        raise op_util.invalid(
            "InvertPermutation",
            f"Value for attr 'T' of {op_util.cpp_name(x.dtype)} is not in the list of allowed "
            "values: int32, int64",
        )
    return execute("InvertPermutation", (x,))


ApproxTopK = namedtuple("ApproxTopK", ["values", "indices"])


def _approx_k(operand: Any, k: int, dim: int, largest: bool) -> ApproxTopK:
    x = to_tensor(operand)
    rank = x.shape.rank
    if dim not in (-1, (rank or 0) - 1):
        raise NotImplementedError("approx_max_k/approx_min_k support the last dimension only.")
    if largest:
        values, indices = top_k(x, k)
        return ApproxTopK(values, indices)
    values, indices = top_k(negative(x), k)
    return ApproxTopK(negative(values), indices)


def approx_max_k(
    operand: Any,
    k: int,
    reduction_dimension: int = -1,
    recall_target: float = 0.95,
    reduction_input_size_override: int = -1,
    aggregate_to_topk: bool = True,
    name: str | None = None,
) -> ApproxTopK:
    """`tf.math.approx_max_k`: the `k` largest values and their indices along the last
    dimension. Computed exactly (recall 1.0), which meets any `recall_target`."""
    return _approx_k(operand, k, reduction_dimension, True)


def approx_min_k(
    operand: Any,
    k: int,
    reduction_dimension: int = -1,
    recall_target: float = 0.95,
    reduction_input_size_override: int = -1,
    aggregate_to_topk: bool = True,
    name: str | None = None,
) -> ApproxTopK:
    """`tf.math.approx_min_k`: the `k` smallest values and their indices (exactly)."""
    return _approx_k(operand, k, reduction_dimension, False)
