"""`tf.Variable`: a mutable buffer whose reads and writes are ops.

Reads (`ReadVariableOp`) and writes (`AssignVariableOp` and friends) go through
`execute()`, so a traced graph holds the variable by reference through its `handle` (an
eager `resource` tensor) and runs them in program order, and tapes see every read.
Writes replace the buffer instead of mutating it, so a tensor read earlier keeps its
value (TensorFlow's snapshot semantics) without a copy on every read.
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np

from ndflow._src.core import dtypes
from ndflow._src.core.context import ctx, eager_scope
from ndflow._src.core.tensor_shape import TensorShape
from ndflow._src.framework.constant import convert_to_tensor, register_tensor_conversion_function
from ndflow._src.framework.execute import execute
from ndflow._src.framework.op_registry import identity_grad, register_op
from ndflow._src.framework.tensor import (
    Reference,
    Tensor,
    VariableBase,
    _numpy_text,
    wrap_with_dtype,
)


_new = object.__new__


class _Resource:
    """The value inside a variable's `resource` handle tensor: the variable itself."""

    __slots__ = ("var",)
    shape = ()
    ndim = 0
    size = 1
    dtype = np.dtype(object)

    def __init__(self, var: Variable) -> None:
        self.var = var


def _resource_rule(inputs: list, attrs: dict) -> list:
    var = inputs[0]._value.var
    return [(var._shape_dims, var.dtype)]


def _read_kernel(r: _Resource) -> np.ndarray:
    return r.var._array


_READ = register_op("ReadVariableOp", _read_kernel, _resource_rule, identity_grad, stateful=True)


def _check_assign_shape(var: Variable, shape: tuple) -> None:
    if shape != var._array.shape and not var._dynamic_shape:
        raise ValueError(
            f"Cannot assign value to variable ' {var.name}': Shape mismatch.The variable "
            f"shape {var.shape}, and the assigned value shape {TensorShape(shape)} are "
            f"incompatible."
        )


def _assign_kernel(r: _Resource, value: np.ndarray) -> np.ndarray:
    var = r.var
    _check_assign_shape(var, value.shape)
    var._array = np.array(value, dtype=var._array.dtype, copy=True)
    return var._array


# Scalar variables of these dtypes update with NumPy scalar arithmetic: the same IEEE
# operation as the ufunc, at a third of its cost on 0-d arrays (every step of a scalar
# model's optimizer).
_SCALAR_MATH = frozenset((np.dtype(np.float32), np.dtype(np.float64)))


def _assign_add_kernel(r: _Resource, delta: np.ndarray) -> np.ndarray:
    var = r.var
    old = var._array
    if not old.ndim and not delta.ndim and old.dtype in _SCALAR_MATH and delta.dtype == old.dtype:
        var._array = new = np.asarray(old[()] + delta[()])
        return new
    new = np.add(old, delta, dtype=old.dtype)
    if type(new) is not np.ndarray:
        # A 0-d result is a NumPy scalar: store it as an array once, so that every
        # read does not convert it again.
        new = np.asarray(new)
    if new.shape != var._array.shape:
        _check_assign_shape(var, new.shape)
    var._array = new
    return new


def _assign_sub_kernel(r: _Resource, delta: np.ndarray) -> np.ndarray:
    var = r.var
    old = var._array
    if not old.ndim and not delta.ndim and old.dtype in _SCALAR_MATH and delta.dtype == old.dtype:
        var._array = new = np.asarray(old[()] - delta[()])
        return new
    new = np.subtract(old, delta, dtype=old.dtype)
    if type(new) is not np.ndarray:
        # A 0-d result is a NumPy scalar: store it as an array once, so that every
        # read does not convert it again.
        new = np.asarray(new)
    if new.shape != var._array.shape:
        _check_assign_shape(var, new.shape)
    var._array = new
    return new


# Assignments return the new value, so `v.assign_add(1.0) * 2` chains as in TensorFlow.
register_op("AssignVariableOp", _assign_kernel, _resource_rule, stateful=True)
register_op("AssignAddVariableOp", _assign_add_kernel, _resource_rule, stateful=True)
register_op("AssignSubVariableOp", _assign_sub_kernel, _resource_rule, stateful=True)
# Eager writes run these kernels directly (see Variable._write).
_WRITE_KERNELS = {
    "AssignVariableOp": _assign_kernel,
    "AssignAddVariableOp": _assign_add_kernel,
    "AssignSubVariableOp": _assign_sub_kernel,
}


class VariableSynchronization:
    AUTO = 0
    NONE = 1
    ON_WRITE = 2
    ON_READ = 3


class VariableAggregation:
    NONE = 0
    SUM = 1
    MEAN = 2
    ONLY_FIRST_REPLICA = 3


# Called with each new variable; tf.function uses this to lift or forbid creation.
_creation_hooks: list[Callable[[Variable], None]] = []
# Given a symbolic initial value, return its value as an ndarray if it can be computed
# now (ndflow._src.graph lifts initializers that depend only on captures), else None.
_lift_hooks: list[Callable[[Tensor], Any]] = []


