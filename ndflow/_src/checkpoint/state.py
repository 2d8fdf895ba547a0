"""The `checkpoint` state file: which checkpoints a directory holds, newest last.

It is written in TensorFlow's text format (one `field: value` per line) so directories look
the same to people and tools, and parsed by a strict reader that accepts only these four
fields; nothing in it is ever evaluated. Writes are atomic (temporary file, then rename).

    model_checkpoint_path: "ckpt-3"
    all_model_checkpoint_paths: "ckpt-2"
    all_model_checkpoint_paths: "ckpt-3"
    all_model_checkpoint_timestamps: 1700000000.5
    all_model_checkpoint_timestamps: 1700000100.25
    last_preserved_timestamp: 1699999999.0
"""

from __future__ import annotations

import codecs
import os
import re
import warnings
from typing import Any

from ndflow._src.checkpoint import fileio

STATE_FILENAME = "checkpoint"
_LINE = re.compile(r'^\s*([a-z_]+)\s*:\s*(?:"((?:[^"\\]|\\.)*)"|([-+0-9.eE]+|inf|nan))\s*$')
_STRING_FIELDS = ("model_checkpoint_path", "all_model_checkpoint_paths")
_FLOAT_FIELDS = ("all_model_checkpoint_timestamps", "last_preserved_timestamp")


class CheckpointState:
    """The parsed state file (the fields of TensorFlow's `CheckpointState` proto)."""

    def __init__(
        self,
        model_checkpoint_path: str = "",
        all_model_checkpoint_paths: list[str] | None = None,
        all_model_checkpoint_timestamps: list[float] | None = None,
        last_preserved_timestamp: float = 0.0,
    ) -> None:
        self.model_checkpoint_path = model_checkpoint_path
        self.all_model_checkpoint_paths = list(all_model_checkpoint_paths or [])
        self.all_model_checkpoint_timestamps = list(all_model_checkpoint_timestamps or [])
        self.last_preserved_timestamp = last_preserved_timestamp

    def __repr__(self) -> str:
        return _to_text(self)


def _quote(s: str) -> str:
    out = s.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "\\r")
    return f'"{out}"'


def _to_text(st: CheckpointState) -> str:
    lines = [f"model_checkpoint_path: {_quote(st.model_checkpoint_path)}"]
    lines += [f"all_model_checkpoint_paths: {_quote(p)}" for p in st.all_model_checkpoint_paths]
    lines += [f"all_model_checkpoint_timestamps: {t!r}" for t in st.all_model_checkpoint_timestamps]
    if st.last_preserved_timestamp:
        lines.append(f"last_preserved_timestamp: {st.last_preserved_timestamp!r}")
    return "\n".join(lines) + "\n"


def parse_state(text: str, path: str) -> CheckpointState:
    """Parses state file text; raises ValueError naming `path` on anything unexpected."""
    st = CheckpointState()
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        m = _LINE.match(line)
        if m is None:
            raise ValueError(f"{path}:{n}: cannot parse checkpoint state line {line[:80]!r}")
        field, string, number = m.groups()
        if field in _STRING_FIELDS and string is not None:
            value = codecs.escape_decode(string.encode("utf-8"))[0].decode("utf-8")
            if field == "model_checkpoint_path":
                st.model_checkpoint_path = value
            else:
                st.all_model_checkpoint_paths.append(value)
        elif field in _FLOAT_FIELDS and number is not None:
            if field == "last_preserved_timestamp":
                st.last_preserved_timestamp = float(number)
            else:
                st.all_model_checkpoint_timestamps.append(float(number))
        else:
            raise ValueError(f"{path}:{n}: unexpected checkpoint state field {field!r}")
    return st


def get_checkpoint_state(checkpoint_dir: Any, latest_filename: str | None = None) -> Any:
    """`tf.train.get_checkpoint_state`: the state of `checkpoint_dir`, or None.

    Relative paths in the file are returned joined with `checkpoint_dir`. An unreadable
    state file gives None and a warning naming it, as in TensorFlow.
    """
    checkpoint_dir = os.fspath(checkpoint_dir)
    path = os.path.join(checkpoint_dir, latest_filename or STATE_FILENAME)
    if not os.path.isfile(path):
        return None
    try:
        with open(path, "rb") as f:
            st = parse_state(f.read().decode("utf-8"), path)
    except (ValueError, UnicodeDecodeError, OSError) as e:
        warnings.warn(f"Ignoring unreadable checkpoint state file {path}: {e}", stacklevel=2)
        return None
    if not st.model_checkpoint_path:
        warnings.warn(
            f"Ignoring checkpoint state file {path}: no model_checkpoint_path", stacklevel=2
        )
        return None

    def absolute(p: str) -> str:
        return p if os.path.isabs(p) else os.path.join(checkpoint_dir, p)

    st.model_checkpoint_path = absolute(st.model_checkpoint_path)
    st.all_model_checkpoint_paths = [absolute(p) for p in st.all_model_checkpoint_paths]
    return st


def update_checkpoint_state(
    save_dir: str,
    model_checkpoint_path: str,
    all_model_checkpoint_paths: list[str],
    all_model_checkpoint_timestamps: list[float] | None = None,
    last_preserved_timestamp: float | None = None,
) -> None:
    """Atomically rewrites `save_dir/checkpoint`, storing paths relative to `save_dir`."""

    def relative(p: str) -> str:
        return os.path.relpath(p, save_dir or ".")

    st = CheckpointState(
        relative(model_checkpoint_path),
        [relative(p) for p in all_model_checkpoint_paths],
        all_model_checkpoint_timestamps,
        last_preserved_timestamp or 0.0,
    )
    data = _to_text(st).encode("utf-8")
    if save_dir:
        os.makedirs(save_dir, exist_ok=True)
    fileio.atomic_write(os.path.join(save_dir, STATE_FILENAME), lambda f: f.write(data))


def checkpoint_exists(prefix: str) -> bool:
    return os.path.isfile(prefix + fileio.INDEX_SUFFIX)


def latest_checkpoint(checkpoint_dir: Any, latest_filename: str | None = None) -> str | None:
    """`tf.train.latest_checkpoint`: the newest checkpoint prefix in a directory, or None.

    >>> import ndflow as tf, tempfile
    >>> d = tempfile.mkdtemp()
    >>> path = tf.train.Checkpoint(v=tf.Variable(1.0)).save(d + "/ckpt")
    >>> tf.train.latest_checkpoint(d) == path
    True
    """
    st = get_checkpoint_state(checkpoint_dir, latest_filename)
    if st is None:
        return None
    if checkpoint_exists(st.model_checkpoint_path):
        return st.model_checkpoint_path
    warnings.warn(f"Couldn't match files for checkpoint {st.model_checkpoint_path}", stacklevel=2)
    return None
