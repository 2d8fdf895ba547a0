"""`keras.losses`: loss functions, `Loss` classes and `get`/`serialize`/`deserialize`."""

from __future__ import annotations

from typing import Any

from ndflow._src.keras import _registry
from ndflow._src.keras.losses.losses import (  # noqa: F401
    BCE,
    KLD,
    MAE,
    MAPE,
    MSE,
    MSLE,
    BinaryCrossentropy,
    BinaryFocalCrossentropy,
    CategoricalCrossentropy,
    CategoricalFocalCrossentropy,
    CategoricalHinge,
    CosineSimilarity,
    Hinge,
    Huber,
    KLDivergence,
    LogCosh,
    Loss,
    LossFunctionWrapper,
    MeanAbsoluteError,
    MeanAbsolutePercentageError,
    MeanSquaredError,
    MeanSquaredLogarithmicError,
    Poisson,
    SparseCategoricalCrossentropy,
    SquaredHinge,
    bce,
    binary_crossentropy,
    binary_focal_crossentropy,
    categorical_crossentropy,
    categorical_focal_crossentropy,
    categorical_hinge,
    cosine_similarity,
    hinge,
    huber,
    kl_divergence,
    kld,
    kullback_leibler_divergence,
    log_cosh,
    logcosh,
    mae,
    mape,
    mean_absolute_error,
    mean_absolute_percentage_error,
    mean_squared_error,
    mean_squared_logarithmic_error,
    mse,
    msle,
    poisson,
    sparse_categorical_crossentropy,
    squared_hinge,
)

_CLASSES = [
    BinaryCrossentropy,
    BinaryFocalCrossentropy,
    CategoricalCrossentropy,
    CategoricalFocalCrossentropy,
    CategoricalHinge,
    CosineSimilarity,
    Hinge,
    Huber,
    KLDivergence,
    LogCosh,
    Loss,
    LossFunctionWrapper,
    MeanAbsoluteError,
    MeanAbsolutePercentageError,
    MeanSquaredError,
    MeanSquaredLogarithmicError,
    Poisson,
    SparseCategoricalCrossentropy,
    SquaredHinge,
]
_FUNCTIONS = [
    binary_crossentropy,
    binary_focal_crossentropy,
    categorical_crossentropy,
    categorical_focal_crossentropy,
    categorical_hinge,
    cosine_similarity,
    hinge,
    huber,
    kl_divergence,
    log_cosh,
    mean_absolute_error,
    mean_absolute_percentage_error,
    mean_squared_error,
    mean_squared_logarithmic_error,
    poisson,
    sparse_categorical_crossentropy,
    squared_hinge,
]
ALL_OBJECTS_DICT: dict[str, Any] = {c.__name__: c for c in _CLASSES}
ALL_OBJECTS_DICT.update({f.__name__: f for f in _FUNCTIONS})
ALL_OBJECTS_DICT.update(
    bce=bce,
    BCE=BCE,
    kld=kld,
    KLD=KLD,
    mae=mae,
    MAE=MAE,
    mse=mse,
    MSE=MSE,
    mape=mape,
    MAPE=MAPE,
    msle=msle,
    MSLE=MSLE,
    logcosh=logcosh,
    kullback_leibler_divergence=kld,
)


def serialize(loss: Any) -> Any:
    """`keras.losses.serialize`: a loss object or function to its config dict."""
    return _registry.serialize(loss, "keras.losses")


def deserialize(name: Any, custom_objects: dict | None = None) -> Any:
    """`keras.losses.deserialize`: a config dict (or name) back to a loss."""
    return _registry.deserialize(name, ALL_OBJECTS_DICT, "loss", custom_objects)


def get(identifier: Any) -> Any:
    """`keras.losses.get`: None, a name, a config dict or a callable to a loss.

    >>> import ndflow as tf
    >>> tf.keras.losses.get("mse").__name__
    'mean_squared_error'
    """
    if identifier is None:
        return None
    if isinstance(identifier, dict):
        obj = deserialize(identifier)
    elif isinstance(identifier, str):
        obj = ALL_OBJECTS_DICT.get(identifier)
    else:
        obj = identifier
    if callable(obj):
        if isinstance(obj, type):
            return obj()
        return obj
    raise ValueError(f"Could not interpret loss identifier: {identifier}")