class Variable(VariableBase):
    """`tf.Variable`: state that persists across calls and that optimizers update.

    >>> import ndflow as tf
    >>> v = tf.Variable(1.0)
    >>> v.assign_sub(0.25)
    <tf.Variable 'Variable:0' shape=() dtype=float32, numpy=0.75>
    """

    def __init__(
        self,
        initial_value: Any = None,
        trainable: bool | None = None,
        validate_shape: bool = True,
        caching_device: Any = None,
        name: str | None = None,
        variable_def: Any = None,
        dtype: Any = None,
        import_scope: Any = None,
        constraint: Callable | None = None,
        synchronization: int = VariableSynchronization.AUTO,
        aggregation: int = VariableAggregation.NONE,
        shape: Any = None,
        experimental_enable_variable_lifting: bool = True,
    ) -> None:
        if initial_value is None:
            raise ValueError("The `initial_value` arg (None) must be specified.")
        if constraint is not None and not callable(constraint):
            raise ValueError(
                f"Argument `constraint` must be None or a callable. Received: {constraint!r}"
            )
        if synchronization == VariableSynchronization.ON_READ and trainable:
            raise ValueError(
                "Synchronization value can be set to VariableSynchronization.ON_READ only "
                "for non-trainable variables."
            )
        if trainable is None:
            trainable = synchronization != VariableSynchronization.ON_READ
        scope = ctx.scope
        base = name if name is not None else "Variable"
        if base.endswith(":0"):
            base = base[:-2]
        self._name = scope + base + ":0"
        self._unique_id = _next_uid()
        self._trainable = bool(trainable)
        self._constraint = constraint
        self._synchronization = synchronization
        self._aggregation = aggregation
        with eager_scope():
            if callable(initial_value):
                initial_value = initial_value()
            if isinstance(initial_value, Tensor) and type(initial_value) is not Tensor:
                for lift in _lift_hooks:
                    lifted = lift(initial_value)
                    if lifted is not None:
                        initial_value = wrap_with_dtype(lifted, initial_value.dtype)
                        break
            if isinstance(initial_value, Tensor) and type(initial_value) is not Tensor:
                raise ValueError(
                    "A tf.Variable was initialized with a symbolic tensor while tracing a "
                    "function. Create variables outside the function, or initialize them "
                    "from eager values."
                )
            value = convert_to_tensor(initial_value, dtype=dtype)
        self._dtype = value.dtype
        self._array = np.array(value._value, copy=True)
        if shape is not None:
            shape = TensorShape(shape)
            if not shape.is_compatible_with(self._array.shape):
                raise ValueError(
                    f"The initial value's shape ({TensorShape(self._array.shape)}) is not "
                    f"compatible with the explicitly supplied `shape` argument ({shape})."
                )
            self._shape_dims = shape._dims
        else:
            self._shape_dims = self._array.shape if validate_shape else None
        self._dynamic_shape = self._shape_dims is None or None in self._shape_dims
        self.handle = wrap_with_dtype(_Resource(self), dtypes.resource)
        for hook in _creation_hooks:
            hook(self)

    # ------------------------------------------------------------------ reads
    def value(self) -> Tensor:
        """The current value as a Tensor (a `ReadVariableOp`, seen by tapes and graphs)."""
        if ctx.graph is None:
            # ReadVariableOp's eager work without the dispatch: its kernel returns the
            # buffer, and each active tape records the read as that op.
            t = _new(Tensor)  # wrap_with_dtype inlined
            t._value = self._array
            t._dtype = self._dtype
            tapes = ctx.tapes
            if tapes:
                for tape in tapes:
                    tape._record_read(_READ, self, t)
            return t
        return execute("ReadVariableOp", (self.handle,))

    def read_value(self) -> Tensor:
        return self.value()

    def numpy(self) -> Any:
        a = self._array
        return a[()] if a.ndim == 0 else a.copy()

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        # A copy, as TensorFlow gives: the buffer is the variable's own state.
        return np.array(self._array, dtype=dtype, copy=True)

    # ------------------------------------------------------------------ writes
    def _write(self, op_type: str, value: Any, read_value: bool) -> Any:
        if type(value) is Tensor and value._dtype is self._dtype:
            # An eager tensor of the right dtype (every optimizer update): no conversion,
            # and its shape straight from the array, not a TensorShape.
            v = value
            dims = value._value.shape
        else:
            v = convert_to_tensor(value, dtype=self._dtype)
            dims = v.shape._dims
        if dims != self._array.shape:
            if not self._dynamic_shape and dims is not None and None not in dims:
                _check_assign_shape(self, dims)  # TF never broadcasts into a variable
        if ctx.graph is None and type(v) is Tensor:
            # Eagerly, the op's kernel without the dispatch: writes have no gradient, so
            # no tape records them, and the op's output would be discarded here. A
            # failing kernel changes nothing; execute() then reports its error.
            try:
                _WRITE_KERNELS[op_type](self.handle._value, v._value)
                return self if read_value else None
            except Exception:  # noqa: BLE001 - re-raised by execute() in TF's form
                pass
        execute(op_type, (self.handle, v))
        return self if read_value else None

    def assign(
        self, value: Any, use_locking: Any = None, name: Any = None, read_value: bool = True
    ) -> Any:
        """Sets the variable to `value` (same shape and dtype); returns the variable."""
        return self._write("AssignVariableOp", value, read_value)

    def assign_add(
        self, delta: Any, use_locking: Any = None, name: Any = None, read_value: bool = True
    ) -> Any:
        """Adds `delta` to the variable; returns the variable."""
        return self._write("AssignAddVariableOp", delta, read_value)

    def assign_sub(
        self, delta: Any, use_locking: Any = None, name: Any = None, read_value: bool = True
    ) -> Any:
        """Subtracts `delta` from the variable; returns the variable."""
        return self._write("AssignSubVariableOp", delta, read_value)

    # ------------------------------------------------------------------ properties
    @property
    def name(self) -> str:
        return self._name

    @property
    def dtype(self) -> dtypes.DType:
        return self._dtype

    @property
    def shape(self) -> TensorShape:
        return TensorShape._from_tuple(self._shape_dims if self._shape_dims is not None else None)

    def get_shape(self) -> TensorShape:
        return self.shape

    @property
    def trainable(self) -> bool:
        return self._trainable

    @property
    def constraint(self) -> Callable | None:
        return self._constraint

    @property
    def synchronization(self) -> int:
        return self._synchronization

    @property
    def aggregation(self) -> int:
        return self._aggregation

    @property
    def device(self) -> str:
        return "/job:localhost/replica:0/task:0/device:CPU:0"

    @property
    def ndim(self) -> int:
        return self._array.ndim

    @property
    def initial_value(self) -> Tensor:
        return wrap_with_dtype(self._array, self._dtype)

    def ref(self) -> Reference:
        return Reference(self)

    def experimental_ref(self) -> Reference:
        return Reference(self)

    def __hash__(self) -> int:
        raise TypeError("Variable is unhashable. Instead, use variable.ref() as the key.")

    def __len__(self) -> int:
        if self._array.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self._array.shape[0]

    def __iter__(self):
        return iter(self.value())

    def __bool__(self) -> bool:
        return bool(self.value())

    def __int__(self) -> int:
        return int(self.value())

    def __float__(self) -> float:
        return float(self.value())

    def __index__(self) -> int:
        return self.value().__index__()

    def __format__(self, spec: str) -> str:
        return format(self.value(), spec)

    def __repr__(self) -> str:
        return (
            f"<tf.Variable '{self._name}' shape={self.shape} dtype={self._dtype.name}, "
            f"numpy={_numpy_text(self._array, True)}>"
        )

    def __str__(self) -> str:
        return self.__repr__()

    def __deepcopy__(self, memo: dict) -> Variable:
        v = Variable(
            self._array.copy(), trainable=self._trainable, name=self._name[:-2], dtype=self._dtype
        )
        memo[id(self)] = v
        return v

    def __reduce__(self):
        raise TypeError("Variables cannot be pickled; save them with tf.train.Checkpoint.")


