"""`keras.regularizers`: penalties on weights (L1, L2, L1L2) and `get`.

>>> import ndflow as tf
>>> float(L2(0.5)(tf.constant([1.0, 2.0])))
2.5
"""

from __future__ import annotations

from typing import Any

import ndflow as tf
from ndflow._src.keras.saving import serialization_lib

_MODULE = "keras.regularizers"


def _check_penalty(value: Any, name: str) -> float:
    import math

    if not isinstance(value, (int, float)) or math.isnan(value) or math.isinf(value):
        raise ValueError(
            f"Value for argument `{name}` must be a finite float or int. Received: {name}={value}"
        )
    return value


class Regularizer:
    """Base class: `__call__(x)` returns a scalar penalty."""

    def __call__(self, x: Any) -> Any:
        return 0.0

    def get_config(self) -> dict:
        raise NotImplementedError(f"{self} does not implement get_config()")

    @classmethod
    def from_config(cls, config: dict) -> Regularizer:
        return cls(**config)


class L1L2(Regularizer):
    """`l1 * sum(|x|) + l2 * sum(x**2)`."""

    def __init__(self, l1: float = 0.0, l2: float = 0.0) -> None:
        self.l1 = _check_penalty(l1, "l1")
        self.l2 = _check_penalty(l2, "l2")

    def __call__(self, x: Any) -> Any:
        x = tf.convert_to_tensor(x)
        out = tf.constant(0.0, dtype=x.dtype)
        if self.l1:
            out = out + tf.constant(self.l1, dtype=x.dtype) * tf.reduce_sum(tf.abs(x))
        if self.l2:
            out = out + tf.constant(self.l2, dtype=x.dtype) * tf.reduce_sum(tf.square(x))
        return out

    def get_config(self) -> dict:
        return {"l1": float(self.l1), "l2": float(self.l2)}


class L1(Regularizer):
    """`l1 * sum(|x|)`."""

    def __init__(self, l1: float = 0.01) -> None:
        self.l1 = _check_penalty(l1, "l1")

    def __call__(self, x: Any) -> Any:
        x = tf.convert_to_tensor(x)
        return tf.constant(self.l1, dtype=x.dtype) * tf.reduce_sum(tf.abs(x))

    def get_config(self) -> dict:
        # Keras 3 reports L1's factor after a float32 round trip (0.01 -> 0.0099999997...).
        import numpy as np

        return {"l1": float(np.float32(self.l1))}


class L2(Regularizer):
    """`l2 * sum(x**2)`."""

    def __init__(self, l2: float = 0.01) -> None:
        self.l2 = _check_penalty(l2, "l2")

    def __call__(self, x: Any) -> Any:
        x = tf.convert_to_tensor(x)
        return tf.constant(self.l2, dtype=x.dtype) * tf.reduce_sum(tf.square(x))

    def get_config(self) -> dict:
        return {"l2": float(self.l2)}


class OrthogonalRegularizer(Regularizer):
    """Penalizes non-orthogonal rows (or columns) of a 2-D weight."""

    def __init__(self, factor: float = 0.01, mode: str = "rows") -> None:
        self.factor = _check_penalty(factor, "factor")
        if mode not in ("rows", "columns"):
            raise ValueError(
                "Invalid value for argument `mode`. Expected one of {'rows', 'columns'}. "
                f"Received: mode={mode}"
            )
        self.mode = mode

    def __call__(self, x: Any) -> Any:
        x = tf.convert_to_tensor(x)
        if self.mode == "columns":
            x = tf.transpose(x)
        x = x / tf.maximum(tf.norm(x, axis=1, keepdims=True), 1e-7)
        prod = tf.matmul(x, x, transpose_b=True)
        n = int(x.shape[0])
        size = n * (n - 1) if n > 1 else 1
        off = prod - tf.eye(n, dtype=x.dtype)
        return tf.constant(self.factor, x.dtype) * tf.reduce_sum(tf.abs(off)) / size

    def get_config(self) -> dict:
        return {"factor": float(self.factor), "mode": self.mode}


for _cls, _alias in (
    (L1L2, "l1_l2"),
    (L1, "l1"),
    (L2, "l2"),
    (OrthogonalRegularizer, "orthogonal_regularizer"),
):
    serialization_lib.register_builtin(_MODULE, _cls, _alias)
serialization_lib.register_builtin(_MODULE, Regularizer)
_BY_ALIAS = {"l1": L1, "l2": L2, "l1_l2": L1L2, "orthogonal_regularizer": OrthogonalRegularizer}


def serialize(regularizer: Any) -> Any:
    return serialization_lib.serialize_keras_object(regularizer)


def deserialize(config: Any, custom_objects: dict | None = None) -> Any:
    return serialization_lib.deserialize_keras_object(config, custom_objects=custom_objects)


def get(identifier: Any) -> Any:
    """`keras.regularizers.get`: None, "l1"/"l2"/"l1_l2", a config dict or a callable."""
    if identifier is None:
        return None
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if isinstance(identifier, str):
        found = serialization_lib.get_registered_object(identifier) or _BY_ALIAS.get(identifier)
        if found is None:
            found = serialization_lib.builtin_objects(_MODULE).get(identifier)
        if found is not None:
            return found() if isinstance(found, type) else found
    elif callable(identifier):
        return identifier() if isinstance(identifier, type) else identifier
    raise ValueError(f"Could not interpret regularizer identifier: {identifier}")
