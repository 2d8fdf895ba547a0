"""Forward checks against NumPy and gradient checks against finite differences.

`check_grads` follows JAX's: one random direction in input space, compared with the
central difference of a random projection of the output, in float64.
"""

from __future__ import annotations

from typing import Any, Callable, Sequence

import numpy as np

import ndflow as nd


def check_grads(
    fn: Callable[..., Any],
    inputs: Sequence[np.ndarray],
    eps: float = 1e-6,
    rtol: float = 1e-5,
    atol: float = 1e-7,
    seed: int = 0,
    wrt: Sequence[int] | None = None,
) -> None:
    """Asserts that ndflow's gradient of `fn` matches finite differences.

    `fn` takes ndflow tensors and returns a tensor (or a list of them); `inputs` are
    float64 arrays; `wrt` picks the inputs to differentiate (all by default).
    """
    rng = np.random.default_rng(seed)
    inputs = [np.asarray(x) for x in inputs]
    wrt = list(range(len(inputs))) if wrt is None else list(wrt)
    for i in wrt:
        if inputs[i].dtype != np.float64:
            raise TypeError(f"check_grads needs float64 inputs; input {i} is {inputs[i].dtype}")

    def outputs(arrays: Sequence[np.ndarray]) -> list:
        out = fn(*[nd.constant(a) for a in arrays])
        return list(out) if isinstance(out, (list, tuple)) else [out]

    tensors = [nd.constant(a) for a in inputs]
    with nd.GradientTape() as tape:
        for i in wrt:
            tape.watch(tensors[i])
        out = fn(*tensors)
    outs = list(out) if isinstance(out, (list, tuple)) else [out]
    cots = [rng.standard_normal(o.shape.as_list()) for o in outs]
    grads = tape.gradient(
        outs, [tensors[i] for i in wrt], output_gradients=[nd.constant(c) for c in cots]
    )
    dirs = [rng.standard_normal(inputs[i].shape) for i in wrt]
    analytic = 0.0
    for g, d in zip(grads, dirs):
        if g is not None:
            analytic += float(np.sum(np.asarray(g.numpy()) * d))

    def projected(sign: float) -> float:
        arrays = list(inputs)
        for i, d in zip(wrt, dirs):
            arrays[i] = inputs[i] + sign * eps * d
        return sum(float(np.sum(np.asarray(o.numpy()) * c)) for o, c in zip(outputs(arrays), cots))

    numeric = (projected(1.0) - projected(-1.0)) / (2 * eps)
    np.testing.assert_allclose(analytic, numeric, rtol=rtol, atol=atol, err_msg="gradient check")


def check_forward(
    nd_fn: Callable, np_fn: Callable, inputs: Sequence[Any], rtol: float = 1e-6, atol: float = 1e-7
) -> Any:
    """Asserts ndflow's result equals NumPy's (values and dtype); returns ndflow's."""
    out = nd_fn(*[nd.constant(x) if isinstance(x, np.ndarray) else x for x in inputs])
    expected = np_fn(*inputs)
    got = out.numpy()
    assert np.asarray(got).dtype == np.asarray(expected).dtype, (
        np.asarray(got).dtype,
        np.asarray(expected).dtype,
    )
    if np.asarray(expected).dtype.kind in "fc":
        np.testing.assert_allclose(got, expected, rtol=rtol, atol=atol)
    else:
        np.testing.assert_array_equal(got, expected)
    return out