_uid = [0]


def _next_uid() -> int:
    _uid[0] += 1
    return _uid[0]


def _delegate(name: str) -> Callable:
    def method(self, *args):
        return getattr(self.value(), name)(*args)

    method.__name__ = name
    return method


def _delegate_binary(name: str) -> Callable:
    # Tensor's operator looked up on the class: no bound method and no *args tuple.
    def method(self, other):
        return getattr(Tensor, name)(self.value(), other)

    method.__name__ = name
    return method


for _op in (
    "add", "sub", "mul", "truediv", "floordiv", "mod", "pow", "matmul",
    "and", "or", "xor",
):  # fmt: skip
    setattr(Variable, f"__{_op}__", _delegate_binary(f"__{_op}__"))
    setattr(Variable, f"__r{_op}__", _delegate_binary(f"__r{_op}__"))
for _op in ("neg", "abs", "invert", "lt", "le", "gt", "ge", "eq", "ne", "getitem", "pos"):
    setattr(Variable, f"__{_op}__", _delegate(f"__{_op}__"))
del _op


def _convert_variable(
    value: Variable, dtype: Any = None, name: Any = None, as_ref: bool = False
) -> Tensor:
    if dtype is not None and dtypes.as_dtype(dtype) is not value.dtype:
        raise ValueError(
            f"Incompatible type conversion requested to type '{dtypes.as_dtype(dtype).name}' "
            f"for variable of type '{value.dtype.name}' (Variable: {value!r})"
        )
    return value.value()


register_tensor_conversion_function(Variable, _convert_variable)
