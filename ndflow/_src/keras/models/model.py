"""`keras.Model`: a Layer with a training loop (`compile`/`fit`/`evaluate`/`predict`).

`Model(inputs, outputs)` builds a functional model; subclasses define `call`.

>>> import ndflow as tf
>>> class MyModel(Model):
...     def __init__(self):
...         super(MyModel, self).__init__()
...         self.d = tf.keras.layers.Dense(2)
...     def call(self, inputs, training=False):
...         return self.d(inputs)
>>> MyModel()(tf.ones((3, 4))).shape
TensorShape([3, 2])
"""

from __future__ import annotations

import warnings
from typing import Any

from ndflow._src.keras.layers.layer import Layer
from ndflow._src.keras.trainers.trainer import Trainer

_MODEL_KWARGS = {"trainable", "dtype", "name", "autocast"}


def _is_functional_call(args: tuple, kwargs: dict) -> bool:
    if "inputs" in kwargs and "outputs" in kwargs:
        return True
    if len(args) >= 2:
        return True
    return len(args) == 1 and "outputs" in kwargs


class Model(Trainer, Layer):
    """`keras.Model`: groups layers and trains them.

    `Model(inputs, outputs, name=None)` returns a functional model built from
    `keras.Input` tensors; subclasses implement `call(inputs, training=False)`.
    """

    def __new__(cls, *args: Any, **kwargs: Any) -> Model:
        if cls is Model and _is_functional_call(args, kwargs):
            from ndflow._src.keras.models.functional import Functional

            return Functional.__new__(Functional, *args, **kwargs)
        return super().__new__(cls, *args, **kwargs)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        from ndflow._src.keras.models.functional import Functional

        if _is_functional_call(args, kwargs) and not isinstance(self, Functional):
            # `class MyModel(Model)` whose __init__ calls super().__init__(inputs, outputs):
            # as in Keras, the instance becomes functional (Functional joins its bases).
            cls = type(self)
            self.__class__ = type(cls.__name__, (cls, Functional), {"__module__": cls.__module__})
            Functional.__init__(self, *args, **kwargs)
            return
        unknown = {k: v for k, v in kwargs.items() if k not in _MODEL_KWARGS}
        if args or unknown:
            raise TypeError(
                f"Model.__init__() got unexpected arguments: args={args}, kwargs={unknown}"
            )
        Layer.__init__(self, **kwargs)
        Trainer.__init__(self)

    @property
    def layers(self) -> list:
        """The model's direct sub-layers, in the order they were tracked."""
        return list(self._layers)

    @layers.setter
    def layers(self, value: Any) -> None:
        raise AttributeError(
            "`Model.layers` attribute is reserved and should not be used. Please use another name."
        )

    def get_layer(self, name: str | None = None, index: int | None = None) -> Layer:
        """A sub-layer by `name` or by `index` (into `layers`)."""
        if index is not None and name is not None:
            raise ValueError(
                f"Provide only a layer name or a layer index. Received: index={index}, name={name}."
            )
        if index is not None:
            if len(self.layers) <= index:
                raise ValueError(
                    f"Was asked to retrieve layer at index {index} but model only has "
                    f"{len(self.layers)} layers."
                )
            return self.layers[index]
        if name is not None:
            for layer in self.layers:
                if layer.name == name:
                    return layer
            raise ValueError(
                f"No such layer: {name}. Existing layers are: "
                f"{list(layer.name for layer in self.layers)}."
            )
        raise ValueError("Provide either a layer name or layer index at `get_layer`.")

    def summary(
        self,
        line_length: int | None = None,
        positions: Any = None,
        print_fn: Any = None,
        expand_nested: bool = False,
        show_trainable: bool = False,
        layer_range: Any = None,
    ) -> None:
        """Prints Keras 3's summary table (or passes it to `print_fn`)."""
        from ndflow._src.keras.models import summary_utils

        summary_utils.print_summary(
            self,
            line_length=line_length,
            positions=positions,
            print_fn=print_fn,
            expand_nested=expand_nested,
            show_trainable=show_trainable,
            layer_range=layer_range,
        )

    def build(self, input_shape: Any = None) -> None:
        """Marks the model built. As in Keras 3, a subclassed model's layers are built by
        its first call, not here (Keras warns when they are still unbuilt)."""
        if type(self).call is not Model.call and any(
            not layer.built for layer in self._flatten_layers(include_self=False)
        ):
            warnings.warn(
                f"`build()` was called on layer '{self.name}', however the layer does not "
                "have a `build()` method implemented and it looks like it has unbuilt "
                "state. This will cause the layer to be marked as built, despite not being "
                "actually built, which may cause failures down the line. Make sure to "
                "implement a proper `build()` method.",
                stacklevel=2,
            )
        Layer.build(self, input_shape)

    def _maybe_build(self, inputs: Any) -> None:
        # Subclassed models build their sub-layers as `call` first runs them; the model
        # itself stays open to new attributes (Keras does not lock a subclassed model).
        if self.built:
            return
        from ndflow._src.core import nest
        from ndflow._src.keras.layers.layer import _shape_tuple

        self.__dict__["_build_shapes"] = nest.map_structure(_shape_tuple, inputs)
        self.__dict__["built"] = True

    def get_config(self) -> dict:
        return {"name": self.name, "trainable": self.trainable}

    # ------------------------------------------------------------------ saving
    # The file formats live in `ndflow._src.keras.saving.saving_api` (Keras 3's module of
    # the same name: save_model, load_model, save_weights, load_weights).
    @staticmethod
    def _saving_api() -> Any:
        import importlib

        try:
            return importlib.import_module("ndflow._src.keras.saving.saving_api")
        except ImportError as e:
            raise NotImplementedError(
                "Saving models and weights needs ndflow.keras.saving, which is not "
                "available in this build."
            ) from e

    @classmethod
    def from_config(cls, config: dict, custom_objects: dict | None = None) -> Model:
        """A functional config (`layers`, `input_layers`, `output_layers`) rebuilds a
        functional model, as `keras.Model.from_config` does; otherwise `cls(**config)`."""
        functional_keys = {"name", "layers", "input_layers", "output_layers"}
        if cls is Model and functional_keys.issubset(config):
            from ndflow._src.keras.models.functional import Functional

            return Functional.from_config(config, custom_objects=custom_objects)
        return super().from_config(config)

    def get_compile_config(self) -> dict:
        """The arguments of `compile` in Keras 3's serialized form ({} when not compiled);
        `.keras` files store it so `load_model` can recompile."""
        from ndflow._src.keras.saving import saving_lib, serialization_lib

        saving_lib.register_training_families()
        if not self.__dict__.get("compiled") or "_compile_args" not in self.__dict__:
            return {}
        args = self.__dict__["_compile_args"]
        ser = serialization_lib.serialize_keras_object
        return {
            "optimizer": ser(self.optimizer),
            "loss": ser(args["loss"]),
            "loss_weights": ser(args["loss_weights"]),
            "metrics": ser(args["metrics"]),
            "weighted_metrics": ser(args["weighted_metrics"]),
            "run_eagerly": bool(args["run_eagerly"]),
            "steps_per_execution": args["steps_per_execution"],
            "jit_compile": bool(self.__dict__.get("jit_compile", False)),
        }

    def compile_from_config(self, config: dict) -> None:
        """Compiles with `get_compile_config()`'s dict and builds the optimizer's
        variables (so a saved optimizer state can be loaded into them)."""
        from ndflow._src.keras.saving import saving_lib, serialization_lib
        from ndflow._src.keras.trainers.trainer import Trainer

        saving_lib.register_training_families()
        if type(self).compile is not Trainer.compile:
            warnings.warn(
                "`compile()` was not called as part of model loading because the model's "
                "`compile()` method is custom. All subclassed Models that have `compile()` "
                "overridden should also override `get_compile_config()` and "
                "`compile_from_config(config)`. Alternatively, you can call `compile()` "
                "manually after loading.",
                stacklevel=2,
            )
            return
        config = serialization_lib.deserialize_keras_object(config)
        self.compile(**config)
        if self.built and self.optimizer is not None and hasattr(self.optimizer, "build"):
            self.optimizer.build(self.trainable_variables)

    def build_from_config(self, config: dict) -> None:
        """Builds from `{"input_shape": ...}`. A subclassed model is called once on zeros
        of that shape (batch size 1 for unknown sizes) so its layers create their
        weights, which Keras does by tracing `call` symbolically."""
        shape = (config or {}).get("input_shape")
        if self.built or shape is None or type(self).call is Model.call:
            Layer.build_from_config(self, config)
            return
        import ndflow as tf

        def is_shape(x: Any) -> bool:
            return isinstance(x, (list, tuple)) and all(d is None or isinstance(d, int) for d in x)

        def zeros(s: Any) -> Any:
            if is_shape(s):
                return tf.zeros([1 if d is None else d for d in s], tf.float32)
            if isinstance(s, dict):
                return {k: zeros(v) for k, v in s.items()}
            return [zeros(v) for v in s]

        try:
            self(zeros(shape))
        except Exception:  # noqa: BLE001 - fall back to marking it built, with a warning
            warnings.warn(
                f"Model '{self.name}' could not be built from its build config "
                f"(input_shape={shape}); its weights may be missing.",
                stacklevel=2,
            )
            Layer.build_from_config(self, config)

    def save(self, filepath: Any, overwrite: bool = True, **kwargs: Any) -> None:
        """Saves the model (`.keras` zip) via `keras.saving.save_model`."""
        self._saving_api().save_model(self, filepath, overwrite=overwrite, **kwargs)

    def save_weights(self, filepath: Any, overwrite: bool = True, **kwargs: Any) -> None:
        """Saves the weights (`.weights.h5`) via `keras.saving.save_weights`."""
        self._saving_api().save_weights(self, filepath, overwrite=overwrite, **kwargs)

    def load_weights(self, filepath: Any, skip_mismatch: bool = False, **kwargs: Any) -> Any:
        """Loads weights written by `save_weights` via `keras.saving.load_weights`."""
        return self._saving_api().load_weights(
            self, filepath, skip_mismatch=skip_mismatch, **kwargs
        )

    def to_json(self, **kwargs: Any) -> str:
        """The model's serialized config as JSON (`models.model_from_json` reads it)."""
        import json

        from ndflow._src.keras.saving import serialization_lib

        return json.dumps(serialization_lib.serialize_keras_object(self), **kwargs)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} name={self.name}, built={self.built}>"
