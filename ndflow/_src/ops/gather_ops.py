"""Indexing ops: gather, gather_nd, scatter_nd and friends, one_hot, boolean_mask,
unique and `tf.nn.embedding_lookup`.

Gradients of gathers are dense: `GatherV2Grad` scatter-adds the incoming gradient into
zeros of the params' shape (NumPy's `add.at`, so repeated indices accumulate).
"""

from __future__ import annotations

import collections
from typing import Any

import numpy as np

from ndflow._src.core import dtypes
from ndflow._src.framework.constant import convert_to_tensor
from ndflow._src.framework.execute import execute
from ndflow._src.framework.op_registry import register_op
from ndflow._src.framework.tensor import Tensor, static_value
from ndflow._src.ops import array_ops, math_ops
from ndflow._src.ops.op_util import INTS, dims_of, dims_str, invalid, to_tensor

_I32 = dtypes.int32
_I64 = dtypes.int64


def _index_tensor(indices: Any) -> Tensor:
    t = indices if isinstance(indices, Tensor) else convert_to_tensor(indices)
    if t.dtype not in (dtypes.int16, _I32, _I64):
        raise invalid(
            "GatherV2",
            f"Value for attr 'Tindices' of {t.dtype.name} is not in the list of allowed values: "
            "int16, int32, int64",
        )
    return t


def _pos(flat_index: int, shape: tuple) -> str:
    return ",".join(str(int(i)) for i in np.unravel_index(flat_index, shape)) if shape else ""


# ---------------------------------------------------------------------------- gather


def _check_gather_indices(indices: np.ndarray, limit: int) -> None:
    bad = (indices < 0) | (indices >= limit)
    if np.any(bad):
        k = int(np.flatnonzero(bad)[0])
        raise ValueError(
            f"indices[{_pos(k, indices.shape)}] = {int(indices.reshape(-1)[k])} is not in "
            f"[0, {limit})"
        )


def _gather_kernel(params, indices, axis, batch_dims):
    _check_gather_indices(indices, params.shape[axis])
    if batch_dims == 0:
        return np.take(params, indices, axis=axis)
    bshape = params.shape[:batch_dims]
    nb = int(np.prod(bshape, dtype=np.int64))
    p = params.reshape((nb,) + params.shape[batch_dims:])
    i = indices.reshape((nb,) + indices.shape[batch_dims:])
    parts = [np.take(p[k], i[k], axis=axis - batch_dims) for k in range(nb)]
    inner = (
        parts[0].shape
        if parts
        else (params.shape[batch_dims:axis] + indices.shape[batch_dims:] + params.shape[axis + 1 :])
    )
    out = np.stack(parts) if parts else np.zeros((0,) + inner, params.dtype)
    return out.reshape(bshape + inner)


def _gather_rule(inputs, attrs):
    p, i = inputs
    pd, idd = dims_of(p), dims_of(i)
    axis, bd = attrs["axis"], attrs["batch_dims"]
    if pd is None or idd is None:
        return [(None, p.dtype)]
    if not 0 <= axis < len(pd):
        raise invalid(
            "GatherV2", f"Expected axis in the range [{-len(pd)}, {len(pd)}), but got {axis}"
        )
    if bd > axis:
        raise invalid("GatherV2", f"batch_dims ({bd}) must be less than or equal to axis ({axis}).")
    v = static_value(i)
    if v is not None and pd[axis] is not None:
        try:
            _check_gather_indices(np.asarray(v), pd[axis])
        except ValueError as e:
            raise invalid("GatherV2", str(e)) from None
    return [(pd[:axis] + idd[bd:] + pd[axis + 1 :], p.dtype)]


def _gather_grad(op, g):
    params, indices = op.inputs
    gp = execute("GatherV2Grad", (g, indices, array_ops.shape(params)), op.attrs)
    return gp, None


register_op("GatherV2", _gather_kernel, _gather_rule, _gather_grad)


