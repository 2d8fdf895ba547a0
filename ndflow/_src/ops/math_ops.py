"""Math ops: element-wise arithmetic, reductions and casts.

Each op is declared once: kernel, shape rule and gradient side by side, then the public
function. Gradients are written in ndflow ops so they trace and nest.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ndflow._src.core import dtypes, errors
from ndflow._src.framework.execute import execute, execute_binary
from ndflow._src.framework.op_registry import register_op
from ndflow._src.framework.tensor import (
    Tensor,
    VariableBase,
    register_operator,
    static_value,
)
from ndflow._src.ops import op_util
from ndflow._src.ops.op_util import (
    _SCALARS,
    _scalar_as,
    binary_operands,
    binary_shape,
    dims_of,
    to_tensor,
    unary_shape,
)


def _skip(op: Any, i: int) -> bool:
    return i in op.skip_input_indices


def _conj(t: Tensor) -> Tensor:
    return execute("Conj", (t,)) if t._dtype.is_complex else t


def holomorphic(grad):
    """Adapts a gradient written as g * f'(x) to complex inputs: TensorFlow's convention
    is g * conj(f'(x)), which is conj(F(conj(g))) for any F linear in g. Real inputs pay
    one dtype check."""

    def wrapped(op, *grads):
        if op.inputs[0]._dtype._enum not in _COMPLEX_ENUMS:  # not the property: hot path
            return grad(op, *grads)
        out = grad(op, *[None if g is None else _conj(g) for g in grads])
        return tuple(None if r is None else _conj(r) for r in out)

    wrapped.__name__ = getattr(grad, "__name__", "grad")
    return wrapped


_COMPLEX_ENUMS = frozenset((dtypes.complex64._enum, dtypes.complex128._enum))


class TypeList(tuple):
    """TensorFlow's allowed-type list for an op: ordered as its error messages print it,
    with a frozenset beside it so the check on the eager hot path is one hash lookup."""

    def __new__(cls, items) -> TypeList:
        obj = super().__new__(cls, tuple(d for d in items if d is not None))
        obj.set = frozenset(obj)
        # The same set by enum: DType.__hash__ is Python code, an int's hash is not, which
        # makes this membership test ~80 ns cheaper on every checked op.
        obj.enums = frozenset(d._enum for d in obj)
        return obj

    def __add__(self, other) -> TypeList:
        return TypeList(tuple(self) + tuple(other))


_F = TypeList((dtypes.bfloat16, dtypes.float16, dtypes.float32, dtypes.float64))
_C = TypeList((dtypes.complex64, dtypes.complex128))
_SI = TypeList((dtypes.int8, dtypes.int16, dtypes.int32, dtypes.int64))
_UI = TypeList((dtypes.uint8, dtypes.uint16, dtypes.uint32, dtypes.uint64))
FLOAT_TYPES = _F
FLOAT_COMPLEX = _F + _C
SIGNED_TYPES = _F + _SI + _C
ABS_TYPES = _F + _SI
NUMERIC_TYPES = _F + _SI + _UI + _C
REAL_TYPES = _F + (
    dtypes.int8,
    dtypes.uint8,
    dtypes.int16,
    dtypes.uint16,
    dtypes.int32,
    dtypes.uint32,
    dtypes.int64,
    dtypes.uint64,
)
INTEGER_TYPES = _SI + _UI
# `variant` too: the gradient walker sums TensorArray gradients (flows) with AddV2, as TF.
ADD_TYPES = NUMERIC_TYPES + (dtypes.string, dtypes.variant)


def _public_name(doc: str) -> str:
    """`tf.math.sign`: ... -> "sign" (names the functions the op tables generate)."""
    return doc.split("`")[1].split("(")[0].rsplit(".", 1)[-1]


def check_type(x: Tensor, allowed: tuple, op_type: str) -> None:
    """Raises TensorFlow's InvalidArgumentError when `x`'s dtype is not in `allowed`."""
    if type(allowed) is TypeList:
        if x._dtype._enum in allowed.enums:
            return
    elif x._dtype in allowed:
        return
    names = ", ".join(op_util.cpp_name(d) for d in allowed)
    raise op_util.invalid(
        op_type,
        f"Value for attr 'T' of {op_util.cpp_name(x._dtype)} is not in the list of "
        f"allowed values: {names}",
    )


def check_bool(x: Tensor, op_type: str, index: int = 0) -> None:
    """The error TensorFlow gives when a bool-only op receives another dtype."""
    if x._dtype is not dtypes.bool:
        raise op_util.invalid(
            op_type,
            f"cannot compute {op_type} as input #{index}(zero-based) was expected to be a "
            f"bool tensor but is a {op_util.cpp_name(x._dtype)} tensor",
        )


# ---------------------------------------------------------------------------- binary


def _eager_binary(opdef: Any, x: Any, y: Any, enums: Any) -> Tensor | None:
    """The eager hot path of add/subtract/multiply: two eager tensors of one dtype need no
    conversion; an eager tensor with a Python number or a variable of its dtype converts
    as `binary_operands` would. None when the general path must decide."""
    tx, ty = type(x), type(y)
    if tx is Tensor:
        if x._dtype._enum not in enums:
            return None
        if ty is Tensor:
            if x._dtype is y._dtype:
                return execute_binary(opdef, x, y)
        elif ty is float or ty is int:
            c = _SCALARS.get((y, ty, x._dtype._enum))  # _scalar_as's cache, without its call
            return execute_binary(opdef, x, c if c is not None else _scalar_as(y, x._dtype))
        elif isinstance(y, VariableBase) and y.dtype is x._dtype:  # `t + v`: read v
            return execute_binary(opdef, x, y.value())
    elif (tx is float or tx is int) and ty is Tensor and y._dtype._enum in enums:
        c = _SCALARS.get((x, tx, y._dtype._enum))
        return execute_binary(opdef, c if c is not None else _scalar_as(x, y._dtype), y)
    return None


def _add_grad(op, g):
    return g, g


# array_grad twins (see op_registry): the same kernels as the ops their `grad` runs, called
# on the arrays directly when nothing records the backward pass.
_ADDV2 = register_op(
    "AddV2", np.add, binary_shape("AddV2"), _add_grad, array_grad=lambda xs, y, a, skip, g: (g, g)
)


def add(x: Any, y: Any, name: str | None = None) -> Tensor:
    """`tf.math.add`: x + y, element-wise with broadcasting.

    >>> import ndflow as tf
    >>> tf.add(tf.constant([1, 2]), 3)
    <tf.Tensor: shape=(2,), dtype=int32, numpy=array([4, 5], dtype=int32)>
    """
    out = _eager_binary(_ADDV2, x, y, ADD_TYPES.enums)
    if out is not None:
        return out
    x, y = binary_operands(x, y, "AddV2")
    check_type(x, ADD_TYPES, "AddV2")
    return execute("AddV2", (x, y))


def _sub_grad(op, g):
    return g, None if 1 in op.skip_input_indices else negative(g)


def _sub_array_grad(inputs, output, attrs, skip, g):
    return g, None if 1 in skip else np.negative(g)


_SUB = register_op("Sub", np.subtract, binary_shape("Sub"), _sub_grad, array_grad=_sub_array_grad)


def subtract(x: Any, y: Any, name: str | None = None) -> Tensor:
    """`tf.math.subtract`: x - y, element-wise with broadcasting."""
    out = _eager_binary(_SUB, x, y, NUMERIC_TYPES.enums)
    if out is not None:
        return out
    x, y = binary_operands(x, y, "Sub")
    check_type(x, NUMERIC_TYPES, "Sub")
    return execute("Sub", (x, y))


def _mul_grad(op, g):
    x, y = op.inputs
    skip = op.skip_input_indices  # read once, not through _skip: every model's hot path
    return (
        None if 0 in skip else multiply(g, y),
        None if 1 in skip else multiply(x, g),
    )


def _mul_array_grad(inputs, output, attrs, skip, g):
    x, y = inputs
    return (
        None if 0 in skip else np.multiply(g, y._value),
        None if 1 in skip else np.multiply(x._value, g),
    )


_MUL = register_op(
    "Mul", np.multiply, binary_shape("Mul"), holomorphic(_mul_grad), array_grad=_mul_array_grad
)


def multiply(x: Any, y: Any, name: str | None = None) -> Tensor:
    """`tf.math.multiply`: x * y, element-wise with broadcasting."""
    out = _eager_binary(_MUL, x, y, NUMERIC_TYPES.enums)
    if out is not None:
        return out
    x, y = binary_operands(x, y, "Mul")
    check_type(x, NUMERIC_TYPES, "Mul")
    return execute("Mul", (x, y))


def _realdiv_grad(op, g):
    x, y = op.inputs
    gx = None if _skip(op, 0) else divide_(g, y)
    gy = None if _skip(op, 1) else negative(divide_(multiply(g, op.outputs[0]), y))
    return gx, gy


def _realdiv_kernel(x, y):
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.true_divide(x, y)


def _realdiv_array_grad(inputs, output, attrs, skip, g):
    yv = inputs[1]._value
    gx = None if 0 in skip else _realdiv_kernel(g, yv)
    gy = None if 1 in skip else np.negative(_realdiv_kernel(np.multiply(g, output._value), yv))
    return gx, gy


register_op(
    "RealDiv",
    _realdiv_kernel,
    binary_shape("RealDiv"),
    holomorphic(_realdiv_grad),
    array_grad=_realdiv_array_grad,
)


def divide_(x: Tensor, y: Tensor) -> Tensor:
    return execute("RealDiv", (x, y))


def _int_truediv_cast(x: Tensor) -> Tensor:
    # TensorFlow's truediv casts int8/16/uint8/16 to float32 and int32/64 to float64.
    target = dtypes.float32 if x.dtype.size <= 2 else dtypes.float64
    return cast(x, target)


_TRUEDIV_TYPES = (
    dtypes.uint8,
    dtypes.int8,
    dtypes.uint16,
    dtypes.int16,
    dtypes.uint32,
    dtypes.int32,
    dtypes.uint64,
    dtypes.int64,
    dtypes.bfloat16,
    dtypes.float16,
    dtypes.float32,
    dtypes.float64,
    dtypes.complex64,
    dtypes.complex128,
)
_TRUEDIV_SET = frozenset(d for d in _TRUEDIV_TYPES if d is not None)


def truediv_operands(x: Any, y: Any, where: str) -> tuple[Tensor, Tensor]:
    """Python 3 division's operands, checked as TensorFlow checks them (TypeErrors), with
    integers cast to float32 (8/16-bit) or float64 (32/64-bit)."""
    if isinstance(x, Tensor) and isinstance(y, Tensor) and x._dtype is not y._dtype:
        raise TypeError(f"`x` and `y` must have the same dtype, got {x._dtype!r} != {y._dtype!r}.")
    x, y = binary_operands(x, y, "RealDiv")
    if x._dtype not in _TRUEDIV_SET:
        names = ", ".join(repr(d) for d in _TRUEDIV_TYPES if d is not None)
        raise TypeError(f"Invalid dtype {x._dtype!r} in {where}. Expected one of {{{names}}}.")
    if x._dtype.is_integer:
        x, y = _int_truediv_cast(x), _int_truediv_cast(y)
    return x, y


def truediv(x: Any, y: Any, name: str | None = None) -> Tensor:
    """`tf.math.truediv`: x / y; integer inputs are first cast to floating point.

    Raises:
        TypeError: for tensors of different dtypes, or dtypes that cannot divide (bool).

    >>> import ndflow as tf
    >>> tf.truediv(tf.constant([1, 2]), 4)
    <tf.Tensor: shape=(2,), dtype=float64, numpy=array([0.25, 0.5 ])>
    """
    x, y = truediv_operands(x, y, "__truediv__")
    return execute("RealDiv", (x, y))


def divide(x: Any, y: Any, name: str | None = None) -> Tensor:
    """`tf.math.divide`: Python 3 division, x / y."""
    return truediv(x, y)


def _pow_kernel(x, y):
    if x.ndim == 0 and y.ndim == 0 and x.dtype.kind == "f" and y.dtype is x.dtype:
        base = float(x)
        if base > 0.0 and math.isfinite(base) and math.isfinite(float(y)):
            # A finite positive base to a finite power (Adam's beta ** step) can neither
            # divide by zero nor be invalid: no np.errstate (~1.5 us); the same np.power.
            return np.power(x, y)
    if x.dtype.kind == "f" and y.ndim == 0 and y.item() == 2.0:
        # Fast path for x**2: squaring a float can neither divide by zero nor be invalid,
        # so it needs no np.errstate (~0.9 us); the same np.power call as below.
        return np.power(x, y)
    if x.dtype.kind in "iu" and np.any(y < 0):
        raise ValueError("Integers to negative integer powers are not allowed.")
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.power(x, y)


def _pow_grad(op, g):
    x, y = op.inputs
    z = op.outputs[0]
    gx = gy = None
    if not _skip(op, 0):
        gx = multiply(multiply(g, y), pow(x, subtract(y, 1)))
    if not _skip(op, 1):
        safe_log = _where_positive_log(x)
        gy = multiply(multiply(g, z), safe_log)
    return gx, gy


def _where_positive_log(x: Tensor) -> Tensor:
    from ndflow._src.ops.array_ops import where

    zeros = zeros_like(x)
    positive = greater(x, zeros)
    return where(positive, log(where(positive, x, ones_like(x))), zeros)


_POW = register_op("Pow", _pow_kernel, binary_shape("Pow"), holomorphic(_pow_grad))


def pow(x: Any, y: Any, name: str | None = None) -> Tensor:  # noqa: A001 - TF's name
    """`tf.math.pow`: x ** y, element-wise."""
    if type(x) is Tensor and (type(y) is float or type(y) is int):  # `x ** 2`
        if x._dtype._enum in SIGNED_TYPES.enums:
            c = _SCALARS.get((y, type(y), x._dtype._enum))
            return execute_binary(_POW, x, c if c is not None else _scalar_as(y, x._dtype))
    x, y = binary_operands(x, y, "Pow")
    check_type(x, SIGNED_TYPES, "Pow")
    return execute("Pow", (x, y))


# ---------------------------------------------------------------------------- unary


def _neg_grad(op, g):
    return (negative(g),)


register_op(
    "Neg",
    np.negative,
    unary_shape(),
    _neg_grad,
    array_grad=lambda xs, y, a, skip, g: (np.negative(g),),
)


def negative(x: Any, name: str | None = None) -> Tensor:
    """`tf.math.negative`: -x."""
    x = to_tensor(x)
    check_type(x, SIGNED_TYPES, "Neg")
    return execute("Neg", (x,))


def _square_grad(op, g):
    return (execute("SquareGrad", (op.inputs[0], g)),)


def _square_grad_kernel(x, g):
    if x.dtype.kind != "c":
        # x + x is exactly x * 2 for reals, and skips converting the Python 2 (~0.4 us).
        # Not for complex: x * (2+0j) turns infinite parts into nan where x + x does not.
        return np.multiply(np.add(x, x), g)
    return np.multiply(np.multiply(x, 2, dtype=x.dtype), g)


def _square_grad_grad(op, dz):
    x, g = op.inputs
    two = op_util._scalar_as(2, x.dtype)
    return multiply(multiply(dz, g), two), multiply(multiply(dz, x), two)


# d(x^2) = 2 x g in one pass: the backward of every squared-error loss.
register_op("SquareGrad", _square_grad_kernel, binary_shape("SquareGrad"), _square_grad_grad)
register_op(
    "Square",
    np.square,
    unary_shape(),
    holomorphic(_square_grad),
    array_grad=lambda xs, y, a, skip, g: (_square_grad_kernel(xs[0]._value, g),),
)


def square(x: Any, name: str | None = None) -> Tensor:
    """`tf.math.square`: x * x."""
    if type(x) is Tensor and x._dtype._enum in NUMERIC_TYPES.enums:  # eager fast path
        return execute("Square", (x,))
    x = to_tensor(x)
    check_type(x, NUMERIC_TYPES, "Square")
    return execute("Square", (x,))


def _log_kernel(x):
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.log(x)


register_op(
    "Log",
    _log_kernel,
    unary_shape(),
    holomorphic(lambda op, g: (divide_(g, op.inputs[0]),)),
    array_grad=lambda xs, y, a, skip, g: (_realdiv_kernel(g, xs[0]._value),),
)


def log(x: Any, name: str | None = None) -> Tensor:
    """`tf.math.log`: natural logarithm."""
    x = to_tensor(x)
    check_type(x, FLOAT_COMPLEX, "Log")
    return execute("Log", (x,))


def _exp_grad(op, g):
    return (multiply(g, op.outputs[0]),)


register_op(
    "Exp",
    np.exp,
    unary_shape(),
    holomorphic(_exp_grad),
    array_grad=lambda xs, y, a, skip, g: (np.multiply(g, y._value),),
)


def exp(x: Any, name: str | None = None) -> Tensor:
    """`tf.math.exp`: e ** x."""
    x = to_tensor(x)
    check_type(x, FLOAT_COMPLEX, "Exp")
    return execute("Exp", (x,))


def _cast_kernel(x, DstT):  # noqa: N803 - TensorFlow's attr name
    if DstT is dtypes.string:
        raise TypeError("Cast to string is not supported; use tf.strings.as_string.")
    if x.dtype.kind == "c" and DstT.is_complex is False:
        x = x.real
    return x.astype(DstT._np)


def _cast_grad(op, g):
    src = op.inputs[0].dtype
    if (src.is_floating or src.is_complex) and (g.dtype.is_floating or g.dtype.is_complex):
        return (cast(g, src),)
    return (None,)


register_op(
    "Cast",
    _cast_kernel,
    lambda inputs, attrs: [(dims_of(inputs[0]), attrs["DstT"])],
    _cast_grad,
)


def cast(x: Any, dtype: Any, name: str | None = None) -> Tensor:
    """`tf.cast`: converts `x` to `dtype` (floats to ints truncate toward zero)."""
    dtype = dtypes.as_dtype(dtype)
    x = to_tensor(x)
    if x.dtype is dtype:
        return x
    return execute("Cast", (x,), {"DstT": dtype})


# ---------------------------------------------------------------------------- op tables


def _quiet(np_fn):
    """A NumPy kernel that returns inf/nan silently, as TensorFlow's kernels do."""

    def kernel(*arrays):
        with np.errstate(all="ignore"):
            return np_fn(*arrays)

    kernel.__name__ = getattr(np_fn, "__name__", "kernel")
    return kernel


def _binary(op_type: str, kernel, grad, allowed: tuple | None, doc: str, out_dtype=None):
    """Registers a broadcasting two-input op and returns its public function."""
    register_op(op_type, kernel, binary_shape(op_type, out_dtype), grad)

    def fn(x: Any, y: Any, name: str | None = None) -> Tensor:
        x, y = binary_operands(x, y, op_type)
        if allowed is not None:
            check_type(x, allowed, op_type)
        return execute(op_type, (x, y))

    fn.__doc__ = doc
    fn.__name__ = fn.__qualname__ = _public_name(doc)
    return fn


# ---------------------------------------------------------------------------- add_n


def _add_n_kernel(*arrays):
    out = arrays[0].copy()
    for a in arrays[1:]:
        out += a
    return out


def _add_n_shape(inputs, attrs):
    first = dims_of(inputs[0])
    for i, t in enumerate(inputs[1:], 1):
        d = dims_of(t)
        if (
            first is not None
            and d is not None
            and (
                len(first) != len(d)
                or any(a is not None and b is not None and a != b for a, b in zip(first, d))
            )
        ):
            raise op_util.invalid(
                "AddN",
                f"Inputs to operation AddN of type AddN must have the same size and shape.  "
                f"Input 0: {op_util.dims_str(first)} != input {i}: {op_util.dims_str(d)}",
            )
    return [(first, inputs[0].dtype)]


def _add_n_kernel_checked(*arrays):
    shape = arrays[0].shape
    if any(a.shape != shape for a in arrays):
        raise ValueError("AddN inputs differ in shape")
    return _add_n_kernel(*arrays)


register_op("AddN", _add_n_kernel_checked, _add_n_shape, lambda op, g: (g,) * len(op.inputs))


def add_n(inputs: Any, name: str | None = None) -> Tensor:
    """`tf.math.add_n`: the element-wise sum of a list of same-shape, same-dtype tensors.

    >>> import ndflow as tf
    >>> tf.add_n([tf.constant([1, 2]), tf.constant([3, 4])])
    <tf.Tensor: shape=(2,), dtype=int32, numpy=array([4, 6], dtype=int32)>
    """
    if isinstance(inputs, Tensor) or not isinstance(inputs, (list, tuple)) or not inputs:
        raise ValueError(
            "Inputs must be an iterable of at least one Tensor/IndexedSlices with the same "
            "dtype and shape."
        )
    first = next((t for t in inputs if isinstance(t, Tensor)), None)
    dtype = None if first is None else first._dtype
    tensors = [t if isinstance(t, Tensor) else to_tensor(t, dtype) for t in inputs]
    for i, t in enumerate(tensors):
        if t._dtype is not tensors[0]._dtype:
            raise op_util.invalid(
                "AddN",
                f"cannot compute AddN as input #{i}(zero-based) was expected to be a "
                f"{op_util.cpp_name(tensors[0]._dtype)} tensor but is a "
                f"{op_util.cpp_name(t._dtype)} tensor",
            )
    check_type(tensors[0], NUMERIC_TYPES, "AddN")
    return execute("AddN", tuple(tensors))


# ---------------------------------------------------------------------------- comparisons


def _compare(op_type: str, kernel, symbol: str, public: str):
    register_op(op_type, kernel, binary_shape(op_type, dtypes.bool))

    def fn(x: Any, y: Any, name: str | None = None) -> Tensor:
        x, y = binary_operands(x, y, op_type)
        check_type(x, REAL_TYPES, op_type)
        return execute(op_type, (x, y))

    fn.__doc__ = f"`tf.math.{public}`: x {symbol} y element-wise, as a bool tensor."
    fn.__name__ = fn.__qualname__ = public
    return fn


greater = _compare("Greater", np.greater, ">", "greater")
greater_equal = _compare("GreaterEqual", np.greater_equal, ">=", "greater_equal")
less = _compare("Less", np.less, "<", "less")
less_equal = _compare("LessEqual", np.less_equal, "<=", "less_equal")


def _broadcastable(a: tuple, b: tuple) -> bool:
    return all(x == y or x == 1 or y == 1 for x, y in zip(reversed(a), reversed(b)))


def _equality_kernel(np_fn, mismatch: bool):
    def kernel(x, y, incompatible_shape_error=True):
        if not incompatible_shape_error and not _broadcastable(x.shape, y.shape):
            return np.asarray(mismatch)
        out = np_fn(x, y)
        return out if out.dtype == np.bool_ else out.astype(np.bool_)

    return kernel


def _equality_shape(op_type: str):
    def rule(inputs, attrs):
        a, b = dims_of(inputs[0]), dims_of(inputs[1])
        if attrs.get("incompatible_shape_error", True):
            return [(op_util.broadcast_dims(a, b, op_type), dtypes.bool)]
        if a is None or b is None or None in a or None in b:
            return [(None, dtypes.bool)]  # the shapes may turn out incompatible: a scalar
        try:
            return [(op_util.broadcast_dims(a, b, op_type), dtypes.bool)]
        except errors.OpError:
            return [((), dtypes.bool)]

    return rule


register_op("Equal", _equality_kernel(np.equal, False), _equality_shape("Equal"))
register_op("NotEqual", _equality_kernel(np.not_equal, True), _equality_shape("NotEqual"))


def equal(x: Any, y: Any, name: str | None = None) -> Tensor:
    """`tf.math.equal`: x == y element-wise with broadcasting (any dtype, strings too).

    >>> import ndflow as tf
    >>> tf.equal(tf.constant([1, 2]), 2)
    <tf.Tensor: shape=(2,), dtype=bool, numpy=array([False,  True])>
    """
    x, y = binary_operands(x, y, "Equal")
    return execute("Equal", (x, y), {"incompatible_shape_error": True})


def not_equal(x: Any, y: Any, name: str | None = None) -> Tensor:
    """`tf.math.not_equal`: x != y element-wise with broadcasting."""
    x, y = binary_operands(x, y, "NotEqual")
    return execute("NotEqual", (x, y), {"incompatible_shape_error": True})


def _tensor_eq(self: Tensor, other: Any) -> Any:
    # TF2's Tensor.__eq__: element-wise, but shapes that cannot broadcast compare unequal
    # (a scalar False) instead of raising, and None is never equal.
    if other is None:
        return False
    x, y = binary_operands(self, other, "Equal")
    return execute("Equal", (x, y), {"incompatible_shape_error": False})


def _tensor_ne(self: Tensor, other: Any) -> Any:
    if other is None:
        return True
    x, y = binary_operands(self, other, "NotEqual")
    return execute("NotEqual", (x, y), {"incompatible_shape_error": False})


# ---------------------------------------------------------------------------- logical


def _logical_binary(op_type: str, kernel, doc: str):
    register_op(op_type, kernel, binary_shape(op_type, dtypes.bool))

    def fn(x: Any, y: Any, name: str | None = None) -> Tensor:
        x, y = to_tensor(x), to_tensor(y)
        check_bool(x, op_type, 0)
        check_bool(y, op_type, 1)
        return execute(op_type, (x, y))

    fn.__doc__ = doc
    fn.__name__ = fn.__qualname__ = _public_name(doc)
    return fn


logical_and = _logical_binary(
    "LogicalAnd", np.logical_and, "`tf.math.logical_and`: x AND y for bool tensors."
)
logical_or = _logical_binary(
    "LogicalOr", np.logical_or, "`tf.math.logical_or`: x OR y for bool tensors."
)
register_op("LogicalNot", np.logical_not, unary_shape(dtypes.bool))


def logical_not(x: Any, name: str | None = None) -> Tensor:
    """`tf.math.logical_not`: NOT x for a bool tensor."""
    x = to_tensor(x)
    check_bool(x, "LogicalNot")
    return execute("LogicalNot", (x,))


def logical_xor(x: Any, y: Any, name: str | None = None) -> Tensor:
    """`tf.math.logical_xor`: (x OR y) AND NOT (x AND y), composed as TensorFlow does.

    >>> import ndflow as tf
    >>> tf.math.logical_xor(tf.constant([True, False]), tf.constant([True, True]))
    <tf.Tensor: shape=(2,), dtype=bool, numpy=array([False,  True])>
    """
    return logical_and(logical_or(x, y), logical_not(logical_and(x, y)))


# ---------------------------------------------------------------------------- reductions


def _axes_attr(x: Tensor, axis: Any) -> tuple | None:
    if axis is None:
        return None
    if isinstance(axis, Tensor):
        value = static_value(axis)
        if value is None:
            raise NotImplementedError("A reduction axis must be known when the op is built.")
        axis = np.asarray(value).tolist()
    if isinstance(axis, (list, tuple)):
        return tuple(int(a) for a in axis)
    return (int(axis),)


def reduced_dims(dims: Any, axes: Any, keepdims: bool, op_type: str) -> Any:
    """The static shape after reducing `axes`, with TensorFlow's invalid-axis error."""
    if dims is None:
        return None
    rank = len(dims)
    if axes is None:
        return (1,) * rank if keepdims else ()
    norm = set()
    for a in axes:
        if not -rank <= a < max(rank, 1) or (rank == 0 and a not in (0, -1)):
            raise op_util.invalid(
                op_type,
                f"Invalid reduction dimension ({a} for input with {rank} dimension(s)",
            )
        n = a % rank if rank else 0
        if n in norm:
            raise op_util.invalid(
                op_type,
                f"Invalid reduction arguments: Axes contains duplicate dimension: {n}",
            )
        norm.add(n)
    if keepdims:
        return tuple(1 if i in norm else d for i, d in enumerate(dims))
    return tuple(d for i, d in enumerate(dims) if i not in norm)


def reduction_shape(op_type: str, out_dtype=None):
    """The shape rule of a reduction op with `axis` and `keepdims` attrs."""

    def rule(inputs, attrs):
        dims = reduced_dims(dims_of(inputs[0]), attrs["axis"], attrs["keepdims"], op_type)
        return [(dims, out_dtype or inputs[0].dtype)]

    return rule


def reduction_attrs(x: Tensor, axis: Any, keepdims: Any) -> dict:
    return {"axis": _axes_attr(x, axis), "keepdims": bool(keepdims)}


def _is_half(dt: np.dtype) -> bool:
    return dt.itemsize == 2 and dt.kind not in "iub"  # float16 or bfloat16


def _sum_kernel(x, axis, keepdims):
    if _is_half(x.dtype):
        # Accumulate 16-bit floats in float32, as TensorFlow's kernels do.
        return np.sum(x, axis=axis, keepdims=keepdims, dtype=np.float32).astype(x.dtype)
    # np.sum's reduction without its Python wrapper (~1.5 us per call): the same ufunc
    # call np.sum makes for an ndarray.
    return np.add.reduce(x, axis=axis, dtype=x.dtype, keepdims=keepdims)


def _sum_grad(op, g):
    x = op.inputs[0]
    return (broadcast_like(g, x, op.attrs["axis"], op.attrs["keepdims"]),)


def _sum_array_grad(inputs, output, attrs, skip, g):
    return (_broadcast_like_kernel(g, inputs[0]._value, attrs["axis"], attrs["keepdims"], False),)


# The gradient of a full mean for an upstream gradient of 1 (every scalar loss), by input
# shape and dtype: a read-only view, so one array serves every step. Capped in size.
_UNIT_MEAN_GRADS: dict = {}


def _mean_array_grad(inputs, output, attrs, skip, g):
    x = inputs[0]._value
    axis = attrs["axis"]
    if axis is None and not g.ndim and g[()] == 1:
        key = (x.shape, x.dtype, attrs["keepdims"])
        out = _UNIT_MEAN_GRADS.get(key)
        if out is None:
            out = _broadcast_like_kernel(g, x, axis, attrs["keepdims"], True)
            if not out.flags.writeable and len(_UNIT_MEAN_GRADS) < 256:
                _UNIT_MEAN_GRADS[key] = out
        return (out,)
    return (_broadcast_like_kernel(g, x, axis, attrs["keepdims"], True),)


register_op("Sum", _sum_kernel, reduction_shape("Sum"), _sum_grad, array_grad=_sum_array_grad)


def reduce_sum(
    input_tensor: Any, axis: Any = None, keepdims: bool = False, name: str | None = None
) -> Tensor:
    """`tf.math.reduce_sum`: the sum over `axis` (all axes when None).

    >>> import ndflow as tf
    >>> tf.reduce_sum(tf.constant([[1, 2], [3, 4]]), axis=0)
    <tf.Tensor: shape=(2,), dtype=int32, numpy=array([4, 6], dtype=int32)>
    """
    x = to_tensor(input_tensor)
    check_type(x, NUMERIC_TYPES, "Sum")
    return execute("Sum", (x,), reduction_attrs(x, axis, keepdims))


def _mean_kernel(x, axis, keepdims):
    dt = x.dtype
    if axis is None and not keepdims and dt.kind == "f" and dt.itemsize > 2 and x.size:
        # Fast path for the full mean of a float32/64 loss (np.mean's Python wrapper costs
        # ~2.5 us): the same pairwise sum np.mean does, then one correctly rounded
        # division, which equals np.mean's division done in float64 and rounded back.
        return dt.type(np.add.reduce(x, None, dt) / x.size)
    if dt.kind in "iu":
        # Integer mean truncates toward zero, as TensorFlow's does.
        s = np.sum(x, axis=axis, keepdims=keepdims, dtype=np.int64)
        n = x.size // max(s.size, 1) if x.size else 0
        if n == 0:
            return np.zeros_like(s, dtype=x.dtype)
        return (np.trunc(s / n)).astype(x.dtype)
    if _is_half(x.dtype):
        return np.mean(x, axis=axis, keepdims=keepdims, dtype=np.float32).astype(x.dtype)
    return np.mean(x, axis=axis, keepdims=keepdims, dtype=x.dtype)


def _mean_grad(op, g):
    x = op.inputs[0]
    return (broadcast_like(g, x, op.attrs["axis"], op.attrs["keepdims"], mean=True),)


register_op("Mean", _mean_kernel, reduction_shape("Mean"), _mean_grad, array_grad=_mean_array_grad)


def reduce_mean(
    input_tensor: Any, axis: Any = None, keepdims: bool = False, name: str | None = None
) -> Tensor:
    """`tf.math.reduce_mean`: the mean over `axis` (integer inputs give integer means)."""
    x = input_tensor
    if type(x) is Tensor and axis is None and x._dtype._enum in NUMERIC_TYPES.enums:
        # Eager fast path for the full mean of every loss: reduction_attrs' result.
        return execute("Mean", (x,), {"axis": None, "keepdims": bool(keepdims)})
    x = to_tensor(input_tensor)
    check_type(x, NUMERIC_TYPES, "Mean")
    return execute("Mean", (x,), reduction_attrs(x, axis, keepdims))


# ---------------------------------------------------------------------------- gradient plumbing
# Ops that take a reference tensor only for its shape, so the gradient walker and reduction
# gradients work the same whether shapes are static or known only when the graph runs.


def _broadcast_like_kernel(g, like, axis, keepdims, mean):
    if not keepdims:
        if axis is None:
            g = g.reshape((1,) * like.ndim)  # the method: np.reshape's wrapper costs ~0.5 us
        elif like.ndim:
            for a in sorted(a % like.ndim for a in axis):
                g = np.expand_dims(g, a)
    if mean:
        count = like.size // max(g.size, 1)
        g = np.true_divide(g, count, dtype=g.dtype) if count else g
    if g.size == 1 and g.dtype.kind in "fc":
        # Fast path for a scalar spread over a shape (the gradient of a full reduction):
        # the same read-only zero-stride view np.broadcast_to builds, ~1.2 us cheaper.
        out = np.ndarray(like.shape, g.dtype, g, 0, (0,) * like.ndim)
        out.flags.writeable = False
        return out
    return np.broadcast_to(g, like.shape)


def _broadcast_like_grad(op, dy):
    reduce = reduce_mean if op.attrs["mean"] else reduce_sum
    return reduce(dy, op.attrs["axis"], op.attrs["keepdims"]), None


register_op(
    "BroadcastLike",
    _broadcast_like_kernel,
    lambda inputs, attrs: [(dims_of(inputs[1]), inputs[0].dtype)],
    _broadcast_like_grad,
)


def broadcast_like(
    g: Tensor, like: Tensor, axis: Any = None, keepdims: bool = False, mean: bool = False
) -> Tensor:
    """Spreads a reduction's gradient `g` back over the shape of `like` (divided by the
    number of reduced elements when `mean`): the gradient of reduce_sum / reduce_mean."""
    return execute("BroadcastLike", (g, like), {"axis": axis, "keepdims": keepdims, "mean": mean})


def _reduce_to_like_kernel(g, like):
    shape = like.shape
    if g.shape == shape:
        return g
    if not shape:
        return np.add.reduce(g, None, g.dtype)  # positional: measurably cheaper here
    lead = g.ndim - len(shape)
    axes = tuple(range(lead)) + tuple(
        i + lead for i, d in enumerate(shape) if d == 1 and g.shape[i + lead] != 1
    )
    return np.sum(g, axis=axes, dtype=g.dtype).reshape(shape)


register_op(
    "ReduceToLike",
    _reduce_to_like_kernel,
    lambda inputs, attrs: [(dims_of(inputs[1]), inputs[0].dtype)],
    lambda op, dy: (broadcast_like(dy, op.inputs[0], (), True), None),
)


def reduce_to_like(g: Tensor, like: Tensor) -> Tensor:
    """Sums a broadcast gradient `g` down to the shape of `like`."""
    return execute("ReduceToLike", (g, like))


def reduce_to_like_array(g: np.ndarray, like: np.ndarray) -> np.ndarray:
    """ReduceToLike's kernel on arrays (the tape's array mode), always an ndarray."""
    if not like.shape:  # the kernel's own sum, into a 0-d array (cheaper than asarray)
        out = np.empty((), g.dtype)
        np.add.reduce(g, None, g.dtype, out)
        return out
    out = _reduce_to_like_kernel(g, like)
    return out if type(out) is np.ndarray else np.asarray(out)


# How many elements of `x` each element of `y` summarises (x.size // y.size): the divisor
# of a mean, known only when the graph runs if shapes are partly unknown.
register_op(
    "SizeRatio",
    lambda x, y: np.asarray(x.size // max(y.size, 1), np.int32),
    lambda inputs, attrs: [((), dtypes.int32)],
)


# ---------------------------------------------------------------------------- fills

register_op("ZerosLike", np.zeros_like, unary_shape(), lambda op, g: (None,))
register_op("OnesLike", np.ones_like, unary_shape(), lambda op, g: (None,))


def zeros_like(input: Any, dtype: Any = None, name: str | None = None) -> Tensor:  # noqa: A002
    """`tf.zeros_like`."""
    x = to_tensor(input)
    z = execute("ZerosLike", (x,))
    return z if dtype is None else cast(z, dtype)


def ones_like(input: Any, dtype: Any = None, name: str | None = None) -> Tensor:  # noqa: A002
    """`tf.ones_like`."""
    x = to_tensor(input)
    o = execute("OnesLike", (x,))
    return o if dtype is None else cast(o, dtype)


# ---------------------------------------------------------------------------- operators


def _binary_operator(fn, reflected: bool = False):
    if reflected:
        return lambda self, other: fn(other, self)
    # The public function itself (its first two parameters are self and other): one call
    # less on every `a * b` than a forwarding lambda.
    return fn


def _reflected_operator(fn, opdef, types: TypeList):
    """`number * t` (also + and -): the Python number converted and the op run here,
    one call less than the reflected `fn(other, self)`, with fn's checks otherwise."""

    def operator(self, other):
        t = type(other)
        if (t is float or t is int) and type(self) is Tensor and self._dtype._enum in types.enums:
            c = _SCALARS.get((other, t, self._dtype._enum))
            return execute_binary(
                opdef, c if c is not None else _scalar_as(other, self._dtype), self
            )
        return fn(other, self)

    return operator


for _name, _fn in (
    ("add", add),
    ("sub", subtract),
    ("mul", multiply),
    ("truediv", truediv),
    ("pow", pow),
):
    register_operator(f"__{_name}__", _binary_operator(_fn))
    register_operator(f"__r{_name}__", _binary_operator(_fn, reflected=True))
register_operator("__radd__", _reflected_operator(add, _ADDV2, ADD_TYPES))
register_operator("__rsub__", _reflected_operator(subtract, _SUB, NUMERIC_TYPES))
register_operator("__rmul__", _reflected_operator(multiply, _MUL, NUMERIC_TYPES))
for _name, _fn in (("gt", greater), ("ge", greater_equal), ("lt", less), ("le", less_equal)):
    register_operator(f"__{_name}__", _binary_operator(_fn))
register_operator("__neg__", lambda self: negative(self))
# Element-wise equality (TF2). Tensor keeps its own __hash__, which raises: tensors stay
# unhashable, and tensor.ref() is the hashable handle.
register_operator("__eq__", _tensor_eq)
register_operator("__ne__", _tensor_ne)
del _name, _fn
