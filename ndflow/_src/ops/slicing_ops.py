"""Slicing: `tf.slice`, `tf.strided_slice` and `Tensor.__getitem__`.

`StridedSlice` takes begin/end/strides as int tensors (so `x[i]` with a run-time `i` works
in graphs) and TensorFlow's five bit masks; its gradient scatters the incoming gradient
into zeros of the input's shape (`StridedSliceGrad`).
"""

from __future__ import annotations

import builtins
from typing import Any

import numpy as np

from ndflow._src.core import dtypes
from ndflow._src.framework.execute import execute
from ndflow._src.framework.op_registry import register_op
from ndflow._src.framework.tensor import Tensor, register_operator, static_value, wrap_with_dtype
from ndflow._src.ops import array_ops, math_ops
from ndflow._src.ops.op_util import dims_of, invalid, to_tensor

_I32 = dtypes.int32
_MASKS = ("begin_mask", "end_mask", "ellipsis_mask", "new_axis_mask", "shrink_axis_mask")


# ---------------------------------------------------------------------------- strided slice


def _index_tuple(ndim: int, begin, end, strides, attrs: dict, shape=None) -> tuple:
    """TF's strided-slice spec as a NumPy basic index. Values may be None (unknown) when
    only the output shape is wanted; `shape` (may hold None) enables bounds checks."""
    bm, em, elm, nam, sam = (attrs[m] for m in _MASKS)
    n = len(strides)
    seen_ellipsis = False
    idx: list = []
    dim = 0  # the input dimension the next spec entry refers to
    consumed = builtins.sum(
        1 for i in builtins.range(n) if not (nam >> i) & 1 and not (elm >> i) & 1
    )
    for i in builtins.range(n):
        if (elm >> i) & 1:
            if seen_ellipsis:
                raise ValueError("Multiple ellipses in slice spec not allowed")
            seen_ellipsis = True
            span = builtins.max(ndim - consumed, 0)
            idx.append(Ellipsis)
            dim += span
            continue
        if (nam >> i) & 1:
            idx.append(None)
            continue
        s = strides[i]
        if s == 0:
            raise ValueError(f"strides[{i}] must be non-zero")
        if (sam >> i) & 1:
            if s < 0:
                raise ValueError("only stride 1 allowed on non-range indexing.")
            b = begin[i]
            size = None if shape is None or dim >= len(shape) else shape[dim]
            if b is not _UNK and size is not None and not -size <= b < size:
                raise ValueError(f"slice index {b} of dimension {dim} out of bounds.")
            idx.append(b)
            dim += 1
            continue
        b = None if (bm >> i) & 1 else begin[i]
        e = None if (em >> i) & 1 else end[i]
        idx.append(builtins.slice(b, e, s))
        dim += 1
    if dim > ndim:
        raise ValueError(f"Index out of range using input dim {ndim}; input has only {ndim} dims")
    return tuple(idx)


def _strided_slice_kernel(x, begin, end, strides, **attrs):
    idx = _index_tuple(x.ndim, begin.tolist(), end.tolist(), strides.tolist(), attrs, x.shape)
    return x[idx]


_UNK = object()  # a begin/end value not known until the graph runs


def _out_dims(dims: tuple | None, begin, end, strides, attrs: dict) -> tuple | None:
    """The static output shape of a strided slice (None entries where unknown)."""
    if dims is None or strides is None:
        return None
    n = len(strides)
    b = begin if begin is not None else [_UNK] * n
    e = end if end is not None else [_UNK] * n
    idx = _index_tuple(len(dims), b, e, strides, attrs, dims)
    explicit = builtins.sum(1 for i in idx if i is not None and i is not Ellipsis)
    out: list = []
    d = 0
    for item in idx:
        if item is Ellipsis:
            span = len(dims) - explicit
            out.extend(dims[d : d + span])
            d += span
        elif item is None:
            out.append(1)
        elif isinstance(item, builtins.slice):
            size = dims[d]
            if size is None or item.start is _UNK or item.stop is _UNK:
                out.append(None)
            else:
                out.append(len(builtins.range(*item.indices(size))))
            d += 1
        else:
            d += 1
    if not any(i is Ellipsis for i in idx):
        out.extend(dims[d:])
    return tuple(out)


def _strided_slice_rule(inputs, attrs):
    x, b, e, s = inputs
    strides = _ints(s)
    try:
        dims = _out_dims(dims_of(x), _ints(b), _ints(e), strides, attrs)
    except ValueError as err:
        raise invalid("StridedSlice", str(err)) from None
    if dims is None and strides is not None and dims_of(x) is None:
        return [(None, x.dtype)]
    return [(dims, x.dtype)]


def _ints(t: Tensor) -> list | None:
    v = static_value(t)
    return None if v is None else [int(i) for i in np.asarray(v).reshape(-1)]


