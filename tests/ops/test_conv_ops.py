"""Convolution and pooling: forward vs naive loops, gradients vs finite differences,
parity with TensorFlow, on both the numba and the NumPy kernels."""

from __future__ import annotations

import math

import numpy as np
import pytest
from harness.op_check import check_grads
from harness.tf_compare import compare_op

import ndflow as nd
from ndflow._src.framework import op_registry
from ndflow._src.ops import nn_ops


def _ones(shape):
    return nd.constant(np.ones(shape, np.float32))


def _rng(seed=0):
    return np.random.default_rng(seed)


# ---------------------------------------------------------------------------- oracles


def _pads(size, k, s, d, padding):
    keff = (k - 1) * d + 1
    if padding == "VALID":
        return (size - keff) // s + 1, 0, 0
    if padding == "SAME":
        out = math.ceil(size / s)
        total = max((out - 1) * s + keff - size, 0)
        return out, total // 2, total - total // 2
    before, after = padding
    return (size + before + after - keff) // s + 1, before, after


def naive_conv2d(x, w, strides, padding, dilations=(1, 1)):
    n, h, wd, c = x.shape
    kh, kw, fc, o = w.shape
    sh, sw = strides
    dh, dw = dilations
    if isinstance(padding, list):
        ph_, pw_ = padding[1], padding[2]
    else:
        ph_ = pw_ = padding
    oh, t, b = _pads(h, kh, sh, dh, ph_)
    ow, le, r = _pads(wd, kw, sw, dw, pw_)
    xp = np.pad(x, [(0, 0), (t, b), (le, r), (0, 0)])
    groups = c // fc
    og = o // groups
    out = np.zeros((n, oh, ow, o), x.dtype)
    for i in range(oh):
        for j in range(ow):
            for g in range(groups):
                for a in range(kh):
                    for bb in range(kw):
                        patch = xp[:, i * sh + a * dh, j * sw + bb * dw, g * fc : (g + 1) * fc]
                        out[:, i, j, g * og : (g + 1) * og] += (
                            patch @ w[a, bb, :, g * og : (g + 1) * og]
                        )
    return out


def naive_depthwise(x, w, strides, padding, dilations=(1, 1)):
    n, h, wd, c = x.shape
    kh, kw, _, m = w.shape
    outs = []
    for ch in range(c):
        outs.append(
            naive_conv2d(x[..., ch : ch + 1], w[:, :, ch : ch + 1, :], strides, padding, dilations)
        )
    return np.concatenate(outs, axis=-1)


def naive_pool(x, k, s, padding, kind):
    n, h, wd, c = x.shape
    oh, t, _ = _pads(h, k[0], s[0], 1, padding)
    ow, le, _ = _pads(wd, k[1], s[1], 1, padding)
    out = np.zeros((n, oh, ow, c), x.dtype)
    for i in range(oh):
        for j in range(ow):
            y0, x0 = i * s[0] - t, j * s[1] - le
            win = x[:, max(y0, 0) : y0 + k[0], max(x0, 0) : x0 + k[1], :]
            out[:, i, j] = win.max(axis=(1, 2)) if kind == "max" else win.mean(axis=(1, 2))
    return out


# ---------------------------------------------------------------------------- conv2d

CONV_CASES = [
    # xshape, wshape, strides, padding, dilations
    ((2, 5, 5, 3), (3, 3, 3, 4), (1, 1), "VALID", (1, 1)),
    ((2, 6, 7, 3), (3, 3, 3, 2), (2, 2), "SAME", (1, 1)),
    ((1, 7, 7, 2), (3, 2, 2, 3), (1, 2), "SAME", (1, 1)),
    ((1, 7, 6, 2), (2, 3, 2, 3), (3, 2), "VALID", (1, 1)),
    ((1, 8, 8, 2), (3, 3, 2, 2), (1, 1), "SAME", (2, 2)),
    ((1, 5, 6, 2), (2, 2, 2, 3), (1, 1), [[0, 0], [1, 2], [0, 1], [0, 0]], (1, 1)),
    ((1, 5, 5, 3), (1, 1, 3, 4), (1, 1), "VALID", (1, 1)),
    ((1, 5, 5, 4), (3, 3, 2, 4), (1, 1), "SAME", (1, 1)),  # two groups
    ((2, 7, 7, 1), (3, 3, 1, 4), (2, 2), "SAME", (1, 1)),  # one input channel
    ((1, 9, 8, 1), (3, 2, 1, 2), (1, 1), "VALID", (2, 2)),
    ((1, 2, 2, 2), (3, 3, 2, 2), (1, 1), "VALID", (1, 1)),  # empty output
    ((2, 6, 6, 3), (3, 3, 1, 6), (1, 1), "SAME", (1, 1)),  # 3 groups of one channel
]
CONV_IDS = [
    "valid",
    "same-s2",
    "same-rect",
    "valid-s32",
    "dilated",
    "explicit",
    "1x1",
    "groups",
    "c1-s2",
    "c1-dilated",
    "empty",
    "c1-groups",
]


