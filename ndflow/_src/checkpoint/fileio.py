"""Checkpoint files: a JSON index and an `.npz` data file, written atomically, read safely.

A checkpoint with prefix `P` is two files (names as TensorFlow's, so code that checks for
`P + ".index"` keeps working):

- `P.index`: UTF-8 JSON with the object graph and, for every saved tensor, its dtype,
  shape and the member of the data file holding it;
- `P.data-00000-of-00001`: a zip of `.npy` members (an ordinary `.npz`), never pickled:
  strings are stored as a `uint8` blob plus `int64` offsets, bfloat16 as its `uint16` bits.

Each file is written under a temporary name in the same directory and renamed into place.
Reading checks everything before trusting it (JSON schema, zip CRCs, member dtypes and
shapes against the index, a write id shared by both files), loads arrays with
`allow_pickle=False`, and reports a truncated, corrupt or foreign file as
`tf.errors.DataLossError` naming the file. See docs/checkpoint_format.md.
"""

from __future__ import annotations

import io
import json
import os
import re
import uuid
import zipfile
import zlib
from typing import Any, BinaryIO
from collections.abc import Callable

import numpy as np

from ndflow._src.core import dtypes, errors

FORMAT = "ndflow.checkpoint"
VERSION = 1
DATA_SUFFIX = ".data-00000-of-00001"
INDEX_SUFFIX = ".index"
OBJECT_GRAPH_KEY = "_CHECKPOINTABLE_OBJECT_GRAPH"
WRITE_ID_MEMBER = "write_id"
_MEMBER = re.compile(r"^t[0-9]+$")
_ZIP_MAGIC = b"PK\x03\x04"
_PICKLE_MAGIC = b"\x80"  # every pickle since protocol 2 starts with PROTO

# Dtypes a checkpoint may hold; resource and variant handles have no value to save.
_SAVABLE = {
    d.name: d
    for d in dtypes.__dict__.values()
    if isinstance(d, dtypes.DType) and d.name not in ("resource", "variant")
}


# ----------------------------------------------------------------------------- writing
def _rename(src: str, dst: str) -> None:
    os.replace(src, dst)


def _temp_name(path: str) -> str:
    directory, base = os.path.split(path)
    return os.path.join(directory, f".{base}.tmp-{uuid.uuid4().hex[:12]}")


def atomic_write(path: str, writer: Callable[[BinaryIO], None]) -> None:
    """Writes `path` through `writer(file)` into a temporary file, then renames it in.

    If anything fails, the temporary file is removed and `path` is left as it was.
    """
    tmp = _temp_name(path)
    try:
        with open(tmp, "wb") as f:
            writer(f)
            f.flush()
            os.fsync(f.fileno())
        _rename(tmp, path)
    except BaseException:
        _remove_quietly(tmp)
        raise


def _remove_quietly(path: str) -> None:
    try:
        os.remove(path)
    except OSError:
        pass


def _write_array(f: BinaryIO, array: np.ndarray) -> None:
    np.lib.format.write_array(f, array, allow_pickle=False)


def encode_array(array: np.ndarray, dtype: dtypes.DType) -> dict[str, np.ndarray]:
    """The `.npy` members (suffix -> plain array) that store `array` without pickle."""
    if dtype.name == "string":
        flat = [_as_bytes(x) for x in np.asarray(array, dtype=object).reshape(-1)]
        offsets = np.zeros(len(flat) + 1, dtype=np.int64)
        np.cumsum([len(b) for b in flat], out=offsets[1:])
        blob = np.frombuffer(b"".join(flat), dtype=np.uint8)
        return {"_bytes": blob, "_offsets": offsets}
    if dtype.name == "bfloat16":
        return {"": np.asarray(array, order="C").view(np.uint16)}
    return {"": np.asarray(array, order="C")}


def _as_bytes(x: Any) -> bytes:
    if isinstance(x, bytes):
        return x
    if isinstance(x, str):
        return x.encode("utf-8")
    return bytes(x)


