"""Normalization layers: BatchNormalization, LayerNormalization and the preprocessing
`Normalization` (adapted from data, or given `mean`/`variance`).

>>> import numpy as np
>>> norm = Normalization()
>>> norm.adapt(np.array([[1.0], [3.0]], dtype="float32"))
>>> norm(np.array([[3.0]], dtype="float32")).numpy().tolist()
[[1.0]]
"""

from __future__ import annotations

from typing import Any

import numpy as np

import ndflow as tf
from ndflow._src.keras import constraints, initializers, regularizers
from ndflow._src.keras.layers.input_spec import InputSpec
from ndflow._src.keras.layers.layer import Layer
from ndflow._src.keras.saving import serialization_lib

_EPSILON = 1e-7  # keras.config.epsilon()


def _axes(axis: Any) -> list:
    return [axis] if isinstance(axis, int) else list(axis)


class BatchNormalization(Layer):
    """Normalizes with batch statistics while training (updating the moving mean and
    variance by `momentum`) and with the moving statistics otherwise."""

    def __init__(
        self,
        axis: int = -1,
        momentum: float = 0.99,
        epsilon: float = 0.001,
        center: bool = True,
        scale: bool = True,
        beta_initializer: Any = "zeros",
        gamma_initializer: Any = "ones",
        moving_mean_initializer: Any = "zeros",
        moving_variance_initializer: Any = "ones",
        beta_regularizer: Any = None,
        gamma_regularizer: Any = None,
        beta_constraint: Any = None,
        gamma_constraint: Any = None,
        renorm: bool = False,
        renorm_clipping: Any = None,
        renorm_momentum: float = 0.99,
        synchronized: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if renorm:
            raise NotImplementedError("BatchNormalization(renorm=True) is not supported.")
        self.axis = int(axis)
        self.momentum = float(momentum)
        self.epsilon = float(epsilon)
        self.center, self.scale = center, scale
        self.beta_initializer = initializers.get(beta_initializer)
        self.gamma_initializer = initializers.get(gamma_initializer)
        self.moving_mean_initializer = initializers.get(moving_mean_initializer)
        self.moving_variance_initializer = initializers.get(moving_variance_initializer)
        self.beta_regularizer = regularizers.get(beta_regularizer)
        self.gamma_regularizer = regularizers.get(gamma_regularizer)
        self.beta_constraint = constraints.get(beta_constraint)
        self.gamma_constraint = constraints.get(gamma_constraint)
        self.synchronized = synchronized
        self.renorm, self.renorm_clipping, self.renorm_momentum = (
            renorm,
            renorm_clipping,
            renorm_momentum,
        )
        self.supports_masking = True
        self.gamma = self.beta = None

    def build(self, input_shape: Any) -> None:
        rank = len(input_shape)
        axis = self.axis % rank
        dim = input_shape[axis]
        if dim is None:
            raise ValueError(
                f"Axis {self.axis} of input tensor should have a defined dimension but the "
                f"layer received an input with shape {input_shape}."
            )
        self.input_spec = InputSpec(ndim=rank, axes={self.axis: dim})
        shape = (dim,)
        if self.scale:
            self.gamma = self.add_weight(
                name="gamma",
                shape=shape,
                initializer=self.gamma_initializer,
                regularizer=self.gamma_regularizer,
                constraint=self.gamma_constraint,
            )
        if self.center:
            self.beta = self.add_weight(
                name="beta",
                shape=shape,
                initializer=self.beta_initializer,
                regularizer=self.beta_regularizer,
                constraint=self.beta_constraint,
            )
        self.moving_mean = self.add_weight(
            name="moving_mean",
            shape=shape,
            initializer=self.moving_mean_initializer,
            trainable=False,
        )
        self.moving_variance = self.add_weight(
            name="moving_variance",
            shape=shape,
            initializer=self.moving_variance_initializer,
            trainable=False,
        )
        self._reduction_axes = [i for i in range(rank) if i != axis]
        self._broadcast = [1] * rank
        self._broadcast[axis] = dim

    def _b(self, v: Any, dtype: Any) -> Any:
        v = tf.cast(v, dtype) if v.dtype != dtype else v
        return tf.reshape(v, self._broadcast)

    def call(self, inputs: Any, training: Any = None, mask: Any = None) -> Any:
        dt = inputs.dtype
        if training and self.trainable:
            if mask is not None:
                m = tf.cast(mask, dt)
                while m.shape.rank < inputs.shape.rank:
                    m = tf.expand_dims(m, -1)
                count = tf.reduce_sum(m * tf.ones_like(inputs), self._reduction_axes, keepdims=True)
                mean = tf.reduce_sum(inputs * m, self._reduction_axes, keepdims=True) / count
                var = (
                    tf.reduce_sum(tf.square(inputs - mean) * m, self._reduction_axes, keepdims=True)
                    / count
                )
            else:
                mean, var = tf.nn.moments(inputs, self._reduction_axes, keepdims=True)
            flat_mean = tf.reshape(mean, [-1])
            flat_var = tf.reshape(var, [-1])
            mom = tf.constant(self.momentum, self.moving_mean.dtype)
            self.moving_mean.assign(
                self.moving_mean * mom + tf.cast(tf.stop_gradient(flat_mean), mom.dtype) * (1 - mom)
            )
            self.moving_variance.assign(
                self.moving_variance * mom
                + tf.cast(tf.stop_gradient(flat_var), mom.dtype) * (1 - mom)
            )
        else:
            mean = self._b(self.moving_mean, dt)
            var = self._b(self.moving_variance, dt)
        inv = (
            tf.math.rsqrt(var + tf.constant(self.epsilon, dt))
            if hasattr(tf.math, "rsqrt")
            else 1.0 / tf.sqrt(var + tf.constant(self.epsilon, dt))
        )
        if self.gamma is not None:
            inv = inv * self._b(self.gamma, dt)
        out = (inputs - mean) * inv
        if self.beta is not None:
            out = out + self._b(self.beta, dt)
        return out

    def compute_output_shape(self, input_shape: Any) -> Any:
        return input_shape

    def get_config(self) -> dict:
        config = super().get_config()
        config.update(
            {
                "axis": self.axis,
                "momentum": self.momentum,
                "epsilon": self.epsilon,
                "center": self.center,
                "scale": self.scale,
                "beta_initializer": initializers.serialize(self.beta_initializer),
                "gamma_initializer": initializers.serialize(self.gamma_initializer),
                "moving_mean_initializer": initializers.serialize(self.moving_mean_initializer),
                "moving_variance_initializer": initializers.serialize(
                    self.moving_variance_initializer
                ),
                "beta_regularizer": regularizers.serialize(self.beta_regularizer),
                "gamma_regularizer": regularizers.serialize(self.gamma_regularizer),
                "beta_constraint": constraints.serialize(self.beta_constraint),
                "gamma_constraint": constraints.serialize(self.gamma_constraint),
                "synchronized": self.synchronized,
                "renorm": self.renorm,
                "renorm_clipping": self.renorm_clipping,
                "renorm_momentum": self.renorm_momentum,
            }
        )
        return config


class LayerNormalization(Layer):
    """Normalizes each example over `axis` (the last by default)."""

    def __init__(
        self,
        axis: Any = -1,
        epsilon: float = 0.001,
        center: bool = True,
        scale: bool = True,
        rms_scaling: bool = False,
        beta_initializer: Any = "zeros",
        gamma_initializer: Any = "ones",
        beta_regularizer: Any = None,
        gamma_regularizer: Any = None,
        beta_constraint: Any = None,
        gamma_constraint: Any = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if not isinstance(axis, (int, list, tuple)):
            raise TypeError(
                "Expected an int or a list/tuple of ints for the argument 'axis', but "
                f"received: {axis}"
            )
        self.axis = axis if isinstance(axis, int) else list(axis)
        self.epsilon = epsilon
        self.center, self.scale, self.rms_scaling = center, scale, rms_scaling
        self.beta_initializer = initializers.get(beta_initializer)
        self.gamma_initializer = initializers.get(gamma_initializer)
        self.beta_regularizer = regularizers.get(beta_regularizer)
        self.gamma_regularizer = regularizers.get(gamma_regularizer)
        self.beta_constraint = constraints.get(beta_constraint)
        self.gamma_constraint = constraints.get(gamma_constraint)
        self.supports_masking = True
        self.gamma = self.beta = None

    def build(self, input_shape: Any) -> None:
        rank = len(input_shape)
        self._axes = sorted(a % rank for a in _axes(self.axis))
        if isinstance(self.axis, int):
            self.axis = [self.axis]  # Keras lists the axis once built
        shape = tuple(input_shape[a] for a in self._axes)
        self._broadcast = [input_shape[i] if i in self._axes else 1 for i in range(rank)]
        if self.scale:
            self.gamma = self.add_weight(
                name="gamma",
                shape=shape,
                initializer=self.gamma_initializer,
                regularizer=self.gamma_regularizer,
                constraint=self.gamma_constraint,
            )
        if self.center and not self.rms_scaling:
            self.beta = self.add_weight(
                name="beta",
                shape=shape,
                initializer=self.beta_initializer,
                regularizer=self.beta_regularizer,
                constraint=self.beta_constraint,
            )

    def call(self, inputs: Any) -> Any:
        dt = inputs.dtype
        eps = tf.constant(self.epsilon, dt)
        if self.rms_scaling:
            # Keras' deprecated rms_scaling divides by the variance's root, not the RMS.
            _, var = tf.nn.moments(inputs, self._axes, keepdims=True)
            out = inputs * tf.math.rsqrt(var + eps)
            if self.gamma is not None:
                out = out * tf.reshape(tf.cast(self.gamma, dt), self._broadcast)
            return out
        mean, var = tf.nn.moments(inputs, self._axes, keepdims=True)
        inv = tf.math.rsqrt(var + eps)
        if self.gamma is not None:
            inv = inv * tf.reshape(tf.cast(self.gamma, dt), self._broadcast)
        out = (inputs - mean) * inv
        if self.beta is not None:
            out = out + tf.reshape(tf.cast(self.beta, dt), self._broadcast)
        return out

    def compute_output_shape(self, input_shape: Any) -> Any:
        return input_shape

    def get_config(self) -> dict:
        config = super().get_config()
        config.update(
            {
                "axis": self.axis,
                "epsilon": self.epsilon,
                "center": self.center,
                "scale": self.scale,
                "rms_scaling": self.rms_scaling,
                "beta_initializer": initializers.serialize(self.beta_initializer),
                "gamma_initializer": initializers.serialize(self.gamma_initializer),
                "beta_regularizer": regularizers.serialize(self.beta_regularizer),
                "gamma_regularizer": regularizers.serialize(self.gamma_regularizer),
                "beta_constraint": constraints.serialize(self.beta_constraint),
                "gamma_constraint": constraints.serialize(self.gamma_constraint),
            }
        )
        return config


class Normalization(Layer):
    """`(x - mean) / sqrt(variance)` per feature of `axis`; `invert` undoes it.

    `adapt(data)` computes the statistics from a NumPy array, a tensor or an iterable of
    batches (such as a `tf.data.Dataset`).
    """

    def __init__(
        self,
        axis: Any = -1,
        mean: Any = None,
        variance: Any = None,
        invert: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if axis is None:
            axis = ()
        self.axis = (axis,) if isinstance(axis, int) else tuple(axis)
        if (mean is None) != (variance is None):
            raise ValueError(
                "When setting values directly, both `mean` and `variance` must be set. "
                f"Received: mean={mean} and variance={variance}"
            )
        self.input_mean, self.input_variance = mean, variance
        self.invert = invert
        self.supports_masking = True

    def build(self, input_shape: Any) -> None:
        if input_shape is None:
            return
        ndim = len(input_shape)
        if any(a < -ndim or a >= ndim for a in self.axis):
            raise ValueError(
                "All `axis` values must be in the range [-ndim, ndim). Received inputs with "
                f"ndim={ndim}, while axis={self.axis}"
            )
        self._keep_axis = tuple(sorted(a % ndim for a in self.axis))
        for d in self._keep_axis:
            if input_shape[d] is None:
                raise ValueError(
                    "All `axis` values to be kept must have a known shape. Received "
                    f"axis={self.axis}, inputs.shape={input_shape}, with unknown axis at "
                    f"index {d}"
                )
        self._reduce_axis = tuple(d for d in range(ndim) if d not in self._keep_axis)
        self._broadcast_shape = [input_shape[d] if d in self._keep_axis else 1 for d in range(ndim)]
        shape = tuple(input_shape[d] for d in self._keep_axis)
        if self.input_mean is None:
            self.adapt_mean = self.add_weight(
                name="mean", shape=shape, initializer="zeros", trainable=False
            )
            self.adapt_variance = self.add_weight(
                name="variance", shape=shape, initializer="ones", trainable=False
            )
            self.count = self.add_weight(
                name="count", shape=(), dtype="int64", initializer="zeros", trainable=False
            )
        else:
            mean = np.asarray(self.input_mean, dtype=np.float64)
            var = np.asarray(self.input_variance, dtype=np.float64)
            if mean.ndim == 0:
                mean = np.broadcast_to(mean, self._broadcast_shape)
                var = np.broadcast_to(var, self._broadcast_shape)
            else:
                expanded = [1] * ndim
                for i in range(1, mean.ndim + 1):
                    expanded[self._keep_axis[-i]] = mean.shape[-i]
                mean = np.broadcast_to(mean.reshape(expanded), self._broadcast_shape)
                var = np.broadcast_to(var.reshape(expanded), self._broadcast_shape)
            self.__dict__["_fixed"] = (
                tf.constant(mean.astype(self.compute_dtype)),
                tf.constant(var.astype(self.compute_dtype)),
            )

    def adapt(self, data: Any, batch_size: Any = None, steps: Any = None) -> None:
        """Computes mean and variance of `data` over the non-kept axes."""
        if (
            isinstance(data, (np.ndarray, tf.Tensor))
            or hasattr(data, "numpy")
            and not hasattr(data, "__iter__")
        ):
            batches = [np.asarray(data)]
        elif isinstance(data, (list, tuple)) and data and not hasattr(data[0], "shape"):
            batches = [np.asarray(data)]
        else:
            batches = (np.asarray(b[0] if isinstance(b, tuple) else b) for b in data)
        total = None
        count = 0
        for i, batch in enumerate(batches):
            if steps is not None and i >= steps:
                break
            batch = batch.astype(np.float64)
            if not self.built:
                shape = (None,) + batch.shape[1:]
                self.build(shape)
                self.__dict__["built"] = True
                self.__dict__["_build_shapes"] = shape
            axes = self._reduce_axis
            n = int(np.prod([batch.shape[a] for a in axes])) if axes else 1
            s = batch.sum(axis=axes)
            sq = (batch**2).sum(axis=axes)
            if total is None:
                total, total_sq = s, sq
            else:
                total, total_sq = total + s, total_sq + sq
            count += n
        if total is None:
            raise ValueError("`adapt()` received no data.")
        mean = total / count
        var = np.maximum(total_sq / count - mean**2, 0.0)
        self.adapt_mean.assign(mean.astype(self.adapt_mean.dtype.as_numpy_dtype))
        self.adapt_variance.assign(var.astype(self.adapt_variance.dtype.as_numpy_dtype))
        self.count.assign(np.int64(count))

    def _stats(self, dt: Any) -> tuple:
        fixed = self.__dict__.get("_fixed")
        if fixed is not None:
            return fixed
        mean = tf.reshape(tf.cast(self.adapt_mean, dt), self._broadcast_shape)
        var = tf.reshape(tf.cast(self.adapt_variance, dt), self._broadcast_shape)
        return mean, var

    @property
    def mean(self) -> Any:
        """The mean in the inputs' broadcast shape (e.g. `(1, features)`), None unbuilt."""
        return self._stats(tf.as_dtype(self.compute_dtype))[0] if self.built else None

    @property
    def variance(self) -> Any:
        """The variance in the inputs' broadcast shape, None before the layer is built."""
        return self._stats(tf.as_dtype(self.compute_dtype))[1] if self.built else None

    def call(self, inputs: Any) -> Any:
        inputs = tf.cast(inputs, self.compute_dtype)
        mean, var = self._stats(inputs.dtype)
        denom = tf.maximum(tf.sqrt(var), tf.constant(_EPSILON, inputs.dtype))
        if self.invert:
            return mean + inputs * denom
        return (inputs - mean) / denom

    def compute_output_shape(self, input_shape: Any) -> Any:
        return input_shape

    def get_config(self) -> dict:
        config = super().get_config()
        config.update(
            {
                "axis": self.axis,
                "invert": self.invert,
                "mean": np.array(self.input_mean).tolist(),
                "variance": np.array(self.input_variance).tolist(),
            }
        )
        return config


for _cls in (BatchNormalization, LayerNormalization, Normalization):
    serialization_lib.register_builtin("keras.layers", _cls)