def _gather_grad_kernel(g, indices, shape, axis, batch_dims):
    shape = tuple(int(d) for d in shape)
    out = np.zeros(shape, dtype=g.dtype)
    if batch_dims == 0:
        n = indices.size
        gm = g.reshape(shape[:axis] + (n,) + shape[axis + 1 :])
        np.add.at(np.moveaxis(out, axis, 0), indices.reshape(-1), np.moveaxis(gm, axis, 0))
        return out
    bshape = shape[:batch_dims]
    nb = int(np.prod(bshape, dtype=np.int64))
    o = out.reshape((nb,) + shape[batch_dims:])
    idx = indices.reshape((nb, -1))
    a = axis - batch_dims
    inner = shape[batch_dims:]
    gm = g.reshape((nb,) + inner[:a] + (idx.shape[1],) + inner[a + 1 :])
    for k in range(nb):
        np.add.at(np.moveaxis(o[k], a, 0), idx[k], np.moveaxis(gm[k], a, 0))
    return out


def _gather_grad_rule(inputs, attrs):
    g, _, s = inputs
    dims = static_value(s)
    if dims is None:
        n = dims_of(s)
        return [(None if n is None or n[0] is None else (None,) * n[0], g.dtype)]
    return [(tuple(int(d) for d in np.asarray(dims).reshape(-1)), g.dtype)]


register_op(
    "GatherV2Grad",
    _gather_grad_kernel,
    _gather_grad_rule,
    lambda op, dy: (
        execute("GatherV2", (dy, op.inputs[1]), op.attrs),
        None,
        None,
    ),
)


def gather(
    params: Any,
    indices: Any,
    validate_indices: Any = None,
    axis: Any = None,
    batch_dims: int = 0,
    name: str | None = None,
) -> Tensor:
    """`tf.gather`: slices of `params` along `axis` at `indices` (out-of-range indices
    raise InvalidArgumentError). With `batch_dims=b` the first b dimensions of params and
    indices are batch dimensions gathered in lockstep.

    >>> import ndflow as tf
    >>> tf.gather(tf.constant([10, 20, 30]), [2, 0]).numpy()
    array([30, 10], dtype=int32)
    """
    p = to_tensor(params)
    i = _index_tensor(indices)
    pr, ir = p.shape.rank, i.shape.rank
    bd = int(batch_dims)
    if bd < 0 and ir is not None:
        bd += ir
    axis = bd if axis is None else array_ops._axis_value(axis)
    if pr is not None:
        if not -pr <= axis < pr:
            raise invalid("GatherV2", f"Expected axis in the range [{-pr}, {pr}), but got {axis}")
        axis %= pr
    if ir is not None and not 0 <= bd <= ir:
        raise ValueError(f"batch_dims must be in the range [{-ir}, {ir}], got {batch_dims}")
    return execute("GatherV2", (p, i), {"axis": axis, "batch_dims": bd})


def embedding_lookup(
    params: Any, ids: Any, max_norm: Any = None, name: str | None = None
) -> Tensor:
    """`tf.nn.embedding_lookup`: rows of `params` (a tensor, or a list of shards split by
    TF2's "div" strategy) at `ids`; rows whose L2 norm exceeds `max_norm` are scaled down
    to it.

    >>> import ndflow as tf
    >>> from ndflow._src.ops.gather_ops import embedding_lookup
    >>> embedding_lookup(tf.eye(3), [[2]]).shape
    TensorShape([1, 1, 3])
    """
    if isinstance(params, (list, tuple)):
        if not params:
            raise ValueError("Length of params is currently 0. Need at least one param.")
        # TF2 shards by "div": consecutive ids live in consecutive shards, so the shards
        # stacked in order are the full table.
        params = params[0] if len(params) == 1 else array_ops.concat(list(params), axis=0)
    out = gather(params, ids)
    if max_norm is None:
        return out
    from ndflow._src.ops.linalg_ops import norm

    r = out.shape.rank
    n = norm(out, axis=r - 1, keepdims=True)
    mx = convert_to_tensor(max_norm, dtype=out.dtype)
    scale = array_ops.where(math_ops.greater(n, mx), math_ops.truediv(mx, n), math_ops.ones_like(n))
    return math_ops.multiply(out, scale)


# ---------------------------------------------------------------------------- gather_nd


def _check_nd_indices(indices: np.ndarray, shape: tuple, message: str) -> None:
    k = indices.shape[-1]
    flat = indices.reshape(-1, k)
    limits = np.asarray(shape[:k])
    bad = np.any((flat < 0) | (flat >= limits), axis=1)
    if np.any(bad):
        j = int(np.flatnonzero(bad)[0])
        raise ValueError(
            message.format(
                pos=_pos(j, indices.shape[:-1]),
                idx=", ".join(str(int(v)) for v in flat[j]),
                shape=dims_str(tuple(shape)),
            )
        )


