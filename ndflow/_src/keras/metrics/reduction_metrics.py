"""`Mean`, `Sum` and `MeanMetricWrapper` (a mean of a per-sample function).

>>> import ndflow as tf
>>> m = tf.keras.metrics.Mean()
>>> float(m([1.0, 2.0, 3.0], sample_weight=[1.0, 0.0, 1.0]))
2.0
"""

from __future__ import annotations

from typing import Any
from collections.abc import Callable

import ndflow as tf
from ndflow._src.keras.losses.losses import squeeze_or_expand_to_same_rank
from ndflow._src.keras.metrics.metric import Metric


def _cast(x: Any, dtype: Any) -> Any:
    if isinstance(x, tf.Variable):
        x = x.value()
    if tf.is_tensor(x):
        return x if x.dtype == dtype else tf.cast(x, dtype)
    x = tf.convert_to_tensor(x)
    return x if x.dtype == dtype else tf.cast(x, dtype)


def reduce_to_samplewise_values(
    values: Any, sample_weight: Any, reduce_fn: Callable, dtype: Any
) -> tuple:
    """Keras's reduction of values (and weights) to one value per sample."""
    values = _cast(values, dtype)
    if sample_weight is not None:
        sample_weight = _cast(sample_weight, dtype)
        values, sample_weight = squeeze_or_expand_to_same_rank(values, sample_weight)
        weight_ndim = len(sample_weight.shape)
        values_ndim = len(values.shape)
        if values_ndim > weight_ndim:
            values = reduce_fn(values, axis=list(range(weight_ndim, values_ndim)))
        sample_weight = tf.broadcast_to(sample_weight, tf.shape(values))
        values = values * sample_weight
        if weight_ndim > 1:
            sample_weight = reduce_fn(sample_weight, axis=list(range(1, weight_ndim)))
    if len(values.shape) > 1:
        values = reduce_fn(values, axis=list(range(1, len(values.shape))))
    return values, sample_weight


class Sum(Metric):
    """The (weighted) sum of all values seen."""

    def __init__(self, name: str = "sum", dtype: Any = None):
        super().__init__(name=name, dtype=dtype)
        self.total = self.add_variable(shape=(), initializer="zeros", name="total")

    def update_state(self, values: Any, sample_weight: Any = None) -> None:
        values, _ = reduce_to_samplewise_values(values, sample_weight, tf.reduce_sum, self._dtype)
        self.total.assign_add(tf.reduce_sum(values))

    def result(self) -> Any:
        return tf.identity(self.total)


class Mean(Metric):
    """The (weighted) mean of all values seen: `total / count`.

    >>> import ndflow as tf
    >>> train_loss = tf.keras.metrics.Mean(name="train_loss")
    >>> _ = train_loss(0.5); _ = train_loss(1.5)
    >>> f"{train_loss.result():0.2f}"
    '1.00'
    """

    def __init__(self, name: str = "mean", dtype: Any = None):
        super().__init__(name=name, dtype=dtype)
        self.total = self.add_variable(shape=(), initializer="zeros", name="total")
        self.count = self.add_variable(shape=(), initializer="zeros", name="count")

    def update_state(self, values: Any, sample_weight: Any = None) -> None:
        values, sample_weight = reduce_to_samplewise_values(
            values, sample_weight, tf.reduce_mean, self._dtype
        )
        self.total.assign_add(tf.reduce_sum(values))
        if sample_weight is not None:
            num_samples = tf.reduce_sum(sample_weight)
        elif len(values.shape) >= 1:
            num_samples = tf.shape(values)[0]
        else:
            num_samples = 1
        self.count.assign_add(tf.cast(num_samples, self._dtype))

    def result(self) -> Any:
        return tf.math.divide_no_nan(self.total, self.count)


class MeanMetricWrapper(Mean):
    """The mean of `fn(y_true, y_pred, **kwargs)` over all samples seen."""

    def __init__(self, fn: Callable, name: str | None = None, dtype: Any = None, **kwargs: Any):
        super().__init__(name=name or getattr(fn, "__name__", "mean_metric_wrapper"), dtype=dtype)
        self._fn = fn
        self._fn_kwargs = kwargs

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        y_true = _cast(y_true, self._dtype)
        y_pred = _cast(y_pred, self._dtype)
        values = self._fn(y_true, y_pred, **self._fn_kwargs)
        super().update_state(values, sample_weight=sample_weight)

    def get_config(self) -> dict:
        config = super().get_config()
        config.update(self._fn_kwargs)
        return config

    @classmethod
    def from_config(cls, config: dict) -> MeanMetricWrapper:
        if cls is MeanMetricWrapper:
            raise ValueError("MeanMetricWrapper.from_config needs the `fn`: use a subclass.")
        return cls(**config)
