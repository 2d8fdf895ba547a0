"""Random ops: `tf.random.uniform`, `normal`, `truncated_normal`, `categorical`, `shuffle`,
`gamma`, `poisson`, the `stateless_*` family and `tf.random.set_seed`.

Seeds follow TensorFlow's rules (`context.get_seed`): with a global seed a program
repeats exactly; an op seed alone gives a fixed sequence; no seeds at all is random.
Stateful ops carry the (global, op) seed pair as attrs `seed`/`seed2`; their kernels draw
from one NumPy Generator stream per pair, kept in `_STREAMS`, which `set_seed` empties.
So two eager calls with the same op seed give different values, and `set_seed` restarts
every sequence, as in TensorFlow. Ops traced into a graph also carry an `instance` attr,
so each graph node owns its stream (TensorFlow's per-node kernels) and every run of the
graph continues it. The kernel, not the caller, owns the state. Bit equality with
TensorFlow is not a goal.

Only the standard samples come from kernels; the affine parts (`mean + stddev * z`,
`minval + (maxval - minval) * u`) are ndflow ops, so gradients reach those arguments.
"""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np

from ndflow._src.core import context, dtypes
from ndflow._src.core.dtypes import DType
from ndflow._src.core.tensor_shape import TensorShape
from ndflow._src.framework.constant import convert_to_tensor
from ndflow._src.framework.execute import execute
from ndflow._src.framework.op_registry import register_op
from ndflow._src.framework.tensor import Tensor, static_value
from ndflow._src.ops import math_ops
from ndflow._src.ops.op_util import cpp_name, dims_of, dims_str, invalid, to_tensor

_MASK64 = (1 << 64) - 1
_MAXINT32 = 2**31 - 1

# (seed, seed2, graph node instance or None) -> np.random.Generator, reset by set_seed.
_STREAMS: dict[tuple, np.random.Generator] = {}
# The stream of ops run with no seed at all: random on every run.
_UNSEEDED = np.random.default_rng()

_FLOAT_DTYPES = (dtypes.float16, dtypes.bfloat16, dtypes.float32, dtypes.float64)
_UNIFORM_DTYPES = _FLOAT_DTYPES + (dtypes.int32, dtypes.int64)


# ---------------------------------------------------------------------------- seeds


def set_seed(seed: int | None) -> None:
    """`tf.random.set_seed`: sets the global seed and restarts every random sequence.

    After `set_seed(s)` a program draws the same numbers each time it runs: ops without
    an op seed take one from a counter that `set_seed` resets, and ops with an op seed
    restart their stream.

    >>> import ndflow as tf
    >>> tf.random.set_seed(7)
    >>> a = tf.random.uniform([2])
    >>> tf.random.set_seed(7)
    >>> bool((a.numpy() == tf.random.uniform([2]).numpy()).all())
    True
    """
    context.set_global_seed(seed)
    _STREAMS.clear()
    from ndflow._src.ops import nn_ops  # dropout keeps its own seeded streams

    nn_ops.reset_generators()


def get_seed(op_seed: int | None) -> tuple[int, int]:
    """The (seed, seed2) attrs a stateful random op runs with; (0, 0) means unseeded.

    Wraps `context.get_seed`. Op seeds drawn from the global-seed counter are scrambled so
    they do not collide with small op seeds users pass (TensorFlow draws them at random
    from the global seed, so `set_seed(1); uniform(); uniform(seed=1)` gives the second
    op a fresh stream).
    """
    global_seed, seed2 = context.get_seed(op_seed)
    if global_seed is None:
        return 0, 0
    if op_seed is None:
        seed2 = (seed2 * 0x9E3779B1 + 0x2545F491) % _MAXINT32 + 1
    if global_seed == 0 and seed2 == 0:
        seed2 = _MAXINT32  # TensorFlow's rule: (0, 0) would mean "unseeded".
    return int(global_seed), int(seed2)


_instances = itertools.count(1)


def seed_attrs(op_seed: int | None) -> dict:
    """The seed attrs of a stateful random op: `seed`, `seed2`, and while a graph is being
    traced an `instance` number. Eagerly, ops with the same seeds share one stream (TF's
    kernel cache: `uniform(seed=1)` twice differs); in a graph each op node has its own
    stream (TF's per-node kernels: two ops with the same seeds in one function agree)."""
    seed, seed2 = get_seed(op_seed)
    if context.executing_eagerly():
        return {"seed": seed, "seed2": seed2}
    return {"seed": seed, "seed2": seed2, "instance": next(_instances)}


