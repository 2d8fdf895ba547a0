"""numba kernels for the fused optimizer updates (the `ndflow[fast]` extra).

Imported on first use only (through `training_ops`); each kernel updates the variable and
its slots in one pass where NumPy needs a pass and a temporary per term. Kernels work on
1-D views over the index range [lo, hi) and release the GIL, so `training_ops` can split a
large update across threads. (numba's own `parallel=True` was tried and rejected: its
spinning worker threads starve OpenBLAS's on a 2-core machine, making matmuls 50x
slower.) `training_ops` holds the NumPy twins, which give the same results.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit


@njit(cache=True, nogil=True)
def adam(fv, fm, fs, fg, lr_t, one_b1, one_b2, epsilon, lo, hi):  # pragma: no cover - jitted
    # The scalars come in the arrays' dtype and np.sqrt keeps it: with Python floats or
    # math.sqrt every float32 element was computed in float64 (1.6x slower), unlike the
    # NumPy twin.
    for i in range(lo, hi):
        gi = fg[i]
        mi = fm[i] + (gi - fm[i]) * one_b1
        vi = fs[i] + (gi * gi - fs[i]) * one_b2
        fm[i] = mi
        fs[i] = vi
        fv[i] -= lr_t * mi / (np.sqrt(vi) + epsilon)


@njit(cache=True, nogil=True)
def momentum(fv, fa, fg, lr, momentum, nesterov, lo, hi):  # pragma: no cover - jitted
    for i in range(lo, hi):
        a = fa[i] * momentum - lr * fg[i]
        fa[i] = a
        if nesterov:
            fv[i] += momentum * a - lr * fg[i]
        else:
            fv[i] += a


@njit(cache=True, nogil=True)
def adam_amsgrad(fv, fm, fs, fh, fg, lr_t, beta1, beta2, epsilon, lo, hi):  # pragma: no cover
    for i in range(lo, hi):
        gi = fg[i]
        mi = fm[i] + (gi - fm[i]) * (1.0 - beta1)
        vi = fs[i] + (gi * gi - fs[i]) * (1.0 - beta2)
        hi = max(fh[i], vi)
        fm[i] = mi
        fs[i] = vi
        fh[i] = hi
        fv[i] -= lr_t * mi / (math.sqrt(hi) + epsilon)


@njit(cache=True, nogil=True)
def rmsprop(
    fv, fms, fmom, fmg, fg, lr, rho, momentum, epsilon, use_momentum, centered, lo, hi
):  # pragma: no cover
    for i in range(lo, hi):
        gi = fg[i]
        ms = rho * fms[i] + (1.0 - rho) * gi * gi
        fms[i] = ms
        denom = ms + epsilon
        if centered:
            mg = rho * fmg[i] + (1.0 - rho) * gi
            fmg[i] = mg
            denom = ms - mg * mg + epsilon
        inc = lr * gi / math.sqrt(denom)
        if use_momentum:
            mom = momentum * fmom[i] + inc
            fmom[i] = mom
            fv[i] -= mom
        else:
            fv[i] -= inc


@njit(cache=True, nogil=True)
def adagrad(fv, fa, fg, lr, epsilon, lo, hi):  # pragma: no cover
    for i in range(lo, hi):
        gi = fg[i]
        a = fa[i] + gi * gi
        fa[i] = a
        fv[i] -= lr * gi / math.sqrt(a + epsilon)


@njit(cache=True, nogil=True)
def adadelta(fv, fag, fad, fg, lr, rho, epsilon, lo, hi):  # pragma: no cover
    for i in range(lo, hi):
        gi = fg[i]
        ag = rho * fag[i] + (1.0 - rho) * gi * gi
        fag[i] = ag
        delta = -math.sqrt(fad[i] + epsilon) * gi / math.sqrt(ag + epsilon)
        fad[i] = rho * fad[i] + (1.0 - rho) * delta * delta
        fv[i] += lr * delta


@njit(cache=True, nogil=True)
def adamax(fv, fm, fu, fg, lr, beta1, beta2, epsilon, beta1_power, lo, hi):  # pragma: no cover
    for i in range(lo, hi):
        gi = fg[i]
        mi = fm[i] + (gi - fm[i]) * (1.0 - beta1)
        ui = max(beta2 * fu[i], abs(gi))
        fm[i] = mi
        fu[i] = ui
        fv[i] -= lr * mi / ((1.0 - beta1_power) * (ui + epsilon))


@njit(cache=True, nogil=True)
def nadam(
    fv, fm, fs, fg, lr, beta1, beta2, epsilon, u_t, u_t_1, up_t, up_t_1, b2_power, lo, hi
):  # pragma: no cover
    for i in range(lo, hi):
        gi = fg[i]
        mi = fm[i] + (gi - fm[i]) * (1.0 - beta1)
        vi = fs[i] + (gi * gi - fs[i]) * (1.0 - beta2)
        fm[i] = mi
        fs[i] = vi
        m_hat = u_t_1 * mi / (1.0 - up_t_1) + (1.0 - u_t) * gi / (1.0 - up_t)
        v_hat = vi / (1.0 - b2_power)
        fv[i] -= m_hat * lr / (math.sqrt(v_hat) + epsilon)


@njit(cache=True, nogil=True)
def ftrl(fv, facc, flin, fg, lr, l1, l2, l2_shrinkage, lr_power, lo, hi):  # pragma: no cover
    for i in range(lo, hi):
        gi = fg[i]
        wi = fv[i]
        g_shrunk = gi + 2.0 * l2_shrinkage * wi
        acc = facc[i]
        new_acc = acc + gi * gi
        lin = flin[i] + g_shrunk - (new_acc ** (-lr_power) - acc ** (-lr_power)) / lr * wi
        flin[i] = lin
        quadratic = new_acc ** (-lr_power) / lr + 2.0 * l2
        clipped = min(max(lin, -l1), l1)
        fv[i] = (clipped - lin) / quadratic
        facc[i] = new_acc


@njit(cache=True, nogil=True)
def lion(fv, fm, fg, lr, beta1, beta2, lo, hi):  # pragma: no cover
    for i in range(lo, hi):
        gi = fg[i]
        mi = fm[i]
        c = mi * beta1 + gi * (1.0 - beta1)
        s = 1.0 if c > 0 else (-1.0 if c < 0 else 0.0)
        fv[i] -= lr * s
        fm[i] = mi * beta2 + gi * (1.0 - beta2)
