"""A family's `get` / `serialize` / `deserialize` over a small name -> object table.

Keras routes these through `saving.serialization_lib`; until ndflow's shared
serialization library lands, each family (losses, metrics, optimizers, schedules) uses
this helper, which writes and reads the same dict format
(`{"module", "class_name", "config", "registered_name"}`), so the switch later is local.
"""

from __future__ import annotations

import inspect
from typing import Any


def serialize(obj: Any, module: str) -> Any:
    """Keras's serialized form of a family object (a class instance or a function)."""
    if obj is None:
        return None
    if inspect.isfunction(obj):
        return {
            "module": "builtins",
            "class_name": "function",
            "config": obj.__name__,
            "registered_name": "function",
        }
    return {
        "module": module,
        "class_name": type(obj).__name__,
        "config": obj.get_config(),
        "registered_name": None,
    }


def deserialize(config: Any, table: dict, family: str, custom_objects: dict | None = None) -> Any:
    """Rebuilds an object from `serialize`'s dict, a class name or a function name."""
    objects = dict(table)
    if custom_objects:
        objects.update(custom_objects)
    if isinstance(config, str):
        if config not in objects:
            raise ValueError(f"Could not interpret {family} identifier: {config}")
        return objects[config]
    if not isinstance(config, dict) or "class_name" not in config:
        raise ValueError(f"Could not interpret {family} identifier: {config}")
    name = config["class_name"]
    inner = config.get("config")
    if name == "function":
        if inner not in objects:
            raise ValueError(f"Could not interpret {family} identifier: {inner}")
        return objects[inner]
    name = config.get("registered_name") or name
    cls = objects.get(name) or objects.get(config["class_name"])
    if cls is None:
        raise TypeError(
            f"Could not locate class '{config['class_name']}'. Make sure custom classes are "
            f"decorated with `@keras.saving.register_keras_serializable()`. Full object "
            f"config: {config}"
        )
    return cls.from_config(inner or {})
