"""CSV datasets: `tf.data.experimental.CsvDataset` and `make_csv_dataset`.

Files are parsed whole into columns: NumPy's C parser when every selected column is
numeric and the file has no quotes or missing fields, else Python's csv module with TF's
per-field checks. Records then come out by index, so batching gathers whole batches.
"""

from __future__ import annotations

import collections
import csv
import io
from typing import Any
from collections.abc import Iterator

import numpy as np

from ndflow._src.core import dtypes, errors
from ndflow._src.data import structure, tfrecord
from ndflow._src.data.dataset_ops import DatasetV2, IndexPlan, IterCtx
from ndflow._src.data.readers import filenames_of
from ndflow._src.data.sources import TensorSliceDataset
from ndflow._src.data.structure import TensorSpec

_ALLOWED = ("int32", "int64", "float32", "float64", "string")


class _Column:
    def __init__(self, dtype: dtypes.DType, default: Any) -> None:
        self.dtype = dtype
        self.default = default  # None: the field is required


def _columns_from_defaults(record_defaults: list) -> list:
    cols = []
    for i, d in enumerate(record_defaults):
        if isinstance(d, dtypes.DType) or (isinstance(d, type) and d is not str):
            dt = dtypes.as_dtype(d)
            default = None
        else:
            arr = np.asarray(structure.normalize(d))
            if arr.size == 0:
                dt, default = structure.dtype_of(arr), None
            else:
                dt, default = structure.dtype_of(arr), arr.reshape(-1)[0]
        if dt.name not in _ALLOWED:
            raise TypeError(
                f"Unsupported type for record_defaults[{i}]: {dt.name}. "
                "Expected one of int32, int64, float32, float64, string."
            )
        cols.append(_Column(dt, default))
    return cols


def _field_error(msg: str, path: str, record: int) -> errors.OpError:
    return errors.InvalidArgumentError(None, None, f"{msg} (record {record} of file {path})")


def _convert(text: str, col: _Column, index: int, path: str, record: int, na: str) -> Any:
    if text == "" or text == na:
        if col.default is None:
            raise _field_error(f"Field {index} is required but missing in record!", path, record)
        return col.default
    name = col.dtype.name
    try:
        if name == "string":
            return text.encode()
        if name in ("int32", "int64"):
            v = int(text)
            info = np.iinfo(col.dtype.as_numpy_dtype)
            if not info.min <= v <= info.max:
                raise ValueError
            return v
        return float(text)
    except ValueError:
        raise _field_error(
            f"Field {index} in record is not a valid {name}: {text}", path, record
        ) from None


def _fast_parse(text: bytes, cols: list, select: list, delim: str, n_fields: int) -> list | None:
    """All-numeric files without quotes: NumPy's C parser into float64, then each column
    is cast to its dtype. None (use the checked Python path) when anything is unusual:
    missing fields, a ragged row, an integer column holding a non-integer."""
    if b'"' in text or any(c.dtype is dtypes.string for c in cols):
        return None
    if not text.strip():
        return [np.zeros(0, c.dtype.as_numpy_dtype) for c in cols]
    first = text[: text.find(b"\n") if b"\n" in text else len(text)]
    if first.count(delim.encode()) + 1 != n_fields:
        return None
    try:
        arr = np.loadtxt(
            io.BytesIO(text),
            delimiter=delim,
            dtype=np.float64,
            usecols=select,
            ndmin=2,
            comments=None,
            encoding="latin-1",
        )
    except (ValueError, IndexError, TypeError):
        return None
    out = []
    for j, c in enumerate(cols):
        col = arr[:, j]
        np_dtype = c.dtype.as_numpy_dtype
        if c.dtype.is_integer:
            info = np.iinfo(np_dtype)
            if not (
                np.all(col == np.floor(col))
                and np.all(np.abs(col) < 2.0**53)
                and col.min(initial=0) >= info.min
                and col.max(initial=0) <= info.max
            ):
                return None
        out.append(col.astype(np_dtype))
    return out


