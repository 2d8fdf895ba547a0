"""Resolving `compile()` arguments: losses, metrics ('accuracy' picks binary, categorical
or sparse categorical accuracy from the shapes as Keras does) and the loss tracker.

The loss, metric and optimizer families live in `ndflow._src.keras.losses`, `metrics`
and `optimizers`; they are imported lazily so the trainer works (with the small
built-in fallbacks below) before they exist.

>>> m = MeanTracker("loss")
>>> m.update_state(2.0); m.update_state(4.0)
>>> float(m.result())
3.0
"""

from __future__ import annotations

import importlib
from typing import Any

import ndflow as tf
from ndflow._src.core import nest


def _family(name: str) -> Any:
    try:
        return importlib.import_module(f"ndflow._src.keras.{name}")
    except ImportError:
        return None


class MeanTracker:
    """A weighted running mean in two variables (usable eagerly and inside tf.function)."""

    def __init__(self, name: str, fn: Any = None, dtype: str = "float32") -> None:
        self.name = name
        self._fn = fn
        self._fn_kwargs: dict = {}
        with tf.init_scope():
            self.total = tf.Variable(0.0, dtype=dtype, trainable=False, name="total")
            self.count = tf.Variable(0.0, dtype=dtype, trainable=False, name="count")

    @property
    def variables(self) -> list:
        return [self.total, self.count]

    def update_state(self, values: Any, sample_weight: Any = None) -> None:
        values = tf.cast(tf.convert_to_tensor(values), self.total.dtype)
        if sample_weight is None:
            self.total.assign_add(tf.reduce_sum(values))
            self.count.assign_add(tf.cast(tf.size(values), self.total.dtype))
            return
        sw = tf.cast(tf.convert_to_tensor(sample_weight), self.total.dtype)
        if values.shape.rank == 0:
            self.total.assign_add(values * sw)
            self.count.assign_add(sw)
            return
        sw = _match_rank(sw, values)
        sw = tf.broadcast_to(sw, tf.shape(values))
        self.total.assign_add(tf.reduce_sum(values * sw))
        self.count.assign_add(tf.reduce_sum(sw))

    def result(self) -> Any:
        return tf.math.divide_no_nan(self.total, self.count)

    def reset_state(self) -> None:
        self.total.assign(0.0)
        self.count.assign(0.0)


class FnMetric(MeanTracker):
    """The mean of `fn(y_true, y_pred)` over all samples seen (Keras' MeanMetricWrapper)."""

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        super().update_state(self._fn(y_true, y_pred), sample_weight)


def _match_rank(sw: Any, values: Any) -> Any:
    while (
        sw.shape.rank is not None
        and values.shape.rank is not None
        and (sw.shape.rank > values.shape.rank and sw.shape[-1] == 1)
    ):
        sw = tf.squeeze(sw, -1)
    while (
        sw.shape.rank is not None
        and values.shape.rank is not None
        and (sw.shape.rank < values.shape.rank)
    ):
        sw = tf.expand_dims(sw, -1)
    return sw


# ------------------------------------------------------------------ fallback functions
def _squeeze_true(y_true: Any, y_pred: Any) -> Any:
    if y_true.shape.rank is not None and y_true.shape.rank == y_pred.shape.rank:
        if y_true.shape[-1] == 1:
            y_true = tf.squeeze(y_true, -1)
    return y_true


def binary_accuracy(y_true: Any, y_pred: Any, threshold: float = 0.5) -> Any:
    y_pred = tf.convert_to_tensor(y_pred)
    y_true = tf.cast(y_true, y_pred.dtype)
    pred = tf.cast(y_pred > threshold, y_pred.dtype)
    return tf.reduce_mean(tf.cast(tf.equal(y_true, pred), "float32"), axis=-1)


def categorical_accuracy(y_true: Any, y_pred: Any) -> Any:
    return tf.cast(tf.equal(tf.argmax(y_true, -1), tf.argmax(y_pred, -1)), "float32")