_GATHER_ND_MSG = (
    "indices[{pos}] = [{idx}] does not index into param shape {shape}, node name: GatherNd"
)
_SCATTER_MSG = "indices[{pos}] = [{idx}] does not index into shape {shape}"


def _gather_nd_kernel(params, indices):
    k = indices.shape[-1]
    if k > params.ndim:
        raise ValueError("index depth")
    _check_nd_indices(indices, params.shape, _GATHER_ND_MSG)
    return (
        params[tuple(np.moveaxis(indices, -1, 0))]
        if k
        else np.broadcast_to(params, indices.shape[:-1] + params.shape).copy()
    )


def _gather_nd_rule(inputs, attrs):
    p, i = inputs
    pd, idd = dims_of(p), dims_of(i)
    if pd is None or idd is None or idd[-1] is None:
        return [(None, p.dtype)]
    k = idd[-1]
    if k > len(pd):
        raise invalid(
            "GatherNd",
            f"index innermost dimension length must be <= params rank; saw: {k} vs. {len(pd)}",
        )
    v = static_value(i)
    if v is not None and all(d is not None for d in pd[:k]):
        try:
            _check_nd_indices(np.asarray(v), pd, _GATHER_ND_MSG)
        except ValueError as e:
            raise invalid("GatherNd", str(e)) from None
    return [(idd[:-1] + pd[k:], p.dtype)]


register_op(
    "GatherNd",
    _gather_nd_kernel,
    _gather_nd_rule,
    lambda op, g: (scatter_nd(op.inputs[1], g, array_ops.shape(op.inputs[0])), None),
)


def gather_nd(
    params: Any,
    indices: Any,
    batch_dims: int = 0,
    name: str | None = None,
    bad_indices_policy: str = "",
) -> Tensor:
    """`tf.gather_nd`: `params[tuple(index)]` for each index vector in `indices`'
    last dimension.

    >>> import ndflow as tf
    >>> tf.gather_nd(tf.constant([[1, 2], [3, 4]]), [[1, 0], [0, 1]]).numpy()
    array([3, 2], dtype=int32)
    """
    p = to_tensor(params)
    i = _index_tensor(indices)
    if batch_dims:
        # Prepend the batch coordinates to each index, then gather without batch dims.
        bd = int(batch_dims)
        pd, idd = dims_of(p), dims_of(i)
        if pd is None or idd is None or any(d is None for d in idd[:bd]):
            raise ValueError("ndflow's gather_nd with batch_dims needs static batch dimensions.")
        grids = np.meshgrid(*[np.arange(d) for d in idd[:bd]], indexing="ij")
        coords = np.stack(grids, axis=-1).reshape(idd[:bd] + (1,) * (len(idd) - bd - 1) + (bd,))
        coords = np.broadcast_to(coords, idd[:-1] + (bd,)).astype(i.dtype._np)
        i = array_ops.concat([convert_to_tensor(coords), i], axis=-1)
    return execute("GatherNd", (p, i))


# ---------------------------------------------------------------------------- scatter


def _same(a: Any, b: Any) -> bool:
    return a is None or b is None or a == b


