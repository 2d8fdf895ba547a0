"""Reading checkpoints without a program: `tf.train.load_checkpoint`, `list_variables`,
`load_variable`.

>>> import ndflow as tf, tempfile
>>> path = tf.train.Checkpoint(v=tf.Variable([1.0, 2.0])).save(tempfile.mkdtemp() + "/c")
>>> tf.train.list_variables(path)[-1]
('v/.ATTRIBUTES/VARIABLE_VALUE', [2])
>>> tf.train.load_checkpoint(path).get_tensor("v/.ATTRIBUTES/VARIABLE_VALUE")
array([1., 2.], dtype=float32)
"""

from __future__ import annotations

import json
import os
from typing import Any

import numpy as np

from ndflow._src.checkpoint import fileio, state
from ndflow._src.core import dtypes, errors


class CheckpointReader:
    """Reads the tensors of one checkpoint by key (what `tf.train.load_checkpoint` returns)."""

    def __init__(self, prefix: str) -> None:
        self._prefix = prefix
        self._index = fileio.read_index(prefix)
        # Open the data file once now, so a broken checkpoint fails here, as in TensorFlow.
        fileio.DataFile(prefix, self._index).close()
        self._graph_bytes = json.dumps(self._index["object_graph"]).encode("utf-8")

    def has_tensor(self, name: str) -> bool:
        return name in self._index["tensors"] or name == fileio.OBJECT_GRAPH_KEY

    def get_tensor(self, name: str) -> Any:
        """The value saved under `name`: an ndarray (a NumPy scalar or bytes for scalars).

        Raises:
            NotFoundError: no tensor `name` in the checkpoint.
        """
        if name == fileio.OBJECT_GRAPH_KEY:
            return self._graph_bytes
        if name not in self._index["tensors"]:
            raise errors.NotFoundError(None, None, f"Key {name} not found in checkpoint")
        with fileio.DataFile(self._prefix, self._index, verify=False) as data:
            array, _ = data.get(name)
        return array[()] if array.ndim == 0 else array

    def get_variable_to_shape_map(self) -> dict[str, list[int]]:
        out = {k: list(e["shape"]) for k, e in self._index["tensors"].items()}
        out[fileio.OBJECT_GRAPH_KEY] = []
        return out

    def get_variable_to_dtype_map(self) -> dict[str, dtypes.DType]:
        out = {k: dtypes.as_dtype(e["dtype"]) for k, e in self._index["tensors"].items()}
        out[fileio.OBJECT_GRAPH_KEY] = dtypes.string
        return out

    def debug_string(self) -> bytes:
        shapes = self.get_variable_to_shape_map()
        kinds = self.get_variable_to_dtype_map()
        lines = [f"{k} ({kinds[k].name}) {shapes[k]}" for k in sorted(shapes)]
        return ("\n".join(lines) + "\n").encode("utf-8")


def _resolve(ckpt_dir_or_file: Any) -> str:
    path = os.fspath(ckpt_dir_or_file)
    if os.path.isdir(path):
        latest = state.latest_checkpoint(path)
        if latest is None:
            raise ValueError(
                f"Couldn't find 'checkpoint' file or checkpoints in given directory {path}"
            )
        return latest
    return path


def load_checkpoint(ckpt_dir_or_file: Any) -> CheckpointReader:
    """`tf.train.load_checkpoint`: a reader for a checkpoint prefix, or for the latest
    checkpoint of a directory.

    Raises:
        ValueError: a directory with no checkpoint.
        NotFoundError: no checkpoint at the path.
        DataLossError: a checkpoint file is truncated, corrupt or foreign.
    """
    return CheckpointReader(_resolve(ckpt_dir_or_file))


def list_variables(ckpt_dir_or_file: Any) -> list[tuple[str, list[int]]]:
    """`tf.train.list_variables`: sorted (key, shape) pairs of a checkpoint."""
    reader = load_checkpoint(ckpt_dir_or_file)
    shapes = reader.get_variable_to_shape_map()
    return [(k, shapes[k]) for k in sorted(shapes)]


def load_variable(ckpt_dir_or_file: Any, name: str) -> np.ndarray:
    """`tf.train.load_variable`: one saved value by key (a trailing ":0" is ignored)."""
    if name.endswith(":0"):
        name = name[:-2]
    return load_checkpoint(ckpt_dir_or_file).get_tensor(name)
