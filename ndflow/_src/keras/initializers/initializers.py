"""Keras initializers: callables `(shape, dtype=None) -> Tensor` with a `get_config`.

A `seed` makes an initializer deterministic (the same values at every call, as Keras 3
does for an integer seed); without one, values come from ndflow's random ops and follow
`tf.random.set_seed`.

>>> import ndflow as tf
>>> get("glorot_uniform")
<GlorotUniform ...>
>>> RandomNormal(seed=1)((2,)).numpy().tolist() == RandomNormal(seed=1)((2,)).numpy().tolist()
True
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

import ndflow as tf
from ndflow._src.keras.saving import serialization_lib

_MODULE = "keras.initializers"


def _dtype(dtype: Any) -> Any:
    return tf.as_dtype(dtype or "float32")


def _check_seed(seed: Any) -> Any:
    if seed is not None and not isinstance(seed, int):
        raise ValueError(
            f"`seed` argument should be an instance of `keras.random.SeedGenerator()` or an "
            f"integer. Received: seed={seed}"
        )
    return seed


def _shape(shape: Any) -> tuple:
    return tuple(int(d) for d in shape)


class Initializer:
    """Base class: subclasses implement `__call__(shape, dtype=None)` and `get_config`."""

    def __call__(self, shape: Any, dtype: Any = None) -> Any:
        raise NotImplementedError(
            f"Initializer {self.__class__.__name__} does not implement `__call__()`."
        )

    def get_config(self) -> dict:
        return {}

    @classmethod
    def from_config(cls, config: dict) -> Initializer:
        return cls(**config)

    def clone(self) -> Initializer:
        return self.__class__.from_config(self.get_config())

    def __repr__(self) -> str:
        return f"<{type(self).__name__} config={self.get_config()}>"


class Zeros(Initializer):
    """All zeros."""

    def __call__(self, shape: Any, dtype: Any = None) -> Any:
        return tf.zeros(_shape(shape), dtype=_dtype(dtype))


class Ones(Initializer):
    """All ones."""

    def __call__(self, shape: Any, dtype: Any = None) -> Any:
        return tf.ones(_shape(shape), dtype=_dtype(dtype))


class Constant(Initializer):
    """Every element equal to `value` (a scalar)."""

    def __init__(self, value: float = 0.0) -> None:
        self.value = value

    def __call__(self, shape: Any, dtype: Any = None) -> Any:
        value = tf.cast(tf.constant(self.value), _dtype(dtype))
        return tf.broadcast_to(value, _shape(shape))  # scalars and broadcastable arrays

    def get_config(self) -> dict:
        return {"value": serialization_lib.serialize_keras_object(self.value)}


class _Random(Initializer):
    def __init__(self, seed: int | None = None) -> None:
        self.seed = _check_seed(seed)

    def _rng(self) -> np.random.Generator | None:
        return None if self.seed is None else np.random.default_rng(self.seed)

    def get_config(self) -> dict:
        return {"seed": self.seed}


def _normal(shape: tuple, dtype: Any, mean: float, stddev: float, seed: int | None) -> Any:
    if seed is not None:
        v = np.random.default_rng(seed).standard_normal(shape) * stddev + mean
        return tf.constant(v.astype(dtype.as_numpy_dtype))
    return tf.random.normal(shape, mean=mean, stddev=stddev, dtype=dtype)


def _truncated(shape: tuple, dtype: Any, mean: float, stddev: float, seed: int | None) -> Any:
    if seed is not None:
        rng = np.random.default_rng(seed)
        v = rng.standard_normal(shape)
        bad = np.abs(v) > 2
        while bad.any():
            v[bad] = rng.standard_normal(int(bad.sum()))
            bad = np.abs(v) > 2
        return tf.constant((v * stddev + mean).astype(dtype.as_numpy_dtype))
    return tf.random.truncated_normal(shape, mean=mean, stddev=stddev, dtype=dtype)


def _uniform(shape: tuple, dtype: Any, lo: float, hi: float, seed: int | None) -> Any:
    if seed is not None:
        v = np.random.default_rng(seed).uniform(lo, hi, shape)
        return tf.constant(v.astype(dtype.as_numpy_dtype))
    return tf.random.uniform(shape, minval=lo, maxval=hi, dtype=dtype)


class RandomNormal(_Random):
    """Normal values with `mean` and `stddev`."""

    def __init__(self, mean: float = 0.0, stddev: float = 0.05, seed: int | None = None) -> None:
        super().__init__(seed)
        self.mean, self.stddev = mean, stddev

    def __call__(self, shape: Any, dtype: Any = None) -> Any:
        return _normal(_shape(shape), _dtype(dtype), self.mean, self.stddev, self.seed)

    def get_config(self) -> dict:
        return {"seed": self.seed, "mean": self.mean, "stddev": self.stddev}


class TruncatedNormal(RandomNormal):
    """Normal values redrawn when more than two standard deviations from the mean."""

    def __call__(self, shape: Any, dtype: Any = None) -> Any:
        return _truncated(_shape(shape), _dtype(dtype), self.mean, self.stddev, self.seed)


class RandomUniform(_Random):
    """Uniform values in [minval, maxval)."""

    def __init__(
        self, minval: float = -0.05, maxval: float = 0.05, seed: int | None = None
    ) -> None:
        super().__init__(seed)
        self.minval, self.maxval = minval, maxval

    def __call__(self, shape: Any, dtype: Any = None) -> Any:
        return _uniform(_shape(shape), _dtype(dtype), self.minval, self.maxval, self.seed)

    def get_config(self) -> dict:
        return {"seed": self.seed, "minval": self.minval, "maxval": self.maxval}


def compute_fans(shape: tuple) -> tuple[int, int]:
    """(fan_in, fan_out) of a kernel shape, Keras' rule (receptive field times channels)."""
    shape = tuple(shape)
    if len(shape) < 1:
        return 1, 1
    if len(shape) == 1:
        return shape[0], shape[0]
    if len(shape) == 2:
        return shape[0], shape[1]
    receptive = 1
    for d in shape[:-2]:
        receptive *= d
    return shape[-2] * receptive, shape[-1] * receptive


