"""Writing elements to disk: `Dataset.save` / `Dataset.load` and file-backed `cache`.

A saved dataset is a directory with `spec.json` (the element structure as JSON) and
`elements.npz`; strings are stored as concatenated UTF-8 bytes plus lengths, so no file
ever needs pickle.
"""

from __future__ import annotations

import json
import os
import tempfile
from typing import Any
from collections.abc import Iterator

import numpy as np

from ndflow._src.core import dtypes, nest
from ndflow._src.core.tensor_shape import TensorShape
from ndflow._src.data import structure
from ndflow._src.data.dataset_ops import DatasetV2, IterCtx
from ndflow._src.data.structure import TensorSpec


def _encode(arr: np.ndarray, key: str, out: dict) -> None:
    if arr.dtype.kind == "O":
        flat = [bytes(x) for x in arr.reshape(-1)]
        out[key + ".bytes"] = np.frombuffer(b"".join(flat), np.uint8)
        out[key + ".lengths"] = np.asarray([len(x) for x in flat], np.int64)
        out[key + ".shape"] = np.asarray(arr.shape, np.int64)
    else:
        out[key] = arr


def _decode(files: Any, key: str) -> np.ndarray:
    if key in files:
        return files[key]
    data = files[key + ".bytes"].tobytes()
    lengths = files[key + ".lengths"]
    shape = tuple(files[key + ".shape"].tolist())
    out = np.empty(len(lengths), object)
    pos = 0
    for i, n in enumerate(lengths.tolist()):
        out[i] = data[pos : pos + n]
        pos += n
    return out.reshape(shape)


def write_elements(path: str, elements: list) -> None:
    """Writes a list of flat elements to one .npz file (atomically)."""
    arrays: dict = {"count": np.asarray(len(elements), np.int64)}
    for i, e in enumerate(elements):
        for j, a in enumerate(e):
            _encode(np.asarray(a), f"e{i}_{j}", arrays)
    arrays["width"] = np.asarray(len(elements[0]) if elements else 0, np.int64)
    d = os.path.dirname(os.path.abspath(path))
    os.makedirs(d, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=d, suffix=".npz")
    os.close(fd)
    np.savez(tmp, **arrays)
    os.replace(tmp, path)


def read_elements(path: str) -> list:
    with np.load(path, allow_pickle=False) as files:
        count = int(files["count"])
        width = int(files["width"])
        return [tuple(_decode(files, f"e{i}_{j}") for j in range(width)) for i in range(count)]


def _spec_to_json(spec: Any) -> Any:
    if isinstance(spec, TensorSpec):
        return {
            "__spec__": [
                None if spec.shape._dims is None else list(spec.shape._dims),
                spec.dtype.name,
            ]
        }
    if isinstance(spec, dict):
        return {"__dict__": [[k, _spec_to_json(v)] for k, v in spec.items()]}
    if isinstance(spec, tuple):
        return {"__tuple__": [_spec_to_json(v) for v in spec]}
    raise TypeError(f"Dataset.save does not support element spec {spec!r}")


def _spec_from_json(obj: Any) -> Any:
    if "__spec__" in obj:
        shape, dtype = obj["__spec__"]
        return TensorSpec(TensorShape(shape), dtypes.as_dtype(dtype))
    if "__dict__" in obj:
        return {k: _spec_from_json(v) for k, v in obj["__dict__"]}
    return tuple(_spec_from_json(v) for v in obj["__tuple__"])


def save(dataset: DatasetV2, path: str) -> None:
    """`Dataset.save`: writes every element and the element spec under `path`."""
    path = os.fspath(path)
    os.makedirs(path, exist_ok=True)
    elements = list(dataset._iter(dataset._new_ctx()))
    write_elements(os.path.join(path, "elements.npz"), elements)
    spec = json.dumps(_spec_to_json(dataset.element_spec))
    with open(os.path.join(path, "spec.json"), "w") as f:
        f.write(spec)


class _LoadedDataset(DatasetV2):
    def __init__(self, elements: list, spec: Any) -> None:
        super().__init__()
        self._elements = elements
        self._spec = spec

    def _compute_spec(self) -> Any:
        return self._spec

    def _card(self) -> int:
        return len(self._elements)

    def _iter(self, ctx: IterCtx) -> Iterator[tuple]:
        return iter(self._elements)


def load(path: str, element_spec: Any = None) -> DatasetV2:
    """`Dataset.load`: a dataset of the elements saved under `path`."""
    path = os.fspath(path)
    if element_spec is None:
        with open(os.path.join(path, "spec.json")) as f:
            element_spec = _spec_from_json(json.load(f))
    elements = read_elements(os.path.join(path, "elements.npz"))
    if elements and len(elements[0]) != len(nest.flatten(element_spec)):
        raise ValueError("The given element_spec does not match the saved elements.")
    return _LoadedDataset(elements, element_spec)


_ = structure
