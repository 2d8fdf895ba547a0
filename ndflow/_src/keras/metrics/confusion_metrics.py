"""Threshold-based metrics: true/false positive/negative counts, Precision, Recall, AUC.

Counts are accumulated per threshold: a prediction is positive when it is strictly above
the threshold; a label is positive when it is non-zero.

>>> import ndflow as tf
>>> p = tf.keras.metrics.Precision()
>>> float(p([0, 1, 1, 1], [1.0, 1.0, 0.0, 1.0]))
0.6666666865348816
"""

from __future__ import annotations

from typing import Any

import numpy as np

import ndflow as tf
from ndflow._src.keras.losses.losses import _to_dtype, squeeze_or_expand_to_same_rank
from ndflow._src.keras.metrics.metric import Metric

EPSILON = 1e-7
NEG_INF = -1e10
TP, FP, TN, FN = "tp", "fp", "tn", "fn"


def _filter_top_k(x: Any, k: int) -> Any:
    """Keeps each row's top `k` values and sets the rest to NEG_INF."""
    _, idx = tf.math.top_k(x, k, sorted=False)
    depth = x.shape[-1]
    top = tf.reduce_sum(tf.one_hot(idx, depth, dtype=x.dtype), axis=-2)
    return x * top + NEG_INF * (1 - top)


def update_confusion_matrix_variables(
    variables: dict,
    y_true: Any,
    y_pred: Any,
    thresholds: list,
    top_k: int | None = None,
    class_id: int | None = None,
    sample_weight: Any = None,
    multi_label: bool = False,
    label_weights: Any = None,
) -> None:
    """Adds this batch's (weighted) counts, per threshold, to `variables` ({"tp": var, ...})."""
    y_true = _to_dtype(y_true, tf.float32)
    y_pred = _to_dtype(y_pred, tf.float32)
    y_pred, y_true = squeeze_or_expand_to_same_rank(y_pred, y_true)
    if tuple(y_pred.shape) != tuple(y_true.shape) and None not in y_pred.shape:
        try:
            y_true = tf.broadcast_to(y_true, tf.shape(y_pred))
        except (ValueError, tf.errors.InvalidArgumentError):
            raise ValueError(
                "y_true and y_pred must have the same shape. Received: "
                f"y_true.shape={y_true.shape}, y_pred.shape={y_pred.shape}"
            ) from None
    if top_k is not None:
        y_pred = _filter_top_k(y_pred, top_k)
    if class_id is not None:
        y_true = y_true[..., class_id : class_id + 1]
        y_pred = y_pred[..., class_id : class_id + 1]
    weights = None
    if sample_weight is not None:
        sw = _to_dtype(sample_weight, tf.float32)
        sw, _ = squeeze_or_expand_to_same_rank(sw, y_pred)
        if len(sw.shape) < len(y_pred.shape) and class_id is None:
            sw = tf.reshape(sw, list(sw.shape) + [1] * (len(y_pred.shape) - len(sw.shape)))
        elif class_id is not None and len(sw.shape) == len(y_pred.shape):
            sw = sw[..., class_id : class_id + 1] if sw.shape[-1] != 1 else sw
        elif class_id is not None:
            sw = tf.reshape(sw, list(sw.shape) + [1] * (len(y_pred.shape) - len(sw.shape)))
        weights = tf.broadcast_to(sw, tf.shape(y_pred))
    if label_weights is not None and not multi_label:
        lw = tf.broadcast_to(tf.cast(label_weights, tf.float32), tf.shape(y_pred))
        weights = lw if weights is None else weights * lw
    thresholds_t = tf.constant(np.asarray(thresholds, np.float32))
    if multi_label:
        # (N, L) -> per label: compare (T, 1, L) against (1, N, L), sum over N.
        preds = tf.reshape(y_pred, [-1, y_pred.shape[-1]])
        labels = tf.reshape(y_true, [-1, y_true.shape[-1]])
        w = None if weights is None else tf.reshape(weights, [-1, y_pred.shape[-1]])
        thr = tf.reshape(thresholds_t, [-1, 1, 1])
        axis = 1
    else:
        preds = tf.reshape(y_pred, [1, -1])
        labels = tf.reshape(y_true, [1, -1])
        w = None if weights is None else tf.reshape(weights, [1, -1])
        thr = tf.reshape(thresholds_t, [-1, 1])
        axis = 1
    pred_pos = preds > thr
    pred_neg = tf.logical_not(pred_pos)
    label_pos = tf.not_equal(labels, 0.0)
    label_neg = tf.logical_not(label_pos)
    conditions = {
        TP: (label_pos, pred_pos),
        FP: (label_neg, pred_pos),
        TN: (label_neg, pred_neg),
        FN: (label_pos, pred_neg),
    }
    for key, var in variables.items():
        lab, pred = conditions[key]
        hits = tf.cast(tf.logical_and(lab, pred), tf.float32)
        if w is not None:
            hits = hits * w
        var.assign_add(tf.cast(tf.reduce_sum(hits, axis=axis), var.dtype))


