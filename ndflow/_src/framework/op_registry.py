"""The op registry: each op type is declared once with its kernel, shape rule and gradient.

- kernel(*arrays, **attrs) -> ndarray, or a tuple of ndarrays for multi-output ops.
  Runs eagerly and inside compiled graphs alike.
- shape(inputs, attrs) -> [(dims tuple or None, DType), ...], one per output. `inputs`
  are Tensors (eager or symbolic); only `.shape`, `.dtype` and `static_value` are used.
  Used to build graphs, and in eager mode to explain a kernel's failure.
- grad(op, *output_grads) -> one gradient (or None) per input, written in ndflow ops.
  `op` has `.type`, `.inputs`, `.outputs`, `.attrs`, `.get_attr(name)` and
  `.skip_input_indices` (inputs whose gradient nobody asked for).
- array_grad(inputs, output, attrs, skip, g) -> the same gradients computed directly on
  NumPy arrays (optional): `inputs` (a tuple) and `output` are the op's eager tensors, `skip`
  is `op.skip_input_indices`, `g` is the output gradient's ndarray (a real float); the
  results are ndarrays (or NumPy scalars) or None, one per input. The eager tape
  uses it when nothing records the backward pass (no outer tape, no graph), skipping a
  dispatch and a Tensor per gradient op; it must give `grad`'s results bit for bit. It
  may return None to decline (the walker then calls `grad`). Single-output ops only.
"""

from __future__ import annotations

from typing import Any, Callable

ShapeFn = Callable[[list, dict], list]
GradFn = Callable[..., Any]


class OpDef:
    __slots__ = ("name", "kernel", "shape", "grad", "array_grad", "num_outputs", "stateful", "doc")

    def __init__(
        self,
        name: str,
        kernel: Callable,
        shape: ShapeFn | None,
        grad: GradFn | None,
        num_outputs: int,
        stateful: bool,
        array_grad: GradFn | None = None,
    ) -> None:
        self.name = name
        self.kernel = kernel
        self.shape = shape
        self.grad = grad
        self.array_grad = array_grad
        # -1: the count depends on attrs (the kernel returns a tuple; shape says how many).
        self.num_outputs = num_outputs
        self.stateful = stateful

    def __repr__(self) -> str:
        return f"<OpDef {self.name}>"


_OPS: dict[str, OpDef] = {}


def identity_grad(op: Any, g: Any) -> tuple:
    """The gradient of an op that passes its one input through (a variable read): `g`.

    The tape's walker recognises this function and skips calling it, on every read of
    every variable in a training step.
    """
    return (g,)


def register_op(
    name: str,
    kernel: Callable,
    shape: ShapeFn | None = None,
    grad: GradFn | None = None,
    *,
    num_outputs: int = 1,
    stateful: bool = False,
    array_grad: GradFn | None = None,
) -> OpDef:
    """Declares op type `name`. Registering the same name twice is a bug and raises."""
    if name in _OPS:
        raise KeyError(f"Op type {name!r} is already registered.")
    if array_grad is not None and (grad is None or num_outputs != 1):
        raise ValueError(f"Op type {name!r}: array_grad needs a grad and one output.")
    opdef = OpDef(name, kernel, shape, grad, num_outputs, stateful, array_grad)
    _OPS[name] = opdef
    return opdef


def get_op(name: str) -> OpDef:
    try:
        return _OPS[name]
    except KeyError:
        raise KeyError(f"No op type {name!r} is registered.") from None


def registered_ops() -> dict[str, OpDef]:
    return dict(_OPS)


class RegisterGradient:
    """`tf.RegisterGradient(op_type)`: decorator setting the gradient of a registered op."""

    def __init__(self, op_type: str) -> None:
        self._op_type = op_type

    def __call__(self, fn: GradFn) -> GradFn:
        opdef = get_op(self._op_type)
        opdef.grad = fn
        opdef.array_grad = None  # it computed the replaced gradient
        return fn


def no_gradient(op_type: str) -> None:
    """`tf.no_gradient`: marks an op as having no gradient."""
    opdef = get_op(op_type)
    opdef.grad = None
    opdef.array_grad = None
