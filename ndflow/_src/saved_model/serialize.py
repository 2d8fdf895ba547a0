"""JSON encoding of what a SavedModel stores: attr values, argument/output structures and
graphs. Decoding only builds plain values (numbers, strings, tuples, DTypes, shapes,
arrays) and graph functions rebuilt through the op registry: nothing is imported,
evaluated or unpickled.
"""

from __future__ import annotations

import base64
import collections
import math
from typing import Any

import numpy as np

from ndflow._src.core import dtypes
from ndflow._src.core.tensor_shape import TensorShape
from ndflow._src.framework.tensor import Tensor, VariableBase
from ndflow._src.function.tensor_spec import TensorSpec


class FormatError(Exception):
    """A saved structure that does not decode (corrupt or foreign file)."""


_DTYPES = {d.name: d for d in dtypes.__dict__.values() if isinstance(d, dtypes.DType)}


def dtype_of(name: Any) -> dtypes.DType:
    if not isinstance(name, str) or name not in _DTYPES:
        raise FormatError(f"unknown dtype {name!r}")
    return _DTYPES[name]


def dims_of(dims: Any) -> tuple | None:
    if dims is None:
        return None
    if not isinstance(dims, list) or not all(
        d is None or (isinstance(d, int) and not isinstance(d, bool) and d >= 0) for d in dims
    ):
        raise FormatError(f"bad shape {dims!r}")
    return tuple(dims)


class UnsavableError(Exception):
    """A value (a Python callable, an arbitrary object) that cannot be stored."""


def encode_value(v: Any, arrays: Any, functions: Any) -> Any:
    """One attr value as JSON. `arrays(ndarray, dtype) -> key` stores arrays;
    `functions(graph_function) -> name` stores nested graph functions."""
    if v is None or isinstance(v, (bool, str)):
        return v
    if isinstance(v, int):
        return v
    if isinstance(v, float):
        if math.isfinite(v):
            return v
        return {"float": repr(v)}
    if isinstance(v, dtypes.DType):
        return {"dtype": v.name}
    if isinstance(v, TensorShape):
        return {"shape": None if v._dims is None else list(v._dims)}
    if isinstance(v, TensorSpec):
        return {"spec": [_dims_list(v.shape._dims), v.dtype.name, v.name]}
    if isinstance(v, bytes):
        return {"bytes": base64.b64encode(v).decode("ascii")}
    if isinstance(v, np.generic):
        return {"scalar": arrays(np.asarray(v), dtypes.from_numpy(v.dtype))}
    if isinstance(v, np.ndarray):
        if v.dtype == object:
            return {"array": arrays(v, dtypes.string), "np_dtype": "object"}
        return {"array": arrays(v, dtypes.from_numpy(v.dtype))}
    if isinstance(v, np.dtype):
        return {"np_dtype": v.str}
    if getattr(v, "_is_graph_function", False):
        return {"function": functions(v)}
    if isinstance(v, slice):
        return {"slice": [encode_value(x, arrays, functions) for x in (v.start, v.stop, v.step)]}
    if isinstance(v, tuple) and hasattr(type(v), "_fields"):
        return {
            "namedtuple": type(v).__name__,
            "fields": list(type(v)._fields),
            "items": [encode_value(x, arrays, functions) for x in v],
        }
    if isinstance(v, tuple):
        return {"tuple": [encode_value(x, arrays, functions) for x in v]}
    if isinstance(v, list):
        return {"list": [encode_value(x, arrays, functions) for x in v]}
    if isinstance(v, dict):
        return {
            "dict": [
                [encode_value(k, arrays, functions), encode_value(x, arrays, functions)]
                for k, x in v.items()
            ]
        }
    if callable(v):
        raise UnsavableError(f"a Python callable ({v!r})")
    raise UnsavableError(f"a {type(v).__name__} object ({v!r})")


def _dims_list(dims: Any) -> Any:
    return None if dims is None else list(dims)


_NAMEDTUPLES: dict = {}


def _namedtuple(name: Any, fields: Any) -> type:
    if not isinstance(name, str) or not name.isidentifier():
        raise FormatError(f"bad namedtuple name {name!r}")
    if not isinstance(fields, list) or not all(
        isinstance(f, str) and f.isidentifier() and not f.startswith("_") for f in fields
    ):
        raise FormatError(f"bad namedtuple fields {fields!r}")
    key = (name, tuple(fields))
    cls = _NAMEDTUPLES.get(key)
    if cls is None:
        cls = _NAMEDTUPLES[key] = collections.namedtuple(name, fields)
    return cls


