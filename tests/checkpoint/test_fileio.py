"""Checkpoint files: atomic writes, and clear errors (never code execution) for bad files."""

from __future__ import annotations

import io
import json
import os
import pickle
import zipfile

import numpy as np
import pytest

import ndflow as nd
from ndflow import errors
from ndflow._src.checkpoint import fileio

DATA = fileio.DATA_SUFFIX


def make(tmp_path, value=1.0):
    v = nd.Variable([value] * 4)
    ckpt = nd.train.Checkpoint(v=v)
    return ckpt, v, ckpt.save(str(tmp_path / "ckpt"))


def restore_value(path):
    w = nd.Variable([0.0] * 4)
    nd.train.Checkpoint(v=w).restore(path)
    return list(w.numpy())


def listing(d):
    return sorted(os.listdir(d))


@pytest.mark.parametrize("fail_at", ["array", "rename_data", "rename_index", "rename_state"])
def test_interrupted_save_leaves_the_previous_checkpoint(tmp_path, monkeypatch, fail_at):
    ckpt, v, first = make(tmp_path)
    before = listing(tmp_path)
    v.assign([2.0] * 4)
    real_rename, real_write = fileio._rename, fileio._write_array

    def broken_write(f, array):
        if array.dtype == np.float32:
            raise OSError("disk full")
        real_write(f, array)

    def broken_rename(src, dst):
        suffix = {"rename_data": DATA, "rename_index": ".index", "rename_state": "checkpoint"}
        if dst.endswith(suffix[fail_at]):
            raise OSError("power cut")
        real_rename(src, dst)

    if fail_at == "array":
        monkeypatch.setattr(fileio, "_write_array", broken_write)
    else:
        monkeypatch.setattr(fileio, "_rename", broken_rename)
    with pytest.raises(OSError):
        ckpt.save(str(tmp_path / "ckpt"))
    monkeypatch.undo()
    if fail_at != "rename_state":
        assert listing(tmp_path) == before  # no partial or temporary file is visible
        assert ckpt.save_counter.numpy() == 1
    assert nd.train.latest_checkpoint(str(tmp_path)) == first
    assert restore_value(first) == [1.0] * 4


@pytest.mark.parametrize("fail_at", ["array", "rename_index"])
def test_interrupted_overwrite_keeps_the_old_files_readable(tmp_path, monkeypatch, fail_at):
    v = nd.Variable([1.0] * 4)
    ckpt = nd.train.Checkpoint(v=v)
    path = ckpt.write(str(tmp_path / "w"))
    before = listing(tmp_path)
    v.assign([2.0] * 4)
    real_rename = fileio._rename

    def broken_rename(src, dst):
        if dst.endswith(".index"):
            raise OSError("power cut")
        real_rename(src, dst)

    if fail_at == "array":
        monkeypatch.setattr(fileio, "_write_array", lambda f, a: (_ for _ in ()).throw(OSError()))
    else:
        monkeypatch.setattr(fileio, "_rename", broken_rename)
    with pytest.raises(OSError):
        ckpt.write(path)
    monkeypatch.undo()
    assert listing(tmp_path) == before
    assert restore_value(path) == [1.0] * 4


