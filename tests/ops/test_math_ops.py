"""Element-wise math ops: forward against NumPy, gradients against finite differences,
parity with real TensorFlow, dtype rules, errors and the Tensor operators."""

from __future__ import annotations

import math

import numpy as np
import pytest
from harness.op_check import check_grads
from harness.tf_compare import assert_same, compare_op
from hypothesis import given, settings
from hypothesis import strategies as st

import ndflow as tf

RNG = np.random.default_rng(0)


def _normal(shape=(2, 3)):
    return RNG.standard_normal(shape)


def _positive(shape=(2, 3)):
    return RNG.uniform(0.5, 2.0, shape)


def _unit(shape=(2, 3)):
    return RNG.uniform(-0.8, 0.8, shape)


def _above_one(shape=(2, 3)):
    return RNG.uniform(1.2, 3.0, shape)


def _erf(x):
    return np.vectorize(math.erf)(x).astype(x.dtype)


# name, NumPy reference, input domain, differentiable
UNARY = [
    ("abs", np.abs, _normal, True),
    ("negative", np.negative, _normal, True),
    ("sign", np.sign, _normal, True),
    ("square", np.square, _normal, True),
    ("sqrt", np.sqrt, _positive, True),
    ("rsqrt", lambda x: 1 / np.sqrt(x), _positive, True),
    ("exp", np.exp, _normal, True),
    ("expm1", np.expm1, _normal, True),
    ("log", np.log, _positive, True),
    ("log1p", np.log1p, _positive, True),
    ("reciprocal", np.reciprocal, _positive, True),
    ("sin", np.sin, _normal, True),
    ("cos", np.cos, _normal, True),
    ("tan", np.tan, _unit, True),
    ("asin", np.arcsin, _unit, True),
    ("acos", np.arccos, _unit, True),
    ("atan", np.arctan, _normal, True),
    ("sinh", np.sinh, _normal, True),
    ("cosh", np.cosh, _normal, True),
    ("tanh", np.tanh, _normal, True),
    ("asinh", np.arcsinh, _normal, True),
    ("acosh", np.arccosh, _above_one, True),
    ("atanh", np.arctanh, _unit, True),
    ("sigmoid", lambda x: 1 / (1 + np.exp(-x)), _normal, True),
    ("erf", _erf, _normal, True),
    ("round", np.round, lambda: _normal() * 3, False),
    ("floor", np.floor, lambda: _normal() * 3, False),
    ("rint", np.rint, lambda: np.round(_normal() * 3) + 0.5, False),
    ("ceil", np.ceil, lambda: _normal() * 3, False),
]
UNARY_IDS = [row[0] for row in UNARY]


