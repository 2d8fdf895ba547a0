"""Keras 3's losses: loss functions and the `Loss` classes that wrap them.

A loss function maps `(y_true, y_pred)` to one value per sample (it reduces the last
axis); a `Loss` object converts its inputs to its dtype (float32 by default), calls the
function, multiplies by `sample_weight` and reduces with `reduction`.

>>> import ndflow as tf
>>> mse = tf.keras.losses.MeanSquaredError()
>>> float(mse([[0.0, 1.0]], [[1.0, 1.0]]))
0.5
"""

from __future__ import annotations

from typing import Any
from collections.abc import Callable

import ndflow as tf
from ndflow._src.keras import _scope

EPSILON = 1e-7
_REDUCTIONS = ("sum", "sum_over_batch_size", "mean", "mean_with_sample_weight", "none", None)


def _rank(x: Any) -> int:
    return len(x.shape)


def squeeze_or_expand_to_same_rank(x1: Any, x2: Any, expand_rank_1: bool = True) -> tuple:
    """Makes ranks equal when they differ by one and the longer one ends in a 1 (Keras)."""
    r1, r2 = _rank(x1), _rank(x2)
    if r1 == r2:
        return x1, x2
    if r1 == r2 + 1 and x1.shape[-1] == 1:
        if r2 == 1 and expand_rank_1:
            x2 = tf.expand_dims(x2, -1)
        else:
            x1 = tf.squeeze(x1, -1)
    if r2 == r1 + 1 and x2.shape[-1] == 1:
        if r1 == 1 and expand_rank_1:
            x1 = tf.expand_dims(x1, -1)
        else:
            x2 = tf.squeeze(x2, -1)
    return x1, x2


def _convert_pair(y_true: Any, y_pred: Any) -> tuple:
    y_pred = tf.convert_to_tensor(y_pred)
    y_true = _to_dtype(y_true, y_pred.dtype)
    return y_true, y_pred


def _to_dtype(x: Any, dtype: Any) -> Any:
    if tf.is_tensor(x) or isinstance(x, tf.Variable):
        return x if x.dtype == dtype else tf.cast(x, dtype)
    try:
        return tf.convert_to_tensor(x, dtype=dtype)
    except (TypeError, ValueError, tf.errors.InvalidArgumentError):
        return tf.cast(tf.convert_to_tensor(x), dtype)


def standardize_reduction(reduction: Any) -> Any:
    if reduction not in _REDUCTIONS:
        raise ValueError(
            "Invalid value for argument `reduction`. "
            f"Expected one of {_REDUCTIONS}. Received: reduction={reduction}"
        )
    return reduction


def reduce_values(values: Any, sample_weight: Any = None, reduction: Any = "sum_over_batch_size"):
    """Keras's reduction of (weighted) per-sample losses."""
    if reduction is None or reduction == "none" or len(values.shape) == 0:
        return values
    loss = tf.reduce_sum(values)
    if reduction in ("sum_over_batch_size", "mean", "mean_with_sample_weight"):
        if reduction == "mean_with_sample_weight" and sample_weight is not None:
            divisor = tf.cast(tf.reduce_sum(sample_weight), loss.dtype)
        else:
            divisor = tf.cast(tf.size(values), loss.dtype)
        loss = tf.math.divide_no_nan(loss, divisor)
    return loss


def reduce_weighted_values(
    values: Any, sample_weight: Any = None, reduction: Any = "sum_over_batch_size", dtype=None
) -> Any:
    """Multiplies by `sample_weight` (matching ranks as Keras does), then reduces."""
    reduction = standardize_reduction(reduction)
    values = _to_dtype(values, dtype or values.dtype)
    if sample_weight is not None:
        sample_weight = _to_dtype(sample_weight, values.dtype)
        values, sample_weight = squeeze_or_expand_to_same_rank(values, sample_weight, False)
        values = values * sample_weight
    return reduce_values(values, sample_weight, reduction)