def sparse_categorical_accuracy(y_true: Any, y_pred: Any) -> Any:
    y_pred = tf.convert_to_tensor(y_pred)
    y_true = _squeeze_true(tf.convert_to_tensor(y_true), y_pred)
    pred = tf.argmax(y_pred, -1)
    return tf.cast(tf.equal(tf.cast(y_true, pred.dtype), pred), "float32")


def mean_squared_error(y_true: Any, y_pred: Any) -> Any:
    y_pred = tf.convert_to_tensor(y_pred)
    y_true = tf.cast(y_true, y_pred.dtype)
    return tf.reduce_mean(tf.square(y_pred - y_true), axis=-1)


def mean_absolute_error(y_true: Any, y_pred: Any) -> Any:
    y_pred = tf.convert_to_tensor(y_pred)
    y_true = tf.cast(y_true, y_pred.dtype)
    return tf.reduce_mean(tf.abs(y_pred - y_true), axis=-1)


_FALLBACK_FNS = {
    "mse": mean_squared_error,
    "mean_squared_error": mean_squared_error,
    "mae": mean_absolute_error,
    "mean_absolute_error": mean_absolute_error,
    "binary_accuracy": binary_accuracy,
    "categorical_accuracy": categorical_accuracy,
    "sparse_categorical_accuracy": sparse_categorical_accuracy,
}


