"""Tiling and padding: `tf.tile`, `tf.repeat` and `tf.pad` (constant, reflect, symmetric).

The mirror-pad gradient folds the padded borders back (`MirrorPadGrad`), and its own
gradient is a mirror pad, so second derivatives work.
"""

from __future__ import annotations

import builtins
from typing import Any

import numpy as np

from ndflow._src.core import dtypes
from ndflow._src.framework.constant import convert_to_tensor
from ndflow._src.framework.execute import execute
from ndflow._src.framework.op_registry import register_op
from ndflow._src.framework.tensor import Tensor, wrap_with_dtype
from ndflow._src.ops import array_ops, math_ops
from ndflow._src.ops.array_ops import (
    _axis_value,
    _dim,
    _int_input,
    _static_ints,
    reshape,
    shape,
    stack,
    transpose,
)
from ndflow._src.ops.op_util import dims_of, dims_str, invalid, to_tensor

_I32 = dtypes.int32


# ---------------------------------------------------------------------------- tile


def _tile_rule(inputs, attrs):
    x, m = inputs
    dims = dims_of(x)
    mult = _static_ints(m)
    if dims is None:
        return [(None if mult is None else (None,) * len(mult), x.dtype)]
    if mult is None:
        return [((None,) * len(dims), x.dtype)]
    if len(mult) != len(dims):
        raise invalid(
            "Tile",
            f"Expected multiples argument to be a vector of length {len(dims)} but got length "
            f"{len(mult)}",
        )
    for i, k in enumerate(mult):
        if k < 0:
            raise invalid("Tile", f"Expected multiples[{i}] >= 0, but got {k}")
    return [(tuple(None if d is None else d * k for d, k in zip(dims, mult)), x.dtype)]


def _tile_kernel(x, multiples):
    if len(multiples) != x.ndim or np.any(multiples < 0):
        raise ValueError("multiples")
    return np.tile(x, multiples)


def _tile_grad(op, g):
    x, m = op.inputs
    r = x.shape.rank
    # [m0, d0, m1, d1, ...]: summing the even axes folds the copies back.
    interleaved = reshape(transpose(stack([math_ops.cast(m, _I32), shape(x)])), [-1])
    folded = reshape(g, interleaved)
    return math_ops.reduce_sum(folded, axis=list(builtins.range(0, 2 * r, 2))), None


register_op("Tile", _tile_kernel, _tile_rule, _tile_grad)


def tile(input: Any, multiples: Any, name: str | None = None) -> Tensor:  # noqa: A002
    """`tf.tile`: repeats the whole tensor `multiples[i]` times along dimension i.

    >>> import ndflow as tf
    >>> tf.tile(tf.zeros([2, 3]), [2, 1]).shape
    TensorShape([4, 3])
    """
    return execute("Tile", (to_tensor(input), _int_input(multiples)))


# ---------------------------------------------------------------------------- pad


def _pad_rule(op_type):
    def rule(inputs, attrs):
        x, p = inputs[0], inputs[1]
        dims = dims_of(x)
        pads = _static_ints(p)
        if dims is None:
            pd = dims_of(p)
            return [(None if pd is None or pd[0] is None else (None,) * pd[0], x.dtype)]
        n = len(dims)
        pshape = dims_of(p)
        if pshape is not None and (len(pshape) != 2 or pshape[0] != n or pshape[1] != 2):
            raise invalid(
                op_type,
                "The first dimension of paddings must be the rank of inputs"
                f"{dims_str(pshape)} {dims_str(dims)}",
            )
        if pads is None:
            return [((None,) * n, x.dtype)]
        pairs = [(pads[2 * i], pads[2 * i + 1]) for i in builtins.range(n)]
        for i, (lo, hi) in enumerate(pairs):
            if lo < 0 or hi < 0:
                raise invalid(op_type, f"Paddings must be non-negative: {lo} {hi}")
            if op_type == "MirrorPad" and dims[i] is not None:
                limit = dims[i] - (1 if attrs["mode"] == "REFLECT" else 0)
                if lo > limit or hi > limit:
                    cmp = "less than" if attrs["mode"] == "REFLECT" else "no greater than"
                    raise invalid(
                        op_type,
                        f"paddings must be {cmp} the dimension size: {lo}, {hi} not {cmp} "
                        f"{dims[i]}",
                    )
        return [
            (tuple(None if d is None else d + lo + hi for d, (lo, hi) in zip(dims, pairs)), x.dtype)
        ]

    return rule


def _pad_kernel(x, paddings, constant_values=None):
    if paddings.shape != (x.ndim, 2) or np.any(paddings < 0):
        raise ValueError("paddings")
    cv = 0 if constant_values is None else constant_values
    return np.pad(x, paddings, mode="constant", constant_values=cv)


def _pad_grad(op, g):
    x, p = op.inputs[0], op.inputs[1]
    from ndflow._src.ops.slicing_ops import slice as slice_

    begin = reshape(slice_(p, [0, 0], [-1, 1]), [-1])
    gx = slice_(g, begin, shape(x))
    if op.type == "PadV2":
        return gx, None, math_ops.reduce_sum(g) - math_ops.reduce_sum(gx)
    return gx, None


def _mirror_pad_kernel(x, paddings, mode):
    if paddings.shape != (x.ndim, 2) or np.any(paddings < 0):
        raise ValueError("paddings")
    limit = np.asarray(x.shape) - (1 if mode == "REFLECT" else 0)
    if np.any(paddings.max(axis=1) > limit):
        raise ValueError("paddings")
    return np.pad(x, paddings, mode="reflect" if mode == "REFLECT" else "symmetric")


