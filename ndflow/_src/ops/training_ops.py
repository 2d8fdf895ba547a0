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

import math
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


# Updates of at least this many elements are split across two threads. Since the kernels
# vectorize, one thread streams ~6 elements/ns and the handoff cost more than it saved up
# to 4M elements on the 2-core machine (interleaved A/B); only very large updates split.
_SPLIT_AT = 1 << 21
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
        dt = w.dtype.type  # scalars in the arrays' dtype: float32 math stays float32
        flat = (w.reshape(-1), acc.reshape(-1), np.ascontiguousarray(grad).reshape(-1))
        _run_split(k.momentum, flat, (dt(lr), dt(momentum), bool(use_nesterov)))
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


_F32 = np.dtype(np.float32)
_F64 = np.dtype(np.float64)


def _one_minus(b: Any) -> Any:
    """`1.0 - b` for a 0-d array `b`, as NumPy computes it, without the ufunc call (~0.5
    us) where a Python float gives the same value: `b` float64, or float32 in [0.5, 1]
    (where 1 - b is exact in float32, Sterbenz)."""
    if type(b) is np.ndarray and b.ndim == 0:
        dt = b.dtype
        if dt is _F64 or (dt is _F32 and 0.5 <= float(b) <= 1.0):
            return 1.0 - float(b)
    return 1.0 - b


def _apply_adam_kernel(r, mr, vr, beta1_power, beta2_power, lr, beta1, beta2, epsilon, grad):
    var = r.var
    _check_grad(var, grad, "ResourceApplyAdam")
    w = _writable(var)
    m = _writable(mr.var)
    v = _writable(vr.var)
    lr_t = float(lr) * math.sqrt(1.0 - float(beta2_power)) / (1.0 - float(beta1_power))
    k = _kernels_cache[0] if _kernels_cache else _numba_kernels()
    dt = w.dtype.type
    if k is not None and (dt is np.float32 or dt is np.float64):
        g = grad.reshape(-1) if grad.flags.c_contiguous else np.ascontiguousarray(grad).reshape(-1)
        flat = (w.reshape(-1), m.reshape(-1), v.reshape(-1), g)
        scalars = np.array([lr_t, _one_minus(beta1), _one_minus(beta2), epsilon], dt)
        if flat[0].size < _SPLIT_AT:
            k.adam(*flat, scalars, 0, flat[0].size)
        else:
            _run_split(k.adam, flat, (scalars,))
        return
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


# ---------------------------------------------------------------------------- helpers


def _prepare(op_type: str, r: Any, slots: tuple, grad: np.ndarray) -> tuple:
    """(var buffer, slot buffers, numba module or None, flat grad) for an update kernel."""
    var = r.var
    _check_grad(var, grad, op_type)
    w = _writable(var)
    ss = [_writable(s.var) for s in slots]
    k = _numba_kernels()
    if k is None or w.dtype not in (np.float32, np.float64):
        return w, ss, None, grad
    return w, ss, k, np.ascontiguousarray(grad).reshape(-1)


def _flat(*arrays: np.ndarray) -> list:
    return [a.reshape(-1) for a in arrays]


def _register(op_type: str, kernel: Any) -> None:
    register_op(op_type, kernel, _no_outputs, num_outputs=0, stateful=True)


def _scalars(d: dtypes.DType, *values: Any) -> tuple:
    return tuple(_scalar(v, d) for v in values)


# ---------------------------------------------------------------------------- AMSGrad


def _apply_amsgrad_kernel(r, mr, vr, hr, beta1_power, beta2_power, lr, beta1, beta2, eps, grad):
    w, (m, v, h), k, g = _prepare("ResourceApplyAdamWithAmsgrad", r, (mr, vr, hr), grad)
    lr_t = float(lr) * np.sqrt(1.0 - float(beta2_power)) / (1.0 - float(beta1_power))
    dt = w.dtype.type
    if k is not None:
        scalars = (dt(lr_t), dt(1.0 - beta1), dt(1.0 - beta2), dt(eps))
        _run_split(k.adam_amsgrad, (*_flat(w, m, v, h), g), scalars)
        return
    m += (g - m) * dt(1.0 - beta1)
    v += (np.square(g) - v) * dt(1.0 - beta2)
    np.maximum(h, v, out=h)
    w -= dt(lr_t) * m / (np.sqrt(h) + dt(eps))


_register("ResourceApplyAdamWithAmsgrad", _apply_amsgrad_kernel)


def apply_adam_with_amsgrad(
    var, m, v, vhat, beta1_power, beta2_power, lr, beta1, beta2, epsilon, grad
) -> None:
    """Adam whose denominator uses the running maximum `vhat` of `v`, in place."""
    s = _scalars(var.dtype, beta1_power, beta2_power, lr, beta1, beta2, epsilon)
    execute("ResourceApplyAdamWithAmsgrad", (var.handle, m.handle, v.handle, vhat.handle, *s, grad))


# ---------------------------------------------------------------------------- RMSprop