def _thresholds(thresholds: Any, default: float) -> list:
    if thresholds is None:
        return [default]
    values = list(thresholds) if isinstance(thresholds, (list, tuple, np.ndarray)) else [thresholds]
    for t in values:
        if t is None or not 0 <= t <= 1:
            raise ValueError(f"Threshold values must be in [0, 1]. Received: {thresholds}")
    return [float(t) for t in values]


class _ConfusionMatrixConditionCount(Metric):
    _condition = TP

    def __init__(self, thresholds: Any = None, name: str | None = None, dtype: Any = None):
        super().__init__(name=name, dtype=dtype)
        self.init_thresholds = thresholds
        self.thresholds = _thresholds(thresholds, 0.5)
        self._thresholds_distributed_evenly = False
        self.accumulator = self.add_variable(
            shape=(len(self.thresholds),), initializer="zeros", name="accumulator"
        )

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        update_confusion_matrix_variables(
            {self._condition: self.accumulator},
            y_true,
            y_pred,
            self.thresholds,
            sample_weight=sample_weight,
        )

    def result(self) -> Any:
        if len(self.thresholds) == 1:
            return tf.convert_to_tensor(self.accumulator)[0]
        return tf.identity(self.accumulator)

    def get_config(self) -> dict:
        return {"name": self.name, "dtype": self.dtype, "thresholds": self.init_thresholds}


class TruePositives(_ConfusionMatrixConditionCount):
    """Weighted count of positive labels predicted positive (per threshold)."""

    _condition = TP

    def __init__(self, thresholds: Any = None, name: str | None = None, dtype: Any = None):
        super().__init__(thresholds, name, dtype)


class FalsePositives(_ConfusionMatrixConditionCount):
    """Weighted count of negative labels predicted positive (per threshold)."""

    _condition = FP

    def __init__(self, thresholds: Any = None, name: str | None = None, dtype: Any = None):
        super().__init__(thresholds, name, dtype)


class TrueNegatives(_ConfusionMatrixConditionCount):
    """Weighted count of negative labels predicted negative (per threshold)."""

    _condition = TN

    def __init__(self, thresholds: Any = None, name: str | None = None, dtype: Any = None):
        super().__init__(thresholds, name, dtype)


class FalseNegatives(_ConfusionMatrixConditionCount):
    """Weighted count of positive labels predicted negative (per threshold)."""

    _condition = FN

    def __init__(self, thresholds: Any = None, name: str | None = None, dtype: Any = None):
        super().__init__(thresholds, name, dtype)


