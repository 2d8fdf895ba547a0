"""The functional API: a `Model` whose `call` replays the layer calls recorded on
KerasTensors between `inputs` and `outputs`.

>>> import ndflow as tf
>>> inputs = tf.keras.Input(shape=(3,))
>>> outputs = tf.keras.layers.Dense(2)(inputs)
>>> model = tf.keras.Model(inputs, outputs)
>>> model(tf.ones((4, 3))).shape
TensorShape([4, 2])
"""

from __future__ import annotations

from typing import Any

import numpy as np

import ndflow as tf
from ndflow._src.core import nest
from ndflow._src.framework.tensor import Tensor, VariableBase
from ndflow._src.keras import backend
from ndflow._src.keras.saving import serialization_lib
from ndflow._src.keras.layers import input_layer
from ndflow._src.keras.layers.input_layer import InputLayer, KerasTensor
from ndflow._src.keras.models.model import Model


class Node:
    """One recorded layer call: `layer(first, *args, **kwargs)` -> `outputs`."""

    def __init__(self, layer: Any, first: Any, args: tuple, kwargs: dict) -> None:
        self.layer = layer
        self.first = first
        self.args = args
        self.kwargs = kwargs
        self.outputs: list[KerasTensor] = []
        self.node_index = 0  # the how-many-th call of `layer` inside this model

    @property
    def input_tensors(self) -> list:
        leaves = nest.flatten([self.first, list(self.args), dict(self.kwargs)])
        return [x for x in leaves if isinstance(x, KerasTensor)]


def adjust_input_rank(x: Any, expected: tuple, name: str) -> Any:
    """Keras' rank fix-up for model inputs: a trailing axis of size 1 is squeezed or
    added when that makes the rank match; any other rank mismatch raises."""
    dims = x.shape._dims
    if dims is None or len(dims) == len(expected):
        return x
    if len(dims) == len(expected) + 1 and dims[-1] == 1:
        return tf.squeeze(x, axis=-1)
    if len(dims) == len(expected) - 1 and expected[-1] == 1:
        return tf.expand_dims(x, axis=-1)
    raise ValueError(
        f"Invalid input shape for input {x} with name '{name}' and path ''. Expected "
        f"shape {tuple(expected)}, but input has incompatible shape {tuple(dims)}"
    )


def _node_key(history: tuple) -> tuple:
    layer, first, args, kwargs = history
    return (id(layer), id(first), id(args), id(kwargs))


def _is_keras_tensor(x: Any) -> bool:
    return isinstance(x, KerasTensor)


