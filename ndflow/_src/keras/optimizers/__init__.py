"""`keras.optimizers`: the optimizers, their schedules and `get`/`serialize`/`deserialize`."""

from __future__ import annotations

from typing import Any

from ndflow._src.keras import _registry
from ndflow._src.keras.optimizers import schedules
from ndflow._src.keras.optimizers.base_optimizer import Optimizer
from ndflow._src.keras.optimizers.optimizers import (
    SGD,
    Adadelta,
    Adagrad,
    Adam,
    Adamax,
    AdamW,
    Ftrl,
    Lion,
    Nadam,
    RMSprop,
)

__all__ = [
    "SGD",
    "Adadelta",
    "Adagrad",
    "Adam",
    "AdamW",
    "Adamax",
    "Ftrl",
    "Lion",
    "Nadam",
    "Optimizer",
    "RMSprop",
    "deserialize",
    "get",
    "schedules",
    "serialize",
]

_CLASSES = (SGD, Adadelta, Adagrad, Adam, AdamW, Adamax, Ftrl, Lion, Nadam, Optimizer, RMSprop)
ALL_OBJECTS_DICT: dict[str, type] = {c.__name__: c for c in _CLASSES}
ALL_OBJECTS_DICT.update({c.__name__.lower(): c for c in _CLASSES})


def serialize(optimizer: Optimizer) -> dict:
    """`keras.optimizers.serialize`: `{"module", "class_name", "config", ...}`."""
    if not isinstance(optimizer, Optimizer):
        raise ValueError(
            "Argument `optimizer` must be an instance of `keras.optimizers.Optimizer`. "
            f"Received: optimizer={optimizer}"
        )
    return _registry.serialize(optimizer, "keras.optimizers")


def deserialize(config: Any, custom_objects: dict | None = None) -> Optimizer:
    """`keras.optimizers.deserialize`; class names match case-insensitively."""
    if isinstance(config, dict) and config.get("class_name", "").lower() in ALL_OBJECTS_DICT:
        config = dict(config, class_name=config["class_name"].lower())
    obj = _registry.deserialize(config, ALL_OBJECTS_DICT, "optimizer", custom_objects)
    return obj() if isinstance(obj, type) else obj


def get(identifier: Any) -> Optimizer:
    """`keras.optimizers.get`: an instance, a name ("adam") or a config dict.

    >>> import ndflow as tf
    >>> type(tf.keras.optimizers.get("sgd")).__name__
    'SGD'
    """
    if isinstance(identifier, Optimizer):
        return identifier
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if isinstance(identifier, str):
        cls = ALL_OBJECTS_DICT.get(identifier) or ALL_OBJECTS_DICT.get(identifier.lower())
        if cls is not None:
            return cls()
    raise ValueError(f"Could not interpret optimizer identifier: {identifier}")