def _strided_slice_grad(op, g):
    x, b, e, s = op.inputs
    gx = execute("StridedSliceGrad", (array_ops.shape(x), b, e, s, g), op.attrs)
    return gx, None, None, None


register_op("StridedSlice", _strided_slice_kernel, _strided_slice_rule, _strided_slice_grad)


def _strided_slice_grad_kernel(shape, begin, end, strides, dy, **attrs):
    out = np.zeros(tuple(int(d) for d in shape), dtype=dy.dtype)
    idx = _index_tuple(out.ndim, begin.tolist(), end.tolist(), strides.tolist(), attrs, out.shape)
    target = out[idx]
    out[idx] = dy.reshape(np.shape(target))
    return out


def _strided_slice_grad_rule(inputs, attrs):
    sh, dy = inputs[0], inputs[4]
    dims = _ints(sh)
    if dims is None:
        n = dims_of(sh)
        return [(None if n is None or n[0] is None else (None,) * n[0], dy.dtype)]
    return [(tuple(dims), dy.dtype)]


def _strided_slice_grad_grad(op, g):
    _, b, e, s, _ = op.inputs
    return None, None, None, None, execute("StridedSlice", (g, b, e, s), op.attrs)


register_op(
    "StridedSliceGrad",
    _strided_slice_grad_kernel,
    _strided_slice_grad_rule,
    _strided_slice_grad_grad,
)


def _index_vector(values: list) -> Tensor:
    if any(isinstance(v, Tensor) for v in values):
        return array_ops.stack(
            [math_ops.cast(v, _I32) if isinstance(v, Tensor) else v for v in values]
        )
    return wrap_with_dtype(np.asarray(values, dtype=np.int32).reshape(-1), _I32)


def strided_slice(
    input_: Any,
    begin: Any,
    end: Any,
    strides: Any = None,
    begin_mask: int = 0,
    end_mask: int = 0,
    ellipsis_mask: int = 0,
    new_axis_mask: int = 0,
    shrink_axis_mask: int = 0,
    var: Any = None,
    name: str | None = None,
) -> Tensor:
    """`tf.strided_slice`: `input_[begin:end:strides]` per dimension, with TF's bit masks
    (bit i of `begin_mask` ignores `begin[i]`, `shrink_axis_mask` takes one index, ...).

    >>> import ndflow as tf
    >>> tf.strided_slice(tf.range(10), [1], [8], [3]).numpy()
    array([1, 4, 7], dtype=int32)
    """
    x = to_tensor(input_)
    b = array_ops._int_input(begin)
    e = array_ops._int_input(end)
    if strides is None:
        n = dims_of(b)[0]
        strides = [1] * (n if n is not None else 0)
    s = array_ops._int_input(strides)
    attrs = {
        "begin_mask": int(begin_mask),
        "end_mask": int(end_mask),
        "ellipsis_mask": int(ellipsis_mask),
        "new_axis_mask": int(new_axis_mask),
        "shrink_axis_mask": int(shrink_axis_mask),
    }
    return execute("StridedSlice", (x, b, e, s), attrs)


# ---------------------------------------------------------------------------- __getitem__

_INDEX_ERROR = (
    "Only integers, slices (`:`), ellipsis (`...`), tf.newaxis (`None`) and scalar "
    "tf.int32/tf.int64 tensors are valid indices, got {!r}"
)


def _check_slice_part(v: Any) -> Any:
    if v is None or isinstance(v, (int, np.integer)):
        return v
    if isinstance(v, Tensor) and v.dtype.is_integer and v.shape.rank == 0:
        return v
    raise TypeError(
        "slice indices must be integers or None or have an __index__ method"
        if not isinstance(v, Tensor)
        else _INDEX_ERROR.format(v)
    )


