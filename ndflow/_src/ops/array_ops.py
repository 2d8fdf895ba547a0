"""Array ops: shapes, reshaping, transposes, joining and splitting, broadcasting,
reversing and `where`.

Each op is declared once: kernel, shape rule and gradient side by side, then the public
function. Shape-like arguments that may be computed at run time (`reshape`'s shape,
`broadcast_to`'s shape, `split`'s sizes) are op inputs; arguments that are always static
(axes, permutations) are attrs. The rest of the family lives beside this module:
`construction_ops` (fill, zeros, ones, eye, range, linspace, meshgrid), `tile_pad_ops`
(tile, repeat, pad), `slicing_ops` (slice, strided_slice, `Tensor.__getitem__`),
`gather_ops` (gather/scatter, one_hot, boolean_mask, unique) and `linalg_ops`.
"""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from typing import Any

import numpy as np

from ndflow._src.core import dtypes
from ndflow._src.core.dtypes import DType
from ndflow._src.framework import constant as constant_lib
from ndflow._src.framework.constant import convert_to_tensor
from ndflow._src.framework.execute import execute
from ndflow._src.framework.op_registry import register_op
from ndflow._src.framework.tensor import Tensor, static_value, wrap_with_dtype
from ndflow._src.ops import math_ops
from ndflow._src.ops.op_util import (
    binary_operands,
    broadcast_dims,
    dims_of,
    dims_str,
    invalid,
    normalize_axis,
    to_tensor,
    unary_shape,
)

_I32 = dtypes.int32
_I64 = dtypes.int64


def _skip(op: Any, i: int) -> bool:
    return i in op.skip_input_indices


def _static_ints(t: Tensor) -> list[int] | None:
    """The value of an integer tensor as a flat list of ints, or None if not known yet."""
    v = static_value(t)
    if v is None:
        return None
    return [int(d) for d in np.asarray(v).reshape(-1)]


def _int_input(value: Any, dtype: DType = _I32) -> Tensor:
    """Converts a shape-like argument (list, array, tensor, list holding tensors)."""
    if isinstance(value, Tensor):
        return value
    if isinstance(value, np.ndarray) and value.dtype.kind in "iu":
        return convert_to_tensor(value)
    if isinstance(value, (list, tuple)) and any(isinstance(v, Tensor) for v in value):
        return _pack_list(value)  # keeps the tensors' dtype (int64 shapes stay int64)
    return convert_to_tensor(value, dtype=dtype)


def _axis_value(axis: Any, what: str = "axis") -> int:
    """A static integer axis from a Python int or a tensor whose value is known."""
    if isinstance(axis, Tensor):
        v = static_value(axis)
        if v is None:
            raise ValueError(f"ndflow needs a statically known `{what}`; got {axis!r}")
        return int(np.asarray(v).reshape(()))
    return int(axis)


def _known(dims: Any) -> bool:
    return dims is not None and all(d is not None for d in dims)


def _dim(t: Tensor, axis: int) -> int | None:
    dims = dims_of(t)
    return None if dims is None else dims[axis]


# ---------------------------------------------------------------------------- identity

register_op("Identity", lambda x: x, unary_shape(), lambda op, g: (g,))


def identity(input: Any, name: str | None = None) -> Tensor:  # noqa: A002
    """`tf.identity`: the same value as a new tensor.

    >>> import ndflow as tf
    >>> tf.identity([1, 2]).numpy()
    array([1, 2], dtype=int32)
    """
    return execute("Identity", (to_tensor(input),))


register_op("StopGradient", lambda x: x, unary_shape())


def stop_gradient(input: Any, name: str | None = None) -> Tensor:  # noqa: A002
    """`tf.stop_gradient`: the value of `input`, with no gradient flowing through it."""
    return execute("StopGradient", (to_tensor(input),))


# ---------------------------------------------------------------------------- shape, size, rank


def _shape_kernel(x, out_type):
    return np.asarray(x.shape, dtype=out_type._np)


