"""CSV datasets: `tf.data.experimental.CsvDataset` and `make_csv_dataset`.

Files are parsed whole into columns: NumPy's C parser when every selected column is
numeric and the file has no quotes or missing fields, else Python's csv module with TF's
per-field checks. Records then come out by index, so batching gathers whole batches.
"""

from __future__ import annotations

import collections
import csv
import glob
import io
import os
from typing import Any
from collections.abc import Iterator

import numpy as np

from ndflow._src.core import dtypes, errors
from ndflow._src.data import structure, tfrecord
from ndflow._src.data.dataset_ops import DatasetV2, IndexPlan, IterCtx
from ndflow._src.data.readers import filenames_of
from ndflow._src.data.options import AUTOTUNE
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
        shown = {"float32": "float", "float64": "double"}.get(name, name)
        raise _field_error(
            f"Field {index} in record is not a valid {shown}: {text}", path, record
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
    """Parses one CSV file into one array per selected column (raising on a bad record)."""
    arrays, error = parse_csv_records(path, cols, header, delim, quote, na, select, compression)
    if error is not None:
        raise error
    return arrays


def parse_csv_records(
    path: str,
    cols: list,
    header: bool,
    delim: str,
    quote: bool,
    na: str,
    select: list | None,
    compression: Any = None,
    skip_errors: bool = False,
) -> tuple[list, errors.OpError | None]:
    """One CSV file as one array per selected column, plus the error of its first bad
    record (None if none): the arrays then hold the records before it, as a reader that
    stops there would have produced. With `skip_errors` bad records are left out."""
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
            return fast, None
    reader = csv.reader(
        io.StringIO(data.decode("utf-8")),
        delimiter=delim,
        quoting=csv.QUOTE_MINIMAL if quote else csv.QUOTE_NONE,
    )
    out: list = [[] for _ in cols]
    error = None
    for r, row in enumerate(reader):
        record = r + first_line
        if not row:
            continue
        try:
            if select is None and len(row) != len(cols):
                raise _field_error(
                    f"Expect {len(cols)} fields but have {len(row)} in record", path, record
                )
            if select is not None and len(row) <= max(sel):
                raise _field_error(
                    f"Expect at least {max(sel) + 1} fields but have {len(row)} in record",
                    path,
                    record,
                )
            values = [
                _convert(row[i].rstrip("\r"), c, i, path, record, na) for c, i in zip(cols, sel)
            ]
        except errors.InvalidArgumentError as e:
            if skip_errors:
                continue
            error = e
            break
        for column, v in zip(out, values):
            column.append(v)
    arrays = []
    for c, vals in zip(cols, out):
        if c.dtype is dtypes.string:
            a = np.empty(len(vals), object)
            a[:] = vals
        else:
            a = np.asarray(vals, c.dtype.as_numpy_dtype)
        arrays.append(a)
    return arrays, error


class _Columns:
    """Append-only column arrays (capacity doubling), read with global record indices."""

    def __init__(self, cols: list) -> None:
        self._arrays = [np.zeros(0, _np_dtype(c)) for c in cols]
        self.size = 0

    def append(self, arrays: list) -> int:
        """Adds records; returns the index of the first one."""
        k = len(arrays[0])
        start = self.size
        if start + k > len(self._arrays[0]):
            cap = max(start + k, 2 * len(self._arrays[0]))
            grown = []
            for a in self._arrays:
                g = np.empty(cap, a.dtype)
                g[:start] = a[:start]
                grown.append(g)
            self._arrays = grown
        for a, new in zip(self._arrays, arrays):
            a[start : start + k] = new
        self.size = start + k
        return start

    def gather(self, idx: np.ndarray) -> list:
        if (
            len(idx)
            and idx[-1] - idx[0] == len(idx) - 1
            and (len(idx) < 3 or np.all(np.diff(idx) == 1))
        ):
            s = slice(int(idx[0]), int(idx[-1]) + 1)
            return [a[s] for a in self._arrays]
        return [a[idx] for a in self._arrays]


def _np_dtype(c: _Column) -> Any:
    return object if c.dtype is dtypes.string else c.dtype.as_numpy_dtype


class CsvSource:
    """CSV records read lazily: each file is parsed when an iteration reaches it (its
    records then come out by index, so batches are gathered whole), and a bad record
    raises when the records before it have been produced. A file parsed before is reused
    while its size and modification time are unchanged. `cycle` > 1 interleaves the files'
    records like `interleave(cycle_length=cycle, block_length=1)`.

    `template` is the element's structure with column numbers as leaves.
    """

    _BLOCK = 4096

    def __init__(
        self,
        files: list,
        cols: list,
        options: tuple,
        select: list | None,
        template: Any,
        skip_errors: bool = False,
        cycle: int = 1,
        all_paths: list | None = None,
    ) -> None:
        self.files = files if isinstance(files, DatasetV2) else list(files)
        self.all_paths = list(files) if all_paths is None else list(all_paths)
        self.cols = cols
        self.options = options  # (header, delim, quote, na, compression)
        self.select = select
        self.template = template
        self.order = [int(i) for i in structure.flatten(template)]
        self.skip_errors = skip_errors
        self.cycle = max(1, int(cycle))
        self._columns = _Columns(cols)
        self._parsed: dict = {}  # (path, skip) -> (stat, start, count, error)

    def spec(self) -> Any:
        flat = [TensorSpec((), self.cols[j].dtype) for j in self.order]
        return structure.pack(self.template, flat)

    def _file(self, path: str, skip: bool) -> tuple[int, int, Any]:
        """(first index, record count, error or None) of one file's records."""
        try:
            st = os.stat(path)
            stamp: Any = (st.st_size, st.st_mtime_ns)
        except OSError:
            stamp = None
        key = (path, skip)
        hit = self._parsed.get(key)
        if hit is not None and stamp is not None and hit[0] == stamp:
            return hit[1:]
        header, delim, quote, na, comp = self.options
        arrays, error = parse_csv_records(
            path, self.cols, header, delim, quote, na, self.select, comp, skip
        )
        start = self._columns.append(arrays)
        self._parsed[key] = (stamp, start, len(arrays[0]), error)
        return start, len(arrays[0]), error

    def chunks(self, ctx: IterCtx) -> Iterator[np.ndarray]:
        skip = self.skip_errors or ctx.skip_errors
        if self.cycle == 1:
            for path in self._paths(ctx):
                start, count, error = self._file(path, skip)
                if count:
                    yield np.arange(start, start + count, dtype=np.int64)
                if error is not None:
                    raise error
            return
        yield from self._interleaved(skip, ctx)

    def _paths(self, ctx: IterCtx) -> list:
        """This pass's files: a files dataset (a shuffled file list) is iterated anew."""
        if isinstance(self.files, DatasetV2):
            names = [np.asarray(e[0]).item() for e in self.files._iter(ctx)]
            return [n.decode() if isinstance(n, bytes) else str(n) for n in names]
        return self.files

    def _interleaved(self, skip: bool, ctx: IterCtx) -> Iterator[np.ndarray]:
        pending = iter(self._paths(ctx))
        slots: list = [None] * self.cycle
        out: list = []

        def open_next() -> list | None:
            for path in pending:
                start, count, error = self._file(path, skip)
                return [start, start + count, error]
            return None

        for i in range(self.cycle):
            slots[i] = open_next()
        i = 0
        while any(s is not None for s in slots):
            s = slots[i]
            if s is not None:
                if s[0] < s[1]:
                    out.append(s[0])
                    s[0] += 1
                    if len(out) >= self._BLOCK:
                        yield np.asarray(out, np.int64)
                        out = []
                elif s[2] is not None:
                    if out:
                        yield np.asarray(out, np.int64)
                    raise s[2]
                else:
                    slots[i] = open_next()
            i = (i + 1) % self.cycle
        if out:
            yield np.asarray(out, np.int64)

    def gather(self, idx: np.ndarray) -> tuple:
        arrays = self._columns.gather(np.asarray(idx, np.int64))
        return tuple([arrays[j] for j in self.order])

    @property
    def n(self) -> int:
        """The record count (reads every file; counting needs no file order)."""
        paths = self.all_paths
        skip = self.skip_errors
        return sum(self._file(p, skip)[1] for p in paths)


class CsvRecordsDataset(DatasetV2):
    """The records of a `CsvSource`, as elements of its template's structure."""

    def __init__(self, source: CsvSource) -> None:
        files = source.files
        super().__init__([files] if isinstance(files, DatasetV2) else [])
        self._source = source

    def _compute_spec(self) -> Any:
        return self._source.spec()

    def _iter(self, ctx: IterCtx) -> Iterator[tuple]:
        for c in self._source.chunks(ctx):
            arrays = self._source.gather(c)
            for i in range(len(c)):
                yield tuple([a[i] for a in arrays])

    def _plan(self) -> IndexPlan | None:
        return IndexPlan(self._source, self._source.chunks, ordered=self._source.cycle == 1)

    def _probe(self, k: int) -> list:
        return [
            tuple(np.zeros((), _np_dtype(self._source.cols[j])) for j in self._source.order)
        ] * k


class CsvDataset(CsvRecordsDataset):
    """`tf.data.experimental.CsvDataset`: one tuple of scalars per CSV record, read from
    the files as the iteration reaches them.

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
        cols = _columns_from_defaults(list(record_defaults))
        if select_cols is not None and exclude_cols is not None:
            raise ValueError("Either select_cols or exclude_cols should be empty")
        select = None if select_cols is None else [int(i) for i in select_cols]
        if select is not None and len(select) != len(cols):
            raise ValueError("Length of select_cols and record_defaults do not match.")
        self._exclude = exclude_cols
        options = (bool(header), field_delim, bool(use_quote_delim), na_value, compression_type)
        super().__init__(
            CsvSource(filenames_of(filenames), cols, options, select, tuple(range(len(cols))))
        )
        self._cols = cols


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
    read from CSV files, with column types inferred from the first rows.

    Only the header and the inference rows are read here; the records are read while the
    dataset is iterated (files in a shuffled order each epoch when `shuffle`), and a bad
    record raises when the iteration reaches it (or is skipped with `ignore_errors`).
    """
    from ndflow._src.data.readers import list_files

    files_ds = list_files(file_pattern, shuffle=shuffle, seed=shuffle_seed)
    files = sorted({f for p in filenames_of(file_pattern) for f in glob.glob(p)})
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
    cols = _columns_from_defaults(defaults)
    features = collections.OrderedDict((n, j) for j, n in enumerate(names) if n != label_name)
    template: Any = features if label_name is None else (features, names.index(label_name))
    if num_parallel_reads is None:
        cycle = 1
    elif int(num_parallel_reads) == AUTOTUNE:
        cycle = os.cpu_count() or 1
    else:
        cycle = int(num_parallel_reads)
    options = (bool(header), field_delim, bool(use_quote_delim), na_value, compression_type)
    source = CsvSource(
        files_ds,
        cols,
        options,
        idx if select_columns else None,
        template,
        skip_errors=bool(ignore_errors),
        cycle=cycle,
        all_paths=files,
    )
    ds: DatasetV2 = CsvRecordsDataset(source)
    if shuffle:
        ds = ds.shuffle(shuffle_buffer_size, seed=shuffle_seed)
    if num_epochs != 1:
        ds = ds.repeat(num_epochs)
    ds = ds.batch(batch_size, drop_remainder=num_epochs is None)
    return ds.prefetch(prefetch_buffer_size if prefetch_buffer_size is not None else -1)
