"""`tf.train.Example` and friends, with a minimal protobuf wire-format codec.

Only what Example needs: varints, length-delimited fields, packed and unpacked repeated
int64/float fields. No protobuf dependency; bytes written here are read by TensorFlow
and the other way round.
"""

from __future__ import annotations

import struct
from typing import Any
from collections.abc import Iterator

import numpy as np


# ---------------------------------------------------------------------- wire format
def _varint(v: int) -> bytes:
    v &= 0xFFFFFFFFFFFFFFFF
    out = bytearray()
    while True:
        b = v & 0x7F
        v >>= 7
        if v:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def _read_varint(buf: bytes, pos: int) -> tuple[int, int]:
    result = shift = 0
    while True:
        if pos >= len(buf):
            raise DecodeError("Truncated varint.")
        b = buf[pos]
        pos += 1
        result |= (b & 0x7F) << shift
        if not b & 0x80:
            return result, pos
        shift += 7
        if shift > 63:
            raise DecodeError("Varint is too long.")


def _field(number: int, payload: bytes) -> bytes:
    return _varint((number << 3) | 2) + _varint(len(payload)) + payload


def _fields(buf: bytes) -> Iterator[tuple[int, int, Any]]:
    """Yields (field number, wire type, value) for each field of a message."""
    pos, n = 0, len(buf)
    while pos < n:
        key, pos = _read_varint(buf, pos)
        number, wire = key >> 3, key & 7
        if wire == 0:
            value, pos = _read_varint(buf, pos)
        elif wire == 1:
            if pos + 8 > n:
                raise DecodeError("Truncated fixed64 field.")
            value, pos = buf[pos : pos + 8], pos + 8
        elif wire == 2:
            length, pos = _read_varint(buf, pos)
            if pos + length > n:
                raise DecodeError("Truncated length-delimited field.")
            value, pos = buf[pos : pos + length], pos + length
        elif wire == 5:
            if pos + 4 > n:
                raise DecodeError("Truncated fixed32 field.")
            value, pos = buf[pos : pos + 4], pos + 4
        else:
            raise DecodeError(f"Unsupported wire type {wire}.")
        yield number, wire, value


class DecodeError(Exception):
    """A serialized message could not be parsed (google.protobuf's DecodeError)."""


def _signed64(v: int) -> int:
    return v - (1 << 64) if v >= 1 << 63 else v


# ---------------------------------------------------------------------- messages
class _Message:
    _fields_: tuple = ()

    def SerializeToString(self, deterministic: bool = False) -> bytes:  # noqa: N802
        return self._encode()

    def ParseFromString(self, data: bytes) -> int:  # noqa: N802
        self.Clear()
        self._decode(bytes(data))
        return len(data)

    def MergeFromString(self, data: bytes) -> int:  # noqa: N802
        self._decode(bytes(data))
        return len(data)

    @classmethod
    def FromString(cls, data: bytes) -> Any:  # noqa: N802
        m = cls()
        m._decode(bytes(data))
        return m

    def CopyFrom(self, other: Any) -> None:  # noqa: N802
        self.ParseFromString(other.SerializeToString())

    def ByteSize(self) -> int:  # noqa: N802
        return len(self._encode())

    def __eq__(self, other: Any) -> bool:
        return type(self) is type(other) and self._key() == other._key()

    def __ne__(self, other: Any) -> bool:
        return not self == other

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return self._text(0)

    __str__ = __repr__


class _ListMessage(_Message):
    def __init__(self, value: Any = None) -> None:
        self.value: list = []
        if value is not None:
            self.value.extend(self._convert(v) for v in value)

    def Clear(self) -> None:  # noqa: N802
        self.value = []

    def _key(self) -> Any:
        return list(self.value)

    def _text(self, indent: int) -> str:
        pad = " " * indent
        return "".join(f"{pad}value: {self._fmt(v)}\n" for v in self.value)


class BytesList(_ListMessage):
    """`tf.train.BytesList`: repeated bytes."""

    @staticmethod
    def _convert(v: Any) -> bytes:
        if isinstance(v, str):
            raise TypeError(f"{v!r} has type str, but expected one of: bytes")
        return bytes(v)

    @staticmethod
    def _fmt(v: bytes) -> str:
        return '"' + v.decode("latin-1").encode("unicode_escape").decode() + '"'

    def _encode(self) -> bytes:
        return b"".join(_field(1, v) for v in self.value)

    def _decode(self, buf: bytes) -> None:
        for number, wire, value in _fields(buf):
            if number == 1 and wire == 2:
                self.value.append(bytes(value))