def _shape_rule(inputs, attrs):
    dims = dims_of(inputs[0])
    return [((None,) if dims is None else (len(dims),), attrs["out_type"])]


register_op("Shape", _shape_kernel, _shape_rule)


def shape(input: Any, out_type: Any = None, name: str | None = None) -> Tensor:  # noqa: A002
    """`tf.shape`: the dynamic shape of a tensor, as a 1-D int32 tensor.

    >>> import ndflow as tf
    >>> tf.shape(tf.zeros([2, 3])).numpy()
    array([2, 3], dtype=int32)
    """
    out_type = _I32 if out_type is None else dtypes.as_dtype(out_type)
    return execute("Shape", (to_tensor(input),), {"out_type": out_type})


register_op(
    "Size",
    lambda x, out_type: np.asarray(x.size, dtype=out_type._np),
    lambda inputs, attrs: [((), attrs["out_type"])],
)


def size(input: Any, out_type: Any = None, name: str | None = None) -> Tensor:  # noqa: A002
    """`tf.size`: the number of elements of a tensor, as a scalar.

    >>> import ndflow as tf
    >>> int(tf.size(tf.zeros([2, 3])))
    6
    """
    out_type = _I32 if out_type is None else dtypes.as_dtype(out_type)
    return execute("Size", (to_tensor(input),), {"out_type": out_type})


register_op(
    "Rank", lambda x: np.asarray(x.ndim, dtype=np.int32), lambda inputs, attrs: [((), _I32)]
)


def rank(input: Any, name: str | None = None) -> Tensor:  # noqa: A002
    """`tf.rank`: the number of dimensions of a tensor, as an int32 scalar.

    >>> import ndflow as tf
    >>> int(tf.rank(tf.zeros([2, 3])))
    2
    """
    return execute("Rank", (to_tensor(input),))


# ---------------------------------------------------------------------------- reshape


