"""The trackable protocol that checkpoints (and later SavedModel) walk."""

from __future__ import annotations

import ndflow as nd
from ndflow._src.module import trackable


def test_containers_name_their_trackable_children():
    v, w = nd.Variable(1.0), nd.Variable(2.0)
    assert trackable.children([v, 3, (w,)]) == {"0": v, "2": (w,)}
    assert trackable.children({"b": v, "a": "text"}) == {"b": v}
    assert trackable.children(v) == {}
    assert trackable.holds_trackable([[{"x": v}]])
    assert not trackable.holds_trackable([1, "a", {"b": None}])


def test_module_children_follow_assignment_order_and_skip_plain_values():
    m = nd.Module()
    m.z = nd.Variable(1.0)
    m.a = nd.Module()
    m.n = 3
    m.empty = []
    assert list(trackable.children(m)) == ["z", "a"]


class FakeFunction:
    """Stands in for a tf.function object registered by the SavedModel layer."""

    def __get__(self, obj, objtype=None):
        return self if obj is None else ("bound", obj)


def test_registered_types_join_only_their_save_type(monkeypatch):
    monkeypatch.setitem(trackable._extra_types, trackable.SAVEDMODEL, ())
    trackable.register_trackable_type(FakeFunction)

    class M(nd.Module):
        f = FakeFunction()

    m = M()
    m.v = nd.Variable(1.0)
    assert list(trackable.children(m)) == ["v"]
    kids = trackable.children(m, trackable.SAVEDMODEL)
    assert list(kids) == ["v", "f"] and kids["f"] == ("bound", m)


def test_attachment_hooks_see_module_assignments(monkeypatch):
    seen = []
    monkeypatch.setattr(trackable, "_attach_hooks", [lambda p, n, v: seen.append((n, v))])
    m = nd.Module()
    m.x = 5
    assert ("x", 5) in seen
