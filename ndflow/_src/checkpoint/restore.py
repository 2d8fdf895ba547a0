"""Restoring: matching a checkpoint's object graph to live objects by path, now or later.

Restoring walks the checkpoint's graph and the Python objects side by side from the root,
pairing nodes with objects by child name, and assigns each matched variable (or calls
`_restore_from_tensors`) at once. A checkpoint node whose object does not exist yet becomes
a *pending slot*: (anchor object, path below it, node). The anchor is the nearest ancestor
that can be weakly referenced (containers cannot), so pending values never keep a model
alive. A slot is retried when its anchor gains the attribute the path starts with
(`tf.Module.__setattr__` reports it through `trackable.notify_attached`). Children that
appear without an assignment (an item appended to a plain list attribute, or children of an
object with a custom `_trackable_children`) are looked for at every attribute assignment on
any module and at every status check.
"""

from __future__ import annotations

import collections
import weakref
from typing import Any
from collections.abc import Callable

import numpy as np

from ndflow._src.core import errors
from ndflow._src.core.context import eager_scope
from ndflow._src.framework.tensor import wrap_with_dtype
from ndflow._src.module import trackable
from ndflow._src.module.module import Module
from ndflow._src.checkpoint import graph as graph_lib

# `_trackable_children` implementations whose children are exactly the object's
# attributes: a pending child of such an object can only appear through __setattr__.
_ATTRIBUTE_CHILDREN: set = {Module._trackable_children}

_C_NAMES = {"float32": "float", "float64": "double", "float16": "half"}


class Restoration:
    """One `Checkpoint.read`: the checkpoint's graph and values and what they matched."""

    def __init__(
        self,
        save_path: str,
        index: dict,
        values: dict,
        root: Any,
        extra_fn: Callable[[], dict] | None,
    ) -> None:
        self.save_path = save_path
        self.nodes: list[dict] = index["object_graph"]["nodes"]
        self.values = values
        # Weak references only: a pending restoration must not keep a model alive.
        self._root_ref = _weak(root)
        self._extra_ref = weakref.WeakMethod(extra_fn) if extra_fn is not None else None
        # node id -> id() of the object it matched (ids, not objects, for the same reason).
        self.matched: dict[int, int] = {}
        self.unused_attributes: dict[int, list[str]] = {}
        self.node_paths = _node_paths(self.nodes)

    def children_of(self, obj: Any) -> dict:
        fn = self._extra_ref() if self._extra_ref is not None else None
        extra = fn() if fn is not None else None
        return graph_lib.children_of(obj, self._root_ref(), extra, trackable.CHECKPOINT)

    def bind(self, node_id: int, obj: Any, anchor: Any, anchor_path: tuple) -> None:
        """Matches `obj` to `node_id`, restores it, and walks their children together."""
        queue = collections.deque([(node_id, obj, anchor, anchor_path)])
        while queue:
            nid, o, anc, apath = queue.popleft()
            if self.matched.get(nid) == id(o):
                continue
            self.matched[nid] = id(o)
            self._apply(nid, o)
            if _can_anchor(o):
                anc, apath = o, ()
            kids = self.children_of(o)
            for ref in self.nodes[nid].get("children", []):
                name, cid = ref["local_name"], ref["node_id"]
                if name in kids:
                    queue.append((cid, kids[name], anc, apath + (name,)))
                elif cid not in self.matched:
                    _add_slot(anc, apath + (name,), cid, self)

    def _apply(self, nid: int, obj: Any) -> None:
        attrs = self.nodes[nid].get("attributes", [])
        if not attrs:
            return
        if trackable.is_variable(obj):
            unused = []
            for a in attrs:
                if a["name"] == graph_lib.VARIABLE_VALUE:
                    _assign(obj, a["checkpoint_key"], *self.values[a["checkpoint_key"]])
                else:
                    unused.append(a["name"])
            if unused:
                self.unused_attributes[nid] = unused
            return
        method = getattr(obj, "_restore_from_tensors", None)
        if method is None:
            self.unused_attributes[nid] = [a["name"] for a in attrs]
            return
        tensors = {}
        for a in attrs:
            array, dtype = self.values[a["checkpoint_key"]]
            tensors[a["name"]] = wrap_with_dtype(array, dtype)
        with eager_scope():
            method(tensors)

    def describe(self, nid: int) -> str:
        lines = []
        for a in self.nodes[nid].get("attributes", []):
            lines += [
                "attributes {",
                f'  name: "{a["name"]}"',
                f'  full_name: "{a.get("full_name", "")}"',
                f'  checkpoint_key: "{a["checkpoint_key"]}"',
                "}",
            ]
        return "\n".join(lines) + "\n"


