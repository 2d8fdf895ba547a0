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


def _rounds(c0, c1, c2, c3, k0, k1):
    """The ten Philox4x32 rounds on uint64 arrays holding 32-bit words (keys may be arrays)."""
    k0 = np.asarray(k0, np.uint64)
    k1 = np.asarray(k1, np.uint64)
    for r in range(10):
        p0 = _MUL_A * c0
        p1 = _MUL_B * c2
        hi0, lo0 = p0 >> np.uint64(32), p0 & _M32
        hi1, lo1 = p1 >> np.uint64(32), p1 & _M32
        c0, c1, c2, c3 = hi1 ^ c1 ^ k0, lo1, hi0 ^ c3 ^ k1, lo0
        if r < 9:
            k0 = (k0 + np.uint64(_KEY_A)) & _M32
            k1 = (k1 + np.uint64(_KEY_B)) & _M32
    return c0, c1, c2, c3


def philox_blocks(
    key: tuple[int, int], counter_hi: tuple[int, int], start: int, n: int
) -> np.ndarray:
    """n consecutive 4-word output blocks (as uint32, flattened) from block `start`."""
    idx = np.arange(start, start + n, dtype=np.uint64)
    c0 = idx & _M32
    c1 = idx >> np.uint64(32)
    c2 = np.full(n, counter_hi[0], np.uint64)
    c3 = np.full(n, counter_hi[1], np.uint64)
    out = _rounds(c0, c1, c2, c3, key[0], key[1])
    return np.stack(out, axis=1).reshape(-1).astype(np.uint32)


def stateless_first_doubles(seed0: np.ndarray, seed1: np.ndarray) -> np.ndarray:
    """The first uniform double in [0, 1) of each stateless random op seeded [seed0, seed1].

    TensorFlow's stateless ops scramble the seed pair into a Philox key and counter (one
    Philox block of the seeds under a fixed key); a double takes two 32-bit samples, 52
    mantissa bits. `stateless_multinomial` draws its first sample with this double.

    >>> stateless_first_doubles(np.array([1]), np.array([2])).shape
    (1,)
    """
    s0 = np.asarray(seed0).astype(np.int64).view(np.uint64)
    s1 = np.asarray(seed1).astype(np.int64).view(np.uint64)
    n = s0.shape
    m0, m1, m2, m3 = _rounds(
        s0 & _M32, s0 >> np.uint64(32), s1 & _M32, s1 >> np.uint64(32), 0x3EC8F720, 0x02461E29
    )
    zero = np.zeros(n, np.uint64)
    x0, x1, _, _ = _rounds(zero, zero, m2, m3, m0, m1)
    man = ((x0 & np.uint64(0xFFFFF)) << np.uint64(32)) | x1
    bits = (np.uint64(1023) << np.uint64(52)) | man
    return bits.view(np.float64) - 1.0


def stateless_categorical(logits: np.ndarray, seed0: np.ndarray, seed1: np.ndarray) -> np.ndarray:
    """One class per seed pair from a single row of `logits`, as TF's
    `stateless_multinomial(logits[None], 1, seed=[seed0, seed1])` picks it: the first
    double of the seed's stream, scaled by the unnormalized CDF of exp(logit - max) over
    the finite logits, located with an upper bound."""
    lg = np.asarray(logits)
    finite = np.isfinite(lg)
    top = float(lg[finite].max()) if finite.any() else float(np.finfo(lg.dtype).min)
    p = np.where(finite, np.exp(lg.astype(np.float64) - top), 0.0)
    cdf = np.cumsum(p)
    u = stateless_first_doubles(seed0, seed1) * cdf[-1]
    return np.searchsorted(cdf, u, side="right").astype(np.int64)


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
