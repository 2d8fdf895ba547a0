"""F-beta / F1 score, R^2 score and mean intersection-over-union.

>>> import ndflow as tf
>>> m = tf.keras.metrics.MeanIoU(num_classes=2)
>>> float(m([0, 0, 1, 1], [0, 1, 0, 1]))
0.3333333432674408
"""

from __future__ import annotations

import warnings
from typing import Any

import ndflow as tf
from ndflow._src.keras.losses.losses import _to_dtype, squeeze_or_expand_to_same_rank
from ndflow._src.keras.metrics.metric import Metric

EPSILON = 1e-7


class FBetaScore(Metric):
    """F-beta score per class, or averaged ("micro", "macro", "weighted")."""

    def __init__(
        self,
        average: str | None = None,
        beta: float = 1.0,
        threshold: float | None = None,
        name: str = "fbeta_score",
        dtype: Any = None,
    ):
        super().__init__(name=name, dtype=dtype)
        if average not in (None, "micro", "macro", "weighted"):
            raise ValueError(
                "Invalid `average` argument value. Expected one of: "
                "{None, 'micro', 'macro', 'weighted'}. "
                f"Received: average={average}"
            )
        if not isinstance(beta, float):
            raise ValueError(
                "Invalid `beta` argument value. It should be a Python float. "
                f"Received: beta={beta} of type '{type(beta)}'"
            )
        if beta <= 0.0:
            raise ValueError(
                f"Invalid `beta` argument value. It should be > 0. Received: beta={beta}"
            )
        if threshold is not None:
            if not isinstance(threshold, float):
                raise ValueError(
                    "Invalid `threshold` argument value. It should be a Python float. "
                    f"Received: threshold={threshold} of type '{type(threshold)}'"
                )
            if threshold > 1.0 or threshold <= 0.0:
                raise ValueError(
                    "Invalid `threshold` argument value. It should verify 0 < threshold <= 1. "
                    f"Received: threshold={threshold}"
                )
        self.average = average
        self.beta = beta
        self.threshold = threshold
        self.axis = None if average == "micro" else 0
        self._built = False

    def _build(self, y_true_shape: tuple, y_pred_shape: tuple) -> None:
        if len(y_pred_shape) != 2 or len(y_true_shape) != 2:
            raise ValueError(
                "FBetaScore expects 2D inputs with shape (batch_size, output_dim). Received "
                f"input shapes: y_pred.shape={y_pred_shape} and y_true.shape={y_true_shape}."
            )
        if y_pred_shape[-1] is None or y_true_shape[-1] is None:
            raise ValueError(
                "FBetaScore expects 2D inputs with shape (batch_size, output_dim), with "
                "output_dim fully defined (not None). Received input shapes: "
                f"y_pred.shape={y_pred_shape} and y_true.shape={y_true_shape}."
            )
        shape = () if self.average == "micro" else (y_pred_shape[-1],)
        self.true_positives = self.add_variable(shape, "zeros", name="true_positives")
        self.false_positives = self.add_variable(shape, "zeros", name="false_positives")
        self.false_negatives = self.add_variable(shape, "zeros", name="false_negatives")
        self.intermediate_weights = self.add_variable(shape, "zeros", name="intermediate_weights")
        self._built = True

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        y_true = _to_dtype(y_true, self._dtype)
        y_pred = _to_dtype(y_pred, self._dtype)
        if not self._built:
            self._build(tuple(y_true.shape), tuple(y_pred.shape))
        if self.threshold is None:
            top = tf.reduce_max(y_pred, axis=-1, keepdims=True)
            # A row of zeros stays all-negative.
            y_pred = tf.logical_and(y_pred >= top, tf.abs(y_pred) > 1e-9)
        else:
            y_pred = y_pred > self.threshold
        y_pred = tf.cast(y_pred, self._dtype)
        if sample_weight is not None:
            sample_weight = _to_dtype(sample_weight, self._dtype)

        def weighted_sum(val: Any) -> Any:
            if sample_weight is not None:
                val = val * tf.expand_dims(sample_weight, 1)
            return tf.reduce_sum(val, axis=self.axis)

        self.true_positives.assign_add(weighted_sum(y_pred * y_true))
        self.false_positives.assign_add(weighted_sum(y_pred * (1 - y_true)))
        self.false_negatives.assign_add(weighted_sum((1 - y_pred) * y_true))
        self.intermediate_weights.assign_add(weighted_sum(y_true))

    def result(self) -> Any:
        tp = tf.convert_to_tensor(self.true_positives)
        precision = tp / (tp + self.false_positives + EPSILON)
        recall = tp / (tp + self.false_negatives + EPSILON)
        b2 = self.beta**2
        f = precision * recall / (b2 * precision + recall + EPSILON) * (1 + b2)
        if self.average == "weighted":
            w = self.intermediate_weights / (tf.reduce_sum(self.intermediate_weights) + EPSILON)
            return tf.reduce_sum(f * w)
        if self.average is not None:
            return tf.reduce_mean(f)
        return f

    def reset_state(self) -> None:
        if self._built:
            super().reset_state()

    def get_config(self) -> dict:
        return {
            "name": self.name,
            "dtype": self.dtype,
            "beta": self.beta,
            "average": self.average,
            "threshold": self.threshold,
        }


