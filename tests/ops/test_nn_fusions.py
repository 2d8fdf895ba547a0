"""The in-place and fused kernels nn_ops offers the graph executor (INPLACE_KERNELS,
FUSED_KERNELS): each gives exactly what the op's own kernel gives, on the numba path and
on the NumPy one, and the in-place ones write into their first argument when they can."""

from __future__ import annotations

import numpy as np
import pytest

from ndflow._src.ops import nn_ops

# Small (NumPy path either way), large NHWC (numba path), a dense layer's activations,
# and a prime row count (the in-place bias kernels cannot regroup its rows).
SHAPES = [(3, 5), (2, 9, 9, 32), (64, 128), (1, 131, 32)]


def _data(shape, dtype=np.float32, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(shape).astype(dtype)
    x.flat[::7] = 0.0  # exact zeros: relu(0) and relu'(0)
    x.flat[3] = np.nan  # NaN stays NaN, as in TensorFlow
    b = rng.standard_normal(shape[-1]).astype(dtype)
    return x, b


def _same(a, b):
    assert a.dtype == b.dtype and a.shape == b.shape
    np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_inplace_kernels_match_the_ops_kernels(kernels, shape, dtype):
    x, b = _data(shape, dtype)
    g, _ = _data(shape, dtype, seed=1)
    cases = {
        "BiasAdd": (nn_ops._bias_add_kernel, (x, b), {"data_format": "NHWC"}),
        "Relu": (nn_ops._relu_kernel, (x,), {}),
        "ReluGrad": (nn_ops._relu_grad_kernel, (g, x), {}),
        "BiasAdd+Relu": (
            lambda x, b, data_format: nn_ops._relu_kernel(
                nn_ops._bias_add_kernel(x, b, data_format)
            ),
            (x, b),
            {"data_format": "NHWC"},
        ),
    }
    assert set(cases) == set(nn_ops.INPLACE_KERNELS)
    for name, (reference, args, attrs) in cases.items():
        expected = reference(*args, **attrs)
        first = args[0].copy()
        got = nn_ops.INPLACE_KERNELS[name](first, *args[1:], **attrs)
        _same(got, expected)
        assert got is first, name  # written in place
    fused_name, fused = nn_ops.FUSED_KERNELS[("BiasAdd", "Relu")]
    assert fused_name == "BiasAdd+Relu"
    _same(fused(x, b, data_format="NHWC"), cases["BiasAdd+Relu"][0](x, b, data_format="NHWC"))


def test_numba_and_numpy_paths_agree(monkeypatch):
    if nn_ops.numba_kernels(np.float32) is None:
        pytest.skip("numba is not installed")
    x, b = _data((2, 9, 9, 32))
    g, _ = _data((2, 9, 9, 32), seed=1)

    def run():
        return [
            nn_ops._bias_add_kernel(x, b, "NHWC"),
            nn_ops.FUSED_KERNELS[("BiasAdd", "Relu")][1](x, b, data_format="NHWC"),
            nn_ops._relu_kernel(x),
            nn_ops._relu_grad_kernel(g, x),
        ]

    fast = run()
    monkeypatch.setenv("NDFLOW_DISABLE_NUMBA", "1")
    monkeypatch.setitem(nn_ops._numba_state, "disabled", True)
    for a, b_ in zip(fast, run()):
        _same(a, b_)


def test_inplace_kernels_fall_back_when_they_cannot_write_in_place(kernels):
    x, b = _data((2, 9, 9, 32))
    # A non-contiguous first argument: a correct new array.
    xt = np.asfortranarray(x)
    _same(nn_ops._relu_inplace(xt), nn_ops._relu_kernel(x))
    _same(nn_ops._bias_add_inplace(xt, b, "NHWC"), x + b)
    # Channels-first BiasAdd and an integer Relu take the NumPy path.
    xc = x.transpose(0, 3, 1, 2).copy()
    _same(nn_ops._bias_add_inplace(xc.copy(), b, "NCHW"), nn_ops._bias_add_kernel(xc, b, "NCHW"))
    xi = np.arange(-6, 6, dtype=np.int32).reshape(3, 4)
    _same(nn_ops._relu_inplace(xi.copy()), np.maximum(xi, 0))
    # ReluGrad with operands of different shapes broadcasts into a new array, as the
    # op's kernel does.
    g, y = np.ones((2, 3), np.float32), np.array([1.0, -1.0, 2.0], np.float32)
    got = nn_ops._relu_grad_inplace(g, y)
    _same(got, nn_ops._relu_grad_kernel(g, y))


@pytest.mark.parametrize(
    "xshape, k, s, padding",
    [
        ((2, 26, 26, 32), (2, 2), (2, 2), "VALID"),  # the CNN's pooling (numba, argmax path)
        ((2, 11, 11, 8), (2, 2), (2, 2), "VALID"),  # a last row and column no window covers
        ((2, 7, 7, 3), (2, 2), (2, 2), "SAME"),
        ((1, 9, 9, 4), (2, 2), (3, 3), "VALID"),  # gaps between windows
        ((1, 9, 9, 4), (3, 3), (2, 2), "SAME"),  # overlapping: runs unfused
    ],
)
def test_max_pool_grad_relu_fusion_matches_the_two_ops(kernels, xshape, k, s, padding):
    from ndflow._src.ops import pooling_ops

    rng = np.random.default_rng(3)
    h = np.maximum(rng.standard_normal(xshape).astype(np.float32), 0)  # a ReLU's output
    h[0, :3, :3, 0] = 0.0  # a window of zeros: its maximum is 0, its mask 0
    attrs = {"ksize": k, "strides": s, "padding": padding}
    out = pooling_ops._max_pool_kernel(h, **attrs)
    g = rng.standard_normal(out.shape).astype(np.float32)
    g.flat[::13] = np.nan  # NaN gradients stay NaN where the mask is 1, as in the two ops
    name, fused, pattern = nn_ops.FUSED_KERNELS[("MaxPoolGrad", "ReluGrad")]
    assert pattern == ("out", 0)
    expected = nn_ops._relu_grad_kernel(pooling_ops._max_pool_grad_kernel(h, out, g, **attrs), h)
    _same(fused(h, out, g, **attrs), expected)


def test_numba_switch_is_read_once_and_the_fixture_flips_it(kernels, monkeypatch):
    # The `kernels` fixture must really select the NumPy twins (the switch is cached).
    assert (nn_ops.numba_kernels(np.float32) is None) == (kernels == "numpy")
    assert nn_ops.numba_kernels(np.int32) is None
    # A changed environment is seen only once the cached reading is cleared.
    monkeypatch.setenv("NDFLOW_DISABLE_NUMBA", "1")
    monkeypatch.setitem(nn_ops._numba_state, "disabled", None)
    assert nn_ops.numba_kernels(np.float32) is None


@pytest.mark.parametrize(
    "shape", [(4, 26, 26, 32), (2, 64, 64, 16), (3, 25, 25, 8), (2, 9, 9, 32), (70, 3, 3, 64)]
)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_bias_add_grad_sums_rows_for_every_layout_of_the_sum(shape, dtype):
    # Large few-channel gradients are summed as wider rows (then the partial sums): the
    # result must still be the column sums, in the gradient's dtype.
    g = np.random.default_rng(7).standard_normal(shape).astype(dtype)
    db = nn_ops._bias_add_grad_kernel(g, "NHWC")
    assert db.dtype == dtype and db.shape == (shape[-1],)
    np.testing.assert_allclose(db, g.astype(np.float64).sum((0, 1, 2)), rtol=1e-5, atol=1e-4)
