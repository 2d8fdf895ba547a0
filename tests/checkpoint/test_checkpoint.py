"""tf.train.Checkpoint: round trips, restore by path, deferred restore and statuses."""

from __future__ import annotations

import os

import numpy as np
import pytest

import ndflow as nd
from ndflow import errors


class Sub(nd.Module):
    def __init__(self):
        super().__init__()
        self.v = nd.Variable([1.0, 2.0], name="v")


class Net(nd.Module):
    def __init__(self):
        super().__init__()
        self.w = nd.Variable(1.0, name="w")
        self.layers = [Sub(), nd.Variable(3, name="x")]
        self.d = {"k": nd.Variable("hello", name="s"), "a.b/c": nd.Variable(1.5)}
        self.alias = self.w


def test_round_trip_restores_every_value(tmp_path):
    net = Net()
    ckpt = nd.train.Checkpoint(model=net)
    path = ckpt.save(str(tmp_path / "ckpt"))
    assert path == str(tmp_path / "ckpt-1")
    net.w.assign(9.0)
    net.layers[0].v.assign([0.0, 0.0])
    net.layers[1].assign(0)
    net.d["k"].assign("bye")
    status = ckpt.restore(path)
    status.assert_consumed().assert_existing_objects_matched().assert_nontrivial_match()
    assert net.w.numpy() == 1.0
    np.testing.assert_array_equal(net.layers[0].v.numpy(), [1.0, 2.0])
    assert net.layers[1].numpy() == 3
    assert net.d["k"].numpy() == b"hello"


def test_restore_into_a_fresh_object_matches_by_path(tmp_path):
    path = nd.train.Checkpoint(model=Net()).save(str(tmp_path / "w"))
    fresh = Net()
    fresh.w.assign(-1.0)
    fresh.d["a.b/c"].assign(0.0)
    nd.train.Checkpoint(model=fresh).restore(path).assert_consumed()
    assert fresh.w.numpy() == 1.0 and fresh.d["a.b/c"].numpy() == 1.5


def test_shared_variable_is_saved_once_under_its_first_path(tmp_path):
    path = nd.train.Checkpoint(model=Net()).write(str(tmp_path / "w"))
    keys = [k for k, _ in nd.train.list_variables(path)]
    assert "model/w/.ATTRIBUTES/VARIABLE_VALUE" in keys
    assert not any("alias" in k for k in keys)


@pytest.mark.parity
def test_checkpoint_keys_and_shapes_match_tensorflow(real_tf, tmp_path):
    def build(tf):
        class S(tf.Module):
            def __init__(self):
                super().__init__()
                self.v = tf.Variable([1.0, 2.0], name="v")

        class M(tf.Module):
            def __init__(self):
                super().__init__()
                self.w = tf.Variable(1.0, name="w")
                self.layers = [S(), tf.Variable(3, name="x"), [tf.Variable(1.0)]]
                self.d = {"k": tf.Variable("hello"), "a.b/c": tf.Variable(np.zeros((2, 3)))}
                self.alias = self.w
                self.t = (tf.Variable(True),)

        return tf.train.Checkpoint(model=M(), extra=tf.Variable(7.0))

    mine = build(nd).save(str(tmp_path / "nd" / "ckpt"))
    theirs = build(real_tf).save(str(tmp_path / "tf" / "ckpt"))
    assert os.path.basename(mine) == os.path.basename(theirs) == "ckpt-1"
    assert nd.train.list_variables(mine) == real_tf.train.list_variables(theirs)
    nd_types = nd.train.load_checkpoint(mine).get_variable_to_dtype_map()
    tf_types = real_tf.train.load_checkpoint(theirs).get_variable_to_dtype_map()
    assert {k: v.name for k, v in nd_types.items()} == {k: v.name for k, v in tf_types.items()}
    with open(tmp_path / "nd" / "checkpoint") as a, open(tmp_path / "tf" / "checkpoint") as b:
        assert a.read() == b.read()


def test_deferred_restore_applies_when_variables_appear(tmp_path):
    path = nd.train.Checkpoint(model=Net()).save(str(tmp_path / "ckpt"))

    class Lazy(nd.Module):
        def build(self):
            self.w = nd.Variable(0.0)
            self.layers = [Sub(), nd.Variable(0)]
            self.d = {"k": nd.Variable(""), "a.b/c": nd.Variable(0.0)}

    lazy = Lazy()
    ckpt = nd.train.Checkpoint(model=lazy)
    status = ckpt.restore(path)
    with pytest.raises(AssertionError, match=r"Unresolved object in checkpoint \(root\).model"):
        status.assert_consumed()
    status.assert_existing_objects_matched()
    lazy.build()
    assert lazy.w.numpy() == 1.0
    np.testing.assert_array_equal(lazy.layers[0].v.numpy(), [1.0, 2.0])
    assert lazy.layers[1].numpy() == 3 and lazy.d["k"].numpy() == b"hello"
    assert ckpt.save_counter.numpy() == 1
    status.assert_consumed()