@pytest.mark.parametrize("xs,ws,strides,padding,dil", CONV_CASES, ids=CONV_IDS)
def test_conv2d_matches_naive_loops(kernels, xs, ws, strides, padding, dil):
    rng = _rng()
    x = rng.standard_normal(xs).astype(np.float32)
    w = rng.standard_normal(ws).astype(np.float32)
    got = nd.nn.conv2d(x, w, strides, padding, dilations=dil)
    assert got.dtype == nd.float32
    np.testing.assert_allclose(
        got.numpy(), naive_conv2d(x, w, strides, padding, dil), rtol=1e-5, atol=1e-5
    )


@pytest.mark.parametrize("xs,ws,strides,padding,dil", CONV_CASES, ids=CONV_IDS)
def test_conv2d_gradients_match_finite_differences(kernels, xs, ws, strides, padding, dil):
    rng = _rng(1)
    x = rng.standard_normal(xs)
    w = rng.standard_normal(ws)
    check_grads(lambda a, b: nd.nn.conv2d(a, b, strides, padding, dilations=dil), [x, w])


def test_conv2d_second_derivatives_match_finite_differences(kernels):
    rng = _rng(2)
    x = rng.standard_normal((1, 5, 5, 2))
    w = rng.standard_normal((3, 3, 2, 2))

    def grads(a, b):
        with nd.GradientTape() as t:
            t.watch([a, b])
            y = nd.nn.conv2d(a, b, 2, "SAME")
            loss = nd.reduce_sum(nd.square(y))
        return t.gradient(loss, [a, b])

    check_grads(grads, [x, w])


def test_conv2d_skips_the_input_gradient_nobody_needs(monkeypatch):
    calls = []
    opdef = op_registry.get_op("Conv2DBackpropInput")
    original = opdef.kernel
    monkeypatch.setattr(opdef, "kernel", lambda *a, **k: calls.append(1) or original(*a, **k))
    x = nd.constant(np.ones((1, 4, 4, 1), np.float32))
    w = nd.constant(np.ones((3, 3, 1, 2), np.float32))
    with nd.GradientTape() as t:
        t.watch(w)
        y = nd.nn.conv2d(x, w, 1, "SAME")
    assert t.gradient(y, w).shape == (3, 3, 1, 2)
    assert calls == []


def test_conv2d_channel_mismatch_names_both_shapes():
    x = _ones((1, 5, 5, 3))
    w = _ones((3, 3, 2, 4))
    with pytest.raises(nd.errors.InvalidArgumentError) as e:
        nd.nn.conv2d(x, w, 1, "VALID")
    msg = str(e.value)
    assert "input depth must be evenly divisible by filter depth: 3 vs 2" in msg
    assert "[1,5,5,3]" in msg and "[3,3,2,4]" in msg and "Conv2D" in msg


def test_conv2d_rejects_non_nhwc_and_bad_rank():
    with pytest.raises(nd.errors.UnimplementedError):
        nd.nn.conv2d(_ones((1, 3, 5, 5)), _ones((3, 3, 3, 1)), 1, "VALID", data_format="NCHW")
    with pytest.raises(ValueError, match="4-dimensional"):
        nd.nn.conv2d(_ones((5, 5, 3)), _ones((3, 3, 3, 1)), 1, "VALID")
    with pytest.raises(nd.errors.InvalidArgumentError, match="double"):
        nd.nn.conv2d(_ones((1, 5, 5, 3)), nd.constant(np.ones((3, 3, 3, 1))), 1, "VALID")


