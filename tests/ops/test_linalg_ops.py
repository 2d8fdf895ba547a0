"""Linear algebra: matmul, einsum, tensordot, inv, det, norm, transposes and diagonals."""

from __future__ import annotations

import numpy as np
import pytest
from harness.op_check import check_grads
from harness.tf_compare import assert_same, compare_op
from hypothesis import given, settings
from hypothesis import strategies as st

import ndflow as nd

RNG = np.random.default_rng(3)


def f64(*shape):
    return RNG.standard_normal(shape)


def well_conditioned(*batch, n=3):
    return f64(*batch, n, n) + 3 * np.eye(n)


A, B = f64(2, 3), f64(3, 4)
BA, BB = f64(5, 2, 3), f64(1, 3, 4)
SQ = well_conditioned(2, n=3)

FORWARD = [
    ("matmul", lambda a, b: nd.matmul(a, b), lambda a, b: a @ b, [A, B]),
    (
        "matmul_ta",
        lambda a, b: nd.matmul(a, b, transpose_a=True),
        lambda a, b: a.T @ b,
        [A.T.copy(), B],
    ),
    (
        "matmul_tb",
        lambda a, b: nd.matmul(a, b, transpose_b=True),
        lambda a, b: a @ b.T,
        [A, B.T.copy()],
    ),
    (
        "matmul_ta_tb",
        lambda a, b: nd.matmul(a, b, transpose_a=True, transpose_b=True),
        lambda a, b: a.T @ b.T,
        [A.T.copy(), B.T.copy()],
    ),
    (
        "matmul_adjoint",
        lambda a, b: nd.matmul(a, b, adjoint_b=True),
        lambda a, b: a @ b.T,
        [A, B.T.copy()],
    ),
    ("batch_matmul", lambda a, b: nd.matmul(a, b), np.matmul, [BA, BB]),
    ("batch_matmul_2d", lambda a, b: nd.matmul(a, b), np.matmul, [BA, B]),
    ("operator", lambda a, b: a @ b, np.matmul, [A, B]),
    ("einsum_mm", lambda a, b: nd.einsum("ij,jk->ik", a, b), lambda a, b: a @ b, [A, B]),
    ("einsum_sum", lambda a: nd.einsum("ij->i", a), lambda a: a.sum(1), [A]),
    ("einsum_outer", lambda a, b: nd.einsum("i,j", a, b), np.outer, [f64(3), f64(4)]),
    ("einsum_batch", lambda a, b: nd.einsum("bij,bjk->bik", a, b), np.matmul, [BA, f64(5, 3, 4)]),
    ("einsum_ellipsis", lambda a, b: nd.einsum("...ij,...jk->...ik", a, b), np.matmul, [BA, BB]),
    ("einsum_transpose", lambda a: nd.einsum("ij->ji", a), lambda a: a.T, [A]),
    ("einsum_trace", lambda a: nd.einsum("ii", a), np.trace, [SQ[0]]),
    (
        "einsum_diag",
        lambda a, b: nd.einsum("bii,bj->bij", a, b),
        lambda a, b: np.einsum("bii,bj->bij", a, b),
        [SQ, f64(2, 4)],
    ),
    ("tensordot_1", lambda a, b: nd.tensordot(a, b, 1), lambda a, b: np.tensordot(a, b, 1), [A, B]),
    (
        "tensordot_pairs",
        lambda a, b: nd.tensordot(a, b, [[0, 2], [1, 0]]),
        lambda a, b: np.tensordot(a, b, [[0, 2], [1, 0]]),
        [f64(2, 3, 4), f64(4, 2, 5)],
    ),
    (
        "tensordot_0",
        lambda a, b: nd.tensordot(a, b, 0),
        lambda a, b: np.tensordot(a, b, 0),
        [f64(2), f64(3)],
    ),
    ("inv", nd.linalg.inv, np.linalg.inv, [SQ]),
    (
        "inv_adjoint",
        lambda a: nd.linalg.inv(a, adjoint=True),
        lambda a: np.linalg.inv(np.swapaxes(a, -1, -2)),
        [SQ],
    ),
    ("det", nd.linalg.det, np.linalg.det, [SQ]),
    ("matrix_transpose", nd.linalg.matrix_transpose, lambda a: np.swapaxes(a, -1, -2), [BA]),
    ("diag_part", nd.linalg.diag_part, lambda a: np.diagonal(a, axis1=-2, axis2=-1), [BA]),
    ("set_diag", lambda a, d: nd.linalg.set_diag(a, d), None, [SQ, f64(2, 3)]),
    ("diag", nd.linalg.diag, lambda d: d[..., None] * np.eye(3), [f64(2, 3)]),
    ("trace", nd.linalg.trace, lambda a: np.trace(a, axis1=-2, axis2=-1), [SQ]),
    ("norm", nd.norm, np.linalg.norm, [A]),
    (
        "norm_axis",
        lambda a: nd.norm(a, axis=1, keepdims=True),
        lambda a: np.linalg.norm(a, axis=1, keepdims=True),
        [A],
    ),
    ("norm_1", lambda a: nd.norm(a, ord=1, axis=0), lambda a: np.abs(a).sum(0), [A]),
    ("norm_inf", lambda a: nd.norm(a, ord=np.inf, axis=-1), lambda a: np.abs(a).max(-1), [A]),
    (
        "norm_p3",
        lambda a: nd.norm(a, ord=3, axis=1),
        lambda a: (np.abs(a) ** 3).sum(1) ** (1 / 3),
        [A],
    ),
    (
        "norm_fro",
        lambda a: nd.norm(a, ord="fro", axis=[-2, -1]),
        lambda a: np.linalg.norm(a, "fro", axis=(-2, -1)),
        [BA],
    ),
    (
        "norm_mat1",
        lambda a: nd.norm(a, ord=1, axis=[1, 2]),
        lambda a: np.linalg.norm(a, 1, axis=(1, 2)),
        [BA],
    ),
    (
        "norm_matinf",
        lambda a: nd.norm(a, ord=np.inf, axis=[1, 2], keepdims=True),
        lambda a: np.linalg.norm(a, np.inf, axis=(1, 2), keepdims=True),
        [BA],
    ),
]


