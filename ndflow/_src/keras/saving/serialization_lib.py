"""Keras 3's object serialization: `{"module", "class_name", "config", "registered_name"}`.

Every Keras family (layers, activations, initializers, regularizers, constraints, and later
losses, metrics, optimizers) turns objects into such dicts and back through this module.
Built-in classes register themselves under their public Keras module ("keras.layers",
"keras.initializers", ...) with `register_builtin`; user classes use
`register_keras_serializable` ("package>Name") or `custom_objects` / `custom_object_scope`.

>>> from ndflow._src.keras import initializers
>>> d = serialize_keras_object(initializers.Zeros())
>>> d["module"], d["class_name"], d["config"]
('keras.initializers', 'Zeros', {})
>>> type(deserialize_keras_object(d)).__name__
'Zeros'
"""

from __future__ import annotations

import base64
import inspect
import marshal
import threading
import types
from typing import Any
from collections.abc import Callable

# (public module, class or function name) -> object, for Keras' built-in objects.
_BUILTINS: dict[tuple[str, str], Any] = {}
# Built-in functions (activations) serialized as {"module": "builtins", "class_name": "function"}.
_BUILTIN_FUNCTIONS: dict[str, Callable] = {}
# "package>Name" -> object, and the reverse, for `register_keras_serializable`.
_GLOBAL_CUSTOM_OBJECTS: dict[str, Any] = {}
_GLOBAL_CUSTOM_NAMES: dict[Any, str] = {}

_scope = threading.local()


class SafeModeScope:
    """While active, `in_safe_mode()` returns `safe_mode` (Lambda layers check it)."""

    def __init__(self, safe_mode: bool | None = True) -> None:
        self.safe_mode = safe_mode

    def __enter__(self) -> SafeModeScope:
        self._backup = getattr(_scope, "safe_mode", None)
        _scope.safe_mode = self.safe_mode
        return self

    def __exit__(self, *exc: Any) -> None:
        _scope.safe_mode = self._backup


def in_safe_mode() -> bool | None:
    """The `safe_mode` of the deserialization in progress (None outside of one)."""
    return getattr(_scope, "safe_mode", None)


def register_builtin(module: str, obj: Any, *aliases: str) -> Any:
    """Records `obj` as a built-in of the public Keras module `module` (e.g. "keras.layers").

    Classes get `_keras_module = module`, which `serialize_keras_object` writes out.
    """
    name = getattr(obj, "__name__", None)
    for key in ((name,) if name else ()) + aliases:
        _BUILTINS[(module, key)] = obj
    if inspect.isclass(obj):
        obj._keras_module = module
    elif callable(obj) and module == "keras.activations":
        for key in ((name,) if name else ()) + aliases:
            _BUILTIN_FUNCTIONS[key] = obj
    return obj


def builtin_objects(module: str) -> dict[str, Any]:
    """The built-ins of one public module: name -> object."""
    return {k: v for (m, k), v in _BUILTINS.items() if m == module}


# ------------------------------------------------------------------ custom objects
class CustomObjectScope:
    """`keras.saving.CustomObjectScope`: makes `custom_objects` visible to deserialization.

    >>> class Foo: pass
    >>> with custom_object_scope({"Foo": Foo}):
    ...     get_registered_object("Foo") is Foo
    True
    """

    def __init__(self, custom_objects: dict | None = None) -> None:
        self.custom_objects = dict(custom_objects or {})
        self._backup: dict | None = None

    def __enter__(self) -> CustomObjectScope:
        self._backup = dict(_scope_objects())
        _scope.objects = {**self._backup, **self.custom_objects}
        return self

    def __exit__(self, *exc: Any) -> None:
        _scope.objects = self._backup or {}


custom_object_scope = CustomObjectScope


def _scope_objects() -> dict:
    return getattr(_scope, "objects", {})


def get_custom_objects() -> dict:
    """`keras.saving.get_custom_objects`: the global registry ("package>Name" -> object)."""
    return _GLOBAL_CUSTOM_OBJECTS


def register_keras_serializable(package: str = "Custom", name: str | None = None) -> Callable:
    """Decorator registering a class or function as "package>name" for deserialization.

    >>> @register_keras_serializable(package="demo")
    ... def double(x):
    ...     return 2 * x
    >>> get_registered_name(double)
    'demo>double'
    """

    def decorator(obj: Any) -> Any:
        key = f"{package}>{name or obj.__name__}"
        if inspect.isclass(obj) and not hasattr(obj, "get_config"):
            raise ValueError("Cannot register a class that does not have a get_config() method.")
        _GLOBAL_CUSTOM_OBJECTS[key] = obj
        _GLOBAL_CUSTOM_NAMES[obj] = key
        return obj

    return decorator


