"""`keras.Input`, `keras.layers.InputLayer` and a minimal symbolic `KerasTensor`.

A KerasTensor only carries a shape, a dtype and a name (plus `_keras_history`, the layer
call that produced it); the functional API builds models from them.

>>> x = Input(shape=(3,), name="features")
>>> x.shape, x.dtype.name, x.name
((None, 3), 'float32', 'features')
"""

from __future__ import annotations

from typing import Any

import ndflow as tf
from ndflow._src.keras import backend
from ndflow._src.keras.layers.layer import Layer
from ndflow._src.keras.saving import serialization_lib


class KerasTensor:
    """A symbolic tensor: `shape` (a tuple with None for unknown sizes), `dtype`, `name`."""

    def __init__(
        self,
        shape: Any,
        dtype: Any = "float32",
        sparse: bool = False,
        ragged: bool = False,
        name: str | None = None,
    ) -> None:
        self._shape = tuple(None if d is None else int(d) for d in shape)
        self._dtype = tf.as_dtype(dtype)
        self.sparse = sparse
        self.ragged = ragged
        self.name = name or backend.unique_name("keras_tensor")
        self._keras_history = None

    @property
    def shape(self) -> tuple:
        return self._shape

    @property
    def dtype(self) -> Any:
        return self._dtype

    @property
    def ndim(self) -> int:
        return len(self._shape)

    def __repr__(self) -> str:
        return (
            f"<KerasTensor shape={self._shape}, dtype={self._dtype.name}, "
            f"sparse={self.sparse}, ragged={self.ragged}, name={self.name}>"
        )

    def __bool__(self) -> bool:
        raise TypeError("A symbolic KerasTensor cannot be used as a Python `bool`.")

    # Arithmetic on KerasTensors (`inputs / 255.0`) records an operation node in the
    # functional graph, as Keras 3 does: shown by summary(), not listed in model.layers.
    def __add__(self, other: Any) -> Any:
        return _operation("Add", self, other)

    def __radd__(self, other: Any) -> Any:
        return _operation("Add", other, self)

    def __sub__(self, other: Any) -> Any:
        return _operation("Subtract", self, other)

    def __rsub__(self, other: Any) -> Any:
        return _operation("Subtract", other, self)

    def __mul__(self, other: Any) -> Any:
        return _operation("Multiply", self, other)

    def __rmul__(self, other: Any) -> Any:
        return _operation("Multiply", other, self)

    def __truediv__(self, other: Any) -> Any:
        return _operation("TrueDivide", self, other)

    def __rtruediv__(self, other: Any) -> Any:
        return _operation("TrueDivide", other, self)

    def __pow__(self, other: Any) -> Any:
        return _operation("Power", self, other)

    def __neg__(self) -> Any:
        return _operation("Negative", self)

    def __floordiv__(self, other: Any) -> Any:
        return _operation("FloorDivide", self, other)

    def __rfloordiv__(self, other: Any) -> Any:
        return _operation("FloorDivide", other, self)

    def __mod__(self, other: Any) -> Any:
        return _operation("Mod", self, other)

    def __rmod__(self, other: Any) -> Any:
        return _operation("Mod", other, self)

    def __abs__(self) -> Any:
        return _operation("Absolute", self)

    def __matmul__(self, other: Any) -> Any:
        return _operation("Matmul", self, other)

    def __rmatmul__(self, other: Any) -> Any:
        return _operation("Matmul", other, self)


