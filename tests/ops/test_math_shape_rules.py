"""Every math-family op's shape rule agrees with its kernel (shape and dtype), so graphs
built from the rules see what eager execution produces."""

from __future__ import annotations

import numpy as np
import pytest

import ndflow as tf
from ndflow._src.core.tensor_shape import TensorShape
from ndflow._src.framework import op_registry
from ndflow._src.framework.tensor import Tensor, wrap

MODULES = ("math_ops", "unary_ops", "reduction_ops", "sort_ops", "segment_ops", "bitwise_ops")


class _Symbolic(Tensor):
    """A stand-in for a graph tensor: known dtype, partly known shape, no value."""

    __slots__ = ("_dims",)

    @property
    def shape(self) -> TensorShape:
        return TensorShape._from_tuple(self._dims)


def _symbolic(array: np.ndarray, dims) -> Tensor:
    t = object.__new__(_Symbolic)
    t._value = None
    t._dtype = tf.as_dtype(array.dtype)
    t._dims = dims
    return t


def _check_rule(opdef, inputs, attrs, outs):
    rules = opdef.shape(inputs, attrs)
    assert len(rules) == len(outs), opdef.name
    for (dims, dtype), o in zip(rules, outs):
        o = np.asarray(o)
        assert dtype.name == tf.as_dtype(o.dtype).name, (opdef.name, dtype, o.dtype)
        assert dims is None or len(dims) == o.ndim, (opdef.name, dims, o.shape)
        if dims is not None:
            for d, n in zip(dims, o.shape):
                assert d is None or d == n, (opdef.name, dims, o.shape)


@pytest.fixture
def checked_kernels():
    """Wraps every registered kernel so each eager call also runs the shape rule."""
    seen: set[str] = set()
    originals = {}
    for name, opdef in op_registry.registered_ops().items():
        if opdef.shape is None:
            continue
        originals[name] = opdef.kernel

        def kernel(*arrays, _orig=opdef.kernel, _opdef=opdef, **attrs):
            out = _orig(*arrays, **attrs)
            outs = out if isinstance(out, tuple) else (out,)
            arrays = [np.asarray(a) for a in arrays]
            # Eager inputs, then graph-like ones: every dimension unknown, then unknown rank.
            _check_rule(_opdef, [wrap(a) for a in arrays], attrs, outs)
            _check_rule(_opdef, [_symbolic(a, (None,) * a.ndim) for a in arrays], attrs, outs)
            _check_rule(_opdef, [_symbolic(a, None) for a in arrays], attrs, outs)
            seen.add(_opdef.name)
            return out

        opdef.kernel = kernel
    yield seen
    for name, k in originals.items():
        op_registry.get_op(name).kernel = k