def _stream(seed: int, seed2: int, instance: int | None = None) -> np.random.Generator:
    if seed == 0 and seed2 == 0:
        return _UNSEEDED
    key = (seed, seed2, instance)
    rng = _STREAMS.get(key)
    if rng is None:
        rng = _STREAMS[key] = np.random.default_rng([seed & _MASK64, seed2 & _MASK64, 0x5EED])
    return rng


def _stateless_rng(seed: np.ndarray, op_type: str) -> np.random.Generator:
    if seed.shape != (2,):
        raise invalid(op_type, f"seed must have shape [2], not {dims_str(seed.shape)}")
    a, b = (int(s) & _MASK64 for s in seed)
    return np.random.default_rng([a, b, 0x57A7E1E55])


# ---------------------------------------------------------------------------- shapes


def _shape_tensor(shape: Any, op_type: str) -> Tensor:
    """The `shape` argument (list, tuple, TensorShape or 1-D int tensor) as a tensor."""
    if isinstance(shape, TensorShape):
        shape = shape.as_list()
    if isinstance(shape, (list, tuple)) and not shape:
        shape = np.zeros((0,), np.int32)
    t = shape if isinstance(shape, Tensor) else convert_to_tensor(shape, dtype_hint=dtypes.int32)
    if t.dtype not in (dtypes.int32, dtypes.int64):
        raise invalid(
            op_type,
            f"Value for attr 'T' of {cpp_name(t.dtype)} is not in the list of allowed "
            "values: int32, int64",
        )
    return t


def _shape_value(shape: np.ndarray, op_type: str) -> tuple:
    if shape.ndim != 1:
        raise invalid(
            op_type, f"shape must be a vector of {{int32,int64}}, got shape {dims_str(shape.shape)}"
        )
    dims = tuple(int(d) for d in shape)
    for d in dims:
        if d < 0:
            raise invalid(op_type, f"Dimension {d} must be >= 0")
    return dims


def _dims_from_shape_input(t: Tensor) -> tuple | None:
    value = static_value(t)
    if value is not None:
        return tuple(int(d) for d in np.asarray(value).reshape(-1))
    n = dims_of(t)
    if n is None or n[0] is None:
        return None
    return (None,) * n[0]


def _shape_rule(out_dtype_attr: str = "dtype", extra_dims_input: int | None = None):
    """Output shape = the `shape` input's value (+ the shape of input `extra_dims_input`)."""

    def rule(inputs: list, attrs: dict) -> list:
        dims = _dims_from_shape_input(inputs[0])
        if extra_dims_input is not None and dims is not None:
            extra = dims_of(inputs[extra_dims_input])
            dims = None if extra is None else dims + tuple(extra)
        dtype = attrs.get(out_dtype_attr) or inputs[-1].dtype
        return [(dims, dtype)]

    return rule


# ---------------------------------------------------------------------------- samplers
# Each draws standard samples from a NumPy Generator; the stateful and stateless op of a
# kind share it and differ only in where the Generator comes from.


def _as_dtype_array(x: np.ndarray, dtype: DType) -> np.ndarray:
    return x.astype(dtype._np, copy=False)


def _draw_uniform(rng: np.random.Generator, dims: tuple, dtype: DType) -> np.ndarray:
    if dtype is dtypes.float64:
        return rng.random(dims)
    out = rng.random(dims, dtype=np.float32)
    if dtype is not dtypes.float32:
        # Rounding to a narrower float can reach 1.0; keep TF's half-open [0, 1).
        below_one = np.nextafter(np.asarray(1, dtype._np), np.asarray(0, dtype._np))
        out = np.minimum(out.astype(dtype._np), below_one)
    return out


def _draw_normal(rng: np.random.Generator, dims: tuple, dtype: DType) -> np.ndarray:
    if dtype is dtypes.float64:
        return rng.standard_normal(dims)
    return _as_dtype_array(rng.standard_normal(dims, dtype=np.float32), dtype)


