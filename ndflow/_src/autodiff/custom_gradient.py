"""`tf.custom_gradient`: a function whose gradient the user supplies.

The decorated function runs with tapes paused; its outputs are then tied to its inputs
by one `CustomGradient` op whose gradient calls the user's `grad_fn`, so tapes and
graphs see the custom rule and nothing of the function's insides.
"""

from __future__ import annotations

import functools
from typing import Any, Callable

from ndflow._src.core import nest
from ndflow._src.core.context import ctx
from ndflow._src.framework.execute import execute
from ndflow._src.framework.op_registry import register_op
from ndflow._src.framework.tensor import Tensor, VariableBase


def _kernel(*arrays: Any, n_in: int, grad_fn: Any, n_vars: int) -> tuple:
    return tuple(arrays[n_in:])


def _shape(inputs: list, attrs: dict) -> list:
    return [(t.shape._dims, t.dtype) for t in inputs[attrs["n_in"] :]]


def _grad(op: Any, *grads: Any) -> list:
    n_in, n_vars, grad_fn = op.attrs["n_in"], op.attrs["n_vars"], op.attrs["grad_fn"]
    n_args = n_in - n_vars
    n_out = len(op.outputs)
    if n_vars:
        variables = [h._value.var for h in op.inputs[n_args:n_in]]
        result = grad_fn(*grads, variables=variables)
        if not isinstance(result, (tuple, list)) or len(result) != 2:
            raise ValueError(
                "If the function decorated with @tf.custom_gradient uses variables, its "
                "gradient function must return (input_gradients, variable_gradients)."
            )
        arg_grads, var_grads = result
        arg_grads = nest.flatten(arg_grads)
        var_grads = list(var_grads)
    else:
        arg_grads = nest.flatten(grad_fn(*grads))
        var_grads = []
    if len(arg_grads) != n_args:
        raise ValueError(
            f"custom_gradient function expected to return {n_args} gradients, but returned "
            f"{len(arg_grads)} instead."
        )
    return list(arg_grads) + var_grads + [None] * n_out


register_op("CustomGradient", _kernel, _shape, _grad, num_outputs=-1)


def custom_gradient(f: Callable | None = None) -> Callable:
    """Decorator: `f(*x)` returns `(y, grad_fn)`, and `grad_fn(*dy)` gives d(loss)/dx.

    >>> import ndflow as tf
    >>> @tf.custom_gradient
    ... def clip_grad(x):
    ...     return tf.identity(x), lambda dy: tf.clip_by_value(dy, -1.0, 1.0)
    """
    if f is None:
        return custom_gradient

    @functools.wraps(f)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from ndflow._src.autodiff.tape import GradientTape

        tapes = ctx.tapes
        ctx.tapes = []
        try:
            with GradientTape(watch_accessed_variables=True) as probe:
                result, grad_fn = f(*args, **kwargs)
        finally:
            ctx.tapes = tapes
        variables = [v for v in probe.watched_variables() if isinstance(v, VariableBase)]
        flat_args = [a for a in nest.flatten(args) if isinstance(a, Tensor)]
        flat_out = nest.flatten(result)
        if not tapes and ctx.graph is None:
            return result
        inputs = flat_args + [v.handle for v in variables] + flat_out
        outs = execute(
            "CustomGradient",
            inputs,
            {"n_in": len(flat_args) + len(variables), "grad_fn": grad_fn, "n_vars": len(variables)},
        )
        return nest.pack_sequence_as(result, list(outs))

    return wrapper