def test_deferred_restore_survives_a_dropped_checkpoint_and_reaches_appended_items(tmp_path):
    src = nd.Module()
    src.items = [Sub(), Sub()]
    src.items[1].v.assign([5.0, 6.0])
    path = nd.train.Checkpoint(model=src).save(str(tmp_path / "w"))

    dst = nd.Module()
    dst.items = []
    nd.train.Checkpoint(model=dst).restore(path)  # status and checkpoint dropped at once
    dst.items.append(Sub())
    dst.items.append(Sub())  # created after restore, reached through a plain list
    dst.built = True  # any later attribute assignment finds items appended to lists
    np.testing.assert_array_equal(dst.items[1].v.numpy(), [5.0, 6.0])

    other = nd.Module()
    other.items = []
    status = nd.train.Checkpoint(model=other).restore(path)
    other.items.extend([Sub(), Sub()])
    status.assert_consumed()  # status checks look for them too
    np.testing.assert_array_equal(other.items[1].v.numpy(), [5.0, 6.0])


def test_status_checks_report_mismatches(tmp_path):
    path = nd.train.Checkpoint(model=Net()).save(str(tmp_path / "w"))

    class Extra(Net):
        def __init__(self):
            super().__init__()
            self.extra = nd.Variable(5.0)

    status = nd.train.Checkpoint(model=Extra()).restore(path)
    with pytest.raises(AssertionError, match="Found 1 Python objects that were not bound"):
        status.assert_consumed()
    with pytest.raises(AssertionError, match="Found 1 Python objects that were not bound"):
        status.assert_existing_objects_matched()
    status.assert_nontrivial_match()

    class Fewer(nd.Module):
        def __init__(self):
            super().__init__()
            self.w = nd.Variable(0.0)

    status = nd.train.Checkpoint(model=Fewer()).restore(path)
    with pytest.raises(AssertionError, match=r"\(root\).model.layers"):
        status.assert_consumed()
    status.assert_existing_objects_matched().assert_nontrivial_match()
    assert status.expect_partial() is status

    path = nd.train.Checkpoint(model=Net()).write(str(tmp_path / "no_counter"))
    status = nd.train.Checkpoint(other=nd.Variable(1.0)).restore(path)
    with pytest.raises(AssertionError, match="Nothing except the root object matched"):
        status.assert_nontrivial_match()


def test_write_does_not_save_a_counter_so_restoring_it_leaves_one_unbound(tmp_path):
    # As in TensorFlow: write() has no save_counter, restore() creates one.
    path = nd.train.Checkpoint(v=nd.Variable(1.0)).write(str(tmp_path / "w"))
    status = nd.train.Checkpoint(v=nd.Variable(0.0)).restore(path)
    with pytest.raises(AssertionError, match="save_counter"):
        status.assert_consumed()


def test_restore_none_is_initialization_only():
    status = nd.train.Checkpoint(v=nd.Variable(1.0)).restore(None)
    with pytest.raises(AssertionError, match="No checkpoint specified"):
        status.assert_consumed()
    assert status.expect_partial() is status


def test_shape_and_dtype_mismatches_raise_tensorflow_errors(tmp_path):
    path = nd.train.Checkpoint(v=nd.Variable(1.0)).write(str(tmp_path / "w"))
    with pytest.raises(ValueError, match=r"Received incompatible tensor with shape \(\) when"):
        nd.train.Checkpoint(v=nd.Variable([1.0, 2.0])).restore(path)
    with pytest.raises(errors.InvalidArgumentError, match="expected dtype int32 does not equal"):
        nd.train.Checkpoint(v=nd.Variable(1)).restore(path)


def test_constructor_rejects_untrackable_values():
    with pytest.raises(ValueError, match="`Checkpoint` was expecting model to be a trackable"):
        nd.train.Checkpoint(model=3)
    ckpt = nd.train.Checkpoint(model=[nd.Variable(1.0)])
    assert isinstance(ckpt.model, list)
    with pytest.raises(AttributeError):
        ckpt.save_counter = nd.Variable(1)


def test_root_checkpoint_saves_root_children_at_top_level(tmp_path):
    m = Sub()
    ckpt = nd.train.Checkpoint(m, extra=nd.Variable(2.0))
    path = ckpt.save(str(tmp_path / "c"))
    keys = [k for k, _ in nd.train.list_variables(path)]
    assert keys == [
        "_CHECKPOINTABLE_OBJECT_GRAPH",
        "extra/.ATTRIBUTES/VARIABLE_VALUE",
        "save_counter/.ATTRIBUTES/VARIABLE_VALUE",
        "v/.ATTRIBUTES/VARIABLE_VALUE",
    ]
    m2 = Sub()
    m2.v.assign([0.0, 0.0])
    nd.train.Checkpoint(m2, extra=nd.Variable(0.0)).restore(path).assert_consumed()
    np.testing.assert_array_equal(m2.v.numpy(), [1.0, 2.0])
    with pytest.raises(ValueError, match="if root.v already exists"):
        nd.train.Checkpoint(m2, v=nd.Variable(1.0))


