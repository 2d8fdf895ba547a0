"""Reshaping layers: Flatten, Reshape, Permute, RepeatVector, ZeroPadding2D, UpSampling2D,
Cropping2D (channels_last by default; channels_first supported where Keras has it).

>>> import ndflow as tf
>>> Flatten()(tf.ones((2, 3, 4))).shape
TensorShape([2, 12])
"""

from __future__ import annotations

from typing import Any

import numpy as np

import ndflow as tf
from ndflow._src.keras.layers.input_spec import InputSpec
from ndflow._src.keras.layers.layer import Layer
from ndflow._src.keras.saving import serialization_lib


def standardize_data_format(data_format: Any) -> str:
    """None -> "channels_last"; otherwise one of the two Keras names."""
    if data_format is None:
        return "channels_last"
    data_format = str(data_format).lower()
    if data_format not in ("channels_first", "channels_last"):
        raise ValueError(
            "The `data_format` argument must be one of {'channels_first', 'channels_last'}. "
            f"Received: data_format={data_format}"
        )
    return data_format


def standardize_tuple(value: Any, n: int, name: str, allow_zero: bool = False) -> tuple:
    """An int or an n-tuple of ints -> an n-tuple (Keras' validation wording)."""
    error = f"The `{name}` argument must be a tuple of {n} integers. Received {name}={value}"
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        out = (int(value),) * n
    else:
        try:
            out = tuple(value)
        except TypeError:
            raise ValueError(error) from None
        if len(out) != n or not all(isinstance(v, (int, np.integer)) for v in out):
            raise ValueError(error)
        out = tuple(int(v) for v in out)
    low = 0 if allow_zero else 1
    bad = [v for v in out if v < low]
    if bad:
        req = ">= 0" if allow_zero else "> 0"
        raise ValueError(f"{error} including values {set(bad)} that do not satisfy `value {req}`")
    return out