def _draw_truncated(rng: np.random.Generator, dims: tuple, dtype: DType) -> np.ndarray:
    # Resample values beyond two standard deviations, as TensorFlow's kernel does.
    np_dtype = np.float64 if dtype is dtypes.float64 else np.float32
    out = rng.standard_normal(dims, dtype=np_dtype)
    bad = np.abs(out) > 2.0
    while bad.any():
        out[bad] = rng.standard_normal(int(bad.sum()), dtype=np_dtype)
        bad = np.abs(out) > 2.0
    return _as_dtype_array(out, dtype)


def _draw_int(rng, dims, minval, maxval, op_type):
    for name, v in (("minval", minval), ("maxval", maxval)):
        if v.ndim != 0:
            raise invalid(op_type, f"{name} must be 0-D, got shape {dims_str(v.shape)}")
    lo, hi = int(minval), int(maxval)
    if lo >= hi:
        raise invalid(op_type, f"Need minval < maxval, got {lo} >= {hi}")
    return rng.integers(lo, hi, size=dims, dtype=minval.dtype)


def _draw_full_int(rng: np.random.Generator, dims: tuple, dtype: DType) -> np.ndarray:
    info = np.iinfo(dtype._np)
    return rng.integers(info.min, info.max, size=dims, dtype=dtype._np, endpoint=True)


def _draw_categorical(rng, logits, num_samples, out_dtype, op_type):
    if logits.ndim != 2:
        raise invalid(op_type, f"logits should be a matrix, got shape {dims_str(logits.shape)}")
    n = int(num_samples)
    if n < 0:
        raise invalid(op_type, f"num_samples should be non-negative, got {n}")
    batch, classes = logits.shape
    if classes == 0 and batch > 0:
        raise invalid(op_type, "num_classes should be positive, got 0")
    out = np.empty((batch, n), dtype=out_dtype._np)
    if batch == 0 or n == 0:
        return out
    x = logits.astype(np.float64)
    # -inf logits have probability 0; a row of all -inf draws class 0... as TF draws
    # garbage there, any in-range value will do.
    finite_max = np.max(np.where(np.isfinite(x), x, -np.inf), axis=1, keepdims=True)
    finite_max = np.where(np.isfinite(finite_max), finite_max, 0.0)
    with np.errstate(over="ignore", invalid="ignore"):
        p = np.exp(x - finite_max)
    p = np.nan_to_num(p, nan=0.0, posinf=0.0)
    cdf = np.cumsum(p, axis=1)
    u = rng.random((batch, n)) * cdf[:, -1:]
    for i in range(batch):
        out[i] = np.minimum(np.searchsorted(cdf[i], u[i], side="right"), classes - 1)
    return out


def _draw_gamma(rng, dims, alpha):
    size = dims + alpha.shape
    np_dtype = np.float64 if alpha.dtype == np.float64 else np.float32
    out = rng.standard_gamma(np.broadcast_to(alpha, size).astype(np_dtype), size=size)
    return out.astype(alpha.dtype)


def _draw_poisson(rng, dims, lam, dtype):
    size = dims + lam.shape
    out = rng.poisson(np.broadcast_to(lam.astype(np.float64), size), size=size)
    return out.astype(dtype._np)


def _draw_binomial(rng, dims, counts, probs, dtype):
    size = np.broadcast_shapes(dims, counts.shape, probs.shape)
    out = rng.binomial(
        np.broadcast_to(counts.astype(np.int64), size), np.broadcast_to(probs, size), size=size
    )
    return out.astype(dtype._np)


# ---------------------------------------------------------------------------- stateful ops


def _register_pair(name: str, stateless_name: str, draw, shape_rule) -> None:
    """Registers a stateful op (seed attrs) and its stateless twin (seed input last)."""

    def stateful(shape, *rest, seed, seed2, instance=None, **attrs):
        dims = _shape_value(shape, name)
        return draw(_stream(seed, seed2, instance), dims, *rest, op_type=name, **attrs)

    def stateless(shape, *rest, **attrs):
        *params, seed = rest
        dims = _shape_value(shape, stateless_name)
        rng = _stateless_rng(seed, stateless_name)
        return draw(rng, dims, *params, op_type=stateless_name, **attrs)

    register_op(name, stateful, shape_rule, stateful=True)
    register_op(stateless_name, stateless, shape_rule)