def _weak(obj: Any) -> Callable[[], Any]:
    try:
        return weakref.ref(obj)
    except TypeError:
        return lambda: obj


def _c_name(dtype: Any) -> str:
    return _C_NAMES.get(dtype.name, dtype.name)


def _assign(var: Any, key: str, array: np.ndarray, dtype: Any) -> None:
    if dtype != var.dtype:
        raise errors.InvalidArgumentError(
            None,
            None,
            f"tensor_name = {key}; expected dtype {_c_name(var.dtype)} does not equal original "
            f"dtype {_c_name(dtype)} [Op:RestoreV2]",
        )
    if not var.shape.is_compatible_with(array.shape):
        raise ValueError(
            f"Received incompatible tensor with shape {tuple(array.shape)} when attempting to "
            f"restore variable with shape {var.shape} and name {var.name}."
        )
    with eager_scope():
        var.assign(array)


def _node_paths(nodes: list[dict]) -> list[tuple]:
    paths: list[tuple | None] = [None] * len(nodes)
    paths[0] = ()
    queue = collections.deque([0])
    while queue:
        i = queue.popleft()
        for ref in nodes[i].get("children", []):
            j = ref["node_id"]
            if paths[j] is None:
                paths[j] = paths[i] + (ref["local_name"],)
                queue.append(j)
    return [p if p is not None else ("<unreachable>",) for p in paths]


# ----------------------------------------------------------------------------- pending slots
class _Slot:
    __slots__ = ("path", "node_id", "restoration")

    def __init__(self, path: tuple, node_id: int, restoration: Restoration) -> None:
        self.path = path
        self.node_id = node_id
        self.restoration = restoration


class _Anchor:
    __slots__ = ("ref", "slots", "attribute_children")

    def __init__(self, obj: Any) -> None:
        key = id(obj)
        try:
            self.ref = weakref.ref(obj, lambda _r, key=key: _forget(key, _r))
        except TypeError:  # not weakly referenceable: keep it while values are pending
            self.ref = lambda obj=obj: obj
        self.slots: list[_Slot] = []
        self.attribute_children = getattr(type(obj), "_trackable_children", None) in (
            _ATTRIBUTE_CHILDREN
        )


# anchor id -> _Anchor. Pending restorations live here, not on the objects, so objects
# that know nothing about checkpoints can still receive deferred values.
_pending: dict[int, _Anchor] = {}


def _forget(key: int, ref: Any) -> None:
    a = _pending.get(key)
    if a is not None and a.ref is ref:
        del _pending[key]


def _can_anchor(obj: Any) -> bool:
    if trackable.is_container(obj):
        return False
    try:
        weakref.ref(obj)
    except TypeError:
        return False
    return True


def _add_slot(anchor: Any, path: tuple, node_id: int, restoration: Restoration) -> None:
    a = _pending.get(id(anchor))
    if a is None or a.ref() is not anchor:
        a = _Anchor(anchor)
        _pending[id(anchor)] = a
    for s in a.slots:
        if s.path == path and s.node_id == node_id and s.restoration is restoration:
            return
    a.slots.append(_Slot(path, node_id, restoration))


def _try_slot(anchor_key: int, a: _Anchor, slot: _Slot) -> None:
    anchor = a.ref()
    if anchor is None:
        return
    r = slot.restoration
    obj = anchor
    for name in slot.path:
        kids = r.children_of(obj)
        if name not in kids:
            return
        obj = kids[name]
    if slot in a.slots:
        a.slots.remove(slot)
    if not a.slots and _pending.get(anchor_key) is a:
        del _pending[anchor_key]
    r.bind(slot.node_id, obj, anchor, slot.path)


def _on_attached(parent: Any, name: str, value: Any) -> None:
    if not _pending:
        return
    a = _pending.get(id(parent))
    if a is not None and a.ref() is parent:
        for slot in list(a.slots):
            if slot.path[0] == name:
                _try_slot(id(parent), a, slot)
    # Children that appear without an attribute assignment (an item appended to a list
    # attribute, a custom _trackable_children) are looked for at every assignment.
    sweep(only_indirect=True)