class F1Score(FBetaScore):
    """F1 score: the harmonic mean of precision and recall (FBetaScore with beta=1)."""

    def __init__(
        self,
        average: str | None = None,
        threshold: float | None = None,
        name: str = "f1_score",
        dtype: Any = None,
    ):
        super().__init__(average=average, beta=1.0, threshold=threshold, name=name, dtype=dtype)

    def get_config(self) -> dict:
        config = super().get_config()
        del config["beta"]
        return config


class R2Score(Metric):
    """Coefficient of determination, per output or aggregated."""

    def __init__(
        self,
        class_aggregation: str | None = "uniform_average",
        num_regressors: int = 0,
        name: str = "r2_score",
        dtype: Any = None,
    ):
        super().__init__(name=name, dtype=dtype)
        valid = ("uniform_average", "variance_weighted_average", None)
        if class_aggregation not in valid:
            raise ValueError(
                "Invalid value for argument `class_aggregation`. Expected one of "
                f"{valid}. Received: class_aggregation={class_aggregation}"
            )
        if num_regressors < 0:
            raise ValueError(
                "Invalid value for argument `num_regressors`. Expected a value >= 0. "
                f"Received: num_regressors={num_regressors}"
            )
        self.class_aggregation = class_aggregation
        self.num_regressors = num_regressors
        self.num_samples = self.add_variable((), "zeros", dtype=tf.int32, name="num_samples")
        self._built = False

    def _build(self, y_true_shape: tuple, y_pred_shape: tuple) -> None:
        if len(y_pred_shape) != 2 or len(y_true_shape) != 2:
            raise ValueError(
                "R2Score expects 2D inputs with shape (batch_size, output_dim). Received "
                f"input shapes: y_pred.shape={y_pred_shape} and y_true.shape={y_true_shape}."
            )
        n = y_true_shape[-1]
        self.squared_sum = self.add_variable((n,), "zeros", name="squared_sum")
        self.sum = self.add_variable((n,), "zeros", name="sum")
        self.total_mse = self.add_variable((n,), "zeros", name="residual")
        self.count = self.add_variable((n,), "zeros", name="count")
        self._built = True

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        y_true = _to_dtype(y_true, self._dtype)
        y_pred = _to_dtype(y_pred, self._dtype)
        y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
        if len(y_true.shape) == 1:
            y_true, y_pred = tf.expand_dims(y_true, 1), tf.expand_dims(y_pred, 1)
        if not self._built:
            self._build(tuple(y_true.shape), tuple(y_pred.shape))
        sw = tf.constant(1.0, self._dtype) if sample_weight is None else sample_weight
        sw = _to_dtype(sw, self._dtype)
        if len(sw.shape) == 1:
            sw = tf.expand_dims(sw, 1)
        sw = tf.broadcast_to(sw, tf.shape(y_true))
        weighted = y_true * sw
        self.sum.assign_add(tf.reduce_sum(weighted, axis=0))
        self.squared_sum.assign_add(tf.reduce_sum(y_true * weighted, axis=0))
        self.total_mse.assign_add(tf.reduce_sum(tf.square(y_true - y_pred) * sw, axis=0))
        self.count.assign_add(tf.reduce_sum(sw, axis=0))
        self.num_samples.assign_add(tf.size(y_true))

    def result(self) -> Any:
        mean = self.sum / self.count
        total = self.squared_sum - self.sum * mean
        raw = 1 - self.total_mse / total
        raw = tf.where(tf.math.is_inf(raw), tf.zeros_like(raw), raw)
        if self.class_aggregation == "uniform_average":
            r2 = tf.reduce_mean(raw)
        elif self.class_aggregation == "variance_weighted_average":
            r2 = tf.reduce_sum(total * raw) / tf.reduce_sum(total)
        else:
            r2 = raw
        if self.num_regressors != 0:
            n = tf.cast(self.num_samples, self._dtype)
            p = tf.cast(self.num_regressors, self._dtype)
            if tf.executing_eagerly():
                n_samples = int(self.num_samples.numpy())
                if self.num_regressors > n_samples - 1:
                    warnings.warn(
                        "More independent predictors than datapoints in adjusted R2 score. "
                        "Falling back to standard R2 score.",
                        stacklevel=2,
                    )
                elif self.num_regressors == n_samples - 1:
                    warnings.warn(
                        "Division by zero in Adjusted R2 score. Falling back to standard R2 score.",
                        stacklevel=2,
                    )
            # Graph-safe: the adjustment applies only when n - p - 1 > 0.
            valid = n - p - 1.0 > 0
            safe_den = tf.where(valid, n - p - 1.0, tf.ones_like(n))
            r2 = tf.where(valid, 1.0 - (1.0 - r2) * (n - 1.0) / safe_den, r2)
        return r2

    def reset_state(self) -> None:
        self.num_samples.assign(0)
        if self._built:
            for v in (self.squared_sum, self.sum, self.total_mse, self.count):
                v.assign(tf.zeros_like(v))

    def get_config(self) -> dict:
        return {
            "name": self.name,
            "dtype": self.dtype,
            "class_aggregation": self.class_aggregation,
            "num_regressors": self.num_regressors,
        }


