"""Loss ops of `tf.nn`: the fused cross entropies (softmax, sparse softmax, sigmoid: loss
and gradient in one pass, as TensorFlow's kernels), l2_loss, the loss-scaling helpers and
the composite losses built from them.
"""

import math
from typing import Any

import numpy as np

from ndflow._src.core import dtypes, errors
from ndflow._src.framework.execute import execute
from ndflow._src.framework.op_registry import register_op
from ndflow._src.framework.tensor import Tensor, static_value
from ndflow._src.ops import array_ops, math_ops
from ndflow._src.ops.op_util import (
    check_dtype,
    dims_of,
    dims_str,
    invalid,
    normalize_axis,
    to_tensor,
    unary_shape,
)
from ndflow._src.ops.nn_ops import _float_input, _sigmoid, _skip, numba_kernels, softplus


# ---------------------------------------------------------------------------- cross entropy


def _xent_extra_grad(g_back: Tensor | None) -> bool:
    """Whether the gradient reaching the `backprop` output may be non-zero (only then does
    the second-order term need computing)."""
    if g_back is None:
        return False
    v = static_value(g_back)
    return v is None or bool(np.any(v))


def _softmax_xent_kernel(logits, labels, axis):
    logits, labels = np.broadcast_arrays(logits, labels)
    shifted = logits - np.max(logits, axis=axis, keepdims=True)
    e = np.exp(shifted)
    s = np.sum(e, axis=axis, keepdims=True)
    log_p = shifted - np.log(s)
    loss = -np.sum(labels * log_p, axis=axis)
    e /= s
    e -= labels
    return loss, e


def _softmax_xent_shape(inputs, attrs):
    logits, labels = inputs
    ld, yd = dims_of(logits), dims_of(labels)
    if ld is None or yd is None:
        return [(None, logits.dtype), (None, logits.dtype)]
    try:
        from ndflow._src.ops.op_util import broadcast_dims

        d = broadcast_dims(ld, yd, "SoftmaxCrossEntropyWithLogits")
    except errors.InvalidArgumentError:
        raise invalid(
            "SoftmaxCrossEntropyWithLogits",
            f"logits and labels must be broadcastable: logits_size={dims_str(ld)} "
            f"labels_size={dims_str(yd)}",
        ) from None
    axis = normalize_axis(attrs["axis"], len(d), "SoftmaxCrossEntropyWithLogits")
    return [(tuple(v for i, v in enumerate(d) if i != axis), logits.dtype), (d, logits.dtype)]


def _softmax_xent_grad(op, g_loss, g_back):
    logits, labels = op.inputs
    back = op.outputs[1]
    axis = op.attrs["axis"]
    gl = math_ops.broadcast_like(g_loss, back, (axis,), False)
    d_logits = None if _skip(op, 0) else math_ops.multiply(gl, back)
    d_labels = None
    if not _skip(op, 1):
        log_p = execute("LogSoftmax", (logits,), {"axis": axis})
        d_labels = math_ops.negative(math_ops.multiply(gl, log_p))
    if _xent_extra_grad(g_back):
        # backprop = softmax(logits) - labels.
        if d_logits is not None:
            p = execute("Softmax", (logits,), {"axis": axis})
            d_logits = math_ops.add(d_logits, execute("SoftmaxGrad", (g_back, p), {"axis": axis}))
        if d_labels is not None:
            d_labels = math_ops.subtract(d_labels, g_back)
    return d_logits, d_labels


register_op(
    "SoftmaxCrossEntropyWithLogits",
    _softmax_xent_kernel,
    _softmax_xent_shape,
    _softmax_xent_grad,
    num_outputs=2,
)


def softmax_cross_entropy_with_logits(
    labels: Any, logits: Any, axis: int = -1, name: str | None = None
) -> Tensor:
    """`tf.nn.softmax_cross_entropy_with_logits`: -sum(labels * log_softmax(logits), axis).

    Gradients flow to both logits and labels.

    >>> import ndflow as tf
    >>> tf.nn.softmax_cross_entropy_with_logits([[0.0, 1.0]], [[0.0, 0.0]]).numpy()
    array([0.6931472], dtype=float32)
    """
    x = _float_input(logits, "SoftmaxCrossEntropyWithLogits")
    y = to_tensor(labels, dtype=x.dtype) if not isinstance(labels, Tensor) else labels
    if y.dtype is not x.dtype:
        y = math_ops.cast(y, x.dtype)
    loss, _ = execute("SoftmaxCrossEntropyWithLogits", (x, y), {"axis": int(axis)})
    return loss


