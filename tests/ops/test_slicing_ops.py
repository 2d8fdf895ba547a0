"""Slicing: tf.slice, tf.strided_slice and Tensor.__getitem__ against NumPy and TF."""

from __future__ import annotations

import numpy as np
import pytest
from harness.op_check import check_grads
from harness.tf_compare import assert_same

import ndflow as nd

RNG = np.random.default_rng(1)
A = RNG.standard_normal((3, 4, 5))

INDICES = [
    ("int", 1),
    ("negative_int", -1),
    ("slice", slice(1, 3)),
    ("negative_step", slice(None, None, -2)),
    ("negative_bounds", slice(-1, -4, -1)),
    ("clamped", slice(-10, 10)),
    ("empty", slice(2, 1)),
    ("ellipsis", (Ellipsis, 1)),
    ("ellipsis_mid", (0, Ellipsis, slice(None, None, 2))),
    ("newaxis", (None, 1, None)),
    ("newaxis_ellipsis", (Ellipsis, slice(1, None), None)),
    ("mixed", (slice(None), 2, slice(4, 0, -2))),
    ("all_ints", (2, 3, 4)),
    ("tuple_list", [1, 2]),
    ("numpy_int", np.int64(2)),
]


@pytest.mark.parametrize("name,index", INDICES, ids=[i[0] for i in INDICES])
def test_getitem_matches_numpy(name, index):
    expected = A[tuple(index) if isinstance(index, list) else index]
    out = nd.constant(A)[index]
    assert tuple(out.shape) == np.shape(expected)
    np.testing.assert_array_equal(out.numpy(), expected)


@pytest.mark.parametrize("name,index", INDICES, ids=[i[0] for i in INDICES])
def test_getitem_gradient(name, index):
    check_grads(lambda x: x[index], [A])


def test_getitem_with_scalar_int_tensor():
    x = nd.constant(A)
    i = nd.constant(2)
    np.testing.assert_array_equal(x[i].numpy(), A[2])
    np.testing.assert_array_equal(x[1:i].numpy(), A[1:2])
    np.testing.assert_array_equal(x[:, nd.constant(-1, nd.int64)].numpy(), A[:, -1])
    check_grads(lambda t: t[nd.constant(1), ::2], [A])


def test_getitem_with_bool_tensor_is_boolean_mask():
    x = nd.constant(A)
    m = np.array([True, False, True])
    np.testing.assert_array_equal(x[nd.constant(m)].numpy(), A[m])
    np.testing.assert_array_equal(x[m].numpy(), A[m])


def test_iteration_uses_getitem():
    rows = list(nd.constant(A))
    assert len(rows) == 3
    np.testing.assert_array_equal(rows[2].numpy(), A[2])


def test_strided_slice_masks():
    x = nd.reshape(nd.range(24), [2, 3, 4])
    out = nd.strided_slice(x, [0, 1], [2, 3], [1, 1], shrink_axis_mask=1)
    np.testing.assert_array_equal(out.numpy(), np.arange(24).reshape(2, 3, 4)[0, 1:3])
    out = nd.strided_slice(x, [1, 0], [0, 2], [1, 1], begin_mask=1, end_mask=1)
    np.testing.assert_array_equal(out.numpy(), np.arange(24).reshape(2, 3, 4)[:, 0:2])
    out = nd.strided_slice(x, [0, 0, 1], [0, 0, 3], [1, 1, 1], ellipsis_mask=1, new_axis_mask=2)
    np.testing.assert_array_equal(out.numpy(), np.arange(24).reshape(2, 3, 4)[..., None, 1:3])


def test_slice_and_its_gradient():
    out = nd.slice(nd.constant(A), [1, 0, 2], [2, -1, 2])
    np.testing.assert_array_equal(out.numpy(), A[1:3, :, 2:4])
    check_grads(lambda x: nd.slice(x, [1, 0, 2], [2, -1, 2]), [A])


def test_second_derivative_through_getitem():
    x = nd.constant(np.array([1.0, 2.0, 3.0]))
    with nd.GradientTape() as outer:
        outer.watch(x)
        with nd.GradientTape() as inner:
            inner.watch(x)
            y = nd.reduce_sum(x[::-2] ** 3.0)
        g = inner.gradient(y, x)
    gg = outer.gradient(g, x)
    np.testing.assert_allclose(g.numpy(), [3.0, 0.0, 27.0])
    np.testing.assert_allclose(gg.numpy(), [6.0, 0.0, 18.0])


# ---------------------------------------------------------------------------- errors


def test_out_of_range_index_raises_like_tf():
    with pytest.raises(
        nd.errors.InvalidArgumentError,
        match=r"slice index 5 of dimension 0 out of bounds. \[Op:StridedSlice\]",
    ):
        nd.ones([2, 3])[5]
    with pytest.raises(
        nd.errors.InvalidArgumentError, match="slice index -4 of dimension 1 out of bounds"
    ):
        nd.ones([2, 3])[:, -4]


def test_zero_stride_raises():
    with pytest.raises(nd.errors.InvalidArgumentError, match=r"strides\[0\] must be non-zero"):
        nd.ones([2, 3])[::0]