# ------------------------------------------------------------------ losses
class LossFn:
    """One compiled loss: a Loss object (called with sample_weight, returns a scalar) or
    a function returning per-sample values (averaged as Keras' sum_over_batch_size)."""

    def __init__(self, loss: Any) -> None:
        self.loss = loss

    def __call__(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> Any:
        fn = self.loss
        if _is_loss_object(fn):
            return tf.cast(fn(y_true, y_pred, sample_weight=sample_weight), "float32")
        values = tf.convert_to_tensor(fn(y_true, y_pred))
        values = tf.cast(values, "float32")
        if sample_weight is not None:
            sw = tf.cast(tf.convert_to_tensor(sample_weight), values.dtype)
            sw = _match_rank(sw, values)
            values = values * sw
        return tf.math.divide_no_nan(tf.reduce_sum(values), tf.cast(tf.size(values), values.dtype))


def _is_loss_object(fn: Any) -> bool:
    losses = _family("losses")
    base = getattr(losses, "Loss", None) if losses is not None else None
    if base is not None and isinstance(fn, base):
        return True
    return hasattr(fn, "reduction") and hasattr(fn, "get_config")


def get_loss(identifier: Any) -> Any:
    """A loss object or function from a string, a config dict, a callable or None."""
    if identifier is None:
        return None
    losses = _family("losses")
    if isinstance(identifier, (str, dict)):
        if losses is not None and hasattr(losses, "get"):
            try:
                return losses.get(identifier)
            except ValueError:
                pass
        if isinstance(identifier, str) and identifier in _FALLBACK_FNS:
            return _FALLBACK_FNS[identifier]
        raise ValueError(f"Could not interpret loss identifier: {identifier}")
    if callable(identifier):
        return identifier
    raise ValueError(f"Could not interpret loss identifier: {identifier}")


def get_optimizer(identifier: Any) -> Any:
    """An optimizer instance from a string, a config dict or an instance."""
    if identifier is None:
        raise ValueError("Could not interpret optimizer identifier: None")
    if isinstance(identifier, (str, dict)):
        optimizers = _family("optimizers")
        if optimizers is None or not hasattr(optimizers, "get"):
            raise ValueError(
                f"Could not interpret optimizer identifier: {identifier} "
                "(ndflow.keras.optimizers is not available)"
            )
        return optimizers.get(identifier)
    if hasattr(identifier, "apply_gradients") or hasattr(identifier, "apply"):
        return identifier
    raise ValueError(f"Could not interpret optimizer identifier: {identifier}")


# ------------------------------------------------------------------ metrics
_ACCURACY = ("accuracy", "acc")
_CROSSENTROPY = ("crossentropy", "ce")


def get_metric(identifier: Any, y_true: Any, y_pred: Any) -> Any:
    """A metric object for one output; strings resolved as Keras' compile does."""
    metrics = _family("metrics")
    if isinstance(identifier, str) and identifier in _ACCURACY + _CROSSENTROPY:
        t_rank, p_rank = y_true.shape.rank, y_pred.shape.rank
        t_last = y_true.shape[-1] if t_rank else None
        p_last = y_pred.shape[-1] if p_rank else None
        is_binary = p_last == 1
        is_sparse = (
            t_rank is not None
            and p_rank is not None
            and (t_rank < p_rank or (t_last == 1 and p_last is not None and p_last > 1))
        )
        kind = "binary" if is_binary else "sparse_categorical" if is_sparse else "categorical"
        if identifier in _ACCURACY:
            cls_name = {
                "binary": "BinaryAccuracy",
                "sparse_categorical": "SparseCategoricalAccuracy",
                "categorical": "CategoricalAccuracy",
            }[kind]
            cls = getattr(metrics, cls_name, None) if metrics is not None else None
            if cls is not None:
                return cls(name=identifier)
            return FnMetric(identifier, _FALLBACK_FNS[f"{kind}_accuracy"])
        cls_name = {
            "binary": "BinaryCrossentropy",
            "sparse_categorical": "SparseCategoricalCrossentropy",
            "categorical": "CategoricalCrossentropy",
        }[kind]
        cls = getattr(metrics, cls_name, None) if metrics is not None else None
        if cls is None:
            raise ValueError(f"Could not interpret metric identifier: {identifier}")
        return cls(name=identifier)
    if isinstance(identifier, (str, dict)):
        if metrics is not None and hasattr(metrics, "get"):
            try:
                got = metrics.get(identifier)
            except ValueError:
                got = None
            if got is not None:
                metric = _as_metric(got, identifier)
                if isinstance(identifier, str):
                    _rename(metric, identifier)  # Keras logs it under the given string
                return metric
        if isinstance(identifier, str) and identifier in _FALLBACK_FNS:
            return FnMetric(identifier, _FALLBACK_FNS[identifier])
        raise ValueError(f"Could not interpret metric identifier: {identifier}")
    return _as_metric(identifier, identifier)


def _rename(metric: Any, name: str) -> None:
    try:
        metric.name = name
    except AttributeError:
        if hasattr(metric, "_name"):
            metric._name = name


def _as_metric(obj: Any, identifier: Any) -> Any:
    if hasattr(obj, "update_state") and hasattr(obj, "result"):
        return obj
    if isinstance(obj, type):
        return obj()
    if callable(obj):
        name = identifier if isinstance(identifier, str) else getattr(obj, "__name__", "metric")
        metrics = _family("metrics")
        wrapper = getattr(metrics, "MeanMetricWrapper", None) if metrics is not None else None
        if wrapper is not None:
            return wrapper(obj, name=name)
        return FnMetric(name, obj)
    raise ValueError(f"Could not interpret metric identifier: {identifier}")


def map_to_outputs(value: Any, output_names: list, what: str) -> list:
    """`value` (one item, a list or a dict keyed by output name) as a list per output."""
    n = len(output_names)
    if isinstance(value, dict):
        unknown = [k for k in value if k not in output_names]
        if unknown:
            raise ValueError(
                f"In the dict argument `{what}`, key '{unknown[0]}' does not correspond to "
                f"any model output. Received:\n{what}={value}"
            )
        return [value.get(name) for name in output_names]
    if isinstance(value, (list, tuple)) and what != "metrics":
        if len(value) != n:
            raise ValueError(
                f"For a model with multiple outputs, when providing the `{what}` argument "
                f"as a list, it should have as many entries as the model has outputs. "
                f"Received:\n{what}={value}\nof length {len(value)} whereas the model has "
                f"{n} outputs."
            )
        return list(value)
    return [value] * n


def flat_outputs(y: Any) -> list:
    return nest.flatten(y)