class Flatten(Layer):
    """Flattens all axes but the batch axis."""

    def __init__(self, data_format: Any = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.data_format = standardize_data_format(data_format)
        self.input_spec = InputSpec(min_ndim=1)
        self.built = True

    def call(self, inputs: Any) -> Any:
        rank = inputs.shape.rank
        if self.data_format == "channels_first" and rank and rank > 2:
            inputs = tf.transpose(inputs, [0] + list(range(2, rank)) + [1])
        dims = inputs.shape.as_list()
        if rank == 1:
            return tf.expand_dims(inputs, 1)
        rest = dims[1:]
        if None in rest:
            return tf.reshape(inputs, [tf.shape(inputs)[0], -1])
        return tf.reshape(inputs, [-1 if dims[0] is None else dims[0], int(np.prod(rest))])

    def compute_output_shape(self, input_shape: Any) -> tuple:
        rest = input_shape[1:]
        size = None if None in rest else int(np.prod(rest))
        return (input_shape[0], size if rest else 1)

    def get_config(self) -> dict:
        config = super().get_config()
        config["data_format"] = self.data_format
        return config


class Reshape(Layer):
    """Reshapes the non-batch axes to `target_shape` (one entry may be -1)."""

    def __init__(self, target_shape: Any, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        target_shape = tuple(target_shape)
        if target_shape.count(-1) > 1:
            raise ValueError(
                "The `target_shape` argument must not contain more than one `-1` value. "
                f"Received: target_shape={target_shape}"
            )
        self.target_shape = target_shape
        self.built = True

    def compute_output_shape(self, input_shape: Any) -> tuple:
        shape = list(self.target_shape)
        if -1 in shape:
            rest = input_shape[1:]
            if None in rest:
                shape[shape.index(-1)] = None
            else:
                known = int(np.prod([d for d in shape if d != -1]))
                total = int(np.prod(rest))
                if total % known:
                    raise ValueError(
                        "The total size of the tensor must be unchanged. Received: "
                        f"input_shape={tuple(rest)}, target_shape={self.target_shape}"
                    )
                shape[shape.index(-1)] = total // known
        elif None not in input_shape[1:] and int(np.prod(input_shape[1:])) != int(np.prod(shape)):
            raise ValueError(
                "The total size of the tensor must be unchanged. Received: "
                f"input_shape={tuple(input_shape[1:])}, target_shape={self.target_shape}"
            )
        return (input_shape[0],) + tuple(shape)

    def call(self, inputs: Any) -> Any:
        dims = inputs.shape.as_list()
        self.compute_output_shape(tuple(dims))  # Keras' ValueError for a size mismatch
        batch = dims[0] if dims[0] is not None else tf.shape(inputs)[0]
        return tf.reshape(inputs, [batch] + list(self.target_shape))

    def get_config(self) -> dict:
        config = super().get_config()
        config["target_shape"] = self.target_shape
        return config


class Permute(Layer):
    """Permutes the non-batch axes; `dims` are 1-indexed, as in Keras."""

    def __init__(self, dims: Any, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.dims = tuple(dims)
        if sorted(self.dims) != list(range(1, len(self.dims) + 1)):
            raise ValueError(
                "Invalid permutation argument `dims` for Permute Layer. The set of indices "
                f"in `dims` must be consecutive and start from 1. Received dims={dims}"
            )
        self.input_spec = InputSpec(ndim=len(self.dims) + 1)
        self.built = True

    def call(self, inputs: Any) -> Any:
        return tf.transpose(inputs, (0,) + self.dims)

    def compute_output_shape(self, input_shape: Any) -> tuple:
        return (input_shape[0],) + tuple(input_shape[d] for d in self.dims)

    def get_config(self) -> dict:
        config = super().get_config()
        config["dims"] = self.dims
        return config


class RepeatVector(Layer):
    """(batch, features) -> (batch, n, features)."""

    def __init__(self, n: int, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if not isinstance(n, int):
            raise TypeError(f"Expected an integer value for `n`, got {type(n)}.")
        self.n = n
        self.input_spec = InputSpec(ndim=2)
        self.built = True

    def call(self, inputs: Any) -> Any:
        return tf.tile(tf.expand_dims(inputs, 1), [1, self.n, 1])

    def compute_output_shape(self, input_shape: Any) -> tuple:
        return (input_shape[0], self.n, input_shape[1])

    def get_config(self) -> dict:
        config = super().get_config()
        config["n"] = self.n
        return config


def _pairs(value: Any, name: str) -> tuple:
    if isinstance(value, int):
        return ((value, value), (value, value))
    if len(value) != 2:
        raise ValueError(f"`{name}` should have two elements. Received: {name}={value}.")
    out = []
    for v in value:
        if isinstance(v, int):
            out.append((v, v))
        else:
            out.append(tuple(int(x) for x in v))
    return tuple(out)


class ZeroPadding2D(Layer):
    """Pads rows and columns with zeros."""

    def __init__(self, padding: Any = (1, 1), data_format: Any = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.data_format = standardize_data_format(data_format)
        self.padding = _pairs(padding, "padding")
        self.input_spec = InputSpec(ndim=4)
        self.built = True

    def call(self, inputs: Any) -> Any:
        (t, b), (lft, r) = self.padding
        if self.data_format == "channels_last":
            pads = [[0, 0], [t, b], [lft, r], [0, 0]]
        else:
            pads = [[0, 0], [0, 0], [t, b], [lft, r]]
        return tf.pad(inputs, pads)

    def compute_output_shape(self, input_shape: Any) -> tuple:
        s = list(input_shape)
        h, w = (1, 2) if self.data_format == "channels_last" else (2, 3)
        if s[h] is not None:
            s[h] += sum(self.padding[0])
        if s[w] is not None:
            s[w] += sum(self.padding[1])
        return tuple(s)

    def get_config(self) -> dict:
        config = super().get_config()
        config.update({"padding": self.padding, "data_format": self.data_format})
        return config


class Cropping2D(Layer):
    """Crops rows and columns."""

    def __init__(
        self, cropping: Any = ((0, 0), (0, 0)), data_format: Any = None, **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        self.data_format = standardize_data_format(data_format)
        self.cropping = _pairs(cropping, "cropping")
        self.input_spec = InputSpec(ndim=4)
        self.built = True

    def call(self, inputs: Any) -> Any:
        (t, b), (lft, r) = self.cropping
        # Negative stops work when the spatial sizes are only known at run time.
        rows = slice(t, -b if b else None)
        cols = slice(lft, -r if r else None)
        if self.data_format == "channels_last":
            return inputs[:, rows, cols, :]
        return inputs[:, :, rows, cols]

    def compute_output_shape(self, input_shape: Any) -> tuple:
        s = list(input_shape)
        h, w = (1, 2) if self.data_format == "channels_last" else (2, 3)
        if s[h] is not None:
            s[h] -= sum(self.cropping[0])
        if s[w] is not None:
            s[w] -= sum(self.cropping[1])
        return tuple(s)

    def get_config(self) -> dict:
        config = super().get_config()
        config.update({"cropping": self.cropping, "data_format": self.data_format})
        return config


class UpSampling2D(Layer):
    """Repeats rows and columns `size` times ("nearest"; "bilinear" is not supported)."""

    def __init__(
        self,
        size: Any = (2, 2),
        data_format: Any = None,
        interpolation: str = "nearest",
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.data_format = standardize_data_format(data_format)
        self.size = standardize_tuple(size, 2, "size")
        if interpolation not in ("nearest", "bilinear", "bicubic", "lanczos3", "lanczos5", "area"):
            raise ValueError(
                '`interpolation` argument should be one of: "nearest", "bilinear", '
                f'"bicubic", "lanczos3", "lanczos5", "area". Received: '
                f'"{interpolation}".'
            )
        self.interpolation = interpolation
        self.input_spec = InputSpec(ndim=4)
        self.built = True

    def call(self, inputs: Any) -> Any:
        if self.interpolation != "nearest":
            raise NotImplementedError(
                f"UpSampling2D(interpolation={self.interpolation!r}) is not supported yet."
            )
        h, w = (1, 2) if self.data_format == "channels_last" else (2, 3)
        x = tf.repeat(inputs, self.size[0], axis=h)
        return tf.repeat(x, self.size[1], axis=w)

    def compute_output_shape(self, input_shape: Any) -> tuple:
        s = list(input_shape)
        h, w = (1, 2) if self.data_format == "channels_last" else (2, 3)
        s[h] = None if s[h] is None else s[h] * self.size[0]
        s[w] = None if s[w] is None else s[w] * self.size[1]
        return tuple(s)

    def get_config(self) -> dict:
        config = super().get_config()
        config.update(
            {
                "size": self.size,
                "data_format": self.data_format,
                "interpolation": self.interpolation,
            }
        )
        return config


for _cls in (Flatten, Reshape, Permute, RepeatVector, ZeroPadding2D, Cropping2D, UpSampling2D):
    serialization_lib.register_builtin("keras.layers", _cls)
