"""Indexing ops: gather, gather_nd, scatters, one_hot, boolean_mask, unique, embeddings."""

from __future__ import annotations

import numpy as np
import pytest
from harness.op_check import check_grads
from harness.tf_compare import compare_op

import ndflow as nd
from ndflow._src.ops.gather_ops import embedding_lookup

RNG = np.random.default_rng(2)
P = RNG.standard_normal((4, 3, 2))

FORWARD = [
    ("gather", lambda p: nd.gather(p, [3, 0, 3]), lambda p: p[[3, 0, 3]]),
    (
        "gather_axis1",
        lambda p: nd.gather(p, [[2, 0], [1, 1]], axis=1),
        lambda p: np.take(p, [[2, 0], [1, 1]], axis=1),
    ),
    ("gather_axis_neg", lambda p: nd.gather(p, [1], axis=-1), lambda p: p[..., [1]]),
    (
        "gather_batch_dims",
        lambda p: nd.gather(p, [[0, 2], [1, 1], [2, 2], [0, 0]], axis=1, batch_dims=1),
        lambda p: np.stack([p[i][idx] for i, idx in enumerate([[0, 2], [1, 1], [2, 2], [0, 0]])]),
    ),
    (
        "gather_nd",
        lambda p: nd.gather_nd(p, [[1, 2], [3, 0], [1, 2]]),
        lambda p: p[[1, 3, 1], [2, 0, 2]],
    ),
    (
        "gather_nd_full",
        lambda p: nd.gather_nd(p, [[[0, 1, 1]], [[3, 2, 0]]]),
        lambda p: p[[[0], [3]], [[1], [2]], [[1], [0]]],
    ),
    (
        "gather_nd_batch",
        lambda p: nd.gather_nd(p, [[1], [0], [2], [2]], batch_dims=1),
        lambda p: p[np.arange(4), [1, 0, 2, 2]],
    ),
    ("embedding", lambda p: embedding_lookup(p, [[0, 3]]), lambda p: p[[[0, 3]]]),
    (
        "boolean_mask",
        lambda p: nd.boolean_mask(p, [True, False, True, True]),
        lambda p: p[[True, False, True, True]],
    ),
    (
        "boolean_mask_2d",
        lambda p: nd.boolean_mask(p, [[True, False, True]] * 2 + [[False] * 3] * 2),
        lambda p: p[np.array([[True, False, True]] * 2 + [[False] * 3] * 2)],
    ),
    (
        "boolean_mask_axis",
        lambda p: nd.boolean_mask(p, [False, True, True], axis=1),
        lambda p: p[:, [False, True, True]],
    ),
]


@pytest.mark.parametrize("name,fn,np_fn", FORWARD, ids=[r[0] for r in FORWARD])
def test_forward_matches_numpy(name, fn, np_fn):
    out = fn(nd.constant(P))
    expected = np_fn(P)
    assert tuple(out.shape) == expected.shape
    np.testing.assert_allclose(out.numpy(), expected)


@pytest.mark.parametrize("name,fn,np_fn", FORWARD, ids=[r[0] for r in FORWARD])
def test_gradient_matches_finite_differences(name, fn, np_fn):
    check_grads(fn, [P])


def test_gather_gradient_accumulates_repeated_indices():
    x = nd.constant(np.array([1.0, 2.0, 3.0]))
    with nd.GradientTape() as tape:
        tape.watch(x)
        y = nd.reduce_sum(nd.gather(x, [0, 0, 2, 0]))
    np.testing.assert_array_equal(tape.gradient(y, x).numpy(), [3.0, 0.0, 1.0])


def test_embedding_lookup_max_norm():
    params = nd.constant(np.array([[3.0, 4.0], [0.3, 0.4]]))
    out = embedding_lookup(params, [0, 1], max_norm=1.0)
    np.testing.assert_allclose(out.numpy(), [[0.6, 0.8], [0.3, 0.4]])


def test_scatters_forward_and_gradients():
    out = nd.scatter_nd([[1], [3], [1]], [1.0, 2.0, 4.0], [5])
    np.testing.assert_array_equal(out.numpy(), [0, 5, 0, 2, 0])
    t = nd.constant(np.arange(6.0).reshape(3, 2))
    up = nd.tensor_scatter_nd_update(t, [[2], [0]], [[9.0, 9.0], [7.0, 7.0]])
    np.testing.assert_array_equal(up.numpy(), [[7, 7], [2, 3], [9, 9]])
    add = nd.tensor_scatter_nd_add(t, [[0, 1], [0, 1]], [1.0, 2.0])
    np.testing.assert_array_equal(add.numpy(), [[0, 4], [2, 3], [4, 5]])
    u = RNG.standard_normal((2, 2))
    check_grads(lambda upd: nd.scatter_nd([[2], [0]], upd, [3, 2]), [u])
    u3 = RNG.standard_normal((2, 3))
    base = np.ascontiguousarray(P[:3, :, 0])
    check_grads(lambda x, upd: nd.tensor_scatter_nd_update(x, [[2], [0]], upd), [base, u3])
    check_grads(lambda x, upd: nd.tensor_scatter_nd_add(x, [[2], [2]], upd), [base, u3])