class Precision(Metric):
    """tp / (tp + fp), per threshold (`top_k` and `class_id` select predictions)."""

    def __init__(
        self,
        thresholds: Any = None,
        top_k: int | None = None,
        class_id: int | None = None,
        name: str | None = None,
        dtype: Any = None,
    ):
        super().__init__(name=name, dtype=dtype)
        self.init_thresholds = thresholds
        self.top_k = top_k
        self.class_id = class_id
        self.thresholds = _thresholds(thresholds, 0.5 if top_k is None else NEG_INF)
        n = len(self.thresholds)
        self.true_positives = self.add_variable((n,), "zeros", name="true_positives")
        self.false_positives = self.add_variable((n,), "zeros", name="false_positives")

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        update_confusion_matrix_variables(
            {TP: self.true_positives, FP: self.false_positives},
            y_true,
            y_pred,
            self.thresholds,
            top_k=self.top_k,
            class_id=self.class_id,
            sample_weight=sample_weight,
        )

    def result(self) -> Any:
        r = tf.math.divide_no_nan(self.true_positives, self.true_positives + self.false_positives)
        return r[0] if len(self.thresholds) == 1 else r

    def get_config(self) -> dict:
        return {
            "name": self.name,
            "dtype": self.dtype,
            "thresholds": self.init_thresholds,
            "top_k": self.top_k,
            "class_id": self.class_id,
        }


class Recall(Precision):
    """tp / (tp + fn), per threshold."""

    def __init__(
        self,
        thresholds: Any = None,
        top_k: int | None = None,
        class_id: int | None = None,
        name: str | None = None,
        dtype: Any = None,
    ):
        Metric.__init__(self, name=name, dtype=dtype)
        self.init_thresholds = thresholds
        self.top_k = top_k
        self.class_id = class_id
        self.thresholds = _thresholds(thresholds, 0.5 if top_k is None else NEG_INF)
        n = len(self.thresholds)
        self.true_positives = self.add_variable((n,), "zeros", name="true_positives")
        self.false_negatives = self.add_variable((n,), "zeros", name="false_negatives")

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        update_confusion_matrix_variables(
            {TP: self.true_positives, FN: self.false_negatives},
            y_true,
            y_pred,
            self.thresholds,
            top_k=self.top_k,
            class_id=self.class_id,
            sample_weight=sample_weight,
        )

    def result(self) -> Any:
        r = tf.math.divide_no_nan(self.true_positives, self.true_positives + self.false_negatives)
        return r[0] if len(self.thresholds) == 1 else r


