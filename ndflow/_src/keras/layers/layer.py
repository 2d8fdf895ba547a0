"""`keras.layers.Layer`: the Keras 3 layer contract on top of `tf.Module`.

`__init__` stores configuration, `build(input_shape)` creates weights with `add_weight`,
`call` computes with ndflow ops only (so it also traces), `get_config` round-trips.
`__call__` converts NumPy inputs, autocasts floats to the compute dtype, checks
`input_spec`, builds on the first call, passes `training`/`mask` when `call` accepts them,
and records activity-regularization losses.

Weights are listed in Keras order: the layer's own trainable weights then its own
non-trainable ones (in creation order), then each tracked sub-layer's weights, sub-layers
taken in attribute assignment order (looking inside lists, tuples and dicts). State is
locked once `build` returns: creating weights or sub-layers afterwards raises.

>>> import ndflow as tf
>>> class Scale(Layer):
...     def build(self, input_shape):
...         self.w = self.add_weight(shape=(input_shape[-1],), initializer="ones", name="w")
...     def call(self, x):
...         return x * self.w
>>> layer = Scale()
>>> layer(tf.ones((2, 3))).shape
TensorShape([2, 3])
>>> [w.path for w in layer.weights]
['scale/w']
"""

from __future__ import annotations

import functools
import inspect
from typing import Any

import numpy as np

import ndflow as tf
from ndflow._src.core import nest
from ndflow._src.framework.tensor import Tensor, VariableBase
from ndflow._src.module.module import Module, _ModuleNameScope
from ndflow._src.keras import backend, dtype_policies, initializers, regularizers, constraints
from ndflow._src.keras.layers.input_spec import InputSpec, assert_input_compatibility
from ndflow._src.keras.layers.keras_variable import KerasVariable
from ndflow._src.keras.saving import serialization_lib

_LOCKED_MSG = (
    "You cannot add new elements of state (variables or sub-layers) to a layer that is "
    "already built. All state must be created in the `__init__()` method or in the "
    "`build()` method."
)
_ALLOWED_KWARGS = {"input_shape", "input_dim", "batch_input_shape", "batch_size", "weights"}


def _is_state(value: Any) -> bool:
    return isinstance(value, (Layer, VariableBase))


def _leaves(value: Any) -> list:
    """Layers and variables inside `value` (lists/tuples/dicts in insertion order)."""
    found, stack = [], [value]
    seen: set[int] = set()
    while stack:
        x = stack.pop()
        if _is_state(x):
            found.append(x)
        elif isinstance(x, (list, tuple)) and id(x) not in seen:
            seen.add(id(x))
            stack.extend(reversed(x))
        elif isinstance(x, dict) and id(x) not in seen:
            seen.add(id(x))
            stack.extend(reversed(list(x.values())))
    return found


def _shape_tuple(x: Any) -> Any:
    shape = getattr(x, "shape", None)
    if shape is None:
        return None
    dims = getattr(shape, "_dims", "missing")
    if dims != "missing":
        return None if dims is None else tuple(dims)
    return tuple(shape)


def _wrap_build(build: Any) -> Any:
    @functools.wraps(build)
    def build_wrapper(self: Layer, *args: Any, **kwargs: Any) -> Any:
        self.__dict__["_build_depth"] = self.__dict__.get("_build_depth", 0) + 1
        try:
            with _PathScope(self):
                out = build(self, *args, **kwargs)
        finally:
            self.__dict__["_build_depth"] -= 1
        if self.__dict__["_build_depth"] == 0:
            if args and "_build_shapes" not in self.__dict__:
                self.__dict__["_build_shapes"] = args[0]
            self.__dict__["built"] = True
            self.__dict__["_locked"] = True
        return out

    build_wrapper._keras_wrapped = True
    return build_wrapper


class _PathScope:
    """Pushes a layer's name on the weight path while it builds or calls."""

    def __init__(self, layer: Layer) -> None:
        self.layer = layer

    def __enter__(self) -> None:
        path = getattr(backend._state, "path", None)
        if path is None:
            path = backend._state.path = []
        self.pushed = not path or path[-1][0] is not self.layer
        if self.pushed:
            path.append((self.layer, self.layer.name))

    def __exit__(self, *exc: Any) -> None:
        if self.pushed:
            backend._state.path.pop()


def _current_path() -> list:
    return [name for _, name in (getattr(backend._state, "path", None) or [])]