class Functional(Model):
    """A model defined by `Model(inputs, outputs)`: inputs and outputs may be one
    KerasTensor, a list or a dict of them."""

    def __init__(self, inputs: Any, outputs: Any, name: str | None = None, **kwargs: Any) -> None:
        trainable = kwargs.pop("trainable", True)
        if kwargs:
            raise TypeError(f"Unrecognized keyword arguments for Functional: {kwargs}")
        Model.__init__(self, name=name or backend.unique_name("functional"), trainable=trainable)
        if isinstance(inputs, tuple):
            inputs = list(inputs)
        if isinstance(outputs, tuple):
            outputs = list(outputs)
        for x in nest.flatten(inputs):
            if not _is_keras_tensor(x):
                raise ValueError(
                    "All `inputs` values must be KerasTensors. Received: "
                    f"inputs={inputs} including invalid value {x} of type {type(x)}"
                )
        for x in nest.flatten(outputs):
            if not _is_keras_tensor(x):
                raise ValueError(
                    "All `outputs` values must be KerasTensors. Received: "
                    f"outputs={outputs} including invalid value {x} of type {type(x)}"
                )
        d = self.__dict__
        d["_inputs_struct"] = inputs
        d["_outputs_struct"] = outputs
        d["inputs"] = nest.flatten(inputs)
        d["outputs"] = nest.flatten(outputs)
        self._build_graph()
        d["built"] = True
        d["_build_shapes"] = nest.map_structure(lambda t: t.shape, inputs)

    # ------------------------------------------------------------------ graph
    def _build_graph(self) -> None:
        """Collects the layer calls between inputs and outputs in execution order."""
        input_ids = {id(t) for t in self.inputs}
        nodes: dict[tuple, Node] = {}
        order: list[Node] = []
        visited: set[tuple] = set()
        stack: list[tuple[KerasTensor, bool]] = [(t, False) for t in reversed(self.outputs)]
        while stack:
            t, expanded = stack.pop()
            if id(t) in input_ids:
                continue
            history = t._keras_history
            if history is None:
                raise ValueError(f"Output tensor {t} was not produced by a Keras layer.")
            layer = history[0]
            if isinstance(layer, InputLayer):
                raise ValueError(
                    "Functional model inputs must include every Input the outputs depend "
                    f"on. Missing input: {t.name} (layer '{layer.name}')"
                )
            key = _node_key(history)
            node = nodes.get(key)
            if node is None:
                node = nodes[key] = Node(layer, history[1], history[2], history[3])
            if t not in node.outputs:
                node.outputs.append(t)
            if key in visited:
                continue
            if expanded:
                visited.add(key)
                order.append(node)
                continue
            stack.append((t, True))
            for x in reversed(node.input_tensors):
                xkey = None if x._keras_history is None else _node_key(x._keras_history)
                if id(x) in input_ids or xkey not in visited:
                    stack.append((x, False))
        calls: dict[int, int] = {}
        for node in order:
            node.node_index = calls.get(id(node.layer), 0)
            calls[id(node.layer)] = node.node_index + 1
        d = self.__dict__
        d["_nodes"] = order
        layers: list = []
        seen: set[int] = set()
        for t in self.inputs:
            layer = t._keras_history[0] if t._keras_history else None
            if layer is not None and id(layer) not in seen:
                seen.add(id(layer))
                layers.append(layer)
        for node in order:
            if id(node.layer) not in seen:
                seen.add(id(node.layer))
                layers.append(node.layer)
        d["_functional_layers"] = self._sort_layers_as_keras(layers, nodes, order, input_ids)

    def _sort_layers_as_keras(self, layers: list, nodes: dict, order: list, input_ids: set) -> list:
        """Keras' layer order (hence `layers`, `weights` and `get_weights`): deepest first,
        depth being the longest path to an output; ties keep the order in which a depth-
        first walk from the outputs (inputs of a call in order) first meets the layers."""

        def producer(x: KerasTensor) -> Any:
            if id(x) in input_ids or x._keras_history is None:
                return x._keras_history[0] if x._keras_history else None
            return nodes.get(_node_key(x._keras_history))

        depth: dict[int, int] = {}  # by id of a Node or of an input layer
        layer_depth: dict[int, int] = {}
        for node in reversed(order):
            dep = max(depth.get(id(node), 0), layer_depth.get(id(node.layer), 0))
            depth[id(node)] = layer_depth[id(node.layer)] = dep
            for x in node.input_tensors:
                p = producer(x)
                if p is not None:
                    depth[id(p)] = max(depth.get(id(p), 0), dep + 1)
        first_met: dict[int, int] = {}
        visited: set[int] = set()
        stack = [producer(t) for t in reversed(self.outputs)]
        while stack:
            p = stack.pop()
            if p is None or id(p) in visited:
                continue
            visited.add(id(p))
            if isinstance(p, Node):
                first_met.setdefault(id(p.layer), len(first_met))
                stack.extend(producer(x) for x in reversed(p.input_tensors))
            else:
                first_met.setdefault(id(p), len(first_met))

        def key(layer: Any) -> tuple:
            dep = layer_depth.get(id(layer), depth.get(id(layer), 0))
            return (-dep, first_met.get(id(layer), len(first_met)))

        return sorted(layers, key=key)

    @property
    def _layers(self) -> list:
        layers = self.__dict__.get("_functional_layers", [])
        return [layer for layer in layers if not getattr(layer, "_is_keras_operation", False)]

    @property
    def input(self) -> Any:
        """The model's input KerasTensor(s), structured as given to the constructor."""
        return self._inputs_struct

    @property
    def output(self) -> Any:
        """The model's output KerasTensor(s), structured as given to the constructor."""
        return self._outputs_struct

    @property
    def input_shape(self) -> Any:
        return nest.map_structure(lambda t: t.shape, self._inputs_struct)

    @property
    def output_shape(self) -> Any:
        return nest.map_structure(lambda t: t.shape, self._outputs_struct)

    @property
    def input_names(self) -> list:
        return [t.name for t in self.inputs]

    @property
    def output_names(self) -> list:
        """Keys of dict outputs (in flattening order), otherwise the producing layers'
        names."""
        if isinstance(self._outputs_struct, dict):
            return sorted(self._outputs_struct)
        names = []
        for t in self.outputs:
            h = t._keras_history
            names.append(h[0].name if h else t.name)
        return names

    # ------------------------------------------------------------------ calling
    def _standardize_inputs(self, inputs: Any) -> list:
        struct = self._inputs_struct
        if isinstance(inputs, dict):
            if isinstance(struct, dict):
                keys = sorted(struct)
            else:
                keys = [t.name for t in self.inputs]
            missing = [k for k in keys if k not in inputs]
            if missing:
                raise ValueError(
                    f'Missing data for input "{missing[0]}". You passed a data dictionary '
                    f"with keys {list(inputs)}. Expected the following keys: {keys}"
                )
            flat = [inputs[k] for k in keys]
        elif len(self.inputs) == 1:
            if (
                isinstance(inputs, (list, tuple))
                and len(inputs) == 1
                and hasattr(inputs[0], "shape")
            ):
                flat = [inputs[0]]
            else:
                flat = [inputs]  # a nested Python list of numbers is one array
        else:
            flat = nest.flatten(inputs) if isinstance(inputs, (list, tuple)) else [inputs]
        if len(flat) != len(self.inputs):
            raise ValueError(
                f'Layer "{self.name}" expects {len(self.inputs)} input(s), but it received '
                f"{len(flat)} input tensors. Inputs received: {inputs}"
            )
        out = []
        for i, (x, spec) in enumerate(zip(flat, self.inputs)):
            x = adjust_input_rank(self._to_tensor(x, spec), spec.shape, spec.name)
            self._check_shape(i, x, spec)
            out.append(x)
        return out

    @staticmethod
    def _to_tensor(x: Any, spec: KerasTensor) -> Any:
        if isinstance(x, VariableBase):
            x = x.value()
        if not isinstance(x, Tensor):
            x = tf.convert_to_tensor(np.asarray(x) if isinstance(x, (list, tuple)) else x)
        if x.dtype != spec.dtype and (x.dtype.is_floating or x.dtype.is_integer):
            if spec.dtype.is_floating or spec.dtype.is_integer:
                x = tf.cast(x, spec.dtype)
        return x

    def _check_shape(self, i: int, x: Any, spec: KerasTensor) -> None:
        dims = x.shape._dims
        if dims is None:
            return
        expected = spec.shape
        if len(dims) != len(expected):
            return
        ok = len(dims) == len(expected) and all(
            e is None or d is None or e == d for e, d in zip(expected, dims)
        )
        if not ok:
            raise ValueError(
                f"Input {i} with name '{spec.name}' of layer '{self.name}' is incompatible "
                f"with the layer: expected shape={tuple(expected)}, found shape={tuple(dims)}"
            )

    def call(self, inputs: Any, training: Any = None, mask: Any = None) -> Any:
        flat = self._standardize_inputs(inputs)
        values: dict[int, Any] = {id(t): v for t, v in zip(self.inputs, flat)}

        def resolve(x: Any) -> Any:
            return values[id(x)] if isinstance(x, KerasTensor) else x

        for node in self._nodes:
            first = nest.map_structure(resolve, node.first)
            args = tuple(nest.map_structure(resolve, a) for a in node.args)
            kwargs = {k: nest.map_structure(resolve, v) for k, v in node.kwargs.items()}
            out = node.layer(first, *args, **kwargs)
            flat_out = nest.flatten(out)
            for t in node.outputs:
                values[id(t)] = flat_out[getattr(t, "_keras_output_index", 0)]
        return nest.map_structure(lambda t: values[id(t)], self._outputs_struct)

    def compute_output_shape(self, input_shape: Any) -> Any:
        return nest.map_structure(lambda t: t.shape, self._outputs_struct)

    def _symbolic_call(self, first: Any, *args: Any, **kwargs: Any) -> Any:
        """Calling a functional model on KerasTensors nests it as one layer."""
        outputs = nest.flatten(self._outputs_struct)

        def make(t: KerasTensor) -> KerasTensor:
            out = KerasTensor(t.shape, dtype=t.dtype)
            out._keras_history = (self, first, args, kwargs)
            return out

        made = [make(t) for t in outputs]
        if len(made) > 1:
            for i, t in enumerate(made):
                t._keras_output_index = i
        return nest.pack_sequence_as(self._outputs_struct, made)

    # ------------------------------------------------------------------ config
    def _tensor_ref(self, t: KerasTensor) -> list:
        """`[layer name, node index, tensor index]` of a KerasTensor in this model."""
        history = t._keras_history
        layer = history[0]
        if isinstance(layer, InputLayer):
            return [layer.name, 0, 0]
        for node in self._nodes:
            if (
                node.layer is layer
                and node.first is history[1]
                and node.args is history[2]
                and node.kwargs is history[3]
            ):
                return [layer.name, node.node_index, getattr(t, "_keras_output_index", 0)]
        raise ValueError(f"Tensor {t} is not part of model '{self.name}'.")

    def get_config(self) -> dict:
        """Keras 3's functional config: every layer (and operation, such as the
        `TrueDivide` of `inputs / 255.0`) with its inbound nodes, then the model's input
        and output references."""

        def tensor_config(x: Any) -> Any:
            if isinstance(x, KerasTensor):
                return {
                    "class_name": "__keras_tensor__",
                    "config": {
                        "shape": list(x.shape),
                        "dtype": x.dtype.name,
                        "keras_history": self._tensor_ref(x),
                    },
                }
            return serialization_lib.serialize_keras_object(x)

        layers = []
        for layer in self.__dict__.get("_functional_layers", []):
            is_op = getattr(layer, "_is_keras_operation", False)
            entry = serialization_lib.serialize_keras_object(layer)
            if is_op:  # Keras names operations by their class in `registered_name`
                entry["registered_name"] = type(layer).__name__
                entry.pop("build_config", None)
            entry["name"] = layer.name
            nodes = []
            for node in self._nodes:
                if node.layer is not layer:
                    continue
                if is_op:
                    nodes.append({"args": [tensor_config(x) for x in layer.operands], "kwargs": {}})
                    continue
                args = [nest.map_structure(tensor_config, node.first)]
                args += [nest.map_structure(tensor_config, a) for a in node.args]
                kwargs = {k: nest.map_structure(tensor_config, v) for k, v in node.kwargs.items()}
                nodes.append({"args": args, "kwargs": kwargs})
            entry["inbound_nodes"] = nodes
            layers.append(entry)

        def refs(struct: Any) -> Any:
            if isinstance(struct, KerasTensor):  # one tensor: a flat ref, as Keras 3 writes
                return self._tensor_ref(struct)
            return nest.map_structure(self._tensor_ref, struct)

        return {
            "name": self.name,
            "trainable": self.trainable,
            "layers": layers,
            "input_layers": refs(self._inputs_struct),
            "output_layers": refs(self._outputs_struct),
        }

    def get_build_config(self) -> dict:
        """A functional model is built by construction: Keras writes no input shape."""
        return {"input_shape": None}

    @classmethod
    def from_config(cls, config: dict, custom_objects: dict | None = None) -> Functional:
        """Rebuilds the layers and replays their calls to recover the graph."""
        created: dict[str, Any] = {}
        outputs: dict[tuple, list] = {}
        pending = []
        for entry in config["layers"]:
            layer_config = {k: v for k, v in entry.items() if k not in ("inbound_nodes", "name")}
            if _is_operation_config(entry):
                # An operation on KerasTensors (`x / 255.0`): replayed on the resolved
                # arguments, as Keras 3 does.
                created[entry["name"]] = _OperationReplay(
                    entry["class_name"], entry["name"], entry.get("config") or {}
                )
                for index, node in enumerate(entry.get("inbound_nodes", [])):
                    pending.append((entry["name"], index, node))
                continue
            layer = serialization_lib.deserialize_keras_object(
                layer_config, custom_objects=custom_objects
            )
            created[entry["name"]] = layer
            if isinstance(layer, InputLayer):
                outputs[(layer.name, 0)] = [layer.output]
            for index, node in enumerate(entry.get("inbound_nodes", [])):
                pending.append((entry["name"], index, _keras2_node(node)))

        def is_ref(x: Any) -> bool:
            return isinstance(x, dict) and x.get("class_name") == "__keras_tensor__"

        def ready(node: dict) -> bool:
            return all(
                (x["config"]["keras_history"][0], x["config"]["keras_history"][1]) in outputs
                for x in _leaves(node)
            )

        def _leaves(node: dict) -> list:
            found, stack = [], [node["args"], node["kwargs"]]
            while stack:
                x = stack.pop()
                if is_ref(x):
                    found.append(x)
                elif isinstance(x, dict):
                    stack.extend(x.values())
                elif isinstance(x, (list, tuple)):
                    stack.extend(x)
            return found

        def resolve(x: Any) -> Any:
            if is_ref(x):
                name, node_index, tensor_index = x["config"]["keras_history"]
                return outputs[(name, node_index)][tensor_index]
            if isinstance(x, dict) and "class_name" in x and "config" in x:
                # A serialized constant argument ("__tensor__", "__numpy__", ...).
                return serialization_lib.deserialize_keras_object(x, custom_objects)
            if isinstance(x, dict):
                return {k: resolve(v) for k, v in x.items()}
            if isinstance(x, list):
                return [resolve(v) for v in x]
            return x

        while pending:
            progressed = False
            for item in list(pending):
                name, index, node = item
                if not ready(node):
                    continue
                args = [resolve(a) for a in node["args"]]
                kwargs = {k: resolve(v) for k, v in node["kwargs"].items()}
                out = created[name](*args, **kwargs)
                outputs[(name, index)] = nest.flatten(out)
                pending.remove(item)
                progressed = True
            if not progressed:
                raise ValueError(
                    "Could not rebuild the functional graph: unresolved inputs for layers "
                    f"{sorted({p[0] for p in pending})}."
                )

        def unref(struct: Any) -> Any:
            if isinstance(struct, list) and len(struct) == 3 and isinstance(struct[0], str):
                return outputs[(struct[0], struct[1])][struct[2]]
            if isinstance(struct, dict):
                return {k: unref(v) for k, v in struct.items()}
            return [unref(v) for v in struct]

        inputs = unref(config["input_layers"])
        outs = unref(config["output_layers"])
        if isinstance(inputs, list) and len(inputs) == 1:
            inputs = inputs[0]
        if isinstance(outs, list) and len(outs) == 1:
            outs = outs[0]
        return cls(inputs, outs, name=config.get("name"), trainable=config.get("trainable", True))


