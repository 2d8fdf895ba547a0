"""Metrics that are the mean of a per-sample function: accuracies, regression errors,
crossentropies and hinges.

>>> import ndflow as tf
>>> acc = tf.keras.metrics.SparseCategoricalAccuracy()
>>> float(acc([1, 0], [[0.1, 0.9], [0.2, 0.8]]))
0.5
"""

from __future__ import annotations

from typing import Any

import ndflow as tf
from ndflow._src.keras.losses import losses
from ndflow._src.keras.losses.losses import squeeze_or_expand_to_same_rank
from ndflow._src.keras.metrics.reduction_metrics import Mean, MeanMetricWrapper

# ---------------------------------------------------------------------------- functions


def accuracy(y_true: Any, y_pred: Any) -> Any:
    """1.0 where y_true == y_pred, else 0.0."""
    y_pred = tf.convert_to_tensor(y_pred)
    y_true = losses._to_dtype(y_true, y_pred.dtype)
    y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
    return tf.cast(tf.equal(y_true, y_pred), tf.float32)


def binary_accuracy(y_true: Any, y_pred: Any, threshold: float = 0.5) -> Any:
    """1.0 where (y_pred > threshold) == y_true, else 0.0."""
    y_pred = tf.convert_to_tensor(y_pred)
    y_true = losses._to_dtype(y_true, y_pred.dtype)
    y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
    y_pred = tf.cast(y_pred > tf.cast(threshold, y_pred.dtype), y_true.dtype)
    return tf.cast(tf.equal(y_true, y_pred), tf.float32)


def categorical_accuracy(y_true: Any, y_pred: Any) -> Any:
    """1.0 where argmax(y_true) == argmax(y_pred), else 0.0."""
    y_true = tf.argmax(y_true, axis=-1)
    y_pred = tf.convert_to_tensor(y_pred)
    reshape = None
    if len(y_true.shape) == len(y_pred.shape):
        reshape = tf.shape(y_true)
        y_true = tf.squeeze(y_true, -1)
    y_pred = tf.cast(tf.argmax(y_pred, axis=-1), y_true.dtype)
    matches = tf.cast(tf.equal(y_true, y_pred), tf.float32)
    return tf.reshape(matches, reshape) if reshape is not None else matches


def sparse_categorical_accuracy(y_true: Any, y_pred: Any) -> Any:
    """1.0 where the integer label equals argmax(y_pred), else 0.0."""
    y_pred = tf.convert_to_tensor(y_pred)
    y_true = losses._to_dtype(y_true, y_pred.dtype)
    reshape = None
    if len(y_true.shape) == len(y_pred.shape) and y_true.shape[-1] == 1:
        reshape = tf.shape(y_true)
        y_true = tf.squeeze(y_true, -1)
    if len(y_pred.shape) == len(y_true.shape) + 1:
        y_pred = tf.argmax(y_pred, axis=-1)
    if y_pred.dtype != y_true.dtype:
        y_pred = tf.cast(y_pred, y_true.dtype)
    matches = tf.cast(tf.equal(y_true, y_pred), tf.float32)
    if reshape is not None:
        matches = tf.reshape(matches, reshape)
    if len(matches.shape) > 1 and matches.shape[-1] == 1:
        matches = tf.squeeze(matches, -1)
    return matches


def _in_top_k(labels: Any, y_pred: Any, k: int) -> Any:
    y_pred = tf.convert_to_tensor(y_pred)
    labels_shape = tf.shape(labels)
    reshape = len(labels.shape) > 1
    if len(y_pred.shape) > 2:
        y_pred = tf.reshape(y_pred, [-1, y_pred.shape[-1]])
    if reshape:
        labels = tf.reshape(labels, [-1])
    matches = tf.cast(tf.math.in_top_k(tf.cast(labels, tf.int32), y_pred, k), tf.float32)
    return tf.reshape(matches, labels_shape) if reshape else matches


def top_k_categorical_accuracy(y_true: Any, y_pred: Any, k: int = 5) -> Any:
    """1.0 where argmax(y_true) is among the top `k` predictions."""
    return _in_top_k(tf.argmax(y_true, axis=-1), y_pred, k)


def sparse_top_k_categorical_accuracy(
    y_true: Any, y_pred: Any, k: int = 5, from_sorted_ids: bool = False
) -> Any:
    """1.0 where the integer label is among the top `k` predictions (or sorted ids)."""
    y_true = tf.convert_to_tensor(y_true)
    y_pred = tf.convert_to_tensor(y_pred)
    if len(y_true.shape) == len(y_pred.shape) and y_true.shape[-1] == 1:
        y_true = tf.squeeze(y_true, -1)
    if from_sorted_ids:
        ids = tf.cast(y_pred[..., :k], tf.int64)
        hit = tf.reduce_any(tf.equal(ids, tf.expand_dims(tf.cast(y_true, tf.int64), -1)), -1)
        return tf.cast(hit, tf.float32)
    return _in_top_k(y_true, y_pred, k)


# ---------------------------------------------------------------------------- classes


class Accuracy(MeanMetricWrapper):
    """How often predictions equal labels."""

    def __init__(self, name: str = "accuracy", dtype: Any = None):
        super().__init__(accuracy, name=name, dtype=dtype)

    def get_config(self) -> dict:
        return {"name": self.name, "dtype": self.dtype}


class BinaryAccuracy(MeanMetricWrapper):
    """How often thresholded predictions equal binary labels."""

    def __init__(self, name: str = "binary_accuracy", dtype: Any = None, threshold: float = 0.5):
        super().__init__(binary_accuracy, name=name, dtype=dtype, threshold=threshold)


