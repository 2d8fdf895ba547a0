"""`tf.io.parse_example` / `parse_single_example` for serialized tf.train.Example records."""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from ndflow._src.core import dtypes, errors
from ndflow._src.data import structure
from ndflow._src.data.example_proto import DecodeError, decode_example_features
from ndflow._src.framework.tensor import Tensor, wrap

try:  # The ops helpers' SparseTensor, once merged.
    from ndflow._src.framework.sparse_tensor import SparseTensor  # type: ignore
except ImportError:  # pragma: no cover - depends on the merge state

    class SparseTensor:  # type: ignore[no-redef]
        """A sparse tensor: `indices` [N, rank], `values` [N], `dense_shape` [rank]."""

        def __init__(self, indices: Any, values: Any, dense_shape: Any) -> None:
            self.indices = (
                indices if isinstance(indices, Tensor) else wrap(np.asarray(indices, np.int64))
            )
            self.values = values if isinstance(values, Tensor) else wrap(np.asarray(values))
            self.dense_shape = (
                dense_shape
                if isinstance(dense_shape, Tensor)
                else wrap(np.asarray(dense_shape, np.int64))
            )

        @property
        def dtype(self) -> dtypes.DType:
            return self.values.dtype

        @property
        def shape(self) -> Any:
            from ndflow._src.core.tensor_shape import TensorShape

            return TensorShape(self.dense_shape._value.tolist())

        def __repr__(self) -> str:
            return (
                f"SparseTensor(indices={self.indices}, values={self.values}, "
                f"dense_shape={self.dense_shape})"
            )


class FixedLenFeature(NamedTuple):
    """`tf.io.FixedLenFeature(shape, dtype, default_value)`: a dense feature."""

    shape: Any
    dtype: Any
    default_value: Any = None


class FixedLenSequenceFeature(NamedTuple):
    shape: Any
    dtype: Any
    allow_missing: bool = False
    default_value: Any = None


class VarLenFeature(NamedTuple):
    """`tf.io.VarLenFeature(dtype)`: a variable-length feature, parsed as a SparseTensor."""

    dtype: Any


_KIND_FOR = {"int64": "int64_list", "float32": "float_list", "string": "bytes_list"}
_NAME_OF_KIND = {"int64_list": "int64", "float_list": "float", "bytes_list": "string"}


def _dtype(d: Any) -> dtypes.DType:
    d = dtypes.as_dtype(d)
    if d.name not in _KIND_FOR:
        raise ValueError(
            f"Unsupported dtype {d.name} for a feature; use tf.int64, tf.float32 or tf.string."
        )
    return d


def _fail(msg: str) -> errors.OpError:
    return errors.op_error(errors.InvalidArgumentError, "ParseExampleV2", msg)


def _values(feats: dict, key: str, d: dtypes.DType) -> list | None:
    entry = feats.get(key)
    if entry is None:
        return None
    kind, vals = entry
    if kind is not None and kind != _KIND_FOR[d.name]:
        raise _fail(
            f"Key: {key}.  Data types don't match. Data type: "
            f"{_NAME_OF_KIND[kind]} but expected type: "
            f"{'float' if d.name == 'float32' else d.name}"
        )
    return vals


def _array(vals: list, d: dtypes.DType) -> np.ndarray:
    if d is dtypes.string:
        out = np.empty(len(vals), object)
        out[:] = vals
        return out
    return np.asarray(vals, d.as_numpy_dtype)


def _decode(record: Any, index: int) -> dict:
    try:
        return decode_example_features(record)
    except (DecodeError, UnicodeDecodeError):
        raise _fail(f"Could not parse example input, value: '{record!r}'") from None