class Loss:
    """Base class of Keras losses: subclass and implement `call(y_true, y_pred)`.

    >>> import ndflow as tf
    >>> class L1(tf.keras.losses.Loss):
    ...     def call(self, y_true, y_pred):
    ...         return tf.reduce_mean(tf.abs(y_true - y_pred), axis=-1)
    >>> float(L1()([[1.0]], [[3.0]]))
    2.0
    """

    def __init__(self, name: str | None = None, reduction: Any = "sum_over_batch_size", dtype=None):
        self.name = name or _snake(type(self).__name__)
        self.reduction = standardize_reduction(reduction)
        self._dtype = tf.as_dtype(dtype) if dtype is not None else tf.float32

    @property
    def dtype(self) -> str:
        return self._dtype.name

    def __call__(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> Any:
        with _scope.scope(self.name):
            y_pred = _convert_structure(y_pred, self._dtype)
            y_true = _convert_structure(y_true, self._dtype)
            losses = self.call(y_true, y_pred)
            return reduce_weighted_values(losses, sample_weight, self.reduction, self._dtype)

    def call(self, y_true: Any, y_pred: Any) -> Any:
        raise NotImplementedError

    def get_config(self) -> dict:
        return {"name": self.name, "reduction": self.reduction}

    @classmethod
    def from_config(cls, config: dict) -> Loss:
        return cls(**config)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} name={self.name}>"


def _convert_structure(x: Any, dtype: Any) -> Any:
    # Dicts (multi-output models) convert leaf by leaf; lists are values, as for tf.constant.
    if isinstance(x, dict):
        return {k: _convert_structure(v, dtype) for k, v in x.items()}
    return _to_dtype(x, dtype)


def _snake(name: str) -> str:
    out = []
    for i, c in enumerate(name):
        if c.isupper() and i and not name[i - 1].isupper():
            out.append("_")
        out.append(c.lower())
    return "".join(out)


class LossFunctionWrapper(Loss):
    """A `Loss` around a loss function and its keyword arguments."""

    def __init__(
        self,
        fn: Callable,
        reduction: Any = "sum_over_batch_size",
        name: str | None = None,
        dtype=None,
        **kwargs: Any,
    ):
        super().__init__(name=name, reduction=reduction, dtype=dtype)
        self.fn = fn
        self._fn_kwargs = kwargs

    def call(self, y_true: Any, y_pred: Any) -> Any:
        y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
        return self.fn(y_true, y_pred, **self._fn_kwargs)

    def get_config(self) -> dict:
        config = super().get_config()
        config.update(self._fn_kwargs)
        return config

    @classmethod
    def from_config(cls, config: dict) -> Loss:
        if cls is LossFunctionWrapper:
            raise ValueError("LossFunctionWrapper.from_config needs a concrete subclass.")
        return cls(**config)


# ---------------------------------------------------------------------------- functions


def mean_squared_error(y_true: Any, y_pred: Any) -> Any:
    """mean((y_true - y_pred)^2, axis=-1)."""
    y_true, y_pred = squeeze_or_expand_to_same_rank(*_convert_pair(y_true, y_pred))
    return tf.reduce_mean(tf.square(y_true - y_pred), axis=-1)


def mean_absolute_error(y_true: Any, y_pred: Any) -> Any:
    """mean(|y_true - y_pred|, axis=-1)."""
    y_true, y_pred = squeeze_or_expand_to_same_rank(*_convert_pair(y_true, y_pred))
    return tf.reduce_mean(tf.abs(y_true - y_pred), axis=-1)


def mean_absolute_percentage_error(y_true: Any, y_pred: Any) -> Any:
    """100 * mean(|y_true - y_pred| / max(|y_true|, eps), axis=-1)."""
    y_true, y_pred = squeeze_or_expand_to_same_rank(*_convert_pair(y_true, y_pred))
    eps = tf.cast(EPSILON, y_pred.dtype)
    diff = tf.abs((y_true - y_pred) / tf.maximum(tf.abs(y_true), eps))
    return tf.cast(100.0, y_pred.dtype) * tf.reduce_mean(diff, axis=-1)


def mean_squared_logarithmic_error(y_true: Any, y_pred: Any) -> Any:
    """mean((log(y_pred + 1) - log(y_true + 1))^2, axis=-1), inputs floored at eps."""
    y_true, y_pred = squeeze_or_expand_to_same_rank(*_convert_pair(y_true, y_pred))
    eps = tf.cast(EPSILON, y_pred.dtype)
    one = tf.cast(1.0, y_pred.dtype)
    first = tf.math.log(tf.maximum(y_pred, eps) + one)
    second = tf.math.log(tf.maximum(y_true, eps) + one)
    return tf.reduce_mean(tf.square(first - second), axis=-1)


