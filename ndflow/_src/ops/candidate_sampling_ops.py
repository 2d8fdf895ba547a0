"""Candidate samplers for sampled losses: `tf.random.log_uniform_candidate_sampler` and
`tf.random.uniform_candidate_sampler` (the word2vec tutorial's negative sampling).

They are stateful random ops, seeded like every other (`random_ops.seed_attrs`).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ndflow._src.core import dtypes
from ndflow._src.framework.execute import execute
from ndflow._src.framework.op_registry import register_op
from ndflow._src.framework.tensor import Tensor
from ndflow._src.ops.op_util import dims_of, invalid, to_tensor
from ndflow._src.ops.random_ops import (
    _stream,
    seed_attrs,
)


# ---------------------------------------------------------------------------- candidate samplers


def _log_uniform_probs(classes: np.ndarray, range_max: int) -> np.ndarray:
    classes = classes.astype(np.float64)
    return (np.log(classes + 2.0) - np.log(classes + 1.0)) / np.log(range_max + 1.0)


def _sampler_kernel(
    true_classes, seed, seed2, num_sampled, unique, range_max, distribution, instance=None
):
    rng = _stream(seed, seed2, instance)
    if distribution == "log_uniform":

        def draw(n):
            # Inverse CDF of P(k) = log((k + 2) / (k + 1)) / log(range_max + 1).
            u = rng.random(n)
            return np.minimum(
                (np.exp(u * np.log(range_max + 1.0)) - 1.0).astype(np.int64), range_max - 1
            )

        def prob(c):
            return _log_uniform_probs(c, range_max)

    else:

        def draw(n):
            return rng.integers(0, range_max, size=n, dtype=np.int64)

        def prob(c):
            return np.full(np.shape(c), 1.0 / range_max)

    if unique:
        if num_sampled > range_max:
            raise invalid(
                "ThreadUnsafeUnigramCandidateSampler",
                "Sampler used with unique samples where num_sampled > range_max",
            )
        seen: dict[int, None] = {}
        tries = 0
        while len(seen) < num_sampled:
            for c in draw(num_sampled):
                tries += 1
                if int(c) not in seen:
                    seen[int(c)] = None
                    if len(seen) == num_sampled:
                        break
        sampled = np.fromiter(seen, dtype=np.int64, count=num_sampled)

        def expected(c):
            return -np.expm1(tries * np.log1p(-prob(c)))

    else:
        sampled = draw(num_sampled)

        def expected(c):
            return num_sampled * prob(c)

    true_expected = expected(true_classes).astype(np.float32)
    sampled_expected = expected(sampled).astype(np.float32)
    return sampled, true_expected, sampled_expected


def _sampler_rule(inputs: list, attrs: dict) -> list:
    n = attrs["num_sampled"]
    return [((n,), dtypes.int64), (dims_of(inputs[0]), dtypes.float32), ((n,), dtypes.float32)]


register_op("CandidateSampler", _sampler_kernel, _sampler_rule, num_outputs=3, stateful=True)


def _candidate_sampler(distribution, true_classes, num_true, num_sampled, unique, range_max, seed):
    t = to_tensor(true_classes, dtypes.int64)
    dims = dims_of(t)
    if dims is not None and (len(dims) != 2 or (dims[1] is not None and dims[1] != num_true)):
        raise invalid(
            "CandidateSampler", f"true_classes must be a matrix with num_true={num_true} columns"
        )
    return execute(
        "CandidateSampler",
        (t,),
        {
            **seed_attrs(seed),
            "num_sampled": int(num_sampled),
            "unique": bool(unique),
            "range_max": int(range_max),
            "distribution": distribution,
        },
    )


def log_uniform_candidate_sampler(
    true_classes: Any,
    num_true: int,
    num_sampled: int,
    unique: bool,
    range_max: int,
    seed: int | None = None,
    name: str | None = None,
) -> tuple[Tensor, Tensor, Tensor]:
    """`tf.random.log_uniform_candidate_sampler`: samples classes from a Zipfian
    distribution, P(k) = log((k + 2) / (k + 1)) / log(range_max + 1).

    Returns:
      (sampled_candidates int64 [num_sampled], true_expected_count float32 like
      `true_classes`, sampled_expected_count float32 [num_sampled]).

    >>> import ndflow as tf
    >>> s, t, e = tf.random.log_uniform_candidate_sampler([[1]], 1, 4, True, 10, seed=1)
    >>> s.shape, t.shape, e.shape
    (TensorShape([4]), TensorShape([1, 1]), TensorShape([4]))
    """
    return _candidate_sampler(
        "log_uniform", true_classes, num_true, num_sampled, unique, range_max, seed
    )


def uniform_candidate_sampler(
    true_classes: Any,
    num_true: int,
    num_sampled: int,
    unique: bool,
    range_max: int,
    seed: int | None = None,
    name: str | None = None,
) -> tuple[Tensor, Tensor, Tensor]:
    """`tf.random.uniform_candidate_sampler`: samples classes uniformly from [0, range_max)."""
    return _candidate_sampler(
        "uniform", true_classes, num_true, num_sampled, unique, range_max, seed
    )