def _bad_label(lab: np.ndarray, i: int, k: int) -> Exception:
    return errors.op_error(
        errors.InvalidArgumentError,
        "SparseSoftmaxCrossEntropyWithLogits",
        f"Received a label value of {int(lab[i])} which is outside the valid range of "
        f"[0, {k}).  Label values: {' '.join(str(int(t)) for t in lab)}",
    )


def _sparse_xent_kernel(logits, labels):
    k = logits.shape[-1]
    flat = logits.reshape(-1, k)
    lab = labels.reshape(-1)
    nb = numba_kernels(flat.dtype)
    if nb is not None and flat.size and flat.dtype.kind == "f" and flat.dtype.itemsize >= 4:
        loss, back, bad = nb.sparse_xent(np.ascontiguousarray(flat), lab)
        if bad >= 0:
            raise _bad_label(lab, bad, k)
    else:
        bad = (lab < 0) | (lab >= k)
        if np.any(bad):
            raise _bad_label(lab, int(np.argmax(bad)), k)
        rows = np.arange(flat.shape[0])
        shifted = flat - np.max(flat, axis=1, keepdims=True) if k else flat.copy()
        back = np.exp(shifted)
        s = np.sum(back, axis=1)
        loss = np.log(s) - shifted[rows, lab]
        back /= s[:, None]
        back[rows, lab] -= 1
    return loss.reshape(labels.shape), back.reshape(logits.shape)


def _sparse_xent_shape(inputs, attrs):
    logits = inputs[0]
    d = dims_of(logits)
    return [(None if d is None else d[:-1], logits.dtype), (d, logits.dtype)]


def _sparse_xent_grad(op, g_loss, g_back):
    logits = op.inputs[0]
    back = op.outputs[1]
    gl = math_ops.broadcast_like(g_loss, back, (-1,), False)
    d_logits = math_ops.multiply(gl, back)
    if _xent_extra_grad(g_back):
        p = execute("Softmax", (logits,), {"axis": -1})
        d_logits = math_ops.add(d_logits, execute("SoftmaxGrad", (g_back, p), {"axis": -1}))
    return d_logits, None


register_op(
    "SparseSoftmaxCrossEntropyWithLogits",
    _sparse_xent_kernel,
    _sparse_xent_shape,
    _sparse_xent_grad,
    num_outputs=2,
)


def _shape_str(d: Any) -> str:
    """A static shape the way TF's Python errors print it: (2, 3), None for unknown dims."""
    return "<unknown>" if d is None else str(tuple(d))


def sparse_softmax_cross_entropy_with_logits(
    labels: Any, logits: Any, name: str | None = None
) -> Tensor:
    """`tf.nn.sparse_softmax_cross_entropy_with_logits`: -log_softmax(logits)[labels].

    `labels` are class indices (int32/int64) with the shape of `logits` minus its last axis.

    Raises:
        ValueError: when the ranks or shapes of labels and logits disagree.
        InvalidArgumentError: when a label is outside [0, num_classes).

    >>> import ndflow as tf
    >>> tf.nn.sparse_softmax_cross_entropy_with_logits([1], [[0.0, 0.0]]).numpy()
    array([0.6931472], dtype=float32)
    """
    x = _float_input(logits, "SparseSoftmaxCrossEntropyWithLogits")
    y = to_tensor(labels)
    check_dtype(y, (dtypes.int32, dtypes.int64), "SparseSoftmaxCrossEntropyWithLogits", 1)
    xd, yd = dims_of(x), dims_of(y)
    if xd is not None and len(xd) == 0:
        raise ValueError(f"Logits cannot be scalars - received shape {_shape_str(xd)}.")
    if xd is not None and yd is not None:
        if len(yd) != len(xd) - 1:
            raise ValueError(
                f"`labels.shape.rank` must equal `logits.shape.rank - 1`. Received: "
                f"labels.shape={_shape_str(yd)} of rank {len(yd)} and "
                f"logits.shape={_shape_str(xd)} of rank {len(xd)}"
            )
        if any(a is not None and b is not None and a != b for a, b in zip(yd, xd[:-1])):
            raise ValueError(
                f"`labels.shape` must equal `logits.shape` except for the last dimension. "
                f"Received: labels.shape={_shape_str(yd)} and logits.shape={_shape_str(xd)}"
            )
    loss, _ = execute("SparseSoftmaxCrossEntropyWithLogits", (x, y))
    return loss


