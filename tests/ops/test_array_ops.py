"""Array ops: forward vs NumPy, gradients vs finite differences, parity vs TensorFlow,
shape rules and errors."""

from __future__ import annotations

import numpy as np
import pytest
from harness.op_check import check_grads
from harness.tf_compare import assert_same, compare_op
from hypothesis import given, settings
from hypothesis import strategies as st

import ndflow as nd

RNG = np.random.default_rng(0)


def f64(*shape):
    return RNG.standard_normal(shape)


def f32(*shape):
    return RNG.standard_normal(shape).astype(np.float32)


A = f64(2, 3, 4)

# ---------------------------------------------------------------------------- forward

FORWARD = [
    ("reshape", lambda x: nd.reshape(x, [4, -1]), lambda x: x.reshape(4, -1)),
    ("transpose_default", lambda x: nd.transpose(x), lambda x: x.T),
    ("transpose_perm", lambda x: nd.transpose(x, [1, 0, 2]), lambda x: x.transpose(1, 0, 2)),
    ("expand_dims", lambda x: nd.expand_dims(x, 1), lambda x: x[:, None]),
    ("expand_dims_neg", lambda x: nd.expand_dims(x, -1), lambda x: x[..., None]),
    ("squeeze", lambda x: nd.squeeze(nd.reshape(x, [1, 2, 12, 1])), lambda x: x.reshape(2, 12)),
    (
        "squeeze_axis",
        lambda x: nd.squeeze(nd.reshape(x, [1, 24, 1]), [0]),
        lambda x: x.reshape(24, 1),
    ),
    ("concat", lambda x: nd.concat([x, x[:1]], 0), lambda x: np.concatenate([x, x[:1]], 0)),
    ("concat_neg", lambda x: nd.concat([x, x], -1), lambda x: np.concatenate([x, x], -1)),
    ("stack", lambda x: nd.stack([x, x], 1), lambda x: np.stack([x, x], 1)),
    ("tile", lambda x: nd.tile(x, [1, 2, 3]), lambda x: np.tile(x, [1, 2, 3])),
    (
        "pad_constant",
        lambda x: nd.pad(x, [[1, 0], [0, 2], [1, 1]]),
        lambda x: np.pad(x, [[1, 0], [0, 2], [1, 1]]),
    ),
    (
        "pad_value",
        lambda x: nd.pad(x, [[1, 0], [0, 2], [1, 1]], constant_values=2.5),
        lambda x: np.pad(x, [[1, 0], [0, 2], [1, 1]], constant_values=2.5),
    ),
    (
        "pad_reflect",
        lambda x: nd.pad(x, [[1, 1], [2, 0], [0, 3]], "REFLECT"),
        lambda x: np.pad(x, [[1, 1], [2, 0], [0, 3]], "reflect"),
    ),
    (
        "pad_symmetric",
        lambda x: nd.pad(x, [[2, 1], [3, 0], [0, 4]], "symmetric"),
        lambda x: np.pad(x, [[2, 1], [3, 0], [0, 4]], "symmetric"),
    ),
    (
        "broadcast_to",
        lambda x: nd.broadcast_to(x[:, :1], [5, 2, 3, 4]),
        lambda x: np.broadcast_to(x[:, :1], (5, 2, 3, 4)),
    ),
    ("reverse", lambda x: nd.reverse(x, [0, 2]), lambda x: x[::-1, :, ::-1]),
    ("repeat_flat", lambda x: nd.repeat(x, 2), lambda x: np.repeat(x, 2)),
    (
        "repeat_axis",
        lambda x: nd.repeat(x, [1, 0, 2], axis=1),
        lambda x: np.repeat(x, [1, 0, 2], axis=1),
    ),
    ("where3", lambda x: nd.where(x > 0, x, -x), lambda x: np.abs(x)),
    ("identity", nd.identity, lambda x: x),
]


@pytest.mark.parametrize("name,fn,np_fn", FORWARD, ids=[r[0] for r in FORWARD])
def test_forward_matches_numpy(name, fn, np_fn):
    out = fn(nd.constant(A))
    expected = np_fn(A)
    assert out.dtype == nd.float64
    assert tuple(out.shape) == expected.shape
    np.testing.assert_allclose(out.numpy(), expected)


GRADS = [r for r in FORWARD if r[0] not in ("identity",)]


@pytest.mark.parametrize("name,fn,np_fn", GRADS, ids=[r[0] for r in GRADS])
def test_gradient_matches_finite_differences(name, fn, np_fn):
    check_grads(fn, [A])


