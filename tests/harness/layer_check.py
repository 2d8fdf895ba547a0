"""`layer_check`: the one test helper every Keras layer goes through.

It builds a layer, calls it on the given inputs, checks `compute_output_shape`, round-trips
`get_config`/`from_config` (and `serialize_keras_object`), runs one training step (tape +
plain SGD via `assign_sub`) that must change the trainable weights, and - with real
TensorFlow - builds the same `tf.keras` layer, copies the weights across and compares the
config, the outputs and the gradients (w.r.t. weights and float inputs).
"""

from __future__ import annotations

from typing import Any

import numpy as np

import ndflow as nd
from ndflow._src.keras.saving import serialization_lib


def _inputs(input_shape: Any, input_dtype: str, rng: np.random.Generator, int_high: int) -> Any:
    if isinstance(input_shape, list):
        return [_inputs(s, input_dtype, rng, int_high) for s in input_shape]
    if np.dtype(input_dtype).kind in "iu":
        return rng.integers(0, int_high, size=input_shape).astype(input_dtype)
    return rng.standard_normal(input_shape).astype(input_dtype)


def _plain(x: Any) -> Any:
    """Tuples -> lists, NumPy scalars -> Python, recursively (for config comparison)."""
    if isinstance(x, dict):
        if x.get("class_name") == "__lambda__":
            return "<lambda>"  # marshalled bytecode is not byte-stable across round trips
        return {k: _plain(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_plain(v) for v in x]
    if isinstance(x, np.generic):
        return x.item()
    return x


def _shape(t: Any) -> tuple:
    return tuple(t.shape.as_list()) if hasattr(t.shape, "as_list") else tuple(t.shape)


def _flat(x: Any) -> list:
    return list(x) if isinstance(x, (list, tuple)) else [x]


def _loss(nd_mod: Any, out: Any) -> Any:
    total = 0.0
    for o in _flat(out):
        if o.dtype.is_floating:
            total = total + nd_mod.reduce_sum(nd_mod.square(o))
    return total


def layer_check(
    cls: type,
    kwargs: dict | None = None,
    input_shape: Any = (2, 3),
    input_dtype: str = "float32",
    expected_output_shape: Any = None,
    call_kwargs: dict | None = None,
    train: bool = True,
    expect_weight_change: bool | None = None,
    real_tf: Any = None,
    parity_cls: str | None = None,
    config_exclude: tuple = (),
    int_high: int = 5,
    rtol: float = 1e-5,
    atol: float = 1e-5,
    seed: int = 0,
) -> Any:
    """Runs the checks above; returns the ndflow layer.

    `input_shape` is a shape (or a list of shapes for multi-input layers); `call_kwargs` go
    to every call (e.g. {"training": False}); `real_tf` (the fixture) turns on parity.
    """
    kwargs = dict(kwargs or {})
    call_kwargs = dict(call_kwargs or {})
    rng = np.random.default_rng(seed)
    x = _inputs(input_shape, input_dtype, rng, int_high)

    # 1. build and call
    layer = cls(**kwargs)
    out = layer(x, **call_kwargs)
    assert layer.built
    shapes = [_shape(o) for o in _flat(out)]
    if expected_output_shape is not None:
        expected = (
            expected_output_shape
            if isinstance(expected_output_shape, list)
            else [expected_output_shape]
        )
        assert shapes == [tuple(s) for s in expected], (shapes, expected_output_shape)
    if not isinstance(input_shape, list) or all(isinstance(s, tuple) for s in input_shape):
        computed = layer.compute_output_shape(input_shape)
        computed = computed if isinstance(computed, list) else [computed]
        assert [tuple(c) for c in computed] == shapes, (computed, shapes)

    # 1b. symbolic call on keras.Input (batch size unknown): shapes from compute_output_shape
    if input_dtype == "float32" or not isinstance(input_shape, list):
        symbolic_in = (
            [nd.keras.Input(shape=s[1:], dtype=input_dtype) for s in input_shape]
            if isinstance(input_shape, list)
            else nd.keras.Input(shape=input_shape[1:], dtype=input_dtype)
        )
        symbolic_out = cls(**kwargs)(symbolic_in)
        for sym, real in zip(_flat(symbolic_out), shapes):
            assert tuple(sym.shape) == (None,) + tuple(real[1:]), (sym.shape, real)

    # 2. config round trip
    config = layer.get_config()
    with serialization_lib.SafeModeScope(False):  # Lambda layers hold Python lambdas
        clone = cls.from_config(config)
    assert _plain(clone.get_config()) == _plain(config)
    serialized = serialization_lib.serialize_keras_object(layer)
    assert serialized["class_name"] == cls.__name__
    again = serialization_lib.deserialize_keras_object(serialized, safe_mode=False)
    assert type(again) is cls
    clone_out = clone(x, **call_kwargs)
    if layer.weights:
        clone.set_weights(layer.get_weights())
        clone_out = clone(x, **call_kwargs)
    if not call_kwargs.get("training"):
        for a, b in zip(_flat(out), _flat(clone_out)):
            np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=rtol, atol=atol)

    # 3. one training step
    if train and layer.trainable_weights:
        before = layer.get_weights()
        with nd.GradientTape() as tape:
            loss = _loss(nd, layer(x, **call_kwargs))
        grads = tape.gradient(loss, layer.trainable_weights)
        for w, g in zip(layer.trainable_weights, grads):
            if g is not None:
                w.assign_sub(0.1 * g)
        after = layer.get_weights()
        changed = any(not np.allclose(a, b) for a, b in zip(before, after))
        if expect_weight_change is None or expect_weight_change:
            assert changed, "one SGD step did not change any weight"

    # 4. parity with real tf.keras
    if real_tf is not None:
        _parity(
            layer,
            real_tf,
            parity_cls or cls.__name__,
            kwargs,
            x,
            call_kwargs,
            config_exclude,
            rtol,
            atol,
        )
    return layer