_register_pair(
    "RandomUniform",
    "StatelessRandomUniformV2",
    lambda rng, dims, op_type, dtype: _draw_uniform(rng, dims, dtype),
    _shape_rule(),
)
_register_pair(
    "RandomStandardNormal",
    "StatelessRandomNormalV2",
    lambda rng, dims, op_type, dtype: _draw_normal(rng, dims, dtype),
    _shape_rule(),
)
_register_pair(
    "TruncatedNormal",
    "StatelessTruncatedNormalV2",
    lambda rng, dims, op_type, dtype: _draw_truncated(rng, dims, dtype),
    _shape_rule(),
)
_register_pair(
    "RandomUniformInt",
    "StatelessRandomUniformIntV2",
    lambda rng, dims, lo, hi, op_type: _draw_int(rng, dims, lo, hi, op_type),
    lambda inputs, attrs: [(_dims_from_shape_input(inputs[0]), inputs[1].dtype)],
)
_register_pair(
    "RandomUniformFullInt",
    "StatelessRandomUniformFullIntV2",
    lambda rng, dims, op_type, dtype: _draw_full_int(rng, dims, dtype),
    _shape_rule(),
)


def _leading_dims(dims: tuple, param: np.ndarray, op_type: str) -> tuple:
    """Stateless gamma/poisson: `shape` must end with the parameter's shape."""
    n = param.ndim
    if n and tuple(dims[len(dims) - n :]) != param.shape:
        raise invalid(op_type, "Shape passed in must end with broadcasted shape.")
    return dims[: len(dims) - n]


register_op(
    "RandomGamma",
    lambda shape, alpha, seed, seed2, instance=None: _draw_gamma(
        _stream(seed, seed2, instance), _shape_value(shape, "RandomGamma"), alpha
    ),
    lambda inputs, attrs: _shape_rule(extra_dims_input=1)(inputs, {"dtype": inputs[1].dtype}),
    stateful=True,
)
register_op(
    "StatelessRandomGammaV2",
    lambda shape, alpha, seed: _draw_gamma(
        _stateless_rng(seed, "StatelessRandomGammaV2"),
        _leading_dims(
            _shape_value(shape, "StatelessRandomGammaV2"), alpha, "StatelessRandomGammaV2"
        ),
        alpha,
    ),
    lambda inputs, attrs: _shape_rule()(inputs, {"dtype": inputs[1].dtype}),
)
register_op(
    "RandomPoissonV2",
    lambda shape, lam, seed, seed2, dtype, instance=None: _draw_poisson(
        _stream(seed, seed2, instance), _shape_value(shape, "RandomPoissonV2"), lam, dtype
    ),
    _shape_rule(extra_dims_input=1),
    stateful=True,
)
register_op(
    "StatelessRandomPoisson",
    lambda shape, lam, seed, dtype: _draw_poisson(
        _stateless_rng(seed, "StatelessRandomPoisson"),
        _leading_dims(_shape_value(shape, "StatelessRandomPoisson"), lam, "StatelessRandomPoisson"),
        lam,
        dtype,
    ),
    _shape_rule(),
)
_register_pair(
    "RandomBinomial",
    "StatelessRandomBinomial",
    lambda rng, dims, counts, probs, op_type, dtype: _draw_binomial(
        rng, dims, counts, probs, dtype
    ),
    _shape_rule(),
)


def _categorical_rule(inputs: list, attrs: dict) -> list:
    logits = dims_of(inputs[0])
    n = static_value(inputs[1])
    batch = None if logits is None or len(logits) != 2 else logits[0]
    return [((batch, None if n is None else int(n)), attrs["output_dtype"])]


register_op(
    "Multinomial",
    lambda logits, n, seed, seed2, output_dtype, instance=None: _draw_categorical(
        _stream(seed, seed2, instance), logits, n, output_dtype, "Multinomial"
    ),
    _categorical_rule,
    stateful=True,
)
register_op(
    "StatelessMultinomial",
    lambda logits, n, seed, output_dtype: _draw_categorical(
        _stateless_rng(seed, "StatelessMultinomial"),
        logits,
        n,
        output_dtype,
        "StatelessMultinomial",
    ),
    _categorical_rule,
)


def _shuffle_kernel(value, seed, seed2, instance=None):
    if value.ndim == 0:
        return value.copy()
    return value[_stream(seed, seed2, instance).permutation(value.shape[0])]


register_op(
    "RandomShuffle",
    _shuffle_kernel,
    lambda inputs, attrs: [(dims_of(inputs[0]), inputs[0].dtype)],
    stateful=True,
)


def _stateless_shuffle_kernel(value, seed):
    if value.ndim == 0:
        return value.copy()
    return value[_stateless_rng(seed, "StatelessShuffle").permutation(value.shape[0])]


