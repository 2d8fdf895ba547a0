"""`tf.train.Checkpoint`: save and restore the variables of an object graph by path.

>>> import ndflow as tf, tempfile
>>> m = tf.Module(); m.w = tf.Variable(2.0)
>>> ckpt = tf.train.Checkpoint(model=m)
>>> path = ckpt.save(tempfile.mkdtemp() + "/ckpt")
>>> path.endswith("ckpt-1")
True
>>> _ = m.w.assign(5.0)
>>> ckpt.restore(path).assert_consumed() is not None
True
>>> float(m.w.numpy())
2.0
"""

from __future__ import annotations

import os
from typing import Any

from ndflow._src.checkpoint import fileio, state
from ndflow._src.checkpoint import graph as graph_lib
from ndflow._src.checkpoint import restore as restore_lib
from ndflow._src.core import dtypes, errors
from ndflow._src.core.context import eager_scope, name_scope
from ndflow._src.module import trackable
from ndflow._src.variables.variable import Variable


class CheckpointOptions:
    """`tf.train.CheckpointOptions`: accepted for compatibility; ndflow has one device."""

    def __init__(
        self,
        experimental_io_device: str | None = None,
        experimental_enable_async_checkpoint: bool = False,
        experimental_write_callbacks: Any = None,
        enable_async: bool = False,
        experimental_sharding_callback: Any = None,
        experimental_skip_slot_variables: bool = False,
    ) -> None:
        self.experimental_io_device = experimental_io_device
        self.experimental_enable_async_checkpoint = experimental_enable_async_checkpoint
        self.experimental_write_callbacks = experimental_write_callbacks
        self.enable_async = enable_async
        self.experimental_sharding_callback = experimental_sharding_callback
        self.experimental_skip_slot_variables = experimental_skip_slot_variables


def _assert_trackable(obj: Any, name: str) -> None:
    if not (trackable.is_trackable(obj) or trackable.is_container(obj)):
        raise ValueError(
            f"`Checkpoint` was expecting {name} to be a trackable object (an object derived "
            f"from `Trackable`), got {obj}. If you believe this object should be trackable "
            "(i.e. it is part of the TensorFlow Python API and manages state), please open an "
            "issue."
        )