def test_one_hot():
    out = nd.one_hot([0, 2, -1], 3)
    assert out.dtype == nd.float32
    np.testing.assert_array_equal(out.numpy(), [[1, 0, 0], [0, 0, 1], [0, 0, 0]])
    out = nd.one_hot([0, 1], 3, on_value=5, off_value=1)
    assert out.dtype == nd.int32 and out.numpy().tolist() == [[5, 1, 1], [1, 5, 1]]
    out = nd.one_hot([[0, 1]], 2, axis=0, dtype=nd.float64)
    assert out.shape == (2, 1, 2) and out.dtype == nd.float64
    np.testing.assert_array_equal(out.numpy()[:, 0, :], [[1, 0], [0, 1]])


def test_unique_keeps_first_appearance_order():
    y, idx = nd.unique([1, 1, 2, 4, 4, 4, 7, 8, 8])
    assert y.numpy().tolist() == [1, 2, 4, 7, 8]
    assert idx.numpy().tolist() == [0, 0, 1, 2, 2, 2, 3, 4, 4]
    res = nd.unique(nd.constant([3.0, 1.0, 3.0]), out_idx=nd.int64)
    assert res.y.numpy().tolist() == [3.0, 1.0] and res.idx.dtype == nd.int64
    assert res.idx.numpy().tolist() == [0, 1, 0]


# ---------------------------------------------------------------------------- errors

ERRORS = [
    (
        "ScatterNd",
        lambda: nd.scatter_nd([[0]], [1.0, 2.0], [3]),
        r"Dimensions \[0,1\) of indices\[shape=\[1,1\]\] must match dimensions \[0,1\) of "
        r"updates\[shape=\[2\]\]",
    ),
    (
        "TensorScatterUpdate",
        lambda: nd.tensor_scatter_nd_update(nd.ones([2, 3]), [[0]], [1.0]),
        r"Output: \[2,3\] updates: \[1\]",
    ),
    (
        "TensorScatterUpdate",
        lambda: nd.tensor_scatter_nd_update(nd.ones([2, 3]), [[0], [1]], [[1.0, 2.0, 3.0]]),
        r"Indices shape: \[2,1\], updates shape:\[1,3\]",
    ),
    (
        "TensorScatterAdd",
        lambda: nd.tensor_scatter_nd_add(nd.ones([2, 3]), [[0]], [[1.0, 2.0]]),
        r"The inner 1 dimensions of output.shape=\[2,3\] must match the inner 1 dimensions of "
        r"updates.shape=\[1,2\]",
    ),
    ("GatherV2", lambda: nd.gather(nd.ones([2, 3]), [5]), r"indices\[0\] = 5 is not in \[0, 2\)"),
    (
        "GatherV2",
        lambda: nd.gather(nd.ones([3]), [[0, 1], [2, 9]]),
        r"indices\[1,1\] = 9 is not in \[0, 3\)",
    ),
    ("GatherV2", lambda: nd.gather(nd.ones([3]), [-1]), r"indices\[0\] = -1 is not in \[0, 3\)"),
    (
        "GatherNd",
        lambda: nd.gather_nd(nd.ones([2, 3]), [[5, 0]]),
        r"indices\[0\] = \[5, 0\] does not index into param shape \[2,3\]",
    ),
    (
        "ScatterNd",
        lambda: nd.scatter_nd([[7]], [1.0], [5]),
        r"indices\[0\] = \[7\] does not index into shape \[5\]",
    ),
    (
        "TensorScatterUpdate",
        lambda: nd.tensor_scatter_nd_update(nd.zeros([5]), [[7]], [1.0]),
        r"indices\[0\] = \[7\] does not index into shape \[5\]",
    ),
]


@pytest.mark.parametrize(
    "op_type,fn,msg", ERRORS, ids=[f"{e[0]}-{i}" for i, e in enumerate(ERRORS)]
)
def test_errors_name_the_op(op_type, fn, msg):
    with pytest.raises(nd.errors.InvalidArgumentError, match=msg) as info:
        fn()
    assert f"[Op:{op_type}]" in str(info.value)


def test_boolean_mask_shape_mismatch_is_value_error():
    with pytest.raises(ValueError, match=r"Shapes \(2,\) and \(1,\) are incompatible"):
        nd.boolean_mask(nd.ones([2, 3]), [True])