def _parity(
    layer: Any,
    tf: Any,
    name: str,
    kwargs: dict,
    x: Any,
    call_kwargs: dict,
    config_exclude: tuple,
    rtol: float,
    atol: float,
) -> None:
    real = getattr(tf.keras.layers, name)(**kwargs)
    real_x = [tf.constant(a) for a in x] if isinstance(x, list) else tf.constant(x)
    real(real_x, **call_kwargs)
    ours = _plain({k: v for k, v in layer.get_config().items() if k not in config_exclude})
    theirs = _plain({k: v for k, v in real.get_config().items() if k not in config_exclude})
    ours.pop("name", None)
    theirs.pop("name", None)
    assert ours == theirs, (ours, theirs)
    assert [tuple(w.shape) for w in real.weights] == [
        tuple(w.shape.as_list()) for w in layer.weights
    ]
    if not isinstance(x, list):
        unknown_batch = (None,) + tuple(x.shape[1:])
        assert tuple(layer.compute_output_shape(unknown_batch)) == tuple(
            real.compute_output_shape(unknown_batch)
        )
    real.set_weights(layer.get_weights())
    nd_x = [nd.constant(a) for a in x] if isinstance(x, list) else nd.constant(x)
    float_in = [t for t in _flat(nd_x) if t.dtype.is_floating]
    real_float_in = [t for t in _flat(real_x) if t.dtype.is_floating]
    with nd.GradientTape() as tape:
        for t in float_in:
            tape.watch(t)
        out = layer(nd_x, **call_kwargs)
        loss = _loss(nd, out)
    with tf.GradientTape() as rtape:
        for t in real_float_in:
            rtape.watch(t)
        rout = real(real_x, **call_kwargs)
        rloss = _loss(tf, rout)
    for a, b in zip(_flat(out), _flat(rout)):
        assert a.dtype.name == b.dtype.name, (a.dtype, b.dtype)
        np.testing.assert_allclose(np.asarray(a), b.numpy(), rtol=rtol, atol=atol)
    if not any(o.dtype.is_floating for o in _flat(out)):
        return
    ours_g = tape.gradient(loss, list(layer.trainable_weights) + float_in)
    theirs_g = rtape.gradient(rloss, list(real.trainable_weights) + real_float_in)
    for a, b in zip(ours_g, theirs_g):
        if a is None or b is None:
            assert (
                a is None
                and b is None
                or (b is not None and not np.any(b))
                or (a is not None and not np.any(np.asarray(a)))
            )
            continue
        b = tf.convert_to_tensor(b).numpy()
        np.testing.assert_allclose(np.asarray(a), b, rtol=10 * rtol, atol=10 * atol)
