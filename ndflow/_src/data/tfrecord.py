"""The TFRecord file format: records framed with lengths and masked CRC-32C checksums.

Each record is `uint64 length | uint32 masked_crc(length) | data | uint32 masked_crc(data)`
(little-endian). CRC-32C (Castagnoli) is computed with a table in NumPy/Python, or with a
numba loop when numba is installed (same results, much faster on large records).
"""

from __future__ import annotations

import gzip
import os
import struct
import zlib
from typing import Any, BinaryIO
from collections.abc import Iterator

import numpy as np

from ndflow._src.core import errors

_POLY = 0x82F63B78


def _make_table() -> np.ndarray:
    table = np.zeros(256, np.uint32)
    for i in range(256):
        c = i
        for _ in range(8):
            c = (c >> 1) ^ _POLY if c & 1 else c >> 1
        table[i] = c
    return table


_TABLE = _make_table()
_TABLE_LIST = [int(v) for v in _TABLE]
_numba_crc: Any = None


def _crc_python(data: bytes) -> int:
    crc = 0xFFFFFFFF
    t = _TABLE_LIST
    for b in data:
        crc = t[(crc ^ b) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


def _get_numba_crc() -> Any:
    global _numba_crc
    if _numba_crc is None:
        try:
            import numba

            @numba.njit(cache=True, nogil=True)
            def crc(buf, table):  # pragma: no cover - compiled
                c = np.uint32(0xFFFFFFFF)
                for i in range(buf.shape[0]):
                    c = table[(c ^ buf[i]) & np.uint32(0xFF)] ^ (c >> np.uint32(8))
                return c ^ np.uint32(0xFFFFFFFF)

            _numba_crc = crc
        except Exception:  # noqa: BLE001 - numba is optional
            _numba_crc = False
    return _numba_crc


def crc32c(data: bytes, use_numba: bool | None = None) -> int:
    """CRC-32C of `data`.

    >>> hex(crc32c(b"123456789"))
    '0xe3069283'
    """
    if use_numba is not False and len(data) > 64:
        fn = _get_numba_crc()
        if fn:
            return int(fn(np.frombuffer(data, np.uint8), _TABLE))
    return _crc_python(data)


def masked_crc(data: bytes) -> int:
    """TFRecord's masked CRC: rotate right by 15 and add a constant."""
    c = crc32c(data)
    return (((c >> 15) | (c << 17)) + 0xA282EAD8) & 0xFFFFFFFF


def _compression(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, TFRecordOptions):
        return value.compression_type
    if isinstance(value, int):
        return {0: "", 1: "ZLIB", 2: "GZIP"}[value]
    v = str(value).upper()
    if v not in ("", "ZLIB", "GZIP", "NONE"):
        raise ValueError(f"Unsupported compression_type: {value}")
    return "" if v == "NONE" else v


class TFRecordOptions:
    """`tf.io.TFRecordOptions`: the compression of a TFRecord file."""

    compression_type_map = {0: "", 1: "ZLIB", 2: "GZIP"}

    def __init__(
        self,
        compression_type: Any = None,
        flush_mode: Any = None,
        input_buffer_size: Any = None,
        output_buffer_size: Any = None,
        window_bits: Any = None,
        compression_level: Any = None,
        compression_method: Any = None,
        mem_level: Any = None,
        compression_strategy: Any = None,
    ) -> None:
        self.compression_type = _compression(compression_type)
        self.compression_level = compression_level

    @classmethod
    def get_compression_type_string(cls, options: Any) -> str:
        return _compression(options)


class TFRecordWriter:
    """`tf.io.TFRecordWriter`: writes records to a TFRecord file.

    >>> import tempfile, os
    >>> path = os.path.join(tempfile.mkdtemp(), "a.tfrecord")
    >>> with TFRecordWriter(path) as w:
    ...     w.write(b"hello")
    """

    def __init__(self, path: str, options: Any = None) -> None:
        self._path = os.fspath(path)
        self._kind = _compression(options)
        self._raw = open(self._path, "wb")  # noqa: SIM115 - closed in close()
        self._zlib = zlib.compressobj() if self._kind == "ZLIB" else None
        self._file: BinaryIO = (
            gzip.GzipFile(fileobj=self._raw, mode="wb") if self._kind == "GZIP" else self._raw
        )

    def write(self, record: Any) -> None:
        """Appends one record (bytes, or a scalar string tensor)."""
        data = _to_bytes(record)
        header = struct.pack("<Q", len(data))
        frame = (
            header
            + struct.pack("<I", masked_crc(header))
            + data
            + struct.pack("<I", masked_crc(data))
        )
        if self._zlib is not None:
            self._raw.write(self._zlib.compress(frame))
        else:
            self._file.write(frame)

    def flush(self) -> None:
        if self._zlib is not None:
            self._raw.write(self._zlib.flush(zlib.Z_SYNC_FLUSH))
        self._file.flush()

    def close(self) -> None:
        if self._raw.closed:
            return
        if self._zlib is not None:
            self._raw.write(self._zlib.flush())
        if self._file is not self._raw:
            self._file.close()
        self._raw.close()

    def __enter__(self) -> TFRecordWriter:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


def _to_bytes(record: Any) -> bytes:
    if isinstance(record, bytes):
        return record
    if isinstance(record, str):
        return record.encode()
    v = getattr(record, "_value", record)
    v = np.asarray(v)
    if v.ndim:
        raise ValueError(f"A TFRecord record must be a scalar string. Received: {record!r}")
    v = v.item()
    return v if isinstance(v, bytes) else str(v).encode()


def read_file_bytes(path: str, compression: str) -> bytes:
    try:
        with open(path, "rb") as f:
            data = f.read()
    except FileNotFoundError:
        raise errors.NotFoundError(None, None, f"{path}; No such file or directory") from None
    if compression == "GZIP":
        data = gzip.decompress(data)
    elif compression == "ZLIB":
        data = zlib.decompress(data)
    return data


def read_records(path: str, compression: Any = None) -> Iterator[bytes]:
    """Yields the records of one TFRecord file, checking both checksums of each.

    Raises DataLossError naming the byte offset (and the file) of a corrupt record.
    """
    data = read_file_bytes(path, _compression(compression))
    pos, n = 0, len(data)
    while pos < n:
        if pos + 12 > n:
            raise errors.DataLossError(
                None,
                None,
                f"truncated record at {pos} in {path}: the header needs 12 bytes, {n - pos} left",
            )
        header = data[pos : pos + 8]
        (length,) = struct.unpack("<Q", header)
        (hcrc,) = struct.unpack("<I", data[pos + 8 : pos + 12])
        if hcrc != masked_crc(header):
            hint = " (Is this even a TFRecord file?)" if pos == 0 else ""
            raise errors.DataLossError(
                None,
                None,
                f"corrupted record at {pos}{hint} in {path}: the length's CRC-32C does not match",
            )
        end = pos + 12 + length
        if end + 4 > n:
            raise errors.DataLossError(
                None,
                None,
                f"truncated record at {pos} in {path}: it needs "
                f"{length + 16} bytes, {n - pos} left",
            )
        record = data[pos + 12 : end]
        (dcrc,) = struct.unpack("<I", data[end : end + 4])
        if dcrc != masked_crc(record):
            raise errors.DataLossError(
                None,
                None,
                f"corrupted record at {pos} in {path}: the data's CRC-32C does not match",
            )
        yield record
        pos = end + 4


def tf_record_iterator(path: str, options: Any = None) -> Iterator[bytes]:
    """`tf.compat.v1.io.tf_record_iterator`."""
    return read_records(path, options)
