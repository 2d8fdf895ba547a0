"""The object graph: a breadth-first walk of trackables from a root, and checkpoint keys.

Node 0 is the root. Nodes are numbered in breadth-first order over each object's children
(in the order the object lists them), and an object reached twice is one node, so its
canonical path (which names its checkpoint keys) is the first, shortest one found, as in
TensorFlow. The same walk serves checkpoints and, with save_type="savedmodel", SavedModel.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ndflow._src.core import dtypes
from ndflow._src.core.context import eager_scope
from ndflow._src.framework.constant import convert_to_tensor
from ndflow._src.framework.tensor import Tensor
from ndflow._src.module import trackable

VARIABLE_VALUE = "VARIABLE_VALUE"
ATTRIBUTES = ".ATTRIBUTES"


def escape_name(name: str) -> str:
    """TensorFlow's escaping of a local name inside a checkpoint key ("a.b/c" -> "a..b.Sc")."""
    return name.replace(".", "..").replace("/", ".S")


def object_path_key(path: tuple) -> str:
    return "/".join(escape_name(p) for p in path)


def checkpoint_key(path: tuple, attribute: str) -> str:
    """`model/w/.ATTRIBUTES/VARIABLE_VALUE` for path ("model", "w")."""
    prefix = object_path_key(path)
    return f"{prefix}/{ATTRIBUTES}/{attribute}" if prefix else f"{ATTRIBUTES}/{attribute}"


def pretty_path(path: tuple) -> str:
    """TensorFlow's display of an object path: `(root).model.w`."""
    return ".".join(("(root)",) + tuple(path))


class ObjectGraph:
    """The trackables reachable from `root`, numbered breadth first.

    Args:
        root: the root object.
        extra_root_children: children added to the root's own (a Checkpoint built with
            `root=` attaches its keyword arguments and `save_counter` this way).
        save_type: "checkpoint" or "savedmodel".
    """

    def __init__(
        self,
        root: Any,
        extra_root_children: dict | None = None,
        save_type: str = trackable.CHECKPOINT,
    ) -> None:
        self.objects: list[Any] = [root]
        self.paths: list[tuple] = [()]
        self.children: list[list[tuple[str, int]]] = []
        index = {id(root): 0}
        i = 0
        while i < len(self.objects):
            obj = self.objects[i]
            kids = children_of(obj, root, extra_root_children, save_type)
            refs = []
            for name, child in kids.items():
                if not isinstance(name, str):
                    raise ValueError(
                        f"Unable to save the object {obj!r}: it contains a non-string key "
                        f"{name!r} which maps to a trackable object. Use string keys."
                    )
                j = index.get(id(child))
                if j is None:
                    j = len(self.objects)
                    index[id(child)] = j
                    self.objects.append(child)
                    self.paths.append(self.paths[i] + (name,))
                refs.append((name, j))
            self.children.append(refs)
            i += 1


def children_of(obj: Any, root: Any, extra: dict | None, save_type: str) -> dict:
    kids = trackable.children(obj, save_type)
    if extra and obj is root:
        for k, v in extra.items():
            kids.setdefault(k, v)
    return kids


def serialize(obj: Any) -> dict[str, tuple[np.ndarray, dtypes.DType, str]]:
    """attribute name -> (array, dtype, full_name) for one object's saved state."""
    if trackable.is_variable(obj):
        name = obj.name[:-2] if obj.name.endswith(":0") else obj.name
        return {VARIABLE_VALUE: (np.asarray(obj.numpy()), obj.dtype, name)}
    method = getattr(obj, "_serialize_to_tensors", None)
    if method is None or isinstance(obj, type):
        return {}
    out = {}
    with eager_scope():
        for name, value in method().items():
            t = value if type(value) is Tensor else convert_to_tensor(value)
            if type(t) is not Tensor:
                raise ValueError(
                    f"{type(obj).__name__}._serialize_to_tensors returned a symbolic tensor "
                    f"for {name!r}; checkpoints save eager values."
                )
            out[name] = (np.asarray(t._value), t.dtype, "")
    return out


def build_for_save(root: Any, extra_root_children: dict | None = None) -> tuple[dict, dict]:
    """The JSON object graph and the tensors (key -> (array, dtype)) of a checkpoint."""
    graph = ObjectGraph(root, extra_root_children)
    nodes = []
    tensors: dict[str, tuple[np.ndarray, dtypes.DType]] = {}
    for obj, path, refs in zip(graph.objects, graph.paths, graph.children):
        attributes = []
        for attr, (array, dtype, full_name) in serialize(obj).items():
            if dtype.name in ("resource", "variant"):
                raise ValueError(f"Cannot save a {dtype.name} tensor ({pretty_path(path)}).")
            key = checkpoint_key(path, attr)
            tensors[key] = (array, dtype)
            attributes.append({"name": attr, "full_name": full_name, "checkpoint_key": key})
        node: dict[str, Any] = {"children": [{"node_id": j, "local_name": n} for n, j in refs]}
        if attributes:
            node["attributes"] = attributes
        nodes.append(node)
    return {"nodes": nodes}, tensors
