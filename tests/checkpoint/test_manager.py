"""tf.train.CheckpointManager, latest_checkpoint and the `checkpoint` state file."""

from __future__ import annotations

import os

import pytest

import ndflow as nd
from ndflow._src.checkpoint import manager as manager_lib


def names(paths):
    return [os.path.basename(p) for p in paths]


def files(d):
    return sorted(f for f in os.listdir(d))


def test_manager_keeps_the_newest_and_deletes_the_rest(tmp_path):
    ckpt = nd.train.Checkpoint(v=nd.Variable(1.0))
    mgr = nd.train.CheckpointManager(ckpt, str(tmp_path), max_to_keep=2)
    assert mgr.latest_checkpoint is None and mgr.checkpoints == []
    saved = [mgr.save(), mgr.save(), mgr.save(checkpoint_number=10)]
    assert names(saved) == ["ckpt-1", "ckpt-2", "ckpt-10"]
    assert ckpt.save_counter.numpy() == 3  # incremented even with checkpoint_number
    assert names(mgr.checkpoints) == ["ckpt-2", "ckpt-10"]
    assert mgr.latest_checkpoint == saved[-1] == nd.train.latest_checkpoint(str(tmp_path))
    assert files(tmp_path) == [
        "checkpoint",
        "ckpt-10.data-00000-of-00001",
        "ckpt-10.index",
        "ckpt-2.data-00000-of-00001",
        "ckpt-2.index",
    ]
    text = (tmp_path / "checkpoint").read_text().splitlines()
    assert text[:3] == [
        'model_checkpoint_path: "ckpt-10"',
        'all_model_checkpoint_paths: "ckpt-2"',
        'all_model_checkpoint_paths: "ckpt-10"',
    ]


def test_a_new_manager_recovers_the_state_and_keeps_rotating(tmp_path):
    ckpt = nd.train.Checkpoint(v=nd.Variable(1.0))
    mgr = nd.train.CheckpointManager(ckpt, str(tmp_path), max_to_keep=2)
    for _ in range(3):
        mgr.save()
    again = nd.train.CheckpointManager(ckpt, str(tmp_path), max_to_keep=2)
    assert names(again.checkpoints) == ["ckpt-2", "ckpt-3"]
    again.save()
    assert names(again.checkpoints) == ["ckpt-3", "ckpt-4"]
    assert not os.path.exists(tmp_path / "ckpt-2.index")


def test_max_to_keep_none_keeps_everything_and_checkpoint_name_is_used(tmp_path):
    ckpt = nd.train.Checkpoint(v=nd.Variable(1.0))
    mgr = nd.train.CheckpointManager(ckpt, str(tmp_path), None, checkpoint_name="model")
    for _ in range(4):
        mgr.save()
    assert names(mgr.checkpoints) == ["model-1", "model-2", "model-3", "model-4"]


@pytest.mark.parametrize("bad", [0, -1])
def test_max_to_keep_must_be_positive(tmp_path, bad):
    ckpt = nd.train.Checkpoint(v=nd.Variable(1.0))
    with pytest.raises(ValueError, match=f"for `max_to_keep`, got {bad}."):
        nd.train.CheckpointManager(ckpt, str(tmp_path), max_to_keep=bad)


def test_restore_or_initialize(tmp_path):
    v = nd.Variable(1.0)
    mgr = nd.train.CheckpointManager(nd.train.Checkpoint(v=v), str(tmp_path), max_to_keep=3)
    mgr.save()
    w = nd.Variable(0.0)
    ckpt = nd.train.Checkpoint(v=w)
    again = nd.train.CheckpointManager(ckpt, str(tmp_path), max_to_keep=3)
    assert again.restore_or_initialize() == mgr.latest_checkpoint
    assert w.numpy() == 1.0 and ckpt.save_counter.numpy() == 1
    called = []
    empty = nd.train.CheckpointManager(
        ckpt, str(tmp_path / "empty"), max_to_keep=3, init_fn=lambda: called.append(1)
    )
    assert empty.restore_or_initialize() is None and called == [1]


def test_checkpoint_interval_skips_saves_until_the_step_advances(tmp_path):
    ckpt = nd.train.Checkpoint(v=nd.Variable(1.0))
    with pytest.raises(ValueError, match="`step_counter` should be passed"):
        nd.train.CheckpointManager(ckpt, str(tmp_path), 3, checkpoint_interval=5)
    step = nd.Variable(0, dtype=nd.int64)
    mgr = nd.train.CheckpointManager(
        ckpt, str(tmp_path), 3, step_counter=step, checkpoint_interval=5
    )
    assert mgr.save() is not None
    assert mgr.save() is None
    step.assign(3)
    assert mgr.save() is None
    assert mgr.save(check_interval=False) is not None
    step.assign(8)
    assert mgr.save() is not None
    assert len(mgr.checkpoints) == 3