def test_shape_rules_agree_with_kernels(checked_kernels):
    x = tf.constant(np.random.default_rng(0).standard_normal((2, 3, 4)).astype(np.float32))
    i = tf.constant([[5, 3, 1], [2, 0, 7]])
    b = tf.constant([[True, False, True], [False, False, True]])
    for fn in (
        "abs",
        "sign",
        "sqrt",
        "rsqrt",
        "exp",
        "expm1",
        "log",
        "log1p",
        "reciprocal",
        "sin",
        "cos",
        "tan",
        "asin",
        "acos",
        "atan",
        "sinh",
        "cosh",
        "tanh",
        "asinh",
        "acosh",
        "atanh",
        "sigmoid",
        "erf",
        "round",
        "floor",
        "ceil",
        "is_nan",
        "is_inf",
        "is_finite",
        "negative",
        "square",
    ):
        getattr(tf.math, fn)(x)
    tf.abs(tf.constant([1 + 1j]))
    for fn in (
        "add",
        "subtract",
        "multiply",
        "divide",
        "pow",
        "maximum",
        "minimum",
        "squared_difference",
        "atan2",
        "floordiv",
        "floormod",
        "divide_no_nan",
        "equal",
        "not_equal",
        "less",
        "less_equal",
        "greater",
        "greater_equal",
    ):
        getattr(tf.math, fn)(x, tf.constant(np.ones(4, np.float32)))
    _ = x == tf.constant([1.0, 2.0])
    tf.add_n([x, x])
    for fn in ("logical_and", "logical_or", "logical_xor"):
        getattr(tf.math, fn)(b, b)
    tf.logical_not(b)
    for fn in (
        "reduce_sum",
        "reduce_mean",
        "reduce_max",
        "reduce_min",
        "reduce_prod",
        "reduce_logsumexp",
        "reduce_std",
        "reduce_euclidean_norm",
    ):
        for axis in (None, 1, [0, 2]):
            for keepdims in (False, True):
                getattr(tf.math, fn)(x, axis=axis, keepdims=keepdims)
    tf.reduce_any(b, 1)
    tf.reduce_all(b, keepdims=True)
    tf.math.count_nonzero(i, 0)
    tf.argmax(x, 2)
    tf.argmin(x, 1, output_type=tf.int32)
    tf.cumsum(x, 1, exclusive=True)
    tf.math.cumprod(x, 2, reverse=True)
    tf.math.top_k(x, 2)
    tf.sort(x, axis=1)
    tf.argsort(x, direction="DESCENDING")
    tf.math.segment_sum(i, tf.constant([0, 2]))
    tf.math.unsorted_segment_sum(x, tf.constant([[0, 1, 0], [2, 2, 1]]), 3)
    for fn in ("segment_mean", "segment_max", "segment_min", "segment_prod"):
        getattr(tf.math, fn)(x, tf.constant([0, 2]))
    for fn in (
        "unsorted_segment_max",
        "unsorted_segment_min",
        "unsorted_segment_prod",
        "unsorted_segment_mean",
        "unsorted_segment_sqrt_n",
    ):
        getattr(tf.math, fn)(x, tf.constant([[0, 1, 0], [2, 2, -1]]), 4)
    tf.math.bincount(i)
    tf.math.bincount(i, axis=-1, weights=tf.cast(i, tf.float32))
    for fn in ("bitwise_and", "bitwise_or", "bitwise_xor", "left_shift", "right_shift"):
        getattr(tf.bitwise, fn)(i, tf.constant([1, 2, 1]))
    tf.bitwise.invert(i)
    tf.bitcast(x, tf.int16)
    tf.bitcast(tf.constant([[1, 2]], tf.int16), tf.int32)
    tf.saturate_cast(x, tf.uint8)
    tf.math.cumulative_logsumexp(x, 1, exclusive=True)
    tf.math.erfc(x)
    tf.math.xlog1py(x, x)
    tf.math.nextafter(x, x)
    tf.math.is_non_decreasing(i)
    tf.math.invert_permutation([2, 0, 1])
    z = tf.complex(x, x)
    for fn in ("real", "imag", "conj", "angle"):
        getattr(tf.math, fn)(z)
    tf.truncatediv(i, 2)
    tf.truncatemod(i, 2)
    tf.math.multiply_no_nan(x, x)
    tf.math.xdivy(x, x)
    tf.math.in_top_k(tf.constant([0, 1]), tf.constant([[1.0, 2.0], [3.0, 0.0]]), 1)
    tf.clip_by_value(x, 0.0, 1.0)
    tf.clip_by_norm(x, 1.0, axes=[1])
    tf.math.l2_normalize(x, 1)
    expected = {
        "Abs",
        "Sqrt",
        "Maximum",
        "Equal",
        "AddN",
        "Max",
        "Prod",
        "EuclideanNorm",
        "ArgMax",
        "Cumsum",
        "Cumprod",
        "TopKV2",
        "ArgSort",
        "TakeAlongAxis",
        "SegmentSum",
        "UnsortedSegmentSum",
        "DenseBincount",
        "BitwiseAnd",
        "Invert",
        "Bitcast",
        "ComplexAbs",
        "DivNoNan",
        "FloorMod",
        "FloorDiv",
        "Atan2",
    }
    assert expected <= checked_kernels, expected - checked_kernels


def test_gradient_helper_shape_rules(checked_kernels):
    x = tf.constant(np.random.default_rng(1).standard_normal((3, 4)))
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(x)
        ys = [
            tf.math.top_k(x, 2).values,
            tf.sort(x, 0),
            tf.math.segment_sum(x, tf.constant([0, 0, 1])),
            tf.math.unsorted_segment_sum(x, tf.constant([1, -1, 1]), 2),
        ]
    for y in ys:
        tape.gradient(y, x)
    assert {"ScatterAlongAxis", "GatherSegments"} <= checked_kernels