def _check_scatter_shapes(op_type: str, shape: tuple, idd: tuple, ud: tuple) -> None:
    """Raises TF's error when `updates` does not have shape
    `indices.shape[:-1] + shape[indices.shape[-1]:]` (dims may be None: unknown)."""
    k, b = idd[-1], len(idd) - 1
    if k is None:
        return
    r = len(shape)
    if op_type == "ScatterNd":
        outer_ok = len(ud) >= b and all(_same(x, y) for x, y in zip(idd[:b], ud[:b]))
        if not outer_ok:
            raise invalid(
                op_type,
                f"Dimensions [0,{b}) of indices[shape={dims_str(idd)}] must match dimensions "
                f"[0,{b}) of updates[shape={dims_str(ud)}]",
            )
        if k > r or len(ud) - b != r - k or not all(_same(x, y) for x, y in zip(shape[k:], ud[b:])):
            raise invalid(
                op_type,
                f"Dimensions [{k},{r}) of input[shape={dims_str(shape)}] must match dimensions "
                f"[{b},{len(ud)}) of updates[shape={dims_str(ud)}]",
            )
        return
    if k > r or len(ud) != b + r - k:
        raise invalid(
            op_type,
            "Inner dimensions of output shape must match inner dimensions of updates shape. "
            f"Output: {dims_str(shape)} updates: {dims_str(ud)}",
        )
    if not all(_same(x, y) for x, y in zip(idd[:b], ud[:b])):
        raise invalid(
            op_type,
            "Outer dimensions of indices and update must match. Indices shape: "
            f"{dims_str(idd)}, updates shape:{dims_str(ud)}",
        )
    if not all(_same(x, y) for x, y in zip(shape[k:], ud[b:])):
        n = r - k
        raise invalid(
            op_type,
            f"The inner {n} dimensions of output.shape={dims_str(shape)} must match the inner "
            f"{n} dimensions of updates.shape={dims_str(ud)}",
        )


def _scatter_shape_rule(op_type: str, updates_index: int, shape_from_input: bool):
    def rule(inputs, attrs):
        u = inputs[updates_index]
        if shape_from_input:
            dims = dims_of(inputs[0])
        else:
            s = static_value(inputs[2])
            dims = None if s is None else tuple(int(d) for d in np.asarray(s).reshape(-1))
        idx = inputs[1] if shape_from_input else inputs[0]
        idd, ud = dims_of(idx), dims_of(u)
        if dims is not None and idd is not None and ud is not None:
            _check_scatter_shapes(op_type, dims, idd, ud)
            k = idd[-1]
            v = static_value(idx)
            if v is not None and k is not None and all(d is not None for d in dims[:k]):
                try:
                    _check_nd_indices(np.asarray(v), dims, _SCATTER_MSG)
                except ValueError as e:
                    raise invalid(op_type, str(e)) from None
        return [(dims, u.dtype)]

    return rule


def _scatter_nd_kernel(indices, updates, shape):
    out = np.zeros(tuple(int(d) for d in shape), dtype=updates.dtype)
    _check_scatter_shapes("ScatterNd", out.shape, indices.shape, updates.shape)
    _check_nd_indices(indices, out.shape, _SCATTER_MSG)
    np.add.at(out, tuple(np.moveaxis(indices, -1, 0)), updates)
    return out


register_op(
    "ScatterNd",
    _scatter_nd_kernel,
    _scatter_shape_rule("ScatterNd", 1, False),
    lambda op, g: (None, gather_nd(g, op.inputs[0]), None),
)


def scatter_nd(
    indices: Any, updates: Any, shape: Any, bad_indices_policy: str = "", name: str | None = None
) -> Tensor:
    """`tf.scatter_nd`: zeros of `shape` with `updates` added at `indices` (duplicates sum).

    >>> import ndflow as tf
    >>> tf.scatter_nd([[1], [3]], [1.0, 2.0], [5]).numpy()
    array([0., 1., 0., 2., 0.], dtype=float32)
    """
    i = _index_tensor(indices)
    u = to_tensor(updates)
    s = array_ops._int_input(shape, i.dtype)
    if s.dtype is not i.dtype:
        s = math_ops.cast(s, i.dtype)
    return execute("ScatterNd", (i, u, s))


def _tensor_scatter_kernel(add: bool):
    op_type = "TensorScatterAdd" if add else "TensorScatterUpdate"

    def kernel(tensor, indices, updates):
        _check_scatter_shapes(op_type, tensor.shape, indices.shape, updates.shape)
        out = tensor.copy()
        _check_nd_indices(indices, out.shape, _SCATTER_MSG)
        where_ = tuple(np.moveaxis(indices, -1, 0))
        if add:
            np.add.at(out, where_, updates)
        else:
            out[where_] = updates
        return out

    return kernel


def _tensor_scatter_update_grad(op, g):
    _, indices, updates = op.inputs
    gt = tensor_scatter_nd_update(g, indices, math_ops.zeros_like(updates))
    return gt, None, gather_nd(g, indices)


