"""`keras.models.clone_model` and `model_from_json`: new models with the same
architecture (fresh weights), rebuilt from the model's config.

>>> import ndflow as tf
>>> m = tf.keras.Sequential([tf.keras.Input((3,)), tf.keras.layers.Dense(2)])
>>> c = clone_model(m)
>>> c is m, [w.shape.as_list() for w in c.weights] == [w.shape.as_list() for w in m.weights]
(False, True)
"""

from __future__ import annotations

import json
from typing import Any

from ndflow._src.keras.models.functional import Functional
from ndflow._src.keras.models.sequential import Sequential
from ndflow._src.keras.saving import serialization_lib


def clone_model(
    model: Any,
    input_tensors: Any = None,
    clone_function: Any = None,
    call_function: Any = None,
    recursive: bool = False,
    **kwargs: Any,
) -> Any:
    """A new Sequential or functional model with the same layers' configurations.

    `clone_function(layer)` may replace how each layer is copied (Sequential models).
    """
    if isinstance(model, Sequential):
        clone = clone_function or (lambda layer: type(layer).from_config(layer.get_config()))
        layers = [clone(layer) for layer in model.__dict__["_seq_layers"]]
        new = Sequential(layers, name=model.name, trainable=model.trainable)
        shape = model.__dict__.get("_build_shapes")
        if model.built and not new.built and shape is not None:
            new.build(shape)
        return new
    if isinstance(model, Functional):
        if clone_function is not None or input_tensors is not None:
            raise NotImplementedError(
                "clone_model of a functional model supports neither `clone_function` nor "
                "`input_tensors` yet."
            )
        return Functional.from_config(model.get_config())
    raise ValueError(
        "Arguments clone_function and input_tensors are only supported for Sequential "
        "models or Functional models. Received model of type "
        f"'{type(model).__name__}'"
    )


def model_from_json(json_string: str, custom_objects: dict | None = None) -> Any:
    """The model described by `model.to_json()` (weights are not included)."""
    config = json.loads(json_string)
    return serialization_lib.deserialize_keras_object(config, custom_objects=custom_objects)
