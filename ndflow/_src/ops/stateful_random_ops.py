"""`tf.random.Generator`: an explicit random-number-generator state object.

The state is a Philox counter and key held in a `_RngState`, reached through an eager
`resource` handle tensor, so the drawing ops (`StatefulUniform`, ...) go through
`execute` and advance the state whether they run eagerly or inside a compiled graph.
Each draw starts at a fresh Philox block and leaves the counter just past the blocks it
used, so the state is exactly (counter, key): `from_state(g.state)` continues `g`.
"""

from __future__ import annotations

import enum
from typing import Any

import numpy as np

from ndflow._src.core import dtypes
from ndflow._src.framework.constant import convert_to_tensor
from ndflow._src.framework.execute import execute
from ndflow._src.framework.op_registry import register_op
from ndflow._src.framework.tensor import Tensor, wrap_with_dtype
from ndflow._src.ops import math_ops, random_ops
from ndflow._src.ops.op_util import to_tensor

_MASK64 = (1 << 64) - 1


class Algorithm(enum.Enum):
    """`tf.random.Algorithm`: the generator algorithms (ndflow implements Philox)."""

    PHILOX = 1
    THREEFRY = 2
    AUTO_SELECT = 3


def _splitmix64(x: int) -> int:
    x = (x + 0x9E3779B97F4A7C15) & _MASK64
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & _MASK64
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & _MASK64
    return x ^ (x >> 31)


class _RngState:
    """The value inside a Generator's handle tensor: a Philox (counter, key) state."""

    __slots__ = ("counter", "key")
    shape = ()
    ndim = 0
    size = 1
    dtype = np.dtype(object)

    def __init__(self, counter: tuple[int, int], key: int) -> None:
        self.counter = (counter[0] & _MASK64, counter[1] & _MASK64)
        self.key = key & _MASK64

    def generator(self) -> tuple[np.random.Generator, np.random.Philox]:
        bits = np.random.Philox(
            counter=np.array([self.counter[0], self.counter[1], 0, 0], np.uint64),
            key=np.array([self.key, 0], np.uint64),
        )
        return np.random.Generator(bits), bits

    def advance_past(self, bits: np.random.Philox) -> None:
        state = bits.state["state"]["counter"]
        c0, c1 = int(state[0]), int(state[1])
        if bits.state["buffer_pos"] < 4:
            # Part of the current block was used: start the next draw on a fresh block.
            c0 = (c0 + 1) & _MASK64
            c1 = (c1 + (c0 == 0)) & _MASK64
        self.counter = (c0, c1)

    def as_array(self) -> np.ndarray:
        return np.array([self.counter[0], self.counter[1], self.key], np.uint64).view(np.int64)


def _stateful(draw):
    def kernel(handle: _RngState, shape: np.ndarray, *rest: np.ndarray, **attrs: Any):
        dims = random_ops._shape_value(shape, "StatefulRandom")
        rng, bits = handle.generator()
        out = draw(rng, dims, *rest, **attrs)
        handle.advance_past(bits)
        return out

    return kernel


def _rule_from_shape_input(inputs: list, attrs: dict) -> list:
    dims = random_ops._dims_from_shape_input(inputs[1])
    return [(dims, attrs.get("dtype") or inputs[2].dtype)]


register_op(
    "StatefulUniform",
    _stateful(lambda rng, dims, dtype: random_ops._draw_uniform(rng, dims, dtype)),
    _rule_from_shape_input,
    stateful=True,
)
register_op(
    "StatefulStandardNormalV2",
    _stateful(lambda rng, dims, dtype: random_ops._draw_normal(rng, dims, dtype)),
    _rule_from_shape_input,
    stateful=True,
)
register_op(
    "StatefulTruncatedNormal",
    _stateful(lambda rng, dims, dtype: random_ops._draw_truncated(rng, dims, dtype)),
    _rule_from_shape_input,
    stateful=True,
)
register_op(
    "StatefulUniformInt",
    _stateful(
        lambda rng, dims, lo, hi: random_ops._draw_int(rng, dims, lo, hi, "StatefulUniformInt")
    ),
    _rule_from_shape_input,
    stateful=True,
)
register_op(
    "StatefulUniformFullInt",
    _stateful(lambda rng, dims, dtype: random_ops._draw_full_int(rng, dims, dtype)),
    _rule_from_shape_input,
    stateful=True,
)
register_op(
    "StatefulRandomBinomial",
    _stateful(
        lambda rng, dims, counts, probs, dtype: random_ops._draw_binomial(
            rng, dims, counts, probs, dtype
        )
    ),
    _rule_from_shape_input,
    stateful=True,
)