def write_checkpoint(prefix: str, object_graph: dict, tensors: dict[str, tuple]) -> None:
    """Writes `prefix.index` and `prefix.data-00000-of-00001`.

    `tensors` maps checkpoint key -> (ndarray, DType). The data file is placed first, the
    index (which makes the checkpoint visible) last; if placing the index fails, the
    previous data file is put back, so the old checkpoint stays readable.
    """
    directory = os.path.dirname(prefix)
    if directory:
        os.makedirs(directory, exist_ok=True)
    write_id = uuid.uuid4().hex
    entries: dict[str, dict] = {}
    members: list[tuple[str, np.ndarray]] = []
    for i, (key, (array, dtype)) in enumerate(tensors.items()):
        member = f"t{i}"
        entries[key] = {
            "dtype": dtype.name,
            "shape": [int(d) for d in np.shape(array)],
            "member": member,
        }
        for suffix, arr in encode_array(array, dtype).items():
            members.append((member + suffix, arr))

    def write_data(f: BinaryIO) -> None:
        with zipfile.ZipFile(f, "w", zipfile.ZIP_STORED, allowZip64=True) as zf:
            with zf.open(WRITE_ID_MEMBER + ".npy", "w") as m:
                _write_array(m, np.frombuffer(write_id.encode("ascii"), dtype=np.uint8))
            for name, arr in members:
                with zf.open(name + ".npy", "w", force_zip64=True) as m:
                    _write_array(m, arr)

    data_path = prefix + DATA_SUFFIX
    index_path = prefix + INDEX_SUFFIX
    data_tmp = _temp_name(data_path)
    backup = None
    try:
        with open(data_tmp, "wb") as f:
            write_data(f)
            f.flush()
            os.fsync(f.fileno())
        index = {
            "format": FORMAT,
            "version": VERSION,
            "write_id": write_id,
            "data_file": os.path.basename(data_path),
            "data_size": os.path.getsize(data_tmp),
            "data_crc32": file_crc32(data_tmp),
            "object_graph": object_graph,
            "tensors": entries,
        }
        text = json.dumps(index, indent=1, sort_keys=False).encode("utf-8")
        if os.path.exists(data_path):
            backup = _temp_name(data_path)
            _rename(data_path, backup)
        _rename(data_tmp, data_path)
        data_tmp = None
        try:
            atomic_write(index_path, lambda f: f.write(text))
        except BaseException:
            if backup is not None:
                _rename(backup, data_path)
                backup = None
            else:
                _remove_quietly(data_path)
            raise
    finally:
        if data_tmp is not None:
            _remove_quietly(data_tmp)
        if backup is not None:
            _remove_quietly(backup)


def file_crc32(path: str) -> int:
    """CRC-32 of a whole file (the zip's own CRCs do not cover its headers)."""
    crc = 0
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            crc = zlib.crc32(chunk, crc)
    return crc


# ----------------------------------------------------------------------------- reading
def _data_loss(path: str, why: str) -> errors.OpError:
    return errors.DataLossError(None, None, f"Unable to read checkpoint file {path}: {why}")


def not_found(prefix: str) -> errors.OpError:
    return errors.NotFoundError(
        None,
        None,
        "Unsuccessful TensorSliceReader constructor: Failed to find any matching files for "
        f"{prefix}",
    )


def _check(cond: bool, path: str, why: str) -> None:
    if not cond:
        raise _data_loss(path, f"not an ndflow checkpoint index ({why})")


def read_index(prefix: str) -> dict:
    """Reads and validates `prefix.index`; raises NotFoundError or DataLossError."""
    path = prefix + INDEX_SUFFIX
    if not os.path.isfile(path):
        raise not_found(prefix)
    with open(path, "rb") as f:
        raw = f.read()
    if raw[:1] == _PICKLE_MAGIC:
        raise _data_loss(path, "it looks like a pickle, which ndflow never loads")
    try:
        index = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise _data_loss(path, f"truncated, corrupt or not an ndflow checkpoint ({e})") from None
    _check(isinstance(index, dict), path, "top level is not an object")
    _check(index.get("format") == FORMAT, path, "missing format marker")
    version = index.get("version")
    _check(isinstance(version, int), path, "missing version")
    if version > VERSION:
        raise _data_loss(path, f"written by a newer format version {version} (> {VERSION})")
    _check(isinstance(index.get("write_id"), str), path, "missing write_id")
    data_file = index.get("data_file")
    _check(
        isinstance(data_file, str) and os.path.basename(data_file) == data_file,
        path,
        "bad data_file",
    )
    _check(isinstance(index.get("data_size"), int), path, "bad data_size")
    _check(isinstance(index.get("data_crc32"), int), path, "bad data_crc32")
    tensors = index.get("tensors")
    _check(isinstance(tensors, dict), path, "bad tensors table")
    for key, e in tensors.items():
        ok = (
            isinstance(e, dict)
            and e.get("dtype") in _SAVABLE
            and isinstance(e.get("shape"), list)
            and all(isinstance(d, int) and d >= 0 for d in e["shape"])
            and isinstance(e.get("member"), str)
            and _MEMBER.match(e["member"]) is not None
        )
        _check(ok, path, f"bad entry for {key!r}")
    _validate_graph(index.get("object_graph"), tensors, path)
    return index