def getitem(tensor: Any, slice_spec: Any) -> Tensor:
    """`Tensor.__getitem__`: NumPy basic indexing (ints, slices with any step, `...`,
    `tf.newaxis`, scalar int tensors) as one differentiable `StridedSlice`; a boolean
    tensor or array index is `tf.boolean_mask`.

    >>> import ndflow as tf
    >>> tf.reshape(tf.range(6), [2, 3])[..., ::-2].numpy()
    array([[2, 0],
           [5, 3]], dtype=int32)
    """
    x = to_tensor(tensor)
    if (
        isinstance(slice_spec, bool)
        or (isinstance(slice_spec, Tensor) and slice_spec.dtype is dtypes.bool)
        or (isinstance(slice_spec, np.ndarray) and slice_spec.dtype == np.bool_)
    ):
        from ndflow._src.ops.gather_ops import boolean_mask

        return boolean_mask(x, slice_spec)
    if not isinstance(slice_spec, (list, tuple)):
        slice_spec = [slice_spec]
    begin: list = []
    end: list = []
    strides: list = []
    bm = em = elm = nam = sam = 0
    for i, s in enumerate(slice_spec):
        bit = 1 << i
        if isinstance(s, builtins.slice):
            start, stop, step = (_check_slice_part(p) for p in (s.start, s.stop, s.step))
            if step is None:
                step = 1
            if start is None:
                start = 0
                bm |= bit
            if stop is None:
                stop = 0
                em |= bit
            begin.append(start)
            end.append(stop)
            strides.append(step)
        elif s is Ellipsis:
            begin.append(0)
            end.append(0)
            strides.append(1)
            elm |= bit
        elif s is None:
            begin.append(0)
            end.append(0)
            strides.append(1)
            nam |= bit
        elif isinstance(s, bool):
            raise invalid(
                "StridedSlice",
                "Value for attr 'Index' of bool is not in the list of allowed values: int16, "
                "int32, int64",
            )
        elif isinstance(s, (int, np.integer)) or (
            isinstance(s, np.ndarray) and s.ndim == 0 and s.dtype.kind in "iu"
        ):
            v = int(s)
            begin.append(v)
            end.append(v + 1)
            strides.append(1)
            sam |= bit
        elif isinstance(s, Tensor) and s.dtype.is_integer and s.shape.rank == 0:
            begin.append(s)
            end.append(math_ops.add(s, 1))
            strides.append(1)
            sam |= bit
        else:
            raise TypeError(_INDEX_ERROR.format(s))
    if not begin:
        return array_ops.identity(x)
    attrs = {
        "begin_mask": bm,
        "end_mask": em,
        "ellipsis_mask": elm,
        "new_axis_mask": nam,
        "shrink_axis_mask": sam,
    }
    return execute(
        "StridedSlice",
        (x, _index_vector(begin), _index_vector(end), _index_vector(strides)),
        attrs,
    )


register_operator("__getitem__", getitem)


# ---------------------------------------------------------------------------- slice


def _slice_rule(inputs, attrs):
    x, b, s = inputs
    dims = dims_of(x)
    begin, size = _ints(b), _ints(s)
    if dims is None:
        n = dims_of(b)
        return [(None if n is None or n[0] is None else (None,) * n[0], x.dtype)]
    n = len(dims)
    for name_, v in (("begin", begin), ("size", size)):
        if v is not None and len(v) != n:
            raise invalid(
                "Slice",
                f"Expected {name_} and size arguments to be 1-D tensors of size {n}, but got "
                f"shapes [{len(begin) if begin is not None else '?'}] and "
                f"[{len(size) if size is not None else '?'}] instead.",
            )
    if size is None:
        return [((None,) * n, x.dtype)]
    out = []
    for i in builtins.range(n):
        d = dims[i]
        bi = None if begin is None else begin[i]
        si = size[i]
        if si == -1:
            out.append(None if d is None or bi is None else d - bi)
            continue
        if d is not None and bi is not None and not (0 <= bi <= d and 0 <= bi + si <= d):
            raise invalid("Slice", f"Expected size[{i}] in [0, {d - bi}], but got {si}")
        out.append(si)
    return [(tuple(out), x.dtype)]


def _slice_kernel(x, begin, size):
    if len(begin) != x.ndim or len(size) != x.ndim:
        raise ValueError("rank")
    idx = []
    for i, (b, s) in enumerate(zip(begin.tolist(), size.tolist())):
        d = x.shape[i]
        if s == -1:
            s = d - b
        if not (0 <= b <= d and 0 <= b + s <= d):
            raise ValueError("bounds")
        idx.append(builtins.slice(b, b + s))
    return x[tuple(idx)]


def _slice_grad(op, g):
    x, b, _ = op.inputs
    after = math_ops.subtract(math_ops.subtract(array_ops.shape(x), b), array_ops.shape(g))
    paddings = array_ops.stack([b, after], axis=1)
    return array_ops.pad(g, paddings), None, None


register_op("Slice", _slice_kernel, _slice_rule, _slice_grad)


def slice(input_: Any, begin: Any, size: Any, name: str | None = None) -> Tensor:  # noqa: A001
    """`tf.slice`: the block starting at `begin` with extent `size` (-1: to the end).

    >>> import ndflow as tf
    >>> tf.slice(tf.reshape(tf.range(6), [2, 3]), [0, 1], [2, -1]).numpy()
    array([[1, 2],
           [4, 5]], dtype=int32)
    """
    x = to_tensor(input_)
    b = array_ops._int_input(begin)
    s = array_ops._int_input(size)
    if s.dtype is not b.dtype:
        s = math_ops.cast(s, b.dtype)
    return execute("Slice", (x, b, s))
