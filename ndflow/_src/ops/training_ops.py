"""Fused optimizer updates: one op per variable, updating it and its slots in place.

TensorFlow's `ResourceApply*` ops. Written in place (not by replacing the buffer as
`assign` does) because a separate NumPy pass per term dominated training steps: an Adam
update over 2.8M parameters took 5-7 ms as NumPy ops and 1.7 ms as one fused
two-thread numba loop. In-place writes keep TensorFlow's snapshot semantics by copying
first when anything else still holds the buffer (see `_writable`).

With the `fast` extra the loops are numba kernels, compiled on first use; without it
(or with NDFLOW_DISABLE_NUMBA=1) NumPy twins give the same results.
"""

from __future__ import annotations

import os
import sys
from typing import Any

import numpy as np

from ndflow._src.core import dtypes
from ndflow._src.framework.constant import convert_to_tensor
from ndflow._src.framework.execute import execute
from ndflow._src.framework.op_registry import register_op
from ndflow._src.framework.tensor import Tensor

_kernels_cache: list = []


def _numba_kernels() -> Any:
    """The numba module, or None when numba is absent or disabled."""
    if not _kernels_cache:
        mod = None
        if os.environ.get("NDFLOW_DISABLE_NUMBA", "") not in ("1", "true", "True"):
            try:
                from ndflow._src.ops import _numba_training as mod
            except ImportError:
                mod = None
        _kernels_cache.append(mod)
    return _kernels_cache[0]


# A buffer referenced only by its variable shows this count from inside `_writable`:
# the variable's attribute and getrefcount's own argument.
_SOLE_OWNER_REFS = 2


def _writable(var: Any, attr: str = "_array") -> np.ndarray:
    """The variable's buffer, safe to update in place.

    If a tensor read earlier (or a view of one) still holds the buffer, it is copied
    first, so that tensor keeps its value: copy-on-write by reference count.
    """
    if sys.getrefcount(getattr(var, attr)) > _SOLE_OWNER_REFS:
        setattr(var, attr, getattr(var, attr).copy())
    arr = getattr(var, attr)
    if not arr.flags.c_contiguous:
        arr = np.ascontiguousarray(arr)
        setattr(var, attr, arr)
    return arr


# Updates of at least this many elements are split across two threads.
_SPLIT_AT = 1 << 18
_pool: list = []


def _run_split(kernel: Any, arrays: tuple, scalars: tuple) -> None:
    """Runs `kernel(*arrays, *scalars, lo, hi)` over the whole range, in two halves on two
    threads when the update is large (the kernels release the GIL)."""
    n = arrays[0].size
    if n < _SPLIT_AT:
        kernel(*arrays, *scalars, 0, n)
        return
    if not _pool:
        from concurrent.futures import ThreadPoolExecutor

        _pool.append(ThreadPoolExecutor(max_workers=1, thread_name_prefix="ndflow-update"))
    half = n // 2
    other = _pool[0].submit(kernel, *arrays, *scalars, half, n)
    kernel(*arrays, *scalars, 0, half)
    other.result()


def _no_outputs(inputs: list, attrs: dict) -> list:
    return []


def _scalar(x: Any, dtype: dtypes.DType) -> Tensor:
    return x if isinstance(x, Tensor) else convert_to_tensor(x, dtype=dtype)


def _check_grad(var: Any, grad: np.ndarray, op_type: str) -> None:
    if grad.shape != var._array.shape:
        from ndflow._src.ops.op_util import invalid

        raise invalid(
            op_type,
            f"var and grad do not have the same shape{list(var._array.shape)} {list(grad.shape)}",
        )


# ---------------------------------------------------------------------------- SGD


def _apply_gd_kernel(r, alpha, delta):
    var = r.var
    _check_grad(var, delta, "ResourceApplyGradientDescent")
    w = _writable(var)
    w -= alpha * delta


