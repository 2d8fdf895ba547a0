"""Helpers for tf.data parity tests: canonical forms of elements, specs and pipelines."""

from __future__ import annotations

from typing import Any

import numpy as np


def canon(value: Any) -> Any:
    """A comparable form of an as_numpy_iterator element (dicts, tuples, arrays)."""
    if isinstance(value, dict):
        return {k: canon(v) for k, v in value.items()}
    if isinstance(value, (tuple, list)):
        return tuple(canon(v) for v in value)
    if isinstance(value, bytes):
        return ("bytes", value)
    arr = np.asarray(value)
    vals = arr.tolist()
    if arr.dtype.kind == "f":
        vals = np.round(arr.astype(np.float64), 5).tolist()
    return (arr.dtype.name if arr.dtype.kind != "O" else "object", arr.shape, vals)


def canon_spec(spec: Any) -> Any:
    if isinstance(spec, dict):
        return {k: canon_spec(v) for k, v in spec.items()}
    if isinstance(spec, tuple):
        return tuple(canon_spec(v) for v in spec)
    if type(spec).__name__ == "DatasetSpec":
        return ("dataset", canon_spec(spec.element_spec))
    dims = spec.shape.as_list() if spec.shape.rank is not None else None
    return (tuple(dims) if dims is not None else None, spec.dtype.name)


def run(ds: Any, limit: int = 200) -> list:
    out = []
    for i, e in enumerate(ds.as_numpy_iterator()):
        if i >= limit:
            break
        out.append(canon(e))
    return out


def windows(ds: Any) -> list:
    """Window elements are datasets; read each into a list."""
    out = []
    for w in ds:
        if isinstance(w, tuple):
            out.append(tuple([canon(x) for x in c.as_numpy_iterator()] for c in w))
        else:
            out.append([canon(x) for x in w.as_numpy_iterator()])
    return out
