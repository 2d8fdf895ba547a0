"""`keras.Sequential`: a plain stack of single-input, single-output layers.

>>> import ndflow as tf
>>> model = Sequential([tf.keras.layers.Dense(4, input_shape=(3,)), tf.keras.layers.Dense(1)])
>>> [layer.name for layer in model.layers] == [model.layers[0].name, model.layers[1].name]
True
>>> model(tf.ones((2, 3))).shape
TensorShape([2, 1])
"""

from __future__ import annotations

from typing import Any

from ndflow._src.keras import backend
from ndflow._src.keras.layers.input_layer import InputLayer, KerasTensor
from ndflow._src.keras.layers.layer import Layer, _is_shape
from ndflow._src.framework.tensor import Tensor
from ndflow._src.keras.models.functional import adjust_input_rank
from ndflow._src.keras.models.model import Model
from ndflow._src.keras.saving import serialization_lib


class Sequential(Model):
    """`keras.Sequential(layers=None, trainable=True, name=None)`.

    The model builds when its input shape is known: from a leading `keras.Input`, an
    `input_shape=` argument of the first layer, `build(input_shape)`, or the first call.
    """

    def __init__(self, layers: Any = None, trainable: bool = True, name: str | None = None) -> None:
        Model.__init__(self, name=name or backend.unique_name("sequential"), trainable=trainable)
        d = self.__dict__
        d["_seq_layers"] = []
        d["_output_shapes"] = {}
        if layers is not None:
            for layer in layers:
                self.add(layer, rebuild=False)
            self._maybe_rebuild()

    # ------------------------------------------------------------------ layers
    def add(self, layer: Any, rebuild: bool = True) -> None:
        """Appends `layer` (a Layer or a `keras.Input` tensor) on top of the stack."""
        if isinstance(layer, KerasTensor) and layer._keras_history is not None:
            layer = layer._keras_history[0]
        if not isinstance(layer, Layer):
            raise ValueError(
                "Only instances of `keras.Layer` can be added to a Sequential model. "
                f"Received: {layer} (of type {type(layer)})"
            )
        stack = self.__dict__["_seq_layers"]
        if isinstance(layer, InputLayer) and stack and isinstance(stack[0], InputLayer):
            raise ValueError(
                f"Sequential model '{self.name}' has already been configured to use input "
                f"shape {stack[0].batch_shape}. You cannot add a different Input layer to it."
            )
        if isinstance(layer, InputLayer) and stack:
            raise ValueError("An `Input` layer can only be added as the first layer.")
        if not stack and not isinstance(layer, InputLayer):
            shape = getattr(layer, "_input_shape_arg", None)
            batch_shape = layer.__dict__.get("_batch_input_shape")
            if shape is not None or batch_shape is not None:
                if batch_shape is None:
                    batch_shape = (None,) + tuple(shape)
                stack.append(InputLayer(batch_shape=batch_shape))
        if any(layer is x for x in stack):
            raise ValueError(f"Layer {layer.name} is already in the model.")
        stack.append(layer)
        self.__dict__["built"] = False
        self.__dict__["_locked"] = False
        if rebuild:
            self._maybe_rebuild()

    def pop(self, rebuild: bool = True) -> Layer:
        """Removes and returns the top layer."""
        stack = self.__dict__["_seq_layers"]
        if not self.layers:
            raise TypeError("There are no layers in the model.")
        layer = stack.pop()
        self.__dict__["built"] = False
        self.__dict__["_output_shapes"] = {}
        if rebuild:
            self._maybe_rebuild()
        return layer

    def _maybe_rebuild(self) -> None:
        stack = self.__dict__["_seq_layers"]
        if stack and isinstance(stack[0], InputLayer) and len(stack) > 1:
            self.build(stack[0].batch_shape)

    @property
    def _layers(self) -> list:
        return [x for x in self.__dict__.get("_seq_layers", []) if not isinstance(x, InputLayer)]

    # ------------------------------------------------------------------ build / call
    def build(self, input_shape: Any = None) -> None:
        """Builds every layer by calling the stack on a symbolic input of `input_shape`."""
        stack = self.__dict__["_seq_layers"]
        if input_shape is None:
            if stack and isinstance(stack[0], InputLayer):
                input_shape = stack[0].batch_shape
            else:
                raise ValueError("You must provide an `input_shape` argument.")
        if not _is_shape(input_shape):
            raise ValueError(
                "Sequential model only supports a single input. Received: "
                f"input_shape={input_shape}"
            )
        if not self._layers:
            raise ValueError(
                f"Sequential model {self.name} cannot be built because it has no layers. "
                "Call `model.add(layer)`."
            )
        input_shape = tuple(input_shape)
        if stack and isinstance(stack[0], InputLayer):
            x = stack[0].output
            if tuple(x.shape) != input_shape and len(x.shape) == len(input_shape):
                x = KerasTensor(input_shape, dtype=x.dtype)
        else:
            x = KerasTensor(input_shape)
        shapes = {}
        first_input = x
        for layer in self._layers:
            x = layer(x)
            if isinstance(x, (list, tuple)):
                raise ValueError(
                    "All layers in a Sequential model should have a single output tensor. "
                    "For multi-output layers, use the functional API."
                )
            shapes[id(layer)] = x.shape
        d = self.__dict__
        d["_sym_inputs"] = [first_input]
        d["_sym_outputs"] = [x]
        d["_output_shapes"] = shapes
        d["_build_shapes"] = input_shape
        d["built"] = True

    def _maybe_build(self, inputs: Any) -> None:
        if self.built:
            return
        from ndflow._src.keras.layers.layer import _shape_tuple

        self.build(_shape_tuple(inputs))

    def call(self, inputs: Any, training: Any = None, mask: Any = None) -> Any:
        stack = self.__dict__["_seq_layers"]
        if stack and isinstance(stack[0], InputLayer) and isinstance(inputs, Tensor):
            inputs = adjust_input_rank(inputs, stack[0].batch_shape, stack[0].name)
        x = inputs
        for layer in self._layers:
            x = layer(x)
        return x

    @property
    def inputs(self) -> list:
        """The symbolic input of the built stack (a one-element list)."""
        self._require_built("inputs")
        return list(self.__dict__["_sym_inputs"])

    @property
    def outputs(self) -> list:
        """The symbolic output of the built stack (a one-element list)."""
        self._require_built("outputs")
        return list(self.__dict__["_sym_outputs"])

    @property
    def input(self) -> Any:
        return self.inputs[0]

    @property
    def output(self) -> Any:
        return self.outputs[0]

    def _require_built(self, what: str) -> None:
        if not self.built or "_sym_inputs" not in self.__dict__:
            raise AttributeError(f"Sequential model '{self.name}' has no defined {what} yet.")

    @property
    def input_shape(self) -> Any:
        stack = self.__dict__["_seq_layers"]
        if stack and isinstance(stack[0], InputLayer):
            return stack[0].batch_shape
        shapes = self.__dict__.get("_build_shapes")
        if shapes is None:
            raise AttributeError(f"Sequential model '{self.name}' has no defined input shape yet.")
        return shapes

    @property
    def output_shape(self) -> Any:
        if not self.built or not self._layers:
            raise AttributeError(f"Sequential model '{self.name}' has no defined outputs yet.")
        return self.__dict__["_output_shapes"][id(self._layers[-1])]

    def compute_output_shape(self, input_shape: Any) -> Any:
        if not self.built:
            self.build(input_shape)
        shape = self.output_shape
        return (tuple(input_shape)[0],) + tuple(shape)[1:]

    def get_config(self) -> dict:
        """Keras 3's Sequential config: the layers (a leading InputLayer included) and
        the build input shape once built."""
        config = {
            "name": self.name,
            "trainable": self.trainable,
            "dtype": serialization_lib.serialize_keras_object(self.dtype_policy),
            "layers": [
                serialization_lib.serialize_keras_object(x) for x in self.__dict__["_seq_layers"]
            ],
        }
        shape = self.__dict__.get("_build_shapes")
        if self.built and shape is not None:
            config["build_input_shape"] = list(shape)
        return config

    @classmethod
    def from_config(cls, config: dict, custom_objects: dict | None = None) -> Sequential:
        """Rebuilds the stack (and builds it when the config has a build shape)."""
        model = cls(name=config.get("name"), trainable=config.get("trainable", True))
        for layer_config in config.get("layers", []):
            layer = serialization_lib.deserialize_keras_object(
                layer_config, custom_objects=custom_objects
            )
            model.add(layer, rebuild=False)
        model._maybe_rebuild()
        shape = config.get("build_input_shape")
        if not model.built and shape is not None:
            model.build(tuple(shape))
        return model


serialization_lib.register_builtin("keras", Sequential)
