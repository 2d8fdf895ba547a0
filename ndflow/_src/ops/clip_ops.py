"""Clipping and normalising: `tf.clip_by_value`, `tf.clip_by_norm`,
`tf.clip_by_global_norm`, `tf.linalg.global_norm` and `tf.math.l2_normalize`.

All are compositions of existing ops (as in TensorFlow), so their gradients come for free
and match TensorFlow's at the clipping boundaries.
"""

from __future__ import annotations

from typing import Any

from ndflow._src.framework.tensor import Tensor
from ndflow._src.ops.array_ops import identity, where
from ndflow._src.ops.binary_ops import maximum, minimum
from ndflow._src.ops.math_ops import (
    add,
    add_n,
    cast,
    divide_,
    greater,
    multiply,
    ones_like,
    reduce_sum,
    square,
    zeros_like,
)
from ndflow._src.ops.op_util import binary_operands, dims_str, to_tensor
from ndflow._src.ops.unary_ops import is_finite, rsqrt, sqrt


def clip_by_value(
    t: Any, clip_value_min: Any, clip_value_max: Any, name: str | None = None
) -> Tensor:
    """`tf.clip_by_value`: `t` with values below `clip_value_min` / above `clip_value_max`
    replaced by those bounds. Values at a bound keep their gradient.

    Raises:
        ValueError: when the bounds would broadcast `t` to a larger shape.

    >>> import ndflow as tf
    >>> tf.clip_by_value(tf.constant([-1.0, 0.5, 3.0]), 0.0, 1.0)
    <tf.Tensor: shape=(3,), dtype=float32, numpy=array([0. , 0.5, 1. ], dtype=float32)>
    """
    values = to_tensor(t)
    t_min = minimum(values, clip_value_max)
    t_max = maximum(t_min, clip_value_min)
    if not values.shape.is_compatible_with(t_max.shape):
        raise ValueError(
            f"Shapes {dims_str(values.shape._dims)} and {dims_str(t_max.shape._dims)} are "
            "incompatible"
        )
    return t_max


def clip_by_norm(t: Any, clip_norm: Any, axes: Any = None, name: str | None = None) -> Tensor:
    """`tf.clip_by_norm`: rescales `t` so its L2 norm over `axes` is at most `clip_norm`.

    >>> import ndflow as tf
    >>> tf.clip_by_norm(tf.constant([3.0, 4.0]), 1.0)
    <tf.Tensor: shape=(2,), dtype=float32, numpy=array([0.6, 0.8], dtype=float32)>
    """
    values = to_tensor(t)
    l2sum = reduce_sum(multiply(values, values), axes, keepdims=True)
    pred = greater(l2sum, 0)
    # Avoid sqrt(0) in the gradient: where the sum is 0 use it as the norm directly.
    l2sum_safe = where(pred, l2sum, ones_like(l2sum))
    l2norm = where(pred, sqrt(l2sum_safe), l2sum)
    values, clip = binary_operands(values, clip_norm, "Mul")
    intermediate = multiply(values, clip)
    return identity(divide_(intermediate, maximum(l2norm, clip)))


def global_norm(t_list: Any, name: str | None = None) -> Tensor:
    """`tf.linalg.global_norm`: sqrt(sum of squares of every tensor in `t_list`).

    `None` entries are skipped.

    >>> import ndflow as tf
    >>> from ndflow._src.ops.clip_ops import global_norm
    >>> global_norm([tf.constant([3.0]), tf.constant([4.0])])
    <tf.Tensor: shape=(), dtype=float32, numpy=5.0>
    """
    if isinstance(t_list, Tensor) or not isinstance(t_list, (list, tuple)):
        raise TypeError(f"`t_list` should be a sequence of tensors. Received {type(t_list)}.")
    values = [to_tensor(v) for v in t_list if v is not None]
    if not values:
        raise ValueError("global_norm needs at least one tensor that is not None.")
    squares = [reduce_sum(square(v)) for v in values]
    return sqrt(add_n(squares) if len(squares) > 1 else squares[0])


def clip_by_global_norm(
    t_list: Any, clip_norm: Any, use_norm: Any = None, name: str | None = None
) -> tuple[list, Tensor]:
    """`tf.clip_by_global_norm`: scales every tensor by clip_norm / max(global_norm,
    clip_norm); returns (the clipped list, the global norm). A non-finite norm makes every
    result nan, as in TensorFlow.

    >>> import ndflow as tf
    >>> clipped, norm = tf.clip_by_global_norm([tf.constant([3.0]), tf.constant([4.0])], 1.0)
    >>> [c.numpy().tolist() for c in clipped], float(norm)
    ([[0.6000000238418579], [0.800000011920929]], 5.0)
    """
    if isinstance(t_list, Tensor) or not isinstance(t_list, (list, tuple)):
        raise TypeError(f"`t_list` should be a sequence of tensors. Received {type(t_list)}.")
    norm = global_norm(t_list) if use_norm is None else to_tensor(use_norm)
    norm, clip = binary_operands(norm, clip_norm, "Mul")
    one = ones_like(norm)
    scale_for_finite = multiply(clip, minimum(divide_(one, norm), divide_(one, clip)))
    # A non-finite norm poisons the scale with nan (TensorFlow adds norm - norm; a select
    # gives the same values without NumPy's inf - inf warning).
    nan = multiply(one, float("nan"))
    scale = add(scale_for_finite, where(is_finite(norm), zeros_like(norm), nan))
    clipped = [
        None if v is None else identity(multiply(to_tensor(v), cast(scale, to_tensor(v).dtype)))
        for v in t_list
    ]
    return clipped, norm


def l2_normalize(
    x: Any, axis: Any = None, epsilon: float = 1e-12, name: str | None = None, dim: Any = None
) -> Tensor:
    """`tf.math.l2_normalize` (also `tf.nn.l2_normalize`): x / sqrt(max(sum(x ** 2),
    epsilon)) over `axis` (all axes when None).

    >>> import ndflow as tf
    >>> tf.math.l2_normalize(tf.constant([3.0, 4.0]))
    <tf.Tensor: shape=(2,), dtype=float32, numpy=array([0.6, 0.8], dtype=float32)>
    """
    if dim is not None:
        if axis is not None:
            raise ValueError("Cannot specify both 'axis' and 'dim'")
        axis = dim
    x = to_tensor(x)
    square_sum = reduce_sum(square(x), axis, keepdims=True)
    x_inv_norm = rsqrt(maximum(square_sum, epsilon))
    return multiply(x, x_inv_norm)