def parse_csv_file(
    path: str,
    cols: list,
    header: bool,
    delim: str,
    quote: bool,
    na: str,
    select: list | None,
    compression: Any = None,
) -> list:
    """Parses one CSV file into one array per selected column."""
    data = tfrecord.read_file_bytes(path, tfrecord._compression(compression))
    first_line = 0
    if header:
        nl = data.find(b"\n")
        data = b"" if nl < 0 else data[nl + 1 :]
        first_line = 1
    n_fields = len(cols) if select is None else None
    sel = list(range(len(cols))) if select is None else list(select)
    if n_fields is not None:
        fast = _fast_parse(data, cols, sel, delim, n_fields)
        if fast is not None:
            return fast
    reader = csv.reader(
        io.StringIO(data.decode("utf-8")),
        delimiter=delim,
        quoting=csv.QUOTE_MINIMAL if quote else csv.QUOTE_NONE,
    )
    out: list = [[] for _ in cols]
    for r, row in enumerate(reader):
        record = r + first_line
        if not row:
            continue
        if select is None and len(row) != len(cols):
            raise _field_error(
                f"Expect {len(cols)} fields but have {len(row)} in record", path, record
            )
        if select is not None and len(row) <= max(sel):
            raise _field_error(
                f"Expect at least {max(sel) + 1} fields but have {len(row)} in record", path, record
            )
        for j, (c, i) in enumerate(zip(cols, sel)):
            out[j].append(_convert(row[i].rstrip("\r"), c, i, path, record, na))
    arrays = []
    for c, vals in zip(cols, out):
        if c.dtype is dtypes.string:
            a = np.empty(len(vals), object)
            a[:] = vals
        else:
            a = np.asarray(vals, c.dtype.as_numpy_dtype)
        arrays.append(a)
    return arrays


class CsvDataset(DatasetV2):
    """`tf.data.experimental.CsvDataset`: one tuple of scalars per CSV record.

    `record_defaults` gives each column's dtype (a dtype: required) or default value.
    """

    def __init__(
        self,
        filenames: Any,
        record_defaults: list,
        compression_type: Any = None,
        buffer_size: Any = None,
        header: bool = False,
        field_delim: str = ",",
        use_quote_delim: bool = True,
        na_value: str = "",
        select_cols: Any = None,
        exclude_cols: Any = None,
        name: str | None = None,
    ) -> None:
        super().__init__()
        self._files = filenames_of(filenames)
        self._cols = _columns_from_defaults(list(record_defaults))
        if select_cols is not None and exclude_cols is not None:
            raise ValueError("Either select_cols or exclude_cols should be empty")
        self._select = None if select_cols is None else [int(i) for i in select_cols]
        if self._select is not None and len(self._select) != len(self._cols):
            raise ValueError("Length of select_cols and record_defaults do not match.")
        self._exclude = exclude_cols
        self._args = (bool(header), field_delim, bool(use_quote_delim), na_value, compression_type)
        self._parsed: TensorSliceDataset | None = None

    def _compute_spec(self) -> Any:
        return tuple(TensorSpec((), c.dtype) for c in self._cols)

    def _table(self) -> TensorSliceDataset:
        if self._parsed is None:
            header, delim, quote, na, comp = self._args
            per_file = [
                parse_csv_file(f, self._cols, header, delim, quote, na, self._select, comp)
                for f in self._files
            ]
            columns = [
                np.concatenate([p[j] for p in per_file])
                if per_file
                else np.zeros(0, c.dtype.as_numpy_dtype)
                for j, c in enumerate(self._cols)
            ]
            self._parsed = TensorSliceDataset(tuple(columns)) if columns[0].shape[0] else None
            if self._parsed is None:
                return _EMPTY
        return self._parsed

    def _iter(self, ctx: IterCtx) -> Iterator[tuple]:
        t = self._table()
        return iter(()) if t is _EMPTY else t._iter(ctx)

    def _plan(self) -> IndexPlan | None:
        t = self._table()
        return None if t is _EMPTY else t._plan()


_EMPTY: Any = object()


def _infer_type(values: list, na: str) -> tuple:
    order = ["int32", "int64", "float32", "float64", "string"]
    best = 0
    for v in values:
        if v == "" or v == na:
            continue
        while best < 4:
            name = order[best]
            try:
                if name in ("int32", "int64"):
                    x = int(v)
                    info = np.iinfo(name)
                    if info.min <= x <= info.max:
                        break
                else:
                    x = float(v)
                    if name == "float64" or np.isfinite(np.float32(x)) or not np.isfinite(x):
                        break
            except ValueError:
                pass
            best += 1
    name = order[best]
    return {
        "int32": 0,
        "int64": np.int64(0),
        "float32": 0.0,
        "float64": np.float64(0),
        "string": "",
    }[name]