def corrupt(path, how):
    data = bytearray(open(path, "rb").read())
    if how == "truncate":
        data = data[: len(data) // 2]
    elif how == "flip":
        data[len(data) // 2] ^= 0xFF
    elif how == "empty":
        data = bytearray()
    with open(path, "wb") as f:
        f.write(bytes(data))


@pytest.mark.parametrize("target", ["index", "data"])
@pytest.mark.parametrize("how", ["truncate", "flip", "empty"])
def test_damaged_files_raise_data_loss_naming_the_file(tmp_path, target, how):
    _, _, path = make(tmp_path)
    victim = path + (".index" if target == "index" else DATA)
    corrupt(victim, how)
    with pytest.raises(errors.DataLossError, match=os.path.basename(victim)):
        restore_value(path)
    with pytest.raises(errors.DataLossError, match=os.path.basename(victim)):
        nd.train.load_checkpoint(path)


def test_foreign_files_raise_data_loss(tmp_path):
    _, _, path = make(tmp_path)
    with open(path + ".index", "w") as f:
        json.dump({"hello": 1}, f)
    with pytest.raises(errors.DataLossError, match=r"ckpt-1\.index.*not an ndflow checkpoint"):
        restore_value(path)
    _, _, path = make(tmp_path / "b")
    with open(path + DATA, "wb") as f:
        f.write(b"just some text, not a zip" * 10)
    with pytest.raises(errors.DataLossError, match=r"ckpt-1\.data-00000-of-00001"):
        restore_value(path)


@pytest.mark.parity
def test_a_tensorflow_checkpoint_is_reported_not_misread(tmp_path, real_tf):
    path = real_tf.train.Checkpoint(v=real_tf.Variable([1.0] * 4)).save(str(tmp_path / "tf"))
    with pytest.raises(errors.DataLossError, match=r"tf-1\.index"):
        restore_value(path)


def test_missing_files_raise_not_found(tmp_path):
    _, _, path = make(tmp_path)
    with pytest.raises(errors.NotFoundError, match="You may be missing the checkpoint suffix"):
        restore_value(str(tmp_path / "ckpt"))
    os.remove(path + DATA)
    with pytest.raises(errors.NotFoundError, match=r"ckpt-1\.data-00000-of-00001"):
        restore_value(path)


class _Boom:
    """Unpickling this would create a marker file: proof that something was executed."""

    marker = ""

    def __reduce__(self):
        return (open, (self.marker, "w"))


def test_a_pickle_in_place_of_the_index_is_never_executed(tmp_path):
    _, _, path = make(tmp_path)
    marker = tmp_path / "executed"
    _Boom.marker = str(marker)
    with open(path + ".index", "wb") as f:
        pickle.dump(_Boom(), f)
    with pytest.raises(errors.DataLossError, match=r"ckpt-1\.index.*pickle"):
        restore_value(path)
    assert not marker.exists()


def test_a_pickle_in_place_of_the_data_file_is_never_executed(tmp_path):
    _, _, path = make(tmp_path)
    marker = tmp_path / "executed"
    _Boom.marker = str(marker)
    with open(path + DATA, "wb") as f:
        pickle.dump(_Boom(), f)
    _fix_index(path)
    with pytest.raises(errors.DataLossError, match=r"ckpt-1\.data.*pickle"):
        restore_value(path)
    assert not marker.exists()


def test_a_pickled_object_array_member_is_never_executed(tmp_path):
    _, _, path = make(tmp_path)
    marker = tmp_path / "executed"
    _Boom.marker = str(marker)
    index = json.load(open(path + ".index"))
    member = index["tensors"]["v/.ATTRIBUTES/VARIABLE_VALUE"]["member"]
    with zipfile.ZipFile(path + DATA) as zf:
        members = {n: zf.read(n) for n in zf.namelist()}
    buf = io.BytesIO()
    np.save(buf, np.array([_Boom()] * 4, dtype=object), allow_pickle=True)
    members[member + ".npy"] = buf.getvalue()
    with zipfile.ZipFile(path + DATA, "w") as zf:
        for n, b in members.items():
            zf.writestr(n, b)
    _fix_index(path)
    with pytest.raises(errors.DataLossError, match="pickled object array"):
        restore_value(path)
    with pytest.raises(errors.DataLossError, match="pickled object array"):
        nd.train.load_checkpoint(path).get_tensor("v/.ATTRIBUTES/VARIABLE_VALUE")
    assert not marker.exists()


def _fix_index(path):
    """Makes the index agree with a replaced data file, so only its content is judged."""
    index = json.load(open(path + ".index"))
    index["data_size"] = os.path.getsize(path + DATA)
    index["data_crc32"] = fileio.file_crc32(path + DATA)
    with open(path + ".index", "w") as f:
        json.dump(index, f)


def test_data_file_from_another_write_is_detected(tmp_path):
    ckpt, v, path = make(tmp_path)
    other = nd.train.Checkpoint(v=nd.Variable([5.0] * 4)).write(str(tmp_path / "other"))
    os.replace(other + DATA, path + DATA)
    _fix_index(path)
    with pytest.raises(errors.DataLossError, match="does not belong to its index"):
        restore_value(path)


def test_index_with_a_bad_schema_is_rejected(tmp_path):
    _, _, path = make(tmp_path)
    index = json.load(open(path + ".index"))
    index["tensors"]["v/.ATTRIBUTES/VARIABLE_VALUE"]["member"] = "../../etc/passwd"
    with open(path + ".index", "w") as f:
        json.dump(index, f)
    with pytest.raises(errors.DataLossError, match="bad entry"):
        restore_value(path)


def test_data_file_is_a_plain_npz(tmp_path):
    _, _, path = make(tmp_path, 3.0)
    index = json.load(open(path + ".index"))
    member = index["tensors"]["v/.ATTRIBUTES/VARIABLE_VALUE"]["member"]
    with np.load(path + DATA, allow_pickle=False) as npz:
        np.testing.assert_array_equal(npz[member], [3.0] * 4)