register_op(
    "ResourceApplyGradientDescent", _apply_gd_kernel, _no_outputs, num_outputs=0, stateful=True
)


def apply_gradient_descent(var: Any, alpha: Any, delta: Tensor) -> None:
    """var -= alpha * delta, in place."""
    execute("ResourceApplyGradientDescent", (var.handle, _scalar(alpha, var.dtype), delta))


# ---------------------------------------------------------------------------- momentum


def _apply_momentum_kernel(r, a, lr, grad, momentum, use_nesterov):
    var, accum = r.var, a.var
    _check_grad(var, grad, "ResourceApplyKerasMomentum")
    w = _writable(var)
    acc = _writable(accum)
    k = _numba_kernels()
    if k is not None and w.dtype in (np.float32, np.float64):
        flat = (w.reshape(-1), acc.reshape(-1), np.ascontiguousarray(grad).reshape(-1))
        _run_split(k.momentum, flat, (float(lr), float(momentum), bool(use_nesterov)))
        return
    acc *= momentum
    acc -= lr * grad
    if use_nesterov:
        w += momentum * acc - lr * grad
    else:
        w += acc


register_op(
    "ResourceApplyKerasMomentum", _apply_momentum_kernel, _no_outputs, num_outputs=0, stateful=True
)


def apply_keras_momentum(
    var: Any, accum: Any, lr: Any, grad: Tensor, momentum: Any, use_nesterov: bool = False
) -> None:
    """Keras's momentum: accum = momentum * accum - lr * grad; var += accum (or the
    Nesterov form), in place."""
    execute(
        "ResourceApplyKerasMomentum",
        (var.handle, accum.handle, _scalar(lr, var.dtype), grad, _scalar(momentum, var.dtype)),
        {"use_nesterov": bool(use_nesterov)},
    )


# ---------------------------------------------------------------------------- Adam


def _apply_adam_kernel(r, mr, vr, beta1_power, beta2_power, lr, beta1, beta2, epsilon, grad):
    var, m_var, v_var = r.var, mr.var, vr.var
    _check_grad(var, grad, "ResourceApplyAdam")
    w = _writable(var)
    m = _writable(m_var)
    v = _writable(v_var)
    lr_t = float(lr) * np.sqrt(1.0 - float(beta2_power)) / (1.0 - float(beta1_power))
    k = _numba_kernels()
    if k is not None and w.dtype in (np.float32, np.float64):
        g = np.ascontiguousarray(grad).reshape(-1)
        flat = (w.reshape(-1), m.reshape(-1), v.reshape(-1), g)
        _run_split(k.adam, flat, (lr_t, float(beta1), float(beta2), float(epsilon)))
        return
    dt = w.dtype.type
    m += (grad - m) * dt(1.0 - beta1)
    v += (np.square(grad) - v) * dt(1.0 - beta2)
    w -= dt(lr_t) * m / (np.sqrt(v) + dt(epsilon))


register_op("ResourceApplyAdam", _apply_adam_kernel, _no_outputs, num_outputs=0, stateful=True)


def apply_adam(
    var: Any,
    m: Any,
    v: Any,
    beta1_power: Any,
    beta2_power: Any,
    lr: Any,
    beta1: Any,
    beta2: Any,
    epsilon: Any,
    grad: Tensor,
) -> None:
    """TensorFlow's Adam step, in place:
    lr_t = lr * sqrt(1 - beta2^t) / (1 - beta1^t); m += (g - m)(1 - beta1);
    v += (g^2 - v)(1 - beta2); var -= lr_t * m / (sqrt(v) + epsilon)."""
    d = var.dtype
    execute(
        "ResourceApplyAdam",
        (
            var.handle,
            m.handle,
            v.handle,
            _scalar(beta1_power, d),
            _scalar(beta2_power, d),
            _scalar(lr, d),
            _scalar(beta1, d),
            _scalar(beta2, d),
            _scalar(epsilon, d),
            grad,
        ),
    )