# Keras 3's operation classes behind KerasTensor arithmetic (keras.src.ops.numpy), plus
# a few `keras.ops` functions Keras files may hold: name -> (module, function). Extra
# entries of an operation's config (Cast's dtype) are passed as keyword arguments.
OPERATIONS: dict[str, tuple[str, Any]] = {
    "Add": ("keras.src.ops.numpy", lambda a, b: a + b),
    "Subtract": ("keras.src.ops.numpy", lambda a, b: a - b),
    "Multiply": ("keras.src.ops.numpy", lambda a, b: a * b),
    "TrueDivide": ("keras.src.ops.numpy", lambda a, b: a / b),
    "FloorDivide": ("keras.src.ops.numpy", lambda a, b: a // b),
    "Mod": ("keras.src.ops.numpy", lambda a, b: a % b),
    "Power": ("keras.src.ops.numpy", lambda a, b: a**b),
    "Negative": ("keras.src.ops.numpy", lambda a: -a),
    "Absolute": ("keras.src.ops.numpy", lambda a: tf.abs(a)),
    "Matmul": ("keras.src.ops.numpy", lambda a, b: tf.matmul(a, b)),
    "Exp": ("keras.src.ops.numpy", lambda a: tf.exp(a)),
    "Log": ("keras.src.ops.numpy", lambda a: tf.math.log(a)),
    "Sqrt": ("keras.src.ops.numpy", lambda a: tf.sqrt(a)),
    "Square": ("keras.src.ops.numpy", lambda a: tf.square(a)),
    "Cast": ("keras.src.ops.core", lambda a, dtype: tf.cast(a, dtype)),
}


class KerasOperation(Layer):
    """An operation applied to KerasTensors, recorded as a node of the functional graph.

    `operands` are the call's arguments as written (KerasTensors and constants, e.g.
    `(x, 255.0)`); the layer is called on the KerasTensors among them and fills the
    constants back in. It has no weights and is not listed in `model.layers`, as Keras
    3's operations are not. Its config is Keras 3's: `{"name": ...}` with the operands
    as the node's arguments."""

    _is_keras_operation = True

    def __init__(self, operands: tuple = (), op_kwargs: dict | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.__dict__["_operands"] = tuple(operands)
        self.__dict__["_op_kwargs"] = dict(op_kwargs or {})

    @property
    def operands(self) -> tuple:
        return self.__dict__["_operands"]

    def call(self, inputs: Any) -> Any:
        values = list(inputs) if isinstance(inputs, list) else [inputs]
        args = [values.pop(0) if isinstance(x, KerasTensor) else x for x in self.operands]
        return OPERATIONS[type(self).__name__][1](*args, **self.__dict__["_op_kwargs"])

    def get_config(self) -> dict:
        return {"name": self.name, **self.__dict__["_op_kwargs"]}


_OPERATION_CLASSES: dict[str, type] = {}


def operation_class(op_name: str) -> type:
    """The KerasOperation subclass for `op_name` ("TrueDivide"), so summary() shows
    "true_divide (TrueDivide)"; raises ValueError for operations ndflow lacks."""
    if op_name not in OPERATIONS:
        raise ValueError(
            f"Unsupported Keras operation '{op_name}' in a functional model config. "
            f"ndflow supports: {sorted(OPERATIONS)}."
        )
    cls = _OPERATION_CLASSES.get(op_name)
    if cls is None:
        module = OPERATIONS[op_name][0]
        cls = type(op_name, (KerasOperation,), {"_keras_module": module})
        _OPERATION_CLASSES[op_name] = cls
    return cls


def _operation(op_name: str, *operands: Any, name: str | None = None, **op_kwargs: Any) -> Any:
    """Applies operation `op_name` to `operands`, of which the KerasTensors become the
    node's inputs."""
    cls = operation_class(op_name)
    name = name or backend.unique_name(backend.to_snake_case(op_name))
    layer = cls(operands, op_kwargs, name=name)
    tensors = [x for x in operands if isinstance(x, KerasTensor)]
    return layer(tensors if len(tensors) > 1 else tensors[0])


class InputLayer(Layer):
    """The layer behind `keras.Input`: holds the batch shape and dtype of a model input."""

    def __init__(
        self,
        shape: Any = None,
        batch_size: int | None = None,
        dtype: Any = None,
        sparse: bool | None = None,
        ragged: bool | None = None,
        batch_shape: Any = None,
        input_tensor: Any = None,
        optional: bool = False,
        name: str | None = None,
        **kwargs: Any,
    ) -> None:
        if "input_shape" in kwargs:
            shape = kwargs.pop("input_shape")
        if "batch_input_shape" in kwargs:
            batch_shape = kwargs.pop("batch_input_shape")
        super().__init__(name=name, **kwargs)
        if shape is not None and batch_shape is not None:
            raise ValueError("You cannot pass both `shape` and `batch_shape` at the same time.")
        if batch_size is not None and batch_shape is not None:
            raise ValueError(
                "You cannot pass both `batch_size` and `batch_shape` at the same time."
            )
        if shape is None and batch_shape is None and input_tensor is None:
            raise ValueError("You must pass a `shape` argument.")
        if input_tensor is not None:
            batch_shape = tuple(input_tensor.shape)
            dtype = dtype or input_tensor.dtype
        elif shape is not None:
            if isinstance(shape, int):
                shape = (shape,)
            batch_shape = (batch_size,) + tuple(shape)
        self._batch_shape = tuple(batch_shape)
        self._input_dtype = tf.as_dtype(dtype or "float32").name
        self.sparse = bool(sparse)
        self.ragged = bool(ragged)
        self.optional = optional
        self.batch_size = self._batch_shape[0] if self._batch_shape else None
        if input_tensor is None:
            input_tensor = KerasTensor(
                self._batch_shape,
                dtype=self._input_dtype,
                sparse=self.sparse,
                ragged=self.ragged,
                name=self.name,
            )
            input_tensor._keras_history = (self, None, (), {})
        self._input_tensor = input_tensor
        self.built = True

    @property
    def batch_shape(self) -> tuple:
        return self._batch_shape

    @property
    def dtype(self) -> str:
        return self._input_dtype

    def call(self) -> None:
        return None

    @property
    def output(self) -> KerasTensor:
        return self._input_tensor

    def get_config(self) -> dict:
        return {
            "batch_shape": self._batch_shape,
            "dtype": self._input_dtype,
            "sparse": self.sparse,
            "ragged": self.ragged,
            "name": self.name,
            "optional": self.optional,
        }


def Input(
    shape: Any = None,
    batch_size: int | None = None,
    dtype: Any = None,
    sparse: bool | None = None,
    ragged: bool | None = None,
    batch_shape: Any = None,
    name: str | None = None,
    tensor: Any = None,
    optional: bool = False,
) -> KerasTensor:
    """`keras.Input`: a symbolic model input of `shape` (without the batch dimension).

    >>> Input(shape=(28, 28)).shape
    (None, 28, 28)
    """
    layer = InputLayer(
        shape=shape,
        batch_size=batch_size,
        dtype=dtype,
        sparse=sparse,
        ragged=ragged,
        batch_shape=batch_shape,
        name=name,
        input_tensor=tensor,
        optional=optional,
    )
    return layer.output


serialization_lib.register_builtin("keras.layers", InputLayer)