def _keras2_node(node: Any) -> Any:
    """Keras 2 (tf.keras 2.x) wrote a node as a list of `[layer, node_index,
    tensor_index, kwargs]` inputs; Keras 3 as `{"args", "kwargs"}`. Converts the former."""
    if isinstance(node, dict):
        return node
    if not isinstance(node, list) or not all(isinstance(x, list) for x in node):
        raise ValueError(f"Unrecognized inbound node in a functional config: {node}")

    def ref(x: list) -> dict:
        return {"class_name": "__keras_tensor__", "config": {"keras_history": list(x[:3])}}

    refs = [ref(x) for x in node]
    kwargs = node[0][3] if node and len(node[0]) > 3 and isinstance(node[0][3], dict) else {}
    return {"args": [refs[0] if len(refs) == 1 else refs], "kwargs": dict(kwargs)}


def _is_operation_config(entry: dict) -> bool:
    # Keras 3 writes operations with their module; a bare "Add" is Keras 2's merge layer.
    return (entry.get("module") or "").startswith("keras.src.ops")


class _OperationReplay:
    """Stands in for an operation while `from_config` replays the graph."""

    def __init__(self, op_name: str, name: str, config: dict) -> None:
        input_layer.operation_class(op_name)  # unsupported operations fail early
        self.op_name = op_name
        self.name = name
        self.op_kwargs = {k: v for k, v in config.items() if k != "name"}

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if kwargs:
            raise ValueError(
                f"Operation '{self.op_name}' ({self.name}) got unsupported keyword "
                f"arguments {sorted(kwargs)} in the model config."
            )
        return input_layer._operation(self.op_name, *args, name=self.name, **self.op_kwargs)


# Keras 3 writes functional models as module "keras.src.models.functional" with
# registered_name "Functional"; ndflow files from before read back through "keras".
serialization_lib.register_builtin("keras", Functional)
serialization_lib.register_builtin("keras.src.models.functional", Functional)
Functional._keras_registered_name = "Functional"