def test_conv1d_and_transpose_match_conv2d():
    rng = _rng(3)
    x = rng.standard_normal((2, 9, 3)).astype(np.float32)
    w = rng.standard_normal((3, 3, 4)).astype(np.float32)
    got = nd.nn.conv1d(x, w, 2, "SAME").numpy()
    ref = naive_conv2d(x[:, None], w[None], (1, 2), "SAME")[:, 0]
    np.testing.assert_allclose(got, ref, rtol=1e-5, atol=1e-5)
    # conv2d_transpose is the adjoint of conv2d: <conv(x), y> == <x, conv_T(y)>.
    x4 = rng.standard_normal((1, 6, 6, 2)).astype(np.float64)
    w4 = rng.standard_normal((3, 3, 2, 3)).astype(np.float64)
    y = rng.standard_normal((1, 3, 3, 3))
    lhs = np.sum(nd.nn.conv2d(x4, w4, 2, "SAME").numpy() * y)
    rhs = np.sum(x4 * nd.nn.conv2d_transpose(y, w4, [1, 6, 6, 2], 2, "SAME").numpy())
    np.testing.assert_allclose(lhs, rhs, rtol=1e-10)


def test_conv2d_transpose_gradients(kernels):
    rng = _rng(4)
    y = rng.standard_normal((1, 3, 3, 3))
    w = rng.standard_normal((3, 3, 2, 3))
    check_grads(lambda a, b: nd.nn.conv2d_transpose(a, b, [1, 6, 6, 2], 2, "SAME"), [y, w])
    check_grads(
        lambda a, b: nd.nn.conv2d_transpose(a, b, [1, 5, 5, 2], 1, "VALID"),
        [rng.standard_normal((1, 3, 3, 3)), w],
    )


def test_conv_backprop_ops_have_second_derivatives(kernels):
    rng = _rng(5)
    x = rng.standard_normal((1, 5, 5, 2))
    w = rng.standard_normal((3, 3, 2, 2))

    def grad_w(a, b):
        with nd.GradientTape() as t:
            t.watch(b)
            loss = nd.reduce_sum(nd.square(nd.nn.conv2d(a, b, 1, "VALID")))
        return t.gradient(loss, b)

    check_grads(grad_w, [x, w])


# ---------------------------------------------------------------------------- depthwise

DW_CASES = [
    ((1, 5, 5, 2), (3, 3, 2, 2), (1, 1), "SAME", (1, 1)),
    ((2, 6, 5, 3), (2, 3, 3, 1), (2, 2), "VALID", (1, 1)),
    ((1, 7, 7, 2), (3, 3, 2, 1), (1, 1), "SAME", (2, 2)),
]


@pytest.mark.parametrize("xs,ws,strides,padding,dil", DW_CASES)
def test_depthwise_conv2d_matches_naive_and_finite_differences(
    kernels, xs, ws, strides, padding, dil
):
    rng = _rng(6)
    x = rng.standard_normal(xs)
    w = rng.standard_normal(ws)
    got = nd.nn.depthwise_conv2d(x, w, [1, *strides, 1], padding, dilations=dil).numpy()
    np.testing.assert_allclose(
        got, naive_depthwise(x, w, strides, padding, dil), rtol=1e-10, atol=1e-10
    )
    check_grads(
        lambda a, b: nd.nn.depthwise_conv2d(a, b, [1, *strides, 1], padding, dilations=dil), [x, w]
    )


def test_depthwise_channel_mismatch_names_both_shapes():
    with pytest.raises(
        nd.errors.InvalidArgumentError, match=r"same depth: 3 vs 2.*\[1,5,5,3\].*\[3,3,2,2\]"
    ):
        nd.nn.depthwise_conv2d(_ones((1, 5, 5, 3)), _ones((3, 3, 2, 2)), [1, 1, 1, 1], "VALID")


def test_separable_conv2d_is_depthwise_then_pointwise():
    rng = _rng(7)
    x = rng.standard_normal((1, 5, 5, 2))
    dw = rng.standard_normal((3, 3, 2, 2))
    pw = rng.standard_normal((1, 1, 4, 3))
    got = nd.nn.separable_conv2d(x, dw, pw, [1, 1, 1, 1], "SAME").numpy()
    ref = naive_conv2d(naive_depthwise(x, dw, (1, 1), "SAME"), pw, (1, 1), "VALID")
    np.testing.assert_allclose(got, ref, rtol=1e-10)