def _set_diag_np(a, d):
    out = a.copy()
    i = np.arange(d.shape[-1])
    out[..., i, i] = d
    return out


@pytest.mark.parametrize("name,fn,np_fn,inputs", FORWARD, ids=[r[0] for r in FORWARD])
def test_forward_matches_numpy(name, fn, np_fn, inputs):
    out = fn(*[nd.constant(x) for x in inputs])
    expected = (np_fn or _set_diag_np)(*inputs)
    assert out.dtype == nd.float64
    assert tuple(out.shape) == np.shape(expected)
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("name,fn,np_fn,inputs", FORWARD, ids=[r[0] for r in FORWARD])
def test_gradient_matches_finite_differences(name, fn, np_fn, inputs):
    check_grads(fn, inputs)


def test_matmul_int_and_complex():
    out = nd.matmul(nd.ones([2, 3], nd.int32), nd.ones([3, 5], nd.int32))
    assert out.dtype == nd.int32 and out.numpy()[0, 0] == 3
    a = RNG.standard_normal((2, 2)) + 1j * RNG.standard_normal((2, 2))
    b = RNG.standard_normal((2, 2)) + 1j * RNG.standard_normal((2, 2))
    np.testing.assert_allclose(nd.matmul(a, b, adjoint_a=True).numpy(), a.conj().T @ b)
    np.testing.assert_allclose(nd.matmul(a, b, transpose_b=True).numpy(), a @ b.T)


def test_rmatmul_with_numpy_left_operand():
    out = A @ nd.constant(B)
    np.testing.assert_allclose(out.numpy(), A @ B)


def test_det_of_singular_matrix_is_zero_and_inverse_raises():
    assert float(nd.linalg.det(nd.ones([2, 2]))) == 0.0
    with pytest.raises(
        nd.errors.InvalidArgumentError, match=r"Input is not invertible. \[Op:MatrixInverse\]"
    ):
        nd.linalg.inv(nd.zeros([2, 2]))


def test_second_derivative_of_matmul():
    x = nd.constant(np.array([[1.0, 2.0], [3.0, 4.0]]))
    with nd.GradientTape() as outer:
        outer.watch(x)
        with nd.GradientTape() as inner:
            inner.watch(x)
            y = nd.reduce_sum(nd.matmul(x, x))
        g = inner.gradient(y, x)
    h = outer.gradient(g, x)
    # d/dx sum(x @ x) = 1 x^T + x^T 1; its gradient sums to 2 * ones @ ones
    np.testing.assert_allclose(h.numpy(), 2 * np.full((2, 2), 2.0))


# ---------------------------------------------------------------------------- errors