class VarianceScaling(_Random):
    """Values scaled to the kernel's fan-in, fan-out or their average."""

    def __init__(
        self,
        scale: float = 1.0,
        mode: str = "fan_in",
        distribution: str = "truncated_normal",
        seed: int | None = None,
        input_axes: Any = None,
        output_axes: Any = None,
    ) -> None:
        super().__init__(seed)
        if scale <= 0.0:
            raise ValueError(f"Argument `scale` must be positive float. Received: scale={scale}")
        if mode not in ("fan_in", "fan_out", "fan_avg"):
            raise ValueError(
                "Invalid `mode` argument: expected one of {'fan_in', 'fan_out', 'fan_avg'}. "
                f"Received: mode={mode}"
            )
        distribution = distribution.lower()
        if distribution == "normal":
            distribution = "truncated_normal"
        if distribution not in ("uniform", "truncated_normal", "untruncated_normal"):
            raise ValueError(
                "Invalid `distribution` argument: expected one of {'uniform', "
                "'truncated_normal', 'untruncated_normal'}. "
                f"Received: distribution={distribution}"
            )
        self.scale, self.mode, self.distribution = scale, mode, distribution

    def __call__(self, shape: Any, dtype: Any = None) -> Any:
        shape = _shape(shape)
        fan_in, fan_out = compute_fans(shape)
        fan = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2.0}
        scale = self.scale / max(1.0, fan[self.mode])
        dt = _dtype(dtype)
        if self.distribution == "truncated_normal":
            return _truncated(shape, dt, 0.0, math.sqrt(scale) / 0.87962566103423978, self.seed)
        if self.distribution == "untruncated_normal":
            return _normal(shape, dt, 0.0, math.sqrt(scale), self.seed)
        limit = math.sqrt(3.0 * scale)
        return _uniform(shape, dt, -limit, limit, self.seed)

    def get_config(self) -> dict:
        return {
            "seed": self.seed,
            "scale": self.scale,
            "mode": self.mode,
            "distribution": self.distribution,
            "input_axes": None,
            "output_axes": None,
        }


def _preset(name: str, scale: float, mode: str, distribution: str, doc: str) -> type:
    def init(
        self: Any, seed: int | None = None, input_axes: Any = None, output_axes: Any = None
    ) -> None:
        VarianceScaling.__init__(self, scale, mode, distribution, seed)

    def get_config(self: Any) -> dict:
        return {"seed": self.seed, "input_axes": None, "output_axes": None}

    return type(
        name,
        (VarianceScaling,),
        {"__init__": init, "get_config": get_config, "__doc__": doc, "__module__": __name__},
    )