def _l2_normalize(x: Any, axis: int) -> Any:
    square_sum = tf.reduce_sum(tf.square(x), axis=axis, keepdims=True)
    return x * tf.math.rsqrt(tf.maximum(square_sum, tf.cast(1e-12, x.dtype)))


def cosine_similarity(y_true: Any, y_pred: Any, axis: int = -1) -> Any:
    """-sum(l2_normalize(y_true) * l2_normalize(y_pred), axis)."""
    y_true, y_pred = squeeze_or_expand_to_same_rank(*_convert_pair(y_true, y_pred))
    y_true = _l2_normalize(y_true, axis)
    y_pred = _l2_normalize(y_pred, axis)
    return -tf.reduce_sum(y_true * y_pred, axis=axis)


def huber(y_true: Any, y_pred: Any, delta: float = 1.0) -> Any:
    """Quadratic for |error| <= delta, linear beyond; mean over the last axis."""
    y_true, y_pred = squeeze_or_expand_to_same_rank(*_convert_pair(y_true, y_pred))
    delta = tf.cast(delta, y_pred.dtype)
    half = tf.cast(0.5, y_pred.dtype)
    error = y_pred - y_true
    abs_error = tf.abs(error)
    return tf.reduce_mean(
        tf.where(abs_error <= delta, half * tf.square(error), delta * abs_error - half * delta**2),
        axis=-1,
    )


def log_cosh(y_true: Any, y_pred: Any) -> Any:
    """mean(log(cosh(y_pred - y_true)), axis=-1), computed stably."""
    y_true, y_pred = squeeze_or_expand_to_same_rank(*_convert_pair(y_true, y_pred))
    x = y_pred - y_true
    log2 = tf.cast(0.6931471805599453, x.dtype)
    return tf.reduce_mean(x + tf.nn.softplus(tf.cast(-2.0, x.dtype) * x) - log2, axis=-1)


def _hinge_labels(y_true: Any) -> Any:
    """Keras maps {0, 1} labels to {-1, 1}; other labels are used as given."""
    is_binary = tf.reduce_all(tf.logical_or(tf.equal(y_true, 0), tf.equal(y_true, 1)))
    return tf.where(is_binary, tf.cast(2.0, y_true.dtype) * y_true - 1, y_true)


def hinge(y_true: Any, y_pred: Any) -> Any:
    """mean(max(1 - y_true * y_pred, 0), axis=-1); {0, 1} labels become {-1, 1}."""
    y_true, y_pred = squeeze_or_expand_to_same_rank(*_convert_pair(y_true, y_pred))
    y_true = _hinge_labels(y_true)
    return tf.reduce_mean(tf.maximum(1.0 - y_true * y_pred, tf.zeros_like(y_pred)), axis=-1)


def squared_hinge(y_true: Any, y_pred: Any) -> Any:
    """mean(max(1 - y_true * y_pred, 0)^2, axis=-1)."""
    y_true, y_pred = squeeze_or_expand_to_same_rank(*_convert_pair(y_true, y_pred))
    y_true = _hinge_labels(y_true)
    return tf.reduce_mean(
        tf.square(tf.maximum(1.0 - y_true * y_pred, tf.zeros_like(y_pred))), axis=-1
    )


def categorical_hinge(y_true: Any, y_pred: Any) -> Any:
    """max(max((1 - y_true) * y_pred) - sum(y_true * y_pred) + 1, 0)."""
    y_true, y_pred = squeeze_or_expand_to_same_rank(*_convert_pair(y_true, y_pred))
    pos = tf.reduce_sum(y_true * y_pred, axis=-1)
    neg = tf.reduce_max((1.0 - y_true) * y_pred, axis=-1)
    return tf.maximum(neg - pos + 1.0, tf.zeros_like(pos))


def kl_divergence(y_true: Any, y_pred: Any) -> Any:
    """sum(y_true * log(y_true / y_pred), axis=-1), both clipped to [eps, 1]."""
    y_true, y_pred = squeeze_or_expand_to_same_rank(*_convert_pair(y_true, y_pred))
    y_true = tf.clip_by_value(y_true, EPSILON, 1.0)
    y_pred = tf.clip_by_value(y_pred, EPSILON, 1.0)
    return tf.reduce_sum(y_true * tf.math.log(y_true / y_pred), axis=-1)