@pytest.mark.parametrize(
    "index",
    [
        1.0,
        [0.5],
        nd.constant([0, 1]),
        (slice(None), [0]),
        nd.constant(1.0),
        np.array([0, 1]),
        (0, np.array([True, False, True])),
    ],
    ids=[
        "float",
        "float_list",
        "int_vector_tensor",
        "nested_list",
        "float_tensor",
        "int_array",
        "bool_array_in_tuple",
    ],
)
def test_fancy_indices_raise_type_error(index):
    with pytest.raises(TypeError, match="Only integers, slices"):
        nd.ones([2, 3])[index]


def test_bool_list_index_is_rejected_like_tf():
    with pytest.raises(nd.errors.InvalidArgumentError, match="attr 'Index' of bool"):
        nd.ones([2, 3])[[True, False]]


def test_slice_size_error():
    with pytest.raises(
        nd.errors.InvalidArgumentError,
        match=r"Expected size\[0\] in \[0, 2\], but got 3 \[Op:Slice\]",
    ):
        nd.slice(nd.ones([2, 3]), [0, 0], [3, 1])


def test_shape_rule_with_unknown_dims_and_values():
    from ndflow._src.framework.op_registry import get_op
    from ndflow._src.framework.tensor import Tensor

    class Sym(Tensor):
        __slots__ = ("_dims",)

        @property
        def shape(self):
            return nd.TensorShape(self._dims)

    def sym(dims, dtype=nd.float32):
        t = object.__new__(Sym)
        t._value, t._dtype, t._dims = None, dtype, dims
        return t

    rule = get_op("StridedSlice").shape
    attrs = dict(begin_mask=0, end_mask=0, ellipsis_mask=0, new_axis_mask=0, shrink_axis_mask=1)
    x = sym((None, 4, 5))
    b, e, s = nd.constant([1]), nd.constant([2]), nd.constant([1])
    assert rule([x, b, e, s], attrs)[0][0] == (4, 5)
    attrs2 = dict(attrs, shrink_axis_mask=0, end_mask=1)
    assert rule([x, b, e, s], attrs2)[0][0] == (None, 4, 5)
    unknown_begin = sym((2,), nd.int32)
    attrs3 = dict(attrs, shrink_axis_mask=2)
    out = rule([sym((3, 4, 5)), unknown_begin, unknown_begin, nd.constant([1, 1])], attrs3)
    assert out[0][0] == (None, 5)


# ---------------------------------------------------------------------------- parity

PARITY_INDICES = [
    (1, slice(None, None, -1)),
    (Ellipsis, None, slice(1, -1)),
    (slice(-2, None), 3),
    (slice(None, None, -3), Ellipsis, 0),
]


@pytest.mark.parity
@pytest.mark.parametrize("index", PARITY_INDICES, ids=[str(i) for i in range(len(PARITY_INDICES))])
def test_parity_getitem_values_and_gradients(real_tf, index):
    a = A.astype(np.float32)
    x, y = nd.constant(a), real_tf.constant(a)
    with nd.GradientTape() as t1:
        t1.watch(x)
        out1 = x[index]
    with real_tf.GradientTape() as t2:
        t2.watch(y)
        out2 = y[index]
    assert_same(out1, out2)
    assert_same(t1.gradient(out1, x), t2.gradient(out2, y))


@pytest.mark.parity
def test_parity_strided_slice(real_tf):
    a = np.arange(60, dtype=np.float32).reshape(3, 4, 5)
    kw = dict(begin_mask=2, end_mask=4, shrink_axis_mask=1, new_axis_mask=0)
    args = ([2, 0, 1], [3, 2, 4], [1, 1, 2])
    assert_same(
        nd.strided_slice(nd.constant(a), *args, **kw), real_tf.strided_slice(a, *args, **kw)
    )
    assert_same(
        nd.slice(nd.constant(a), [1, 1, 0], [-1, 2, 3]), real_tf.slice(a, [1, 1, 0], [-1, 2, 3])
    )


def _index_parts(rank: int):
    from hypothesis import strategies as st

    bound = st.one_of(st.none(), st.integers(-6, 6))
    step = st.one_of(st.none(), st.integers(-3, 3).filter(lambda s: s != 0))
    part = st.one_of(
        st.integers(-4, 3),
        st.builds(slice, bound, bound, step),
        st.just(None),
        st.just(Ellipsis),
    )
    return st.lists(part, min_size=1, max_size=rank + 1)


@pytest.mark.parity
def test_parity_getitem_drawn_indices(real_tf):
    from hypothesis import given, settings

    a = np.arange(60, dtype=np.float32).reshape(3, 4, 5)

    @settings(max_examples=40, deadline=None)
    @given(parts=_index_parts(3))
    def check(parts):
        index = tuple(parts)
        try:
            expected = real_tf.constant(a)[index]
        except Exception as e:  # noqa: BLE001 - TF's error class is what we compare
            with pytest.raises(
                type(e) if not isinstance(e, real_tf.errors.OpError) else nd.errors.OpError
            ):
                nd.constant(a)[index]
            return
        assert_same(nd.constant(a)[index], expected)

    check()


def test_shrink_axis_with_negative_stride_raises_like_tf():
    with pytest.raises(nd.errors.InvalidArgumentError, match="only stride 1 allowed on non-range"):
        nd.strided_slice(nd.range(3), [1], [0], [-1], shrink_axis_mask=1)
    assert int(nd.strided_slice(nd.range(3), [1], [0], [2], shrink_axis_mask=1)) == 1