# ---------------------------------------------------------------------------- pooling

POOL_CASES = [
    # xshape, ksize, strides, padding
    ((2, 6, 6, 3), (2, 2), (2, 2), "VALID"),
    ((1, 5, 7, 2), (3, 3), (2, 2), "SAME"),
    ((1, 5, 5, 2), (3, 2), (1, 1), "SAME"),
    ((2, 7, 5, 2), (3, 3), (2, 1), "VALID"),
    ((1, 11, 11, 2), (2, 2), (2, 2), "VALID"),  # odd size: the last row is dropped
    ((1, 2, 2, 1), (3, 3), (1, 1), "VALID"),  # window larger than the input: empty
    # Odd size, SAME: the padding is all at the bottom/right, the last windows overhang
    # (the numba gradient once wrote past the array here).
    ((2, 7, 7, 3), (2, 2), (2, 2), "SAME"),
]


@pytest.mark.parametrize("kind", ["max", "avg"])
@pytest.mark.parametrize("xs,k,s,padding", POOL_CASES)
def test_pool2d_matches_naive_and_finite_differences(kernels, kind, xs, k, s, padding):
    rng = _rng(8)
    x = rng.standard_normal(xs)
    fn = nd.nn.max_pool2d if kind == "max" else nd.nn.avg_pool2d
    got = fn(x.astype(np.float32), k, s, padding)
    assert got.dtype == nd.float32
    np.testing.assert_allclose(
        got.numpy(), naive_pool(x, k, s, padding, kind), rtol=1e-6, atol=1e-6
    )
    check_grads(lambda a: fn(a, k, s, padding), [x])


@pytest.mark.parametrize("kind", ["max", "avg"])
def test_pool_gradients_have_second_derivatives(kernels, kind):
    rng = _rng(9)
    x = rng.standard_normal((1, 5, 5, 2))
    fn = nd.nn.max_pool2d if kind == "max" else nd.nn.avg_pool2d

    def grad_x(a):
        with nd.GradientTape() as t:
            t.watch(a)
            loss = nd.reduce_sum(nd.square(fn(a, 3, 2, "SAME")))
        return t.gradient(loss, a)

    check_grads(grad_x, [x])


def test_max_pool_gradient_goes_to_the_first_maximum(kernels):
    x = np.zeros((1, 2, 2, 1), np.float32)
    with nd.GradientTape() as t:
        xt = nd.constant(x)
        t.watch(xt)
        y = nd.nn.max_pool2d(xt, 2, 2, "VALID")
    g = t.gradient(y, xt).numpy()[0, :, :, 0]
    np.testing.assert_array_equal(g, [[1, 0], [0, 0]])


def test_max_pool_of_ints_and_1d_and_generic():
    x = np.arange(12, dtype=np.int32).reshape(1, 6, 2)
    y = nd.nn.max_pool1d(x, 2, 2, "VALID")
    assert y.dtype == nd.int32
    np.testing.assert_array_equal(y.numpy(), [[[2, 3], [6, 7], [10, 11]]])
    a = nd.nn.avg_pool(x.astype(np.float32), 3, 1, "SAME").numpy()
    np.testing.assert_allclose(a[0, 0], [1, 2])
    assert nd.nn.max_pool(np.ones((1, 4, 4, 1), np.float32), 2, 2, "SAME").shape == (1, 2, 2, 1)
    with pytest.raises(ValueError, match="rank"):
        nd.nn.max_pool(np.ones((1, 4), np.float32), 2, 2, "SAME")


# ---------------------------------------------------------------------------- parity


@pytest.mark.parity
@pytest.mark.parametrize("xs,ws,strides,padding,dil", CONV_CASES, ids=CONV_IDS)
def test_conv2d_parity(real_tf, xs, ws, strides, padding, dil):
    if dil != (1, 1) and strides != (1, 1):
        pytest.skip("TF does not support dilations with strides")
    if xs[1] < ws[0]:
        pytest.skip("TF returns uninitialized memory when the filter exceeds the input")
    rng = _rng(10)
    x = rng.standard_normal(xs).astype(np.float32)
    w = rng.standard_normal(ws).astype(np.float32)
    # TF's CPU kernels have no gradients for dilated or grouped convolutions.
    grad = dil == (1, 1) and xs[3] == ws[2]
    kwargs = {"strides": list(strides), "padding": padding, "dilations": list(dil)}
    compare_op(nd, real_tf, "nn.conv2d", [x, w], kwargs, grad=grad, rtol=1e-4, atol=1e-4)


