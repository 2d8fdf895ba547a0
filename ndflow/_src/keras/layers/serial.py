"""`keras.layers.serialize` / `deserialize`: layers to and from Keras 3 config dicts.

>>> from ndflow._src.keras.layers.core import Dense
>>> type(deserialize(serialize(Dense(2)))).__name__
'Dense'
"""

from __future__ import annotations

from typing import Any

from ndflow._src.keras.saving import serialization_lib


def serialize(layer: Any) -> dict:
    """The Keras 3 dict describing `layer`."""
    return serialization_lib.serialize_keras_object(layer)


def deserialize(config: dict, custom_objects: dict | None = None) -> Any:
    """The layer described by `config` (a `serialize` dict)."""
    return serialization_lib.deserialize_keras_object(config, custom_objects=custom_objects)