GlorotUniform = _preset(
    "GlorotUniform",
    1.0,
    "fan_avg",
    "uniform",
    "Uniform in ±sqrt(6 / (fan_in + fan_out)) (Keras' default kernel).",
)
GlorotNormal = _preset(
    "GlorotNormal",
    1.0,
    "fan_avg",
    "truncated_normal",
    "Truncated normal, stddev sqrt(2 / (fan_in + fan_out)).",
)
HeNormal = _preset(
    "HeNormal", 2.0, "fan_in", "truncated_normal", "Truncated normal, stddev sqrt(2 / fan_in)."
)
HeUniform = _preset("HeUniform", 2.0, "fan_in", "uniform", "Uniform in ±sqrt(6 / fan_in).")
LecunNormal = _preset(
    "LecunNormal", 1.0, "fan_in", "truncated_normal", "Truncated normal, stddev sqrt(1 / fan_in)."
)
LecunUniform = _preset("LecunUniform", 1.0, "fan_in", "uniform", "Uniform in ±sqrt(3 / fan_in).")


class Orthogonal(_Random):
    """An orthogonal matrix (rows or columns orthonormal) times `gain`."""

    def __init__(self, gain: float = 1.0, seed: int | None = None) -> None:
        super().__init__(seed)
        self.gain = gain

    def __call__(self, shape: Any, dtype: Any = None) -> Any:
        shape = _shape(shape)
        if len(shape) < 2:
            raise ValueError(
                "The tensor to initialize must be at least two-dimensional. "
                f"Received: shape={shape} of rank {len(shape)}."
            )
        rows = int(np.prod(shape[:-1]))
        cols = shape[-1]
        flat = (max(rows, cols), min(rows, cols))
        a = np.asarray(_normal(flat, tf.float64, 0.0, 1.0, self.seed).numpy())
        q, r = np.linalg.qr(a)
        q = q * np.sign(np.diag(r))
        if rows < cols:
            q = q.T
        out = (self.gain * q).reshape(shape)
        return tf.constant(out.astype(_dtype(dtype).as_numpy_dtype))

    def get_config(self) -> dict:
        return {"seed": self.seed, "gain": self.gain}


class Identity(Initializer):
    """The identity matrix (2-D shapes only) times `gain`."""

    def __init__(self, gain: float = 1.0) -> None:
        self.gain = gain

    def __call__(self, shape: Any, dtype: Any = None) -> Any:
        shape = _shape(shape)
        if len(shape) != 2:
            raise ValueError(
                "Identity matrix initializer can only be used for 2D matrices. "
                f"Received: shape={shape} of rank {len(shape)}."
            )
        return tf.constant((self.gain * np.eye(*shape)).astype(_dtype(dtype).as_numpy_dtype))

    def get_config(self) -> dict:
        return {"gain": self.gain} if self.gain != 1.0 else {}


_ALIASES = {
    Zeros: ("zeros",),
    Ones: ("ones",),
    Constant: ("constant",),
    RandomNormal: ("random_normal", "normal"),
    RandomUniform: ("random_uniform", "uniform"),
    TruncatedNormal: ("truncated_normal",),
    VarianceScaling: ("variance_scaling",),
    GlorotUniform: ("glorot_uniform",),
    GlorotNormal: ("glorot_normal",),
    HeNormal: ("he_normal",),
    HeUniform: ("he_uniform",),
    LecunNormal: ("lecun_normal",),
    LecunUniform: ("lecun_uniform",),
    Orthogonal: ("orthogonal",),
    Identity: ("identity",),
}
for _cls, _names in _ALIASES.items():
    serialization_lib.register_builtin(_MODULE, _cls, *_names)
_BY_ALIAS = {n: c for c, names in _ALIASES.items() for n in names}


def serialize(initializer: Any) -> Any:
    """The Keras 3 dict describing `initializer`."""
    return serialization_lib.serialize_keras_object(initializer)


def deserialize(config: Any, custom_objects: dict | None = None) -> Any:
    """The initializer described by `config`."""
    return serialization_lib.deserialize_keras_object(
        config, custom_objects=custom_objects, module_objects=_module_objects()
    )


def _module_objects() -> dict:
    objs = serialization_lib.builtin_objects(_MODULE)
    objs.update(_BY_ALIAS)
    return objs


def get(identifier: Any) -> Any:
    """`keras.initializers.get`: None, a name ("glorot_uniform", "zeros", ...), a config
    dict, a class, an instance or any callable (e.g. `tf.random.normal`)."""
    if identifier is None:
        return None
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if isinstance(identifier, str):
        found = serialization_lib.get_registered_object(identifier)
        if found is None:
            found = _BY_ALIAS.get(identifier) or _BY_ALIAS.get(identifier.lower())
        if found is None:
            found = serialization_lib.builtin_objects(_MODULE).get(identifier)
        if found is not None:
            return found() if isinstance(found, type) else found
    elif isinstance(identifier, type):
        return identifier()
    elif callable(identifier):
        return identifier
    raise ValueError(f"Could not interpret initializer identifier: {identifier}")