class Counter:
    """A leaf with state through the trackable protocol (not a Variable)."""

    def __init__(self, n=0, tag=b""):
        self.n, self.tag = n, tag

    def _serialize_to_tensors(self):
        return {"n": np.int64(self.n), "tag": nd.constant(self.tag)}

    def _restore_from_tensors(self, tensors):
        self.n = int(tensors["n"].numpy())
        self.tag = tensors["tag"].numpy()


def test_custom_trackable_leaf_round_trips_and_defers(tmp_path):
    m = nd.Module()
    m.counter = Counter(41, b"tag")
    path = nd.train.Checkpoint(model=m).write(str(tmp_path / "w"))
    keys = [k for k, _ in nd.train.list_variables(path)]
    assert "model/counter/.ATTRIBUTES/n" in keys
    later = nd.Module()
    nd.train.Checkpoint(model=later).restore(path)
    later.counter = Counter()
    assert (later.counter.n, later.counter.tag) == (41, b"tag")


@pytest.mark.parametrize(
    "value",
    [
        np.array([[1, 2], [3, 4]], dtype=np.int64),
        np.array([True, False]),
        np.array([1 + 2j], dtype=np.complex128),
        np.array([0.5, 1.5], dtype=np.float16),
        np.array([[b"a", b""], ["\u00e9t\u00e9".encode(), b"\x00\xff"]], dtype=object),
        np.zeros((0, 3), dtype=np.float32),
        np.array(b"scalar string", dtype=object),
    ],
    ids=["int64", "bool", "complex", "float16", "strings", "empty", "scalar-string"],
)
def test_dtypes_round_trip_without_pickle(tmp_path, value):
    v = nd.Variable(value)
    path = nd.train.Checkpoint(v=v).save(str(tmp_path / "w"))
    got = nd.train.load_checkpoint(path).get_tensor("v/.ATTRIBUTES/VARIABLE_VALUE")
    np.testing.assert_array_equal(np.asarray(got), value)
    w = nd.Variable(
        np.zeros_like(value) if value.dtype != object else np.full(value.shape, b"", object)
    )
    nd.train.Checkpoint(v=w).restore(path).assert_consumed()
    np.testing.assert_array_equal(np.asarray(w.numpy()), value)


def test_bfloat16_round_trips_as_its_bits(tmp_path):
    if nd.bfloat16 is None:
        pytest.skip("ml_dtypes is not installed")
    value = np.array([1.5, -2.0, 3.25], dtype=nd.bfloat16.as_numpy_dtype)
    path = nd.train.Checkpoint(v=nd.Variable(value)).save(str(tmp_path / "w"))
    reader = nd.train.load_checkpoint(path)
    assert reader.get_variable_to_dtype_map()["v/.ATTRIBUTES/VARIABLE_VALUE"] == nd.bfloat16
    w = nd.Variable(np.zeros(3, dtype=value.dtype))
    nd.train.Checkpoint(v=w).restore(path).assert_consumed()
    assert w.dtype == nd.bfloat16
    np.testing.assert_array_equal(w.numpy().astype(np.float32), [1.5, -2.0, 3.25])


def test_non_string_dict_key_cannot_be_saved(tmp_path):
    m = nd.Module()
    m.d = {1: nd.Variable(1.0)}
    with pytest.raises(ValueError, match="non-string key"):
        nd.train.Checkpoint(model=m).write(str(tmp_path / "w"))


def test_pending_values_do_not_keep_a_model_alive(tmp_path):
    import gc
    import weakref

    from ndflow._src.checkpoint import restore as restore_lib

    path = nd.train.Checkpoint(model=Net()).save(str(tmp_path / "c"))
    partial = nd.Module()
    nd.train.Checkpoint(model=partial).restore(path)  # everything stays pending
    assert restore_lib._pending
    ref = weakref.ref(partial)
    del partial
    gc.collect()
    assert ref() is None
    assert not restore_lib._pending


def test_objects_attached_to_the_checkpoint_after_restore_are_restored(tmp_path):
    path = nd.train.Checkpoint(model=Net(), opt={"lr": nd.Variable(0.5)}).save(str(tmp_path / "c"))
    ckpt = nd.train.Checkpoint()
    status = ckpt.restore(path)
    ckpt.model = Net()
    ckpt.model.w.assign(0.0)  # restored on attachment, before this assignment
    assert ckpt.model.w.numpy() == 0.0
    ckpt.opt = {"lr": nd.Variable(0.0)}
    assert ckpt.opt["lr"].numpy() == 0.5
    status.assert_consumed()
