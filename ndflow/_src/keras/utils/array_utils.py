"""`keras.utils` helpers on NumPy data: seeding, one-hot labels, normalization, padding."""

from __future__ import annotations

import random
from typing import Any

import numpy as np


def set_random_seed(seed: int) -> None:
    """`keras.utils.set_random_seed`: seeds Python, NumPy and ndflow at once, so a
    program (initializers, dropout, shuffling) repeats exactly.

    >>> set_random_seed(1)
    """
    if not isinstance(seed, int):
        raise ValueError(
            f"Expected `seed` argument to be an integer. Received: seed={seed} (of type "
            f"{type(seed)})"
        )
    from ndflow._src.ops import random_ops

    random.seed(seed)
    np.random.seed(seed)
    random_ops.set_seed(seed)


def to_categorical(x: Any, num_classes: int | None = None) -> np.ndarray:
    """`keras.utils.to_categorical`: integer labels to one-hot float64 rows.

    >>> to_categorical([0, 2], 3).tolist()
    [[1.0, 0.0, 0.0], [0.0, 0.0, 1.0]]
    """
    x = np.array(x, dtype="int64")
    shape = x.shape
    if shape and shape[-1] == 1 and len(shape) > 1:
        shape = shape[:-1]
    x = x.reshape(-1)
    if num_classes is None:
        num_classes = int(np.max(x)) + 1 if x.size else 0
    out = np.zeros((x.shape[0], num_classes))
    out[np.arange(x.shape[0]), x] = 1.0
    return out.reshape(shape + (num_classes,))


def normalize(x: Any, axis: int = -1, order: int = 2) -> np.ndarray:
    """`keras.utils.normalize`: each slice along `axis` divided by its `order`-norm
    (zero-norm slices stay zero)."""
    x = np.asarray(x)
    norm = np.atleast_1d(np.linalg.norm(x, order, axis))
    norm[norm == 0] = 1
    return x / np.expand_dims(norm, axis)


def pad_sequences(
    sequences: Any,
    maxlen: int | None = None,
    dtype: Any = "int32",
    padding: str = "pre",
    truncating: str = "pre",
    value: Any = 0.0,
) -> np.ndarray:
    """`keras.utils.pad_sequences`: a list of sequences to one [n, maxlen] array.

    >>> pad_sequences([[1, 2, 3], [4]], maxlen=2).tolist()
    [[2, 3], [0, 4]]
    """
    if not hasattr(sequences, "__len__"):
        raise ValueError("`sequences` must be iterable.")
    for name, v in (("padding", padding), ("truncating", truncating)):
        if v not in ("pre", "post"):
            raise ValueError(f'{name.capitalize()} type "{v}" not understood')
    lengths = []
    sample_shape: tuple = ()
    for s in sequences:
        try:
            lengths.append(len(s))
        except TypeError as e:
            raise ValueError(
                f"`sequences` must be a list of iterables. Found non-iterable: {s}"
            ) from e
        if len(s) and not sample_shape:
            sample_shape = np.asarray(s).shape[1:]
    if maxlen is None:
        maxlen = max(lengths) if lengths else 0
    out = np.full((len(sequences), maxlen) + sample_shape, value, dtype=dtype)
    for i, s in enumerate(sequences):
        if not len(s):
            continue
        trunc = s[-maxlen:] if truncating == "pre" else s[:maxlen]
        trunc = np.asarray(trunc, dtype=dtype)
        if padding == "post":
            out[i, : len(trunc)] = trunc
        else:
            out[i, maxlen - len(trunc) :] = trunc
    return out
