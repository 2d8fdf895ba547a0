"""Merging layers: Add, Subtract, Multiply, Average, Maximum, Minimum, Concatenate, Dot and
their functional forms (`add([a, b])`, `concatenate([a, b], axis=-1)`, ...).

>>> import ndflow as tf
>>> Add()([tf.ones((1, 2)), tf.ones((1, 2))]).numpy().tolist()
[[2.0, 2.0]]
"""

from __future__ import annotations

from typing import Any

import ndflow as tf
from ndflow._src.keras.layers.layer import Layer
from ndflow._src.keras.saving import serialization_lib


def _broadcast_shape(a: tuple, b: tuple) -> tuple:
    if len(a) < len(b):
        a, b = b, a
    b = (1,) * (len(a) - len(b)) + tuple(b)
    out = []
    for x, y in zip(a, b):
        if x is None or y is None:
            out.append(
                None
                if (x in (None, 1) and y in (None, 1)) or x == y or 1 not in (x, y)
                else (x if y == 1 else y)
            )
        elif x == 1:
            out.append(y)
        elif y == 1 or x == y:
            out.append(x)
        else:
            raise ValueError(
                f"Inputs have incompatible shapes. Received shapes {tuple(a)} and {tuple(b)}"
            )
    return tuple(out)


class Merge(Layer):
    """Base of the element-wise merges: a list of at least two tensors in, one out."""

    _min_inputs = 2

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.supports_masking = True

    def build(self, input_shape: Any) -> None:
        if not isinstance(input_shape, list) or not isinstance(input_shape[0], (tuple, list)):
            raise ValueError(
                "A merge layer should be called on a list of inputs. "
                f"Received: input_shape={input_shape} (not a list of shapes)"
            )
        if len(input_shape) < self._min_inputs:
            raise ValueError(
                f"A merge layer should be called on a list of at least {self._min_inputs} "
                f"inputs. Got {len(input_shape)} inputs. Full input_shape received: "
                f"{input_shape}"
            )
        shape = tuple(input_shape[0])
        for s in input_shape[1:]:
            if s is not None:  # raises on incompatible (non-broadcastable) shapes
                shape = shape[:1] + _broadcast_shape(shape[1:], tuple(s)[1:])

    def _merge(self, inputs: list) -> Any:
        raise NotImplementedError

    def call(self, inputs: Any) -> Any:
        if not isinstance(inputs, (list, tuple)):
            raise ValueError(
                "A merge layer should be called on a list of inputs. "
                f"Received: inputs={inputs} (not a list of tensors)"
            )
        return self._merge(list(inputs))

    def compute_output_shape(self, input_shape: Any) -> tuple:
        shape = tuple(input_shape[0])
        for s in input_shape[1:]:
            batch = shape[0] if shape[0] is not None else s[0]
            shape = (batch,) + _broadcast_shape(shape[1:], tuple(s)[1:])
        return shape

    def compute_mask(self, inputs: Any, mask: Any = None) -> Any:
        if mask is None or not isinstance(mask, (list, tuple)):
            return None
        masks = [m for m in mask if m is not None]
        if not masks:
            return None
        out = masks[0]
        for m in masks[1:]:
            out = tf.logical_and(out, m)
        return out


class Add(Merge):
    """Element-wise sum of the inputs."""

    def _merge(self, inputs: list) -> Any:
        out = inputs[0]
        for x in inputs[1:]:
            out = out + x
        return out


class Subtract(Merge):
    """`inputs[0] - inputs[1]` (exactly two inputs)."""

    def build(self, input_shape: Any) -> None:
        super().build(input_shape)
        if len(input_shape) != 2:
            raise ValueError(
                "A `Subtract` layer should be called on exactly 2 inputs. "
                f"Received: input_shape={input_shape}"
            )

    def _merge(self, inputs: list) -> Any:
        if len(inputs) != 2:
            raise ValueError(
                "A `Subtract` layer should be called on exactly 2 inputs. "
                f"Received: inputs={inputs}"
            )
        return inputs[0] - inputs[1]