def _head_lines(path: str, compression: Any, n: int, encoding: str) -> list:
    """The first n lines of a file, reading only as much as needed when uncompressed."""
    kind = tfrecord._compression(compression)
    if kind:
        data = tfrecord.read_file_bytes(path, kind)
    else:
        try:
            with open(path, "rb") as f:
                data = b""
                while data.count(b"\n") <= n:
                    block = f.read(1 << 16)
                    if not block:
                        break
                    data += block
        except FileNotFoundError:
            raise errors.NotFoundError(None, None, f"{path}; No such file or directory") from None
    return data.decode(encoding).splitlines()[:n]


def make_csv_dataset(
    file_pattern: Any,
    batch_size: int,
    column_names: list | None = None,
    column_defaults: list | None = None,
    label_name: str | None = None,
    select_columns: list | None = None,
    field_delim: str = ",",
    use_quote_delim: bool = True,
    na_value: str = "",
    header: bool = True,
    num_epochs: int | None = None,
    shuffle: bool = True,
    shuffle_buffer_size: int = 10000,
    shuffle_seed: int | None = None,
    prefetch_buffer_size: Any = None,
    num_parallel_reads: Any = None,
    sloppy: bool = False,
    num_rows_for_inference: int = 100,
    compression_type: Any = None,
    ignore_errors: bool = False,
    encoding: str = "utf-8",
) -> DatasetV2:
    """`tf.data.experimental.make_csv_dataset`: batches of (OrderedDict of columns[, label])
    read from CSV files, with column types inferred from the first rows."""
    from ndflow._src.data.readers import list_files

    files = [
        bytes(f).decode()
        for f in list_files(file_pattern, shuffle=shuffle, seed=shuffle_seed).as_numpy_iterator()
    ]
    lines = _head_lines(files[0], compression_type, num_rows_for_inference + 1, encoding)
    rows = list(csv.reader(lines[: num_rows_for_inference + 1], delimiter=field_delim))
    if column_names is None:
        if not header:
            raise ValueError("Expected `column_names` or `header` argument to be True.")
        column_names = [c.strip() for c in rows[0]]
    column_names = list(column_names)
    if len(set(column_names)) != len(column_names):
        raise ValueError("Cannot have duplicate column names.")
    if select_columns is not None:
        idx = [column_names.index(c) if isinstance(c, str) else int(c) for c in select_columns]
        idx = sorted(idx)
    else:
        idx = list(range(len(column_names)))
    names = [column_names[i] for i in idx]
    if label_name is not None and label_name not in names:
        raise ValueError(
            f"`label_name` provided must be one of the columns: {names}. Received: {label_name}"
        )
    data_rows = rows[1:] if header else rows
    if column_defaults is None:
        defaults = [_infer_type([r[i] for r in data_rows if len(r) > i], na_value) for i in idx]
    else:
        defaults = list(column_defaults)
    csv_ds = CsvDataset(
        files,
        defaults,
        compression_type=compression_type,
        header=header,
        field_delim=field_delim,
        use_quote_delim=use_quote_delim,
        na_value=na_value,
        select_cols=idx if select_columns else None,
    )
    columns = (
        [a for a in csv_ds._table().gather(np.arange(csv_ds._table().n))]
        if csv_ds._table() is not _EMPTY
        else [np.zeros(0, c.dtype.as_numpy_dtype) for c in csv_ds._cols]
    )
    features = collections.OrderedDict((n, c) for n, c in zip(names, columns) if n != label_name)
    if label_name is not None:
        ds: DatasetV2 = TensorSliceDataset((features, columns[names.index(label_name)]))
    else:
        ds = TensorSliceDataset(features)
    if shuffle:
        ds = ds.shuffle(shuffle_buffer_size, seed=shuffle_seed)
    if num_epochs != 1:
        ds = ds.repeat(num_epochs)
    ds = ds.batch(batch_size, drop_remainder=num_epochs is None)
    return ds.prefetch(prefetch_buffer_size if prefetch_buffer_size is not None else -1)
