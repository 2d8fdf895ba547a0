"""tf.random: shapes, dtypes, distributions, seed rules, gradients and errors."""

from __future__ import annotations

import math

import numpy as np
import pytest

import ndflow as nd
from ndflow._src.framework.execute import execute
from ndflow._src.ops import random_ops

N = 200_000  # large samples: moments to ~3 decimal places, still milliseconds


@pytest.fixture(autouse=True)
def _fresh_seed():
    nd.random.set_seed(None)
    yield
    nd.random.set_seed(None)


def _np(t):
    return np.asarray(t.numpy())


# ---------------------------------------------------------------------------- shapes, dtypes

# (name, args, kwargs, (lo, hi) bounds or None)
SAMPLERS = [
    ("normal", ([2, 3],), {}, None),
    ("normal", ((4,),), {"dtype": "float64", "mean": 1.0, "stddev": 2.0}, None),
    ("normal", ([],), {"dtype": "float16"}, None),
    ("uniform", ([3, 2],), {}, (0.0, 1.0)),
    ("uniform", ([5],), {"minval": -2.0, "maxval": 3.0, "dtype": "float64"}, (-2.0, 3.0)),
    ("uniform", ([50],), {"maxval": 5, "dtype": "int32"}, (0, 5)),
    ("uniform", ([50],), {"minval": -3, "maxval": 2, "dtype": "int64"}, (-3, 2)),
    ("uniform", ([64],), {"dtype": "bfloat16"}, (0.0, 1.0)),
    ("truncated_normal", ([100],), {}, (-2.0, 2.0)),
    ("truncated_normal", ([10, 2],), {"mean": 5.0, "stddev": 0.5, "dtype": "float64"}, (4.0, 6.0)),
    ("gamma", ([7],), {"alpha": [0.5, 2.0]}, (0.0, math.inf)),
    ("gamma", ([3],), {"alpha": 2.0, "beta": [1.0, 3.0], "dtype": "float64"}, (0.0, math.inf)),
    ("poisson", ([4],), {"lam": [1.0, 3.0, 9.0]}, (0.0, math.inf)),
    ("poisson", ([4],), {"lam": 2.0, "dtype": "int64"}, (0, math.inf)),
    ("stateless_uniform", ([3],), {"seed": [1, 2]}, (0.0, 1.0)),
    ("stateless_uniform", ([30],), {"seed": [1, 2], "maxval": 4, "dtype": "int32"}, (0, 4)),
    ("stateless_uniform", ([3],), {"seed": [1, 2], "minval": None, "dtype": "int64"}, None),
    ("stateless_normal", ([2, 2],), {"seed": (3, 4)}, None),
    ("stateless_truncated_normal", ([50],), {"seed": [5, 6]}, (-2.0, 2.0)),
    ("stateless_gamma", ([2, 3],), {"seed": [1, 2], "alpha": [1.0, 2.0, 3.0]}, (0.0, math.inf)),
    ("stateless_poisson", ([2],), {"seed": [1, 2], "lam": 3.0}, (0, math.inf)),
    ("stateless_poisson", ([4, 2],), {"seed": [1, 2], "lam": [1.0, 9.0]}, (0, math.inf)),
    ("stateless_binomial", ([6],), {"seed": [1, 2], "counts": 5.0, "probs": 0.5}, (0, 5)),
]


def _resolve(mod, name, kwargs):
    kwargs = dict(kwargs)
    if "dtype" in kwargs:
        kwargs["dtype"] = getattr(mod, kwargs["dtype"])
    if name == "stateless_uniform" and kwargs.get("minval", 0) is None:
        kwargs["maxval"] = None
    return getattr(mod.random, name), kwargs


@pytest.mark.parametrize("name,args,kwargs,bounds", SAMPLERS)
def test_sampler_dtype_shape_and_bounds_match_numpy_expectations(name, args, kwargs, bounds):
    fn, kw = _resolve(nd, name, kwargs)
    out = fn(*args, **kw)
    values = _np(out).astype(np.float64)
    assert np.all(np.isfinite(values))
    if bounds is not None:
        lo, hi = bounds
        assert values.min() >= lo
        assert (
            values.max() < hi
            or (name.endswith("truncated_normal") and values.max() <= hi)
            or ("binomial" in name and values.max() <= hi)
        )