def _apply_rmsprop_kernel(*args, use_momentum=False, centered=False):
    r, ms_r = args[0], args[1]
    slots = [ms_r]
    i = 2
    mom_r = mg_r = None
    if use_momentum:
        mom_r = args[i]
        slots.append(mom_r)
        i += 1
    if centered:
        mg_r = args[i]
        slots.append(mg_r)
        i += 1
    lr, rho, momentum, eps, grad = args[i:]
    w, ss, k, g = _prepare("ResourceApplyKerasRMSProp", r, tuple(slots), grad)
    ms = ss[0]
    mom = ss[1] if use_momentum else ms
    mg = ss[-1] if centered else ms
    dt = w.dtype.type
    rho = dt(rho)
    if k is not None:
        scalars = (dt(lr), rho, dt(1) - rho, dt(momentum), dt(eps))
        _run_split(
            k.rmsprop,
            (*_flat(w, ms, mom, mg), g),
            (*scalars, bool(use_momentum), bool(centered)),
        )
        return
    ms *= rho
    ms += (dt(1) - rho) * np.square(g)
    if centered:
        mg *= rho
        mg += (dt(1) - rho) * g
        denom = ms - np.square(mg) + dt(eps)
    else:
        denom = ms + dt(eps)
    inc = dt(lr) * g / np.sqrt(denom)
    if use_momentum:
        mom *= dt(momentum)
        mom += inc
        w -= mom
    else:
        w -= inc


_register("ResourceApplyKerasRMSProp", _apply_rmsprop_kernel)


def apply_keras_rmsprop(var, ms, mom, mg, lr, rho, momentum, epsilon, grad) -> None:
    """Keras's RMSprop, in place: ms = rho ms + (1 - rho) g^2 (mg likewise with g when
    centered); inc = lr g / sqrt(ms [- mg^2] + eps); var -= inc (through `mom` when given)."""
    handles = [var.handle, ms.handle]
    if mom is not None:
        handles.append(mom.handle)
    if mg is not None:
        handles.append(mg.handle)
    execute(
        "ResourceApplyKerasRMSProp",
        (*handles, *_scalars(var.dtype, lr, rho, momentum, epsilon), grad),
        {"use_momentum": mom is not None, "centered": mg is not None},
    )


# ---------------------------------------------------------------------------- Adagrad


def _apply_adagrad_kernel(r, ar, lr, eps, grad):
    w, (a,), k, g = _prepare("ResourceApplyKerasAdagrad", r, (ar,), grad)
    dt = w.dtype.type
    if k is not None:
        _run_split(k.adagrad, (*_flat(w, a), g), (dt(lr), dt(eps)))
        return
    a += np.square(g)
    w -= dt(lr) * g / np.sqrt(a + dt(eps))


_register("ResourceApplyKerasAdagrad", _apply_adagrad_kernel)


def apply_keras_adagrad(var, accum, lr, epsilon, grad) -> None:
    """Keras's Adagrad, in place: accum += g^2; var -= lr g / sqrt(accum + eps)."""
    execute(
        "ResourceApplyKerasAdagrad",
        (var.handle, accum.handle, *_scalars(var.dtype, lr, epsilon), grad),
    )


# ---------------------------------------------------------------------------- Adadelta


def _apply_adadelta_kernel(r, ar, ur, lr, rho, eps, grad):
    w, (ag, ad), k, g = _prepare("ResourceApplyAdadelta", r, (ar, ur), grad)
    dt = w.dtype.type
    rho, eps = dt(rho), dt(eps)
    if k is not None:
        _run_split(k.adadelta, (*_flat(w, ag, ad), g), (dt(lr), rho, dt(1) - rho, eps))
        return
    ag *= rho
    ag += (dt(1) - rho) * np.square(g)
    delta = -np.sqrt(ad + eps) * g / np.sqrt(ag + eps)
    ad *= rho
    ad += (dt(1) - rho) * np.square(delta)
    w += dt(lr) * delta


_register("ResourceApplyAdadelta", _apply_adadelta_kernel)


def apply_adadelta(var, accum, accum_update, lr, rho, epsilon, grad) -> None:
    """Adadelta, in place (TensorFlow's and Keras's formula agree)."""
    execute(
        "ResourceApplyAdadelta",
        (
            var.handle,
            accum.handle,
            accum_update.handle,
            *_scalars(var.dtype, lr, rho, epsilon),
            grad,
        ),
    )


# ---------------------------------------------------------------------------- Adamax


def _apply_adamax_kernel(r, mr, ur, beta1_power, lr, beta1, beta2, eps, grad):
    w, (m, u), k, g = _prepare("ResourceApplyAdaMax", r, (mr, ur), grad)
    dt = w.dtype.type
    if k is not None:
        scalars = (dt(lr), dt(1.0 - beta1), dt(beta2), dt(eps), dt(1.0 - beta1_power))
        _run_split(k.adamax, (*_flat(w, m, u), g), scalars)
        return
    m += (g - m) * dt(1.0 - beta1)
    np.maximum(dt(beta2) * u, np.abs(g), out=u)
    w -= dt(lr) * m / (dt(1.0 - beta1_power) * (u + dt(eps)))