class FloatList(_ListMessage):
    """`tf.train.FloatList`: repeated float, packed."""

    @staticmethod
    def _convert(v: Any) -> float:
        return float(np.float32(v))

    @staticmethod
    def _fmt(v: float) -> str:
        return repr(v)

    def _encode(self) -> bytes:
        if not self.value:
            return b""
        return _field(1, np.asarray(self.value, "<f4").tobytes())

    def _decode(self, buf: bytes) -> None:
        for number, wire, value in _fields(buf):
            if number != 1:
                continue
            if wire == 2:
                self.value.extend(np.frombuffer(value, "<f4").tolist())
            elif wire == 5:
                self.value.append(struct.unpack("<f", value)[0])


class Int64List(_ListMessage):
    """`tf.train.Int64List`: repeated int64, packed varints."""

    @staticmethod
    def _convert(v: Any) -> int:
        if isinstance(v, float) or (isinstance(v, np.floating)):
            raise TypeError(f"{v!r} has type {type(v).__name__}, but expected one of: int")
        return int(v)

    @staticmethod
    def _fmt(v: int) -> str:
        return str(v)

    def _encode(self) -> bytes:
        if not self.value:
            return b""
        return _field(1, b"".join(_varint(v) for v in self.value))

    def _decode(self, buf: bytes) -> None:
        for number, wire, value in _fields(buf):
            if number != 1:
                continue
            if wire == 2:
                pos = 0
                while pos < len(value):
                    v, pos = _read_varint(value, pos)
                    self.value.append(_signed64(v))
            elif wire == 0:
                self.value.append(_signed64(value))


_KINDS = ("bytes_list", "float_list", "int64_list")
_KIND_CLASSES = {"bytes_list": BytesList, "float_list": FloatList, "int64_list": Int64List}


class Feature(_Message):
    """`tf.train.Feature`: one of bytes_list, float_list or int64_list."""

    def __init__(
        self,
        bytes_list: BytesList | None = None,
        float_list: FloatList | None = None,
        int64_list: Int64List | None = None,
    ) -> None:
        self._kind: str | None = None
        self._value: Any = None
        for kind, v in (
            ("bytes_list", bytes_list),
            ("float_list", float_list),
            ("int64_list", int64_list),
        ):
            if v is not None:
                self._kind, self._value = kind, v

    def __getattr__(self, name: str) -> Any:
        if name in _KIND_CLASSES:
            if self._kind == name:
                return self._value
            return _KIND_CLASSES[name]()
        raise AttributeError(name)

    def WhichOneof(self, group: str) -> str | None:  # noqa: N802
        return self._kind

    def HasField(self, name: str) -> bool:  # noqa: N802
        return self._kind == name

    def Clear(self) -> None:  # noqa: N802
        self._kind, self._value = None, None

    def _key(self) -> Any:
        return (self._kind, None if self._value is None else self._value._key())

    def _encode(self) -> bytes:
        if self._kind is None:
            return b""
        return _field(_KINDS.index(self._kind) + 1, self._value._encode())

    def _decode(self, buf: bytes) -> None:
        for number, wire, value in _fields(buf):
            if 1 <= number <= 3 and wire == 2:
                kind = _KINDS[number - 1]
                self._kind = kind
                self._value = _KIND_CLASSES[kind].FromString(value)

    def _text(self, indent: int) -> str:
        if self._kind is None:
            return ""
        pad = " " * indent
        return f"{pad}{self._kind} {{\n{self._value._text(indent + 2)}{pad}}}\n"


class _FeatureMap(dict):
    def __missing__(self, key: str) -> Feature:
        f = Feature()
        self[key] = f
        return f


class Features(_Message):
    """`tf.train.Features`: a map from feature name to Feature."""

    def __init__(self, feature: dict | None = None) -> None:
        self.feature = _FeatureMap(feature or {})

    def Clear(self) -> None:  # noqa: N802
        self.feature = _FeatureMap()

    def _key(self) -> Any:
        return {k: v._key() for k, v in self.feature.items()}

    def _encode(self) -> bytes:
        out = []
        for k in sorted(self.feature):
            entry = _field(1, k.encode()) + _field(2, self.feature[k]._encode())
            out.append(_field(1, entry))
        return b"".join(out)

    def _decode(self, buf: bytes) -> None:
        for number, wire, value in _fields(buf):
            if number == 1 and wire == 2:
                key, feat = "", Feature()
                for n2, w2, v2 in _fields(value):
                    if n2 == 1 and w2 == 2:
                        key = bytes(v2).decode()
                    elif n2 == 2 and w2 == 2:
                        feat = Feature.FromString(v2)
                self.feature[key] = feat

    def _text(self, indent: int) -> str:
        pad = " " * indent
        out = []
        for k in sorted(self.feature):
            out.append(
                f'{pad}feature {{\n{pad}  key: "{k}"\n{pad}  value {{\n'
                f"{self.feature[k]._text(indent + 4)}{pad}  }}\n{pad}}}\n"
            )
        return "".join(out)


