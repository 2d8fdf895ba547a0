"""`keras.utils.PyDataset`: a Python sequence of batches for `fit`/`evaluate`/`predict`.

Subclasses implement `__len__` (number of batches) and `__getitem__(index)` returning
`x`, `(x, y)` or `(x, y, sample_weight)`; `on_epoch_end` runs after each epoch. Batches
are produced in order on the calling thread (the worker options are accepted for Keras
compatibility).

>>> import numpy as np
>>> class Batches(PyDataset):
...     def __len__(self):
...         return 2
...     def __getitem__(self, i):
...         return np.full((3, 1), i, "float32"), np.zeros((3, 1), "float32")
>>> Batches().num_batches
2
"""

from __future__ import annotations

from typing import Any


class PyDataset:
    """Base class for Python batch sequences (Keras 3's `PyDataset`)."""

    def __init__(
        self, workers: int = 1, use_multiprocessing: bool = False, max_queue_size: int = 10
    ) -> None:
        self._workers = workers
        self._use_multiprocessing = use_multiprocessing
        self._max_queue_size = max_queue_size

    @property
    def workers(self) -> int:
        return self.__dict__.get("_workers", 1)

    @property
    def use_multiprocessing(self) -> bool:
        return self.__dict__.get("_use_multiprocessing", False)

    @property
    def max_queue_size(self) -> int:
        return self.__dict__.get("_max_queue_size", 10)

    def __getitem__(self, index: int) -> Any:
        raise NotImplementedError

    def __len__(self) -> int:
        raise NotImplementedError

    @property
    def num_batches(self) -> int | None:
        """The number of batches (`len(self)`), or None for an endless dataset."""
        try:
            return len(self)
        except NotImplementedError:
            return None

    def on_epoch_end(self) -> None:
        """Called after every epoch (e.g. to reshuffle)."""
