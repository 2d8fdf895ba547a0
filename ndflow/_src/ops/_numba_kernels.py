"""numba kernels for the nn and conv ops (the `ndflow[fast]` extra).

Imported only on first use, through `nn_ops.numba_kernels()`, so `import ndflow` never pays
for numba. Every kernel here has a NumPy twin in nn_ops/conv_ops giving the same results;
`NDFLOW_DISABLE_NUMBA=1` makes the ops use the twins (the tests run both).

Why these: each replaces several NumPy passes (and temporaries) over activation-sized
arrays with one pass, which is what dominates a small CNN's training step.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit


@njit(cache=True, nogil=True, error_model="numpy")
def col2im(dcols, n, h, w, c, oh, ow, kh, kw, sh, sw, dh, dw, pt, pl):  # pragma: no cover
    """The adjoint of im2col: sums im2col rows (n*oh*ow, kh*kw*c) into an (n, h, w, c) image.

    Image by image (its output, a few KB, stays in L1 while all kh*kw taps add into it:
    1.8x faster than tap-major passes over the whole batch), tap by tap within an image (as
    the NumPy twin adds, so the sums match it bit for bit), each a contiguous channel-vector
    add. (pt, pl) is the forward pass's top/left padding.
    """
    out = np.empty((n, h, w, c), dcols.dtype)
    d = dcols.reshape(n, oh, ow, kh * kw * c)
    for b in range(n):
        ob = out[b]
        ob[:] = 0
        db = d[b]
        for i in range(kh):
            for j in range(kw):
                base = (i * kw + j) * c
                for y in range(oh):
                    yo = y * sh + i * dh - pt
                    if yo < 0 or yo >= h:
                        continue
                    for x in range(ow):
                        xo = x * sw + j * dw - pl
                        if xo < 0 or xo >= w:
                            continue
                        src = db[y, x]
                        dst = ob[yo, xo]
                        for ch in range(c):
                            dst[ch] += src[base + ch]
    return out


@njit(cache=True, nogil=True)
def max_pool(x, oh, ow, kh, kw, sh, sw, pt, pl):  # pragma: no cover - jitted
    """Max pooling of an NHWC image; windows start at (y*sh - pt, x*sw - pl), padding skipped."""
    n, h, w, c = x.shape
    out = np.empty((n, oh, ow, c), x.dtype)
    for b in range(n):
        for y in range(oh):
            y0 = y * sh - pt
            for xo in range(ow):
                x0 = xo * sw - pl
                first = True
                for i in range(kh):
                    yy = y0 + i
                    if yy < 0 or yy >= h:
                        continue
                    for j in range(kw):
                        xx = x0 + j
                        if xx < 0 or xx >= w:
                            continue
                        if first:
                            for ch in range(c):
                                out[b, y, xo, ch] = x[b, yy, xx, ch]
                            first = False
                        else:
                            for ch in range(c):
                                v = x[b, yy, xx, ch]
                                if v > out[b, y, xo, ch]:
                                    out[b, y, xo, ch] = v
    return out


@njit(cache=True, nogil=True)
def max_pool_argmax(x, oh, ow, kh, kw, sh, sw, pt, pl):  # pragma: no cover - jitted
    """Max pooling that also records, per output, the window index (i * kw + j) of the
    first maximum, so the gradient never has to re-read the input."""
    n, h, w, c = x.shape
    out = np.empty((n, oh, ow, c), x.dtype)
    arg = np.empty((n, oh, ow, c), np.int16)
    for b in range(n):
        for y in range(oh):
            y0 = y * sh - pt
            for xo in range(ow):
                x0 = xo * sw - pl
                first = True
                for i in range(kh):
                    yy = y0 + i
                    if yy < 0 or yy >= h:
                        continue
                    for j in range(kw):
                        xx = x0 + j
                        if xx < 0 or xx >= w:
                            continue
                        k = i * kw + j
                        if first:
                            for ch in range(c):
                                out[b, y, xo, ch] = x[b, yy, xx, ch]
                                arg[b, y, xo, ch] = k
                            first = False
                        else:
                            for ch in range(c):
                                v = x[b, yy, xx, ch]
                                if v > out[b, y, xo, ch]:
                                    out[b, y, xo, ch] = v
                                    arg[b, y, xo, ch] = k
    return out, arg


@njit(cache=True, nogil=True, error_model="numpy")
def max_pool_2x2_argmax(x, oh, ow):  # pragma: no cover - jitted
    """max_pool_argmax for 2x2 windows, stride 2, windows inside the image (VALID, or SAME
    needing no padding): the four taps unrolled over contiguous channel vectors, 2.7x
    faster than the general loop, with the same results (first maximum in row-major order)."""
    n = x.shape[0]
    c = x.shape[3]
    out = np.empty((n, oh, ow, c), x.dtype)
    arg = np.empty((n, oh, ow, c), np.int16)
    for b in range(n):
        for y in range(oh):
            r0 = x[b, 2 * y]
            r1 = x[b, 2 * y + 1]
            orow = out[b, y]
            arow = arg[b, y]
            for xo in range(ow):
                t0 = r0[2 * xo]
                t1 = r0[2 * xo + 1]
                t2 = r1[2 * xo]
                t3 = r1[2 * xo + 1]
                o = orow[xo]
                a = arow[xo]
                for ch in range(c):
                    m = t0[ch]
                    k = 0
                    v = t1[ch]
                    if v > m:
                        m = v
                        k = 1
                    v = t2[ch]
                    if v > m:
                        m = v
                        k = 2
                    v = t3[ch]
                    if v > m:
                        m = v
                        k = 3
                    o[ch] = m
                    a[ch] = k
    return out, arg


@njit(cache=True, nogil=True)
def max_pool_grad_from_argmax(arg, g, h, w, kh, kw, sh, sw, pt, pl):  # pragma: no cover
    """MaxPoolGrad from recorded window indices: one pass over the output gradient.

    Windows that tile the input (stride == size, no padding: the usual 2x2/2 pooling)
    write every cell once, so the result needs no zero fill first.
    """
    n, oh, ow, c = g.shape
    # (With SAME padding all of it may sit at the bottom/right: pt == pl == 0 but the last
    # windows hang over the edge, so the tiling loop would write past the array.)
    if kh == sh and kw == sw and pt == 0 and pl == 0 and oh * sh <= h and ow * sw <= w:
        dx = np.empty((n, h, w, c), g.dtype)
        for b in range(n):
            for y in range(oh):
                for xo in range(ow):
                    for i in range(kh):
                        for j in range(kw):
                            k = i * kw + j
                            yy = y * sh + i
                            xx = xo * sw + j
                            for ch in range(c):
                                dx[b, yy, xx, ch] = g[b, y, xo, ch] if arg[b, y, xo, ch] == k else 0
            # Rows and columns no window covers (VALID drops the remainder).
            dx[b, oh * sh :, :, :] = 0
            dx[b, : oh * sh, ow * sw :, :] = 0
        return dx
    dx = np.zeros((n, h, w, c), g.dtype)
    for b in range(n):
        for y in range(oh):
            for xo in range(ow):
                for ch in range(c):
                    k = arg[b, y, xo, ch]
                    yy = y * sh - pt + k // kw
                    xx = xo * sw - pl + k % kw
                    dx[b, yy, xx, ch] += g[b, y, xo, ch]
    return dx


@njit(cache=True, nogil=True, error_model="numpy")
def max_pool_grad_relu_tiled(arg, g, out, h, w, kh, kw):  # pragma: no cover - jitted
    """MaxPoolGrad -> ReluGrad fused, from recorded window indices, for windows that tile
    the input (stride == size, no padding, all inside): each input cell gets
    g * (out > 0) of its window if it held the maximum, else 0. Row by row of the input
    (contiguous writes); no zero fill first. The NumPy twin masks g first: the same floats.
    """
    n, oh, ow, c = g.shape
    dx = np.empty((n, h, w, c), g.dtype)
    for b in range(n):
        for y in range(oh):
            for i in range(kh):
                drow = dx[b, y * kh + i]
                for xo in range(ow):
                    gv = g[b, y, xo]
                    ov = out[b, y, xo]
                    av = arg[b, y, xo]
                    for j in range(kw):
                        k = i * kw + j
                        d = drow[xo * kw + j]
                        for ch in range(c):
                            d[ch] = gv[ch] * (ov[ch] > 0) if av[ch] == k else 0
        # Rows and columns no window covers (VALID drops the remainder).
        dx[b, oh * kh :, :, :] = 0
        dx[b, : oh * kh, ow * kw :, :] = 0
    return dx


@njit(cache=True, nogil=True)
def max_pool_grad(x, out, g, kh, kw, sh, sw, pt, pl):  # pragma: no cover - jitted
    """Routes each output gradient to the first input position (row-major) holding the max.

    Channels are the innermost loop so every access is contiguous.
    """
    n, h, w, c = x.shape
    _, oh, ow, _ = out.shape
    dx = np.zeros(x.shape, g.dtype)
    done = np.empty(c, np.bool_)
    for b in range(n):
        for y in range(oh):
            y0 = y * sh - pt
            for xo in range(ow):
                x0 = xo * sw - pl
                done[:] = False
                for i in range(kh):
                    yy = y0 + i
                    if yy < 0 or yy >= h:
                        continue
                    for j in range(kw):
                        xx = x0 + j
                        if xx < 0 or xx >= w:
                            continue
                        for ch in range(c):
                            if not done[ch] and x[b, yy, xx, ch] == out[b, y, xo, ch]:
                                dx[b, yy, xx, ch] += g[b, y, xo, ch]
                                done[ch] = True
    return dx


@njit(cache=True, nogil=True)
def max_pool_grad_grad(x, out, gg, kh, kw, sh, sw, pt, pl):  # pragma: no cover - jitted
    """Gathers `gg` (input-shaped) at each window's first max: the gradient of MaxPoolGrad."""
    n, h, w, c = x.shape
    _, oh, ow, _ = out.shape
    res = np.zeros(out.shape, gg.dtype)
    done = np.empty(c, np.bool_)
    for b in range(n):
        for y in range(oh):
            y0 = y * sh - pt
            for xo in range(ow):
                x0 = xo * sw - pl
                done[:] = False
                for i in range(kh):
                    yy = y0 + i
                    if yy < 0 or yy >= h:
                        continue
                    for j in range(kw):
                        xx = x0 + j
                        if xx < 0 or xx >= w:
                            continue
                        for ch in range(c):
                            if not done[ch] and x[b, yy, xx, ch] == out[b, y, xo, ch]:
                                res[b, y, xo, ch] = gg[b, yy, xx, ch]
                                done[ch] = True
    return res