register_op(
    "TensorScatterUpdate",
    _tensor_scatter_kernel(False),
    _scatter_shape_rule("TensorScatterUpdate", 2, True),
    _tensor_scatter_update_grad,
)
register_op(
    "TensorScatterAdd",
    _tensor_scatter_kernel(True),
    _scatter_shape_rule("TensorScatterAdd", 2, True),
    lambda op, g: (g, None, gather_nd(g, op.inputs[1])),
)


def _tensor_scatter(op_type: str, tensor: Any, indices: Any, updates: Any) -> Tensor:
    t = to_tensor(tensor)
    i = _index_tensor(indices)
    u = updates if isinstance(updates, Tensor) else convert_to_tensor(updates, dtype=t.dtype)
    if u.dtype is not t.dtype:
        raise invalid(
            op_type,
            f"cannot compute {op_type} as input #2(zero-based) was expected to be a "
            f"{t.dtype.name} tensor but is a {u.dtype.name} tensor",
        )
    return execute(op_type, (t, i, u))


def tensor_scatter_nd_update(
    tensor: Any, indices: Any, updates: Any, name: str | None = None
) -> Tensor:
    """`tf.tensor_scatter_nd_update`: a copy of `tensor` with `updates` written at `indices`.

    >>> import ndflow as tf
    >>> tf.tensor_scatter_nd_update(tf.zeros([3]), [[1]], [5.0]).numpy()
    array([0., 5., 0.], dtype=float32)
    """
    return _tensor_scatter("TensorScatterUpdate", tensor, indices, updates)


def tensor_scatter_nd_add(
    tensor: Any, indices: Any, updates: Any, bad_indices_policy: str = "", name: str | None = None
) -> Tensor:
    """`tf.tensor_scatter_nd_add`: a copy of `tensor` with `updates` added at `indices`.

    >>> import ndflow as tf
    >>> tf.tensor_scatter_nd_add(tf.ones([3]), [[1], [1]], [5.0, 1.0]).numpy()
    array([1., 7., 1.], dtype=float32)
    """
    return _tensor_scatter("TensorScatterAdd", tensor, indices, updates)


# ---------------------------------------------------------------------------- one_hot


def _one_hot_kernel(indices, depth, on_value, off_value, axis):
    d = int(depth)
    if d < 0:
        raise ValueError(f"depth must be non-negative, got: {d}")
    hot = indices[..., None] == np.arange(d, dtype=indices.dtype)
    out = np.where(hot, on_value, off_value).astype(on_value.dtype)
    if axis != -1:
        out = np.moveaxis(out, -1, axis)
    return np.ascontiguousarray(out)


def _one_hot_rule(inputs, attrs):
    i, d, on, _ = inputs
    idd = dims_of(i)
    dv = static_value(d)
    depth = None if dv is None else int(np.asarray(dv))
    if idd is None:
        return [(None, on.dtype)]
    axis = attrs["axis"]
    n = len(idd)
    if not -1 <= axis <= n:
        raise invalid(
            "OneHot", f"Expected axis to be -1 or between [0, {n + 1}).  But received: {axis}"
        )
    a = n if axis == -1 else axis
    return [(idd[:a] + (depth,) + idd[a:], on.dtype)]


register_op("OneHot", _one_hot_kernel, _one_hot_rule)


def one_hot(
    indices: Any,
    depth: Any,
    on_value: Any = None,
    off_value: Any = None,
    axis: int | None = None,
    dtype: Any = None,
    name: str | None = None,
) -> Tensor:
    """`tf.one_hot`: `on_value` where the new `axis` (default last) equals the index,
    `off_value` elsewhere (so out-of-range indices give all-off rows). The dtype is
    `dtype`, else that of `on_value`/`off_value`, else float32.

    >>> import ndflow as tf
    >>> tf.one_hot([0, 2], 3).numpy()
    array([[1., 0., 0.],
           [0., 0., 1.]], dtype=float32)
    """
    i = to_tensor(indices)
    if i.dtype not in (dtypes.uint8, _I32, _I64):
        raise invalid(
            "OneHot",
            f"Value for attr 'TI' of {i.dtype.name} is not in the list of allowed values: "
            "uint8, int8, int32, int64",
        )
    if dtype is not None:
        dtype = dtypes.as_dtype(dtype)
    else:
        for v in (on_value, off_value):
            if v is not None:
                dtype = to_tensor(v).dtype
                break
        else:
            dtype = dtypes.float32
    on = convert_to_tensor(1 if on_value is None else on_value, dtype=dtype)
    off = convert_to_tensor(0 if off_value is None else off_value, dtype=dtype)
    if on.dtype is not off.dtype:
        raise TypeError(
            f"dtype of on_value ({on.dtype!r}) must match dtype of off_value ({off.dtype!r})"
        )
    d = array_ops._int_input(depth)
    return execute("OneHot", (i, d, on, off), {"axis": -1 if axis is None else int(axis)})