register_op(
    "StatelessShuffle",
    _stateless_shuffle_kernel,
    lambda inputs, attrs: [(dims_of(inputs[0]), inputs[0].dtype)],
)


# ---------------------------------------------------------------------------- public API


def _check_float(dtype: DType, what: str) -> None:
    if dtype not in _FLOAT_DTYPES:
        names = ", ".join(repr(d) for d in _FLOAT_DTYPES)
        raise ValueError(
            f"Argument `dtype` got invalid value {dtype}. Accepted dtypes are ({names})."
        )


def _is_python(x: Any, value: float) -> bool:
    return type(x) in (int, float) and x == value


def _params(scale: Any, shift: Any, dtype: DType) -> tuple[Tensor, Tensor]:
    """Converts (stddev, mean) first, so bad dtypes fail as in TensorFlow."""
    shift_t = to_tensor(shift, dtype)
    return to_tensor(scale, dtype), shift_t


def _affine(z: Tensor, scale: Any, shift: Any, params: tuple[Tensor, Tensor]) -> Tensor:
    """shift + scale * z with ndflow ops, so gradients reach `scale` and `shift`;
    skipped for Python defaults (0 and 1), which need neither the work nor a gradient."""
    if not _is_python(scale, 1):
        z = math_ops.multiply(z, params[0])
    if not _is_python(shift, 0):
        z = math_ops.add(z, params[1])
    return z


def normal(
    shape: Any,
    mean: Any = 0.0,
    stddev: Any = 1.0,
    dtype: Any = dtypes.float32,
    seed: int | None = None,
    name: str | None = None,
) -> Tensor:
    """`tf.random.normal`: samples from a normal distribution.

    Args:
      shape: the output shape (a list, tuple or 1-D integer tensor).
      mean, stddev: the distribution's parameters (broadcast against `shape`).
      dtype: a floating dtype.
      seed: the op seed; see `tf.random.set_seed`.

    >>> import ndflow as tf
    >>> tf.random.normal([2, 3], seed=1).shape
    TensorShape([2, 3])
    """
    dtype = dtypes.as_dtype(dtype)
    params = _params(stddev, mean, dtype)
    s = _shape_tensor(shape, "RandomStandardNormal")
    z = execute("RandomStandardNormal", (s,), {**seed_attrs(seed), "dtype": dtype})
    return _affine(z, stddev, mean, params)


def truncated_normal(
    shape: Any,
    mean: Any = 0.0,
    stddev: Any = 1.0,
    dtype: Any = dtypes.float32,
    seed: int | None = None,
    name: str | None = None,
) -> Tensor:
    """`tf.random.truncated_normal`: a normal distribution with values more than two
    standard deviations from the mean dropped and re-drawn.

    >>> import ndflow as tf
    >>> bool(abs(tf.random.truncated_normal([100]).numpy()).max() <= 2.0)
    True
    """
    dtype = dtypes.as_dtype(dtype)
    params = _params(stddev, mean, dtype)
    s = _shape_tensor(shape, "TruncatedNormal")
    z = execute("TruncatedNormal", (s,), {**seed_attrs(seed), "dtype": dtype})
    return _affine(z, stddev, mean, params)


def _check_uniform_dtype(dtype: DType) -> None:
    if dtype not in _UNIFORM_DTYPES:
        names = ", ".join(repr(d) for d in _UNIFORM_DTYPES)
        raise ValueError(
            f"Argument `dtype` got invalid value {dtype}. Accepted dtypes are ({names})."
        )


def uniform(
    shape: Any,
    minval: Any = 0,
    maxval: Any = None,
    dtype: Any = dtypes.float32,
    seed: int | None = None,
    name: str | None = None,
) -> Tensor:
    """`tf.random.uniform`: samples from a uniform distribution on [minval, maxval).

    Float dtypes default to [0, 1); integer dtypes (int32, int64) need `maxval`.

    Raises:
      ValueError: an unsupported dtype, or an integer dtype without `maxval`.
      InvalidArgumentError: integer `minval >= maxval`.

    >>> import ndflow as tf
    >>> tf.random.uniform([3], maxval=10, dtype=tf.int32, seed=1).dtype
    tf.int32
    """
    dtype = dtypes.as_dtype(dtype)
    _check_uniform_dtype(dtype)
    s = _shape_tensor(shape, "RandomUniform")
    if dtype.is_integer:
        if maxval is None:
            raise ValueError(f"Must specify maxval for integer dtype {dtype!r}")
        lo, hi = to_tensor(minval, dtype), to_tensor(maxval, dtype)
        return execute("RandomUniformInt", (s, lo, hi), seed_attrs(seed))
    if maxval is None:
        maxval = 1
    lo, hi = to_tensor(minval, dtype), to_tensor(maxval, dtype)
    u = execute("RandomUniform", (s,), {**seed_attrs(seed), "dtype": dtype})
    if _is_python(minval, 0) and _is_python(maxval, 1):
        return u
    return math_ops.add(math_ops.multiply(u, math_ops.subtract(hi, lo)), lo)


