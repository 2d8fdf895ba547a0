"""`tf.io` helpers beyond TFRecords: decode_csv, decode_raw, read_file / write_file,
matching_files and `tf.io.gfile` (eager; they read and write files directly)."""

from __future__ import annotations

import csv
import glob as _glob
import os
import shutil
from collections.abc import Iterator
from typing import Any

import numpy as np

from ndflow._src.core import dtypes, errors
from ndflow._src.data import structure
from ndflow._src.data.csv_ops import _Column, _convert
from ndflow._src.framework.tensor import Tensor, wrap
from ndflow._src.ops import script_ops


def _strings(value: Any) -> np.ndarray:
    arr = np.asarray(structure.normalize(value))
    if arr.dtype.kind != "O":
        raise TypeError(f"Expected a string tensor. Received dtype {arr.dtype}.")
    return arr


def _column_of(default: Any) -> _Column:
    if isinstance(default, Tensor):
        arr = default._value
    elif isinstance(default, (list, tuple)) and not default:
        raise ValueError("An empty Python list has no dtype: use tf.constant([], dtype).")
    else:
        arr = np.asarray(structure.normalize(default))
    arr = arr.reshape(-1)
    dt = structure.dtype_of(arr)
    if dt.name not in ("int32", "int64", "float32", "float64", "string"):
        raise TypeError(f"Unsupported record default dtype {dt.name}.")
    return _Column(dt, arr[0] if arr.size else None)


def decode_csv(
    records: Any,
    record_defaults: list,
    field_delim: str = ",",
    use_quote_delim: bool = True,
    name: str | None = None,
    na_value: str = "",
    select_cols: list | None = None,
) -> list:
    """`tf.io.decode_csv`: one tensor per column, each shaped like `records`.

    >>> [t.numpy().tolist() for t in decode_csv(["1,x", "2,y"], [[0], ["?"]])]
    [[1, 2], [b'x', b'y']]
    """
    cols = [_column_of(d) for d in record_defaults]
    if structure.is_symbolic(records):
        # Inside a traced function (a Dataset.map): parse when the op runs.
        outs = script_ops.py_function(
            lambda r: decode_csv(
                r, record_defaults, field_delim, use_quote_delim, name, na_value, select_cols
            ),
            [records],
            [c.dtype for c in cols],
        )
        for o in outs:
            o.set_shape(records.shape)
        return outs
    recs = _strings(records)
    sel = list(range(len(cols))) if select_cols is None else [int(i) for i in select_cols]
    out: list = [[] for _ in cols]
    for r, rec in enumerate(recs.reshape(-1)):
        text = rec.decode()
        row = next(
            csv.reader(
                [text],
                delimiter=field_delim,
                quoting=csv.QUOTE_MINIMAL if use_quote_delim else csv.QUOTE_NONE,
            ),
            [""],
        )
        if select_cols is None and len(row) != len(cols):
            raise errors.op_error(
                errors.InvalidArgumentError,
                "DecodeCSV",
                f"Expect {len(cols)} fields but have {len(row)} in record {r}",
            )
        if select_cols is not None and len(row) <= max(sel):
            raise errors.op_error(
                errors.InvalidArgumentError,
                "DecodeCSV",
                f"Expect at least {max(sel) + 1} fields but have {len(row)} in record {r}",
            )
        for j, (c, i) in enumerate(zip(cols, sel)):
            try:
                out[j].append(_convert(row[i], c, i, "<records>", r, na_value))
            except errors.InvalidArgumentError as e:
                raise errors.op_error(
                    errors.InvalidArgumentError,
                    "DecodeCSV",
                    str(e).replace(" of file <records>", ""),
                ) from None
    tensors = []
    for c, vals in zip(cols, out):
        if c.dtype is dtypes.string:
            arr = np.empty(len(vals), object)
            arr[:] = vals
        else:
            arr = np.asarray(vals, c.dtype.as_numpy_dtype)
        tensors.append(wrap(arr.reshape(recs.shape)))
    return tensors


def decode_raw(
    input_bytes: Any,
    out_type: Any,
    little_endian: bool = True,
    fixed_length: int | None = None,
    name: str | None = None,
) -> Tensor:
    """`tf.io.decode_raw`: reinterprets each string's bytes as numbers."""
    recs = _strings(input_bytes)
    dt = dtypes.as_dtype(out_type)
    np_dt = np.dtype(dt.as_numpy_dtype).newbyteorder("<" if little_endian else ">")
    rows = []
    for b in recs.reshape(-1):
        if fixed_length is not None:
            b = b[:fixed_length].ljust(fixed_length, b"\0")
        if len(b) % np_dt.itemsize:
            raise errors.op_error(
                errors.InvalidArgumentError,
                "DecodeRaw",
                f"Input to DecodeRaw has length {len(b)} that is not a multiple of "
                f"{np_dt.itemsize}, the size of {dt.name}",
            )
        rows.append(np.frombuffer(b, np_dt).astype(dt.as_numpy_dtype))
    width = {len(r) for r in rows}
    if len(width) > 1:
        raise errors.op_error(
            errors.InvalidArgumentError,
            "DecodeRaw",
            "DecodeRaw requires input strings to all be the same size",
        )
    n = width.pop() if width else 0
    return wrap(
        np.stack(rows).reshape(recs.shape + (n,))
        if rows
        else np.zeros(recs.shape + (0,), dt.as_numpy_dtype)
    )