# ---------------------------------------------------------------------------- boolean_mask


def boolean_mask(tensor: Any, mask: Any, axis: Any = None, name: str = "boolean_mask") -> Tensor:
    """`tf.boolean_mask`: the elements (or slices along `axis`) of `tensor` where `mask`
    is True. `mask`'s shape must match `tensor.shape[axis:axis + mask.ndim]`.

    >>> import ndflow as tf
    >>> tf.boolean_mask(tf.constant([1, 2, 3]), [True, False, True]).numpy()
    array([1, 3], dtype=int32)
    """
    x = to_tensor(tensor)
    m = to_tensor(mask)
    if m.dtype is not dtypes.bool:
        m = math_ops.cast(m, dtypes.bool)
    md, xd = dims_of(m), dims_of(x)
    if md is None:
        raise ValueError(
            "Number of mask dimensions must be specified, even if some dimensions are None.  E.g. shape=[None] is ok, but shape=None is not."
        )
    k = len(md)
    if k == 0:
        raise ValueError("mask cannot be scalar.")
    a = 0 if axis is None else array_ops._axis_value(axis)
    if xd is not None:
        a %= max(len(xd), 1)
        part = xd[a : a + k]
        if len(part) != k or any(
            p is not None and q is not None and p != q for p, q in zip(part, md)
        ):
            raise ValueError(f"Shapes {_shape_text(part)} and {_shape_text(md)} are incompatible")
    sh = array_ops.shape(x)
    lead = sh[:a]
    tail = sh[a + k :]
    flat = array_ops.reshape(x, array_ops.concat([lead, [-1], tail], axis=0))
    idx = array_ops.reshape(array_ops.where(array_ops.reshape(m, [-1])), [-1])
    return gather(flat, idx, axis=a)


def _shape_text(dims: tuple) -> str:
    inner = ", ".join("None" if d is None else str(d) for d in dims)
    return f"({inner},)" if len(dims) == 1 else f"({inner})"


# ---------------------------------------------------------------------------- unique

Unique = collections.namedtuple("Unique", ["y", "idx"])


def _unique_kernel(x, out_idx):
    if x.ndim != 1:
        raise ValueError("unique expects a 1D vector.")
    _, first, inverse = np.unique(x, return_index=True, return_inverse=True)
    order = np.argsort(first, kind="stable")
    rank_of = np.empty_like(order)
    rank_of[order] = np.arange(order.size)
    y = x[np.sort(first)]
    return y, rank_of[inverse.reshape(-1)].astype(out_idx._np)


def _unique_rule(inputs, attrs):
    dims = dims_of(inputs[0])
    if dims is not None and len(dims) != 1:
        raise invalid("Unique", f"unique expects a 1D vector. Received shape {dims_str(dims)}")
    return [((None,), inputs[0].dtype), (dims, attrs["out_idx"])]


register_op("Unique", _unique_kernel, _unique_rule, num_outputs=2)


def unique(x: Any, out_idx: Any = dtypes.int32, name: str | None = None) -> Unique:
    """`tf.unique`: the distinct values of a 1-D tensor in order of first appearance, and
    for each element the index of its value in `y`.

    >>> import ndflow as tf
    >>> y, idx = tf.unique([3, 1, 3])
    >>> y.numpy(), idx.numpy()
    (array([3, 1], dtype=int32), array([0, 1, 0], dtype=int32))
    """
    out_idx = dtypes.as_dtype(out_idx)
    if out_idx not in INTS[2:]:
        raise TypeError(f"out_idx must be int32 or int64, got {out_idx!r}")
    y, idx = execute("Unique", (to_tensor(x),), {"out_idx": out_idx})
    return Unique(y, idx)