def get_registered_name(obj: Any) -> str:
    """The registered "package>Name" of `obj`, or its plain name when not registered."""
    if obj in _GLOBAL_CUSTOM_NAMES:
        return _GLOBAL_CUSTOM_NAMES[obj]
    return obj.__name__


def get_registered_object(
    name: str, custom_objects: dict | None = None, module_objects: dict | None = None
) -> Any:
    """Looks `name` up in the scope, the global registry, `custom_objects`, then
    `module_objects`; None when absent."""
    if name in _scope_objects():
        return _scope_objects()[name]
    if name in _GLOBAL_CUSTOM_OBJECTS:
        return _GLOBAL_CUSTOM_OBJECTS[name]
    if custom_objects and name in custom_objects:
        return custom_objects[name]
    if module_objects and name in module_objects:
        return module_objects[name]
    return None


# ------------------------------------------------------------------ serialize
def _serialize_lambda(fn: types.FunctionType) -> dict:
    code = base64.b64encode(marshal.dumps(fn.__code__)).decode("ascii")
    closure = None
    if fn.__closure__:
        closure = [c.cell_contents for c in fn.__closure__]
    return {
        "class_name": "__lambda__",
        "config": {"code": code, "defaults": fn.__defaults__, "closure": closure},
    }


def _deserialize_lambda(config: dict) -> Callable:
    code = marshal.loads(base64.b64decode(config["code"]))
    closure = config.get("closure")
    cells = tuple(types.CellType(v) for v in closure) if closure else None
    defaults = tuple(config["defaults"]) if config.get("defaults") else None
    return types.FunctionType(code, globals(), code.co_name, defaults, cells)


def _is_lambda(obj: Any) -> bool:
    return isinstance(obj, types.FunctionType) and obj.__name__ == "<lambda>"


def serialize_keras_object(obj: Any) -> Any:
    """`keras.saving.serialize_keras_object`: a JSON-friendly description of `obj`.

    None, numbers, strings, lists and dicts pass through (containers recursively);
    functions become {"module", "class_name": "function", "config": name}; objects with
    `get_config` become {"module", "class_name", "config", "registered_name"}, plus
    "build_config" for built layers.
    """
    if obj is None or isinstance(obj, (bool, int, float, str)):
        return obj
    if isinstance(obj, bytes):
        return {"class_name": "__bytes__", "config": {"value": obj.decode("utf-8")}}
    if isinstance(obj, (list, tuple)):
        out = [serialize_keras_object(x) for x in obj]
        return tuple(out) if isinstance(obj, tuple) else out
    if isinstance(obj, dict):
        return {k: serialize_keras_object(v) for k, v in obj.items()}
    if hasattr(obj, "dtype") and hasattr(obj, "tolist") and not hasattr(obj, "get_config"):
        return obj.tolist()  # NumPy arrays and scalars
    if hasattr(obj, "numpy") and not hasattr(obj, "get_config"):
        # Tensors (e.g. a constant operand of `x @ w`), as Keras writes them.
        value = obj.numpy()
        return {
            "class_name": "__tensor__",
            "config": {
                "value": value.tolist(),
                "dtype": getattr(obj.dtype, "name", str(value.dtype)),
            },
        }
    if _is_lambda(obj):
        return _serialize_lambda(obj)
    if isinstance(obj, types.FunctionType) or (callable(obj) and not hasattr(obj, "get_config")):
        name = getattr(obj, "__name__", None)
        if name is None:
            raise TypeError(f"Cannot serialize object {obj!r} of type {type(obj)}.")
        if obj in _GLOBAL_CUSTOM_NAMES:
            return {
                "module": obj.__module__,
                "class_name": "function",
                "config": _GLOBAL_CUSTOM_NAMES[obj],
                "registered_name": "function",
            }
        return {
            "module": "builtins",
            "class_name": "function",
            "config": name,
            "registered_name": "function",
        }
    if hasattr(obj, "get_config"):
        cls = type(obj)
        registered = _GLOBAL_CUSTOM_NAMES.get(cls)
        module = getattr(cls, "_keras_module", None) if "_keras_module" in _own(cls) else None
        if module is None and registered is None:
            module = cls.__module__
        config = obj.get_config()
        out = {
            "module": module,
            "class_name": cls.__name__,
            "config": serialize_keras_object(config),
            "registered_name": registered,
        }
        if registered is not None:
            out["module"] = None
        elif "_keras_registered_name" in _own(cls):
            out["registered_name"] = cls._keras_registered_name  # Keras' "Functional"
        build_config = getattr(obj, "get_build_config", None)
        if build_config is not None:
            bc = build_config()
            if bc is not None:
                out["build_config"] = bc
        return out
    raise TypeError(f"Cannot serialize object {obj!r} of type {type(obj)}.")