@pytest.mark.parametrize("name,args,kwargs,bounds", SAMPLERS)
def test_sampler_shape_rules_agree_with_kernels(monkeypatch, name, args, kwargs, bounds):
    from ndflow._src.ops import candidate_sampling_ops, stateful_random_ops, stateless_random_ops

    from ._shape_rule_check import checking_execute

    for module in (random_ops, stateful_random_ops, stateless_random_ops, candidate_sampling_ops):
        monkeypatch.setattr(module, "execute", checking_execute)
    fn, kw = _resolve(nd, name, kwargs)
    fn(*args, **kw)
    nd.random.categorical([[0.0, 1.0]], 3)
    nd.random.shuffle([1, 2, 3])
    nd.random.log_uniform_candidate_sampler([[1]], 1, 3, True, 10)
    g = nd.random.Generator.from_seed(1)
    g.normal([2, 2]), g.uniform([3], maxval=4, dtype=nd.int32), g.make_seeds(2), g.state


@pytest.mark.parity
@pytest.mark.parametrize("name,args,kwargs,bounds", SAMPLERS)
def test_sampler_dtype_and_shape_match_tensorflow(real_tf, name, args, kwargs, bounds):
    nd_fn, nd_kw = _resolve(nd, name, kwargs)
    tf_fn, tf_kw = _resolve(real_tf, name, kwargs)
    a, b = nd_fn(*args, **nd_kw), tf_fn(*args, **tf_kw)
    assert a.dtype.name == b.dtype.name
    assert tuple(a.shape) == tuple(b.shape)
    if bounds is not None:
        for v in (_np(a), b.numpy()):
            v = np.asarray(v, np.float64)
            assert v.min() >= bounds[0] and v.max() <= bounds[1]


@pytest.mark.parametrize(
    "shape",
    [[2, 3], (2, 3), np.array([2, 3]), nd.TensorShape([2, 3]), "tensor32", "tensor64"],
)
def test_shape_may_be_list_tuple_array_tensorshape_or_int_tensor(shape):
    if isinstance(shape, str) and shape == "tensor32":
        shape = nd.constant([2, 3])
    elif isinstance(shape, str):
        shape = nd.constant(np.array([2, 3], np.int64))
    assert tuple(nd.random.uniform(shape).shape) == (2, 3)
    assert tuple(nd.random.normal(shape).shape) == (2, 3)


@pytest.mark.parity
def test_categorical_and_shuffle_dtypes_match_tensorflow(real_tf):
    logits = np.log(np.array([[0.2, 0.8], [0.5, 0.5]], np.float32))
    for kw in ({}, {"dtype": "int32"}):
        nd_kw = {k: getattr(nd, v) for k, v in kw.items()}
        tf_kw = {k: getattr(real_tf, v) for k, v in kw.items()}
        a = nd.random.categorical(nd.constant(logits), 5, **nd_kw)
        b = real_tf.random.categorical(real_tf.constant(logits), 5, **tf_kw)
        assert (a.dtype.name, tuple(a.shape)) == (b.dtype.name, tuple(b.shape))
    a = nd.random.shuffle([[1, 2], [3, 4], [5, 6]])
    b = real_tf.random.shuffle([[1, 2], [3, 4], [5, 6]])
    assert (a.dtype.name, tuple(a.shape)) == (b.dtype.name, tuple(b.shape))
    s = nd.random.stateless_categorical(nd.constant(logits), 4, seed=[1, 2])
    t = real_tf.random.stateless_categorical(real_tf.constant(logits), 4, seed=[1, 2])
    assert (s.dtype.name, tuple(s.shape)) == (t.dtype.name, tuple(t.shape))


# ---------------------------------------------------------------------------- distributions


def test_normal_moments_match_mean_and_stddev():
    x = _np(nd.random.normal([N], mean=3.0, stddev=2.0, seed=1)).astype(np.float64)
    assert abs(x.mean() - 3.0) < 0.03
    assert abs(x.std() - 2.0) < 0.03