_register("ResourceApplyAdaMax", _apply_adamax_kernel)


def apply_ada_max(var, m, v, beta1_power, lr, beta1, beta2, epsilon, grad) -> None:
    """Adamax, in place: m += (g - m)(1 - b1); v = max(b2 v, |g|);
    var -= lr / (1 - b1^t) * m / (v + eps)."""
    s = _scalars(var.dtype, beta1_power, lr, beta1, beta2, epsilon)
    execute("ResourceApplyAdaMax", (var.handle, m.handle, v.handle, *s, grad))


# ---------------------------------------------------------------------------- Nadam


def _apply_nadam_kernel(r, mr, vr, lr, beta1, beta2, eps, u_t, u_t_1, up_t, up_t_1, b2p, grad):
    w, (m, v), k, g = _prepare("ResourceApplyKerasNadam", r, (mr, vr), grad)
    vals = [float(x) for x in (lr, beta1, beta2, eps, u_t, u_t_1, up_t, up_t_1, b2p)]
    lr, beta1, beta2, eps, u_t, u_t_1, up_t, up_t_1, b2p = (w.dtype.type(x) for x in vals)
    one = w.dtype.type(1)
    if k is not None:
        scalars = (lr, one - beta1, one - beta2, eps, u_t_1, one - u_t, one - up_t, one - up_t_1)
        _run_split(k.nadam, (*_flat(w, m, v), g), (*scalars, one - b2p))
        return
    m += (g - m) * (one - beta1)
    v += (np.square(g) - v) * (one - beta2)
    m_hat = u_t_1 * m / (one - up_t_1) + (one - u_t) * g / (one - up_t)
    v_hat = v / (one - b2p)
    w -= m_hat * lr / (np.sqrt(v_hat) + eps)


_register("ResourceApplyKerasNadam", _apply_nadam_kernel)


def apply_keras_nadam(
    var, m, v, lr, beta1, beta2, epsilon, u_t, u_t_1, u_product_t, u_product_t_1, beta2_power, grad
) -> None:
    """Keras's Nadam step, in place, given this step's momentum-schedule factors."""
    s = _scalars(
        var.dtype, lr, beta1, beta2, epsilon, u_t, u_t_1, u_product_t, u_product_t_1, beta2_power
    )
    execute("ResourceApplyKerasNadam", (var.handle, m.handle, v.handle, *s, grad))


# ---------------------------------------------------------------------------- FTRL


def _apply_ftrl_kernel(r, ar, lr_r, grad, lr, l1, l2, l2_shrinkage, lr_power):
    w, (acc, lin), k, g = _prepare("ResourceApplyFtrlV2", r, (ar, lr_r), grad)
    vals = [float(x) for x in (lr, l1, l2, l2_shrinkage, lr_power)]
    lr, l1, l2, l2_shrinkage, lr_power = (w.dtype.type(x) for x in vals)
    if k is not None:
        scalars = (lr, l1, 2 * l2, 2 * l2_shrinkage, lr_power)
        _run_split(k.ftrl, (*_flat(w, acc, lin), g), scalars)
        return
    g_shrunk = g + 2 * l2_shrinkage * w
    new_acc = acc + np.square(g)
    lin += g_shrunk - (np.power(new_acc, -lr_power) - np.power(acc, -lr_power)) / lr * w
    quadratic = np.power(new_acc, -lr_power) / lr + 2 * l2
    w[...] = (np.clip(lin, -l1, l1) - lin) / quadratic
    acc[...] = new_acc


_register("ResourceApplyFtrlV2", _apply_ftrl_kernel)


def apply_ftrl_v2(var, accum, linear, grad, lr, l1, l2, l2_shrinkage, lr_power) -> None:
    """FTRL-proximal with L2 shrinkage, in place (TensorFlow's `ResourceApplyFtrlV2`)."""
    s = _scalars(var.dtype, lr, l1, l2, l2_shrinkage, lr_power)
    execute("ResourceApplyFtrlV2", (var.handle, accum.handle, linear.handle, grad, *s))


# ---------------------------------------------------------------------------- Lion


def _apply_lion_kernel(r, mr, lr, beta1, beta2, grad):
    w, (m,), k, g = _prepare("ResourceApplyLion", r, (mr,), grad)
    dt = w.dtype.type
    if k is not None:
        scalars = (dt(lr), dt(beta1), dt(1.0 - beta1), dt(beta2), dt(1.0 - beta2))
        _run_split(k.lion, (*_flat(w, m), g), scalars)
        return
    w -= dt(lr) * np.sign(m * dt(beta1) + g * dt(1.0 - beta1))
    m *= dt(beta2)
    m += g * dt(1.0 - beta2)


_register("ResourceApplyLion", _apply_lion_kernel)


def apply_lion(var, m, lr, beta1, beta2, grad) -> None:
    """Lion, in place: var -= lr sign(b1 m + (1 - b1) g); m = b2 m + (1 - b2) g."""
    execute(
        "ResourceApplyLion", (var.handle, m.handle, *_scalars(var.dtype, lr, beta1, beta2), grad)
    )