def decode_value(j: Any, arrays: Any, functions: Any) -> Any:
    """The inverse of `encode_value`; raises FormatError on anything unexpected."""
    if j is None or isinstance(j, (bool, str, int, float)):
        return j
    if isinstance(j, list):
        raise FormatError("bare JSON list in a value")
    if not isinstance(j, dict) or not j:
        raise FormatError(f"bad value {j!r}")

    def dec(x: Any) -> Any:
        return decode_value(x, arrays, functions)

    if "float" in j:
        if j["float"] not in ("nan", "inf", "-inf"):
            raise FormatError(f"bad float {j['float']!r}")
        return float(j["float"])
    if "dtype" in j:
        return dtype_of(j["dtype"])
    if "shape" in j:
        return TensorShape(dims_of(j["shape"]))
    if "spec" in j:
        dims, dt, name = _triple(j["spec"])
        if name is not None and not isinstance(name, str):
            raise FormatError("bad spec name")
        return TensorSpec(dims_of(dims), dtype_of(dt), name)
    if "bytes" in j:
        try:
            return base64.b64decode(j["bytes"], validate=True)
        except (ValueError, TypeError) as e:
            raise FormatError(f"bad bytes ({e})") from None
    if "scalar" in j:
        return arrays(j["scalar"])[()]
    if "array" in j:
        return arrays(j["array"])
    if "np_dtype" in j:
        try:
            return np.dtype(str(j["np_dtype"]))
        except TypeError as e:
            raise FormatError(f"bad numpy dtype ({e})") from None
    if "function" in j:
        return functions(j["function"])
    if "slice" in j:
        return slice(*_triple(j["slice"], dec))
    if "namedtuple" in j:
        cls = _namedtuple(j["namedtuple"], j.get("fields"))
        items = _list(j.get("items"))
        if len(items) != len(cls._fields):
            raise FormatError("namedtuple arity")
        return cls(*[dec(x) for x in items])
    if "tuple" in j:
        return tuple(dec(x) for x in _list(j["tuple"]))
    if "list" in j:
        return [dec(x) for x in _list(j["list"])]
    if "dict" in j:
        out = {}
        for pair in _list(j["dict"]):
            if not isinstance(pair, list) or len(pair) != 2:
                raise FormatError("bad dict item")
            k = dec(pair[0])
            try:
                out[k] = dec(pair[1])
            except TypeError:
                raise FormatError("unhashable dict key") from None
        return out
    raise FormatError(f"unknown value tag {sorted(j)!r}")


def _list(x: Any) -> list:
    if not isinstance(x, list):
        raise FormatError(f"expected a list, got {type(x).__name__}")
    return x


def _triple(x: Any, f: Any = None) -> tuple:
    if not isinstance(x, list) or len(x) != 3:
        raise FormatError(f"expected 3 items, got {x!r}")
    return tuple(f(v) for v in x) if f else tuple(x)


# ---------------------------------------------------------------------------- structures


def encode_structure(s: Any, tensor_index: Any) -> Any:
    """Argument and output structures: TensorSpecs, graph tensors (by output index, via
    `tensor_index(t)`), Python literals, and lists/tuples/dicts/namedtuples of them."""

    def no_arrays(a: Any, d: Any) -> str:
        raise UnsavableError(f"an array ({a!r})")

    def no_functions(f: Any) -> str:
        raise UnsavableError(f"a graph function ({f!r})")

    def enc(x: Any) -> Any:
        if isinstance(x, Tensor) and not isinstance(x, VariableBase):
            return {"output": tensor_index(x)}
        if isinstance(x, (list, tuple, dict)):
            if isinstance(x, dict):
                return {
                    "dict": [
                        [encode_value(k, no_arrays, no_functions), enc(v)] for k, v in x.items()
                    ]
                }
            items = [enc(v) for v in x]
            if isinstance(x, tuple) and hasattr(type(x), "_fields"):
                return {
                    "namedtuple": type(x).__name__,
                    "fields": list(type(x)._fields),
                    "items": items,
                }
            return {"tuple" if isinstance(x, tuple) else "list": items}
        return encode_value(x, no_arrays, no_functions)

    return enc(s)


def decode_structure(j: Any, outputs: list | None = None) -> Any:
    """The inverse of `encode_structure`; `{"output": i}` becomes `outputs[i]`."""

    def no_arrays(key: Any) -> Any:
        raise FormatError("arrays are not allowed in a structure")

    def no_functions(name: Any) -> Any:
        raise FormatError("functions are not allowed in a structure")

    def dec(x: Any) -> Any:
        if isinstance(x, dict) and "output" in x:
            i = x["output"]
            if outputs is None or not isinstance(i, int) or not 0 <= i < len(outputs):
                raise FormatError(f"bad output reference {i!r}")
            return outputs[i]
        if isinstance(x, dict) and "dict" in x:
            out = {}
            for pair in _list(x["dict"]):
                if not isinstance(pair, list) or len(pair) != 2:
                    raise FormatError("bad dict item")
                try:
                    out[decode_value(pair[0], no_arrays, no_functions)] = dec(pair[1])
                except TypeError:
                    raise FormatError("unhashable dict key") from None
            return out
        if isinstance(x, dict) and "namedtuple" in x:
            cls = _namedtuple(x["namedtuple"], x.get("fields"))
            items = _list(x.get("items"))
            if len(items) != len(cls._fields):
                raise FormatError("namedtuple arity")
            return cls(*[dec(v) for v in items])
        if isinstance(x, dict) and "tuple" in x:
            return tuple(dec(v) for v in _list(x["tuple"]))
        if isinstance(x, dict) and "list" in x:
            return [dec(v) for v in _list(x["list"])]
        return decode_value(x, no_arrays, no_functions)

    return dec(j)