def test_split_unstack_and_their_gradients():
    x = nd.constant(A)
    parts = nd.split(x, 2, axis=0)
    assert [p.shape.as_list() for p in parts] == [[1, 3, 4], [1, 3, 4]]
    parts = nd.split(x, [1, -1, 2], axis=2)
    assert [p.shape[2] for p in parts] == [1, 1, 2]
    np.testing.assert_allclose(parts[2].numpy(), A[:, :, 2:])
    rows = nd.unstack(x, axis=1)
    assert len(rows) == 3
    np.testing.assert_allclose(rows[1].numpy(), A[:, 1])
    check_grads(lambda t: nd.split(t, [1, -1, 2], axis=2)[2] * 2.0, [A])
    check_grads(lambda t: nd.split(t, 2, axis=0), [A])
    check_grads(lambda t: nd.unstack(t, axis=2)[3], [A])
    check_grads(lambda t: nd.concat(nd.unstack(t, axis=1), axis=0), [A])


def test_fills_and_constructors():
    assert nd.zeros([2, 3]).dtype == nd.float32
    np.testing.assert_array_equal(nd.ones([2], nd.int32).numpy(), [1, 1])
    np.testing.assert_array_equal(nd.ones(3).numpy(), [1.0, 1.0, 1.0])
    f = nd.fill([2, 2], 7)
    assert f.dtype == nd.int32 and f.numpy().tolist() == [[7, 7], [7, 7]]
    assert nd.fill(nd.constant([3]), 1.5).dtype == nd.float32
    np.testing.assert_array_equal(nd.eye(2, 3).numpy(), np.eye(2, 3, dtype=np.float32))
    assert nd.eye(2, batch_shape=[3]).shape == (3, 2, 2)
    assert nd.zeros_like(nd.constant([1, 2])).dtype == nd.int32
    assert nd.ones_like(nd.constant([1.0])).numpy().tolist() == [1.0]
    assert nd.zeros(nd.shape(nd.constant(A))).shape == (2, 3, 4)


def test_fill_gradient_sums_into_the_value():
    check_grads(lambda v: nd.fill([2, 3], v), [np.array(1.5)])


def test_range_dtype_inference():
    assert nd.range(5).dtype == nd.int32
    assert nd.range(1, 5.0).dtype == nd.float32
    assert nd.range(0, 5, 0.5).dtype == nd.float32
    assert nd.range(nd.constant(5, nd.int64)).dtype == nd.int64
    assert nd.range(1, nd.constant(5, nd.int64)).dtype == nd.int64
    r = nd.range(5, dtype=nd.float64)
    assert r.dtype == nd.float64 and r.numpy().tolist() == [0, 1, 2, 3, 4]
    np.testing.assert_array_equal(nd.range(10, 2, -3).numpy(), [10, 7, 4])


def test_range_errors():
    with pytest.raises(
        nd.errors.InvalidArgumentError, match=r"Requires delta != 0: 0 \[Op:Range\]"
    ):
        nd.range(0, 5, 0)
    with pytest.raises(
        nd.errors.InvalidArgumentError, match="Requires start <= limit when delta > 0: 5/1"
    ):
        nd.range(5, 1)


def test_linspace_dtypes_values_and_gradient():
    t = nd.linspace(-3, 3, 201)
    assert t.dtype == nd.float64 and t.shape == (201,)
    np.testing.assert_allclose(t.numpy(), np.linspace(-3, 3, 201))
    assert nd.cast(nd.linspace(-3, 3, 201), nd.float32).dtype == nd.float32
    assert nd.linspace(0.0, 1.0, 3).dtype == nd.float32
    m = nd.linspace([0.0, 1.0], [1.0, 3.0], 3, axis=1)
    np.testing.assert_allclose(m.numpy(), [[0, 0.5, 1], [1, 2, 3]])
    check_grads(lambda a, b: nd.linspace(a, b, 5), [np.array(-1.0), np.array(2.0)])
    check_grads(lambda a, b: nd.linspace(a, b, 4, axis=1), [f64(2), f64(2)])


def test_shape_size_rank():
    x = nd.constant(A)
    assert nd.shape(x).numpy().tolist() == [2, 3, 4]
    assert int(nd.size(x)) == 24 and nd.size(x).dtype == nd.int32
    assert nd.size(x, out_type=nd.int64).dtype == nd.int64
    assert int(nd.rank(x)) == 3


def test_where_with_one_argument_returns_int64_coordinates():
    w = nd.where([[True, False], [False, True]])
    assert w.dtype == nd.int64
    np.testing.assert_array_equal(w.numpy(), [[0, 0], [1, 1]])
    np.testing.assert_array_equal(nd.where(nd.constant([1.0, 0.0, 2.0])).numpy(), [[0], [2]])


