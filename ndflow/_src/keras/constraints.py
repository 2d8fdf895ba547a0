"""`keras.constraints`: projections applied to weights after each optimizer update.

>>> import ndflow as tf
>>> NonNeg()(tf.constant([-1.0, 2.0])).numpy().tolist() == [0.0, 2.0]
True
"""

from __future__ import annotations

from typing import Any

import ndflow as tf
from ndflow._src.keras.saving import serialization_lib

_MODULE = "keras.constraints"
_EPS = 1e-7


class Constraint:
    """Base class: `__call__(w)` returns the projected weight."""

    def __call__(self, w: Any) -> Any:
        return w

    def get_config(self) -> dict:
        return {}

    @classmethod
    def from_config(cls, config: dict) -> Constraint:
        return cls(**config)


def _norms(w: Any, axis: Any) -> Any:
    return tf.sqrt(tf.reduce_sum(tf.square(w), axis=axis, keepdims=True))


class MaxNorm(Constraint):
    """Rescales each slice along `axis` whose L2 norm exceeds `max_value`."""

    def __init__(self, max_value: float = 2, axis: Any = 0) -> None:
        self.max_value, self.axis = max_value, axis

    def __call__(self, w: Any) -> Any:
        w = tf.convert_to_tensor(w)
        norms = _norms(w, self.axis)
        desired = tf.clip_by_value(
            norms, tf.constant(0.0, w.dtype), tf.constant(float(self.max_value), w.dtype)
        )
        return w * (desired / (tf.constant(_EPS, w.dtype) + norms))

    def get_config(self) -> dict:
        return {"max_value": self.max_value, "axis": self.axis}


class NonNeg(Constraint):
    """Sets negative weights to zero."""

    def __call__(self, w: Any) -> Any:
        w = tf.convert_to_tensor(w)
        return w * tf.cast(tf.greater_equal(w, tf.constant(0.0, w.dtype)), w.dtype)


class UnitNorm(Constraint):
    """Scales each slice along `axis` to unit L2 norm."""

    def __init__(self, axis: Any = 0) -> None:
        self.axis = axis

    def __call__(self, w: Any) -> Any:
        w = tf.convert_to_tensor(w)
        return w / (tf.constant(_EPS, w.dtype) + _norms(w, self.axis))

    def get_config(self) -> dict:
        return {"axis": self.axis}


class MinMaxNorm(Constraint):
    """Moves each slice's norm toward [min_value, max_value] by `rate`."""

    def __init__(
        self, min_value: float = 0.0, max_value: float = 1.0, rate: float = 1.0, axis: Any = 0
    ) -> None:
        self.min_value, self.max_value, self.rate, self.axis = min_value, max_value, rate, axis

    def __call__(self, w: Any) -> Any:
        w = tf.convert_to_tensor(w)
        dt = w.dtype
        norms = _norms(w, self.axis)
        clipped = tf.clip_by_value(
            norms, tf.constant(float(self.min_value), dt), tf.constant(float(self.max_value), dt)
        )
        desired = (
            tf.constant(float(self.rate), dt) * clipped + tf.constant(1.0 - self.rate, dt) * norms
        )
        return w * (desired / (tf.constant(_EPS, dt) + norms))

    def get_config(self) -> dict:
        return {
            "min_value": self.min_value,
            "max_value": self.max_value,
            "rate": self.rate,
            "axis": self.axis,
        }


_BY_ALIAS = {
    "max_norm": MaxNorm,
    "non_neg": NonNeg,
    "unit_norm": UnitNorm,
    "min_max_norm": MinMaxNorm,
}
for _alias, _cls in _BY_ALIAS.items():
    serialization_lib.register_builtin(_MODULE, _cls, _alias)
serialization_lib.register_builtin(_MODULE, Constraint)


def serialize(constraint: Any) -> Any:
    return serialization_lib.serialize_keras_object(constraint)


def deserialize(config: Any, custom_objects: dict | None = None) -> Any:
    return serialization_lib.deserialize_keras_object(config, custom_objects=custom_objects)


def get(identifier: Any) -> Any:
    """`keras.constraints.get`: None, a name ("max_norm", "non_neg", ...), a config dict or
    a callable."""
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
    raise ValueError(f"Could not interpret constraint identifier: {identifier}")
