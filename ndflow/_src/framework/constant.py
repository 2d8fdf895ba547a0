"""`tf.constant` and `tf.convert_to_tensor`, with TensorFlow's dtype inference.

Python ints become int32 (int64 when they do not fit), floats float32, NumPy arrays keep
their dtype, strings become `tf.string` (UTF-8 bytes). Other types (Variables, Keras
objects) plug in through `register_tensor_conversion_function`.
"""

from __future__ import annotations

import numbers
from typing import Any, Callable

import numpy as np

from ndflow._src.core import dtypes
from ndflow._src.core.dtypes import DType
from ndflow._src.framework.tensor import Tensor, wrap, wrap_with_dtype

_conversion_registry: list[tuple[type, Callable]] = []
_conversion_cache: dict[type, Callable | None] = {}
# Set by the op library: packs a list holding symbolic tensors with tf.stack.
_list_packer: list[Callable] = []

_INT32_MIN, _INT32_MAX = -(2**31), 2**31 - 1
_F32, _I32, _I64, _BOOL, _C128 = (
    dtypes.float32,
    dtypes.int32,
    dtypes.int64,
    dtypes.bool,
    dtypes.complex128,
)


def register_tensor_conversion_function(
    base_type: type | tuple, conversion_func: Callable, priority: int = 100
) -> None:
    """`tf.register_tensor_conversion_function`: `conversion_func(value, dtype, name,
    as_ref)` turns instances of `base_type` into Tensors."""
    types = base_type if isinstance(base_type, tuple) else (base_type,)
    for t in types:
        _conversion_registry.append((t, conversion_func))
    _conversion_cache.clear()


def _registered_converter(cls: type) -> Callable | None:
    try:
        return _conversion_cache[cls]
    except KeyError:
        pass
    fn = None
    for base, f in _conversion_registry:
        if issubclass(cls, base):
            fn = f
            break
    _conversion_cache[cls] = fn
    return fn


def _to_bytes_array(arr: np.ndarray) -> np.ndarray:
    out = np.empty(arr.shape, dtype=object)
    flat_in = arr.reshape(-1)
    flat_out = out.reshape(-1)
    for i, s in enumerate(flat_in):
        if isinstance(s, str):
            flat_out[i] = s.encode("utf-8")
        elif isinstance(s, (bytes, np.bytes_)):
            flat_out[i] = bytes(s)
        else:
            raise TypeError(f"Cannot convert {s!r} to EagerTensor of dtype string")
    return out


def _cannot_convert(value: Any, dtype: DType) -> TypeError:
    return TypeError(f"Cannot convert {value!r} to EagerTensor of dtype {dtype.name}")


def _python_to_array(value: Any, dtype: DType | None) -> np.ndarray:
    """Converts Python scalars and nested lists with TensorFlow's inference rules."""
    if dtype is not None:
        if dtype is dtypes.string:
            return _to_bytes_array(np.asarray(value, dtype=object))
        np_dtype = dtype._np
        try:
            arr = np.asarray(value)
        except ValueError as e:
            raise ValueError("Can't convert non-rectangular Python sequence to Tensor.") from e
        if arr.dtype.kind in "USO" and dtype is not dtypes.string:
            raise _cannot_convert(value, dtype)
        if arr.dtype == np_dtype:
            return arr
        if arr.size == 0:  # an empty list takes any dtype
            return arr.astype(np_dtype)
        if (dtype.is_integer or dtype.is_bool) and arr.dtype.kind in "fc":
            raise _cannot_convert(value, dtype)
        if dtype.is_integer and arr.size:
            info = np.iinfo(np_dtype)
            if arr.min() < info.min or arr.max() > info.max:
                raise _cannot_convert(value, dtype)
        if dtype.is_bool and arr.dtype.kind != "b":
            raise _cannot_convert(value, dtype)
        if not dtype.is_complex and arr.dtype.kind == "c":
            raise _cannot_convert(value, dtype)
        return arr.astype(np_dtype)
    if isinstance(value, bool):
        return np.asarray(value)
    if isinstance(value, int):
        if _INT32_MIN <= value <= _INT32_MAX:
            return np.asarray(value, np.int32)
        if -(2**63) <= value < 2**63:
            return np.asarray(value, np.int64)
        raise ValueError(f"Can't convert Python int {value} to a Tensor: it is out of range.")
    if isinstance(value, float):
        return np.asarray(value, np.float32)
    if isinstance(value, (str, bytes)):
        return np.asarray(value.encode("utf-8") if isinstance(value, str) else value, dtype=object)
    if isinstance(value, complex):
        return np.asarray(value, np.complex128)
    try:
        arr = np.asarray(value)
    except ValueError as e:
        raise ValueError("Can't convert non-rectangular Python sequence to Tensor.") from e
    kind = arr.dtype.kind
    if kind == "f":
        return arr.astype(np.float32) if arr.dtype == np.float64 else arr
    if kind == "i":
        if arr.dtype == np.int64 and (
            arr.size == 0 or (arr.min() >= _INT32_MIN and arr.max() <= _INT32_MAX)
        ):
            return arr.astype(np.int32)
        return arr
    if kind in "US":
        # From the Python objects, not the fixed-width array: NumPy's bytes dtype drops
        # trailing NUL bytes.
        return _to_bytes_array(np.array(value, dtype=object))
    if kind == "O":
        if arr.size and all(isinstance(x, (bytes, str)) for x in arr.reshape(-1)):
            return _to_bytes_array(arr)
        raise ValueError(
            f"Attempt to convert a value ({value!r}) with an unsupported type "
            f"({type(value)}) to a Tensor."
        )
    return arr