def test_keep_checkpoint_every_n_hours_preserves_old_checkpoints(tmp_path, monkeypatch):
    clock = [1000.0]
    monkeypatch.setattr(manager_lib.time, "time", lambda: clock[0])
    ckpt = nd.train.Checkpoint(v=nd.Variable(1.0))
    mgr = nd.train.CheckpointManager(
        ckpt, str(tmp_path), max_to_keep=1, keep_checkpoint_every_n_hours=1.0
    )
    for _ in range(4):
        clock[0] += 1800.0  # half an hour per save
        mgr.save()
    # ckpt-2 (1 h after the manager started) is preserved; ckpt-1 and ckpt-3 are deleted.
    assert names(mgr.checkpoints) == ["ckpt-4"]
    assert os.path.exists(tmp_path / "ckpt-2.index")
    assert not os.path.exists(tmp_path / "ckpt-1.index")
    assert not os.path.exists(tmp_path / "ckpt-3.index")


def test_latest_checkpoint_cases(tmp_path):
    assert nd.train.latest_checkpoint(str(tmp_path)) is None
    assert nd.train.latest_checkpoint(str(tmp_path / "missing")) is None
    ckpt = nd.train.Checkpoint(v=nd.Variable(1.0))
    p1 = ckpt.save(str(tmp_path / "ckpt"))
    assert nd.train.latest_checkpoint(str(tmp_path)) == p1
    p2 = ckpt.save(str(tmp_path / "ckpt"))
    assert nd.train.latest_checkpoint(str(tmp_path)) == p2
    st = nd.train.get_checkpoint_state(str(tmp_path))
    assert st.model_checkpoint_path == p2 and st.all_model_checkpoint_paths == [p2]
    ckpt.write(str(tmp_path / "other"))  # write() leaves the state file alone
    assert nd.train.latest_checkpoint(str(tmp_path)) == p2


def test_unreadable_state_file_warns_and_gives_none(tmp_path):
    (tmp_path / "checkpoint").write_text("garbage !!! {")
    with pytest.warns(UserWarning, match="checkpoint"):
        assert nd.train.latest_checkpoint(str(tmp_path)) is None
    (tmp_path / "checkpoint").write_text('model_checkpoint_path: "ckpt-9"\n')
    with pytest.warns(UserWarning, match="ckpt-9"):
        assert nd.train.latest_checkpoint(str(tmp_path)) is None


def test_state_file_paths_with_quotes_round_trip(tmp_path):
    d = tmp_path / 'we"ird\\dir'
    ckpt = nd.train.Checkpoint(v=nd.Variable(1.0))
    path = ckpt.save(str(d / "ckpt"))
    assert nd.train.latest_checkpoint(str(d)) == path


def test_readers(tmp_path):
    ckpt = nd.train.Checkpoint(v=nd.Variable([1.0, 2.0]), s=nd.Variable("x"), n=nd.Variable(3))
    path = ckpt.save(str(tmp_path / "ckpt"))
    reader = nd.train.load_checkpoint(str(tmp_path))  # a directory means its latest
    assert reader.get_tensor("s/.ATTRIBUTES/VARIABLE_VALUE") == b"x"
    n = reader.get_tensor("n/.ATTRIBUTES/VARIABLE_VALUE")
    assert n == 3 and n.dtype.name == "int32" and n.shape == ()
    assert reader.get_variable_to_shape_map()["v/.ATTRIBUTES/VARIABLE_VALUE"] == [2]
    assert reader.get_variable_to_dtype_map()["s/.ATTRIBUTES/VARIABLE_VALUE"] == nd.string
    assert reader.has_tensor("_CHECKPOINTABLE_OBJECT_GRAPH")
    with pytest.raises(nd.errors.NotFoundError, match="Key nope not found in checkpoint"):
        reader.get_tensor("nope")
    assert [k for k, _ in nd.train.list_variables(path)] == [
        "_CHECKPOINTABLE_OBJECT_GRAPH",
        "n/.ATTRIBUTES/VARIABLE_VALUE",
        "s/.ATTRIBUTES/VARIABLE_VALUE",
        "save_counter/.ATTRIBUTES/VARIABLE_VALUE",
        "v/.ATTRIBUTES/VARIABLE_VALUE",
    ]
    assert list(nd.train.load_variable(path, "v/.ATTRIBUTES/VARIABLE_VALUE")) == [1.0, 2.0]
    os.makedirs(tmp_path / "empty")
    with pytest.raises(ValueError, match="Couldn't find 'checkpoint' file or checkpoints"):
        nd.train.load_checkpoint(str(tmp_path / "empty"))
    with pytest.raises(nd.errors.NotFoundError, match="Failed to find any matching files"):
        nd.train.load_checkpoint(str(tmp_path / "nope"))