def _validate_graph(graph: Any, tensors: dict, path: str) -> None:
    _check(isinstance(graph, dict) and isinstance(graph.get("nodes"), list), path, "bad graph")
    nodes = graph["nodes"]
    _check(len(nodes) > 0, path, "empty object graph")
    for node in nodes:
        _check(isinstance(node, dict), path, "bad node")
        kids = node.get("children", [])
        attrs = node.get("attributes", [])
        _check(isinstance(kids, list) and isinstance(attrs, list), path, "bad node")
        for c in kids:
            _check(
                isinstance(c, dict)
                and isinstance(c.get("local_name"), str)
                and isinstance(c.get("node_id"), int)
                and 0 <= c["node_id"] < len(nodes),
                path,
                "bad child reference",
            )
        for a in attrs:
            _check(
                isinstance(a, dict)
                and isinstance(a.get("name"), str)
                and a.get("checkpoint_key") in tensors,
                path,
                "attribute refers to a missing tensor",
            )


class DataFile:
    """The arrays of one checkpoint's data file, checked against its index."""

    def __init__(self, prefix: str, index: dict, verify: bool = True) -> None:
        self.path = os.path.join(os.path.dirname(prefix), index["data_file"])
        self._index = index
        if not os.path.isfile(self.path):
            raise errors.NotFoundError(None, None, f"{self.path}; No such file or directory")
        size = os.path.getsize(self.path)
        if size != index["data_size"]:
            raise _data_loss(
                self.path,
                f"truncated or overwritten: the index expects {index['data_size']} bytes, "
                f"the file has {size}",
            )
        with open(self.path, "rb") as f:
            head = f.read(4)
        if head != _ZIP_MAGIC:
            why = "it looks like a pickle" if head[:1] == _PICKLE_MAGIC else "bad magic number"
            raise _data_loss(self.path, f"not an ndflow checkpoint data file ({why})")
        if verify and file_crc32(self.path) != index["data_crc32"]:
            raise _data_loss(self.path, "checksum does not match the index (corrupt file)")
        try:
            self._zip = zipfile.ZipFile(self.path, "r")
            names = set(self._zip.namelist())
        except (zipfile.BadZipFile, OSError, ValueError) as e:
            raise _data_loss(self.path, f"corrupt zip archive ({e})") from None
        self._names = names
        write_id = self._member(WRITE_ID_MEMBER)
        if (
            write_id.dtype != np.uint8
            or write_id.tobytes().decode("ascii", "replace") != index["write_id"]
        ):
            raise _data_loss(
                self.path,
                "the data file does not belong to its index (an interrupted overwrite?)",
            )

    def close(self) -> None:
        self._zip.close()

    def __enter__(self) -> DataFile:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def _member(self, name: str) -> np.ndarray:
        fname = name + ".npy"
        if fname not in self._names:
            raise _data_loss(self.path, f"member {fname} is missing")
        try:
            raw = self._zip.read(fname)  # checks the member's CRC-32
            return np.lib.format.read_array(io.BytesIO(raw), allow_pickle=False)
        except ValueError as e:
            if "pickle" in str(e).lower():
                raise _data_loss(
                    self.path,
                    f"member {fname} holds a pickled object array; ndflow never unpickles",
                ) from None
            raise _data_loss(self.path, f"member {fname} is corrupt ({e})") from None
        except (zipfile.BadZipFile, OSError, EOFError) as e:
            raise _data_loss(self.path, f"member {fname} is corrupt ({e})") from None

    def get(self, key: str) -> tuple[np.ndarray, dtypes.DType]:
        """The array stored under checkpoint `key` and its DType."""
        entry = self._index["tensors"][key]
        dtype = _SAVABLE[entry["dtype"]]
        shape = tuple(entry["shape"])
        member = entry["member"]
        n = int(np.prod(shape, dtype=np.int64))
        if dtype.name == "string":
            blob = self._member(member + "_bytes")
            offsets = self._member(member + "_offsets")
            ok = (
                blob.dtype == np.uint8
                and blob.ndim == 1
                and offsets.dtype == np.int64
                and offsets.shape == (n + 1,)
                and offsets[0] == 0
                and offsets[-1] == blob.size
                and bool(np.all(np.diff(offsets) >= 0))
            )
            if not ok:
                raise _data_loss(self.path, f"string tensor {key!r} has inconsistent offsets")
            data = blob.tobytes()
            flat = np.empty(n, dtype=object)
            for i in range(n):
                flat[i] = data[offsets[i] : offsets[i + 1]]
            return flat.reshape(shape), dtype
        array = self._member(member)
        expected = np.dtype(np.uint16) if dtype.name == "bfloat16" else dtype.as_numpy_dtype
        if array.dtype != np.dtype(expected) or array.shape != shape:
            raise _data_loss(
                self.path,
                f"tensor {key!r} is {array.dtype}{list(array.shape)}, the index says "
                f"{dtype.name}{list(shape)}",
            )
        if dtype.name == "bfloat16":
            array = array.view(dtype.as_numpy_dtype)
        return array, dtype
