"""Array ops: shapes, reshaping, selection and the identity family."""

from __future__ import annotations

from typing import Any

import numpy as np

from ndflow._src.core import dtypes
from ndflow._src.framework.constant import convert_to_tensor
from ndflow._src.framework.execute import execute
from ndflow._src.framework.op_registry import register_op
from ndflow._src.framework.tensor import Tensor, static_value
from ndflow._src.ops import math_ops
from ndflow._src.ops.op_util import broadcast_dims, dims_of, invalid, to_tensor, unary_shape

# ---------------------------------------------------------------------------- identity

register_op("Identity", lambda x: x, unary_shape(), lambda op, g: (g,))


def identity(input: Any, name: str | None = None) -> Tensor:  # noqa: A002
    """`tf.identity`: the same value as a new tensor."""
    return execute("Identity", (to_tensor(input),))


register_op("StopGradient", lambda x: x, unary_shape())


def stop_gradient(input: Any, name: str | None = None) -> Tensor:  # noqa: A002
    """`tf.stop_gradient`: the value of `input`, with no gradient flowing through it."""
    return execute("StopGradient", (to_tensor(input),))


# ---------------------------------------------------------------------------- shape


def _shape_kernel(x, out_type):
    return np.asarray(x.shape, dtype=out_type._np)


def _shape_rule(inputs, attrs):
    dims = dims_of(inputs[0])
    return [((None,) if dims is None else (len(dims),), attrs["out_type"])]


register_op("Shape", _shape_kernel, _shape_rule)


def shape(input: Any, out_type: Any = dtypes.int32, name: str | None = None) -> Tensor:  # noqa: A002
    """`tf.shape`: the dynamic shape of a tensor, as a 1-D int32 tensor."""
    return execute("Shape", (to_tensor(input),), {"out_type": dtypes.as_dtype(out_type)})


# ---------------------------------------------------------------------------- reshape


def _reshape_rule(inputs, attrs):
    x, s = inputs
    target = static_value(s)
    if target is None:
        n = dims_of(s)
        return [((None,) * n[0] if n and n[0] is not None else None, x.dtype)]
    target = [int(d) for d in np.asarray(target).reshape(-1)]
    dims = dims_of(x)
    known = None
    if dims is not None and all(d is not None for d in dims):
        known = int(np.prod(dims, dtype=np.int64))
    if target.count(-1) > 1:
        raise invalid("Reshape", f"Only one input size may be -1, not both 0 and 1")
    if -1 in target:
        rest = int(np.prod([d for d in target if d != -1], dtype=np.int64))
        if known is None:
            return [(tuple(None if d == -1 else d for d in target), x.dtype)]
        if rest == 0 or known % rest:
            raise invalid(
                "Reshape",
                f"Input to reshape is a tensor with {known} values, but the requested shape "
                f"requires a multiple of {rest}",
            )
        return [(tuple(known // rest if d == -1 else d for d in target), x.dtype)]
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
    """`tf.reshape`: the same elements in a new shape; one dimension may be -1."""
    x = to_tensor(tensor)
    s = shape if isinstance(shape, Tensor) else convert_to_tensor(shape, dtype=dtypes.int32)
    return execute("Reshape", (x, s))


# ---------------------------------------------------------------------------- where


def _select_rule(inputs, attrs):
    c, x, y = inputs
    dims = broadcast_dims(broadcast_dims(dims_of(c), dims_of(x), "SelectV2"), dims_of(y), "SelectV2")
    return [(dims, x.dtype)]


def _select_grad(op, g):
    c, x, y = op.inputs
    zeros = math_ops.zeros_like(g)
    return None, where(c, g, zeros), where(c, zeros, g)


register_op("SelectV2", np.where, _select_rule, _select_grad)


def where(condition: Any, x: Any = None, y: Any = None, name: str | None = None) -> Tensor:
    """`tf.where`: elements of `x` where `condition` holds, else of `y`."""
    c = to_tensor(condition)
    if x is None and y is None:
        raise NotImplementedError("tf.where with one argument is added with the array ops")
    from ndflow._src.ops.op_util import binary_operands

    x, y = binary_operands(x, y, "SelectV2")
    return execute("SelectV2", (c, x, y))