@pytest.mark.parametrize("name, ref, domain, diff", UNARY, ids=UNARY_IDS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_unary_forward_matches_numpy(name, ref, domain, diff, dtype):
    x = domain().astype(dtype)
    out = getattr(tf.math, name)(tf.constant(x))
    assert out.dtype == tf.as_dtype(dtype)
    np.testing.assert_allclose(out.numpy(), ref(x), rtol=2e-6 if dtype == np.float32 else 1e-12)


@pytest.mark.parametrize(
    "name, ref, domain, diff", [r for r in UNARY if r[3]], ids=[r[0] for r in UNARY if r[3]]
)
def test_unary_gradient_matches_finite_differences(name, ref, domain, diff):
    x = domain()
    if name in ("abs", "sign"):
        x = np.where(np.abs(x) < 0.1, 0.5, x)  # away from the kink
    check_grads(getattr(tf.math, name), [x])


@pytest.mark.parametrize("name", ["round", "floor", "ceil", "rint"])
def test_rounding_ops_have_no_gradient(name):
    x = tf.constant([0.3, 1.7])
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = getattr(tf.math, name)(x)
    assert tape.gradient(y, x) is None


def test_round_is_bankers_rounding():
    out = tf.round(tf.constant([0.5, 1.5, 2.5, -0.5, -1.5, 2.6]))
    np.testing.assert_array_equal(out.numpy(), [0.0, 2.0, 2.0, -0.0, -2.0, 3.0])
    assert tf.round(tf.constant([1, 2])).dtype == tf.int32


def test_sigmoid_does_not_overflow():
    out = tf.sigmoid(tf.constant([-1000.0, -100.0, 0.0, 100.0, 1000.0])).numpy()
    assert np.all(np.isfinite(out))
    assert out[1] > 0 and out[2] == 0.5 and out[4] == 1.0


@pytest.mark.parametrize(
    "name, dtype",
    [
        ("abs", np.int32),
        ("abs", np.int64),
        ("negative", np.int32),
        ("sign", np.int32),
        ("square", np.int32),
        ("square", np.uint8),
        ("round", np.int32),
    ],
)
def test_integer_unary_ops_match_numpy(name, dtype):
    x = np.array([[-3, 0, 5]], dtype) if dtype != np.uint8 else np.array([[3, 0, 5]], dtype)
    out = getattr(tf.math, name)(tf.constant(x))
    ref = {
        "abs": np.abs,
        "negative": np.negative,
        "sign": np.sign,
        "square": np.square,
        "round": lambda v: v,
    }[name](x)
    assert out.dtype == tf.as_dtype(dtype)
    np.testing.assert_array_equal(out.numpy(), ref)


def test_complex_abs_returns_real_magnitude():
    out = tf.abs(tf.constant([3 + 4j, -1j]))
    assert out.dtype == tf.float64
    np.testing.assert_allclose(out.numpy(), [5.0, 1.0])


@pytest.mark.parametrize(
    "fn, x, op_type, expected",
    [
        (tf.sqrt, [4], "Sqrt", "int32"),
        (tf.sigmoid, [4], "Sigmoid", "int32"),
        (tf.math.floor, [1], "Floor", "int32"),
        (tf.math.is_nan, [1], "IsNan", "int32"),
        (tf.abs, np.array([1], np.uint8), "Abs", "uint8"),
        (tf.negative, [True], "Neg", "bool"),
        (tf.math.log, [2], "Log", "int32"),
    ],
)
def test_unsupported_dtype_raises_invalid_argument(fn, x, op_type, expected):
    with pytest.raises(
        tf.errors.InvalidArgumentError,
        match=rf"Value for attr 'T' of {expected} is not in the list of allowed values.*\[Op:{op_type}\]",
    ):
        fn(tf.constant(x))


@pytest.mark.parity
@pytest.mark.parametrize("name, ref, domain, diff", UNARY, ids=UNARY_IDS)
def test_unary_parity_with_tensorflow(real_tf, name, ref, domain, diff):
    compare_op(tf, real_tf, f"math.{name}", [domain().astype(np.float32)], grad=diff)


# ---------------------------------------------------------------------------- binary

BINARY = [
    ("add", np.add, _normal, _normal),
    ("subtract", np.subtract, _normal, _normal),
    ("multiply", np.multiply, _normal, _normal),
    ("divide", np.divide, _normal, _positive),
    ("truediv", np.true_divide, _normal, _positive),
    ("pow", np.power, _positive, _normal),
    ("maximum", np.maximum, _normal, _normal),
    ("minimum", np.minimum, _normal, _normal),
    ("squared_difference", lambda x, y: np.square(x - y), _normal, _normal),
    ("atan2", np.arctan2, _normal, _normal),
    ("floormod", np.mod, _normal, _positive),
    ("divide_no_nan", np.divide, _normal, _positive),
    ("multiply_no_nan", np.multiply, _normal, _normal),
    ("xlogy", lambda x, y: x * np.log(y), _normal, _positive),
    ("xdivy", np.divide, _normal, _positive),
]
BINARY_IDS = [row[0] for row in BINARY]


@pytest.mark.parametrize("name, ref, dx, dy", BINARY, ids=BINARY_IDS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_binary_forward_matches_numpy(name, ref, dx, dy, dtype):
    x, y = dx((2, 3)).astype(dtype), dy((3,)).astype(dtype)
    out = getattr(tf.math, name)(tf.constant(x), tf.constant(y))
    assert out.dtype == tf.as_dtype(dtype) and out.shape == (2, 3)
    np.testing.assert_allclose(out.numpy(), ref(x, y), rtol=2e-6 if dtype == np.float32 else 1e-12)


@pytest.mark.parametrize("name, ref, dx, dy", BINARY, ids=BINARY_IDS)
def test_binary_gradient_matches_finite_differences(name, ref, dx, dy):
    x, y = dx((2, 3)), dy((3,))
    if name in ("maximum", "minimum"):
        y = y + 0.05  # no ties: finite differences are undefined there
    if name == "floormod":
        x = np.array([[0.3, 1.4, 2.2], [-0.6, 0.9, 1.7]])
        y = np.array([0.7, 1.1, 0.9])
    check_grads(getattr(tf.math, name), [x, y])


@pytest.mark.parametrize(
    "name, ref",
    [
        ("add", np.add),
        ("subtract", np.subtract),
        ("multiply", np.multiply),
        ("maximum", np.maximum),
        ("minimum", np.minimum),
        ("floordiv", np.floor_divide),
        ("floormod", np.mod),
        ("squared_difference", lambda a, b: np.square(a - b)),
    ],
)
@pytest.mark.parametrize("dtype", [np.int32, np.int64, np.uint8])
def test_integer_binary_ops_match_numpy(name, ref, dtype):
    if dtype == np.uint8 and name in ("subtract", "squared_difference"):
        pytest.skip("unsigned wraparound is not part of this table")
    x = np.array([[7, -7, 9], [0, 5, 2]]) if dtype != np.uint8 else np.array([[7, 3, 9], [0, 5, 2]])
    y = np.array([2, 3, 4])
    x, y = x.astype(dtype), y.astype(dtype)
    out = getattr(tf.math, name)(tf.constant(x), tf.constant(y))
    assert out.dtype == tf.as_dtype(dtype)
    np.testing.assert_array_equal(out.numpy(), ref(x, y))


def test_maximum_and_minimum_send_ties_to_x():
    a, b = tf.constant([1.0, 2.0, 3.0]), tf.constant([1.0, 1.0, 4.0])
    with tf.GradientTape(persistent=True) as tape:
        tape.watch([a, b])
        hi, lo = tf.maximum(a, b), tf.minimum(a, b)
    assert [g.numpy().tolist() for g in tape.gradient(hi, [a, b])] == [[1, 1, 0], [0, 0, 1]]
    assert [g.numpy().tolist() for g in tape.gradient(lo, [a, b])] == [[1, 0, 1], [0, 1, 0]]


@pytest.mark.parametrize(
    "in_dtype, out_dtype",
    [
        (np.int8, "float32"),
        (np.int16, "float32"),
        (np.uint8, "float32"),
        (np.uint16, "float32"),
        (np.int32, "float64"),
        (np.int64, "float64"),
        (np.float16, "float16"),
    ],
)
def test_truediv_dtype_rules(in_dtype, out_dtype):
    x = tf.constant(np.array([1, 3], in_dtype))
    assert tf.truediv(x, x).dtype.name == out_dtype
    assert (x / x).dtype.name == out_dtype
    assert tf.math.divide_no_nan(x, x).dtype.name == out_dtype


def test_floor_division_and_modulo():
    np.testing.assert_array_equal(
        tf.math.floordiv(tf.constant([-7.0, 7.5]), tf.constant([2.0, -2.0])).numpy(), [-4.0, -4.0]
    )
    np.testing.assert_array_equal(
        tf.math.floormod(tf.constant([-7.0, 7.5]), tf.constant([2.0, -2.0])).numpy(), [1.0, -0.5]
    )
    np.testing.assert_array_equal(
        tf.math.mod(tf.constant([-7, 7]), tf.constant([2, -2])).numpy(), [1, -1]
    )
    with pytest.raises(
        tf.errors.InvalidArgumentError, match=r"Integer division by zero \[Op:FloorDiv\]"
    ):
        tf.math.floordiv(tf.constant([1]), tf.constant([0]))
    with pytest.raises(
        tf.errors.InvalidArgumentError, match=r"Integer division by zero \[Op:FloorMod\]"
    ):
        tf.math.floormod(tf.constant([1]), tf.constant([0]))


def test_floordiv_has_no_gradient_and_floormod_has_one():
    x, y = tf.constant([5.0, -3.0]), tf.constant([2.0, 2.0])
    with tf.GradientTape(persistent=True) as tape:
        tape.watch([x, y])
        q, r = tf.math.floordiv(x, y), tf.math.floormod(x, y)
    assert tape.gradient(q, x) is None
    gx, gy = tape.gradient(r, [x, y])
    np.testing.assert_array_equal(gx.numpy(), [1.0, 1.0])
    np.testing.assert_array_equal(gy.numpy(), [-2.0, 2.0])


def test_divide_no_nan_is_zero_where_divisor_is_zero():
    out = tf.math.divide_no_nan(tf.constant([1.0, 2.0, 0.0]), tf.constant([0.0, 4.0, 0.0]))
    np.testing.assert_array_equal(out.numpy(), [0.0, 0.5, 0.0])


def test_add_n_sums_same_shape_tensors():
    out = tf.add_n([tf.constant([1, 2]), tf.constant([3, 4]), [5, 5]])
    np.testing.assert_array_equal(out.numpy(), [9, 11])
    check_grads(lambda a, b: tf.add_n([a, b, a]), [_normal(), _normal()])
    with pytest.raises(ValueError, match="at least one Tensor"):
        tf.add_n([])
    with pytest.raises(
        tf.errors.InvalidArgumentError, match=r"input #1\(zero-based\).*int32.*float.*\[Op:AddN\]"
    ):
        tf.add_n([tf.constant([1, 2]), tf.constant([1.0, 2.0])])
    with pytest.raises(
        tf.errors.InvalidArgumentError, match=r"Input 0: \[2\] != input 1: \[3\] \[Op:AddN\]"
    ):
        tf.add_n([tf.constant([1, 2]), tf.constant([1, 2, 3])])


@pytest.mark.parametrize(
    "name", ["add", "maximum", "atan2", "squared_difference", "floormod", "equal", "less"]
)
def test_mismatched_dtypes_name_the_op_and_both_dtypes(name):
    op_type = {
        "add": "AddV2",
        "maximum": "Maximum",
        "atan2": "Atan2",
        "floormod": "FloorMod",
        "squared_difference": "SquaredDifference",
        "equal": "Equal",
        "less": "Less",
    }[name]
    with pytest.raises(
        tf.errors.InvalidArgumentError,
        match=rf"cannot compute {op_type} as input #1\(zero-based\) was expected to be a double "
        rf"tensor but is a float tensor \[Op:{op_type}\]",
    ):
        getattr(tf.math, name)(tf.constant([1.0], tf.float64), tf.constant([1.0], tf.float32))


@pytest.mark.parametrize(
    "name",
    [
        "add",
        "multiply",
        "maximum",
        "atan2",
        "squared_difference",
        "floormod",
        "equal",
        "less",
        "logical_and",
    ],
)
def test_incompatible_shapes_name_the_op_and_both_shapes(name):
    op_type = {
        "add": "AddV2",
        "multiply": "Mul",
        "maximum": "Maximum",
        "atan2": "Atan2",
        "floormod": "FloorMod",
        "squared_difference": "SquaredDifference",
        "equal": "Equal",
        "less": "Less",
        "logical_and": "LogicalAnd",
    }[name]
    dtype = tf.bool if name == "logical_and" else tf.float32
    a = tf.cast(tf.constant([1.0, 2.0]), dtype)
    b = tf.cast(tf.constant([1.0, 2.0, 3.0]), dtype)
    with pytest.raises(
        tf.errors.InvalidArgumentError,
        match=rf"Incompatible shapes: \[2\] vs. \[3\] \[Op:{op_type}\]",
    ):
        getattr(tf.math, name)(a, b)


@pytest.mark.parity
@pytest.mark.parametrize(
    "shapes", [((6, 2), (6, 3)), ((2, 3), (4, 5)), ((None, 3), (4, 5)), ((6, 2, 4), (3, 1))]
)
def test_traced_broadcast_errors_word_it_as_tensorflow(real_tf, shapes):
    # While tracing, TF's shape inference names the first unequal dimensions (eagerly it
    # says "Incompatible shapes", above).
    def message(lib):
        f = lib.function(lambda a, b: lib.math.squared_difference(a, b), autograph=False)
        with pytest.raises(ValueError) as info:
            f.get_concrete_function(*(lib.TensorSpec(s) for s in shapes))
        return str(info.value)

    ours, theirs = message(tf), message(real_tf)
    assert ours.split(" for '")[0] == theirs.split(" for '")[0]
    assert ours.split("with input shapes: ")[1] == theirs.split("with input shapes: ")[1]


_SHAPES = st.lists(st.integers(1, 3), min_size=0, max_size=3)


@st.composite
def _broadcast_pair(draw):
    out = draw(_SHAPES)

    def sub(shape):
        dims = [d if draw(st.booleans()) else 1 for d in shape]
        return dims[draw(st.integers(0, len(dims))) :]

    return tuple(sub(out)), tuple(sub(out))


@pytest.mark.parity
@pytest.mark.parametrize("name, ref, dx, dy", BINARY, ids=BINARY_IDS)
@settings(max_examples=8, deadline=None)
@given(shapes=_broadcast_pair())
def test_binary_parity_with_tensorflow_on_broadcast_shapes(real_tf, name, ref, dx, dy, shapes):
    sx, sy = shapes
    x, y = dx(sx).astype(np.float32), dy(sy).astype(np.float32)
    if name == "floormod":
        x = (np.round(x * 10) + 0.5).astype(np.float32) / 10  # keep away from jumps
    compare_op(tf, real_tf, f"math.{name}", [x, y], rtol=1e-5, atol=1e-5)


@pytest.mark.parity
@pytest.mark.parametrize(
    "name",
    [
        "equal",
        "not_equal",
        "less",
        "less_equal",
        "greater",
        "greater_equal",
        "floordiv",
        "floormod",
        "maximum",
        "minimum",
        "truediv",
        "divide_no_nan",
        "squared_difference",
    ],
)
@pytest.mark.parametrize("dtype", [np.int32, np.int64, np.float64])
def test_dtype_parity_with_tensorflow(real_tf, name, dtype):
    x = np.array([[-7, 0, 9], [4, 5, -2]], dtype)
    y = np.array([2, 3, -4], dtype)
    compare_op(tf, real_tf, f"math.{name}", [x, y], grad=False)


# ---------------------------------------------------------------------------- comparisons


COMPARE = [
    ("equal", np.equal),
    ("not_equal", np.not_equal),
    ("less", np.less),
    ("less_equal", np.less_equal),
    ("greater", np.greater),
    ("greater_equal", np.greater_equal),
]


@pytest.mark.parametrize("name, ref", COMPARE, ids=[c[0] for c in COMPARE])
@pytest.mark.parametrize("dtype", [np.float32, np.int32, np.uint8])
def test_comparisons_match_numpy(name, ref, dtype):
    x = np.array([[1, 2, 3], [3, 2, 1]], dtype)
    y = np.array([2, 2, 2], dtype)
    out = getattr(tf.math, name)(tf.constant(x), tf.constant(y))
    assert out.dtype == tf.bool
    np.testing.assert_array_equal(out.numpy(), ref(x, y))


def test_equality_of_strings_and_bools():
    np.testing.assert_array_equal(tf.equal(tf.constant(["a", "b"]), "a").numpy(), [True, False])
    np.testing.assert_array_equal(
        tf.not_equal(tf.constant([True, False]), True).numpy(), [False, True]
    )


def test_less_rejects_bool():
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"\[Op:Less\]"):
        tf.less(tf.constant([True]), tf.constant([False]))


def test_logical_ops():
    a, b = tf.constant([True, True, False, False]), tf.constant([True, False, True, False])
    np.testing.assert_array_equal(tf.logical_and(a, b).numpy(), [True, False, False, False])
    np.testing.assert_array_equal(tf.logical_or(a, b).numpy(), [True, True, True, False])
    np.testing.assert_array_equal(tf.math.logical_xor(a, b).numpy(), [False, True, True, False])
    np.testing.assert_array_equal(tf.logical_not(a).numpy(), [False, False, True, True])
    with pytest.raises(
        tf.errors.InvalidArgumentError,
        match=r"cannot compute LogicalAnd as input #0\(zero-based\) was expected to be a bool tensor but is a int32 tensor",
    ):
        tf.logical_and(tf.constant([1]), tf.constant([1]))


def test_float_classifiers():
    x = tf.constant([1.0, np.nan, np.inf, -np.inf])
    np.testing.assert_array_equal(tf.math.is_nan(x).numpy(), [False, True, False, False])
    np.testing.assert_array_equal(tf.math.is_inf(x).numpy(), [False, False, True, True])
    np.testing.assert_array_equal(tf.math.is_finite(x).numpy(), [True, False, False, False])


# ---------------------------------------------------------------------------- operators


def test_eq_and_ne_are_element_wise_with_broadcasting():
    t = tf.constant([[1, 2], [3, 2]])
    np.testing.assert_array_equal((t == 2).numpy(), [[False, True], [False, True]])
    np.testing.assert_array_equal(
        (t != tf.constant([1, 2])).numpy(), [[False, False], [True, False]]
    )
    np.testing.assert_array_equal((2 == t).numpy(), [[False, True], [False, True]])


def test_eq_with_incompatible_shapes_is_a_scalar():
    a, b = tf.constant([1, 2]), tf.constant([1, 2, 3])
    eq, ne = a == b, a != b
    assert eq.shape == () and not bool(eq)
    assert ne.shape == () and bool(ne)


def test_eq_with_none_and_bad_types():
    t = tf.constant([1, 2])
    assert (t == None) is False  # noqa: E711
    assert (t != None) is True  # noqa: E711
    with pytest.raises(TypeError, match="Cannot convert 1.5 to EagerTensor of dtype int32"):
        t == 1.5  # noqa: B015
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"\[Op:Equal\]"):
        t == tf.constant([1.0, 2.0])  # noqa: B015


