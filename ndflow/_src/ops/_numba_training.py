"""numba kernels for the fused optimizer updates (the `ndflow[fast]` extra).

Imported on first use only (through `training_ops`); each kernel updates the variable and
its slots in one multithreaded pass where NumPy needs a pass and a temporary per term.
`training_ops` holds the NumPy twins, which give the same results.
"""

from __future__ import annotations

import math

from numba import njit, prange


@njit(cache=True, parallel=True, fastmath=False)
def adam(fv, fm, fs, fg, lr_t, beta1, beta2, epsilon):  # pragma: no cover - jitted
    """All arrays 1-D views (the caller flattens): reshaping inside a parallel kernel
    may copy, and the update must land in the variable's own buffer."""
    n = fv.size
    one_b1 = 1.0 - beta1
    one_b2 = 1.0 - beta2
    for i in prange(n):
        gi = fg[i]
        mi = fm[i] + (gi - fm[i]) * one_b1
        vi = fs[i] + (gi * gi - fs[i]) * one_b2
        fm[i] = mi
        fs[i] = vi
        fv[i] -= lr_t * mi / (math.sqrt(vi) + epsilon)


@njit(cache=True, parallel=True)
def momentum(fv, fa, fg, lr, momentum, nesterov):  # pragma: no cover - jitted
    n = fv.size
    for i in prange(n):
        a = fa[i] * momentum - lr * fg[i]
        fa[i] = a
        if nesterov:
            fv[i] += momentum * a - lr * fg[i]
        else:
            fv[i] += a