def _is_direct(a: _Anchor, slot: _Slot) -> bool:
    """True when only `anchor.<path[0]> = value` can satisfy the slot (the hook sees it)."""
    if not a.attribute_children or len(slot.path) != 1:
        return False
    anchor = a.ref()
    current = getattr(anchor, "__dict__", {}).get(slot.path[0])
    return not trackable.is_container(current)


def sweep(only_indirect: bool = False) -> None:
    """Retries pending slots (all, or those an attribute hook cannot see)."""
    for key, a in list(_pending.items()):
        for slot in list(a.slots):
            if only_indirect and _is_direct(a, slot):
                continue
            _try_slot(key, a, slot)


trackable._attach_hooks.append(_on_attached)


# ----------------------------------------------------------------------------- statuses
class CheckpointLoadStatus:
    """What `Checkpoint.restore` returns: checks on how the checkpoint matched the program.

    Values are assigned as soon as their object exists (at once for existing variables,
    later for variables created after `restore()`); these methods only check.
    """

    def __init__(self, restoration: Restoration, graph_fn: Callable[[], list]) -> None:
        self._restoration = restoration
        self._graph_fn = graph_fn
        self._expect_partial = False

    def _unmatched_python_objects(self) -> list:
        matched = set(self._restoration.matched.values())
        return [o for o in self._graph_fn() if id(o) not in matched]

    def _raise_unbound(self) -> None:
        unused = self._unmatched_python_objects()
        if unused:
            shown = unused[:10]
            raise AssertionError(
                f"Found {len(unused)} Python objects that were not bound to checkpointed "
                "values, likely due to changes in the Python program. Showing "
                f"{len(shown)} of {len(unused)} unmatched objects: {shown}"
            )

    def assert_consumed(self) -> CheckpointLoadStatus:
        """Raises AssertionError unless every checkpointed value found its object and every
        object in the program got a value. Returns the status."""
        sweep()
        self._raise_unbound()
        r = self._restoration
        for nid, node in enumerate(r.nodes):
            if node.get("attributes") and nid not in r.matched:
                raise AssertionError(
                    f"Unresolved object in checkpoint {graph_lib.pretty_path(r.node_paths[nid])}: "
                    f"{r.describe(nid)}"
                )
        if r.unused_attributes:
            lines = [
                f"{graph_lib.pretty_path(r.node_paths[nid])}: {names}"
                for nid, names in r.unused_attributes.items()
            ]
            raise AssertionError(
                "Unused attributes in these objects (the attributes exist in the checkpoint "
                "but were not restored):\n" + "\n".join(lines)
            )
        return self

    def assert_existing_objects_matched(self) -> CheckpointLoadStatus:
        """Raises AssertionError if an object in the program has no checkpointed value.

        Checkpointed values whose objects do not exist (yet) are allowed."""
        sweep()
        self._raise_unbound()
        return self

    def assert_nontrivial_match(self) -> CheckpointLoadStatus:
        """Raises AssertionError if nothing but the root matched the checkpoint."""
        sweep()
        if len(self._restoration.matched) <= 1:
            unused = self._unmatched_python_objects()
            if unused:
                raise AssertionError(
                    "Nothing except the root object matched a checkpointed value. Typically "
                    "this means that the checkpoint does not match the Python program. The "
                    f"following objects have no matching checkpointed value: {unused}"
                )
            raise AssertionError(
                f"Nothing to load. No dependencies have been added to {self._graph_fn()[0]} yet."
            )
        return self

    def expect_partial(self) -> CheckpointLoadStatus:
        """Marks the restore as intentionally partial; returns the status."""
        self._expect_partial = True
        return self

    def run_restore_ops(self, session: Any = None) -> None:
        """Values are restored eagerly; nothing to run."""

    def initialize_or_restore(self, session: Any = None) -> None:
        """Values are restored eagerly; nothing to run."""


class InitializationOnlyStatus:
    """What `Checkpoint.restore(None)` returns: nothing is restored."""

    def _fail(self) -> None:
        raise AssertionError("No checkpoint specified (save_path=None); nothing is being restored.")

    def assert_consumed(self) -> InitializationOnlyStatus:
        self._fail()
        return self

    def assert_existing_objects_matched(self) -> InitializationOnlyStatus:
        self._fail()
        return self

    def assert_nontrivial_match(self) -> InitializationOnlyStatus:
        self._fail()
        return self

    def expect_partial(self) -> InitializationOnlyStatus:
        return self

    def run_restore_ops(self, session: Any = None) -> None:
        """Nothing to run."""

    def initialize_or_restore(self, session: Any = None) -> None:
        """Variables are initialized when created; nothing to run."""
