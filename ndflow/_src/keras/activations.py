"""`keras.activations`: activation functions by name and object.

Each function takes a tensor and returns one, built only from ndflow ops, so it works
eagerly, under a tape and while tracing.

>>> import ndflow as tf
>>> get("relu")(tf.constant([-1.0, 2.0])).numpy().tolist()
[0.0, 2.0]
>>> serialize(get("swish"))
'silu'
"""

from __future__ import annotations

from typing import Any
from collections.abc import Callable

import ndflow as tf
from ndflow._src.keras.saving import serialization_lib

convert_to_tensor = tf.convert_to_tensor


def _t(x: Any) -> Any:
    return convert_to_tensor(x)


def relu(
    x: Any, negative_slope: float = 0.0, max_value: float | None = None, threshold: float = 0.0
) -> Any:
    """max(x, 0), with Keras' optional `negative_slope`, `max_value` and `threshold`."""
    x = _t(x)
    if negative_slope == 0.0 and max_value is None and threshold == 0.0:
        return tf.nn.relu(x)
    dt = x.dtype
    if threshold != 0.0:
        above = tf.cast(tf.greater(x, convert_to_tensor(threshold, dt)), dt)
        y = x * above
    else:
        y = tf.nn.relu(x)
    if max_value is not None:
        y = tf.clip_by_value(y, convert_to_tensor(0.0, dt), convert_to_tensor(max_value, dt))
    if negative_slope != 0.0:
        neg = tf.nn.relu(convert_to_tensor(threshold, dt) - x)
        y = y - convert_to_tensor(negative_slope, dt) * neg
    return y


def leaky_relu(x: Any, negative_slope: float = 0.2) -> Any:
    """x for x >= 0, `negative_slope * x` otherwise."""
    return tf.nn.leaky_relu(_t(x), alpha=negative_slope)


def relu6(x: Any) -> Any:
    """min(max(x, 0), 6)."""
    return tf.nn.relu6(_t(x))


def elu(x: Any, alpha: float = 1.0) -> Any:
    """x for x > 0, alpha * (exp(x) - 1) otherwise."""
    x = _t(x)
    y = tf.nn.elu(x)
    if alpha == 1.0:
        return y
    dt = x.dtype
    pos = tf.cast(tf.greater(x, convert_to_tensor(0.0, dt)), dt)
    return y * pos + convert_to_tensor(alpha, dt) * y * (1 - pos)


def selu(x: Any) -> Any:
    """Scaled ELU (scale 1.0507..., alpha 1.6732...)."""
    return tf.nn.selu(_t(x))


def gelu(x: Any, approximate: bool = False) -> Any:
    """Gaussian error linear unit (exact erf form unless `approximate`)."""
    return tf.nn.gelu(_t(x), approximate=approximate)


def softplus(x: Any) -> Any:
    """log(exp(x) + 1)."""
    return tf.nn.softplus(_t(x))


def softsign(x: Any) -> Any:
    """x / (|x| + 1)."""
    return tf.nn.softsign(_t(x))


def silu(x: Any) -> Any:
    """x * sigmoid(x) (also called swish)."""
    return tf.nn.silu(_t(x))


swish = silu


def sigmoid(x: Any) -> Any:
    """1 / (1 + exp(-x))."""
    return tf.sigmoid(_t(x))


def tanh(x: Any) -> Any:
    """Hyperbolic tangent."""
    return tf.tanh(_t(x))


def exponential(x: Any) -> Any:
    """exp(x)."""
    return tf.exp(_t(x))


def linear(x: Any) -> Any:
    """The identity (Keras' "no activation")."""
    return x


def hard_sigmoid(x: Any) -> Any:
    """relu6(x + 3) / 6, Keras 3's piecewise-linear sigmoid."""
    x = _t(x)
    return tf.nn.relu6(x + convert_to_tensor(3.0, x.dtype)) / convert_to_tensor(6.0, x.dtype)


def hard_silu(x: Any) -> Any:
    """x * hard_sigmoid(x)."""
    x = _t(x)
    return x * hard_sigmoid(x)


hard_swish = hard_silu


def softmax(x: Any, axis: int = -1) -> Any:
    """exp(x) / sum(exp(x)) along `axis`."""
    return tf.nn.softmax(_t(x), axis=axis)


def log_softmax(x: Any, axis: int = -1) -> Any:
    """log(softmax(x)) along `axis`, computed stably."""
    return tf.nn.log_softmax(_t(x), axis=axis)


def mish(x: Any) -> Any:
    """x * tanh(softplus(x))."""
    x = _t(x)
    return x * tf.tanh(tf.nn.softplus(x))


_ALL = [
    relu,
    leaky_relu,
    relu6,
    elu,
    selu,
    gelu,
    softplus,
    softsign,
    silu,
    sigmoid,
    tanh,
    exponential,
    linear,
    hard_sigmoid,
    hard_silu,
    softmax,
    log_softmax,
    mish,
]
for _fn in _ALL:
    serialization_lib.register_builtin("keras.activations", _fn)
serialization_lib.register_builtin("keras.activations", silu, "swish")
serialization_lib.register_builtin("keras.activations", hard_silu, "hard_swish")


def serialize(activation: Callable) -> Any:
    """The name of a built-in activation, or the serialized dict of a custom one."""
    name = getattr(activation, "__name__", None)
    if name is not None and serialization_lib._BUILTIN_FUNCTIONS.get(name) is activation:
        return name
    return serialization_lib.serialize_keras_object(activation)


def deserialize(config: Any, custom_objects: dict | None = None) -> Callable:
    """The activation named or described by `config`."""
    if isinstance(config, str):
        fn = serialization_lib.get_registered_object(config, custom_objects)
        if fn is None:
            fn = serialization_lib._BUILTIN_FUNCTIONS.get(config)
        if fn is None:
            raise ValueError(f"Unknown activation function '{config}'.")
        return fn
    return serialization_lib.deserialize_keras_object(config, custom_objects=custom_objects)


def get(identifier: Any) -> Callable:
    """`keras.activations.get`: None -> linear, a name, a config dict or a callable."""
    if identifier is None:
        return linear
    if isinstance(identifier, str):
        fn = serialization_lib.get_registered_object(identifier)
        if fn is None:
            fn = serialization_lib._BUILTIN_FUNCTIONS.get(identifier)
        if fn is not None:
            return fn
    elif isinstance(identifier, dict):
        fn = serialization_lib.deserialize_keras_object(identifier)
        if callable(fn):
            return fn
    elif callable(identifier):
        return identifier
    raise ValueError(f"Could not interpret activation function identifier: {identifier}")