class CategoricalAccuracy(MeanMetricWrapper):
    """How often argmax of predictions equals argmax of one-hot labels."""

    def __init__(self, name: str = "categorical_accuracy", dtype: Any = None):
        super().__init__(categorical_accuracy, name=name, dtype=dtype)


class SparseCategoricalAccuracy(MeanMetricWrapper):
    """How often argmax of predictions equals integer labels.

    >>> import ndflow as tf
    >>> train_accuracy = tf.keras.metrics.SparseCategoricalAccuracy(name="train_accuracy")
    >>> _ = train_accuracy([0, 1], [[0.9, 0.1], [0.6, 0.4]])
    >>> f"{train_accuracy.result() * 100:0.2f}"
    '50.00'
    """

    def __init__(self, name: str = "sparse_categorical_accuracy", dtype: Any = None):
        super().__init__(sparse_categorical_accuracy, name=name, dtype=dtype)


class TopKCategoricalAccuracy(MeanMetricWrapper):
    """How often the one-hot label is among the top `k` predictions."""

    def __init__(self, k: int = 5, name: str = "top_k_categorical_accuracy", dtype: Any = None):
        super().__init__(top_k_categorical_accuracy, name=name, dtype=dtype, k=k)


class SparseTopKCategoricalAccuracy(MeanMetricWrapper):
    """How often the integer label is among the top `k` predictions."""

    def __init__(
        self,
        k: int = 5,
        name: str = "sparse_top_k_categorical_accuracy",
        dtype: Any = None,
        from_sorted_ids: bool = False,
    ):
        super().__init__(sparse_top_k_categorical_accuracy, name=name, dtype=dtype, k=k)
        self.from_sorted_ids = from_sorted_ids
        if from_sorted_ids:
            self._fn_kwargs["from_sorted_ids"] = True

    def get_config(self) -> dict:
        config = {"name": self.name, "dtype": self.dtype, "k": self._fn_kwargs["k"]}
        if self.from_sorted_ids:
            config["from_sorted_ids"] = True
        return config


def _wrapper_class(cls_name: str, fn: Any, default_name: str, **defaults: Any) -> type:
    """A `MeanMetricWrapper` subclass over a loss function with keyword `defaults`."""

    def init(self, name: str = default_name, dtype: Any = None, **kwargs: Any) -> None:
        params = dict(defaults)
        for k, v in kwargs.items():
            if k not in params:
                raise TypeError(f"Unrecognized keyword argument: {k}")
            params[k] = v
        MeanMetricWrapper.__init__(self, fn, name=name, dtype=dtype, **params)

    doc = f"The mean of `{fn.__name__}` over all samples seen."
    return type(cls_name, (MeanMetricWrapper,), {"__init__": init, "__doc__": doc})


MeanSquaredError = _wrapper_class(
    "MeanSquaredError", losses.mean_squared_error, "mean_squared_error"
)
MeanAbsoluteError = _wrapper_class(
    "MeanAbsoluteError", losses.mean_absolute_error, "mean_absolute_error"
)
MeanAbsolutePercentageError = _wrapper_class(
    "MeanAbsolutePercentageError",
    losses.mean_absolute_percentage_error,
    "mean_absolute_percentage_error",
)
MeanSquaredLogarithmicError = _wrapper_class(
    "MeanSquaredLogarithmicError",
    losses.mean_squared_logarithmic_error,
    "mean_squared_logarithmic_error",
)
CosineSimilarity = _wrapper_class(
    "CosineSimilarity",
    lambda a, b, axis=-1: -losses.cosine_similarity(a, b, axis),
    "cosine_similarity",
    axis=-1,
)
LogCoshError = _wrapper_class("LogCoshError", losses.log_cosh, "logcosh")
Hinge = _wrapper_class("Hinge", losses.hinge, "hinge")
SquaredHinge = _wrapper_class("SquaredHinge", losses.squared_hinge, "squared_hinge")
CategoricalHinge = _wrapper_class("CategoricalHinge", losses.categorical_hinge, "categorical_hinge")
KLDivergence = _wrapper_class("KLDivergence", losses.kl_divergence, "kl_divergence")
Poisson = _wrapper_class("Poisson", losses.poisson, "poisson")
BinaryCrossentropy = _wrapper_class(
    "BinaryCrossentropy",
    losses.binary_crossentropy,
    "binary_crossentropy",
    from_logits=False,
    label_smoothing=0,
)
CategoricalCrossentropy = _wrapper_class(
    "CategoricalCrossentropy",
    losses.categorical_crossentropy,
    "categorical_crossentropy",
    from_logits=False,
    label_smoothing=0,
    axis=-1,
)
SparseCategoricalCrossentropy = _wrapper_class(
    "SparseCategoricalCrossentropy",
    losses.sparse_categorical_crossentropy,
    "sparse_categorical_crossentropy",
    from_logits=False,
    axis=-1,
)


class RootMeanSquaredError(Mean):
    """sqrt of the (weighted) mean of squared errors."""

    def __init__(self, name: str = "root_mean_squared_error", dtype: Any = None):
        super().__init__(name=name, dtype=dtype)

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        y_true = losses._to_dtype(y_true, self._dtype)
        y_pred = losses._to_dtype(y_pred, self._dtype)
        y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
        super().update_state(tf.square(y_pred - y_true), sample_weight=sample_weight)

    def result(self) -> Any:
        return tf.sqrt(tf.math.divide_no_nan(self.total, self.count))
