"""The trackable protocol: how objects join a checkpoint's (and a SavedModel's) object graph.

An object graph is a directed graph whose nodes are Python objects and whose edges are
named. Any object can take part without importing this module, by duck typing:

- **children**: `obj._trackable_children(save_type="checkpoint", **kwargs)` returns an
  ordered `dict` of local name -> child. `tf.Module` builds it from its attributes,
  `tf.train.Checkpoint` from its keyword arguments; Keras layers, optimizers and tf.data
  iterators can implement it the same way later.
- **state**: `obj._serialize_to_tensors()` returns a `dict` of name -> value (a NumPy array,
  an ndflow Tensor or anything `convert_to_tensor` accepts) and
  `obj._restore_from_tensors(tensors)` takes the same names back (values are eager Tensors).
- **variables** (`VariableBase`) are leaves with one value, `VARIABLE_VALUE`.
- **containers**: lists, tuples and dicts that hold trackables (at any depth) are nodes
  whose children are named by index ("0", "1", ...) or by key.

Deferred restoration needs to know when a child appears after `restore()`: an object that
gains a child calls `notify_attached(parent, name, value)` (`tf.Module.__setattr__` does).
The checkpoint layer registers its listener in `_attach_hooks`; this module, below it,
never imports it.

>>> import ndflow as tf
>>> m = tf.Module()
>>> m.v = [tf.Variable(1.0)]
>>> list(children(m))
['v']
>>> list(children(m.v))
['0']
"""

from __future__ import annotations

import collections.abc
from typing import Any
from collections.abc import Callable

from ndflow._src.framework.tensor import VariableBase

CHECKPOINT = "checkpoint"
SAVEDMODEL = "savedmodel"

# Listeners called as hook(parent, name, value) after `parent.name = value`.
_attach_hooks: list[Callable[[Any, str, Any], None]] = []

# Extra types that count as trackable for one save type (e.g. tf.function objects for
# SavedModel), registered by higher layers: save_type -> tuple of classes.
_extra_types: dict[str, tuple] = {CHECKPOINT: (), SAVEDMODEL: ()}


def register_trackable_type(cls: type, save_types: tuple = (SAVEDMODEL,)) -> None:
    """Makes instances of `cls` children in the object graph for `save_types`."""
    for st in save_types:
        _extra_types[st] = _extra_types.get(st, ()) + (cls,)


def notify_attached(parent: Any, name: str, value: Any) -> None:
    """Tells listeners (deferred checkpoint restores) that `parent.name` is now `value`."""
    for hook in _attach_hooks:
        hook(parent, name, value)


def is_variable(obj: Any) -> bool:
    return isinstance(obj, VariableBase)


def is_container(obj: Any) -> bool:
    """Lists, tuples and mappings that are not trackables themselves."""
    if hasattr(type(obj), "_trackable_children"):
        return False
    return isinstance(obj, (list, tuple, collections.abc.Mapping))


def is_trackable(obj: Any, save_type: str = CHECKPOINT) -> bool:
    """True for variables and objects implementing the protocol (not bare containers)."""
    t = type(obj)
    return (
        isinstance(obj, VariableBase)
        or hasattr(t, "_trackable_children")
        or hasattr(t, "_serialize_to_tensors")
        or isinstance(obj, _extra_types.get(save_type, ()))
    )


def holds_trackable(value: Any, save_type: str = CHECKPOINT) -> bool:
    """True when `value` is trackable or a (nested) container holding a trackable."""
    stack = [value]
    seen: set[int] = set()
    while stack:
        x = stack.pop()
        if is_trackable(x, save_type):
            return True
        if is_container(x) and id(x) not in seen:
            seen.add(id(x))
            stack.extend(x.values() if isinstance(x, collections.abc.Mapping) else x)
    return False


def children(obj: Any, save_type: str = CHECKPOINT) -> dict[str, Any]:
    """The named children of `obj` in the object graph (empty for leaves).

    Container children with non-string keys are returned under their original key; the
    checkpoint writer rejects them, as TensorFlow does.
    """
    if isinstance(obj, VariableBase):
        return {}
    method = getattr(obj, "_trackable_children", None)
    if method is not None and not isinstance(obj, type):
        return dict(method(save_type=save_type))
    if isinstance(obj, collections.abc.Mapping):
        return {k: v for k, v in obj.items() if holds_trackable(v, save_type)}
    if isinstance(obj, (list, tuple)):
        return {str(i): v for i, v in enumerate(obj) if holds_trackable(v, save_type)}
    return {}