@pytest.mark.parity
@pytest.mark.parametrize("padding,out", [("SAME", [2, 6, 6, 2]), ("VALID", [2, 7, 7, 2])])
def test_conv2d_transpose_and_conv1d_parity(real_tf, padding, out):
    rng = _rng(11)
    y = rng.standard_normal((2, 3, 3, 3)).astype(np.float32)
    w = rng.standard_normal((3, 3, 2, 3)).astype(np.float32)
    compare_op(nd, real_tf, "nn.conv2d_transpose", [y, w, out, 2, padding], rtol=1e-4, atol=1e-4)
    x = rng.standard_normal((2, 9, 3)).astype(np.float32)
    f = rng.standard_normal((3, 3, 4)).astype(np.float32)
    compare_op(nd, real_tf, "nn.conv1d", [x, f, 2, padding], rtol=1e-4, atol=1e-4)


@pytest.mark.parity
@pytest.mark.parametrize("xs,ws,strides,padding,dil", DW_CASES)
def test_depthwise_conv2d_parity(real_tf, xs, ws, strides, padding, dil):
    rng = _rng(12)
    x = rng.standard_normal(xs).astype(np.float32)
    w = rng.standard_normal(ws).astype(np.float32)
    args = [x, w, [1, *strides, 1], padding]
    kwargs = {"dilations": list(dil)}
    compare_op(
        nd, real_tf, "nn.depthwise_conv2d", args, kwargs, grad=dil == (1, 1), rtol=1e-4, atol=1e-4
    )


@pytest.mark.parity
@pytest.mark.parametrize("fn", ["nn.max_pool2d", "nn.avg_pool2d"])
@pytest.mark.parametrize("xs,k,s,padding", POOL_CASES)
def test_pool2d_parity(real_tf, kernels, fn, xs, k, s, padding):
    if xs[1] < k[0]:
        pytest.skip("TF returns uninitialized memory when the window exceeds the input")
    x = _rng(13).standard_normal(xs).astype(np.float32)
    compare_op(nd, real_tf, fn, [x, list(k), list(s), padding])


@pytest.mark.parity
@pytest.mark.parametrize("fn", ["nn.max_pool1d", "nn.avg_pool1d", "nn.max_pool", "nn.avg_pool"])
def test_pool1d_and_generic_parity(real_tf, fn):
    x = _rng(14).standard_normal((2, 9, 3)).astype(np.float32)
    compare_op(nd, real_tf, fn, [x, 3, 2, "SAME"])


def test_filter_gradient_never_uses_another_inputs_cached_columns(kernels):
    rng = _rng(15)
    x1, x2 = rng.standard_normal((2, 1, 5, 5, 2))
    w = nd.constant(rng.standard_normal((3, 3, 2, 2)))
    with nd.GradientTape(persistent=True) as t:
        t.watch(w)
        y1 = nd.nn.conv2d(x1, w, 1, "SAME")
        y2 = nd.nn.conv2d(x2, w, 1, "SAME")  # same geometry: replaces the cached columns
    g1 = t.gradient(y1, w).numpy()
    g2 = t.gradient(y2, w).numpy()
    for x, g in ((x1, g1), (x2, g2)):
        ref = np.stack(
            [
                naive_conv2d(
                    x[..., c : c + 1].transpose(3, 1, 2, 0),
                    np.ones((5, 5, 1, 1)),
                    (1, 1),
                    [[0, 0], [1, 1], [1, 1], [0, 0]],
                )[0]
                for c in range(2)
            ],
            axis=2,
        )
        np.testing.assert_allclose(g, np.repeat(ref, 2, axis=3), rtol=1e-10)


