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

from numba import njit


@njit(cache=True, nogil=True)
def adam(fv, fm, fs, fg, lr_t, beta1, beta2, epsilon, lo, hi):  # pragma: no cover - jitted
    one_b1 = 1.0 - beta1
    one_b2 = 1.0 - beta2
    for i in range(lo, hi):
        gi = fg[i]
        mi = fm[i] + (gi - fm[i]) * one_b1
        vi = fs[i] + (gi * gi - fs[i]) * one_b2
        fm[i] = mi
        fs[i] = vi
        fv[i] -= lr_t * mi / (math.sqrt(vi) + epsilon)


@njit(cache=True, nogil=True)
def momentum(fv, fa, fg, lr, momentum, nesterov, lo, hi):  # pragma: no cover - jitted
    for i in range(lo, hi):
        a = fa[i] * momentum - lr * fg[i]
        fa[i] = a
        if nesterov:
            fv[i] += momentum * a - lr * fg[i]
        else:
            fv[i] += a