def _sigmoid_xent_kernel(logits, labels):
    # max(x, 0) - x * z + log(1 + exp(-|x|)): no overflow for any x.
    return np.maximum(logits, 0) - logits * labels + np.log1p(np.exp(-np.abs(logits)))


def _sigmoid_xent_grad(op, g):
    x, z = op.inputs
    dx = (
        None
        if _skip(op, 0)
        else math_ops.multiply(g, execute("SigmoidCrossEntropyWithLogitsGrad", (x, z)))
    )
    dz = None if _skip(op, 1) else math_ops.negative(math_ops.multiply(g, x))
    return dx, dz


def _sigmoid_xent_grad_grad(op, gg):
    x, z = op.inputs
    dx = None
    if not _skip(op, 0):
        s = execute("SigmoidCrossEntropyWithLogitsGrad", (x, math_ops.zeros_like(x)))
        dx = math_ops.multiply(
            gg, math_ops.multiply(s, math_ops.subtract(math_ops.ones_like(s), s))
        )
    return dx, None if _skip(op, 1) else math_ops.negative(gg)


register_op(
    "SigmoidCrossEntropyWithLogits", _sigmoid_xent_kernel, unary_shape(), _sigmoid_xent_grad
)
register_op(
    "SigmoidCrossEntropyWithLogitsGrad",
    lambda x, z: _sigmoid(x) - z,
    unary_shape(),
    _sigmoid_xent_grad_grad,
)


def _check_same_shape(logits: Tensor, labels: Tensor) -> None:
    """The sigmoid losses' check: static shapes that cannot match raise TF's ValueError."""
    xd, zd = dims_of(logits), dims_of(labels)
    if (
        xd is not None
        and zd is not None
        and (
            len(xd) != len(zd)
            or any(a is not None and b is not None and a != b for a, b in zip(xd, zd))
        )
    ):
        raise ValueError(
            f"`logits` and `labels` must have the same shape, received "
            f"({_shape_str(xd)} vs {_shape_str(zd)})."
        )


def sigmoid_cross_entropy_with_logits(
    labels: Any = None, logits: Any = None, name: str | None = None
) -> Tensor:
    """`tf.nn.sigmoid_cross_entropy_with_logits`: element-wise logistic loss, stably.

    >>> import ndflow as tf
    >>> float(tf.nn.sigmoid_cross_entropy_with_logits(tf.constant(1.0), tf.constant(0.0)))
    0.6931471824645996
    """
    if labels is None or logits is None:
        raise ValueError("Both labels and logits must be provided.")
    x = _float_input(logits, "SigmoidCrossEntropyWithLogits")
    z = to_tensor(labels, dtype=x.dtype) if not isinstance(labels, Tensor) else labels
    if z.dtype is not x.dtype:
        z = math_ops.cast(z, x.dtype)
    _check_same_shape(x, z)
    return execute("SigmoidCrossEntropyWithLogits", (x, z))


def _l2_loss_kernel(x):
    flat = x.reshape(-1)
    return np.asarray(np.dot(flat, flat) / 2, x.dtype)


register_op(
    "L2Loss",
    _l2_loss_kernel,
    lambda inputs, attrs: [((), inputs[0].dtype)],
    lambda op, g: (math_ops.multiply(op.inputs[0], g),),
)


def l2_loss(t: Any, name: str | None = None) -> Tensor:
    """`tf.nn.l2_loss`: sum(t ** 2) / 2.

    >>> import ndflow as tf
    >>> float(tf.nn.l2_loss(tf.constant([3.0, 4.0])))
    12.5
    """
    return execute("L2Loss", (_float_input(t, "L2Loss"),))