def categorical(
    logits: Any,
    num_samples: Any,
    dtype: Any = None,
    seed: int | None = None,
    name: str | None = None,
) -> Tensor:
    """`tf.random.categorical`: draws class indices from unnormalised log-probabilities.

    Args:
      logits: `[batch_size, num_classes]`.
      num_samples: samples per row.
      dtype: int64 (default) or int32.

    Returns:
      `[batch_size, num_samples]` class indices.

    >>> import ndflow as tf
    >>> tf.random.categorical([[0.0, 0.0]], 4, seed=3).shape
    TensorShape([1, 4])
    """
    logits_t = to_tensor(logits)
    n = to_tensor(num_samples, dtypes.int32)
    out_dtype = dtypes.int64 if dtype is None else dtypes.as_dtype(dtype)
    return execute(
        "Multinomial",
        (logits_t, n),
        {**seed_attrs(seed), "output_dtype": out_dtype},
    )


def multinomial(
    logits: Any,
    num_samples: Any,
    seed: int | None = None,
    name: str | None = None,
    output_dtype: Any = None,
) -> Tensor:
    """`tf.random.multinomial` (TF1 name of `categorical`)."""
    return categorical(logits, num_samples, output_dtype, seed)


def shuffle(value: Any, seed: int | None = None, name: str | None = None) -> Tensor:
    """`tf.random.shuffle`: permutes `value` along its first dimension.

    >>> import ndflow as tf
    >>> tf.random.shuffle([[1, 2], [3, 4], [5, 6]], seed=1).shape
    TensorShape([3, 2])
    """
    return execute("RandomShuffle", (to_tensor(value),), seed_attrs(seed))


def gamma(
    shape: Any,
    alpha: Any,
    beta: Any = None,
    dtype: Any = dtypes.float32,
    seed: int | None = None,
    name: str | None = None,
) -> Tensor:
    """`tf.random.gamma`: Gamma(alpha, beta) samples, shape `shape + broadcast(alpha, beta)`.

    Gradients reach `beta` (the sample is `standard_gamma(alpha) / beta`); there is no
    gradient with respect to `alpha`.

    >>> import ndflow as tf
    >>> tf.random.gamma([10], alpha=[0.5, 1.5]).shape
    TensorShape([10, 2])
    """
    dtype = dtypes.as_dtype(dtype)
    _check_float(dtype, "gamma")
    alpha_t = to_tensor(alpha, dtype)
    beta_t = to_tensor(1 if beta is None else beta, dtype)
    if beta is not None:
        alpha_t = math_ops.add(alpha_t, math_ops.zeros_like(beta_t))
    s = _shape_tensor(shape, "RandomGamma")
    g = execute("RandomGamma", (s, alpha_t), seed_attrs(seed))
    return g if beta is None else math_ops.divide_(g, beta_t)


def poisson(
    shape: Any,
    lam: Any,
    dtype: Any = dtypes.float32,
    seed: int | None = None,
    name: str | None = None,
) -> Tensor:
    """`tf.random.poisson`: Poisson(lam) samples of shape `shape + lam.shape`.

    >>> import ndflow as tf
    >>> tf.random.poisson([3], lam=[1.0, 5.0], dtype=tf.int32).shape
    TensorShape([3, 2])
    """
    dtype = dtypes.as_dtype(dtype)
    lam_t = to_tensor(lam, dtypes.float32) if not isinstance(lam, Tensor) else lam
    s = _shape_tensor(shape, "RandomPoissonV2")
    return execute("RandomPoissonV2", (s, lam_t), {**seed_attrs(seed), "dtype": dtype})
