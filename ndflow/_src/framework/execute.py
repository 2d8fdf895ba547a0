"""`execute()`: THE dispatch point. Every op, eager or traced, runs through here.

Eagerly it calls the kernel on the inputs' arrays; while a graph is being traced
(`ctx.graph` set by ndflow._src.graph) it asks the graph to add a node. Then it tells the
active tapes, if any. Nothing else calls a kernel.
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from ndflow._src.core import errors
from ndflow._src.core.context import ctx
from ndflow._src.framework.op_registry import _OPS, OpDef
from ndflow._src.framework.tensor import _NP_TO_DTYPE, Tensor, wrap

_EMPTY: dict = {}
_new = object.__new__
_ndarray = np.ndarray
_KERNEL_ERRORS = (ValueError, IndexError, TypeError, np.linalg.LinAlgError, ZeroDivisionError)


def execute(op_type: str, inputs: Sequence[Tensor], attrs: dict = _EMPTY) -> Any:
    """Runs op `op_type` on `inputs`: a Tensor, or a tuple of Tensors for multi-output ops.

    Inputs must already be Tensors of the right dtypes (public functions convert them).
    """
    opdef = _OPS[op_type]
    graph = ctx.graph
    if graph is None:
        try:
            # Unrolled for the common arities and no attrs: `**{}` alone costs ~50 ns.
            if attrs:
                if len(inputs) == 1:
                    out = opdef.kernel(inputs[0]._value, **attrs)
                elif len(inputs) == 2:
                    out = opdef.kernel(inputs[0]._value, inputs[1]._value, **attrs)
                else:
                    out = opdef.kernel(*[t._value for t in inputs], **attrs)
            elif len(inputs) == 2:
                out = opdef.kernel(inputs[0]._value, inputs[1]._value)
            elif len(inputs) == 1:
                out = opdef.kernel(inputs[0]._value)
            else:
                out = opdef.kernel(*[t._value for t in inputs])
        except errors.OpError:
            raise
        except _KERNEL_ERRORS as e:
            raise kernel_error(opdef, inputs, attrs, e) from None
        if opdef.num_outputs == 1:
            # wrap(out) inlined: one Python call less on every eager op.
            if type(out) is not _ndarray:
                out = np.asarray(out)
            outputs = _new(Tensor)
            outputs._value = out
            dtype = _NP_TO_DTYPE.get(out.dtype)
            outputs._dtype = dtype if dtype is not None else wrap(out)._dtype
        elif opdef.num_outputs == 0:
            outputs = ()
        else:
            outputs = tuple(wrap(o) for o in out)
    else:
        outputs = graph.add_op(opdef, inputs, attrs)
    tapes = ctx.tapes
    if tapes and opdef.grad is not None:
        for tape in tapes:
            tape.record(opdef, inputs, outputs, attrs)
    return outputs


def execute_binary(opdef: OpDef, x: Tensor, y: Tensor) -> Tensor:
    """`execute(opdef.name, (x, y))` for an op with one output and no attrs (the binary
    arithmetic the operators run): the same work, minus the op lookup and the arity
    checks, on the hottest eager path. Traced graphs go through execute().
    """
    if ctx.graph is not None:
        return execute(opdef.name, (x, y))
    try:
        out = opdef.kernel(x._value, y._value)
    except errors.OpError:
        raise
    except _KERNEL_ERRORS as e:
        raise kernel_error(opdef, (x, y), _EMPTY, e) from None
    if type(out) is not _ndarray:
        out = np.asarray(out)
    t = _new(Tensor)
    t._value = out
    dtype = _NP_TO_DTYPE.get(out.dtype)
    t._dtype = dtype if dtype is not None else wrap(out)._dtype
    tapes = ctx.tapes
    if tapes and opdef.grad is not None:
        for tape in tapes:
            tape.record_binary(opdef, x, y, t)
    return t


def kernel_error(opdef: OpDef, inputs: Sequence[Tensor], attrs: dict, e: Exception) -> Exception:
    """Explains a kernel failure: the shape rule's own error if it finds one (it names
    the op and the shapes), else the kernel's message in TensorFlow's form."""
    if opdef.shape is not None:
        try:
            opdef.shape(list(inputs), attrs)
        except errors.OpError as shape_error:
            return shape_error
        except (ValueError, TypeError) as shape_error:
            return errors.op_error(errors.InvalidArgumentError, opdef.name, str(shape_error))
    shapes = ", ".join(str(list(t.shape)) for t in inputs)
    return errors.op_error(errors.InvalidArgumentError, opdef.name, f"{e} (input shapes: {shapes})")
