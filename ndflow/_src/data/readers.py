"""File-reading datasets: TextLineDataset, TFRecordDataset, FixedLengthRecordDataset and
`Dataset.list_files`."""

from __future__ import annotations

import glob
import os
from typing import Any
from collections.abc import Callable, Iterator

import numpy as np

from ndflow._src.core import dtypes, errors
from ndflow._src.data import structure, tfrecord
from ndflow._src.data.dataset_ops import DatasetV2, IterCtx
from ndflow._src.data.options import AUTOTUNE, UNKNOWN_CARDINALITY
from ndflow._src.data.structure import TensorSpec


def filenames_of(filenames: Any) -> list:
    """File names from a string, a list of strings, a string tensor or a dataset of them."""
    if isinstance(filenames, DatasetV2):
        return [
            bytes(x).decode() if isinstance(x, (bytes, np.bytes_)) else str(x)
            for x in filenames.as_numpy_iterator()
        ]
    if isinstance(filenames, (str, bytes, os.PathLike)):
        filenames = [filenames]
    arr = np.asarray(
        structure.normalize(
            [os.fspath(f) if isinstance(f, os.PathLike) else f for f in filenames]
            if isinstance(filenames, (list, tuple))
            else filenames
        )
    )
    if arr.ndim > 1:
        raise TypeError("`filenames` must be a `tf.Tensor` of `tf.string` and rank <= 1.")
    out = []
    for f in arr.reshape(-1):
        if not isinstance(f, bytes):
            raise TypeError(
                "`filenames` must be a `tf.Tensor` of dtype `tf.string` "
                f"dtype. Got {structure.dtype_of(arr).name}"
            )
        out.append(f.decode())
    return out


class _FileDataset(DatasetV2):
    """Records of several files, read one after another (or interleaved record by record
    when num_parallel_reads > 1, as TF's deterministic parallel interleave does)."""

    def __init__(self, filenames: Any, num_parallel_reads: Any = None) -> None:
        super().__init__()
        self._files = filenames_of(filenames)
        n = num_parallel_reads
        self._parallel = (os.cpu_count() or 1) if n == AUTOTUNE else int(n or 1)

    def _records(self, path: str) -> Iterator[Any]:
        raise NotImplementedError

    def _compute_spec(self) -> Any:
        return TensorSpec((), dtypes.string)

    def _card(self) -> int:
        return UNKNOWN_CARDINALITY

    def _iter(self, ctx: IterCtx) -> Iterator[tuple]:
        if self._parallel <= 1:
            for f in self._files:
                for r in self._records(f):
                    yield (_scalar(r),)
            return
        pending = list(self._files)
        slots: list = []
        while pending and len(slots) < self._parallel:
            slots.append(self._records(pending.pop(0)))
        i = 0
        while slots:
            try:
                r = next(slots[i])
            except StopIteration:
                if pending:
                    slots[i] = self._records(pending.pop(0))
                else:
                    slots.pop(i)
                    if slots:
                        i %= len(slots)
                continue
            yield (_scalar(r),)
            i = (i + 1) % len(slots)


def _scalar(b: bytes) -> np.ndarray:
    a = np.empty((), object)
    a[()] = b
    return a


class TFRecordDataset(_FileDataset):
    """`tf.data.TFRecordDataset`: the records of TFRecord files as scalar strings.

    A record with a wrong checksum raises `DataLossError` naming the file and offset.
    """

    def __init__(
        self,
        filenames: Any,
        compression_type: Any = None,
        buffer_size: Any = None,
        num_parallel_reads: Any = None,
        name: str | None = None,
    ) -> None:
        super().__init__(filenames, num_parallel_reads)
        self._compression = compression_type

    def _records(self, path: str) -> Iterator[bytes]:
        return tfrecord.read_records(path, self._compression)


class TextLineDataset(_FileDataset):
    """`tf.data.TextLineDataset`: the lines of text files, without line endings."""

    def __init__(
        self,
        filenames: Any,
        compression_type: Any = None,
        buffer_size: Any = None,
        num_parallel_reads: Any = None,
        name: str | None = None,
    ) -> None:
        super().__init__(filenames, num_parallel_reads)
        self._compression = tfrecord._compression(compression_type)

    def _records(self, path: str) -> Iterator[bytes]:
        data = tfrecord.read_file_bytes(path, self._compression)
        lines = data.split(b"\n")
        if lines and lines[-1] == b"":
            lines.pop()
        for line in lines:
            yield line[:-1] if line.endswith(b"\r") else line


class FixedLengthRecordDataset(_FileDataset):
    """`tf.data.FixedLengthRecordDataset`: fixed-size records between header/footer."""

    def __init__(
        self,
        filenames: Any,
        record_bytes: int,
        header_bytes: int | None = None,
        footer_bytes: int | None = None,
        buffer_size: Any = None,
        compression_type: Any = None,
        num_parallel_reads: Any = None,
        name: str | None = None,
    ) -> None:
        super().__init__(filenames, num_parallel_reads)
        self._size = int(record_bytes)
        self._header = int(header_bytes or 0)
        self._footer = int(footer_bytes or 0)
        self._compression = tfrecord._compression(compression_type)

    def _records(self, path: str) -> Iterator[bytes]:
        data = tfrecord.read_file_bytes(path, self._compression)
        body = data[self._header : len(data) - self._footer]
        if len(body) % self._size:
            raise errors.DataLossError(
                None,
                None,
                f"Excluding the header ({self._header} bytes) and footer "
                f'({self._footer} bytes), input file "{path}" has body length '
                f"{len(body)} bytes, which is not an exact multiple of the record length "
                f"({self._size} bytes).",
            )
        for i in range(0, len(body), self._size):
            yield body[i : i + self._size]


def list_files(file_pattern: Any, shuffle: bool | None, seed: Any) -> DatasetV2:
    """`Dataset.list_files`: the files matching the pattern(s), shuffled by default."""
    from ndflow._src.data.sources import TensorSliceDataset

    patterns = filenames_of(file_pattern)
    files = sorted({f for p in patterns for f in glob.glob(p)})
    if not files:
        raise errors.InvalidArgumentError(
            None,
            None,
            "Expected 'tf.Tensor(False, shape=(), dtype=bool)' to be true. "
            f"Summarized data: b'No files matched pattern: {', '.join(patterns)}'",
        )
    arr = np.empty(len(files), object)
    arr[:] = [f.encode() for f in files]
    ds: DatasetV2 = TensorSliceDataset(arr)
    if shuffle is None or shuffle:
        ds = ds.shuffle(len(files), seed=seed)
    return ds


ReaderFn = Callable[[str], Iterator[bytes]]