def test_uniform_moments_match_closed_form():
    x = _np(nd.random.uniform([N], minval=-1.0, maxval=3.0, seed=2)).astype(np.float64)
    assert abs(x.mean() - 1.0) < 0.02
    assert abs(x.var() - 16.0 / 12.0) < 0.02
    assert x.min() >= -1.0 and x.max() < 3.0


def test_uniform_float16_stays_below_maxval():
    x = _np(nd.random.uniform([N], dtype=nd.float16, seed=3))
    assert x.dtype == np.float16 and x.max() < 1.0


def test_integer_uniform_hits_every_value_equally_often():
    x = _np(nd.random.uniform([N], minval=2, maxval=7, dtype=nd.int32, seed=4))
    counts = np.bincount(x, minlength=7)[2:]
    assert x.min() == 2 and x.max() == 6
    np.testing.assert_allclose(counts / N, 0.2, atol=0.01)


def test_truncated_normal_is_within_two_stddev_with_truncated_variance():
    x = _np(nd.random.truncated_normal([N], mean=1.0, stddev=3.0, seed=5)).astype(np.float64)
    assert x.min() >= 1.0 - 6.0 and x.max() <= 1.0 + 6.0
    pdf2 = math.exp(-2.0) / math.sqrt(2 * math.pi)
    mass = math.erf(2 / math.sqrt(2))
    var = 1.0 - 2 * 2 * pdf2 / mass  # variance of N(0, 1) truncated to [-2, 2]
    assert abs(x.mean() - 1.0) < 0.03
    assert abs(x.var() / 9.0 - var) < 0.01


def test_categorical_frequencies_follow_softmax_of_logits():
    probs = np.array([[0.1, 0.2, 0.7], [0.5, 0.0, 0.5]])
    with np.errstate(divide="ignore"):
        logits = np.log(probs).astype(np.float32)
    x = _np(nd.random.categorical(nd.constant(logits), 50_000, seed=6))
    assert x.shape == (2, 50_000) and x.dtype == np.int64
    for row, p in zip(x, probs):
        np.testing.assert_allclose(np.bincount(row, minlength=3) / row.size, p, atol=0.01)
    assert not np.any(x[1] == 1)  # -inf logit: never drawn


def test_gamma_and_poisson_moments():
    g = _np(nd.random.gamma([N], alpha=3.0, beta=2.0, seed=7)).astype(np.float64)
    assert abs(g.mean() - 1.5) < 0.02 and abs(g.var() - 0.75) < 0.03
    p = _np(nd.random.poisson([N], lam=4.0, seed=8)).astype(np.float64)
    assert abs(p.mean() - 4.0) < 0.03 and abs(p.var() - 4.0) < 0.1


def test_shuffle_permutes_rows_and_keeps_row_contents():
    value = np.arange(20).reshape(10, 2)
    out = _np(nd.random.shuffle(value, seed=9))
    assert sorted(map(tuple, out)) == sorted(map(tuple, value))
    assert np.all(out[:, 1] == out[:, 0] + 1)
    assert _np(nd.random.shuffle(3)) == 3


def test_log_uniform_candidate_sampler_unique_in_range_with_expected_counts():
    sampled, true_exp, sampled_exp = nd.random.log_uniform_candidate_sampler(
        true_classes=[[1], [5]], num_true=1, num_sampled=8, unique=True, range_max=50, seed=1
    )
    s = _np(sampled)
    assert s.dtype == np.int64 and len(set(s.tolist())) == 8
    assert s.min() >= 0 and s.max() < 50
    assert true_exp.shape == (2, 1) and sampled_exp.shape == (8,)
    assert true_exp.dtype.name == "float32"
    assert np.all((_np(sampled_exp) > 0) & (_np(sampled_exp) <= 1))


@pytest.mark.parity
def test_candidate_sampler_shapes_match_tensorflow(real_tf):
    args = dict(true_classes=[[1, 2]], num_true=2, num_sampled=4, unique=False, range_max=20)
    for a, b in zip(
        nd.random.log_uniform_candidate_sampler(**args),
        real_tf.random.log_uniform_candidate_sampler(**args),
    ):
        assert (a.dtype.name, tuple(a.shape)) == (b.dtype.name, tuple(b.shape))


# ---------------------------------------------------------------------------- seeds


