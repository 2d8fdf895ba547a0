"""`GradientTape.jacobian` and `batch_jacobian`: one backward pass per target element.

TensorFlow vectorizes these with pfor; here each row is a plain backward pass with a
one-hot output gradient, which gives the same values.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ndflow._src.core import nest
from ndflow._src.framework.constant import convert_to_tensor
from ndflow._src.framework.tensor import Tensor, VariableBase
from ndflow._src.ops import array_ops, math_ops


def _static_dims(t: Any, what: str) -> tuple:
    dims = t.shape._dims
    if dims is None or None in dims:
        raise ValueError(f"jacobian needs a fully known {what} shape; got {t.shape}")
    return dims


def _zeros(source: Any, lead: tuple) -> Tensor:
    dims = _static_dims(source, "source")
    return convert_to_tensor(np.zeros(lead + dims, dtype=source.dtype.as_numpy_dtype))


def jacobian(tape: Any, target: Any, sources: Any, unconnected: str) -> Any:
    tape._begin_backward()
    flat_sources = nest.flatten(sources)
    target = target.value() if isinstance(target, VariableBase) else target
    t_dims = _static_dims(target, "target")
    n = int(np.prod(t_dims, dtype=np.int64))
    rows: list[list] = [[] for _ in flat_sources]
    eye = np.eye(n, dtype=target.dtype.as_numpy_dtype)
    for i in range(n):
        onehot = convert_to_tensor(eye[i].reshape(t_dims))
        grads = tape._backward([target], flat_sources, [onehot])
        for k, g in enumerate(grads):
            rows[k].append(g)
    out = []
    for s, gs in zip(flat_sources, rows):
        s_dims = _static_dims(s, "source")
        if all(g is None for g in gs):
            out.append(_zeros(s, t_dims) if unconnected == "zero" else None)
            continue
        gs = [g if g is not None else math_ops.zeros_like(_zeros(s, ())) for g in gs]
        out.append(array_ops.reshape(array_ops.stack(gs), t_dims + s_dims))
    return nest.pack_sequence_as(sources, out)


def batch_jacobian(tape: Any, target: Any, source: Any, unconnected: str) -> Any:
    tape._begin_backward()
    t_dims = _static_dims(target, "target")
    s_dims = _static_dims(source, "source")
    if t_dims[0] != s_dims[0]:
        raise ValueError(
            "Need first dimension of `target` shape "
            f"({t_dims}) and `source` shape ({s_dims}) to match."
        )
    batch = t_dims[0]
    inner = int(np.prod(t_dims[1:], dtype=np.int64))
    eye = np.eye(inner, dtype=target.dtype.as_numpy_dtype)
    cols = []
    for j in range(inner):
        onehot = np.broadcast_to(eye[j], (batch, inner)).reshape(t_dims)
        (g,) = tape._backward([target], [source], [convert_to_tensor(onehot)])
        if g is None:
            g = _zeros(source, ())
            if unconnected != "zero" and j == inner - 1 and not cols:
                return None
        cols.append(g)
    stacked = array_ops.stack(cols, axis=1)
    return array_ops.reshape(stacked, (batch,) + t_dims[1:] + s_dims[1:])
