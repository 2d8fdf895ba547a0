"""Regularization layers: Dropout, SpatialDropout2D, GaussianNoise, ActivityRegularization.

They only act when called with `training=True` (passed explicitly or by an enclosing call).

>>> import ndflow as tf
>>> Dropout(0.5)(tf.ones((2, 2))).numpy().tolist()
[[1.0, 1.0], [1.0, 1.0]]
"""

from __future__ import annotations

from typing import Any

import ndflow as tf
from ndflow._src.keras import regularizers
from ndflow._src.keras.layers.core import check_rate
from ndflow._src.keras.layers.input_spec import InputSpec
from ndflow._src.keras.layers.layer import Layer
from ndflow._src.keras.layers.reshaping import standardize_data_format
from ndflow._src.keras.saving import serialization_lib


class SeedGenerator:
    """Deterministic per-call seeds from a fixed `seed` (fresh randomness each call)."""

    def __init__(self, seed: int | None) -> None:
        self.seed = seed
        self.count = 0

    def next(self) -> int | None:
        if self.seed is None:
            return None
        self.count += 1
        return (self.seed * 1000003 + self.count) % (2**31 - 1)


def _check_seed(seed: Any) -> Any:
    if seed is not None and not isinstance(seed, int):
        raise ValueError(
            "`seed` argument should be an instance of `keras.random.SeedGenerator()` or an "
            f"integer. Received: seed={seed}"
        )
    return seed


class Dropout(Layer):
    """Zeroes a fraction `rate` of the inputs while training, scaling the rest up."""

    def __init__(
        self, rate: float, noise_shape: Any = None, seed: int | None = None, **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        self.rate = check_rate(rate)
        self.seed = _check_seed(seed)
        self.noise_shape = noise_shape
        self._seeds = SeedGenerator(seed)
        self.supports_masking = True
        self.built = True

    def _noise_shape(self, inputs: Any) -> Any:
        if self.noise_shape is None:
            return None
        dims = inputs.shape.as_list()
        return [dims[i] if d is None else d for i, d in enumerate(self.noise_shape)]

    def call(self, inputs: Any, training: Any = False) -> Any:
        if training and self.rate > 0:
            seed = self._seeds.next()
            noise_shape = self._noise_shape(inputs)
            if seed is None:
                return tf.nn.dropout(inputs, self.rate, noise_shape=noise_shape)
            # A fixed seed gives a reproducible sequence of masks (stateless draws).
            shape = tf.shape(inputs) if noise_shape is None else noise_shape
            u = tf.random.stateless_uniform(shape, seed=[seed, 0], dtype=inputs.dtype)
            keep = tf.cast(u >= tf.constant(self.rate, inputs.dtype), inputs.dtype)
            return inputs * keep / tf.constant(1.0 - self.rate, inputs.dtype)
        return inputs

    def compute_output_shape(self, input_shape: Any) -> Any:
        return input_shape

    def get_config(self) -> dict:
        config = super().get_config()
        config.update({"rate": self.rate, "seed": self.seed, "noise_shape": self.noise_shape})
        return config


class SpatialDropout2D(Dropout):
    """Drops whole feature maps (channels) while training."""

    def __init__(
        self,
        rate: float,
        data_format: Any = None,
        seed: int | None = None,
        name: str | None = None,
        dtype: Any = None,
    ) -> None:
        super().__init__(rate, seed=seed, name=name, dtype=dtype)
        self.data_format = standardize_data_format(data_format)
        self.input_spec = InputSpec(ndim=4)

    def _noise_shape(self, inputs: Any) -> Any:
        dims = inputs.shape.as_list()
        if self.data_format == "channels_last":
            return [dims[0], 1, 1, dims[3]]
        return [dims[0], dims[1], 1, 1]

    def get_config(self) -> dict:
        # Keras 3 writes this layer's dtype as the policy name, not a policy dict.
        return {
            "rate": self.rate,
            "seed": self.seed,
            "name": self.name,
            "dtype": self.dtype_policy.name,
            "data_format": self.data_format,
        }


class GaussianNoise(Layer):
    """Adds zero-mean normal noise with `stddev` while training."""

    def __init__(self, stddev: float, seed: int | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if not 0 <= stddev <= 1:
            raise ValueError(
                "Invalid value received for argument `stddev`. Expected a float value "
                f"between 0 and 1. Received: stddev={stddev}"
            )
        self.stddev = stddev
        self.seed = _check_seed(seed)
        self._seeds = SeedGenerator(seed)
        self.supports_masking = True
        self.built = True

    def call(self, inputs: Any, training: Any = False) -> Any:
        if training and self.stddev > 0:
            seed = self._seeds.next()
            if seed is None:
                noise = tf.random.normal(tf.shape(inputs), stddev=self.stddev, dtype=inputs.dtype)
            else:
                noise = tf.random.stateless_normal(
                    tf.shape(inputs), seed=[seed, 0], stddev=self.stddev, dtype=inputs.dtype
                )
            return inputs + noise
        return inputs

    def compute_output_shape(self, input_shape: Any) -> Any:
        return input_shape

    def get_config(self) -> dict:
        config = super().get_config()
        config.update({"stddev": self.stddev, "seed": self.seed})
        return config


class ActivityRegularization(Layer):
    """Identity that adds an L1/L2 penalty on its input to `losses`."""

    def __init__(self, l1: float = 0.0, l2: float = 0.0, **kwargs: Any) -> None:
        super().__init__(activity_regularizer=regularizers.L1L2(l1=l1, l2=l2), **kwargs)
        self.supports_masking = True
        self.l1 = l1
        self.l2 = l2
        self.built = True

    def call(self, inputs: Any) -> Any:
        return inputs

    def compute_output_shape(self, input_shape: Any) -> Any:
        return input_shape

    def get_config(self) -> dict:
        config = super().get_config()
        config.pop("activity_regularizer", None)
        config.update({"l1": self.l1, "l2": self.l2})
        return config


for _cls in (Dropout, SpatialDropout2D, GaussianNoise, ActivityRegularization):
    serialization_lib.register_builtin("keras.layers", _cls)