def _program():
    return [
        _np(nd.random.uniform([3])),
        _np(nd.random.normal([2], seed=4)),
        _np(nd.random.uniform([2], maxval=100, dtype=nd.int32)),
        _np(nd.random.categorical([[0.0, 0.0, 0.0]], 5)),
    ]


def test_program_repeats_exactly_after_set_seed():
    nd.random.set_seed(123)
    first = _program()
    nd.random.set_seed(123)
    second = _program()
    for a, b in zip(first, second):
        np.testing.assert_array_equal(a, b)


def test_different_global_seeds_give_different_values():
    nd.random.set_seed(1)
    a = _np(nd.random.uniform([4]))
    nd.random.set_seed(2)
    b = _np(nd.random.uniform([4]))
    assert not np.array_equal(a, b)


def test_same_op_seed_twice_continues_the_stream_and_set_seed_restarts_it():
    # TensorFlow: set_seed(1); uniform([2], seed=1) twice gives different values, and
    # set_seed(1) makes the next uniform([2], seed=1) repeat the first.
    nd.random.set_seed(1)
    a = _np(nd.random.uniform([2], seed=1))
    b = _np(nd.random.uniform([2], seed=1))
    assert not np.array_equal(a, b)
    nd.random.set_seed(1)
    np.testing.assert_array_equal(_np(nd.random.uniform([2], seed=1)), a)


def test_counter_seeded_op_does_not_consume_an_explicit_op_seed_stream():
    nd.random.set_seed(1)
    expected = _np(nd.random.uniform([2], seed=1))
    nd.random.set_seed(1)
    nd.random.uniform([2])
    np.testing.assert_array_equal(_np(nd.random.uniform([2], seed=1)), expected)


def test_different_op_seeds_differ():
    nd.random.set_seed(5)
    assert not np.array_equal(
        _np(nd.random.normal([4], seed=1)), _np(nd.random.normal([4], seed=2))
    )


def test_op_seed_without_global_seed_is_reproducible():
    a = _np(nd.random.uniform([3], seed=42))
    nd.random.set_seed(None)
    np.testing.assert_array_equal(_np(nd.random.uniform([3], seed=42)), a)


def test_no_seed_at_all_is_random():
    assert not np.array_equal(_np(nd.random.uniform([8])), _np(nd.random.uniform([8])))
    assert random_ops.get_seed(None) == (0, 0)


def test_kernel_state_lives_in_the_registry_that_set_seed_resets():
    # A compiled graph calls the kernel with fixed seed attrs: it continues the stream
    # each run, and set_seed restarts it.
    nd.random.set_seed(3)
    attrs = {"seed": 3, "seed2": 99, "dtype": nd.float32}
    shape = nd.constant([2])
    a = _np(execute("RandomUniform", (shape,), attrs))
    b = _np(execute("RandomUniform", (shape,), attrs))
    assert not np.array_equal(a, b)
    nd.random.set_seed(3)
    np.testing.assert_array_equal(_np(execute("RandomUniform", (shape,), attrs)), a)


def test_graph_ops_with_equal_seeds_agree_but_eager_ones_continue_a_stream():
    # TensorFlow: inside a tf.function, two uniform([2], seed=3) ops give equal values
    # (each node owns its kernel); eagerly they share one stream.
    from ndflow._src.core import context
    from ndflow._src.framework.op_registry import get_op

    nd.random.set_seed(1)
    saved = context.ctx.graph
    context.ctx.graph = object()  # "tracing": only executing_eagerly() is consulted
    try:
        a_attrs, b_attrs = random_ops.seed_attrs(3), random_ops.seed_attrs(3)
    finally:
        context.ctx.graph = saved
    assert a_attrs["instance"] != b_attrs["instance"]
    kernel = get_op("RandomUniform").kernel
    shape = np.array([2], np.int32)
    first = kernel(shape, dtype=nd.float32, **a_attrs)
    np.testing.assert_array_equal(first, kernel(shape, dtype=nd.float32, **b_attrs))
    second_run = kernel(shape, dtype=nd.float32, **a_attrs)
    assert not np.array_equal(first, second_run)  # each run of the graph continues
    nd.random.set_seed(1)
    np.testing.assert_array_equal(kernel(shape, dtype=nd.float32, **a_attrs), first)
    assert "instance" not in random_ops.seed_attrs(3)