class Layer(Module):
    """`keras.layers.Layer`: base class of all layers.

    Args:
        activity_regularizer: applied to the outputs; its value joins `losses`.
        trainable: whether the weights are updated by training.
        dtype: a dtype policy ("float32", "mixed_float16", a `DTypePolicy`, a DType).
        autocast: cast float inputs to the compute dtype.
        name: the layer name; by default the snake-case class name made unique.
    """

    # Keras bookkeeping that tf.Module reflection and checkpoints must not walk (the
    # weights stay reachable through the attributes that hold them).
    _TF_MODULE_IGNORED_PROPERTIES = frozenset(
        {
            "_own_trainable",
            "_own_non_trainable",
            "_init_args",
            "_losses",
            "_initial_weights",
            "_build_shapes",
            "_symbolic_calls",
            "_call_signature",
            "_dtype_policy",
            "input_spec",
        }
    )

    def __new__(cls, *args: Any, **kwargs: Any) -> Layer:
        obj = super().__new__(cls)
        obj.__dict__["_init_args"] = (args, kwargs)
        return obj

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        build = cls.__dict__.get("build")
        if build is not None and not getattr(build, "_keras_wrapped", False):
            cls.build = _wrap_build(build)

    def __init__(
        self,
        *,
        activity_regularizer: Any = None,
        trainable: bool = True,
        dtype: Any = None,
        autocast: bool = True,
        name: str | None = None,
        **kwargs: Any,
    ) -> None:
        unknown = {k: v for k, v in kwargs.items() if k not in _ALLOWED_KWARGS}
        if unknown:
            raise ValueError(
                f"Unrecognized keyword arguments passed to {type(self).__name__}: {unknown}"
            )
        d = self.__dict__
        d["_layer_initialized"] = True
        if name is None:
            name = backend.unique_name(backend.to_snake_case(type(self).__name__))
        elif not isinstance(name, str) or "/" in name:
            raise ValueError(
                "Argument `name` must be a string and cannot contain character `/`. "
                f"Received: name={name} (of type {type(name)})"
            )
        d["_name"] = name
        d["_name_scope"] = _ModuleNameScope(name + "/")
        d["_trainable"] = bool(trainable)
        d["_dtype_policy"] = dtype_policies.get(dtype)
        d["autocast"] = autocast
        d["_own_trainable"] = []
        d["_own_non_trainable"] = []
        d["_losses"] = []
        d["_locked"] = False
        d["built"] = False
        d["_build_depth"] = 0
        d["supports_masking"] = d.get("supports_masking", False)
        d["input_spec"] = None
        d["activity_regularizer"] = regularizers.get(activity_regularizer)
        d["_call_signature"] = inspect.signature(self.call)
        params = d["_call_signature"].parameters
        d["_call_has_training"] = "training" in params
        d["_call_has_mask"] = "mask" in params
        input_shape = kwargs.get("input_shape")
        if input_shape is None and kwargs.get("input_dim") is not None:
            input_shape = (kwargs["input_dim"],)
        # Keras 3 keeps the legacy `input_shape=` argument for Sequential to build from.
        d["_input_shape_arg"] = tuple(input_shape) if input_shape is not None else None
        if input_shape is not None:
            d["_batch_input_shape"] = (kwargs.get("batch_size"),) + tuple(input_shape)
        elif kwargs.get("batch_input_shape") is not None:
            d["_batch_input_shape"] = tuple(kwargs["batch_input_shape"])
        d["_initial_weights"] = kwargs.get("weights")

    # ------------------------------------------------------------------ attributes
    def _check_super_called(self) -> None:
        if "_layer_initialized" not in self.__dict__:
            raise RuntimeError(
                f"In layer '{type(self).__name__}', you forgot to call `super().__init__()` "
                "as the first statement in the `__init__()` method. Go add it!"
            )

    def __setattr__(self, name: str, value: Any) -> None:
        if not name.startswith("__"):
            leaves = _leaves(value) if not isinstance(value, (str, bytes, Tensor)) else []
            if leaves:
                self._check_super_called()
                own = self.__dict__
                tracked = {id(w) for w in own["_own_trainable"] + own["_own_non_trainable"]}
                new = [x for x in leaves if id(x) not in tracked and x is not self]
                if new and own.get("_locked") and not self._already_tracked(new):
                    raise ValueError(_LOCKED_MSG)
                for x in new:
                    if isinstance(x, VariableBase) and not isinstance(x, KerasVariable):
                        target = "_own_trainable" if x.trainable else "_own_non_trainable"
                        own[target].append(x)
        super().__setattr__(name, value)

    def _lock_state(self) -> None:
        """Forbids new weights and sub-layers (done automatically after `build`)."""
        self.__dict__["_locked"] = True

    def _unlock_state(self) -> None:
        """Allows new state again (e.g. for a model's `compile` after it was built)."""
        self.__dict__["_locked"] = False

    def _already_tracked(self, new: list) -> bool:
        known = {id(x) for x in self._layers} | {id(w) for w in self.weights}
        return all(id(x) in known for x in new)

    @property
    def _layers(self) -> list:
        """Direct sub-layers in attribute assignment order."""
        out, seen = [], set()
        for key, value in self.__dict__.items():
            if (
                key.startswith("_")
                and key not in ("_self_tracked",)
                and not isinstance(value, (Layer, list, tuple, dict))
            ):
                continue
            if key in (
                "_own_trainable",
                "_own_non_trainable",
                "_init_args",
                "_losses",
                "_initial_weights",
            ):
                continue
            for x in _leaves(value):
                if isinstance(x, Layer) and x is not self and id(x) not in seen:
                    seen.add(id(x))
                    out.append(x)
        return out

    def _flatten_layers(self, include_self: bool = True, recursive: bool = True) -> list:
        out, seen = [], set()
        stack = [self]
        while stack:
            layer = stack.pop(0)
            if id(layer) in seen:
                continue
            seen.add(id(layer))
            if layer is not self or include_self:
                out.append(layer)
            if recursive or layer is self:
                stack = layer._layers + stack if recursive else stack + layer._layers
        return out

    # ------------------------------------------------------------------ properties
    @property
    def name(self) -> str:
        return self.__dict__.get("_name") or Module.name.fget(self)

    @property
    def dtype_policy(self) -> dtype_policies.DTypePolicy:
        return self._dtype_policy

    @dtype_policy.setter
    def dtype_policy(self, value: Any) -> None:
        self.__dict__["_dtype_policy"] = dtype_policies.get(value)

    @property
    def dtype(self) -> str:
        """The variable dtype name (Keras 3)."""
        return self._dtype_policy.variable_dtype

    @property
    def compute_dtype(self) -> str:
        return self._dtype_policy.compute_dtype

    @property
    def variable_dtype(self) -> str:
        return self._dtype_policy.variable_dtype

    @property
    def trainable(self) -> bool:
        return self.__dict__.get("_trainable", True)

    @trainable.setter
    def trainable(self, value: bool) -> None:
        value = bool(value)
        self.__dict__["_trainable"] = value
        for w in self.__dict__.get("_own_trainable", []):
            if isinstance(w, KerasVariable):
                w.trainable = value
        for layer in self._layers:
            layer.trainable = value

    @property
    def weights(self) -> list:
        """All weights: own trainable, own non-trainable, then sub-layers' (deduplicated)."""
        out, seen = [], set()
        d = self.__dict__
        for w in d.get("_own_trainable", []) + d.get("_own_non_trainable", []):
            if id(w) not in seen:
                seen.add(id(w))
                out.append(w)
        for layer in self._layers:
            for w in layer.weights:
                if id(w) not in seen:
                    seen.add(id(w))
                    out.append(w)
        return out

    @property
    def trainable_weights(self) -> list:
        if not self.trainable:
            return []
        return [w for w in self.weights if w.trainable]

    @property
    def non_trainable_weights(self) -> list:
        if not self.trainable:
            return self.weights
        return [w for w in self.weights if not w.trainable]

    @property
    def variables(self) -> list:
        return self.weights

    @property
    def trainable_variables(self) -> list:
        return self.trainable_weights

    @property
    def non_trainable_variables(self) -> list:
        return self.non_trainable_weights

    @property
    def input_dtype(self) -> str:
        return self.compute_dtype

    # ------------------------------------------------------------------ weights
    def add_weight(
        self,
        *args: Any,
        shape: Any = None,
        initializer: Any = None,
        dtype: Any = None,
        trainable: bool = True,
        autocast: bool = True,
        regularizer: Any = None,
        constraint: Any = None,
        aggregation: str = "none",
        overwrite_with_gradient: bool = False,
        name: str | None = None,
    ) -> KerasVariable:
        """Creates a weight of `shape`.

        Keras 3's order: up to three positionals are `shape, initializer, dtype`; a
        positional string (Keras 2's `add_weight(name, shape)`) raises, as in Keras 3.15.
        The initializer defaults to GlorotUniform for floats and Zeros otherwise.
        """
        self._check_super_called()
        if args:
            if len(args) > 3:
                raise TypeError(
                    f"add_weight() takes at most 3 positional arguments but {len(args)} were given."
                )
            if isinstance(args[0], str):
                raise ValueError(
                    "`name` must be passed as a keyword argument. Received: "
                    f"add_weight('{args[0]}', ...). Use: add_weight(shape=..., "
                    f"name='{args[0]}')."
                )
            for _value, (key, current) in zip(
                args, (("shape", shape), ("initializer", initializer), ("dtype", dtype))
            ):
                if current is not None:
                    raise ValueError(
                        f"`{key}` was passed both positionally and as a keyword argument."
                    )
            shape = args[0]
            initializer = args[1] if len(args) > 1 else initializer
            dtype = args[2] if len(args) > 2 else dtype
        if self.__dict__.get("_locked"):
            raise ValueError(_LOCKED_MSG)
        shape = () if shape is None else tuple(int(s) for s in shape)
        dtype = tf.as_dtype(dtype or self.variable_dtype)
        if initializer is None:
            initializer = "glorot_uniform" if dtype.is_floating else "zeros"
        init = initializers.get(initializer)
        if name is None:
            n = self.__dict__.get("_auto_weight_names", 0)
            self.__dict__["_auto_weight_names"] = n + 1
            name = "variable" if n == 0 else f"variable_{n}"
        path = "/".join(_current_path() or [self.name]) + "/" + name
        value = _call_initializer(init, shape, dtype)
        var = KerasVariable(
            value,
            name=name,
            path=path,
            trainable=trainable and self.trainable,
            dtype=dtype,
            constraint=constraints.get(constraint),
            regularizer=regularizers.get(regularizer),
            aggregation=aggregation,
        )
        (self._own_trainable if trainable else self._own_non_trainable).append(var)
        return var

    def get_weights(self) -> list:
        """The weights' values as NumPy arrays, in `weights` order."""
        return [np.array(w.numpy()) for w in self.weights]

    def set_weights(self, weights: list) -> None:
        """Assigns NumPy arrays to `weights`, in order; shapes must match."""
        layer_weights = self.weights
        if len(layer_weights) != len(weights):
            raise ValueError(
                f"You called `set_weights(weights)` on layer '{self.name}' with a weight list "
                f"of length {len(weights)}, but the layer was expecting "
                f"{len(layer_weights)} weights."
            )
        for var, value in zip(layer_weights, weights):
            shape = tuple(var.shape.as_list())
            vshape = tuple(np.shape(value))
            if shape != vshape:
                raise ValueError(
                    f"Layer {self.name} weight shape {shape} is not compatible with provided "
                    f"weight shape {vshape}."
                )
            var.assign(np.asarray(value, dtype=var.dtype.as_numpy_dtype))

    def count_params(self) -> int:
        """Total number of scalars in `weights`; the layer must be built."""
        if not self.built:
            raise ValueError(
                "You tried to call `count_params` on layer '" + self.name + "', but the "
                "layer isn't built. You can build it manually via: "
                "`layer.build(input_shape)`."
            )
        return int(sum(int(np.prod(w.shape.as_list())) for w in self.weights))

    # ------------------------------------------------------------------ losses
    def add_loss(self, loss: Any) -> None:
        """Adds a scalar loss (a tensor or a list of them) for the current call."""
        for x in nest.flatten(loss):
            self.__dict__["_losses"].append(x)

    @property
    def losses(self) -> list:
        """`add_loss` losses of this layer and its sub-layers, then weight penalties."""
        out = list(self.__dict__.get("_losses", []))
        for layer in self._flatten_layers(include_self=False):
            out.extend(layer.__dict__.get("_losses", []))
        for w in self.trainable_weights:
            reg = getattr(w, "regularizer", None)
            if reg is not None:
                out.append(reg(w.value()))
        return out

    def _clear_losses(self) -> None:
        for layer in self._flatten_layers():
            layer.__dict__.get("_losses", []).clear()

    # ------------------------------------------------------------------ building
    def build(self, input_shape: Any = None) -> None:
        """Creates the weights; the default has none. Called once before the first call."""
        # Only marks the layer built: subclasses may call super().build() before their
        # own add_weight calls; the state is locked when the outermost build returns.
        self._check_super_called()
        self.__dict__["built"] = True

    def build_from_config(self, config: dict) -> None:
        """Builds from `get_build_config()`'s dict ({"input_shape": ...})."""
        if config and not self.built:
            shape = config.get("input_shape")
            if shape is not None:
                self.build(_as_shape(shape))
            else:
                self.build()

    def get_build_config(self) -> dict | None:
        shapes = self.__dict__.get("_build_shapes")
        if shapes is None:
            return None
        return {"input_shape": shapes}

    def _maybe_build(self, inputs: Any) -> None:
        if self.built:
            return
        shapes = nest.map_structure(_shape_tuple, inputs)
        self.__dict__["_build_shapes"] = shapes
        self.build(shapes)
        self.__dict__["built"] = True
        self.__dict__["_locked"] = True
        init = self.__dict__.get("_initial_weights")
        if init is not None:
            self.set_weights(init)
            self.__dict__["_initial_weights"] = None

    # ------------------------------------------------------------------ calling
    def call(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(
            f"Layer {type(self).__name__} does not have a `call()` method implemented."
        )

    def _convert_input(self, x: Any) -> Any:
        if isinstance(x, VariableBase):
            x = x.value()
        if isinstance(x, np.ndarray) or isinstance(x, (np.generic, float)):
            x = tf.convert_to_tensor(x)
            if x.dtype.is_floating and self.autocast:
                x = tf.cast(x, self.compute_dtype)
            return x
        if isinstance(x, Tensor):
            if self.autocast and x.dtype.is_floating and x.dtype.name != self.compute_dtype:
                return tf.cast(x, self.compute_dtype)
        return x

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        self._check_super_called()
        if not args and not kwargs:
            raise ValueError(
                f"Layer {self.name} was called without any inputs. It expects at least one "
                "positional argument."
            )
        if args:
            first = args[0]
            rest = args[1:]
        else:
            key = next(iter(self._call_signature.parameters))
            first = kwargs.pop(key)
            rest = ()
        from ndflow._src.keras.layers.input_layer import KerasTensor

        if any(isinstance(x, KerasTensor) for x in nest.flatten(first)):
            return self._symbolic_call(first, *rest, **kwargs)
        first = nest.map_structure(self._convert_input, first)
        if "_build_shapes" not in self.__dict__:
            # Layers built without shapes (weightless ones) still report the shape of their
            # first call, as Keras' build config and Model.summary() do.
            self.__dict__["_build_shapes"] = nest.map_structure(_shape_tuple, first)
        flat = nest.flatten(first)
        assert_input_compatibility(self.input_spec, flat, self.name)
        ctx, is_outer = backend.enter_call_context(kwargs.get("training"))
        try:
            if is_outer:
                self._clear_losses()
            if self._call_has_training:
                training = kwargs.get("training")
                if training is None:
                    training = ctx.training
                if training is None:
                    default = self._call_signature.parameters["training"].default
                    training = None if default is inspect.Parameter.empty else default
                kwargs["training"] = training
            else:
                kwargs.pop("training", None)
            if self._call_has_mask and kwargs.get("mask") is None:
                masks = [backend.get_mask(x) for x in flat]
                if any(m is not None for m in masks):
                    kwargs["mask"] = masks[0] if len(masks) == 1 else masks
            elif not self._call_has_mask:
                kwargs.pop("mask", None)
            if not self.built:
                with _PathScope(self):
                    self._maybe_build(first)
            with _PathScope(self), self.name_scope:
                outputs = self.call(first, *rest, **kwargs)
            if self.activity_regularizer is not None:
                for out in nest.flatten(outputs):
                    if isinstance(out, Tensor):
                        loss = self.activity_regularizer(out)
                        if out.shape.rank:
                            batch = tf.cast(tf.shape(out)[0], loss.dtype)
                            loss = tf.math.divide_no_nan(loss, batch)
                        self.add_loss(loss)
            if self.supports_masking or type(self).compute_mask is not Layer.compute_mask:
                mask_in = kwargs.get("mask")
                if mask_in is None:
                    mask_in = [backend.get_mask(x) for x in flat]
                    mask_in = mask_in[0] if len(mask_in) == 1 else mask_in
                out_mask = self.compute_mask(first, mask_in)
                if out_mask is not None:
                    outs = nest.flatten(outputs)
                    omasks = (
                        nest.flatten(out_mask)
                        if isinstance(out_mask, (list, tuple))
                        else [out_mask] * len(outs)
                    )
                    for o, m in zip(outs, omasks):
                        backend.set_mask(o, m)
        finally:
            backend.exit_call_context(is_outer)
        return outputs

    def _symbolic_call(self, first: Any, *args: Any, **kwargs: Any) -> Any:
        """Calling on KerasTensors: build from their shapes and return output KerasTensors
        (`_keras_history` records the call for the functional API)."""
        from ndflow._src.keras.layers.input_layer import KerasTensor

        if not self.built:
            with _PathScope(self):
                self._maybe_build(first)
        assert_input_compatibility(self.input_spec, nest.flatten(first), self.name)
        shapes = nest.map_structure(lambda t: t.shape, first)
        if "_build_shapes" not in self.__dict__:
            self.__dict__["_build_shapes"] = shapes
        out_shape = (
            self.compute_output_shape(shapes, *args, **kwargs)
            if _accepts_extra(self.compute_output_shape)
            else self.compute_output_shape(shapes)
        )
        dtype = self.compute_dtype
        flat = nest.flatten(first)
        if not self.weights and not any(t.dtype.is_floating for t in flat):
            dtype = flat[0].dtype.name  # weightless layers keep non-float dtypes

        def make(shape: Any) -> KerasTensor:
            t = KerasTensor(shape, dtype=dtype)
            t._keras_history = (self, first, args, kwargs)
            return t

        if _is_shape(out_shape):
            outs = make(out_shape)
        else:
            outs = [make(s) for s in out_shape]
            for i, t in enumerate(outs):
                t._keras_output_index = i  # which output of the call (the functional API)
        # `layer.input` / `layer.output` report the first symbolic call (Keras' node 0).
        self.__dict__.setdefault("_symbolic_calls", []).append((first, outs))
        return outs

    def _first_call_attribute(self, attr: str) -> Any:
        override = self.__dict__.get(f"_user_{attr}")
        if override is not None:
            return override
        calls = self.__dict__.get("_symbolic_calls")
        if not calls:
            raise AttributeError(
                f"The layer {self.name} has never been called and thus has no defined {attr}."
            )
        return calls[0][0] if attr == "input" else calls[0][1]

    @property
    def input(self) -> Any:
        """The KerasTensor(s) this layer was first called on (functional API)."""
        return self._first_call_attribute("input")

    @input.setter  # noqa: A003 - Keras names this property `input`
    def input(self, value: Any) -> None:
        # A subclass may use `input` as an ordinary attribute name.
        self.__setattr__("_user_input", value)

    @property
    def output(self) -> Any:
        """The KerasTensor(s) this layer's first call produced (functional API)."""
        return self._first_call_attribute("output")

    @output.setter
    def output(self, value: Any) -> None:
        self.__setattr__("_user_output", value)

    def compute_mask(self, inputs: Any, previous_mask: Any) -> Any:
        """The output mask; by default the input mask passes through when
        `supports_masking`, otherwise None."""
        if not self.supports_masking:
            return None
        return previous_mask

    def compute_output_shape(self, input_shape: Any) -> Any:
        """The output shape; by default found by running `call` on zeros (unknown sizes
        taken as 1, then reported as None)."""

        def zeros(shape: Any) -> Any:
            dims = tuple(1 if d is None else d for d in shape)
            return tf.zeros(dims, dtype=self.compute_dtype)

        def unknown(shape: Any) -> list:
            return [i for i, d in enumerate(shape) if d is None]

        if _is_shape(input_shape):
            inputs = zeros(input_shape)
            unk = unknown(input_shape)
        else:
            inputs = [zeros(s) for s in input_shape]
            unk = unknown(input_shape[0])
        out = self(inputs)

        def shape_of(t: Any) -> tuple:
            dims = list(t.shape.as_list())
            if 0 in unk and dims:
                dims[0] = None
            return tuple(dims)

        return nest.map_structure(shape_of, out)

    def compute_output_spec(self, *args: Any, **kwargs: Any) -> Any:
        return self._symbolic_call(*args, **kwargs)

    # ------------------------------------------------------------------ config
    def get_config(self) -> dict:
        """`{"name", "trainable", "dtype"}` plus subclass keys; subclasses that do not
        override it get their `__init__` arguments (when they are plain values)."""
        self._check_super_called()
        config = {
            "name": self.name,
            "trainable": self.trainable,
            "dtype": serialization_lib.serialize_keras_object(self.dtype_policy),
        }
        if type(self).get_config is Layer.get_config and type(self) is not Layer:
            auto = _auto_config(self)
            if auto is None:
                raise NotImplementedError(
                    f"Object {type(self).__name__} was created by passing non-serializable "
                    "argument values in `__init__()`, and therefore the object must override "
                    "`get_config()` in order to be serializable. Please implement "
                    "`get_config()`."
                )
            params = inspect.signature(type(self).__init__).parameters
            takes_name = "name" in params or any(p.kind == p.VAR_KEYWORD for p in params.values())
            merged = {**auto, **config}
            if not takes_name:
                merged.pop("name")  # it could not be passed back to __init__
            return merged
        if self.activity_regularizer is not None:
            config["activity_regularizer"] = regularizers.serialize(self.activity_regularizer)
        return config

    @classmethod
    def from_config(cls, config: dict) -> Layer:
        """`cls(**config)`, with the dtype policy dict turned back into a policy."""
        config = dict(config)
        if isinstance(config.get("dtype"), dict):
            config["dtype"] = dtype_policies.get(config["dtype"])
        try:
            return cls(**config)
        except Exception as e:
            raise TypeError(
                f"Error when deserializing class '{cls.__name__}' using config={config}.\n\n"
                f"Exception encountered: {e}"
            ) from e

    def __repr__(self) -> str:
        return f"<{type(self).__name__} name={self.name}, built={self.built}>"

    # tf.Module's reflection would list weights in sorted attribute order; Keras lists
    # them as above, so `submodules` keeps Module's walk but the weight lists do not.


def _accepts_extra(fn: Any) -> bool:
    try:
        params = list(inspect.signature(fn).parameters.values())
    except (TypeError, ValueError):
        return False
    return any(p.kind == p.VAR_KEYWORD for p in params) or len(params) > 1


def _is_shape(x: Any) -> bool:
    if isinstance(x, tf.TensorShape):
        return True
    return isinstance(x, (tuple, list)) and all(
        d is None or isinstance(d, (int, np.integer)) for d in x
    )


def _as_shape(shape: Any) -> Any:
    if isinstance(shape, dict):
        return {k: _as_shape(v) for k, v in shape.items()}
    if _is_shape(shape):
        return tuple(shape)
    if isinstance(shape, (list, tuple)):
        return [_as_shape(s) for s in shape]
    return shape


def _call_initializer(init: Any, shape: tuple, dtype: Any) -> Any:
    try:
        value = init(shape, dtype=dtype)
    except TypeError:
        value = init(shape)
    value = tf.convert_to_tensor(value)
    if value.dtype != dtype:
        value = tf.cast(value, dtype)
    return value


def _jsonable(v: Any) -> bool:
    if v is None or isinstance(v, (bool, int, float, str)):
        return True
    if isinstance(v, (list, tuple)):
        return all(_jsonable(x) for x in v)
    if isinstance(v, dict):
        return all(isinstance(k, str) and _jsonable(x) for k, x in v.items())
    return False


def _auto_config(layer: Layer) -> dict | None:
    args, kwargs = layer.__dict__.get("_init_args", ((), {}))
    try:
        sig = inspect.signature(type(layer).__init__)
        bound = sig.bind(None, *args, **kwargs)
        bound.apply_defaults()
    except TypeError:
        return None
    out = {}
    for i, (k, v) in enumerate(bound.arguments.items()):
        if i == 0:
            continue
        p = sig.parameters[k]
        if p.kind == p.VAR_KEYWORD:
            out.update(v)
        elif p.kind == p.VAR_POSITIONAL:
            if v:
                return None
        else:
            out[k] = v
    for k, v in list(out.items()):
        if not _jsonable(v):
            try:
                out[k] = serialization_lib.serialize_keras_object(v)
            except TypeError:
                return None
    return out


serialization_lib.register_builtin("keras.layers", Layer)
serialization_lib.register_builtin("keras.layers", InputSpec)
