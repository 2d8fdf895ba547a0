"""`tf.Tensor`: an immutable value, one NumPy array plus its DType.

Eager tensors hold their array in `_value`. Symbolic tensors (ndflow._src.graph) subclass
Tensor and hold a statically known value there, or None. Operators are installed by the
op library through `register_operator`, so this module never imports ops.
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np

from ndflow._src.core import dtypes
from ndflow._src.core.dtypes import DType
from ndflow._src.core.tensor_shape import TensorShape

_NP_TO_DTYPE = dtypes._BY_NP
_string_dtype = dtypes.string


class Tensor:
    """A multidimensional array of elements of one dtype.

    >>> import ndflow as tf
    >>> tf.constant([2.0, 4.0])
    <tf.Tensor: shape=(2,), dtype=float32, numpy=array([2., 4.], dtype=float32)>
    """

    __slots__ = ("_value", "_dtype", "__weakref__")
    __array_priority__ = 100  # NumPy defers binary operators to ours.

    # ------------------------------------------------------------------ properties
    @property
    def dtype(self) -> DType:
        return self._dtype

    @property
    def shape(self) -> TensorShape:
        return TensorShape._from_tuple(self._value.shape)

    @property
    def ndim(self) -> int:
        return self._value.ndim

    @property
    def rank(self) -> int:
        return self._value.ndim

    @property
    def device(self) -> str:
        return "/job:localhost/replica:0/task:0/device:CPU:0"

    @property
    def name(self) -> str:
        raise AttributeError("Tensor.name is undefined when eager execution is enabled.")

    @property
    def graph(self):
        raise AttributeError("Tensor.graph is undefined when eager execution is enabled.")

    @property
    def op(self):
        raise AttributeError("Tensor.op is undefined when eager execution is enabled.")

    def get_shape(self) -> TensorShape:
        return self.shape

    def set_shape(self, shape: Any) -> None:
        if not self.shape.is_compatible_with(shape):
            raise ValueError(
                f"Tensor's shape {self.shape} is not compatible with supplied shape "
                f"{TensorShape(shape)}."
            )

    # ------------------------------------------------------------------ NumPy interop
    def numpy(self) -> Any:
        """The value as a NumPy array (a NumPy scalar for 0-d tensors), as TF returns."""
        v = self._value
        if v.ndim == 0:
            return v[()]
        # A copy-free read-only view would surprise users who write to it; TF returns a
        # fresh array whose writes never reach the tensor, so copy.
        return v.copy()

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        v = self._value
        if dtype is not None and np.dtype(dtype) != v.dtype:
            return v.astype(dtype)
        if copy:
            return v.copy()
        # A read-only view, as TensorFlow gives: writing through np.asarray(t) would
        # change an immutable tensor (and any tensor sharing its buffer).
        view = v.view()
        view.flags.writeable = False
        return view

    def __len__(self) -> int:
        shape = self._value.shape
        if not shape:
            raise TypeError("len() of a 0-d tensor")
        return shape[0]

    def __iter__(self):
        shape = self._value.shape
        if not shape:
            raise TypeError("Cannot iterate over a scalar tensor.")
        getitem = type(self).__getitem__
        return (getitem(self, i) for i in range(shape[0]))

    def _scalar(self, what: str) -> Any:
        v = self._value
        if v.size != 1:
            raise ValueError(
                "The truth value of an array with more than one element is ambiguous. "
                "Use a.any() or a.all()"
                if what == "bool"
                else f"only size-1 tensors can be converted to Python {what}s"
            )
        return v.reshape(()).item() if v.ndim else v.item()

    def __bool__(self) -> bool:
        return bool(self._scalar("bool"))

    def __int__(self) -> int:
        return int(self._scalar("int"))

    def __float__(self) -> float:
        return float(self._scalar("float"))

    def __complex__(self) -> complex:
        return complex(self._scalar("complex"))

    def __index__(self) -> int:
        if self._value.ndim != 0 or not self._dtype.is_integer:
            raise TypeError(
                "Only integers, slices (`:`), ellipsis (`...`), tf.newaxis (`None`) and "
                "scalar tf.int32/tf.int64 tensors are valid indices, got "
                f"{self!r}"
            )
        return int(self._value)

    def __format__(self, format_spec: str) -> str:
        if self._value.ndim == 0:
            return format(self._value.item(), format_spec)
        return format(str(self), format_spec)

    def __hash__(self) -> int:
        raise TypeError("Tensor is unhashable. Instead, use tensor.ref() as the key.")

    def ref(self) -> Reference:
        """A hashable handle to this tensor, for sets and dict keys."""
        return Reference(self)

    def experimental_ref(self) -> Reference:
        return Reference(self)

    # ------------------------------------------------------------------ printing
    def __repr__(self) -> str:
        return (
            f"<tf.Tensor: shape={self.shape}, dtype={self._dtype.name}, "
            f"numpy={_numpy_text(self._value, True)}>"
        )

    def __str__(self) -> str:
        return f"tf.Tensor({_numpy_text(self._value, False)}, shape={self.shape}, dtype={self._dtype.name})"

    def __reduce__(self):
        return constant_from_array, (self._value,)

    def __copy__(self) -> Tensor:
        return self

    def __deepcopy__(self, memo: dict) -> Tensor:
        return self


def _numpy_text(value: np.ndarray, is_repr: bool) -> str:
    if value.ndim == 0 and is_repr:
        text = repr(value.item())
    else:
        text = repr(value) if is_repr else str(value)
    if "\n" in text:
        text = "\n" + text
    return text


class Reference:
    """The hashable wrapper returned by `Tensor.ref()` / `Variable.ref()`."""

    __slots__ = ("_wrapped",)

    def __init__(self, wrapped: Any) -> None:
        self._wrapped = wrapped

    def deref(self) -> Any:
        return self._wrapped

    def __hash__(self) -> int:
        return id(self._wrapped)

    def __eq__(self, other: Any) -> bool:
        return isinstance(other, Reference) and other._wrapped is self._wrapped

    def __repr__(self) -> str:
        return f"<Reference wrapping {self._wrapped!r}>"


_new = object.__new__


def wrap(value: Any) -> Tensor:
    """Wraps a kernel's output (an ndarray or NumPy scalar) as an eager Tensor."""
    if type(value) is not np.ndarray:
        value = np.asarray(value)
    t = _new(Tensor)
    t._value = value
    d = _NP_TO_DTYPE.get(value.dtype)
    t._dtype = d if d is not None else dtypes.from_numpy(value.dtype)
    return t


def wrap_with_dtype(value: np.ndarray, dtype: DType) -> Tensor:
    """Wraps an ndarray whose DType is already known (the hot path)."""
    t = _new(Tensor)
    t._value = value
    t._dtype = dtype
    return t


def constant_from_array(value: np.ndarray) -> Tensor:
    return wrap(np.asarray(value))


def static_value(t: Tensor) -> np.ndarray | None:
    """The value of `t` if it is known now: always for eager tensors, for symbolic ones
    only when the graph knows it (a constant, or a folded shape)."""
    return t._value


class VariableBase:
    """The base of `tf.Variable`, declared here so lower layers (the tape, nest users)
    can recognise variables without importing them."""

    __slots__ = ()


def register_operator(name: str, fn: Callable) -> None:
    """Installs an operator (`__add__`, `__getitem__`, ...) on Tensor; called by ops."""
    setattr(Tensor, name, fn)


def is_tensor(x: Any) -> bool:
    """`tf.is_tensor`."""
    return isinstance(x, Tensor) or hasattr(x, "_as_tensor_hook")