def test_stateless_ops_depend_only_on_seed():
    a = _np(nd.random.stateless_normal([5], seed=[1, 2]))
    nd.random.set_seed(77)
    np.testing.assert_array_equal(_np(nd.random.stateless_normal([5], seed=[1, 2])), a)
    assert not np.array_equal(_np(nd.random.stateless_normal([5], seed=[1, 3])), a)
    seeds = _np(nd.random.split(nd.constant([1, 2]), 3))
    assert seeds.shape == (3, 2) and seeds.dtype == np.int32
    np.testing.assert_array_equal(seeds, _np(nd.random.split([1, 2], 3)))
    assert _np(nd.random.fold_in([1, 2], 7)).shape == (2,)


# ---------------------------------------------------------------------------- Generator


def test_generator_from_seed_is_reproducible_and_advances():
    g1, g2 = nd.random.Generator.from_seed(7), nd.random.Generator.from_seed(7)
    a = _np(g1.normal([4]))
    np.testing.assert_array_equal(a, _np(g2.normal([4])))
    assert not np.array_equal(a, _np(g1.normal([4])))


def test_generator_state_round_trips():
    g = nd.random.Generator.from_seed(3)
    g.uniform([5])
    state = g.state
    assert state.dtype == nd.int64 and tuple(state.shape) == (3,)
    clone = nd.random.Generator.from_state(state, alg="philox")
    np.testing.assert_array_equal(_np(g.uniform([6])), _np(clone.uniform([6])))
    g.reset_from_seed(3)
    np.testing.assert_array_equal(
        _np(g.uniform([5])), _np(nd.random.Generator.from_seed(3).uniform([5]))
    )


def test_generator_methods_dtypes_and_bounds():
    g = nd.random.Generator.from_seed(11)
    ints = _np(g.uniform([1000], minval=3, maxval=9, dtype=nd.int64))
    assert ints.dtype == np.int64 and ints.min() == 3 and ints.max() == 8
    tn = _np(g.truncated_normal([1000], stddev=2.0))
    assert np.abs(tn).max() <= 4.0
    assert g.uniform_full_int([3]).dtype == nd.uint64
    assert tuple(g.make_seeds(4).shape) == (2, 4)
    assert _np(g.binomial([10], counts=4.0, probs=0.5)).max() <= 4
    children = g.split(3)
    draws = [_np(c.normal([4])) for c in children]
    assert not np.array_equal(draws[0], draws[1])
    with pytest.raises(ValueError, match="minval and maxval must be both"):
        g.uniform([2], maxval=None, dtype=nd.int32)


def test_global_generator_can_be_replaced():
    g = nd.random.Generator.from_seed(1)
    nd.random.set_global_generator(g)
    assert nd.random.get_global_generator() is g
    assert tuple(nd.random.get_global_generator().normal([2]).shape) == (2,)


@pytest.mark.parity
def test_generator_dtypes_match_tensorflow(real_tf):
    a, b = nd.random.Generator.from_seed(1), real_tf.random.Generator.from_seed(1)
    pairs = [
        (a.normal([2]), b.normal([2])),
        (a.uniform([2], maxval=10, dtype=nd.int32), b.uniform([2], maxval=10, dtype=real_tf.int32)),
        (a.uniform_full_int([3]), b.uniform_full_int([3])),
        (a.make_seeds(2), b.make_seeds(2)),
        (a.state, b.state),
    ]
    for x, y in pairs:
        assert (x.dtype.name, tuple(x.shape)) == (y.dtype.name, tuple(y.shape))


# ---------------------------------------------------------------------------- gradients


def test_gradients_flow_to_mean_and_stddev():
    mean, std = nd.Variable(2.0), nd.Variable(3.0)
    with nd.GradientTape() as tape:
        y = nd.random.normal([50], mean=mean, stddev=std, seed=1)
    g_mean, g_std = tape.gradient(y, [mean, std])
    z = (_np(y) - 2.0) / 3.0
    np.testing.assert_allclose(_np(g_mean), 50.0)
    np.testing.assert_allclose(_np(g_std), z.sum(), rtol=1e-4)