def poisson(y_true: Any, y_pred: Any) -> Any:
    """mean(y_pred - y_true * log(y_pred + eps), axis=-1)."""
    y_true, y_pred = squeeze_or_expand_to_same_rank(*_convert_pair(y_true, y_pred))
    eps = tf.cast(EPSILON, y_pred.dtype)
    return tf.reduce_mean(y_pred - y_true * tf.math.log(y_pred + eps), axis=-1)


def _same_shape(target: Any, output: Any) -> None:
    if len(target.shape) != len(output.shape):
        raise ValueError(
            "Arguments `target` and `output` must have the same rank (ndim). Received: "
            f"target.shape={target.shape}, output.shape={output.shape}"
        )
    for t, o in zip(target.shape, output.shape):
        if t is not None and o is not None and t != o:
            raise ValueError(
                "Arguments `target` and `output` must have the same shape. Received: "
                f"target.shape={target.shape}, output.shape={output.shape}"
            )


def _categorical_xent(target: Any, output: Any, from_logits: bool, axis: int) -> Any:
    _same_shape(target, output)
    if len(target.shape) < 1:
        raise ValueError(
            "Arguments `target` and `output` must be at least rank 1. Received: "
            f"target.shape={target.shape}, output.shape={output.shape}"
        )
    if from_logits:
        return tf.nn.softmax_cross_entropy_with_logits(labels=target, logits=output, axis=axis)
    output = output / tf.reduce_sum(output, axis=axis, keepdims=True)
    output = tf.clip_by_value(output, EPSILON, 1.0 - EPSILON)
    return -tf.reduce_sum(target * tf.math.log(output), axis=axis)


def _binary_xent(target: Any, output: Any, from_logits: bool) -> Any:
    _same_shape(target, output)
    if from_logits:
        return tf.nn.sigmoid_cross_entropy_with_logits(labels=target, logits=output)
    output = tf.clip_by_value(output, EPSILON, 1.0 - EPSILON)
    bce = target * tf.math.log(output) + (1.0 - target) * tf.math.log(1.0 - output)
    return -bce


def categorical_crossentropy(
    y_true: Any,
    y_pred: Any,
    from_logits: bool = False,
    label_smoothing: float = 0.0,
    axis: int = -1,
) -> Any:
    """Crossentropy between one-hot (or soft) labels and predicted distributions."""
    if isinstance(axis, bool):
        raise ValueError(
            f"`axis` must be of type `int`. Received: axis={axis} of type {type(axis)}"
        )
    y_true, y_pred = _convert_pair(y_true, y_pred)
    if y_pred.shape[-1] == 1:
        import warnings

        warnings.warn(
            "In loss categorical_crossentropy, expected y_pred.shape to be "
            "(batch_size, num_classes) with num_classes > 1. "
            f"Received: y_pred.shape={y_pred.shape}. Consider using 'binary_crossentropy' "
            "if you only have 2 classes.",
            SyntaxWarning,
            stacklevel=2,
        )
    if label_smoothing:
        n = tf.cast(tf.shape(y_true)[-1], y_pred.dtype)
        y_true = y_true * (1.0 - label_smoothing) + label_smoothing / n
    return _categorical_xent(y_true, y_pred, from_logits, axis)


def sparse_categorical_crossentropy(
    y_true: Any, y_pred: Any, from_logits: bool = False, ignore_class: int | None = None, axis=-1
) -> Any:
    """Crossentropy between integer labels and predicted distributions (or logits)."""
    y_pred = tf.convert_to_tensor(y_pred)
    y_true = tf.convert_to_tensor(y_true)
    if len(y_true.shape) == len(y_pred.shape) and y_true.shape[-1] == 1:
        y_true = tf.squeeze(y_true, -1)
    if len(y_pred.shape) < 1:
        raise ValueError(
            f"Argument `output` must be at least rank 1. Received: output.shape={y_pred.shape}"
        )
    if len(y_true.shape) != len(y_pred.shape) - 1 or any(
        t is not None and o is not None and t != o for t, o in zip(y_true.shape, y_pred.shape[:-1])
    ):
        raise ValueError(
            "Argument `output` must have rank (ndim) `target.ndim - 1`. Received: "
            f"target.shape={y_true.shape}, output.shape={y_pred.shape}"
        )
    if ignore_class is not None:
        valid = tf.not_equal(tf.cast(y_true, tf.int64), ignore_class)
        y_true = tf.where(valid, y_true, tf.zeros_like(y_true))
    if axis != -1 and axis != len(y_pred.shape) - 1:
        perm = [i for i in range(len(y_pred.shape)) if i != axis % len(y_pred.shape)]
        y_pred = tf.transpose(y_pred, perm + [axis % len(y_pred.shape)])
    if not from_logits:
        y_pred = tf.math.log(tf.clip_by_value(y_pred, EPSILON, 1.0 - EPSILON))
    labels = tf.cast(y_true, tf.int64)
    result = tf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=y_pred)
    if ignore_class is not None:
        result = result * tf.cast(valid, result.dtype)
    return result


