"""nn ops: activations, softmax, bias_add, losses, dropout, normalization.

Forward against NumPy, gradients (and second derivatives) against finite differences,
parity with TensorFlow; the numba-backed kernels run on both paths.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from harness.op_check import check_grads
from harness.tf_compare import compare_op

import ndflow as nd
from ndflow._src.core import context


def _rng(seed=0):
    return np.random.default_rng(seed)


def _sig(x):
    return 1 / (1 + np.exp(-x))


_erf = np.vectorize(math.erf)
SELU_A, SELU_S = 1.6732632423543772848170429916717, 1.0507009873554804934193349852946

# name, public fn (dotted), kwargs, NumPy reference
ACTIVATIONS = [
    ("relu", {}, lambda x: np.maximum(x, 0)),
    ("relu6", {}, lambda x: np.clip(x, 0, 6)),
    ("leaky_relu", {}, lambda x: np.where(x > 0, x, 0.2 * x)),
    ("leaky_relu", {"alpha": 0.05}, lambda x: np.where(x > 0, x, 0.05 * x)),
    ("elu", {}, lambda x: np.where(x > 0, x, np.expm1(x))),
    ("selu", {}, lambda x: SELU_S * np.where(x > 0, x, SELU_A * np.expm1(x))),
    ("gelu", {}, lambda x: 0.5 * x * (1 + _erf(x / np.sqrt(2)))),
    (
        "gelu",
        {"approximate": True},
        lambda x: 0.5 * x * (1 + np.tanh(np.sqrt(2 / np.pi) * (x + 0.044715 * x**3))),
    ),
    ("softplus", {}, lambda x: np.log1p(np.exp(x))),
    ("softsign", {}, lambda x: x / (1 + np.abs(x))),
    ("silu", {}, lambda x: x * _sig(x)),
    ("swish", {}, lambda x: x * _sig(x)),
]
ACT_IDS = [f"{n}-{'-'.join(map(str, k.values()))}" if k else n for n, k, _ in ACTIVATIONS]


def _act_input(seed=0, shape=(3, 7)):
    # Away from the kinks at 0 and 6, where finite differences are meaningless.
    x = _rng(seed).uniform(-4, 8, size=shape)
    x[np.abs(x) < 0.05] = 0.3
    x[np.abs(x - 6) < 0.05] = 5.5
    return x


@pytest.mark.parametrize("name,kwargs,ref", ACTIVATIONS, ids=ACT_IDS)
def test_activation_forward_matches_numpy(kernels, name, kwargs, ref):
    x = _act_input()
    for dtype, tol in ((np.float32, 1e-5), (np.float64, 1e-12)):
        got = getattr(nd.nn, name)(x.astype(dtype), **kwargs)
        assert got.dtype.as_numpy_dtype == dtype
        np.testing.assert_allclose(got.numpy(), ref(x), rtol=tol, atol=tol)


@pytest.mark.parametrize("name,kwargs,ref", ACTIVATIONS, ids=ACT_IDS)
def test_activation_gradients_and_second_derivatives(kernels, name, kwargs, ref):
    fn = getattr(nd.nn, name)
    x = _act_input(1)
    check_grads(lambda a: fn(a, **kwargs), [x])

    def grad(a):
        with nd.GradientTape() as t:
            t.watch(a)
            y = fn(a, **kwargs)
            loss = nd.reduce_sum(nd.square(y))
        return t.gradient(loss, a)

    check_grads(grad, [x])


@pytest.mark.parity
@pytest.mark.parametrize("name,kwargs,ref", ACTIVATIONS, ids=ACT_IDS)
def test_activation_parity(real_tf, kernels, name, kwargs, ref):
    x = _act_input(2, (4, 300)).astype(np.float32)
    compare_op(nd, real_tf, f"nn.{name}", [x], kwargs, rtol=1e-5, atol=1e-5)


def test_relu_gradient_is_zero_at_zero_and_nan_propagates():
    x = nd.constant(np.array([-1.0, 0.0, 2.0], np.float32))
    with nd.GradientTape() as t:
        t.watch(x)
        y = nd.nn.relu(x)
    np.testing.assert_array_equal(t.gradient(y, x).numpy(), [0, 0, 1])
    assert np.isnan(nd.nn.relu(nd.constant(np.array([np.nan], np.float32))).numpy()[0])


def test_leaky_relu_of_ints_is_float():
    y = nd.nn.leaky_relu(nd.constant([-5, 5]))
    assert y.dtype == nd.float32
    np.testing.assert_allclose(y.numpy(), [-1.0, 5.0])


# ---------------------------------------------------------------------------- softmax


def _np_softmax(x, axis):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


@pytest.mark.parametrize("fn", ["softmax", "log_softmax"])
@pytest.mark.parametrize("axis", [-1, 0, 1])
def test_softmax_forward_gradients_and_hessian(fn, axis):
    x = _rng(3).standard_normal((2, 3, 4))
    ref = _np_softmax(x, axis)
    if fn == "log_softmax":
        ref = np.log(ref)
    op = getattr(nd.nn, fn)
    np.testing.assert_allclose(op(x, axis=axis).numpy(), ref, rtol=1e-12)
    check_grads(lambda a: op(a, axis=axis), [x])

    def grad(a):
        with nd.GradientTape() as t:
            t.watch(a)
            loss = nd.reduce_sum(nd.square(op(a, axis=axis)))
        return t.gradient(loss, a)

    check_grads(grad, [x])


def test_softmax_is_stable_for_large_logits():
    y = nd.nn.softmax(nd.constant(np.array([1000.0, 1000.0], np.float32)))
    np.testing.assert_allclose(y.numpy(), [0.5, 0.5])


@pytest.mark.parity
@pytest.mark.parametrize("fn", ["nn.softmax", "nn.log_softmax"])
@pytest.mark.parametrize("axis", [-1, 1])
def test_softmax_parity(real_tf, fn, axis):
    x = _rng(4).standard_normal((3, 5, 4)).astype(np.float32)
    compare_op(nd, real_tf, fn, [x], {"axis": axis})


# ---------------------------------------------------------------------------- bias_add


def test_bias_add_forward_gradients_and_nchw():
    rng = _rng(5)
    x = rng.standard_normal((2, 3, 4, 5))
    b = rng.standard_normal(5)
    np.testing.assert_allclose(nd.nn.bias_add(x, b).numpy(), x + b)
    check_grads(lambda a, c: nd.nn.bias_add(a, c), [x, b])
    bc = rng.standard_normal(3)
    np.testing.assert_allclose(
        nd.nn.bias_add(x, bc, data_format="NCHW").numpy(), x + bc[:, None, None]
    )
    check_grads(lambda a, c: nd.nn.bias_add(a, c, data_format="NCHW"), [x, bc])

    def grad_b(a, c):
        with nd.GradientTape() as t:
            t.watch(c)
            loss = nd.reduce_sum(nd.square(nd.nn.bias_add(a, c)))
        return t.gradient(loss, c)

    check_grads(grad_b, [x, b])


def test_bias_add_mismatch_names_both_shapes():
    with pytest.raises(nd.errors.InvalidArgumentError) as e:
        nd.nn.bias_add(
            nd.constant(np.ones((2, 3), np.float32)), nd.constant(np.ones(4, np.float32))
        )
    assert (
        "Must provide as many biases as the last dimension of the input tensor: [4] vs. [2,3]"
        in str(e.value)
    )
    assert "BiasAdd" in str(e.value)


@pytest.mark.parity
def test_bias_add_parity(real_tf):
    rng = _rng(6)
    x = rng.standard_normal((4, 5, 5, 8)).astype(np.float32)
    b = rng.standard_normal(8).astype(np.float32)
    compare_op(nd, real_tf, "nn.bias_add", [x, b])


# ---------------------------------------------------------------------------- cross entropy


def _np_xent(labels, logits, axis=-1):
    return -np.sum(labels * np.log(_np_softmax(logits, axis)), axis=axis)


def test_softmax_cross_entropy_forward_gradients_and_hessian():
    rng = _rng(7)
    logits = rng.standard_normal((4, 5))
    labels = _np_softmax(rng.standard_normal((4, 5)), -1)
    fn = nd.nn.softmax_cross_entropy_with_logits
    np.testing.assert_allclose(fn(labels, logits).numpy(), _np_xent(labels, logits), rtol=1e-12)
    np.testing.assert_allclose(
        fn(labels.T, logits.T, axis=0).numpy(), _np_xent(labels, logits), rtol=1e-12
    )
    check_grads(lambda lab, lo: fn(lab, lo), [labels, logits])
    check_grads(lambda lab, lo: fn(lab, lo, axis=0), [labels.T.copy(), logits.T.copy()])

    def grad(lab, lo):
        with nd.GradientTape() as t:
            t.watch([lab, lo])
            loss = nd.reduce_sum(nd.square(fn(lab, lo)))
        return t.gradient(loss, [lab, lo])

    # Like TF's kernel, the logits gradient is softmax - labels, exact only for labels that
    # sum to 1, so second derivatives are checked along the logits only.
    check_grads(grad, [labels, logits], wrt=[1])


def test_softmax_cross_entropy_shape_error():
    with pytest.raises(
        nd.errors.InvalidArgumentError, match=r"logits_size=\[2,3\] labels_size=\[2,4\]"
    ):
        nd.nn.softmax_cross_entropy_with_logits(
            np.ones((2, 4), np.float32), np.ones((2, 3), np.float32)
        )


@pytest.mark.parametrize("shape", [(6, 5), (2, 3, 4)])
def test_sparse_softmax_cross_entropy(kernels, shape):
    rng = _rng(8)
    logits = rng.standard_normal(shape)
    labels = rng.integers(0, shape[-1], size=shape[:-1]).astype(np.int32)
    onehot = np.eye(shape[-1])[labels]
    fn = nd.nn.sparse_softmax_cross_entropy_with_logits
    for dtype, tol in ((np.float32, 1e-5), (np.float64, 1e-12)):
        got = fn(labels, logits.astype(dtype))
        assert got.dtype.as_numpy_dtype == dtype and got.shape == shape[:-1]
        np.testing.assert_allclose(got.numpy(), _np_xent(onehot, logits), rtol=tol, atol=tol)
    check_grads(lambda lo: fn(labels, lo), [logits])

    def grad(lo):
        with nd.GradientTape() as t:
            t.watch(lo)
            loss = nd.reduce_sum(nd.square(fn(labels, lo)))
        return t.gradient(loss, lo)

    check_grads(grad, [logits])


def test_sparse_softmax_cross_entropy_bad_labels(kernels):
    fn = nd.nn.sparse_softmax_cross_entropy_with_logits
    logits = np.ones((2, 3), np.float32)
    with pytest.raises(nd.errors.InvalidArgumentError) as e:
        fn(np.array([0, 5], np.int32), logits)
    assert str(e.value).startswith(
        "Received a label value of 5 which is outside the valid range of [0, 3).  Label values: 0 5"
    )
    assert "[Op:SparseSoftmaxCrossEntropyWithLogits]" in str(e.value)
    with pytest.raises(nd.errors.InvalidArgumentError, match="label value of -1"):
        fn(np.array([0, -1], np.int32), logits)
    with pytest.raises(
        ValueError, match=r"labels.shape=\(1, 2\) of rank 2 and logits.shape=\(2, 3\) of rank 2"
    ):
        fn(np.array([[0, 1]], np.int32), logits)
    with pytest.raises(
        ValueError, match=r"except for the last dimension. Received: labels.shape=\(3,\)"
    ):
        fn(np.array([0, 1, 2], np.int32), logits)
    with pytest.raises(nd.errors.InvalidArgumentError):
        fn(np.array([0.0, 1.0], np.float32), logits)


def test_sigmoid_cross_entropy():
    rng = _rng(9)
    x = rng.standard_normal((3, 4)) * 5
    z = rng.uniform(size=(3, 4))
    fn = nd.nn.sigmoid_cross_entropy_with_logits
    ref = -(z * np.log(_sig(x)) + (1 - z) * np.log(1 - _sig(x)))
    np.testing.assert_allclose(fn(labels=z, logits=x).numpy(), ref, rtol=1e-10)
    assert np.isfinite(fn(labels=np.float32(1.0), logits=np.float32(-500.0)).numpy())
    check_grads(lambda a, b: fn(labels=a, logits=b), [z, x])

    def grad(a, b):
        with nd.GradientTape() as t:
            t.watch([a, b])
            loss = nd.reduce_sum(nd.square(fn(labels=a, logits=b)))
        return t.gradient(loss, [a, b])

    check_grads(grad, [z, x])
    with pytest.raises(
        ValueError, match=r"must have the same shape, received \(\(2, 3\) vs \(2, 4\)\)"
    ):
        fn(labels=np.ones((2, 4), np.float32), logits=np.ones((2, 3), np.float32))


@pytest.mark.parity
def test_cross_entropy_parity(real_tf, kernels):
    rng = _rng(10)
    logits = rng.standard_normal((8, 10)).astype(np.float32)
    labels = _np_softmax(rng.standard_normal((8, 10)), -1).astype(np.float32)
    compare_op(nd, real_tf, "nn.softmax_cross_entropy_with_logits", [labels, logits])
    compare_op(
        nd,
        real_tf,
        "nn.softmax_cross_entropy_with_logits",
        [labels.T.copy(), logits.T.copy()],
        {"axis": 0},
    )
    sparse = rng.integers(0, 10, size=8).astype(np.int32)
    compare_op(nd, real_tf, "nn.sparse_softmax_cross_entropy_with_logits", [sparse, logits])
    compare_op(
        nd,
        real_tf,
        "nn.sparse_softmax_cross_entropy_with_logits",
        [sparse.astype(np.int64), logits],
    )
    z = rng.uniform(size=(8, 10)).astype(np.float32)
    compare_op(nd, real_tf, "nn.sigmoid_cross_entropy_with_logits", [z, logits])


# ---------------------------------------------------------------------------- small losses and metrics


def test_l2_loss():
    x = _rng(11).standard_normal((3, 4))
    np.testing.assert_allclose(nd.nn.l2_loss(x).numpy(), np.sum(x**2) / 2)
    assert nd.nn.l2_loss(x.astype(np.float32)).dtype == nd.float32
    check_grads(nd.nn.l2_loss, [x])


def test_in_top_k_ties_non_finite_and_out_of_range():
    preds = np.array(
        [[0.1, 0.9, 0.5], [0.5, 0.5, 0.1], [np.inf, 0.2, 0.1], [0.3, 0.2, 0.1]], np.float32
    )
    got = nd.nn.in_top_k(np.array([1, 1, 1, 7], np.int32), preds, 1).numpy()
    np.testing.assert_array_equal(got, [True, True, False, False])
    got2 = nd.nn.in_top_k(np.array([2, 2, 0, 0], np.int32), preds, 2).numpy()
    np.testing.assert_array_equal(got2, [True, False, False, True])


@pytest.mark.parity
def test_small_ops_parity(real_tf):
    rng = _rng(12)
    x = rng.standard_normal((5, 7)).astype(np.float32)
    compare_op(nd, real_tf, "nn.l2_loss", [x])
    t = rng.integers(0, 7, size=5).astype(np.int32)
    for k in (1, 3):
        compare_op(nd, real_tf, "nn.in_top_k", [t, x, k])
    compare_op(
        nd, real_tf, "nn.moments", [rng.standard_normal((4, 3, 2)).astype(np.float32), [0, 1]]
    )


# ---------------------------------------------------------------------------- dropout


def test_dropout_values_scale_and_rate():
    x = np.ones((200, 50), np.float32)
    y = nd.nn.dropout(x, 0.25, seed=3).numpy()
    assert set(np.unique(y).tolist()) <= {0.0, np.float32(1 / 0.75)}
    assert abs((y == 0).mean() - 0.25) < 0.03
    assert nd.nn.dropout(nd.constant(x), 0.0) is not None
    np.testing.assert_array_equal(nd.nn.dropout(x, 0.0).numpy(), x)
    with pytest.raises(ValueError, match="range"):
        nd.nn.dropout(x, 1.0)


def test_dropout_noise_shape_broadcasts():
    y = nd.nn.dropout(np.ones((4, 6), np.float32), 0.5, noise_shape=[4, 1], seed=1).numpy()
    assert all(len(set(row.tolist())) == 1 for row in y)


def test_dropout_seeds_repeat_after_reset_and_streams_advance():
    x = np.ones((64,), np.float32)
    try:
        context.set_global_seed(7)
        a1, a2 = nd.nn.dropout(x, 0.5).numpy(), nd.nn.dropout(x, 0.5).numpy()
        context.set_global_seed(7)
        b1 = nd.nn.dropout(x, 0.5).numpy()
    finally:
        context.set_global_seed(None)
    np.testing.assert_array_equal(a1, b1)
    assert not np.array_equal(a1, a2)
    s1, s2 = nd.nn.dropout(x, 0.5, seed=11).numpy(), nd.nn.dropout(x, 0.5, seed=11).numpy()
    assert not np.array_equal(s1, s2)


def test_dropout_gradient_uses_the_same_mask():
    x = nd.constant(np.ones((100,), np.float32))
    with nd.GradientTape() as t:
        t.watch(x)
        y = nd.nn.dropout(x, 0.5, seed=2)
    np.testing.assert_array_equal(t.gradient(y, x).numpy(), y.numpy())


# ---------------------------------------------------------------------------- normalization


def test_moments_and_batch_normalization():
    rng = _rng(13)
    x = rng.standard_normal((4, 3, 5))
    m, v = nd.nn.moments(x, [0, 1])
    np.testing.assert_allclose(m.numpy(), x.mean((0, 1)))
    np.testing.assert_allclose(v.numpy(), x.var((0, 1)))
    mk, vk = nd.nn.moments(x, [0, 1], keepdims=True)
    assert mk.shape == (1, 1, 5) and vk.shape == (1, 1, 5)
    check_grads(lambda a: nd.nn.moments(a, [0, 1]), [x])
    scale, offset = rng.uniform(0.5, 2, 5), rng.standard_normal(5)
    y = nd.nn.batch_normalization(x, m, v, offset, scale, 1e-3).numpy()
    ref = (x - x.mean((0, 1))) / np.sqrt(x.var((0, 1)) + 1e-3) * scale + offset
    np.testing.assert_allclose(y, ref, rtol=1e-10)

    def bn(a, s, o):
        mean, var = nd.nn.moments(a, [0, 1])
        return nd.nn.batch_normalization(a, mean, var, o, s, 1e-3)

    check_grads(bn, [x, scale, offset])


def test_fused_batch_norm_training_and_inference():
    from ndflow._src.ops.nn_ops import fused_batch_norm

    rng = _rng(14)
    x = rng.standard_normal((2, 3, 3, 4))
    scale, offset = rng.uniform(0.5, 2, 4), rng.standard_normal(4)
    y, m, v = fused_batch_norm(x, scale, offset, epsilon=1e-3)
    ref = (x - x.mean((0, 1, 2))) / np.sqrt(x.var((0, 1, 2)) + 1e-3) * scale + offset
    np.testing.assert_allclose(y.numpy(), ref, rtol=1e-10)
    np.testing.assert_allclose(v.numpy(), x.var((0, 1, 2), ddof=1), rtol=1e-10)
    y2, _, _ = fused_batch_norm(x, scale, offset, m, v, epsilon=1e-3, is_training=False)
    assert y2.shape == x.shape


@pytest.mark.parity
def test_batch_normalization_parity(real_tf):
    rng = _rng(15)
    x = rng.standard_normal((4, 6)).astype(np.float32)
    mean, var = rng.standard_normal(6).astype(np.float32), rng.uniform(0.5, 2, 6).astype(np.float32)
    off, sc = rng.standard_normal(6).astype(np.float32), rng.uniform(0.5, 2, 6).astype(np.float32)
    compare_op(nd, real_tf, "nn.batch_normalization", [x, mean, var, off, sc, 1e-3])
    from ndflow._src.ops.nn_ops import fused_batch_norm

    xs = rng.standard_normal((2, 3, 3, 4)).astype(np.float32)
    s4, o4 = sc[:4], off[:4]
    got = fused_batch_norm(xs, s4, o4, epsilon=1e-3)
    want = real_tf.compat.v1.nn.fused_batch_norm(xs, s4, o4, epsilon=1e-3)
    for a, b in zip(got, want):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-4, atol=1e-5)


# ---------------------------------------------------------------------------- loss scaling


def test_compute_average_loss_divides_by_the_batch():
    f = nd.nn.compute_average_loss
    assert float(f(np.array([1.0, 2.0, 3.0], np.float32))) == 2.0
    assert float(f(np.array([[1.0, 2.0], [3.0, 4.0]], np.float32))) == 5.0
    w = np.array([1.0, 0.0, 1.0], np.float32)
    assert (
        float(f(np.array([1.0, 2.0, 3.0], np.float32), sample_weight=w, global_batch_size=4)) == 1.0
    )
    assert f(nd.constant([1, 2])).dtype == nd.float64
    with pytest.raises(ValueError, match="at least rank 1"):
        f(nd.constant(1.0))
    assert float(nd.nn.scale_regularization_loss(np.array([1.0, 2.0], np.float32))) == 3.0


@pytest.mark.parity
def test_loss_scaling_parity(real_tf):
    x = _rng(16).standard_normal((6, 3)).astype(np.float32)
    compare_op(nd, real_tf, "nn.compute_average_loss", [x])
    compare_op(nd, real_tf, "nn.compute_average_loss", [x], {"global_batch_size": 12})
    compare_op(nd, real_tf, "nn.scale_regularization_loss", [x])


def test_import_ndflow_does_not_load_numba():
    import subprocess
    import sys

    code = "import sys, ndflow; print('numba' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_weighted_cross_entropy_matches_formula_and_finite_differences():
    rng = _rng(17)
    x = rng.standard_normal((3, 4)) * 4
    z = rng.uniform(size=(3, 4))
    fn = nd.nn.weighted_cross_entropy_with_logits
    ref = -(2.5 * z * np.log(_sig(x)) + (1 - z) * np.log(1 - _sig(x)))
    np.testing.assert_allclose(fn(z, x, 2.5).numpy(), ref, rtol=1e-10)
    check_grads(lambda a, b: fn(a, b, 2.5), [z, x])
    with pytest.raises(ValueError, match="same shape"):
        fn(np.ones((2, 4)), np.ones((2, 3)), 1.0)


@pytest.mark.parity
def test_composite_losses_and_statistics_parity(real_tf):
    rng = _rng(18)
    x = rng.standard_normal((5, 4)).astype(np.float32)
    z = rng.uniform(size=(5, 4)).astype(np.float32)
    compare_op(nd, real_tf, "nn.weighted_cross_entropy_with_logits", [z, x, 3.0])
    t = rng.uniform(0, 4, size=(5, 4)).astype(np.float32)
    compare_op(nd, real_tf, "nn.log_poisson_loss", [t, x])
    compare_op(nd, real_tf, "nn.log_poisson_loss", [t, x], {"compute_full_loss": True})
    got, want = nd.nn.sufficient_statistics(x, [0]), real_tf.nn.sufficient_statistics(x, [0])
    assert got[3] is None and want[3] is None
    for a, b in zip(got[:3], want[:3]):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-5)
    compare_op(
        nd,
        real_tf,
        "nn.sufficient_statistics",
        [x, [0, 1]],
        {"shift": 0.5, "keepdims": True},
        grad=False,
    )
    counts = np.float32(5.0)
    m_ss, v_ss = x.sum(0), (x**2).sum(0)
    compare_op(nd, real_tf, "nn.normalize_moments", [counts, m_ss, v_ss, None])