# ---------------------------------------------------------------------------- loss scaling


def compute_average_loss(
    per_example_loss: Any, sample_weight: Any = None, global_batch_size: Any = None
) -> Tensor:
    """`tf.nn.compute_average_loss`: sum(per_example_loss * sample_weight) / batch size.

    The batch size defaults to the first dimension of `per_example_loss` (one replica).

    >>> import ndflow as tf
    >>> float(tf.nn.compute_average_loss(tf.constant([1.0, 2.0, 3.0])))
    2.0
    """
    loss = to_tensor(per_example_loss)
    d = dims_of(loss)
    if d is not None and len(d) == 0:
        raise ValueError(
            "Invalid value passed for `per_example_loss`. Expected a tensor with at least "
            f"rank 1. Received per_example_loss={loss.numpy()} with rank 0"
        )
    if sample_weight is not None:
        w = (
            sample_weight
            if isinstance(sample_weight, Tensor)
            else to_tensor(sample_weight, loss.dtype)
        )
        loss = math_ops.multiply(loss, math_ops.cast(w, loss.dtype))
    total = math_ops.reduce_sum(loss)
    if global_batch_size is None:
        # The batch size from the shape at run time: size(loss) / size(loss summed over axis 0).
        batch = execute("SizeRatio", (loss, math_ops.reduce_sum(loss, 0)))
    else:
        batch = to_tensor(global_batch_size, dtypes.int32)
    return math_ops.truediv(total, math_ops.cast(batch, total.dtype))


def scale_regularization_loss(regularization_loss: Any) -> Tensor:
    """`tf.nn.scale_regularization_loss`: the summed loss divided by the replica count (1)."""
    return math_ops.reduce_sum(to_tensor(regularization_loss))


# ---------------------------------------------------------------------------- composite losses


def weighted_cross_entropy_with_logits(
    labels: Any, logits: Any, pos_weight: Any, name: str | None = None
) -> Tensor:
    """`tf.nn.weighted_cross_entropy_with_logits`: sigmoid cross entropy whose positive
    term is weighted by `pos_weight`: (1 - z) * x + (1 + (q - 1) * z) * softplus(-x).

    >>> import ndflow as tf
    >>> float(tf.nn.weighted_cross_entropy_with_logits(tf.constant(1.0), tf.constant(0.0), 2.0))
    1.3862943649291992
    """
    x = _float_input(logits, "WeightedCrossEntropyWithLogits")
    z = labels if isinstance(labels, Tensor) else to_tensor(labels, x.dtype)
    q = pos_weight if isinstance(pos_weight, Tensor) else to_tensor(pos_weight, x.dtype)
    _check_same_shape(x, z)
    one = math_ops.ones_like(z)
    log_weight = math_ops.add(one, math_ops.multiply(math_ops.subtract(q, 1), z))
    return math_ops.add(
        math_ops.multiply(math_ops.subtract(one, z), x),
        math_ops.multiply(log_weight, softplus(math_ops.negative(x))),
    )


def log_poisson_loss(
    targets: Any, log_input: Any, compute_full_loss: bool = False, name: str | None = None
) -> Tensor:
    """`tf.nn.log_poisson_loss`: exp(log_input) - log_input * targets, plus the Stirling
    term for targets > 1 when `compute_full_loss`."""
    c = _float_input(log_input, "LogPoissonLoss")
    z = targets if isinstance(targets, Tensor) else to_tensor(targets, c.dtype)
    loss = math_ops.subtract(math_ops.exp(c), math_ops.multiply(c, z))
    if not compute_full_loss:
        return loss
    safe_z = array_ops.where(math_ops.greater(z, 1), z, math_ops.ones_like(z))
    stirling = math_ops.add(
        math_ops.subtract(math_ops.multiply(safe_z, math_ops.log(safe_z)), safe_z),
        math_ops.multiply(math_ops.log(math_ops.multiply(safe_z, 2 * math.pi)), 0.5),
    )
    return math_ops.add(
        loss, array_ops.where(math_ops.greater(z, 1), stirling, math_ops.zeros_like(z))
    )