class Multiply(Merge):
    """Element-wise product of the inputs."""

    def _merge(self, inputs: list) -> Any:
        out = inputs[0]
        for x in inputs[1:]:
            out = out * x
        return out


class Average(Merge):
    """Element-wise mean of the inputs."""

    def _merge(self, inputs: list) -> Any:
        out = inputs[0]
        for x in inputs[1:]:
            out = out + x
        return out / tf.cast(tf.constant(len(inputs)), out.dtype)


class Maximum(Merge):
    """Element-wise maximum of the inputs."""

    def _merge(self, inputs: list) -> Any:
        out = inputs[0]
        for x in inputs[1:]:
            out = tf.maximum(out, x)
        return out


class Minimum(Merge):
    """Element-wise minimum of the inputs."""

    def _merge(self, inputs: list) -> Any:
        out = inputs[0]
        for x in inputs[1:]:
            out = tf.minimum(out, x)
        return out


class Concatenate(Merge):
    """Concatenates the inputs along `axis`."""

    def __init__(self, axis: int = -1, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.axis = axis

    def build(self, input_shape: Any) -> None:
        if len(input_shape) < 1 or not isinstance(input_shape[0], (tuple, list)):
            raise ValueError(
                "A `Concatenate` layer should be called on a list of at least 1 input. "
                f"Received: input_shape={input_shape}"
            )
        shapes = [tuple(s) for s in input_shape]
        rank = len(shapes[0])
        axis = self.axis % rank
        for s in shapes[1:]:
            if len(s) != rank or any(
                a != b and None not in (a, b)
                for i, (a, b) in enumerate(zip(shapes[0], s))
                if i != axis
            ):
                raise ValueError(
                    "A `Concatenate` layer requires inputs with matching shapes except for "
                    f"the concatenation axis. Received: input_shape={input_shape}"
                )

    def _merge(self, inputs: list) -> Any:
        return tf.concat(inputs, axis=self.axis)

    def compute_output_shape(self, input_shape: Any) -> tuple:
        shape = list(input_shape[0])
        axis = self.axis % len(shape)
        for s in input_shape[1:]:
            if shape[axis] is None or s[axis] is None:
                shape[axis] = None
            else:
                shape[axis] += s[axis]
        return tuple(shape)

    def compute_mask(self, inputs: Any, mask: Any = None) -> Any:
        if mask is None or all(m is None for m in mask):
            return None
        masks = []
        for x, m in zip(inputs, mask):
            if m is None:
                m = tf.cast(tf.ones_like(x[..., 0]), "bool")
            masks.append(m)
        if self.axis in (-1, len(inputs[0].shape) - 1):
            out = masks[0]
            for m in masks[1:]:
                out = tf.logical_and(out, m)
            return out
        return tf.concat(masks, axis=self.axis)

    def get_config(self) -> dict:
        config = super().get_config()
        config["axis"] = self.axis
        return config


class Dot(Merge):
    """Dot product of two tensors along `axes` (cosine similarity with `normalize`)."""

    def __init__(self, axes: Any, normalize: bool = False, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if not isinstance(axes, int):
            if not isinstance(axes, (list, tuple)) or len(axes) != 2:
                raise ValueError(
                    "Invalid format for argument `axes`: list/tuple of length 2 or an integer "
                    f"expected. Received: axes={axes}"
                )
        self.axes = axes
        self.normalize = normalize
        self.supports_masking = True

    def build(self, input_shape: Any) -> None:
        if len(input_shape) != 2:
            raise ValueError(
                "A `Dot` layer should be called on a list of 2 inputs. "
                f"Received: input_shape={input_shape}"
            )

    def _axes(self, r1: int, r2: int) -> tuple:
        if isinstance(self.axes, int):
            a = (
                self.axes % r1 if self.axes < 0 else self.axes,
                self.axes % r2 if self.axes < 0 else self.axes,
            )
        else:
            a = (self.axes[0] % r1, self.axes[1] % r2)
        return a

    def _merge(self, inputs: list) -> Any:
        if len(inputs) != 2:
            raise ValueError(
                f"A `Dot` layer should be called on exactly 2 inputs. Received: inputs={inputs}"
            )
        x, y = inputs
        a1, a2 = self._axes(x.shape.rank, y.shape.rank)
        if self.normalize:
            x = (
                tf.math.l2_normalize(x, axis=a1)
                if hasattr(tf.math, "l2_normalize")
                else x / tf.sqrt(tf.maximum(tf.reduce_sum(x * x, a1, keepdims=True), 1e-12))
            )
            y = (
                tf.math.l2_normalize(y, axis=a2)
                if hasattr(tf.math, "l2_normalize")
                else y / tf.sqrt(tf.maximum(tf.reduce_sum(y * y, a2, keepdims=True), 1e-12))
            )
        return _batch_dot(x, y, a1, a2)

    def compute_output_shape(self, input_shape: Any) -> tuple:
        s1, s2 = [list(s) for s in input_shape]
        a1, a2 = self._axes(len(s1), len(s2))
        s1.pop(a1)
        s2.pop(a2)
        s2.pop(0)
        out = s1 + s2
        if len(out) == 1:
            out += [1]
        return tuple(out)

    def compute_mask(self, inputs: Any, mask: Any = None) -> Any:
        return None

    def get_config(self) -> dict:
        config = super().get_config()
        config.update({"axes": self.axes, "normalize": self.normalize})
        return config


def _batch_dot(x: Any, y: Any, a1: int, a2: int) -> Any:
    """Keras' batch_dot: contract x's axis a1 with y's axis a2, batch axis 0 shared."""
    rx, ry = x.shape.rank, y.shape.rank
    # Move the contracted axis to the end of x and right after the batch axis of y.
    px = [i for i in range(rx) if i != a1] + [a1]
    py = [0, a2] + [i for i in range(1, ry) if i != a2]
    xt = tf.transpose(x, px) if px != list(range(rx)) else x
    yt = tf.transpose(y, py) if py != list(range(ry)) else y
    xs, ys = xt.shape.as_list(), yt.shape.as_list()
    b = tf.shape(x)[0]
    x3 = tf.reshape(xt, [b, -1, xs[-1]])
    y3 = tf.reshape(yt, [b, ys[1], -1])
    out = tf.matmul(x3, y3)
    out_shape = [b] + xs[1:-1] + ys[2:]
    out = tf.reshape(out, out_shape)
    if len(out_shape) == 1:
        out = tf.expand_dims(out, 1)
    return out


def _functional(cls: type) -> Any:
    def fn(inputs: list, **kwargs: Any) -> Any:
        return cls(**kwargs)(inputs)

    fn.__doc__ = f"Functional form of `{cls.__name__}`: `{cls.__name__}(**kwargs)(inputs)`."
    return fn


add = _functional(Add)
subtract = _functional(Subtract)
multiply = _functional(Multiply)
average = _functional(Average)
maximum = _functional(Maximum)
minimum = _functional(Minimum)


def concatenate(inputs: list, axis: int = -1, **kwargs: Any) -> Any:
    """Functional form of `Concatenate`."""
    return Concatenate(axis=axis, **kwargs)(inputs)


def dot(inputs: list, axes: Any = -1, normalize: bool = False, **kwargs: Any) -> Any:
    """Functional form of `Dot`."""
    return Dot(axes=axes, normalize=normalize, **kwargs)(inputs)


for _cls in (Add, Subtract, Multiply, Average, Maximum, Minimum, Concatenate, Dot):
    serialization_lib.register_builtin("keras.layers", _cls)
