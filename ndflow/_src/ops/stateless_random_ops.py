"""Stateless random ops: `tf.random.stateless_uniform`, `stateless_normal`, ... and seed
splitting (`tf.random.split`, `fold_in`).

Their output depends only on the `[2]` seed tensor they take as an input, so they are
ordinary (not stateful) ops. The kernels are registered in `random_ops` beside their
stateful twins, which share the samplers.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ndflow._src.core import dtypes
from ndflow._src.framework.execute import execute
from ndflow._src.framework.op_registry import register_op
from ndflow._src.framework.tensor import Tensor
from ndflow._src.ops import math_ops
from ndflow._src.ops.op_util import to_tensor
from ndflow._src.ops.random_ops import (
    _MAXINT32,
    _affine,
    _check_uniform_dtype,
    _is_python,
    _params,
    _shape_tensor,
    _stateless_rng,
)


# ---------------------------------------------------------------------------- stateless


def _seed_tensor(seed: Any) -> Tensor:
    t = to_tensor(seed)
    if t.dtype not in (dtypes.int32, dtypes.int64):
        t = math_ops.cast(t, dtypes.int64)
    return t


def stateless_uniform(
    shape: Any,
    seed: Any,
    minval: Any = 0,
    maxval: Any = None,
    dtype: Any = dtypes.float32,
    name: str | None = None,
    alg: Any = "auto_select",
) -> Tensor:
    """`tf.random.stateless_uniform`: deterministic uniform samples for a `[2]` seed.

    The same (shape, seed) always gives the same values. Integer dtypes with both
    `minval` and `maxval` None draw from the dtype's full range.

    >>> import ndflow as tf
    >>> a = tf.random.stateless_uniform([2], seed=[1, 2])
    >>> b = tf.random.stateless_uniform([2], seed=[1, 2])
    >>> bool((a.numpy() == b.numpy()).all())
    True
    """
    dtype = dtypes.as_dtype(dtype)
    s = _shape_tensor(shape, "StatelessRandomUniformV2")
    seed_t = _seed_tensor(seed)
    if dtype.is_integer:
        if minval is None and maxval is None:
            return execute("StatelessRandomUniformFullIntV2", (s, seed_t), {"dtype": dtype})
        if minval is None or maxval is None:
            raise ValueError(
                f"For integer `dtype` argument {dtype}, argument `minval` and `maxval` must "
                f"be both None or not None. Got `minval`={minval} and `maxval`={maxval}."
            )
        _check_uniform_dtype(dtype)
        lo, hi = to_tensor(minval, dtype), to_tensor(maxval, dtype)
        return execute("StatelessRandomUniformIntV2", (s, lo, hi, seed_t))
    _check_uniform_dtype(dtype)
    if maxval is None:
        maxval = 1
    lo, hi = to_tensor(minval, dtype), to_tensor(maxval, dtype)
    u = execute("StatelessRandomUniformV2", (s, seed_t), {"dtype": dtype})
    if _is_python(minval, 0) and _is_python(maxval, 1):
        return u
    return math_ops.add(math_ops.multiply(u, math_ops.subtract(hi, lo)), lo)


def stateless_normal(
    shape: Any,
    seed: Any,
    mean: Any = 0.0,
    stddev: Any = 1.0,
    dtype: Any = dtypes.float32,
    name: str | None = None,
    alg: Any = "auto_select",
) -> Tensor:
    """`tf.random.stateless_normal`: deterministic normal samples for a `[2]` seed."""
    dtype = dtypes.as_dtype(dtype)
    params = _params(stddev, mean, dtype)
    s = _shape_tensor(shape, "StatelessRandomNormalV2")
    z = execute("StatelessRandomNormalV2", (s, _seed_tensor(seed)), {"dtype": dtype})
    return _affine(z, stddev, mean, params)


def stateless_truncated_normal(
    shape: Any,
    seed: Any,
    mean: Any = 0.0,
    stddev: Any = 1.0,
    dtype: Any = dtypes.float32,
    name: str | None = None,
    alg: Any = "auto_select",
) -> Tensor:
    """`tf.random.stateless_truncated_normal`: deterministic truncated normal samples."""
    dtype = dtypes.as_dtype(dtype)
    params = _params(stddev, mean, dtype)
    s = _shape_tensor(shape, "StatelessTruncatedNormalV2")
    z = execute("StatelessTruncatedNormalV2", (s, _seed_tensor(seed)), {"dtype": dtype})
    return _affine(z, stddev, mean, params)


def stateless_categorical(
    logits: Any, num_samples: Any, seed: Any, dtype: Any = dtypes.int64, name: str | None = None
) -> Tensor:
    """`tf.random.stateless_categorical`: deterministic `categorical`."""
    return execute(
        "StatelessMultinomial",
        (to_tensor(logits), to_tensor(num_samples, dtypes.int32), _seed_tensor(seed)),
        {"output_dtype": dtypes.as_dtype(dtype)},
    )


def stateless_gamma(
    shape: Any,
    seed: Any,
    alpha: Any,
    beta: Any = None,
    dtype: Any = dtypes.float32,
    name: str | None = None,
) -> Tensor:
    """`tf.random.stateless_gamma`: deterministic `gamma`."""
    dtype = dtypes.as_dtype(dtype)
    alpha_t = to_tensor(alpha, dtype)
    beta_t = to_tensor(1 if beta is None else beta, dtype)
    if beta is not None:
        alpha_t = math_ops.add(alpha_t, math_ops.zeros_like(beta_t))
    s = _shape_tensor(shape, "StatelessRandomGammaV2")
    g = execute("StatelessRandomGammaV2", (s, alpha_t, _seed_tensor(seed)))
    return g if beta is None else math_ops.divide_(g, beta_t)


def stateless_poisson(
    shape: Any, seed: Any, lam: Any, dtype: Any = dtypes.int32, name: str | None = None
) -> Tensor:
    """`tf.random.stateless_poisson`: deterministic `poisson` (int32 by default)."""
    dtype = dtypes.as_dtype(dtype)
    lam_t = lam if isinstance(lam, Tensor) else to_tensor(lam, dtypes.float32)
    s = _shape_tensor(shape, "StatelessRandomPoisson")
    return execute("StatelessRandomPoisson", (s, lam_t, _seed_tensor(seed)), {"dtype": dtype})


def stateless_binomial(
    shape: Any,
    seed: Any,
    counts: Any,
    probs: Any,
    output_dtype: Any = dtypes.int32,
    name: str | None = None,
) -> Tensor:
    """`tf.random.stateless_binomial`: deterministic Binomial(counts, probs) samples."""
    counts_t = to_tensor(counts, dtypes.float32) if not isinstance(counts, Tensor) else counts
    probs_t = to_tensor(probs, counts_t.dtype)
    s = _shape_tensor(shape, "StatelessRandomBinomial")
    return execute(
        "StatelessRandomBinomial",
        (s, counts_t, probs_t, _seed_tensor(seed)),
        {"dtype": dtypes.as_dtype(output_dtype)},
    )


def stateless_shuffle(
    value: Any, seed: Any, alg: Any = "auto_select", name: str | None = None
) -> Tensor:
    """`tf.random.experimental.stateless_shuffle`: a deterministic permutation of rows."""
    return execute("StatelessShuffle", (to_tensor(value), _seed_tensor(seed)))


def _split_kernel(seed, num):
    rng = _stateless_rng(seed, "StatelessRandomSplit")
    return rng.integers(0, _MAXINT32, size=(int(num), 2)).astype(seed.dtype)


register_op(
    "StatelessRandomSplit",
    _split_kernel,
    lambda inputs, attrs: [((attrs["num"], 2), inputs[0].dtype)],
)


def _fold_in_kernel(seed, data):
    rng = _stateless_rng(np.asarray([int(seed[0]) ^ int(data), int(seed[1]) + 1]), "FoldIn")
    return rng.integers(0, _MAXINT32, size=(2,)).astype(seed.dtype)


register_op(
    "StatelessRandomFoldIn", _fold_in_kernel, lambda inputs, attrs: [((2,), inputs[0].dtype)]
)


def split(seed: Any, num: int = 2, alg: Any = "auto_select") -> Tensor:
    """`tf.random.split` / `experimental.stateless_split`: `num` new seeds, shape [num, 2]."""
    seed_t = _seed_tensor(seed)
    return execute("StatelessRandomSplit", (seed_t,), {"num": int(num)})


def fold_in(seed: Any, data: Any, alg: Any = "auto_select") -> Tensor:
    """`tf.random.fold_in` / `experimental.stateless_fold_in`: a new seed mixing in `data`."""
    seed_t = _seed_tensor(seed)
    return execute("StatelessRandomFoldIn", (seed_t, to_tensor(data, dtypes.int64)))