def _reshape_rule(inputs, attrs):
    x, s = inputs
    target = _static_ints(s)
    if target is None:
        n = dims_of(s)
        return [((None,) * n[0] if n and n[0] is not None else None, x.dtype)]
    dims = dims_of(x)
    known = int(np.prod(dims, dtype=np.int64)) if _known(dims) else None
    if target.count(-1) > 1:
        first, second = [i for i, d in enumerate(target) if d == -1][:2]
        raise invalid("Reshape", f"Only one input size may be -1, not both {first} and {second}")
    if -1 in target:
        rest = int(np.prod([d for d in target if d != -1], dtype=np.int64))
        if known is None:
            return [(tuple(None if d == -1 else d for d in target), x.dtype)]
        if (rest == 0 and known) or (rest and known % rest):
            raise invalid(
                "Reshape",
                f"Input to reshape is a tensor with {known} values, but the requested shape "
                f"requires a multiple of {rest}",
            )
        return [(tuple(known // rest if rest and d == -1 else max(d, 0) for d in target), x.dtype)]
    if known is not None and known != int(np.prod(target, dtype=np.int64)):
        raise invalid(
            "Reshape",
            f"Input to reshape is a tensor with {known} values, but the requested shape has "
            f"{int(np.prod(target, dtype=np.int64))}",
        )
    return [(tuple(target), x.dtype)]


def _reshape_grad(op, g):
    return reshape(g, shape(op.inputs[0])), None


register_op("Reshape", lambda x, s: np.reshape(x, s), _reshape_rule, _reshape_grad)


def reshape(tensor: Any, shape: Any, name: str | None = None) -> Tensor:  # noqa: A002
    """`tf.reshape`: the same elements in a new shape; one dimension may be -1.

    >>> import ndflow as tf
    >>> tf.reshape(tf.range(6), [2, -1]).shape
    TensorShape([2, 3])
    """
    x = to_tensor(tensor)
    return execute("Reshape", (x, _int_input(shape)))


# ---------------------------------------------------------------------------- expand_dims, squeeze


def _expand_dims_rule(inputs, attrs):
    dims = dims_of(inputs[0])
    if dims is None:
        return [(None, inputs[0].dtype)]
    axis = attrs["axis"]
    n = len(dims)
    if not -n - 1 <= axis <= n:
        raise invalid(
            "ExpandDims", f"Tried to expand dim index {axis} for tensor with {n} dimensions."
        )
    a = axis + n + 1 if axis < 0 else axis
    return [(dims[:a] + (1,) + dims[a:], inputs[0].dtype)]


def _expand_dims_kernel(x, axis):
    if not -x.ndim - 1 <= axis <= x.ndim:
        raise ValueError("axis")
    return np.expand_dims(x, axis)


register_op(
    "ExpandDims",
    _expand_dims_kernel,
    _expand_dims_rule,
    lambda op, g: (reshape(g, shape(op.inputs[0])),),
)


def expand_dims(input: Any, axis: Any, name: str | None = None) -> Tensor:  # noqa: A002
    """`tf.expand_dims`: inserts a dimension of size 1 at `axis`.

    >>> import ndflow as tf
    >>> tf.expand_dims(tf.zeros([2, 3]), -1).shape
    TensorShape([2, 3, 1])
    """
    return execute("ExpandDims", (to_tensor(input),), {"axis": _axis_value(axis)})


def _squeeze_rule(inputs, attrs):
    dims = dims_of(inputs[0])
    axes = attrs["squeeze_dims"]
    if dims is None:
        return [(None, inputs[0].dtype)]
    n = len(dims)
    if not axes:
        if any(d is None for d in dims):
            return [(None, inputs[0].dtype)]
        return [(tuple(d for d in dims if d != 1), inputs[0].dtype)]
    drop = set()
    for a in axes:
        if not -n <= a < n:
            raise invalid(
                "Squeeze", f"Tried to squeeze dim index {a} for tensor with {n} dimensions."
            )
        a = a + n if a < 0 else a
        if dims[a] is not None and dims[a] != 1:
            raise invalid(
                "Squeeze", f"Can not squeeze dim[{a}], expected a dimension of 1, got {dims[a]}"
            )
        drop.add(a)
    return [(tuple(d for i, d in enumerate(dims) if i not in drop), inputs[0].dtype)]


def _squeeze_kernel(x, squeeze_dims):
    return np.squeeze(x, axis=tuple(squeeze_dims) if squeeze_dims else None)


register_op(
    "Squeeze", _squeeze_kernel, _squeeze_rule, lambda op, g: (reshape(g, shape(op.inputs[0])),)
)


def squeeze(input: Any, axis: Any = None, name: str | None = None) -> Tensor:  # noqa: A002
    """`tf.squeeze`: removes dimensions of size 1 (all of them, or those in `axis`).

    >>> import ndflow as tf
    >>> tf.squeeze(tf.zeros([1, 2, 1])).shape
    TensorShape([2])
    """
    if axis is None:
        axes: tuple = ()
    elif isinstance(axis, (list, tuple)):
        axes = tuple(_axis_value(a) for a in axis)
    else:
        axes = (_axis_value(axis),)
    return execute("Squeeze", (to_tensor(input),), {"squeeze_dims": axes})


# ---------------------------------------------------------------------------- transpose


def _transpose_rule(op_type):
    def rule(inputs, attrs):
        dims = dims_of(inputs[0])
        perm = attrs["perm"]
        if dims is None:
            return [((None,) * len(perm), inputs[0].dtype)]
        if len(perm) != len(dims):
            raise invalid(
                op_type,
                f"transpose expects a vector of size {len(dims)}. But input(1) is a vector of "
                f"size {len(perm)}",
            )
        if sorted(perm) != list(builtins.range(len(dims))):
            bad = next(p for p in perm if not 0 <= p < len(dims) or perm.count(p) > 1)
            raise invalid(op_type, f"{bad} is missing from {{{','.join(map(str, perm))}}}.")
        return [(tuple(dims[p] for p in perm), inputs[0].dtype)]

    return rule


def _inverse_perm(perm: Sequence[int]) -> tuple:
    return tuple(int(i) for i in np.argsort(perm))


register_op(
    "Transpose",
    lambda x, perm: np.transpose(x, perm),
    _transpose_rule("Transpose"),
    lambda op, g: (transpose(g, _inverse_perm(op.attrs["perm"])),),
)
register_op(
    "ConjugateTranspose",
    lambda x, perm: np.conj(np.transpose(x, perm)),
    _transpose_rule("ConjugateTranspose"),
    lambda op, g: (transpose(g, _inverse_perm(op.attrs["perm"]), conjugate=True),),
)


def transpose(a: Any, perm: Any = None, conjugate: bool = False, name: str = "transpose") -> Tensor:
    """`tf.transpose`: permutes dimensions (reverses them when `perm` is None);
    `conjugate=True` also conjugates complex values.

    >>> import ndflow as tf
    >>> tf.transpose(tf.zeros([2, 3, 4]), perm=[0, 2, 1]).shape
    TensorShape([2, 4, 3])
    """
    x = to_tensor(a)
    if perm is None:
        r = x.shape.rank
        if r is None:
            raise ValueError("tf.transpose with perm=None needs a tensor of known rank.")
        perm_t: tuple = tuple(builtins.range(r - 1, -1, -1))
    elif isinstance(perm, Tensor):
        p = _static_ints(perm)
        if p is None:
            raise ValueError("ndflow needs a statically known `perm` for tf.transpose.")
        perm_t = tuple(p)
    else:
        perm_t = tuple(int(p) for p in np.asarray(perm).reshape(-1))
    op_type = "ConjugateTranspose" if conjugate and x.dtype.is_complex else "Transpose"
    return execute(op_type, (x,), {"perm": perm_t})


# ---------------------------------------------------------------------------- concat / stack


def _same_dtype(values: Sequence[Any], op_type: str) -> list[Tensor]:
    """Converts a list of tensors/values to one dtype, as TF's list inputs do: values
    that are not tensors take the dtype of the first tensor (or of the first value)."""
    first = next((v for v in values if isinstance(v, Tensor)), None)
    dtype = to_tensor(values[0]).dtype if first is None and values else None
    dtype = first.dtype if first is not None else dtype
    out = [v if isinstance(v, Tensor) else convert_to_tensor(v, dtype=dtype) for v in values]
    for i, t in enumerate(out):
        if t.dtype is not out[0].dtype:
            raise invalid(
                op_type,
                f"cannot compute {op_type} as input #{i}(zero-based) was expected to be a "
                f"{out[0].dtype.name} tensor but is a {t.dtype.name} tensor",
            )
    return out


def _concat_rule(inputs, attrs):
    axis = attrs["axis"]
    known = [dims_of(t) for t in inputs if dims_of(t) is not None]
    if not known:
        return [(None, inputs[0].dtype)]
    rank_ = len(known[0])
    for i, t in enumerate(inputs):
        d = dims_of(t)
        if d is not None and len(d) != rank_:
            raise invalid(
                "ConcatV2",
                "ConcatOp : Ranks of all input tensors should match: shape[0] = "
                f"{dims_str(dims_of(inputs[0]))} vs. shape[{i}] = {dims_str(d)}",
            )
    if not -rank_ <= axis < rank_:
        raise invalid(
            "ConcatV2",
            f"ConcatOp : Expected concatenating dimensions in the range [{-rank_}, {rank_}), "
            f"but got {axis}",
        )
    a = axis % rank_ if rank_ else 0
    out = list(known[0])
    out[a] = 0
    first = dims_of(inputs[0])
    for i, t in enumerate(inputs):
        d = dims_of(t)
        if d is None:
            out[a] = None
            continue
        for j in builtins.range(rank_):
            if j == a:
                out[a] = None if out[a] is None or d[j] is None else out[a] + d[j]
            elif d[j] is not None:
                if out[j] is None:
                    out[j] = d[j]
                elif out[j] != d[j]:
                    raise invalid(
                        "ConcatV2",
                        f"ConcatOp : Dimension {j} in both shapes must be equal: shape[0] = "
                        f"{dims_str(first)} vs. shape[{i}] = {dims_str(d)}",
                    )
    return [(tuple(out), inputs[0].dtype)]


def _concat_kernel(*xs, axis):
    return np.concatenate(xs, axis=axis)


def _sizes_along(tensors: Sequence[Tensor], axis: int) -> Tensor:
    """The sizes of `tensors` along `axis`, as an int32 vector (static when possible)."""
    sizes = [_dim(t, axis) for t in tensors]
    if all(s is not None for s in sizes):
        return wrap_with_dtype(np.asarray(sizes, np.int32), _I32)
    from ndflow._src.ops.slicing_ops import strided_slice

    return stack([strided_slice(shape(t), [axis], [axis + 1], shrink_axis_mask=1) for t in tensors])


def _concat_grad(op, g):
    inputs = op.inputs
    axis = op.attrs["axis"]
    if axis < 0:
        r = next(t.shape.rank for t in (*inputs, g) if t.shape.rank is not None)
        axis %= r
    return tuple(split(g, _sizes_along(inputs, axis), axis=axis, num=len(inputs)))


register_op("ConcatV2", _concat_kernel, _concat_rule, _concat_grad)


def concat(values: Any, axis: Any, name: str = "concat") -> Tensor:
    """`tf.concat`: joins tensors along an existing dimension.

    >>> import ndflow as tf
    >>> tf.concat([tf.zeros([2, 3]), tf.ones([2, 1])], axis=1).shape
    TensorShape([2, 4])
    """
    if isinstance(values, Tensor) or not isinstance(values, (list, tuple)):
        values = [values]
    xs = _same_dtype(list(values), "ConcatV2")
    axis = _axis_value(axis)
    if len(xs) == 1:
        r = xs[0].shape.rank
        if r is not None and not -r <= axis < max(r, 1):
            raise invalid(
                "ConcatV2",
                f"ConcatOp : Expected concatenating dimensions in the range [{-r}, {r}), "
                f"but got {axis}",
            )
        return identity(xs[0])
    return execute("ConcatV2", tuple(xs), {"axis": axis})


def _pack_rule(inputs, attrs):
    dims = None
    first = dims_of(inputs[0])
    for i, t in enumerate(inputs):
        d = dims_of(t)
        if d is None:
            continue
        if dims is None:
            dims = list(d)
            continue
        bad = len(d) != len(dims) or any(
            a is not None and b is not None and a != b for a, b in zip(d, dims)
        )
        if bad:
            raise invalid(
                "Pack",
                f"Shapes of all inputs must match: values[0].shape = {dims_str(first)} != "
                f"values[{i}].shape = {dims_str(d)}",
            )
        dims = [b if a is None else a for a, b in zip(d, dims)]
    if dims is None:
        return [(None, inputs[0].dtype)]
    n = len(dims)
    axis = attrs["axis"]
    if not -n - 1 <= axis <= n:
        raise invalid("Pack", f"axis = {axis} not in [{-n - 1}, {n + 1})")
    a = axis + n + 1 if axis < 0 else axis
    return [(tuple(dims[:a]) + (len(inputs),) + tuple(dims[a:]), inputs[0].dtype)]


def _pack_kernel(*xs, axis, N):  # noqa: N803 - TF's attr name
    return np.stack(xs, axis=axis)


register_op(
    "Pack",
    _pack_kernel,
    _pack_rule,
    lambda op, g: tuple(unstack(g, num=op.attrs["N"], axis=op.attrs["axis"])),
)


def stack(values: Any, axis: int = 0, name: str = "stack") -> Tensor:
    """`tf.stack`: joins same-shaped tensors along a new dimension.

    >>> import ndflow as tf
    >>> tf.stack([tf.zeros([3]), tf.ones([3])], axis=1).shape
    TensorShape([3, 2])
    """
    if isinstance(values, Tensor):
        values = unstack(values)
    xs = _same_dtype(list(values), "Pack")
    axis = _axis_value(axis)
    r = xs[0].shape.rank if xs else None
    if r is not None and not -r - 1 <= axis <= r:
        raise ValueError(f"Argument `axis` = {axis} not in range [{-r - 1}, {r + 1})")
    return execute("Pack", tuple(xs), {"axis": axis, "N": len(xs)})


def _unpack_rule(inputs, attrs):
    dims = dims_of(inputs[0])
    num = attrs["num"]
    if dims is None:
        return [(None, inputs[0].dtype)] * num
    n = len(dims)
    axis = attrs["axis"]
    if not -n <= axis < n:
        raise invalid("Unpack", f"axis = {axis} not in [{-n}, {n})")
    a = axis + n if axis < 0 else axis
    if dims[a] is not None and dims[a] != num:
        raise invalid(
            "Unpack", f"Input shape axis {a} must equal {num}, got shape {dims_str(dims)}"
        )
    return [(dims[:a] + dims[a + 1 :], inputs[0].dtype)] * num


def _unpack_kernel(x, num, axis):
    if x.shape[axis] != num:
        raise ValueError("num")
    return tuple(np.moveaxis(x, axis, 0))


register_op(
    "Unpack",
    _unpack_kernel,
    _unpack_rule,
    lambda op, *gs: (stack(list(gs), axis=op.attrs["axis"]),),
    num_outputs=-1,
)


def unstack(value: Any, num: int | None = None, axis: int = 0, name: str = "unstack") -> list:
    """`tf.unstack`: splits a tensor into a list of tensors along `axis`, dropping it.

    >>> import ndflow as tf
    >>> len(tf.unstack(tf.zeros([2, 3]), axis=1))
    3
    """
    x = to_tensor(value)
    axis = _axis_value(axis)
    if num is None:
        dims = dims_of(x)
        if dims is None or not -len(dims) <= axis < len(dims):
            n = None if dims is None else len(dims)
            raise ValueError(
                f"Cannot infer argument `num` from shape {x.shape}"
                if n is None
                else f"axis = {axis} not in [{-n}, {n})"
            )
        num = dims[axis]
        if num is None:
            raise ValueError(f"Cannot infer argument `num` from shape {x.shape}")
    return list(execute("Unpack", (x,), {"num": int(num), "axis": axis}))


# ---------------------------------------------------------------------------- split


def _split_rule(inputs, attrs):
    x = inputs[0]
    dims = dims_of(x)
    num = attrs["num_split"]
    sizes = _static_ints(inputs[1]) if len(inputs) > 1 else None
    if dims is None:
        return [(None, x.dtype)] * num
    n = len(dims)
    axis = attrs["axis"]
    op_type = "SplitV" if len(inputs) > 1 else "Split"
    if not -n <= axis < n:
        raise invalid(op_type, f"-{n} <= split_dim < {n} but got {axis}")
    a = axis % n
    total = dims[a]
    if len(inputs) == 1:
        if total is not None and total % num:
            raise invalid(
                "Split",
                "Number of ways to split should evenly divide the split dimension, but got "
                f"split_dim {a} (size = {total}) and num_split {num}",
            )
        part = None if total is None else total // num
        return [(dims[:a] + (part,) + dims[a + 1 :], x.dtype)] * num
    if sizes is None:
        return [(dims[:a] + (None,) + dims[a + 1 :], x.dtype)] * num
    sizes = _resolve_sizes(sizes, total)
    return [(dims[:a] + (s,) + dims[a + 1 :], x.dtype) for s in sizes]


def _resolve_sizes(sizes: list[int], total: int | None) -> list:
    if sizes.count(-1) > 1:
        raise invalid("SplitV", "There can only be one -1 in the input.")
    known = sum(s for s in sizes if s != -1)
    if total is None:
        return [None if s == -1 else s for s in sizes]
    if (-1 not in sizes and known != total) or (-1 in sizes and known > total):
        raise invalid(
            "SplitV",
            "Determined shape must either match input shape along split_dim exactly if fully "
            "specified, or be less than the size of the input along split_dim if not fully "
            f"specified.  Got: {known}",
        )
    return [total - known if s == -1 else s for s in sizes]


def _split_kernel(x, axis, num_split):
    if x.shape[axis] % num_split:
        raise ValueError("split")
    return tuple(np.split(x, num_split, axis=axis))


def _splitv_kernel(x, sizes, axis, num_split):
    sizes = _resolve_sizes([int(s) for s in sizes], x.shape[axis])
    return tuple(np.split(x, np.cumsum(sizes)[:-1], axis=axis))


def _split_grad(op, *gs):
    g = concat(list(gs), axis=op.attrs["axis"])
    return (g,) if op.type == "Split" else (g, None)


register_op("Split", _split_kernel, _split_rule, _split_grad, num_outputs=-1)
register_op("SplitV", _splitv_kernel, _split_rule, _split_grad, num_outputs=-1)


def split(
    value: Any, num_or_size_splits: Any, axis: Any = 0, num: int | None = None, name: str = "split"
) -> list:
    """`tf.split`: splits into `num_or_size_splits` equal parts, or parts of given sizes
    (one may be -1).

    >>> import ndflow as tf
    >>> [t.shape[0] for t in tf.split(tf.zeros([6, 2]), [1, -1, 2])]
    [1, 3, 2]
    """
    x = to_tensor(value)
    axis = _axis_value(axis)
    if isinstance(num_or_size_splits, (int, np.integer)) and not isinstance(
        num_or_size_splits, bool
    ):
        n = int(num_or_size_splits)
        return list(execute("Split", (x,), {"axis": axis, "num_split": n}))
    sizes = _int_input(num_or_size_splits)
    if sizes.shape.rank == 0:
        raise ValueError(
            "Rank-0 tensors are not supported as the num_or_size_splits argument to split. "
            f"Argument provided: {num_or_size_splits!s}"
        )
    if num is None:
        num = dims_of(sizes)[0]
        if num is None:
            raise ValueError(f"Cannot infer argument `num` from shape {sizes.shape}")
    return list(execute("SplitV", (x, sizes), {"axis": axis, "num_split": int(num)}))


# ---------------------------------------------------------------------------- broadcast_to


def _broadcast_to_rule(inputs, attrs):
    x, s = inputs
    target = _static_ints(s)
    dims = dims_of(x)
    if target is None:
        n = dims_of(s)
        return [(None if n is None or n[0] is None else (None,) * n[0], x.dtype)]
    if dims is not None:
        bad = len(dims) > len(target)
        for d, t in zip(reversed(dims), reversed(target)):
            if d is not None and d != 1 and d != t:
                bad = True
        if bad:
            raise invalid(
                "BroadcastTo",
                f"Incompatible shapes: {dims_str(dims)} vs. {dims_str(tuple(target))}",
            )
    return [(tuple(target), x.dtype)]


register_op(
    "BroadcastTo",
    lambda x, s: np.broadcast_to(x, tuple(int(d) for d in s)),
    _broadcast_to_rule,
    lambda op, g: (math_ops.reduce_to_like(g, op.inputs[0]), None),
)


def broadcast_to(input: Any, shape: Any, name: str | None = None) -> Tensor:  # noqa: A002
    """`tf.broadcast_to`: broadcasts `input` to `shape` (NumPy rules).

    >>> import ndflow as tf
    >>> tf.broadcast_to(tf.constant([1, 2]), [3, 2]).shape
    TensorShape([3, 2])
    """
    return execute("BroadcastTo", (to_tensor(input), _int_input(shape)))


# ---------------------------------------------------------------------------- reverse


def _reverse_rule(inputs, attrs):
    dims = dims_of(inputs[0])
    if dims is not None:
        for a in attrs["axis"]:
            normalize_axis(a, len(dims), "ReverseV2")
    return [(dims, inputs[0].dtype)]


register_op(
    "ReverseV2",
    lambda x, axis: np.flip(x, axis=tuple(axis)) if axis else x,
    _reverse_rule,
    lambda op, g: (reverse(g, list(op.attrs["axis"])),),
)


def reverse(tensor: Any, axis: Any, name: str | None = None) -> Tensor:
    """`tf.reverse`: reverses the order of elements along each axis in `axis`.

    >>> import ndflow as tf
    >>> tf.reverse(tf.range(3), [0]).numpy()
    array([2, 1, 0], dtype=int32)
    """
    x = to_tensor(tensor)
    axes = _static_ints(_int_input(axis))
    if axes is None:
        raise ValueError("ndflow needs a statically known `axis` for tf.reverse.")
    return execute("ReverseV2", (x,), {"axis": tuple(axes)})


# ---------------------------------------------------------------------------- where


def _select_rule(inputs, attrs):
    c, x, y = inputs
    dims = broadcast_dims(
        broadcast_dims(dims_of(c), dims_of(x), "SelectV2"), dims_of(y), "SelectV2"
    )
    return [(dims, x.dtype)]


def _select_grad(op, g):
    c = op.inputs[0]
    zeros_ = math_ops.zeros_like(g)
    return None, where(c, g, zeros_), where(c, zeros_, g)


register_op("SelectV2", np.where, _select_rule, _select_grad)


def _where_rule(inputs, attrs):
    dims = dims_of(inputs[0])
    return [((None, None if dims is None else len(dims)), _I64)]


register_op("Where", lambda x: np.argwhere(x).astype(np.int64), _where_rule)


def where(condition: Any, x: Any = None, y: Any = None, name: str | None = None) -> Tensor:
    """`tf.where`: elements of `x` where `condition` holds, else of `y`; with only
    `condition`, the int64 coordinates of its true (non-zero) elements.

    >>> import ndflow as tf
    >>> tf.where([True, False, True]).numpy().ravel()
    array([0, 2])
    """
    c = to_tensor(condition)
    if x is None and y is None:
        return execute("Where", (c,))
    if x is None or y is None:
        raise ValueError("x and y must both be non-None or both be None.")
    x, y = binary_operands(x, y, "SelectV2")
    if c.dtype is not dtypes.bool:
        raise invalid(
            "SelectV2",
            f"cannot compute SelectV2 as input #0(zero-based) was expected to be a bool tensor "
            f"but is a {c.dtype.name} tensor",
        )
    return execute("SelectV2", (c, x, y))


# ---------------------------------------------------------------------------- list packing


def _pack_list(value: Any) -> Tensor:
    """Packs a (nested) list holding tensors with `stack`, so `convert_to_tensor([t1, t2])`
    works on symbolic tensors too. Python numbers take the dtype of the tensors."""
    items = list(value)
    packed = [_pack_list(v) if isinstance(v, (list, tuple)) else v for v in items]
    first = next((v for v in packed if isinstance(v, Tensor)), None)
    if first is None:
        return convert_to_tensor(packed)
    return stack(packed)


if not constant_lib._list_packer:
    constant_lib._list_packer.append(_pack_list)


# Re-exported so callers can keep importing the whole array family from here (imported
# last: those modules build on the ops above).
from ndflow._src.ops.construction_ops import eye as eye  # noqa: E402
from ndflow._src.ops.construction_ops import fill as fill  # noqa: E402
from ndflow._src.ops.construction_ops import linspace as linspace  # noqa: E402
from ndflow._src.ops.construction_ops import meshgrid as meshgrid  # noqa: E402
from ndflow._src.ops.construction_ops import ones as ones  # noqa: E402
from ndflow._src.ops.construction_ops import range as range  # noqa: E402, A004
from ndflow._src.ops.construction_ops import zeros as zeros  # noqa: E402
from ndflow._src.ops.tile_pad_ops import pad as pad  # noqa: E402
from ndflow._src.ops.tile_pad_ops import repeat as repeat  # noqa: E402
from ndflow._src.ops.tile_pad_ops import tile as tile  # noqa: E402