def _state_kernel(handle: _RngState) -> np.ndarray:
    return handle.as_array()


register_op(
    "RngReadState", _state_kernel, lambda inputs, attrs: [((3,), dtypes.int64)], stateful=True
)


def _check_alg(alg: Any) -> None:
    if alg is None or alg in (
        1,
        3,
        "philox",
        "auto_select",
        Algorithm.PHILOX,
        Algorithm.AUTO_SELECT,
    ):
        return
    raise ValueError(f"Argument `alg` got unsupported value {alg}. ndflow implements Philox.")


class Generator:
    """`tf.random.Generator`: random numbers from an explicit, splittable state.

    >>> import ndflow as tf
    >>> g = tf.random.Generator.from_seed(1)
    >>> g.normal([2]).shape
    TensorShape([2])
    >>> a = tf.random.Generator.from_seed(5).uniform([3]).numpy()
    >>> b = tf.random.Generator.from_seed(5).uniform([3]).numpy()
    >>> bool((a == b).all())
    True
    """

    def __init__(self, copy_from: Generator | None = None, state: Any = None, alg: Any = None):
        _check_alg(alg)
        if copy_from is not None:
            arr = copy_from._state_array()
        elif state is not None:
            arr = np.asarray(state.numpy() if isinstance(state, Tensor) else state, np.int64)
            if arr.shape != (3,):
                raise ValueError(f"The state for Philox must have shape [3]; got {list(arr.shape)}")
        else:
            raise ValueError("Must provide either `copy_from` or `state`.")
        u = arr.reshape(-1).view(np.uint64)
        self._rng = _RngState((int(u[0]), int(u[1])), int(u[2]))
        self._handle = wrap_with_dtype(self._rng, dtypes.resource)

    # ------------------------------------------------------------------ constructors
    @classmethod
    def from_seed(cls, seed: int, alg: Any = None) -> Generator:
        """A generator whose stream is fixed by the integer `seed`."""
        return cls(state=cls._seed_state(int(seed)), alg=alg)

    @classmethod
    def from_non_deterministic_state(cls, alg: Any = None) -> Generator:
        """A generator seeded from the operating system's entropy."""
        seed = int(np.random.SeedSequence().generate_state(1, np.uint64)[0])
        return cls(state=cls._seed_state(seed), alg=alg)

    @classmethod
    def from_state(cls, state: Any, alg: Any) -> Generator:
        """A generator starting at `state` (an int64 `[3]`: counter, counter, key)."""
        return cls(state=state, alg=alg)

    @classmethod
    def from_key_counter(cls, key: Any, counter: Any, alg: Any) -> Generator:
        """A generator from a Philox key (`[1]`) and counter (`[2]`)."""
        key = np.asarray(key, np.int64).reshape(-1)
        counter = np.asarray(counter, np.int64).reshape(-1)
        return cls(state=np.concatenate([counter, key]), alg=alg)

    @staticmethod
    def _seed_state(seed: int) -> np.ndarray:
        return np.array([0, 0, _splitmix64(seed & _MASK64)], np.uint64).view(np.int64)

    # ------------------------------------------------------------------ state
    def _state_array(self) -> np.ndarray:
        return self._rng.as_array()

    @property
    def state(self) -> Tensor:
        """The int64 `[3]` state (counter, counter, key). A tensor here, not a Variable."""
        return execute("RngReadState", (self._handle,))

    @property
    def algorithm(self) -> int:
        return Algorithm.PHILOX.value

    @property
    def key(self) -> Tensor:
        return convert_to_tensor(np.uint64(self._rng.key))

    def reset(self, state: Any) -> None:
        arr = np.asarray(state.numpy() if isinstance(state, Tensor) else state, np.int64)
        u = arr.view(np.uint64)
        self._rng.counter = (int(u[0]), int(u[1]))
        self._rng.key = int(u[2])

    def reset_from_seed(self, seed: int) -> None:
        self.reset(self._seed_state(int(seed)))

    def reset_from_key_counter(self, key: Any, counter: Any) -> None:
        counter = np.asarray(counter, np.int64).reshape(-1)
        self.reset(np.concatenate([counter, np.asarray(key, np.int64).reshape(-1)]))

    def skip(self, delta: int) -> None:
        """Advances the state as if `delta` Philox blocks had been drawn."""
        c = (self._rng.counter[0] + (self._rng.counter[1] << 64) + int(delta)) % (1 << 128)
        self._rng.counter = (c & _MASK64, c >> 64)

    # ------------------------------------------------------------------ sampling
    def _draw(self, op_type: str, shape: Any, extra: tuple = (), attrs: dict | None = None):
        s = random_ops._shape_tensor(shape, op_type)
        return execute(op_type, (self._handle, s) + extra, attrs or {})

    def normal(
        self,
        shape: Any,
        mean: Any = 0.0,
        stddev: Any = 1.0,
        dtype: Any = dtypes.float32,
        name: str | None = None,
    ) -> Tensor:
        """Normal samples; gradients reach `mean` and `stddev`."""
        dtype = dtypes.as_dtype(dtype)
        params = random_ops._params(stddev, mean, dtype)
        z = self._draw("StatefulStandardNormalV2", shape, attrs={"dtype": dtype})
        return random_ops._affine(z, stddev, mean, params)

    def truncated_normal(
        self,
        shape: Any,
        mean: Any = 0.0,
        stddev: Any = 1.0,
        dtype: Any = dtypes.float32,
        name: str | None = None,
    ) -> Tensor:
        """Normal samples re-drawn beyond two standard deviations."""
        dtype = dtypes.as_dtype(dtype)
        params = random_ops._params(stddev, mean, dtype)
        z = self._draw("StatefulTruncatedNormal", shape, attrs={"dtype": dtype})
        return random_ops._affine(z, stddev, mean, params)

    def uniform(
        self,
        shape: Any,
        minval: Any = 0,
        maxval: Any = None,
        dtype: Any = dtypes.float32,
        name: str | None = None,
    ) -> Tensor:
        """Uniform samples on [minval, maxval); integer dtypes need both bounds, or
        neither (the dtype's full range)."""
        dtype = dtypes.as_dtype(dtype)
        if dtype.is_integer:
            if minval is None and maxval is None:
                return self.uniform_full_int(shape, dtype)
            if minval is None or maxval is None:
                raise ValueError(
                    f"For integer dtype {dtype}, minval and maxval must be both `None` or "
                    f"both non-`None`; got minval={minval} and maxval={maxval}"
                )
            lo, hi = to_tensor(minval, dtype), to_tensor(maxval, dtype)
            return self._draw("StatefulUniformInt", shape, (lo, hi))
        random_ops._check_uniform_dtype(dtype)
        if maxval is None:
            maxval = 1
        lo, hi = to_tensor(minval, dtype), to_tensor(maxval, dtype)
        u = self._draw("StatefulUniform", shape, attrs={"dtype": dtype})
        if random_ops._is_python(minval, 0) and random_ops._is_python(maxval, 1):
            return u
        return math_ops.add(math_ops.multiply(u, math_ops.subtract(hi, lo)), lo)

    def uniform_full_int(
        self, shape: Any, dtype: Any = dtypes.uint64, name: str | None = None
    ) -> Tensor:
        """Integers covering the dtype's whole range."""
        dtype = dtypes.as_dtype(dtype)
        return self._draw("StatefulUniformFullInt", shape, attrs={"dtype": dtype})

    def binomial(
        self,
        shape: Any,
        counts: Any,
        probs: Any,
        dtype: Any = dtypes.int32,
        name: str | None = None,
    ) -> Tensor:
        """Binomial(counts, probs) samples."""
        counts_t = to_tensor(counts, dtypes.float32) if not isinstance(counts, Tensor) else counts
        probs_t = to_tensor(probs, counts_t.dtype)
        return self._draw(
            "StatefulRandomBinomial", shape, (counts_t, probs_t), {"dtype": dtypes.as_dtype(dtype)}
        )

    def make_seeds(self, count: int = 1) -> Tensor:
        """`count` seeds for stateless ops, as an int64 `[2, count]` tensor."""
        return self.uniform_full_int([2, count], dtype=dtypes.int64)

    def split(self, count: int = 1) -> list[Generator]:
        """`count` new, independent generators; advances this one."""
        seeds = self.uniform_full_int([count], dtype=dtypes.int64).numpy()
        return [Generator.from_seed(int(s)) for s in seeds]

    def __repr__(self) -> str:
        return f"<ndflow Generator state={self._state_array().tolist()}>"


_global_generator: list[Generator] = []


def get_global_generator() -> Generator:
    """`tf.random.get_global_generator`: the process-wide Generator (created on first use)."""
    if not _global_generator:
        _global_generator.append(Generator.from_non_deterministic_state())
    return _global_generator[0]


def set_global_generator(generator: Generator) -> None:
    """`tf.random.set_global_generator`: replaces the process-wide Generator."""
    _global_generator[:] = [generator]


def create_rng_state(seed: int, alg: Any) -> np.ndarray:
    """`tf.random.create_rng_state`: the int64 state `Generator.from_seed(seed)` starts at."""
    _check_alg(alg)
    return Generator._seed_state(int(seed))