# Elementwise kernels come in two forms: one writing a new array, and an in-place one for
# buffers the graph executor donates. Passing the input as `out` instead would not
# vectorize: LLVM's runtime overlap check fails for aliased arrays and takes the scalar
# loop (3-4x slower).


@njit(cache=True, nogil=True)
def relu(x):  # pragma: no cover - jitted
    """max(x, 0) in one pass over a flat contiguous array; NaN stays NaN, as in TF."""
    out = np.empty_like(x)
    for i in range(x.size):
        v = x[i]
        out[i] = 0 if v < 0 else v
    return out


@njit(cache=True, nogil=True)
def relu_inplace(x):  # pragma: no cover - jitted
    for i in range(x.size):
        v = x[i]
        x[i] = 0 if v < 0 else v


@njit(cache=True, nogil=True)
def relu_grad(g, y):  # pragma: no cover - jitted
    """g * (y > 0) in one pass (flat, same-shaped contiguous arrays)."""
    out = np.empty_like(g)
    for i in range(g.size):
        out[i] = g[i] * (y[i] > 0)
    return out


@njit(cache=True, nogil=True)
def relu_grad_inplace(g, y):  # pragma: no cover - jitted
    for i in range(g.size):
        g[i] = g[i] * (y[i] > 0)


@njit(cache=True, nogil=True, error_model="numpy")
def bias_add(x, b):  # pragma: no cover - jitted
    """x + b for a contiguous (rows, channels) x in one pass, where NumPy's broadcast loop
    restarts every `channels` elements (2.6x slower for 32 channels)."""
    rows, c = x.shape
    out = np.empty_like(x)
    for r in range(rows):
        xr = x[r]
        orow = out[r]
        for j in range(c):
            orow[j] = xr[j] + b[j]
    return out