class Checkpoint:
    """`tf.train.Checkpoint(root=None, **objects)`: groups trackable objects for saving.

    Each keyword argument becomes a named child of the checkpoint (or of `root`, when
    given); variables are found through their children (tf.Module attributes, lists,
    dicts) and saved under their path, e.g. `model/dense/w/.ATTRIBUTES/VARIABLE_VALUE`.

    Args:
        root: optional root object; its own children are saved at the top level.
        **kwargs: objects to save: variables, modules, other trackables, or lists,
            tuples and dicts of them.

    Raises:
        ValueError: a keyword argument is not trackable, or clashes with a child of root.
    """

    def __init__(self, root: Any = None, **kwargs: Any) -> None:
        object.__setattr__(self, "_ckpt_children", {})
        object.__setattr__(self, "_save_counter", None)
        if root is not None:
            import weakref

            if isinstance(root, weakref.ref):
                root = root()
            _assert_trackable(root, "root")
        object.__setattr__(self, "_root", root)
        for k, v in sorted(kwargs.items(), key=lambda kv: kv[0]):
            _assert_trackable(v, k)
            if root is not None:
                existing = trackable.children(root).get(k)
                if existing is not None and existing is not v:
                    raise ValueError(
                        f"Cannot create a Checkpoint with keyword argument {k} if root.{k} "
                        "already exists."
                    )
            setattr(self, k, v)

    def __setattr__(self, name: str, value: Any) -> None:
        object.__setattr__(self, name, value)
        if not name.startswith("_") and (
            trackable.is_trackable(value) or trackable.is_container(value)
        ):
            self._ckpt_children[name] = value
            trackable.notify_attached(self, name, value)

    def __delattr__(self, name: str) -> None:
        object.__delattr__(self, name)
        self._ckpt_children.pop(name, None)

    # ------------------------------------------------------------------ object graph
    def _trackable_children(self, save_type: str = trackable.CHECKPOINT, **kwargs: Any) -> dict:
        kids = dict(self._ckpt_children)
        if self._save_counter is not None:
            kids["save_counter"] = self._save_counter
        return kids

    def _graph_root(self) -> tuple[Any, Any]:
        """(root object, callable giving extra root children or None)."""
        if self._root is None:
            return self, None
        return self._root, self._trackable_children

    def _graph_objects(self) -> list:
        root, extra = self._graph_root()
        return graph_lib.ObjectGraph(root, extra() if extra else None).objects

    @property
    def save_counter(self) -> Variable:
        """An int64 variable counting `save()` calls; it numbers the checkpoints."""
        self._maybe_create_save_counter()
        return self._save_counter

    def _maybe_create_save_counter(self) -> None:
        if self._save_counter is None:
            with eager_scope(), name_scope(None):
                v = Variable(0, dtype=dtypes.int64, trainable=False, name="save_counter")
            object.__setattr__(self, "_save_counter", v)
            parent = self if self._root is None else self._root
            trackable.notify_attached(parent, "save_counter", v)

    # ------------------------------------------------------------------ saving
    def write(self, file_prefix: Any, options: CheckpointOptions | None = None) -> str:
        """Writes a checkpoint at `file_prefix` (no numbering, no state file).

        Returns:
            `file_prefix` as a string; the files are `file_prefix.index` and
            `file_prefix.data-00000-of-00001`.
        """
        prefix = os.fspath(file_prefix)
        root, extra = self._graph_root()
        graph, tensors = graph_lib.build_for_save(root, extra() if extra else None)
        fileio.write_checkpoint(prefix, graph, tensors)
        return prefix

    def save(self, file_prefix: Any, options: CheckpointOptions | None = None) -> str:
        """Saves a numbered checkpoint `file_prefix-N` (N = the incremented save_counter)
        and records it in the directory's `checkpoint` state file.

        Returns:
            The checkpoint's path prefix, for `restore()`.
        """
        prefix = os.fspath(file_prefix)
        counter = self.save_counter
        with eager_scope():
            counter.assign_add(1)
        try:
            path = f"{prefix}-{int(counter.numpy())}"
            self.write(path, options)
        except BaseException:
            with eager_scope():
                counter.assign_sub(1)
            raise
        state.update_checkpoint_state(os.path.dirname(path), path, [path])
        return path

    # ------------------------------------------------------------------ restoring
    def read(self, save_path: Any, options: CheckpointOptions | None = None) -> Any:
        """Restores from `save_path` (a prefix written by `write` or `save`).

        Variables that exist get their values at once; values for objects not created
        yet are applied when they are attached (e.g. `module.w = tf.Variable(...)`).

        Returns:
            A `CheckpointLoadStatus` with `assert_consumed()` and friends.

        Raises:
            NotFoundError: no checkpoint at `save_path`.
            DataLossError: a checkpoint file is truncated, corrupt or not a checkpoint.
        """
        prefix = os.fspath(save_path)
        index = fileio.read_index(prefix)
        with fileio.DataFile(prefix, index) as data:
            values = {key: data.get(key) for key in index["tensors"]}
        self._maybe_create_save_counter()
        root, extra = self._graph_root()
        r = restore_lib.Restoration(prefix, index, values, root, extra)
        r.bind(0, root, root, ())
        return restore_lib.CheckpointLoadStatus(r, self._graph_objects)

    def restore(self, save_path: Any, options: CheckpointOptions | None = None) -> Any:
        """Like `read`; `save_path=None` returns a status that restores nothing."""
        if save_path is None:
            return restore_lib.InitializationOnlyStatus()
        try:
            return self.read(save_path, options)
        except errors.NotFoundError as e:
            raise errors.NotFoundError(
                None,
                None,
                f"Error when restoring from checkpoint or SavedModel at {os.fspath(save_path)}: "
                f"{e.message}\nPlease double-check that the path is correct. You may be "
                "missing the checkpoint suffix (e.g. the '-1' in 'path/to/ckpt-1').",
            ) from None

    def sync(self) -> None:
        """Checkpoints are written synchronously; nothing to wait for."""


restore_lib._ATTRIBUTE_CHILDREN.add(Checkpoint._trackable_children)