def binary_crossentropy(
    y_true: Any,
    y_pred: Any,
    from_logits: bool = False,
    label_smoothing: float = 0.0,
    axis: int = -1,
) -> Any:
    """mean(binary crossentropy, axis); labels smoothed towards 0.5."""
    y_true, y_pred = _convert_pair(y_true, y_pred)
    if label_smoothing:
        y_true = y_true * (1.0 - label_smoothing) + 0.5 * label_smoothing
    return tf.reduce_mean(_binary_xent(y_true, y_pred, from_logits), axis=axis)


def binary_focal_crossentropy(
    y_true: Any,
    y_pred: Any,
    apply_class_balancing: bool = False,
    alpha: float = 0.25,
    gamma: float = 2.0,
    from_logits: bool = False,
    label_smoothing: float = 0.0,
    axis: int = -1,
) -> Any:
    """Binary crossentropy scaled by (1 - p_t)^gamma, optionally class-balanced by alpha."""
    y_true, y_pred = _convert_pair(y_true, y_pred)
    if label_smoothing:
        y_true = y_true * (1.0 - label_smoothing) + 0.5 * label_smoothing
    if from_logits:
        y_pred = tf.sigmoid(y_pred)
    bce = _binary_xent(y_true, y_pred, False)
    p_t = y_true * y_pred + (1.0 - y_true) * (1.0 - y_pred)
    focal = tf.pow(1.0 - p_t, tf.cast(gamma, y_pred.dtype)) * bce
    if apply_class_balancing:
        focal = (y_true * alpha + (1.0 - y_true) * (1.0 - alpha)) * focal
    return tf.reduce_mean(focal, axis=axis)


def categorical_focal_crossentropy(
    y_true: Any,
    y_pred: Any,
    alpha: float = 0.25,
    gamma: float = 2.0,
    from_logits: bool = False,
    label_smoothing: float = 0.0,
    axis: int = -1,
) -> Any:
    """Categorical crossentropy scaled by alpha * (1 - p)^gamma per class."""
    y_true, y_pred = _convert_pair(y_true, y_pred)
    if label_smoothing:
        n = tf.cast(tf.shape(y_true)[-1], y_pred.dtype)
        y_true = y_true * (1.0 - label_smoothing) + label_smoothing / n
    _same_shape(y_true, y_pred)
    if from_logits:
        y_pred = tf.nn.softmax(y_pred, axis=axis)
    output = y_pred / tf.reduce_sum(y_pred, axis=axis, keepdims=True)
    output = tf.clip_by_value(output, EPSILON, 1.0 - EPSILON)
    cce = -y_true * tf.math.log(output)
    weight = tf.pow(1.0 - output, tf.cast(gamma, output.dtype)) * alpha
    return tf.reduce_sum(weight * cce, axis=axis)


# ---------------------------------------------------------------------------- classes


def _wrapper(fn: Callable, default_name: str, doc: str, **defaults: Any) -> Callable:
    """An `__init__` for a `LossFunctionWrapper` subclass taking `defaults` as keywords."""

    def init(
        self, *args: Any, reduction="sum_over_batch_size", name=default_name, dtype=None, **kw
    ):
        params = dict(defaults)
        names = list(defaults)
        if len(args) > len(names):
            raise TypeError(f"Too many positional arguments. Received: {args}")
        for k, v in zip(names, args):
            params[k] = v
        for k, v in kw.items():
            if k not in params:
                raise TypeError(f"Unrecognized keyword argument: {k}")
            params[k] = v
        LossFunctionWrapper.__init__(
            self, fn, reduction=reduction, name=name, dtype=dtype, **params
        )

    return init


class MeanSquaredError(LossFunctionWrapper):
    """Mean of squares of errors. `MeanSquaredError()(y_true, y_pred)`."""

    __init__ = _wrapper(mean_squared_error, "mean_squared_error", "")