def _own(cls: type) -> dict:
    return vars(cls)


# ------------------------------------------------------------------ deserialize
_LAMBDA_ERROR = (
    "Requested the deserialization of a `lambda` object. This carries a potential risk of "
    "arbitrary code execution and thus it is disallowed by default. If you trust the "
    "source of the saved model, you can pass `safe_mode=False` to the loading function in "
    "order to allow `lambda` loading, or call `keras.config.enable_unsafe_deserialization()`."
)


def _not_found(class_name: str, config: Any, obj_type: str = "class") -> TypeError:
    return TypeError(
        f"Could not locate {obj_type} '{class_name}'. Make sure custom classes and functions are "
        "decorated with `@keras.saving.register_keras_serializable()`. If they are already "
        "decorated, make sure they are all imported so that the decorator is run before "
        f"trying to load them. Full object config: {config}"
    )


def _lookup(
    module: str | None,
    name: str,
    registered: str | None,
    custom_objects: dict | None,
    module_objects: dict | None,
) -> Any:
    for key in (registered, name):
        if key:
            found = get_registered_object(key, custom_objects, module_objects)
            if found is not None:
                return found
    if module is not None and (module, name) in _BUILTINS:
        return _BUILTINS[(module, name)]
    # Keras writes "keras.src.layers.core.dense"-style modules too; match on the family.
    if module and module.startswith("keras"):
        for (m, k), v in _BUILTINS.items():
            if k == name and module.startswith(m):
                return v
    matches = [v for (m, k), v in _BUILTINS.items() if k == name]
    return matches[0] if matches else None


def deserialize_keras_object(
    config: Any,
    custom_objects: dict | None = None,
    safe_mode: bool = True,
    module_objects: dict | None = None,
    **kwargs: Any,
) -> Any:
    """`keras.saving.deserialize_keras_object`: rebuilds what `serialize_keras_object` wrote.

    Raises:
        TypeError: the class or function cannot be found (Keras' wording).
        ValueError: a serialized `lambda` while `safe_mode` is True.
    """
    # An enclosing deserialization (load_model(safe_mode=False)) decides for the nested
    # calls that layers such as Functional make without passing safe_mode, as in Keras.
    scoped = in_safe_mode()
    if scoped is not None:
        safe_mode = scoped
    if config is None or isinstance(config, (bool, int, float)):
        return config
    if isinstance(config, str):
        found = get_registered_object(config, custom_objects, module_objects)
        if found is None and module_objects is None:
            found = _BUILTIN_FUNCTIONS.get(config)
        return found if found is not None else config
    if isinstance(config, (list, tuple)):
        out = [deserialize_keras_object(x, custom_objects, safe_mode) for x in config]
        return tuple(out) if isinstance(config, tuple) else out
    if not isinstance(config, dict):
        raise TypeError(f"Could not parse config: {config}")
    if "class_name" not in config or "config" not in config:
        return {
            k: deserialize_keras_object(v, custom_objects, safe_mode) for k, v in config.items()
        }
    class_name = config["class_name"]
    inner = config["config"]
    if class_name == "__tuple__":
        return tuple(deserialize_keras_object(v, custom_objects, safe_mode) for v in inner["value"])
    if class_name == "__bytes__":
        return inner["value"].encode("utf-8")
    if class_name == "__numpy__":
        import numpy as np

        return np.array(inner["value"], dtype=inner.get("dtype"))
    if class_name == "__tensor__":
        import numpy as np

        from ndflow._src.framework import constant

        return constant.constant(np.array(inner["value"], dtype=inner.get("dtype")))
    if class_name == "__lambda__":
        if safe_mode:
            raise ValueError(_LAMBDA_ERROR)
        return _deserialize_lambda(inner)
    module = config.get("module")
    registered = config.get("registered_name")
    if class_name == "function":
        fn = get_registered_object(inner, custom_objects, module_objects)
        if fn is None:
            fn = _BUILTIN_FUNCTIONS.get(inner)
        if fn is None:  # built-in loss or metric functions ("mean_squared_error")
            fn = next(
                (
                    v
                    for (m, k), v in _BUILTINS.items()
                    if k == inner and callable(v) and not inspect.isclass(v)
                ),
                None,
            )
        if fn is None:
            raise _not_found(inner, config, "function")
        return fn
    cls = _lookup(module, class_name, registered, custom_objects, module_objects)
    if cls is None:
        raise _not_found(class_name, config)
    if not inspect.isclass(cls):
        return cls
    with SafeModeScope(safe_mode), CustomObjectScope(custom_objects):
        obj = cls.from_config(inner)
    build_config = config.get("build_config")
    if build_config and hasattr(obj, "build_from_config"):
        obj.build_from_config(build_config)
    return obj