def read_file(filename: Any, name: str | None = None) -> Tensor:
    """`tf.io.read_file`: the whole file as a scalar string tensor."""
    path = _path(filename)
    try:
        with open(path, "rb") as f:
            data = f.read()
    except FileNotFoundError:
        raise errors.op_error(
            errors.NotFoundError, "ReadFile", f"{path}; No such file or directory"
        ) from None
    out = np.empty((), object)
    out[()] = data
    return wrap(out)


def write_file(filename: Any, contents: Any, name: str | None = None) -> None:
    """`tf.io.write_file`: writes a scalar string to a file (creating directories)."""
    path = _path(filename)
    data = np.asarray(structure.normalize(contents)).reshape(()).item()
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data if isinstance(data, bytes) else str(data).encode())


def matching_files(pattern: Any, name: str | None = None) -> Tensor:
    """`tf.io.matching_files`: the sorted files matching a glob pattern."""
    files = sorted(_glob.glob(_path(pattern)))
    out = np.empty(len(files), object)
    out[:] = [f.encode() for f in files]
    return wrap(out)


def _path(value: Any) -> str:
    if isinstance(value, (str, os.PathLike)):
        return os.fspath(value)
    v = np.asarray(structure.normalize(value)).reshape(()).item()
    return v.decode() if isinstance(v, bytes) else str(v)


class _GFile:
    """`tf.io.gfile.GFile`: a local file object (text or binary by mode)."""

    def __init__(self, name: Any, mode: str = "r") -> None:
        self.name = _path(name)
        self.mode = mode
        try:
            self._f = open(self.name, mode)  # noqa: SIM115 - closed in close()
        except FileNotFoundError:
            raise errors.NotFoundError(
                None, None, f"{self.name}; No such file or directory"
            ) from None

    def read(self, n: int = -1) -> Any:
        return self._f.read(n)

    def readline(self) -> Any:
        return self._f.readline()

    def readlines(self) -> list:
        return self._f.readlines()

    def write(self, data: Any) -> None:
        self._f.write(data)

    def flush(self) -> None:
        self._f.flush()

    def close(self) -> None:
        self._f.close()

    def seek(self, offset: int, whence: int = 0) -> Any:
        return self._f.seek(offset, whence)

    def tell(self) -> int:
        return self._f.tell()

    def size(self) -> int:
        return os.path.getsize(self.name)

    def __iter__(self) -> Iterator:
        return iter(self._f)

    def __enter__(self) -> _GFile:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


class gfile:  # noqa: N801 - TensorFlow's module name, as a namespace class
    """`tf.io.gfile`: file-system helpers (local files)."""

    GFile = _GFile

    @staticmethod
    def exists(path: Any) -> bool:
        return os.path.exists(_path(path))

    @staticmethod
    def glob(pattern: Any) -> list:
        return sorted(_glob.glob(_path(pattern)))

    @staticmethod
    def isdir(path: Any) -> bool:
        return os.path.isdir(_path(path))

    @staticmethod
    def listdir(path: Any) -> list:
        p = _path(path)
        if not os.path.isdir(p):
            raise errors.NotFoundError(None, None, f"Could not find directory {p}")
        return sorted(os.listdir(p))

    @staticmethod
    def makedirs(path: Any) -> None:
        os.makedirs(_path(path), exist_ok=True)

    @staticmethod
    def mkdir(path: Any) -> None:
        os.mkdir(_path(path))

    @staticmethod
    def remove(path: Any) -> None:
        try:
            os.remove(_path(path))
        except FileNotFoundError:
            raise errors.NotFoundError(
                None, None, f"{_path(path)}; No such file or directory"
            ) from None

    @staticmethod
    def rmtree(path: Any) -> None:
        shutil.rmtree(_path(path))

    @staticmethod
    def rename(src: Any, dst: Any, overwrite: bool = False) -> None:
        d = _path(dst)
        if os.path.exists(d) and not overwrite:
            raise errors.AlreadyExistsError(None, None, f"{d}; File already exists")
        os.replace(_path(src), d)

    @staticmethod
    def copy(src: Any, dst: Any, overwrite: bool = False) -> None:
        d = _path(dst)
        if os.path.exists(d) and not overwrite:
            raise errors.AlreadyExistsError(None, None, f"{d}; File already exists")
        shutil.copyfile(_path(src), d)

    @staticmethod
    def walk(top: Any, topdown: bool = True, onerror: Any = None) -> Iterator:
        return os.walk(_path(top), topdown=topdown, onerror=onerror)

    @staticmethod
    def join(*paths: Any) -> str:
        return os.path.join(*[_path(p) for p in paths])