def test_gradients_flow_to_uniform_bounds_and_gamma_beta():
    lo, hi = nd.Variable(1.0), nd.Variable(4.0)
    with nd.GradientTape() as tape:
        y = nd.random.uniform([20], minval=lo, maxval=hi, seed=2)
    g_lo, g_hi = tape.gradient(y, [lo, hi])
    u = (_np(y) - 1.0) / 3.0
    np.testing.assert_allclose(_np(g_hi), u.sum(), rtol=1e-4)
    np.testing.assert_allclose(_np(g_lo), (1 - u).sum(), rtol=1e-4)
    beta = nd.Variable(2.0)
    with nd.GradientTape() as tape:
        y = nd.random.gamma([10], alpha=2.0, beta=beta, seed=3)
    np.testing.assert_allclose(_np(tape.gradient(y, beta)), -_np(y).sum() / 2.0, rtol=1e-4)


def test_random_samples_have_no_gradient_wrt_shape():
    shape = nd.constant([3])
    with nd.GradientTape() as tape:
        tape.watch(shape)
        y = nd.random.uniform(shape)
    assert tape.gradient(y, shape) is None


# ---------------------------------------------------------------------------- errors

ERRORS = [
    (lambda: nd.random.uniform([-1]), nd.errors.InvalidArgumentError, "Dimension -1 must be >= 0"),
    (
        lambda: nd.random.uniform([[2]]),
        nd.errors.InvalidArgumentError,
        r"shape must be a vector of \{int32,int64\}, got shape \[1,1\]",
    ),
    (
        lambda: nd.random.uniform([2.0]),
        nd.errors.InvalidArgumentError,
        "Value for attr 'T' of float is not in the list of allowed values: int32, int64",
    ),
    (
        lambda: nd.random.uniform([2], dtype=nd.int32),
        ValueError,
        "Must specify maxval for integer dtype tf.int32",
    ),
    (
        lambda: nd.random.uniform([2], dtype=nd.string),
        ValueError,
        r"Argument `dtype` got invalid value <dtype: 'string'>",
    ),
    (
        lambda: nd.random.normal([2], dtype=nd.int32),
        TypeError,
        "Cannot convert 0.0 to EagerTensor of dtype int32",
    ),
    (
        lambda: nd.random.uniform([2], minval=3, maxval=3, dtype=nd.int32),
        nd.errors.InvalidArgumentError,
        r"Need minval < maxval, got 3 >= 3 \[Op:RandomUniformInt\]",
    ),
    (
        lambda: nd.random.normal([3], mean=[1.0, 2.0]),
        nd.errors.InvalidArgumentError,
        r"Incompatible shapes: \[3\] vs. \[2\]",
    ),
    (
        lambda: nd.random.categorical([1.0, 2.0], 3),
        nd.errors.InvalidArgumentError,
        r"logits should be a matrix, got shape \[2\] \[Op:Multinomial\]",
    ),
    (
        lambda: nd.random.categorical([[1.0, 2.0]], -1),
        nd.errors.InvalidArgumentError,
        "num_samples should be non-negative, got -1",
    ),
    (
        lambda: nd.random.stateless_uniform([2], seed=[1]),
        nd.errors.InvalidArgumentError,
        r"seed must have shape \[2\], not \[1\]",
    ),
    (
        lambda: nd.random.stateless_uniform([2], seed=[1, 2], dtype=nd.int32),
        ValueError,
        "argument `minval` and `maxval` must be both None or not None",
    ),
]


@pytest.mark.parametrize("fn,exc,message", ERRORS)
def test_errors_use_tensorflow_classes_and_messages(fn, exc, message):
    with pytest.raises(exc, match=message):
        fn()


@pytest.mark.parity
@pytest.mark.parametrize("fn,exc,message", ERRORS)
def test_tensorflow_raises_the_same_errors(real_tf, fn, exc, message):
    import types

    shim = types.SimpleNamespace(
        random=real_tf.random,
        errors=real_tf.errors,
        int32=real_tf.int32,
        string=real_tf.string,
    )
    code = fn.__code__
    tf_fn = types.FunctionType(code, {**fn.__globals__, "nd": shim})
    tf_exc = getattr(real_tf.errors, exc.__name__, exc)
    with pytest.raises(tf_exc, match=message):
        tf_fn()