ERRORS = [
    (
        "MatMul",
        lambda: nd.matmul(nd.ones([2, 3]), nd.ones([4, 5])),
        r"Matrix size-incompatible: In\[0\]: \[2,3\], In\[1\]: \[4,5\] \[Op:MatMul\]",
    ),
    (
        "BatchMatMulV2",
        lambda: nd.matmul(nd.ones([2, 2, 3]), nd.ones([3, 3, 5])),
        r"must have compatible batch dimensions: \[2,2,3\] vs. \[3,3,5\]",
    ),
    (
        "BatchMatMulV2",
        lambda: nd.matmul(nd.ones([2, 2, 3]), nd.ones([2, 4, 5])),
        r"Matrix size-incompatible: In\[0\]: \[2,2,3\], In\[1\]: \[2,4,5\]",
    ),
    (
        "MatMul",
        lambda: nd.matmul(nd.ones([2, 3]), nd.ones([3, 5], nd.float64)),
        "expected to be a float tensor but is a double tensor",
    ),
    (
        "BatchMatMulV2",
        lambda: nd.matmul(nd.ones([3]), nd.ones([3, 5, 2])),
        r"In\[0\] ndims must be >= 2",
    ),
    (
        "Einsum",
        lambda: nd.einsum("ij,jk->ik", nd.ones([2, 3]), nd.ones([4, 5])),
        r"Expected dimension 3 at axis 0 of the input shaped \[4,5\] but got dimension 4",
    ),
    ("MatrixInverse", lambda: nd.linalg.inv(nd.zeros([2, 3])), "Input matrix must be square."),
    (
        "MatrixDeterminant",
        lambda: nd.linalg.det(nd.ones([2, 2], nd.int32)),
        "Value for attr 'T' of int32 is not in the list of allowed values",
    ),
    ("Sqrt", lambda: nd.norm(nd.constant([3, 4])), "Value for attr 'T' of int32"),
]


@pytest.mark.parametrize(
    "op_type,fn,msg", ERRORS, ids=[f"{e[0]}-{i}" for i, e in enumerate(ERRORS)]
)
def test_errors_name_the_op_and_shapes(op_type, fn, msg):
    with pytest.raises(nd.errors.InvalidArgumentError, match=msg) as info:
        fn()
    assert f"[Op:{op_type}]" in str(info.value)


@pytest.mark.parametrize("ord_", [-1, "fro", 0], ids=["negative", "fro_vector", "zero"])
def test_unsupported_vector_norm_is_value_error(ord_):
    with pytest.raises(ValueError, match="'ord' must be a supported vector norm"):
        nd.norm(nd.constant([1.0, 2.0]), ord=ord_)


# ---------------------------------------------------------------------------- parity

F = np.float32
PARITY = [
    ("matmul", [F(A), F(B)], {}),
    ("matmul", [F(A), F(A)], {"transpose_b": True}),
    ("matmul", [F(BA), F(BB)], {"adjoint_a": False}),
    ("einsum", ["bij,jk->bik", F(BA), F(B)], {}),
    ("einsum", ["ij->j", F(A)], {}),
    ("einsum", ["bii->bi", F(SQ)], {}),
    ("einsum", ["ij,ij->", F(A), F(A)], {}),
    ("tensordot", [F(f64(2, 3, 4)), F(f64(4, 3))], {"axes": [[1, 2], [1, 0]]}),
    ("linalg.inv", [F(SQ)], {}),
    ("linalg.det", [F(SQ)], {}),
    ("linalg.matrix_transpose", [F(BA)], {}),
    ("linalg.diag_part", [F(BA)], {}),
    ("linalg.diag", [F(A)], {}),
    ("linalg.trace", [F(SQ)], {}),
    ("norm", [F(A)], {"axis": 1}),
    ("norm", [F(A)], {"ord": 1}),
    ("norm", [F(A)], {"ord": np.inf, "axis": 0, "keepdims": True}),
    ("norm", [F(BA)], {"ord": "fro", "axis": [1, 2]}),
    ("norm", [F(BA)], {"ord": 1, "axis": [1, 2]}),
    ("norm", [F(BA)], {"ord": 2, "axis": [1, 2]}),
    ("norm", [F(f64(2, 3, 4))], {"ord": 2, "axis": [2, 0], "keepdims": True}),
    ("linalg.norm", [F(A)], {"ord": 3, "axis": 1}),
]


@pytest.mark.parity
@pytest.mark.parametrize(
    "fn,args,kwargs", PARITY, ids=[f"{p[0]}-{i}" for i, p in enumerate(PARITY)]
)
def test_parity_with_tensorflow(real_tf, fn, args, kwargs):
    compare_op(nd, real_tf, fn, args, kwargs, rtol=1e-4, atol=1e-5)