@pytest.mark.parity
def test_atrous_conv2d_parity(real_tf):
    rng = _rng(16)
    x = rng.standard_normal((1, 9, 9, 2)).astype(np.float32)
    w = rng.standard_normal((3, 3, 2, 3)).astype(np.float32)
    compare_op(nd, real_tf, "nn.atrous_conv2d", [x, w, 2, "SAME"], grad=False, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("dtype", ["float16", "bfloat16"])
def test_half_precision_keeps_its_dtype(kernels, dtype):
    rng = _rng(17)
    x = nd.cast(nd.constant(rng.standard_normal((2, 6, 6, 3)).astype(np.float32)), dtype)
    w = nd.cast(nd.constant(rng.standard_normal((3, 3, 3, 4)).astype(np.float32)), dtype)
    dw = nd.cast(nd.constant(rng.standard_normal((3, 3, 3, 1)).astype(np.float32)), dtype)
    with nd.GradientTape() as t:
        t.watch([x, w, dw])
        y = nd.nn.max_pool2d(nd.nn.relu(nd.nn.conv2d(x, w, 1, "SAME")), 2, 2, "VALID")
        z = nd.nn.avg_pool2d(nd.nn.depthwise_conv2d(x, dw, [1, 1, 1, 1], "SAME"), 2, 2, "SAME")
        loss = nd.add(nd.reduce_sum(y), nd.reduce_sum(z))
    grads = t.gradient(loss, [x, w, dw])
    assert y.dtype.name == z.dtype.name == dtype
    assert [g.dtype.name for g in grads] == [dtype] * 3
    ref = naive_conv2d(x.numpy().astype(np.float32), w.numpy().astype(np.float32), (1, 1), "SAME")
    got = nd.nn.conv2d(x, w, 1, "SAME").numpy().astype(np.float32)
    np.testing.assert_allclose(got, ref, rtol=3e-2, atol=5e-2)


@pytest.mark.parametrize("dtype", ["float16", "bfloat16", "float64"])
def test_single_channel_conv_and_filter_gradient_in_other_dtypes(kernels, dtype):
    # One input channel takes the transposed im2col (an F-ordered column matrix).
    rng = _rng(18)
    x32 = rng.standard_normal((2, 7, 6, 1)).astype(np.float32)
    w32 = rng.standard_normal((3, 3, 1, 2)).astype(np.float32)
    x, w = nd.cast(nd.constant(x32), dtype), nd.cast(nd.constant(w32), dtype)
    with nd.GradientTape() as t:
        t.watch(w)
        y = nd.nn.conv2d(x, w, 1, "VALID")
        loss = nd.reduce_sum(nd.square(y))
    dw = t.gradient(loss, w)
    assert y.dtype.name == dw.dtype.name == dtype
    xr, wr = x.numpy().astype(np.float64), w.numpy().astype(np.float64)
    ref = naive_conv2d(xr, wr, (1, 1), "VALID")
    tol = 1e-12 if dtype == "float64" else 5e-2
    np.testing.assert_allclose(y.numpy().astype(np.float64), ref, rtol=tol, atol=tol)
    # d(sum y^2)/dw[a, b, 0, o] = sum 2 * y[o] * x shifted by (a, b)
    want = np.zeros((3, 3, 1, 2))
    for a in range(3):
        for b in range(3):
            patch = xr[:, a : a + 5, b : b + 4, 0]
            want[a, b, 0] = np.einsum("nhw,nhwo->o", patch, 2 * ref)
    tol = 1e-10 if dtype == "float64" else 1e-1
    np.testing.assert_allclose(dw.numpy().astype(np.float64), want, rtol=tol, atol=tol * 10)


@pytest.mark.parity
@pytest.mark.parametrize("padding", ["SAME", "VALID"])
def test_transposed_and_depthwise_backprop_wrappers_parity(real_tf, padding):
    rng = _rng(19)
    y = rng.standard_normal((2, 4, 3)).astype(np.float32)
    f = rng.standard_normal((3, 2, 3)).astype(np.float32)
    out = [2, 8, 2] if padding == "SAME" else [2, 9, 2]
    compare_op(nd, real_tf, "nn.conv1d_transpose", [y, f, out, 2, padding], rtol=1e-4, atol=1e-4)
    compare_op(nd, real_tf, "nn.conv_transpose", [y, f, out, 2, padding], rtol=1e-4, atol=1e-4)
    x = rng.standard_normal((1, 6, 6, 2)).astype(np.float32)
    w = rng.standard_normal((3, 3, 2, 2)).astype(np.float32)
    dy = nd.nn.depthwise_conv2d(x, w, [1, 2, 2, 1], padding).numpy()
    dy = rng.standard_normal(dy.shape).astype(np.float32)
    args = [[1, 6, 6, 2], w, dy, [1, 2, 2, 1], padding]
    compare_op(
        nd, real_tf, "nn.depthwise_conv2d_backprop_input", args, grad=False, rtol=1e-4, atol=1e-4
    )
    args = [x, [3, 3, 2, 2], dy, [1, 2, 2, 1], padding]
    compare_op(
        nd, real_tf, "nn.depthwise_conv2d_backprop_filter", args, grad=False, rtol=1e-4, atol=1e-4
    )


def test_shape_rules_agree_with_kernels(monkeypatch):
    """Every nn/conv op's shape rule (used to build graphs) predicts its kernel's output."""
    from ndflow._src.framework import execute as execute_mod
    from ndflow._src.framework.op_registry import get_op
    from ndflow._src.ops import conv_ops, nn_loss_ops, nn_ops, pooling_ops

    real = execute_mod.execute
    seen = set()

    def checking(op_type, inputs, attrs=execute_mod._EMPTY):
        out = real(op_type, inputs, attrs)
        rule = get_op(op_type).shape
        if rule is not None:
            outs = out if isinstance(out, tuple) else (out,)
            for (dims, dtype), o in zip(rule(list(inputs), attrs), outs):
                assert dtype is o.dtype, (op_type, dtype, o.dtype)
                assert dims is None or (
                    len(dims) == o.ndim and all(d is None or d == s for d, s in zip(dims, o.shape))
                ), (op_type, dims, o.shape)
            seen.add(op_type)
        return out

    monkeypatch.setattr(nn_ops, "execute", checking)
    monkeypatch.setattr(conv_ops, "execute", checking)
    monkeypatch.setattr(pooling_ops, "execute", checking)
    monkeypatch.setattr(nn_loss_ops, "execute", checking)
    rng = _rng(20)
    x = nd.constant(rng.standard_normal((2, 7, 7, 3)))
    w = nd.constant(rng.standard_normal((3, 3, 3, 4)))
    dw = nd.constant(rng.standard_normal((3, 3, 3, 2)))
    b = nd.constant(rng.standard_normal(4))
    with nd.GradientTape(persistent=True) as outer:
        outer.watch([x, w, dw, b])
        with nd.GradientTape(persistent=True) as t:
            t.watch([x, w, dw, b])
            h = nd.nn.relu(nd.nn.bias_add(nd.nn.conv2d(x, w, 2, "SAME"), b))
            h = nd.nn.max_pool2d(h, 2, 1, "SAME")
            a = nd.nn.avg_pool2d(nd.nn.depthwise_conv2d(x, dw, [1, 1, 1, 1], "VALID"), 3, 2, "SAME")
            logits = nd.reshape(h, (2, -1))
            loss = nd.add(
                nd.reduce_sum(nd.nn.sparse_softmax_cross_entropy_with_logits([1, 2], logits)),
                nd.reduce_sum(
                    nd.nn.softmax_cross_entropy_with_logits(nd.nn.softmax(logits), logits)
                ),
            )
            for fn in (
                nd.nn.elu,
                nd.nn.selu,
                nd.nn.gelu,
                nd.nn.softplus,
                nd.nn.relu6,
                nd.nn.log_softmax,
            ):
                loss = nd.add(loss, nd.reduce_sum(fn(a)))
            loss = nd.add(loss, nd.nn.l2_loss(nd.nn.dropout(a, 0.5, seed=1)))
            loss = nd.add(loss, nd.reduce_sum(nd.nn.sigmoid_cross_entropy_with_logits(a, a)))
        grads = t.gradient(loss, [x, w, dw, b])
        total = nd.reduce_sum(
            nd.add(nd.reduce_sum(nd.square(grads[0])), nd.reduce_sum(nd.square(grads[1])))
        )
    assert all(g is not None for g in outer.gradient(total, [x, w]))
    nd.nn.in_top_k([1, 0], nd.constant(rng.standard_normal((2, 3)).astype(np.float32)), 2)
    assert {
        "Conv2D",
        "Conv2DBackpropInput",
        "Conv2DBackpropFilter",
        "DepthwiseConv2dNative",
        "MaxPool",
        "MaxPoolGrad",
        "MaxPoolGradGrad",
        "AvgPool",
        "AvgPoolGrad",
        "BiasAdd",
        "BiasAddGrad",
        "Relu",
        "ReluGrad",
        "SparseSoftmaxCrossEntropyWithLogits",
        "SoftmaxCrossEntropyWithLogits",
        "Softmax",
        "SoftmaxGrad",
        "InTopKV2",
        "DropoutMask",
        "L2Loss",
        "GeluGrad",
        "SigmoidCrossEntropyWithLogits",
    } <= seen, seen


@pytest.mark.parametrize("xs,k,s,padding", POOL_CASES)
def test_max_pool_grad_with_and_without_the_recorded_argmax(kernels, xs, k, s, padding):
    from ndflow._src.framework.execute import execute

    x = nd.constant(_rng(21).standard_normal(xs).astype(np.float32))
    y = nd.nn.max_pool2d(x, k, s, padding)
    g = nd.constant(_rng(22).standard_normal(y.shape.as_list()).astype(np.float32))
    attrs = {"ksize": k, "strides": s, "padding": padding}
    recorded = execute("MaxPoolGrad", (x, y, g), attrs).numpy()
    fresh = execute(
        "MaxPoolGrad", (nd.identity(x), nd.constant(y.numpy().copy()), g), attrs
    ).numpy()
    np.testing.assert_array_equal(recorded, fresh)
    assert fresh.shape == xs


@pytest.mark.parity
@pytest.mark.parametrize("kind", ["MAX", "AVG"])
@pytest.mark.parametrize(
    "xs,window,strides,padding",
    [
        ((2, 9, 3), [3], [1], "VALID"),
        ((1, 6, 7, 2), [2, 3], [2, 1], "SAME"),
        ((1, 6, 7, 2), [3, 1], None, "VALID"),
    ],
)
def test_pool_generic_parity(real_tf, kind, xs, window, strides, padding):
    x = _rng(23).standard_normal(xs).astype(np.float32)
    compare_op(nd, real_tf, "nn.pool", [x, window, kind], {"strides": strides, "padding": padding})


@pytest.mark.parametrize(
    "xshape, k, strides, padding, dil",
    [
        ((2, 13, 13, 32), (3, 3), (1, 1), "VALID", (1, 1)),
        ((2, 9, 8, 5), (3, 2), (2, 1), "SAME", (1, 1)),
        ((1, 11, 10, 3), (3, 3), (1, 1), "SAME", (2, 2)),
        ((1, 7, 7, 4), (2, 2), (3, 3), "VALID", (1, 1)),
    ],
)
def test_col2im_numba_matches_the_numpy_twin_bit_for_bit(
    monkeypatch, xshape, k, strides, padding, dil
):
    from ndflow._src.ops import conv_ops

    if conv_ops.numba_kernels(np.float32) is None:
        pytest.skip("numba is not installed")
    attrs = conv_ops._A(strides, padding, (), dil)
    oh, ow, _, _ = conv_ops._geometry(xshape, k[0], k[1], attrs)
    dcols = _rng(4).standard_normal((xshape[0] * oh * ow, k[0] * k[1] * xshape[3]))
    dcols = dcols.astype(np.float32)
    fast = conv_ops._col2im(dcols, xshape, k[0], k[1], attrs)
    monkeypatch.setenv("NDFLOW_DISABLE_NUMBA", "1")
    monkeypatch.setitem(nn_ops._numba_state, "disabled", True)
    slow = conv_ops._col2im(dcols, xshape, k[0], k[1], attrs)
    assert fast.shape == slow.shape == xshape
    np.testing.assert_array_equal(fast, slow)


@pytest.mark.parametrize("xshape", [(2, 26, 26, 32), (1, 7, 6, 3), (1, 2, 2, 1)])
def test_max_pool_2x2_kernel_matches_the_general_one(xshape):
    from ndflow._src.ops import conv_ops

    nb = conv_ops.numba_kernels(np.float32)
    if nb is None:
        pytest.skip("numba is not installed")
    x = np.maximum(_rng(5).standard_normal(xshape).astype(np.float32), 0)  # ties at 0
    x.flat[::11] = np.nan
    oh, ow = xshape[1] // 2, xshape[2] // 2
    fast = nb.max_pool_2x2_argmax(x, oh, ow)
    general = nb.max_pool_argmax(x, oh, ow, 2, 2, 2, 2, 0, 0)
    for a, b in zip(fast, general):
        np.testing.assert_array_equal(a, b)
