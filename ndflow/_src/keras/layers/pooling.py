"""Pooling layers: Max/AveragePooling1D/2D and GlobalAverage/GlobalMaxPooling1D/2D.

>>> import ndflow as tf
>>> MaxPooling2D()(tf.ones((1, 4, 4, 3))).shape
TensorShape([1, 2, 2, 3])
"""

from __future__ import annotations

from typing import Any

import ndflow as tf
from ndflow._src.keras.layers.convolutional import (
    _from_last,
    _to_last,
    conv_output_length,
    standardize_padding,
)
from ndflow._src.keras.layers.input_spec import InputSpec
from ndflow._src.keras.layers.layer import Layer
from ndflow._src.keras.layers.reshaping import standardize_data_format, standardize_tuple
from ndflow._src.keras.saving import serialization_lib


class BasePooling(Layer):
    """Shared logic: `pool_size`, `strides` (default: `pool_size`), `padding`."""

    def __init__(
        self,
        pool_size: Any,
        strides: Any,
        pool_dimensions: int,
        pool_mode: str,
        padding: str = "valid",
        data_format: Any = None,
        name: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(name=name, **kwargs)
        self.pool_size = standardize_tuple(pool_size, pool_dimensions, "pool_size")
        strides = pool_size if strides is None else strides
        self.strides = standardize_tuple(strides, pool_dimensions, "strides")
        self.padding = standardize_padding(padding)
        self.data_format = standardize_data_format(data_format)
        self.pool_mode = pool_mode
        self.input_spec = InputSpec(ndim=pool_dimensions + 2)
        self._dims = pool_dimensions
        self.built = True

    def call(self, inputs: Any) -> Any:
        x = _to_last(inputs, self.data_format)
        pad = self.padding.upper()
        if self._dims == 1:
            fn = tf.nn.max_pool1d if self.pool_mode == "max" else tf.nn.avg_pool1d
        else:
            fn = tf.nn.max_pool2d if self.pool_mode == "max" else tf.nn.avg_pool2d
        y = fn(x, self.pool_size, self.strides, pad)
        return _from_last(y, self.data_format)

    def compute_output_shape(self, input_shape: Any) -> tuple:
        s = list(input_shape)
        first = 1 if self.data_format == "channels_last" else 2
        for i in range(self._dims):
            s[first + i] = conv_output_length(
                s[first + i], self.pool_size[i], self.padding, self.strides[i], 1
            )
        return tuple(s)

    def get_config(self) -> dict:
        config = super().get_config()
        config.update(
            {
                "pool_size": self.pool_size,
                "padding": self.padding,
                "strides": self.strides,
                "data_format": self.data_format,
            }
        )
        return config


class MaxPooling1D(BasePooling):
    """Max over windows of `pool_size` steps."""

    def __init__(
        self,
        pool_size: Any = 2,
        strides: Any = None,
        padding: str = "valid",
        data_format: Any = None,
        name: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(pool_size, strides, 1, "max", padding, data_format, name, **kwargs)


class AveragePooling1D(BasePooling):
    """Mean over windows of `pool_size` steps."""

    def __init__(
        self,
        pool_size: Any,
        strides: Any = None,
        padding: str = "valid",
        data_format: Any = None,
        name: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(pool_size, strides, 1, "average", padding, data_format, name, **kwargs)


class MaxPooling2D(BasePooling):
    """Max over `pool_size` windows of rows and columns."""

    def __init__(
        self,
        pool_size: Any = (2, 2),
        strides: Any = None,
        padding: str = "valid",
        data_format: Any = None,
        name: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(pool_size, strides, 2, "max", padding, data_format, name, **kwargs)


class AveragePooling2D(BasePooling):
    """Mean over `pool_size` windows of rows and columns."""

    def __init__(
        self,
        pool_size: Any,
        strides: Any = None,
        padding: str = "valid",
        data_format: Any = None,
        name: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(pool_size, strides, 2, "average", padding, data_format, name, **kwargs)


class BaseGlobalPooling(Layer):
    """Reduces every spatial axis (mean or max)."""

    def __init__(
        self,
        pool_dimensions: int,
        mode: str,
        data_format: Any = None,
        keepdims: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.data_format = standardize_data_format(data_format)
        self.keepdims = keepdims
        self.input_spec = InputSpec(ndim=pool_dimensions + 2)
        self._dims = pool_dimensions
        self._mode = mode
        self.built = True

    def _axes(self) -> list:
        first = 1 if self.data_format == "channels_last" else 2
        return list(range(first, first + self._dims))

    def call(self, inputs: Any, mask: Any = None) -> Any:
        axes = self._axes()
        if self._mode == "max":
            return tf.reduce_max(inputs, axis=axes, keepdims=self.keepdims)
        if mask is not None and self._dims == 1:
            m = tf.cast(mask, inputs.dtype)
            m = tf.expand_dims(m, 2 if self.data_format == "channels_last" else 1)
            total = tf.reduce_sum(inputs * m, axis=axes, keepdims=self.keepdims)
            return total / tf.reduce_sum(m, axis=axes, keepdims=self.keepdims)
        return tf.reduce_mean(inputs, axis=axes, keepdims=self.keepdims)

    def compute_mask(self, inputs: Any, previous_mask: Any) -> Any:
        return None

    def compute_output_shape(self, input_shape: Any) -> tuple:
        axes = self._axes()
        if self.keepdims:
            return tuple(1 if i in axes else d for i, d in enumerate(input_shape))
        return tuple(d for i, d in enumerate(input_shape) if i not in axes)

    def get_config(self) -> dict:
        config = super().get_config()
        config.update({"data_format": self.data_format, "keepdims": self.keepdims})
        return config


class GlobalAveragePooling1D(BaseGlobalPooling):
    """Mean over steps (honouring a mask)."""

    def __init__(self, data_format: Any = None, keepdims: bool = False, **kwargs: Any) -> None:
        super().__init__(1, "average", data_format, keepdims, **kwargs)
        self.supports_masking = True


class GlobalAveragePooling2D(BaseGlobalPooling):
    """Mean over rows and columns."""

    def __init__(self, data_format: Any = None, keepdims: bool = False, **kwargs: Any) -> None:
        super().__init__(2, "average", data_format, keepdims, **kwargs)


class GlobalMaxPooling1D(BaseGlobalPooling):
    """Max over steps."""

    def __init__(self, data_format: Any = None, keepdims: bool = False, **kwargs: Any) -> None:
        super().__init__(1, "max", data_format, keepdims, **kwargs)


class GlobalMaxPooling2D(BaseGlobalPooling):
    """Max over rows and columns."""

    def __init__(self, data_format: Any = None, keepdims: bool = False, **kwargs: Any) -> None:
        super().__init__(2, "max", data_format, keepdims, **kwargs)


for _cls in (
    MaxPooling1D,
    AveragePooling1D,
    MaxPooling2D,
    AveragePooling2D,
    GlobalAveragePooling1D,
    GlobalAveragePooling2D,
    GlobalMaxPooling1D,
    GlobalMaxPooling2D,
):
    serialization_lib.register_builtin("keras.layers", _cls)
MaxPool1D, MaxPool2D, AvgPool1D, AvgPool2D = (
    MaxPooling1D,
    MaxPooling2D,
    AveragePooling1D,
    AveragePooling2D,
)
GlobalAvgPool1D, GlobalAvgPool2D = GlobalAveragePooling1D, GlobalAveragePooling2D
GlobalMaxPool1D, GlobalMaxPool2D = GlobalMaxPooling1D, GlobalMaxPooling2D