class AUC(Metric):
    """Area under the ROC or PR curve by a Riemann sum over `num_thresholds` thresholds."""

    def __init__(
        self,
        num_thresholds: int = 200,
        curve: str = "ROC",
        summation_method: str = "interpolation",
        name: str | None = None,
        dtype: Any = None,
        thresholds: Any = None,
        multi_label: bool = False,
        num_labels: int | None = None,
        label_weights: Any = None,
        from_logits: bool = False,
    ):
        super().__init__(name=name, dtype=dtype)
        curve = str(curve).upper()
        if curve not in ("ROC", "PR"):
            raise ValueError(
                f'Invalid AUC curve value: "{curve}". Expected values are ["ROC", "PR"]'
            )
        summation_method = str(summation_method).lower()
        if summation_method not in ("interpolation", "minoring", "majoring"):
            raise ValueError(
                f'Invalid AUC summation method value: "{summation_method}". Expected values '
                'are ["interpolation", "majoring", "minoring"]'
            )
        self.curve = curve
        self.summation_method = summation_method
        self._init_from_thresholds = thresholds is not None
        if thresholds is not None:
            self.num_thresholds = len(thresholds) + 2
            inner = sorted(float(t) for t in thresholds)
        else:
            if num_thresholds <= 1:
                raise ValueError(
                    "Argument `num_thresholds` must be an integer > 1. "
                    f"Received: num_thresholds={num_thresholds}"
                )
            self.num_thresholds = num_thresholds
            inner = [(i + 1) * 1.0 / (num_thresholds - 1) for i in range(num_thresholds - 2)]
        self._thresholds = [0.0 - EPSILON] + inner + [1.0 + EPSILON]
        self.multi_label = multi_label
        self.num_labels = num_labels
        self.label_weights = (
            None if label_weights is None else tf.constant(label_weights, tf.float32)
        )
        self._label_weights_config = label_weights
        self._from_logits = from_logits
        self._built = False
        if num_labels is not None or not multi_label:
            self._build(num_labels)

    @property
    def thresholds(self) -> list:
        return list(self._thresholds)

    def _build(self, num_labels: int | None) -> None:
        shape = (
            (self.num_thresholds,) if not self.multi_label else (self.num_thresholds, num_labels)
        )
        self.true_positives = self.add_variable(shape, "zeros", name="true_positives")
        self.false_positives = self.add_variable(shape, "zeros", name="false_positives")
        self.true_negatives = self.add_variable(shape, "zeros", name="true_negatives")
        self.false_negatives = self.add_variable(shape, "zeros", name="false_negatives")
        self._built = True

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        y_pred = _to_dtype(y_pred, tf.float32)
        if not self._built:
            self._build(y_pred.shape[-1])
        if self._from_logits:
            y_pred = tf.sigmoid(y_pred)
        update_confusion_matrix_variables(
            {
                TP: self.true_positives,
                FP: self.false_positives,
                TN: self.true_negatives,
                FN: self.false_negatives,
            },
            y_true,
            y_pred,
            self._thresholds,
            sample_weight=sample_weight,
            multi_label=self.multi_label,
            label_weights=self.label_weights,
        )

    def _by_label(self, values: Any) -> Any:
        if not self.multi_label:
            return tf.reduce_sum(values)
        by_label = tf.reduce_sum(values, axis=0)
        if self.label_weights is None:
            return tf.reduce_mean(by_label)
        return tf.math.divide_no_nan(
            tf.reduce_sum(by_label * self.label_weights), tf.reduce_sum(self.label_weights)
        )

    def interpolate_pr_auc(self) -> Any:
        """PR AUC by interpolating precision between thresholds (Davis & Goadrich)."""
        n = self.num_thresholds
        tp, fp, fn = self.true_positives, self.false_positives, self.false_negatives
        tp = tf.convert_to_tensor(tp)
        dtp = tp[: n - 1] - tp[1:]
        p = tp + tf.convert_to_tensor(fp)
        dp = p[: n - 1] - p[1:]
        prec_slope = tf.math.divide_no_nan(dtp, tf.maximum(dp, 0.0))
        intercept = tp[1:] - prec_slope * p[1:]
        safe_p_ratio = tf.where(
            tf.logical_and(p[: n - 1] > 0, p[1:] > 0),
            tf.math.divide_no_nan(p[: n - 1], tf.maximum(p[1:], 0.0)),
            tf.ones_like(p[1:]),
        )
        increment = tf.math.divide_no_nan(
            prec_slope * (dtp + intercept * tf.math.log(safe_p_ratio)),
            tf.maximum(tp[1:] + tf.convert_to_tensor(fn)[1:], 0.0),
        )
        return self._by_label(increment)

    def result(self) -> Any:
        if self.curve == "PR" and self.summation_method == "interpolation":
            return self.interpolate_pr_auc()
        tp = tf.convert_to_tensor(self.true_positives)
        fp = tf.convert_to_tensor(self.false_positives)
        tn = tf.convert_to_tensor(self.true_negatives)
        fn = tf.convert_to_tensor(self.false_negatives)
        recall = tf.math.divide_no_nan(tp, tp + fn)
        if self.curve == "ROC":
            x, y = tf.math.divide_no_nan(fp, fp + tn), recall
        else:
            x, y = recall, tf.math.divide_no_nan(tp, tp + fp)
        n = self.num_thresholds
        if self.summation_method == "interpolation":
            heights = (y[: n - 1] + y[1:]) / 2.0
        elif self.summation_method == "minoring":
            heights = tf.minimum(y[: n - 1], y[1:])
        else:
            heights = tf.maximum(y[: n - 1], y[1:])
        return self._by_label((x[: n - 1] - x[1:]) * heights)

    def reset_state(self) -> None:
        if self._built:
            super().reset_state()

    def get_config(self) -> dict:
        config = {
            "name": self.name,
            "dtype": self.dtype,
            "num_thresholds": self.num_thresholds,
            "curve": self.curve,
            "summation_method": self.summation_method,
            "multi_label": self.multi_label,
            "num_labels": self.num_labels,
            "label_weights": self._label_weights_config,
            "from_logits": self._from_logits,
        }
        if self._init_from_thresholds:
            config["thresholds"] = self._thresholds[1:-1]
        return config