def test_tensors_stay_unhashable_after_eq():
    with pytest.raises(TypeError, match="unhashable"):
        hash(tf.constant(1))
    assert {tf.constant(1).ref()}


def test_floordiv_mod_abs_operators():
    t = tf.constant([7, -7])
    np.testing.assert_array_equal((t // 2).numpy(), [3, -4])
    np.testing.assert_array_equal((15 // tf.constant([4])).numpy(), [3])
    np.testing.assert_array_equal((t % 3).numpy(), [1, 2])
    np.testing.assert_array_equal((10 % tf.constant([4])).numpy(), [2])
    np.testing.assert_array_equal(abs(tf.constant([-1.5, 2.0])).numpy(), [1.5, 2.0])


def test_bool_and_int_logic_operators():
    a, b = tf.constant([True, False]), tf.constant([True, True])
    np.testing.assert_array_equal((a & b).numpy(), [True, False])
    np.testing.assert_array_equal((a | False).numpy(), [True, False])
    np.testing.assert_array_equal((a ^ b).numpy(), [False, True])
    np.testing.assert_array_equal((~a).numpy(), [False, True])
    np.testing.assert_array_equal((True & a).numpy(), [True, False])
    i = tf.constant([5, 6])
    np.testing.assert_array_equal((i & 3).numpy(), [1, 2])
    np.testing.assert_array_equal((3 | i).numpy(), [7, 7])
    np.testing.assert_array_equal((i ^ tf.constant([1, 1])).numpy(), [4, 7])
    np.testing.assert_array_equal((~i).numpy(), [-6, -7])
    with pytest.raises(
        tf.errors.InvalidArgumentError, match=r"Value for attr 'T' of float .*\[Op:BitwiseAnd\]"
    ):
        tf.constant([1.0]) & tf.constant([2.0])
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"\[Op:Invert\]"):
        ~tf.constant([1.0])


@pytest.mark.parity
def test_operator_parity_with_tensorflow(real_tf):
    x = np.array([[7, -7, 3]], np.int32)
    y = np.array([2, 3, -2], np.int32)
    for fn in (
        lambda a, b: a // b,
        lambda a, b: a % b,
        lambda a, b: a == b,
        lambda a, b: a != b,
        lambda a, b: a & b,
        lambda a, b: a | b,
        lambda a, b: a ^ b,
        lambda a, b: ~a,
        lambda a, b: abs(a),
    ):
        assert_same(
            fn(tf.constant(x), tf.constant(y)), fn(real_tf.constant(x), real_tf.constant(y))
        )
    assert_same(
        tf.constant([1, 2]) == tf.constant([1, 2, 3]),
        real_tf.constant([1, 2]) == real_tf.constant([1, 2, 3]),
    )


def test_second_derivative_through_sigmoid_and_tanh():
    x = tf.constant(0.3, tf.float64)
    with tf.GradientTape() as outer:
        outer.watch(x)
        with tf.GradientTape() as inner:
            inner.watch(x)
            y = tf.sigmoid(x) + tf.tanh(x)
        dy = inner.gradient(y, x)
    d2 = outer.gradient(dy, x).numpy()
    s, t = 1 / (1 + np.exp(-0.3)), np.tanh(0.3)
    np.testing.assert_allclose(d2, s * (1 - s) * (1 - 2 * s) - 2 * t * (1 - t * t), rtol=1e-10)


def test_public_names_exist_where_tensorflow_puts_them():
    for name in ("sigmoid", "tanh", "abs", "maximum", "round", "floor", "add_n", "equal", "atan2"):
        assert hasattr(tf, name) and hasattr(tf.math, name), name
    for name in (
        "floordiv",
        "floormod",
        "mod",
        "rsqrt",
        "expm1",
        "log",
        "log1p",
        "erf",
        "ceil",
        "squared_difference",
        "logical_xor",
        "is_nan",
        "divide_no_nan",
        "reciprocal",
    ):
        assert hasattr(tf.math, name) and not hasattr(tf, name), name


def test_truncating_division_rounds_toward_zero():
    x, y = tf.constant([-7, 7, -6, 7]), tf.constant([2, -2, 3, 7])
    np.testing.assert_array_equal(tf.truncatediv(x, y).numpy(), [-3, -3, -2, 1])
    np.testing.assert_array_equal(tf.truncatemod(x, y).numpy(), [-1, 1, 0, 0])
    np.testing.assert_array_equal(
        tf.truncatediv(tf.constant([-7.5, 7.5]), 2.0).numpy(), [-3.0, 3.0]
    )
    with pytest.raises(
        tf.errors.InvalidArgumentError, match=r"Integer division by zero \[Op:TruncateDiv\]"
    ):
        tf.truncatediv(tf.constant([1]), 0)


def test_no_nan_variants_zero_out_where_defined():
    inf = float("inf")
    out = tf.math.multiply_no_nan(tf.constant([inf, np.nan, 2.0]), tf.constant([0.0, 0.0, 3.0]))
    np.testing.assert_array_equal(out.numpy(), [0.0, 0.0, 6.0])
    np.testing.assert_array_equal(
        tf.math.xlogy(tf.constant([0.0, 1.0]), tf.constant([0.0, 1.0])).numpy(), [0.0, 0.0]
    )
    np.testing.assert_array_equal(
        tf.math.xdivy(tf.constant([0.0, 1.0]), tf.constant([0.0, 2.0])).numpy(), [0.0, 0.5]
    )
    np.testing.assert_array_equal(
        tf.math.reciprocal_no_nan(tf.constant([0.0, 4.0])).numpy(), [0.0, 0.25]
    )
    np.testing.assert_array_equal(
        tf.realdiv(tf.constant([1.0]), tf.constant([4.0])).numpy(), [0.25]
    )
    assert tf.math.scalar_mul(2, tf.constant([1.5])).numpy().tolist() == [3.0]
    with pytest.raises(ValueError, match="must be a 0-D tensor"):
        tf.math.scalar_mul(tf.constant([1.0, 2.0]), tf.constant([1.0]))


@pytest.mark.parity
@pytest.mark.parametrize("name", ["truncatediv", "truncatemod"])
@pytest.mark.parametrize("dtype", [np.int32, np.int64, np.float32])
def test_truncating_parity(real_tf, name, dtype):
    x = np.array([[-7, 7, -6], [5, -5, 9]], dtype)
    y = np.array([2, -2, 4], dtype)
    compare_op(tf, real_tf, name, [x, y], grad=False)


def test_division_type_errors_match_tensorflow():
    with pytest.raises(
        TypeError, match=r"`x` and `y` must have the same dtype, got tf.int32 != tf.float32."
    ):
        tf.constant([1]) / tf.constant([1.0])
    with pytest.raises(
        TypeError, match=r"Invalid dtype tf.bool in __truediv__. Expected one of \{tf.uint8"
    ):
        tf.truediv(tf.constant([True]), tf.constant([True]))
    with pytest.raises(TypeError, match=r"Invalid dtype tf.bool in tf.math.divide_no_nan"):
        tf.math.divide_no_nan(tf.constant([True]), tf.constant([True]))


def test_arithmetic_rejects_bool_and_round_keeps_integers():
    with pytest.raises(
        tf.errors.InvalidArgumentError, match=r"Value for attr 'T' of bool .*\[Op:AddV2\]"
    ):
        tf.add(tf.constant([True]), tf.constant([False]))
    with pytest.raises(
        tf.errors.InvalidArgumentError, match=r"Value for attr 'T' of bool .*\[Op:Mul\]"
    ):
        tf.constant([True]) * tf.constant([False])
    u = tf.constant(np.array([3, 250], np.uint8))
    assert tf.round(u) is u
    np.testing.assert_array_equal(tf.add(tf.constant(["a"]), "b").numpy(), [b"ab"])


@pytest.mark.parity
@pytest.mark.parametrize(
    "name",
    ["equal", "not_equal", "less", "greater_equal", "logical_and", "logical_or", "logical_xor"],
)
@settings(max_examples=6, deadline=None)
@given(shapes=_broadcast_pair())
def test_comparison_and_logical_parity_on_broadcast_shapes(real_tf, name, shapes):
    sx, sy = shapes
    rng = np.random.default_rng(len(sx) * 7 + len(sy))
    if name.startswith("logical"):
        x, y = rng.random(sx) > 0.5, rng.random(sy) > 0.5
    else:
        x, y = rng.integers(0, 3, sx).astype(np.int32), rng.integers(0, 3, sy).astype(np.int32)
    compare_op(tf, real_tf, f"math.{name}", [np.asarray(x), np.asarray(y)], grad=False)


@pytest.mark.parity
@settings(max_examples=10, deadline=None)
@given(a=_SHAPES, b=_SHAPES)
def test_eq_operator_parity_on_arbitrary_shapes(real_tf, a, b):
    x, y = np.ones(a, np.float32), np.ones(b, np.float32)
    assert_same(tf.constant(x) == tf.constant(y), real_tf.constant(x) == real_tf.constant(y))
    assert_same(tf.constant(x) != tf.constant(y), real_tf.constant(x) != real_tf.constant(y))


def test_complex_parts_and_their_gradients():
    z = tf.complex(tf.constant([1.0, -3.0], tf.float64), tf.constant([2.0, -1.0], tf.float64))
    assert z.dtype == tf.complex128
    np.testing.assert_array_equal(tf.math.real(z).numpy(), [1.0, -3.0])
    np.testing.assert_array_equal(tf.math.imag(z).numpy(), [2.0, -1.0])
    np.testing.assert_array_equal(tf.math.conj(z).numpy(), [1 - 2j, -3 + 1j])
    np.testing.assert_allclose(tf.math.angle(z).numpy(), np.angle([1 + 2j, -3 - 1j]))
    x = tf.constant([1.5, -2.0])
    assert tf.math.real(x) is x and tf.math.conj(x) is x
    np.testing.assert_allclose(tf.math.angle(x).numpy(), [0.0, np.pi])
    check_grads(lambda a, b: tf.math.angle(tf.complex(a, b)), [_normal(), _normal()])
    check_grads(lambda a, b: tf.abs(tf.complex(a, b)), [_normal(), _normal()])
    check_grads(
        lambda a, b: tf.math.imag(tf.math.conj(tf.complex(a, b)) * tf.complex(b, a)),
        [_normal(), _normal()],
    )
    with pytest.raises(TypeError, match="must be consistent"):
        tf.complex(tf.constant([1.0]), tf.constant([1.0], tf.float64))


@pytest.mark.parity
def test_complex_parity(real_tf):
    re, im = _normal().astype(np.float32), _normal().astype(np.float32)
    for fn in ("real", "imag", "angle", "conj"):
        compare_op(tf, real_tf, f"math.{fn}", [(re + 1j * im).astype(np.complex64)], grad=False)
    compare_op(tf, real_tf, "complex", [re, im], grad=False)
    z = (re + 1j * im).astype(np.complex128)
    compare_op(tf, real_tf, "math.reduce_variance", [z], grad=False)
    for fn in ("abs", "angle", "real", "imag"):
        nd_re, nd_im = tf.constant(re), tf.constant(im)
        tf_re, tf_im = real_tf.constant(re), real_tf.constant(im)
        with tf.GradientTape() as t1:
            t1.watch([nd_re, nd_im])
            y1 = getattr(tf.math, fn)(tf.complex(nd_re, nd_im))
        with real_tf.GradientTape() as t2:
            t2.watch([tf_re, tf_im])
            y2 = getattr(real_tf.math, fn)(real_tf.complex(tf_re, tf_im))
        for a, b in zip(t1.gradient(y1, [nd_re, nd_im]), t2.gradient(y2, [tf_re, tf_im])):
            assert_same(a, b, rtol=1e-4, atol=1e-5)


@pytest.mark.parity
@pytest.mark.parametrize(
    "name",
    [
        "exp",
        "log",
        "sqrt",
        "rsqrt",
        "square",
        "reciprocal",
        "sin",
        "cos",
        "tanh",
        "sigmoid",
        "expm1",
        "log1p",
        "sinh",
        "asinh",
        "atan",
    ],
)
def test_complex_gradient_parity(real_tf, name):
    re, im = _positive().astype(np.float64), _unit().astype(np.float64)

    def run(lib):
        a, b = lib.constant(re), lib.constant(im)
        with lib.GradientTape() as tape:
            tape.watch([a, b])
            y = getattr(lib.math, name)(lib.complex(a, b))
            z = y * lib.complex(lib.constant(im), lib.constant(re))  # exercises Mul's rule
            loss = lib.math.real(z) + 0.5 * lib.math.imag(z)
        return tape.gradient(loss, [a, b])

    for g1, g2 in zip(run(tf), run(real_tf)):
        assert_same(g1, g2, rtol=1e-6, atol=1e-8)


@pytest.mark.parity
@pytest.mark.parametrize(
    "x, dtype",
    [
        (np.array([1.7, -1.7, 0.5], np.float32), "int32"),
        (np.array([1.7, -1.7, 0.5], np.float64), "float32"),
        (np.array([2, 0, -1], np.int32), "bool"),
        (np.array([True, False]), "float32"),
        (np.array([300, -1], np.int32), "uint8"),
        (np.array([1 + 2j, -3j], np.complex64), "float32"),
        (np.array([1.5, 2.5], np.float32), "complex64"),
        (np.array([1.5, 2.5], np.float32), "bfloat16"),
        (np.array([1.5, 2.5], np.float32), "float16"),
    ],
)
def test_cast_parity(real_tf, x, dtype):
    compare_op(tf, real_tf, "cast", [x, dtype])


def test_cast_gradient_flows_between_floats_only():
    x = tf.constant([1.5, 2.5])
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(x)
        y = tf.cast(x, tf.float64) * 2.0
        z = tf.cast(tf.cast(x, tf.int32), tf.float32)
    g = tape.gradient(y, x)
    assert g.dtype == tf.float32 and g.numpy().tolist() == [2.0, 2.0]
    assert tape.gradient(z, x) is None
    assert tf.cast(x, tf.float32) is x