def _parse(records: list, features: dict) -> dict:
    decoded = [_decode(r, i) for i, r in enumerate(records)]
    out: dict = {}
    for key in sorted(features):
        spec = features[key]
        if isinstance(spec, VarLenFeature):
            d = _dtype(spec.dtype)
            indices, values, width = [], [], 0
            for i, feats in enumerate(decoded):
                vals = _values(feats, key, d) or []
                indices.extend((i, j) for j in range(len(vals)))
                values.extend(vals)
                width = max(width, len(vals))
            out[key] = (
                np.asarray(indices, np.int64).reshape(-1, 2),
                _array(values, d),
                np.asarray([len(records), width], np.int64),
            )
        elif isinstance(spec, FixedLenFeature):
            d = _dtype(spec.dtype)
            shape = [int(s) for s in (spec.shape if spec.shape is not None else [])]
            size = int(np.prod(shape)) if shape else 1
            default = None
            if spec.default_value is not None:
                default = (
                    np.broadcast_to(
                        _array(
                            np.asarray(
                                getattr(spec.default_value, "_value", spec.default_value),
                            )
                            .reshape(-1)
                            .tolist(),
                            d,
                        ),
                        [size],
                    )
                    if np.size(getattr(spec.default_value, "_value", spec.default_value))
                    in (1, size)
                    else None
                )
                if default is None:
                    raise ValueError(
                        f"Invalid default_value for feature {key!r}: its size "
                        f"does not match shape {shape}."
                    )
            rows = []
            for feats in decoded:
                vals = _values(feats, key, d)
                if vals is None or (not vals and size and default is not None):
                    if default is None:
                        raise _fail(
                            f"Feature: {key} (data type: "
                            f"{'float' if d.name == 'float32' else d.name}) is "
                            "required but could not be found."
                        )
                    rows.append(np.array(default))
                    continue
                if len(vals) != size:
                    kind = _KIND_FOR[d.name]
                    raise _fail(
                        f"Key: {key}.  Can't parse serialized Example: Some {kind} "
                        f"slice was not parsed (it has {len(vals)} values; shape "
                        f"{shape} needs {size})."
                    )
                rows.append(_array(vals, d))
            arr = np.stack(rows) if rows else _array([], d).reshape(0, size)
            out[key] = arr.reshape([len(records)] + shape)
        else:
            raise ValueError(
                f"Unsupported feature type for {key!r}: {type(spec).__name__}. "
                "Use FixedLenFeature or VarLenFeature."
            )
    return out


def _records(serialized: Any) -> tuple[list, tuple]:
    v = getattr(serialized, "_value", serialized)
    arr = np.asarray(v, dtype=object) if not isinstance(v, np.ndarray) else v
    flat = [x if isinstance(x, bytes) else str(x).encode() for x in arr.reshape(-1)]
    return flat, arr.shape


def parse_example(
    serialized: Any, features: dict, example_names: Any = None, name: str | None = None
) -> dict:
    """Parses a batch (1-D) of serialized Examples into a dict of tensors.

    FixedLenFeature gives a dense [batch] + shape tensor; VarLenFeature gives a
    SparseTensor with indices [n, 2] and dense_shape [batch, longest].

    >>> from ndflow._src.data.example_proto import Example, Features, Feature, Int64List
    >>> ex = Example(features=Features(feature={"x": Feature(int64_list=Int64List(value=[7]))}))
    >>> parse_example([ex.SerializeToString()], {"x": FixedLenFeature([], "int64")})["x"]
    <tf.Tensor: shape=(1,), dtype=int64, numpy=array([7])>
    """
    if structure.is_symbolic(serialized):
        return _parse_when_run(parse_example, serialized, features, batched=True)
    records, shape = _records(serialized)
    if len(shape) != 1:
        raise ValueError(f"Input serialized must be a vector, got shape {list(shape)}")
    parsed = _parse(records, features)
    return {k: _to_output(v) for k, v in parsed.items()}


def parse_single_example(
    serialized: Any, features: dict, example_names: Any = None, name: str | None = None
) -> dict:
    """Parses one serialized Example (a scalar string)."""
    if structure.is_symbolic(serialized):
        return _parse_when_run(parse_single_example, serialized, features, batched=False)
    records, shape = _records(serialized)
    if len(shape) != 0:
        raise ValueError(f"Input serialized must be a scalar, got shape {list(shape)}")
    parsed = _parse(records, features)
    out = {}
    for k, v in parsed.items():
        if isinstance(v, tuple):
            indices, values, dense = v
            out[k] = SparseTensor(indices[:, 1:], values, dense[1:])
        else:
            out[k] = wrap(v[0])
    return out


def _parse_when_run(parse: Any, serialized: Any, features: dict, batched: bool) -> dict:
    """Inside a traced function (a Dataset.map), parsing runs as a py_function op when
    the graph runs; dense features get their static shapes."""
    from ndflow._src.ops import script_ops

    keys = sorted(features)
    for k in keys:
        if not isinstance(features[k], FixedLenFeature):
            raise NotImplementedError(
                f"Feature {k!r}: only FixedLenFeature can be parsed inside tf.function or "
                "Dataset.map; parse VarLenFeature eagerly."
            )
    outs = script_ops.py_function(
        lambda s: [parse(s, features)[k] for k in keys],
        [serialized],
        [dtypes.as_dtype(features[k].dtype) for k in keys],
    )
    lead = list(serialized.shape) if batched else []
    result = {}
    for k, o in zip(keys, outs):
        o.set_shape(lead + list(features[k].shape))
        result[k] = o
    return result


def _to_output(v: Any) -> Any:
    if isinstance(v, tuple):
        return SparseTensor(*v)
    return wrap(v)