class Example(_Message):
    """`tf.train.Example`: named features of one record.

    >>> ex = Example(features=Features(feature={"x": Feature(int64_list=Int64List(value=[1]))}))
    >>> Example.FromString(ex.SerializeToString()).features.feature["x"].int64_list.value
    [1]
    """

    def __init__(self, features: Features | None = None) -> None:
        self.features = features if features is not None else Features()

    def Clear(self) -> None:  # noqa: N802
        self.features = Features()

    def HasField(self, name: str) -> bool:  # noqa: N802
        return name == "features" and bool(self.features.feature)

    def _key(self) -> Any:
        return self.features._key()

    def _encode(self) -> bytes:
        body = self.features._encode()
        return _field(1, body) if body or self.features.feature is not None else b""

    def _decode(self, buf: bytes) -> None:
        for number, wire, value in _fields(buf):
            if number == 1 and wire == 2:
                self.features._decode(value)

    def _text(self, indent: int) -> str:
        return f"features {{\n{self.features._text(2)}}}\n"


class FeatureList(_Message):
    """`tf.train.FeatureList`: a list of Features (for SequenceExample)."""

    def __init__(self, feature: list | None = None) -> None:
        self.feature = list(feature or [])

    def Clear(self) -> None:  # noqa: N802
        self.feature = []

    def _key(self) -> Any:
        return [f._key() for f in self.feature]

    def _encode(self) -> bytes:
        return b"".join(_field(1, f._encode()) for f in self.feature)

    def _decode(self, buf: bytes) -> None:
        for number, wire, value in _fields(buf):
            if number == 1 and wire == 2:
                self.feature.append(Feature.FromString(value))

    def _text(self, indent: int) -> str:
        pad = " " * indent
        return "".join(f"{pad}feature {{\n{f._text(indent + 2)}{pad}}}\n" for f in self.feature)


class FeatureLists(_Message):
    """`tf.train.FeatureLists`: a map from name to FeatureList."""

    def __init__(self, feature_list: dict | None = None) -> None:
        self.feature_list = dict(feature_list or {})

    def Clear(self) -> None:  # noqa: N802
        self.feature_list = {}

    def _key(self) -> Any:
        return {k: v._key() for k, v in self.feature_list.items()}

    def _encode(self) -> bytes:
        return b"".join(
            _field(1, _field(1, k.encode()) + _field(2, self.feature_list[k]._encode()))
            for k in sorted(self.feature_list)
        )

    def _decode(self, buf: bytes) -> None:
        for number, wire, value in _fields(buf):
            if number == 1 and wire == 2:
                key, fl = "", FeatureList()
                for n2, _w2, v2 in _fields(value):
                    if n2 == 1:
                        key = bytes(v2).decode()
                    elif n2 == 2:
                        fl = FeatureList.FromString(v2)
                self.feature_list[key] = fl

    def _text(self, indent: int) -> str:
        return "".join(f'feature_list {{ key: "{k}" }}\n' for k in sorted(self.feature_list))


class SequenceExample(_Message):
    """`tf.train.SequenceExample`: context features plus feature lists."""

    def __init__(
        self, context: Features | None = None, feature_lists: FeatureLists | None = None
    ) -> None:
        self.context = context if context is not None else Features()
        self.feature_lists = feature_lists if feature_lists is not None else FeatureLists()

    def Clear(self) -> None:  # noqa: N802
        self.context, self.feature_lists = Features(), FeatureLists()

    def _key(self) -> Any:
        return (self.context._key(), self.feature_lists._key())

    def _encode(self) -> bytes:
        return _field(1, self.context._encode()) + _field(2, self.feature_lists._encode())

    def _decode(self, buf: bytes) -> None:
        for number, wire, value in _fields(buf):
            if number == 1 and wire == 2:
                self.context._decode(value)
            elif number == 2 and wire == 2:
                self.feature_lists._decode(value)

    def _text(self, indent: int) -> str:
        return f"context {{\n{self.context._text(2)}}}\n"


def decode_example_features(buf: bytes) -> dict:
    """Fast path for parsing: name -> (kind, list of values) of a serialized Example."""
    out: dict = {}
    for number, wire, value in _fields(buf):
        if number != 1 or wire != 2:
            continue
        for n1, w1, entry in _fields(value):
            if n1 != 1 or w1 != 2:
                continue
            key, feat = "", None
            for n2, w2, v2 in _fields(entry):
                if n2 == 1 and w2 == 2:
                    key = bytes(v2).decode()
                elif n2 == 2 and w2 == 2:
                    feat = Feature.FromString(v2)
            if feat is not None and feat._kind is not None:
                out[key] = (feat._kind, feat._value.value)
            else:
                out[key] = (None, [])
    return out
