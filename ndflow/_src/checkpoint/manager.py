"""`tf.train.CheckpointManager`: numbered checkpoints in a directory, oldest deleted.

>>> import ndflow as tf, tempfile
>>> ckpt = tf.train.Checkpoint(v=tf.Variable(1.0))
>>> manager = tf.train.CheckpointManager(ckpt, tempfile.mkdtemp(), max_to_keep=2)
>>> paths = [manager.save() for _ in range(3)]
>>> [p.rsplit("/", 1)[-1] for p in manager.checkpoints]
['ckpt-2', 'ckpt-3']
"""

from __future__ import annotations

import collections
import os
import time
from typing import Any
from collections.abc import Callable

import numpy as np

from ndflow._src.checkpoint import fileio, state
from ndflow._src.core.context import eager_scope


def _as_int(value: Any) -> int:
    if hasattr(value, "numpy"):
        value = value.numpy()
    return int(np.asarray(value))


class CheckpointManager:
    """Saves numbered checkpoints of `checkpoint` under `directory` and keeps the newest.

    Args:
        checkpoint: the `tf.train.Checkpoint` to save and restore.
        directory: where checkpoints and the `checkpoint` state file go.
        max_to_keep: how many recent checkpoints to keep (None keeps all).
        keep_checkpoint_every_n_hours: additionally keep one checkpoint per this many
            hours forever (it leaves the managed list).
        checkpoint_name: file name prefix ("ckpt" gives `ckpt-1`, `ckpt-2`, ...).
        step_counter, checkpoint_interval: with both, `save()` writes only when the step
            advanced by at least `checkpoint_interval` since the last checkpoint.
        init_fn: called by `restore_or_initialize()` when there is nothing to restore.
        last_checkpoint_step: the step of the last checkpoint, for `checkpoint_interval`.

    Raises:
        ValueError: `max_to_keep` is not positive, or `checkpoint_interval` lacks
            `step_counter`.
    """

    def __init__(
        self,
        checkpoint: Any,
        directory: Any,
        max_to_keep: int | None,
        keep_checkpoint_every_n_hours: float | None = None,
        checkpoint_name: str = "ckpt",
        step_counter: Any = None,
        checkpoint_interval: int | None = None,
        init_fn: Callable[[], Any] | None = None,
        last_checkpoint_step: int | None = None,
    ) -> None:
        self._checkpoint = checkpoint
        self._directory = os.fspath(directory)
        if max_to_keep is not None and max_to_keep <= 0:
            raise ValueError(
                f"Expected a positive integer or `None` for `max_to_keep`, got {max_to_keep}."
            )
        if checkpoint_interval is not None and step_counter is None:
            raise ValueError(
                "`step_counter` should be passed if `checkpoint_interval` is not None."
            )
        self._max_to_keep = max_to_keep
        self._keep_every_n_hours = keep_checkpoint_every_n_hours
        self._prefix = os.path.join(self._directory, checkpoint_name)
        self._step_counter = step_counter
        self._checkpoint_interval = checkpoint_interval
        self._init_fn = init_fn
        self._last_checkpoint_step = last_checkpoint_step
        self._maybe_delete: collections.OrderedDict[str, float] = collections.OrderedDict()
        self._latest_checkpoint: str | None = None
        self._last_preserved_timestamp = time.time()
        recovered = state.get_checkpoint_state(self._directory)
        if recovered is not None:
            self._latest_checkpoint = recovered.model_checkpoint_path
            if recovered.last_preserved_timestamp:
                self._last_preserved_timestamp = recovered.last_preserved_timestamp
            stamps = recovered.all_model_checkpoint_timestamps
            if len(stamps) != len(recovered.all_model_checkpoint_paths):
                stamps = [self._last_preserved_timestamp] * len(
                    recovered.all_model_checkpoint_paths
                )
            for path, stamp in zip(recovered.all_model_checkpoint_paths, stamps):
                # Older than the last preserved one: kept forever, no longer managed.
                if (
                    stamp >= self._last_preserved_timestamp
                    or not recovered.last_preserved_timestamp
                ):
                    self._maybe_delete[path] = stamp

    @property
    def directory(self) -> str:
        return self._directory

    @property
    def checkpoint(self) -> Any:
        return self._checkpoint

    @property
    def checkpoint_interval(self) -> int | None:
        return self._checkpoint_interval

    @property
    def latest_checkpoint(self) -> str | None:
        """The newest checkpoint's prefix, or None before the first save."""
        return self._latest_checkpoint

    @property
    def checkpoints(self) -> list[str]:
        """Managed checkpoint prefixes, oldest first."""
        return list(self._maybe_delete)

    def save(
        self, checkpoint_number: Any = None, check_interval: bool = True, options: Any = None
    ) -> str | None:
        """Writes `directory/ckpt-N`, updates the state file and deletes old checkpoints.

        Args:
            checkpoint_number: N (an int, variable or tensor); by default the checkpoint's
                `save_counter`, which is incremented either way.
            check_interval: with `checkpoint_interval`, skip the save when the step has not
                advanced enough.

        Returns:
            The new checkpoint's prefix, or None when skipped because of the interval.
        """
        if self._checkpoint_interval is not None:
            step = _as_int(self._step_counter)
            if self._last_checkpoint_step is not None:
                if step == self._last_checkpoint_step:
                    return None
                if check_interval and step < self._last_checkpoint_step + self._checkpoint_interval:
                    return None
            self._last_checkpoint_step = step
        counter = getattr(self._checkpoint, "save_counter", None)
        if counter is not None:
            with eager_scope():
                counter.assign_add(1)
        if checkpoint_number is None:
            if counter is None:
                raise ValueError(
                    "checkpoint_number is required when the checkpoint has no save_counter."
                )
            checkpoint_number = counter
        path = f"{self._prefix}-{_as_int(checkpoint_number)}"
        self._checkpoint.write(path, options)
        now = time.time()
        self._maybe_delete.pop(path, None)
        self._maybe_delete[path] = now
        self._latest_checkpoint = path
        doomed = self._sweep()
        self._record_state()
        for prefix in doomed:
            _delete_checkpoint(prefix)
        return path

    def _sweep(self) -> list[str]:
        if self._max_to_keep is None:
            return []
        doomed = []
        while len(self._maybe_delete) > self._max_to_keep:
            path, stamp = self._maybe_delete.popitem(last=False)
            if (
                self._keep_every_n_hours is not None
                and stamp - self._keep_every_n_hours * 3600.0 >= self._last_preserved_timestamp
            ):
                self._last_preserved_timestamp = stamp
                continue
            doomed.append(path)
        return doomed

    def _record_state(self) -> None:
        state.update_checkpoint_state(
            self._directory,
            self._latest_checkpoint,
            list(self._maybe_delete),
            list(self._maybe_delete.values()),
            self._last_preserved_timestamp,
        )

    def restore_or_initialize(self) -> str | None:
        """Restores the latest checkpoint and returns its path; otherwise calls `init_fn`
        (if any) and returns None."""
        if self._latest_checkpoint is not None:
            self._checkpoint.restore(self._latest_checkpoint)
            if self._checkpoint_interval is not None:
                self._last_checkpoint_step = _as_int(self._step_counter)
            return self._latest_checkpoint
        if self._init_fn is not None:
            self._init_fn()
        return None

    def sync(self) -> None:
        """Checkpoints are written synchronously; nothing to wait for."""


def _delete_checkpoint(prefix: str) -> None:
    for suffix in (fileio.INDEX_SUFFIX, fileio.DATA_SUFFIX):
        try:
            os.remove(prefix + suffix)
        except FileNotFoundError:
            pass