def test_float_indices_are_rejected():
    with pytest.raises(nd.errors.InvalidArgumentError, match="Tindices"):
        nd.gather(nd.ones([3]), [0.5])


# ---------------------------------------------------------------------------- parity

IDX = np.array([[2, 0], [1, 1]], np.int32)
PARITY = [
    ("gather", [P.astype(np.float32), IDX], {"axis": 1}),
    (
        "gather",
        [P.astype(np.float32), np.array([[0, 2], [1, 1], [2, 2], [0, 0]])],
        {"axis": 1, "batch_dims": 1},
    ),
    ("gather_nd", [P.astype(np.float32), np.array([[1, 2], [3, 0], [1, 2]])], {}),
    ("scatter_nd", [np.array([[1], [3], [1]]), np.float32([1, 2, 4]), np.array([5])], {}),
    (
        "tensor_scatter_nd_update",
        [np.zeros((3, 2), np.float32), np.array([[2], [0]]), np.ones((2, 2), np.float32)],
        {},
    ),
    (
        "tensor_scatter_nd_add",
        [np.ones((3, 2), np.float32), np.array([[2, 1], [2, 1]]), np.float32([1, 2])],
        {},
    ),
    ("one_hot", [np.array([[0, 3], [1, -1]]), 4], {"axis": 1}),
    ("boolean_mask", [P.astype(np.float32), np.array([False, True, True])], {"axis": 1}),
    ("nn.embedding_lookup", [P.astype(np.float32), np.array([3, 3, 0])], {}),
]


@pytest.mark.parity
@pytest.mark.parametrize(
    "fn,args,kwargs", PARITY, ids=[f"{p[0]}-{i}" for i, p in enumerate(PARITY)]
)
def test_parity_with_tensorflow(real_tf, fn, args, kwargs):
    if fn == "nn.embedding_lookup":
        # ndflow's tf.nn re-exports this function; compare the implementation directly.
        tf_out = real_tf.nn.embedding_lookup(*[real_tf.constant(a) for a in args])
        nd_out = embedding_lookup(*[nd.constant(a) for a in args])
        np.testing.assert_array_equal(nd_out.numpy(), tf_out.numpy())
        return
    compare_op(nd, real_tf, fn, args, kwargs)


@pytest.mark.parity
def test_parity_unique(real_tf):
    x = np.array([5, 1, 5, 3, 1, 9], np.int64)
    a, b = nd.unique(nd.constant(x)), real_tf.unique(x)
    np.testing.assert_array_equal(a.y.numpy(), b.y.numpy())
    np.testing.assert_array_equal(a.idx.numpy(), b.idx.numpy())
    assert a.y.dtype.name == b.y.dtype.name and a.idx.dtype.name == b.idx.dtype.name


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

    def rule(op, inputs, attrs):
        return get_op(op).shape(inputs, attrs)

    idx = _sym((None, 2), nd.int32)
    assert rule("GatherV2", [_sym((4, None, 3)), idx], {"axis": 1, "batch_dims": 0})[0][0] == (
        4,
        None,
        2,
        3,
    )
    assert rule("GatherNd", [_sym((4, None, 3)), idx], {})[0][0] == (None, 3)
    s = nd.constant([5, 6])
    out = rule("ScatterNd", [_sym((None, 1), nd.int32), _sym((None, 6)), s], {})
    assert out[0][0] == (5, 6)
    depth = nd.constant(4)
    on, off = nd.constant(1.0), nd.constant(0.0)
    assert rule("OneHot", [_sym((None,), nd.int32), depth, on, off], {"axis": -1})[0][0] == (
        None,
        4,
    )
    outs = rule("Unique", [_sym((None,), nd.int32)], {"out_idx": nd.int32})
    assert [o[0] for o in outs] == [(None,), (None,)]
    with pytest.raises(nd.errors.InvalidArgumentError, match="TensorScatterUpdate"):
        rule("TensorScatterUpdate", [_sym((5, 3)), _sym((2, 1), nd.int32), _sym((2, 4))], {})


@pytest.mark.parity
def test_parity_embedding_lookup_with_div_sharded_params(real_tf):
    p = np.arange(14, dtype=np.float32).reshape(7, 2)
    shards = [p[:3], p[3:5], p[5:]]
    ids = np.array([[0, 6, 3], [2, 4, 5]])
    tf_out = real_tf.nn.embedding_lookup([real_tf.constant(s) for s in shards], ids)
    nd_out = embedding_lookup([nd.constant(s) for s in shards], ids)
    np.testing.assert_array_equal(nd_out.numpy(), tf_out.numpy())