@pytest.mark.parity
@settings(max_examples=15, deadline=None)
@given(
    batch_a=st.lists(st.integers(1, 3), min_size=0, max_size=2),
    batch_b=st.lists(st.integers(1, 3), min_size=0, max_size=2),
    mkn=st.tuples(st.integers(1, 3), st.integers(1, 3), st.integers(1, 3)),
    data=st.data(),
)
def test_parity_matmul_broadcast_batch_dims(real_tf, batch_a, batch_b, mkn, data):
    n = min(len(batch_a), len(batch_b))
    # Make the trailing batch dims broadcast-compatible: equal, or one of them 1.
    for i in range(1, n + 1):
        if batch_a[-i] != batch_b[-i] and data.draw(st.booleans()):
            batch_a[-i] = 1
        elif batch_a[-i] != batch_b[-i]:
            batch_b[-i] = 1
    m, k, p = mkn
    a = RNG.standard_normal(batch_a + [m, k]).astype(np.float32)
    b = RNG.standard_normal(batch_b + [k, p]).astype(np.float32)
    compare_op(nd, real_tf, "matmul", [a, b], rtol=1e-4, atol=1e-5)


@pytest.mark.parity
def test_parity_complex_matmul_gradient(real_tf):
    a = (RNG.standard_normal((2, 3)) + 1j * RNG.standard_normal((2, 3))).astype(np.complex64)
    b = (RNG.standard_normal((2, 3)) + 1j * RNG.standard_normal((2, 3))).astype(np.complex64)
    for kw in (
        {"adjoint_b": True},
        {"transpose_b": True},
        {"adjoint_a": True, "transpose_b": False},
    ):
        if "adjoint_a" in kw:
            x, y = a.T.copy(), b.T.copy()
        else:
            x, y = a, b
        xs, ys = nd.constant(x), nd.constant(y)
        xt, yt = real_tf.constant(x), real_tf.constant(y)
        with nd.GradientTape() as t1:
            t1.watch([xs, ys])
            o1 = nd.matmul(xs, ys, **kw)
        with real_tf.GradientTape() as t2:
            t2.watch([xt, yt])
            o2 = real_tf.matmul(xt, yt, **kw)
        assert_same(o1, o2, rtol=1e-4, atol=1e-5)
        cot = np.ones(o2.shape, np.complex64) * (1 + 0.5j)
        for g1, g2 in zip(
            t1.gradient(o1, [xs, ys], nd.constant(cot)),
            t2.gradient(o2, [xt, yt], real_tf.constant(cot)),
        ):
            assert_same(g1, g2, rtol=1e-4, atol=1e-5)


# ---------------------------------------------------------------------------- shape rules


def _sym(dims, dtype=nd.float32):
    """A symbolic stand-in for graph tensors: a static shape and no value."""
    from ndflow._src.framework.tensor import Tensor

    class Sym(Tensor):
        __slots__ = ("_dims",)

        @property
        def shape(self):
            return nd.TensorShape(self._dims)

    t = object.__new__(Sym)
    t._value, t._dtype, t._dims = None, dtype, dims
    return t


def test_shape_rules_carry_unknown_dims():
    from ndflow._src.framework.op_registry import get_op

    flags = dict(transpose_a=False, transpose_b=True, adjoint_a=False, adjoint_b=False)
    rule = get_op("BatchMatMulV2").shape
    out = rule([_sym((None, 1, 2, 3)), _sym((5, 4, 3))], flags)
    assert out[0][0] == (None, 5, 2, 4)
    assert get_op("MatMul").shape([_sym(None), _sym((3, 4))], flags)[0][0] is None
    eq = {"equation": "bij,jk->bik"}
    assert get_op("Einsum").shape([_sym((None, 2, 3)), _sym((3, None))], eq)[0][0] == (
        None,
        2,
        None,
    )
    eq = {"equation": "...ij,...jk->...ik"}
    out = get_op("Einsum").shape([_sym((7, 1, 2, 3)), _sym((5, 3, 4))], eq)
    assert out[0][0] == (7, 5, 2, 4)
    assert get_op("MatrixDeterminant").shape([_sym((None, 3, 3))], {})[0][0] == (None,)
    assert get_op("MatrixDiagPartV3").shape([_sym((2, None, 3))], {})[0][0] == (2, None)
    with pytest.raises(nd.errors.InvalidArgumentError, match="MatMul"):
        rule([_sym((None, 2, 3)), _sym((None, 4, 5))], dict(flags, transpose_b=False))


def test_einsum_with_the_wrong_number_of_inputs_is_a_value_error():
    with pytest.raises(ValueError, match='Got 1 inputs for equation "ij,jk->ik", expecting 2'):
        nd.einsum("ij,jk->ik", nd.ones([2, 3]))