def _mirror_pad_grad_kernel(g, paddings, mode):
    """Folds the mirrored borders of a padded gradient back onto the interior."""
    out = g
    off = 1 if mode == "REFLECT" else 0
    for axis, (lo, hi) in enumerate(np.asarray(paddings).tolist()):
        n = out.shape[axis] - lo - hi
        moved = np.moveaxis(out, axis, 0)
        core = moved[lo : lo + n].copy()
        if lo:
            core[off : off + lo] += moved[:lo][::-1]
        if hi:
            core[n - off - hi : n - off] += moved[lo + n :][::-1]
        out = np.moveaxis(core, 0, axis)
    return np.ascontiguousarray(out)


def _mirror_pad_grad_rule(inputs, attrs):
    g, p = inputs
    dims = dims_of(g)
    pads = _static_ints(p)
    if dims is None or pads is None:
        return [(None if dims is None else (None,) * len(dims), g.dtype)]
    return [
        (
            tuple(
                None if d is None else d - pads[2 * i] - pads[2 * i + 1] for i, d in enumerate(dims)
            ),
            g.dtype,
        )
    ]


register_op("Pad", _pad_kernel, _pad_rule("Pad"), _pad_grad)
register_op("PadV2", _pad_kernel, _pad_rule("PadV2"), _pad_grad)
register_op(
    "MirrorPad",
    _mirror_pad_kernel,
    _pad_rule("MirrorPad"),
    lambda op, g: (
        execute("MirrorPadGrad", (g, op.inputs[1]), {"mode": op.attrs["mode"]}),
        None,
    ),
)
register_op(
    "MirrorPadGrad",
    _mirror_pad_grad_kernel,
    _mirror_pad_grad_rule,
    lambda op, g: (execute("MirrorPad", (g, op.inputs[1]), {"mode": op.attrs["mode"]}), None),
)


def pad(
    tensor: Any,
    paddings: Any,
    mode: str = "CONSTANT",
    constant_values: Any = 0,
    name: str | None = None,
) -> Tensor:
    """`tf.pad`: pads each dimension with `paddings[i] = [before, after]` elements.

    Modes: "CONSTANT" (with `constant_values`), "REFLECT" (mirror, edge excluded) and
    "SYMMETRIC" (mirror, edge included), case-insensitive.

    >>> import ndflow as tf
    >>> tf.pad(tf.constant([[1, 2]]), [[1, 0], [0, 1]]).numpy()
    array([[0, 0, 0],
           [1, 2, 0]], dtype=int32)
    """
    x = to_tensor(tensor)
    p = _int_input(paddings)
    m = str(mode).upper()
    if m == "CONSTANT":
        if not isinstance(constant_values, Tensor) and np.all(np.asarray(constant_values) == 0):
            return execute("Pad", (x, p))
        cv = (
            constant_values
            if isinstance(constant_values, Tensor)
            else convert_to_tensor(constant_values, dtype=x.dtype)
        )
        return execute("PadV2", (x, p, cv))
    if m in ("REFLECT", "SYMMETRIC"):
        return execute("MirrorPad", (x, p), {"mode": m})
    raise ValueError(
        'Value of argument `mode` expected to be one of "CONSTANT", "REFLECT", or "SYMMETRIC". '
        f"Received `mode` = {mode}"
    )


# ---------------------------------------------------------------------------- repeat


def repeat(input: Any, repeats: Any, axis: int | None = None, name: str | None = None) -> Tensor:  # noqa: A002
    """`tf.repeat`: repeats each element `repeats` times (flattening first if `axis` is None).

    >>> import ndflow as tf
    >>> tf.repeat([1, 2], 2).numpy()
    array([1, 1, 2, 2], dtype=int32)
    """
    from ndflow._src.ops.gather_ops import gather

    x = to_tensor(input)
    if axis is None:
        x = reshape(x, [-1])
        axis = 0
    axis = _axis_value(axis)
    r = x.shape.rank
    if r is not None:
        if not -r <= axis < r:
            raise invalid("Repeat", f"Expected axis in the range [{-r}, {r}), but got {axis}")
        axis %= r
    reps_t = _int_input(repeats)
    reps = _static_ints(reps_t)
    n = _dim(x, axis)
    if reps_t.shape.rank == 0 or (reps is not None and len(reps) == 1 and n != 1):
        return _repeat_each(x, reps_t if reps is None else reps[0], axis)
    if reps is None or n is None:
        raise ValueError("ndflow needs statically known `repeats` and dimension for tf.repeat.")
    if len(reps) not in (1, n):
        raise ValueError(f"Dimensions {n} and {len(reps)} are not compatible")
    idx = np.repeat(np.arange(n, dtype=np.int32), reps)
    return gather(x, wrap_with_dtype(idx, _I32), axis=axis)


def _repeat_each(x: Tensor, reps: Any, axis: int) -> Tensor:
    """Every slice along `axis` repeated `reps` times: tile a new axis, then merge it.
    Works when dimensions (or `reps`) are only known at run time."""
    r = x.shape.rank
    if r is None:
        raise ValueError("ndflow's tf.repeat needs a tensor of known rank.")
    expanded = array_ops.expand_dims(x, axis + 1)
    multiples = [1] * (r + 1)
    multiples[axis + 1] = reps
    tiled = tile(expanded, multiples)
    dims = [_dim(x, i) for i in builtins.range(r)]
    if all(d is not None for d in dims) and isinstance(reps, int):
        dims[axis] *= reps
        return reshape(tiled, dims)
    sh = shape(x)
    merged = math_ops.multiply(sh[axis : axis + 1], math_ops.cast(reps, _I32))
    return reshape(tiled, array_ops.concat([sh[:axis], merged, sh[axis + 1 :]], axis=0))