@njit(cache=True, nogil=True, error_model="numpy")
def _widened(x, b):  # pragma: no cover - jitted
    """(x as rows of about 512 floats, b repeated to match): the in-place bias kernels'
    inner loops over 32 channels ran 1.35x slower than over 512 (loop overhead and
    remainders per row). x must be C-contiguous (rows, channels)."""
    rows, c = x.shape
    m = max(1, 512 // c) if c else 1
    while rows % m:
        m -= 1
    bw = np.empty(m * c, b.dtype)
    for k in range(m):
        for j in range(c):
            bw[k * c + j] = b[j]
    return x.reshape(rows // m, m * c), bw


@njit(cache=True, nogil=True, error_model="numpy")
def bias_add_inplace(x, b):  # pragma: no cover - jitted
    xw, bw = _widened(x, b)
    rows, c = xw.shape
    for r in range(rows):
        xr = xw[r]
        for j in range(c):
            xr[j] = xr[j] + bw[j]


@njit(cache=True, nogil=True, error_model="numpy")
def bias_add_relu(x, b):  # pragma: no cover - jitted
    """relu(x + b) for a contiguous (rows, channels) x in one pass: the fused BiasAdd ->
    Relu of conv and dense layers."""
    rows, c = x.shape
    out = np.empty_like(x)
    for r in range(rows):
        xr = x[r]
        orow = out[r]
        for j in range(c):
            v = xr[j] + b[j]
            orow[j] = 0 if v < 0 else v
    return out


@njit(cache=True, nogil=True, error_model="numpy")
def bias_add_relu_inplace(x, b):  # pragma: no cover - jitted
    xw, bw = _widened(x, b)
    rows, c = xw.shape
    for r in range(rows):
        xr = xw[r]
        for j in range(c):
            v = xr[j] + bw[j]
            xr[j] = 0 if v < 0 else v


@njit(cache=True, nogil=True)
def sparse_xent(logits, labels):  # pragma: no cover - jitted
    """Per row of (batch, classes) logits: the loss and softmax - one_hot, in one pass.

    Returns (loss, back, bad): `bad` is the index of the first label outside [0, classes)
    (the outputs are then undefined), or -1; checking here saves NumPy's three passes.
    """
    b, k = logits.shape
    loss = np.empty(b, logits.dtype)
    back = np.empty_like(logits)
    for r in range(b):
        if labels[r] < 0 or labels[r] >= k:
            return loss, back, r
    for r in range(b):
        m = logits[r, 0]
        for j in range(1, k):
            if logits[r, j] > m:
                m = logits[r, j]
        s = 0.0
        for j in range(k):
            e = math.exp(logits[r, j] - m)
            back[r, j] = e
            s += e
        inv = 1.0 / s
        for j in range(k):
            back[r, j] *= inv
        lab = labels[r]
        loss[r] = math.log(s) - (logits[r, lab] - m)
        back[r, lab] -= 1.0
    return loss, back, -1


@njit(cache=True, nogil=True)
def erf(x):  # pragma: no cover - jitted
    out = np.empty_like(x)
    for i in range(x.size):
        out[i] = math.erf(x[i])
    return out