def test_meshgrid_indexing():
    x, y = nd.meshgrid([1, 2], [3, 4, 5])
    ex, ey = np.meshgrid([1, 2], [3, 4, 5])
    np.testing.assert_array_equal(x.numpy(), ex)
    np.testing.assert_array_equal(y.numpy(), ey)
    x, y = nd.meshgrid([1, 2], [3, 4, 5], indexing="ij")
    assert x.shape == (2, 3)
    check_grads(lambda a, b: nd.meshgrid(a, b), [f64(2), f64(3)])


def test_transpose_conjugate():
    c = nd.constant(np.array([[1 + 2j, 3 - 1j]]))
    np.testing.assert_array_equal(nd.transpose(c, conjugate=True).numpy(), [[1 - 2j], [3 + 1j]])
    np.testing.assert_array_equal(nd.transpose(c).numpy(), [[1 + 2j], [3 - 1j]])


def test_convert_to_tensor_packs_lists_holding_tensors():
    t = nd.convert_to_tensor([nd.constant(1.0), 2.0])
    assert t.dtype == nd.float32 and t.numpy().tolist() == [1.0, 2.0]
    nested = nd.convert_to_tensor([[nd.constant(1), 2], [3, nd.constant(4)]])
    assert nested.numpy().tolist() == [[1, 2], [3, 4]]
    r = nd.reshape(nd.constant(A), [nd.shape(nd.constant(A))[0], -1])
    assert r.shape == (2, 12)
    r = nd.reshape(nd.constant(A), [nd.shape(nd.constant(A), out_type=nd.int64)[0], -1])
    assert r.shape == (2, 12)
    assert nd.zeros([nd.size(nd.constant(A)), 2]).shape == (24, 2)
    check_grads(lambda a, b: nd.convert_to_tensor([a, b]), [f64(2), f64(2)])


def test_second_derivative_through_tile_and_concat():
    x = nd.constant(np.array([1.0, 2.0]))
    with nd.GradientTape() as outer:
        outer.watch(x)
        with nd.GradientTape() as inner:
            inner.watch(x)
            y = nd.reduce_sum(nd.square(nd.tile(nd.concat([x, x], 0), [2])))
        g = inner.gradient(y, x)
    gg = outer.gradient(g, x)
    np.testing.assert_allclose(g.numpy(), 8 * x.numpy())
    np.testing.assert_allclose(gg.numpy(), [8.0, 8.0])


# ---------------------------------------------------------------------------- errors

ERRORS = [
    (
        "Reshape",
        lambda: nd.reshape(nd.ones([2, 3]), [4, 2]),
        "Input to reshape is a tensor with 6 values, but the requested shape has 8",
    ),
    ("Reshape", lambda: nd.reshape(nd.ones([2, 3]), [4, -1]), "requires a multiple of 4"),
    ("Reshape", lambda: nd.reshape(nd.ones([2, 3]), [-1, -1]), "Only one input size may be -1"),
    (
        "ConcatV2",
        lambda: nd.concat([nd.ones([2, 3]), nd.ones([3, 4])], 0),
        r"Dimension 1 in both shapes must be equal: shape\[0\] = \[2,3\] vs. shape\[1\] = \[3,4\]",
    ),
    (
        "ConcatV2",
        lambda: nd.concat([nd.ones([2, 3]), nd.ones([3])], 0),
        r"Ranks of all input tensors should match: shape\[0\] = \[2,3\] vs. shape\[1\] = \[3\]",
    ),
    (
        "ConcatV2",
        lambda: nd.concat([nd.ones([2, 3]), nd.ones([2, 3])], 2),
        r"in the range \[-2, 2\), but got 2",
    ),
    (
        "Pack",
        lambda: nd.stack([nd.ones([2, 3]), nd.ones([3, 3])]),
        r"values\[0\].shape = \[2,3\] != values\[1\].shape = \[3,3\]",
    ),
    (
        "Squeeze",
        lambda: nd.squeeze(nd.ones([2, 3]), 0),
        r"Can not squeeze dim\[0\], expected a dimension of 1, got 2",
    ),
    ("Split", lambda: nd.split(nd.ones([5, 3]), 2), r"split_dim 0 \(size = 5\) and num_split 2"),
    ("SplitV", lambda: nd.split(nd.ones([5, 3]), [2, 2]), "Got: 4"),
    (
        "Tile",
        lambda: nd.tile(nd.ones([5, 3]), [2]),
        "Expected multiples argument to be a vector of length 2 but got length 1",
    ),
    (
        "BroadcastTo",
        lambda: nd.broadcast_to(nd.ones([5, 3]), [2, 3]),
        r"Incompatible shapes: \[5,3\] vs. \[2,3\]",
    ),
    (
        "Transpose",
        lambda: nd.transpose(nd.ones([2, 3]), [0]),
        "transpose expects a vector of size 2. But input",
    ),
    (
        "ExpandDims",
        lambda: nd.expand_dims(nd.ones([2, 3]), 5),
        "Tried to expand dim index 5 for tensor with 2 dimensions.",
    ),
    (
        "Pad",
        lambda: nd.pad(nd.ones([2, 3]), [[1, 1]]),
        r"The first dimension of paddings must be the rank of inputs\[1,2\] \[2,3\]",
    ),
    (
        "MirrorPad",
        lambda: nd.pad(nd.ones([2, 3]), [[2, 2], [0, 0]], "REFLECT"),
        "paddings must be less than the dimension size: 2, 2 not less than 2",
    ),
]