def _contains_tensor(value: Any) -> bool:
    stack = [value]
    while stack:
        x = stack.pop()
        if isinstance(x, Tensor):
            return True
        if isinstance(x, (list, tuple)):
            stack.extend(x)
    return False


def convert_to_tensor(
    value: Any,
    dtype: Any = None,
    name: str | None = None,
    dtype_hint: Any = None,
    preferred_dtype: Any = None,
) -> Tensor:
    """`tf.convert_to_tensor`: returns `value` as a Tensor.

    >>> import ndflow as tf
    >>> tf.convert_to_tensor([1, 2]).dtype
    tf.int32
    """
    cls = type(value)
    if cls is Tensor or isinstance(value, Tensor):
        if dtype is not None:
            dtype = dtypes.as_dtype(dtype)
            if value._dtype is not dtype:
                raise ValueError(
                    f"Tensor conversion requested dtype {dtype.name} for Tensor with dtype "
                    f"{value._dtype.name}: {value!r}"
                )
        return value
    if dtype is not None:
        dtype = dtypes.as_dtype(dtype)
    fn = _registered_converter(cls)
    if fn is not None:
        return fn(value, dtype=dtype, name=name, as_ref=False)
    hint = dtype_hint if dtype_hint is not None else preferred_dtype
    if dtype is None and hint is not None:
        try:
            return convert_to_tensor(value, dtype=hint, name=name)
        except (TypeError, ValueError):
            pass
    if isinstance(value, np.ndarray) or isinstance(value, np.generic):
        # Copy: a tensor is immutable, and the caller may write to their array later.
        arr = np.array(value, copy=True)
        if arr.dtype.kind in "US":
            arr = _to_bytes_array(arr)
        if dtype is not None and arr.dtype != dtype._np:
            if dtype is dtypes.string or arr.dtype.kind == "O":
                raise _cannot_convert(value, dtype)
            arr = arr.astype(dtype._np)
        return wrap(arr)
    if isinstance(value, (list, tuple)) and _contains_tensor(value):
        if _list_packer:
            packed = _list_packer[0](value)
            if dtype is not None and packed.dtype is not dtype:
                raise ValueError(
                    f"Tensor conversion requested dtype {dtype.name} for Tensor with dtype "
                    f"{packed.dtype.name}: {packed!r}"
                )
            return packed
    if hasattr(value, "__array__") and not isinstance(value, (list, tuple, numbers.Number)):
        arr = np.asarray(value)
        if dtype is not None and arr.dtype != dtype._np:
            arr = arr.astype(dtype._np)
        return wrap(arr)
    if value is None:
        raise ValueError(
            "Attempt to convert a value (None) with an unsupported type "
            "(<class 'NoneType'>) to a Tensor."
        )
    arr = _python_to_array(value, dtype)
    return wrap_with_dtype(arr, dtype) if dtype is not None else wrap(arr)


def constant(value: Any, dtype: Any = None, shape: Any = None, name: str = "Const") -> Tensor:
    """`tf.constant`: a Tensor from a Python or NumPy value.

    Unlike `convert_to_tensor`, an explicit `dtype` casts NumPy arrays and tensors, and
    `shape` reshapes (or fills, for a scalar value).

    >>> import ndflow as tf
    >>> tf.constant(1.5, shape=[2])
    <tf.Tensor: shape=(2,), dtype=float32, numpy=array([1.5, 1.5], dtype=float32)>
    """
    if dtype is not None:
        dtype = dtypes.as_dtype(dtype)
    if isinstance(value, Tensor) and value._value is not None:
        arr = value._value
        if dtype is not None and arr.dtype != dtype._np:
            arr = arr.astype(dtype._np)
        t = wrap(arr)
    elif isinstance(value, (np.ndarray, np.generic)) and dtype is not None:
        arr = np.asarray(value)
        if arr.dtype.kind in "US":
            arr = _to_bytes_array(arr)
        if dtype is not dtypes.string:
            arr = arr.astype(dtype._np)
        t = wrap_with_dtype(arr, dtype)
    else:
        t = convert_to_tensor(value, dtype=dtype)
    if shape is not None:
        shape = tuple(int(d) for d in shape)
        arr = t._value
        if arr.shape == shape:
            return t
        if arr.size == 1:
            return wrap_with_dtype(np.full(shape, arr.reshape(()), dtype=arr.dtype), t._dtype)
        if arr.size == int(np.prod(shape)):
            return wrap_with_dtype(arr.reshape(shape), t._dtype)
        raise TypeError(
            f"Eager execution of tf.constant with unsupported shape. Tensor {arr} (converted "
            f"from {value}) has {arr.size} elements, but got `shape` {shape} with "
            f"{int(np.prod(shape))} elements)."
        )
    return t