class MeanAbsoluteError(LossFunctionWrapper):
    """Mean of absolute errors."""

    __init__ = _wrapper(mean_absolute_error, "mean_absolute_error", "")


class MeanAbsolutePercentageError(LossFunctionWrapper):
    """Mean absolute percentage error."""

    __init__ = _wrapper(mean_absolute_percentage_error, "mean_absolute_percentage_error", "")


class MeanSquaredLogarithmicError(LossFunctionWrapper):
    """Mean squared logarithmic error."""

    __init__ = _wrapper(mean_squared_logarithmic_error, "mean_squared_logarithmic_error", "")


class CosineSimilarity(LossFunctionWrapper):
    """Negative cosine similarity along `axis`."""

    __init__ = _wrapper(cosine_similarity, "cosine_similarity", "", axis=-1)


class Huber(LossFunctionWrapper):
    """Huber loss with threshold `delta`."""

    __init__ = _wrapper(huber, "huber_loss", "", delta=1.0)


class LogCosh(LossFunctionWrapper):
    """Logarithm of the hyperbolic cosine of the error."""

    __init__ = _wrapper(log_cosh, "log_cosh", "")


class Hinge(LossFunctionWrapper):
    """Hinge loss."""

    __init__ = _wrapper(hinge, "hinge", "")


class SquaredHinge(LossFunctionWrapper):
    """Squared hinge loss."""

    __init__ = _wrapper(squared_hinge, "squared_hinge", "")


class CategoricalHinge(LossFunctionWrapper):
    """Categorical hinge loss."""

    __init__ = _wrapper(categorical_hinge, "categorical_hinge", "")


class KLDivergence(LossFunctionWrapper):
    """Kullback-Leibler divergence."""

    __init__ = _wrapper(kl_divergence, "kl_divergence", "")


class Poisson(LossFunctionWrapper):
    """Poisson loss."""

    __init__ = _wrapper(poisson, "poisson", "")


class BinaryCrossentropy(LossFunctionWrapper):
    """Binary crossentropy (`from_logits`, `label_smoothing`, `axis`)."""

    __init__ = _wrapper(
        binary_crossentropy,
        "binary_crossentropy",
        "",
        from_logits=False,
        label_smoothing=0.0,
        axis=-1,
    )


class BinaryFocalCrossentropy(LossFunctionWrapper):
    """Binary focal crossentropy (`gamma`, `alpha`, `apply_class_balancing`)."""

    __init__ = _wrapper(
        binary_focal_crossentropy,
        "binary_focal_crossentropy",
        "",
        apply_class_balancing=False,
        alpha=0.25,
        gamma=2.0,
        from_logits=False,
        label_smoothing=0.0,
        axis=-1,
    )


class CategoricalCrossentropy(LossFunctionWrapper):
    """Categorical crossentropy over one-hot labels (`from_logits`, `label_smoothing`)."""

    __init__ = _wrapper(
        categorical_crossentropy,
        "categorical_crossentropy",
        "",
        from_logits=False,
        label_smoothing=0.0,
        axis=-1,
    )


class CategoricalFocalCrossentropy(LossFunctionWrapper):
    """Categorical focal crossentropy (`alpha`, `gamma`, `from_logits`, ...)."""

    __init__ = _wrapper(
        categorical_focal_crossentropy,
        "categorical_focal_crossentropy",
        "",
        alpha=0.25,
        gamma=2.0,
        from_logits=False,
        label_smoothing=0.0,
        axis=-1,
    )


class SparseCategoricalCrossentropy(LossFunctionWrapper):
    """Categorical crossentropy over integer labels.

    >>> import ndflow as tf
    >>> loss = tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    >>> round(float(loss([0], [[2.0, 0.0]])), 4)
    0.1269
    """

    __init__ = _wrapper(
        sparse_categorical_crossentropy,
        "sparse_categorical_crossentropy",
        "",
        from_logits=False,
        ignore_class=None,
    )

    def call(self, y_true: Any, y_pred: Any) -> Any:
        # No rank matching here: the labels have one dimension fewer by design.
        return self.fn(y_true, y_pred, **self._fn_kwargs)


# Short names Keras accepts.
MSE = mse = mean_squared_error
MAE = mae = mean_absolute_error
MAPE = mape = mean_absolute_percentage_error
MSLE = msle = mean_squared_logarithmic_error
KLD = kld = kullback_leibler_divergence = kl_divergence
logcosh = log_cosh
bce = BCE = binary_crossentropy
