"""Second derivatives through the array, slicing, gather and linalg gradients: each
gradient is built from ndflow ops, so differentiating it again must match finite
differences of the first gradient."""

from __future__ import annotations

import numpy as np
import pytest
from harness.op_check import check_grads

import ndflow as nd

RNG = np.random.default_rng(4)
X = RNG.standard_normal((3, 4))
SQ = RNG.standard_normal((3, 3)) + 3 * np.eye(3)

OPS = [
    ("gather", lambda x: nd.gather(x, [2, 0, 2], axis=0), X),
    ("gather_batch", lambda x: nd.gather(x, [[1], [3], [0]], axis=1, batch_dims=1), X),
    ("gather_nd", lambda x: nd.gather_nd(x, [[1, 2], [1, 2], [0, 0]]), X),
    ("scatter_add", lambda x: nd.tensor_scatter_nd_add(x, [[0], [2]], x[:2] * 2.0), X),
    ("pad_reflect", lambda x: nd.pad(x, [[2, 1], [1, 3]], "REFLECT"), X),
    ("pad_symmetric", lambda x: nd.pad(x, [[1, 1], [2, 0]], "SYMMETRIC"), X),
    ("pad_constant", lambda x: nd.pad(x, [[1, 1], [2, 0]], constant_values=1.0), X),
    ("getitem", lambda x: x[::-2, 1:], X),
    ("slice", lambda x: nd.slice(x, [1, 1], [2, -1]), X),
    ("tile", lambda x: nd.tile(x, [2, 1]), X),
    ("broadcast_to", lambda x: nd.broadcast_to(x[:1], [3, 3, 4]), X),
    ("concat_split", lambda x: nd.split(nd.concat([x, x], 1), [3, 5], axis=1)[1], X),
    ("matmul", lambda x: nd.matmul(x, x, transpose_b=True), X),
    ("einsum", lambda x: nd.einsum("ij,kj->ik", x, x), X),
    ("inv", nd.linalg.inv, SQ),
    ("det", lambda x: nd.linalg.det(x), SQ),
    ("norm", lambda x: nd.norm(x, axis=1), X),
    ("norm_inf", lambda x: nd.norm(x, ord=np.inf, axis=1), X),
    ("diag_part", nd.linalg.diag_part, SQ),
    ("linspace", lambda x: nd.linspace(x[0, 0], x[0, 1], 5), X),
]


@pytest.mark.parametrize("name,fn,x", OPS, ids=[o[0] for o in OPS])
def test_second_derivative_matches_finite_differences(name, fn, x):
    def first_gradient(t):
        with nd.GradientTape() as tape:
            tape.watch(t)
            y = nd.reduce_sum(fn(t) ** 3.0)
        return tape.gradient(y, t)

    check_grads(first_gradient, [x], rtol=1e-4, atol=1e-6)