@pytest.mark.parametrize(
    "op_type,fn,msg", ERRORS, ids=[f"{e[0]}-{i}" for i, e in enumerate(ERRORS)]
)
def test_shape_errors_name_the_op_and_shapes(op_type, fn, msg):
    with pytest.raises(nd.errors.InvalidArgumentError, match=msg) as info:
        fn()
    assert f"[Op:{op_type}]" in str(info.value)


def test_bad_pad_mode_is_a_value_error():
    with pytest.raises(ValueError, match="Received `mode` = foo"):
        nd.pad(nd.ones([2]), [[1, 1]], "foo")


def test_mixed_dtypes_in_concat_raise():
    with pytest.raises(nd.errors.InvalidArgumentError, match="ConcatV2"):
        nd.concat([nd.ones([2]), nd.ones([2], nd.int32)], 0)


# ---------------------------------------------------------------------------- shape rules


def test_shape_rules_carry_unknown_dims():
    from ndflow._src.framework.op_registry import get_op
    from ndflow._src.framework.tensor import Tensor

    class Sym(Tensor):
        """A symbolic stand-in: a static shape and no value."""

        __slots__ = ("_dims",)

        @property
        def shape(self):
            return nd.TensorShape(self._dims)

    def sym(dims, dtype=nd.float32):
        t = object.__new__(Sym)
        t._value, t._dtype, t._dims = None, dtype, dims
        return t

    def rule(op, inputs, attrs):
        return get_op(op).shape(inputs, attrs)

    x = sym((None, 3, 4))
    shape_t = nd.constant([-1, 12])
    assert rule("Reshape", [x, shape_t], {})[0][0] == (None, 12)
    assert rule("Transpose", [x], {"perm": (2, 0, 1)})[0][0] == (4, None, 3)
    assert rule("ConcatV2", [x, sym((2, 3, 4))], {"axis": 0})[0][0] == (None, 3, 4)
    assert rule("ConcatV2", [x, sym((2, 3, 4))], {"axis": 2})[0][0] == (2, 3, 8)
    assert rule("Pack", [x, x], {"axis": 1, "N": 2})[0][0] == (None, 2, 3, 4)
    assert rule("Tile", [x, nd.constant([2, 1, 3])], {})[0][0] == (None, 3, 12)
    assert rule("Fill", [sym((2,), nd.int32), nd.constant(1.0)], {})[0][0] == (None, None)
    assert rule("ExpandDims", [x], {"axis": -1})[0][0] == (None, 3, 4, 1)
    assert rule("Where", [x], {})[0] == ((None, 3), nd.int64)
    outs = rule("SplitV", [x, nd.constant([1, -1])], {"axis": 2, "num_split": 2})
    assert [o[0] for o in outs] == [(None, 3, 1), (None, 3, 3)]


# ---------------------------------------------------------------------------- parity

