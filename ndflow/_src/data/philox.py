"""Philox4x32-10 random numbers, as TensorFlow's shuffle draws them.

TensorFlow's shuffle picks buffer slots with 32-bit samples of a Philox4x32-10 stream
keyed by (seed, seed2), one sample at a time; with `reshuffle_each_iteration` each new
iterator takes its (seed, seed2) as the next two samples of a Philox stream keyed by the
dataset's seeds. Generating the same stream (vectorized over blocks with NumPy) makes
seeded shuffles give TensorFlow's exact order.
"""

from __future__ import annotations

import numpy as np

_M32 = np.uint64(0xFFFFFFFF)
_MUL_A = np.uint64(0xD2511F53)
_MUL_B = np.uint64(0xCD9E8D57)
_KEY_A = 0x9E3779B9
_KEY_B = 0xBB67AE85


def philox_blocks(
    key: tuple[int, int], counter_hi: tuple[int, int], start: int, n: int
) -> np.ndarray:
    """n consecutive 4-word output blocks (as uint32, flattened) from block `start`."""
    idx = np.arange(start, start + n, dtype=np.uint64)
    c0 = idx & _M32
    c1 = idx >> np.uint64(32)
    c2 = np.full(n, counter_hi[0], np.uint64)
    c3 = np.full(n, counter_hi[1], np.uint64)
    k0, k1 = key
    for r in range(10):
        p0 = _MUL_A * c0
        p1 = _MUL_B * c2
        hi0, lo0 = p0 >> np.uint64(32), p0 & _M32
        hi1, lo1 = p1 >> np.uint64(32), p1 & _M32
        c0, c1, c2, c3 = (
            hi1 ^ c1 ^ np.uint64(k0),
            lo1,
            hi0 ^ c3 ^ np.uint64(k1),
            lo0,
        )
        if r < 9:
            k0 = (k0 + _KEY_A) & 0xFFFFFFFF
            k1 = (k1 + _KEY_B) & 0xFFFFFFFF
    return np.stack([c0, c1, c2, c3], axis=1).reshape(-1).astype(np.uint32)


class PhiloxStream:
    """Single 32-bit samples of Philox4x32-10 keyed by (seed, seed2), in order.

    >>> PhiloxStream(87654321, 1).take(2).tolist()  # the seeds of a first reshuffle
    [2870909127, 3455438759]
    """

    def __init__(self, seed: int, seed2: int) -> None:
        s1 = int(seed) & 0xFFFFFFFFFFFFFFFF
        s2 = int(seed2) & 0xFFFFFFFFFFFFFFFF
        self._key = (s1 & 0xFFFFFFFF, s1 >> 32)
        self._hi = (s2 & 0xFFFFFFFF, s2 >> 32)
        self._block = 0
        self._pending = np.zeros(0, np.uint32)

    def take(self, n: int) -> np.ndarray:
        """The next n samples."""
        have = len(self._pending)
        if have < n:
            blocks = -(-(n - have) // 4)
            fresh = philox_blocks(self._key, self._hi, self._block, blocks)
            self._block += blocks
            self._pending = np.concatenate([self._pending, fresh])
        out, self._pending = self._pending[:n], self._pending[n:]
        return out


def iteration_seeds(seed: int, seed2: int, k: int) -> tuple[int, int]:
    """The (seed, seed2) of the k-th iterator of a reshuffling dataset."""
    s = PhiloxStream(seed, seed2).take(2 * k + 2)
    return int(s[2 * k]), int(s[2 * k + 1])