class MeanIoU(Metric):
    """Mean over classes of intersection-over-union, from an accumulated confusion matrix."""

    def __init__(
        self,
        num_classes: int,
        name: str | None = None,
        dtype: Any = None,
        ignore_class: int | None = None,
        sparse_y_true: bool = True,
        sparse_y_pred: bool = True,
        axis: int = -1,
    ):
        # Keras counts in integers by default (float weights are truncated, with a warning).
        super().__init__(name=name or "mean_io_u", dtype=dtype or tf.int64)
        self.num_classes = num_classes
        self.ignore_class = ignore_class
        self.sparse_y_true = sparse_y_true
        self.sparse_y_pred = sparse_y_pred
        self.axis = axis
        self.total_cm = self.add_variable(
            (num_classes, num_classes), "zeros", name="total_confusion_matrix"
        )

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        if not self.sparse_y_true:
            y_true = tf.argmax(y_true, axis=self.axis)
        if not self.sparse_y_pred:
            y_pred = tf.argmax(y_pred, axis=self.axis)
        y_true = tf.reshape(_to_dtype(y_true, self._dtype), [-1])
        y_pred = tf.reshape(_to_dtype(y_pred, self._dtype), [-1])
        if sample_weight is None:
            sw = tf.ones_like(y_true)
        else:
            if (
                getattr(sample_weight, "dtype", None) is not None
                and "float" in str(sample_weight.dtype)
                and self._dtype.is_integer
            ):
                warnings.warn(
                    "You are passing weight as `float`, but dtype is `int`. This may result "
                    "in an incorrect weight due to type casting Consider using integer "
                    "weights.",
                    stacklevel=2,
                )
            sw = tf.broadcast_to(
                tf.reshape(_to_dtype(sample_weight, self._dtype), [-1]), tf.shape(y_true)
            )
        # Out-of-range class ids (and ignore_class) never reach the confusion matrix.
        n = tf.cast(self.num_classes, self._dtype)
        zero = tf.zeros_like(y_true)
        in_bounds = tf.logical_and(
            tf.logical_and(y_true >= zero, y_true < n), tf.logical_and(y_pred >= zero, y_pred < n)
        )
        if self.ignore_class is not None:
            ignore = tf.cast(self.ignore_class, self._dtype)
            in_bounds = tf.logical_and(in_bounds, tf.not_equal(y_true, ignore))
        y_true = tf.where(in_bounds, y_true, zero)
        y_pred = tf.where(in_bounds, y_pred, zero)
        sw = tf.where(in_bounds, sw, tf.zeros_like(sw))
        cm = tf.math.confusion_matrix(
            tf.cast(y_true, tf.int64),
            tf.cast(y_pred, tf.int64),
            self.num_classes,
            weights=sw,
            dtype=self._dtype,
        )
        self.total_cm.assign_add(cm)

    def result(self) -> Any:
        cm = tf.cast(self.total_cm, tf.float32)
        rows = tf.reduce_sum(cm, axis=0)
        cols = tf.reduce_sum(cm, axis=1)
        tp = tf.linalg.diag_part(cm)
        denom = rows + cols - tp
        valid = denom > 1e-9
        num_valid = tf.reduce_sum(tf.cast(valid, tf.float32))
        iou = tf.where(valid, tp / (denom + EPSILON), tf.zeros_like(tp))
        return tf.reduce_sum(iou) / (num_valid + EPSILON)

    def get_config(self) -> dict:
        return {
            "name": self.name,
            "dtype": self.dtype,
            "num_classes": self.num_classes,
            "ignore_class": self.ignore_class,
            "sparse_y_true": self.sparse_y_true,
            "sparse_y_pred": self.sparse_y_pred,
            "axis": self.axis,
        }