PARITY = [
    ("reshape", [f32(2, 3, 4), np.array([4, -1], np.int32)], {}),
    ("transpose", [f32(2, 3, 4)], {"perm": [2, 0, 1]}),
    ("expand_dims", [f32(2, 3)], {"axis": -2}),
    ("squeeze", [f32(1, 3, 1)], {"axis": [0]}),
    ("tile", [f32(2, 3), np.array([2, 2], np.int32)], {}),
    ("pad", [f32(3, 4), np.array([[1, 2], [0, 1]], np.int32)], {"mode": "REFLECT"}),
    ("pad", [f32(3, 4), np.array([[1, 2], [3, 1]], np.int32)], {"mode": "SYMMETRIC"}),
    ("pad", [f32(3, 4), np.array([[1, 2], [3, 1]], np.int32)], {"constant_values": 1.5}),
    ("reverse", [f32(3, 4)], {"axis": [1]}),
    ("repeat", [f32(3, 2)], {"repeats": [2, 0, 1], "axis": 0}),
    ("range", [2, 11, 3], {}),
    ("range", [1.5], {}),
    ("range", [0, 1, 0.1], {}),
    ("range", [0.5, 3.7, 0.3], {}),
    ("range", [10, 2, -3], {}),
    ("linspace", [-3, 3, 7], {}),
    ("eye", [3, 2], {}),
    ("fill", [[2, 3], 4], {}),
    ("zeros", [[2, 3]], {"dtype": "int64"}),
    ("size", [f32(2, 5)], {}),
    ("rank", [f32(2, 5)], {}),
    ("where", [np.array([[True, False], [True, True]])], {}),
]


@pytest.mark.parity
@pytest.mark.parametrize(
    "fn,args,kwargs", PARITY, ids=[f"{p[0]}-{i}" for i, p in enumerate(PARITY)]
)
def test_parity_with_tensorflow(real_tf, fn, args, kwargs):
    compare_op(nd, real_tf, fn, args, kwargs)


@pytest.mark.parity
def test_parity_concat_stack_split_unstack(real_tf):
    a, b = f32(2, 3), f32(2, 3)
    for fn, kw in (("concat", {"axis": 1}), ("stack", {"axis": 2})):
        nd_out = getattr(nd, fn)([nd.constant(a), nd.constant(b)], **kw)
        tf_out = getattr(real_tf, fn)([real_tf.constant(a), real_tf.constant(b)], **kw)
        assert_same(nd_out, tf_out)
    compare_op(nd, real_tf, "split", [f32(6, 2), [1, -1, 2]], {"axis": 0})
    compare_op(nd, real_tf, "unstack", [f32(3, 2)], {"axis": 1})


@pytest.mark.parity
@settings(max_examples=15, deadline=None)
@given(
    shape=st.lists(st.integers(1, 3), min_size=0, max_size=3),
    lead=st.lists(st.integers(1, 3), min_size=0, max_size=2),
    data=st.data(),
)
def test_parity_broadcast_to_drawn_shapes(real_tf, shape, lead, data):
    src = [d if data.draw(st.booleans()) else 1 for d in shape]
    x = RNG.standard_normal(src).astype(np.float32)
    compare_op(nd, real_tf, "broadcast_to", [x, np.array(lead + shape, np.int32)])


def test_split_rejects_scalar_tensor_like_tf():
    with pytest.raises(ValueError, match="Rank-0 tensors are not supported"):
        nd.split(nd.ones([4]), nd.constant(2))


def test_repeat_scalar_and_tensor_repeats():
    x = nd.constant(A)
    np.testing.assert_array_equal(nd.repeat(x, 3, axis=1).numpy(), np.repeat(A, 3, axis=1))
    np.testing.assert_array_equal(
        nd.repeat(x, nd.constant(2), axis=-1).numpy(), np.repeat(A, 2, -1)
    )
    np.testing.assert_array_equal(nd.repeat(x, [2], axis=0).numpy(), np.repeat(A, 2, axis=0))
    check_grads(lambda t: nd.repeat(t, nd.constant(2), axis=1), [A])
    with pytest.raises(ValueError, match="Dimensions 3 and 2 are not compatible"):
        nd.repeat(x, [1, 2], axis=1)


def test_repeat_with_run_time_repeats_uses_dynamic_shapes():
    from ndflow._src.ops.tile_pad_ops import _repeat_each

    out = _repeat_each(nd.constant(A), nd.constant(2), 1)
    np.testing.assert_array_equal(out.numpy(), np.repeat(A, 2, axis=1))
    check_grads(lambda t: _repeat_each(t, nd.constant(3), 2), [A])


def test_list_arguments_follow_tf_conversion_and_axis_errors():
    mixed = nd.concat([np.ones((1, 2), np.float32), np.ones((1, 2))], 0)
    assert mixed.dtype == nd.float32 and mixed.shape == (2, 2)
    with pytest.raises(ValueError, match=r"Argument `axis` = 5 not in range \[-3, 3\)"):
        nd.stack([nd.ones([2, 3]), nd.ones([2, 3])], axis=5)
    assert nd.linspace(0.0, 1.0, 0).shape == (0,)
