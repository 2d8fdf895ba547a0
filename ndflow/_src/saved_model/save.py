"""`tf.saved_model.save`: writes an object graph, its traced functions and its variables.

The directory holds `saved_model.json` (structure: object graph, concrete functions,
their graphs as a function library, signatures; see docs/saved_model_format.md) and a
checkpoint `variables/variables-<id>` (index + npz data, as `tf.train.Checkpoint`
writes) with the variables' values and the constants the graphs capture. The variables
are written first under a fresh name and `saved_model.json` is renamed into place last,
so an interrupted save leaves a previous SavedModel in the same directory loadable.
"""

from __future__ import annotations

import collections.abc
import json
import os
import re
import uuid
from typing import Any

import numpy as np

from ndflow._src.checkpoint import fileio as ckpt_io
from ndflow._src.checkpoint.graph import (
    VARIABLE_VALUE,
    ObjectGraph,
    build_for_save,
    checkpoint_key,
    pretty_path,
)
from ndflow._src.core import dtypes, nest
from ndflow._src.framework.tensor import Tensor, VariableBase
from ndflow._src.function.concrete_function import ConcreteFunction
from ndflow._src.function.polymorphic_function import Function
from ndflow._src.function.tensor_spec import TensorSpec
from ndflow._src.graph.graph import SymbolicTensor
from ndflow._src.module import trackable
from ndflow._src.saved_model import serialize
from ndflow._src.saved_model.restored import RestoredFunction, SignatureMap

FORMAT = "ndflow.saved_model"
VERSION = 1
SAVED_MODEL_FILENAME = "saved_model.json"
VARIABLES_DIRECTORY = "variables"
SERVING = "serve"
TRAINING = "train"
EVAL = "eval"
GPU = "gpu"
TPU = "tpu"
DEFAULT_SERVING_SIGNATURE_DEF_KEY = "serving_default"
_VARIABLES_FILE = re.compile(r"^variables-[0-9a-f]{12}(\.index|\.data-00000-of-00001)$")

trackable.register_trackable_type(Function)
trackable.register_trackable_type(ConcreteFunction)
trackable.register_trackable_type(RestoredFunction)


class _SignatureError(ValueError):
    """A function that cannot serve as a signature (non-tensor inputs or outputs)."""


class SaveOptions:
    """`tf.saved_model.SaveOptions`: accepted for compatibility; ndflow's format has no
    options to set (devices, namespaces and debug info do not apply)."""

    def __init__(
        self,
        namespace_whitelist: Any = None,
        save_debug_info: bool = False,
        function_aliases: Any = None,
        experimental_debug_stripper: bool = False,
        experimental_io_device: Any = None,
        experimental_variable_policy: Any = None,
        experimental_custom_gradients: bool = True,
        experimental_image_format: bool = False,
        experimental_skip_saver: bool = False,
        experimental_sharding_callback: Any = None,
        extra_tags: Any = None,
    ) -> None:
        self.namespace_whitelist = namespace_whitelist
        self.save_debug_info = save_debug_info
        self.function_aliases = function_aliases or {}
        self.experimental_io_device = experimental_io_device
        self.experimental_variable_policy = experimental_variable_policy
        self.experimental_custom_gradients = experimental_custom_gradients
        self.experimental_image_format = experimental_image_format
        self.experimental_skip_saver = experimental_skip_saver
        self.extra_tags = extra_tags


def concrete_functions_of(fn: Any) -> list:
    """The concrete functions a SavedModel stores for one function object: those traced
    so far (tracing the input_signature first if it has one and was never traced)."""
    if isinstance(fn, RestoredFunction):
        return list(fn._concrete_functions)
    if isinstance(fn, ConcreteFunction):
        return [fn]
    if fn._input_signature is not None and not fn._entries:
        fn.get_concrete_function()
    out: list = []
    for _, cf, _ in fn._entries:
        if all(cf is not c for c in out):
            out.append(cf)
    return out


class _Saver:
    def __init__(self, root: Any) -> None:
        self.root = root
        self.graph = ObjectGraph(root, save_type=trackable.SAVEDMODEL)
        ckpt_graph = ObjectGraph(root)
        self.ckpt_json, self.tensors = build_for_save(root)
        ckpt_paths = {id(o): p for o, p in zip(ckpt_graph.objects, ckpt_graph.paths)}
        self.var_node: dict[int, int] = {}
        self.var_key: dict[int, str] = {}
        for i, obj in enumerate(self.graph.objects):
            if isinstance(obj, VariableBase):
                self.var_node[id(obj)] = i
                path = ckpt_paths.get(id(obj))
                if path is not None:
                    key = checkpoint_key(path, VARIABLE_VALUE)
                else:
                    key = f"_saved_model/variables/{i}"
                    self.tensors[key] = (np.asarray(obj.numpy()), obj.dtype)
                self.var_key[id(obj)] = key
        self.library: dict[str, Any] = {}
        self.fn_names: dict[int, str] = {}
        self.concretes: dict[str, Any] = {}
        self.cf_names: dict[int, str] = {}
        self._keep: list = []
        self._stack: list = []
        self._n_arrays = 0
        self._constants: dict[int, str] = {}

    # ------------------------------------------------------------------ arrays
    def array(self, value: Any, dtype: dtypes.DType) -> str:
        if dtype.name in ("resource", "variant"):
            raise serialize.UnsavableError(f"a {dtype.name} value")
        key = f"_saved_model/constants/{self._n_arrays}"
        self._n_arrays += 1
        self.tensors[key] = (np.asarray(value), dtype)
        return key

    # ------------------------------------------------------------------ functions
    def function(self, gf: Any) -> str:
        name = self.fn_names.get(id(gf))
        if name is not None:
            return name
        base = re.sub(r"[^A-Za-z0-9_.\-]", "_", str(gf.name)) or "function"
        name = base
        n = 1
        while name in self.library:
            name = f"{base}_{n}"
            n += 1
        self.fn_names[id(gf)] = name
        self._keep.append(gf)
        self.library[name] = None
        self.library[name] = self._encode_graph_function(gf, name)
        return name

    def _encode_graph_function(self, gf: Any, fname: str) -> dict:
        g = gf.graph
        self._stack.append(g)
        try:
            arg_ids = {id(t) for t in gf.arg_inputs}
            caps = g.captures
            cap_ids = {id(ph) for _, ph in caps}
            captures = [[ph.name, self._capture(ext, fname)] for ext, ph in caps]
            nodes = []
            for node in g.nodes:
                if node.opdef is None:
                    t = node.outputs[0]
                    if id(t) in arg_ids or id(t) in cap_ids:
                        continue
                    entry = {"name": node.name, "op": None, "outputs": [_spec(t)]}
                    if t._value is not None and t._dtype.name not in ("resource", "variant"):
                        entry["value"] = self.array(t._value, t._dtype)
                    nodes.append(entry)
                    continue
                attrs = {}
                for k, v in node.attrs.items():
                    try:
                        attrs[k] = serialize.encode_value(v, self.array, self.function)
                    except serialize.UnsavableError as e:
                        raise ValueError(
                            f"Unable to save function '{fname}': its op '{node.name}' (type "
                            f"{node.type}) has attribute '{k}' holding {e}. A SavedModel "
                            "stores graphs only, not Python objects (functions given to "
                            "tf.py_function / tf.numpy_function, tf.custom_gradient closures), "
                            "because it is loaded without the code that created them."
                        ) from None
                nodes.append(
                    {
                        "name": node.name,
                        "op": node.opdef.name,
                        "inputs": [t.name for t in node.inputs],
                        "attrs": attrs,
                        "outputs": [_spec(t) for t in node.outputs],
                    }
                )
            return {
                "name": str(gf.name),
                "inputs": [self._input(t, fname) for t in gf.arg_inputs],
                "captures": captures,
                "nodes": nodes,
                "outputs": [t.name for t in gf.outputs],
            }
        finally:
            self._stack.pop()

    def _input(self, t: SymbolicTensor, fname: str) -> list:
        entry = [t.name] + _spec(t)
        if t._dtype is dtypes.resource and t._value is not None:
            # A resource input that stands for a known variable (gradient functions
            # keep it so the shape rules of variable reads see the variable).
            var = getattr(t._value, "var", None)
            node = self.var_node.get(id(var)) if var is not None else None
            if node is None:
                raise ValueError(
                    f"Unable to save function '{fname}': its input {t.name} refers to an "
                    "untracked resource."
                )
            entry.append({"variable": node})
        return entry

    def _capture(self, ext: Tensor, fname: str) -> dict:
        if isinstance(ext, SymbolicTensor):
            for level, g in enumerate(self._stack[:-1]):
                if ext._node.graph is g:
                    return {"outer": [level, ext.name]}
            raise ValueError(
                f"Unable to save function '{fname}': it captures {ext!r}, a tensor of a graph "
                "that is not part of the saved functions."
            )
        if ext._dtype is dtypes.resource:
            var = getattr(ext._value, "var", None)
            node = self.var_node.get(id(var)) if var is not None else None
            if node is None:
                what = repr(var) if var is not None else "a resource"
                raise ValueError(
                    f"Tried to export a function which references an 'untracked' resource "
                    f"{what} (in function '{fname}'). TensorFlow objects (e.g. tf.Variable) "
                    "captured by functions must be 'tracked' by assigning them to an "
                    "attribute of a tracked object or assigned to an attribute of the main "
                    "object directly."
                )
            return {"variable": node}
        if ext._dtype is dtypes.variant or ext._value is None:
            raise ValueError(
                f"Unable to save function '{fname}': it captures {ext!r}, which has no "
                "value a SavedModel can store."
            )
        key = self._constants.get(id(ext))
        if key is None:
            key = self._constants[id(ext)] = self.array(ext._value, ext._dtype)
            self._keep.append(ext)
        return {"constant": key}

    def concrete(self, cf: ConcreteFunction) -> str:
        name = self.cf_names.get(id(cf))
        if name is not None:
            return name
        gf = cf._gf
        fname = self.function(gf)
        index = {id(t): i for i, t in enumerate(gf.outputs)}

        def tensor_index(t: Tensor) -> int:
            i = index.get(id(t))
            if i is None:
                raise serialize.UnsavableError(f"a tensor that is not an output ({t!r})")
            return i

        try:
            args = serialize.encode_structure(list(cf._arg_values), tensor_index)
            outputs = serialize.encode_structure(cf._out_template, tensor_index)
        except serialize.UnsavableError as e:
            raise ValueError(
                f"Unable to save concrete function '{cf.name}': its signature or outputs "
                f"hold {e}, which a SavedModel cannot store."
            ) from None
        name = fname
        self.cf_names[id(cf)] = name
        self._keep.append(cf)
        self.concretes[name] = {
            "function": fname,
            "name": str(cf.name),
            "arg_names": list(cf._arg_names),
            "arg_kinds": list(cf._arg_kinds),
            "args": args,
            "outputs": outputs,
        }
        return name

    # ------------------------------------------------------------------ objects
    def object_nodes(self) -> list:
        nodes = []
        for obj, path, refs in zip(self.graph.objects, self.graph.paths, self.graph.children):
            node: dict[str, Any] = {"children": [{"node_id": j, "local_name": n} for n, j in refs]}
            if isinstance(obj, VariableBase):
                name = obj.name[:-2] if obj.name.endswith(":0") else obj.name
                node.update(
                    kind="variable",
                    name=name,
                    dtype=obj.dtype.name,
                    shape=list(obj.shape._dims) if obj.shape._dims is not None else None,
                    trainable=bool(obj.trainable),
                    checkpoint_key=self.var_key[id(obj)],
                )
            elif isinstance(obj, (Function, RestoredFunction)):
                cfs = concrete_functions_of(obj)
                node.update(
                    kind="function",
                    name=str(getattr(obj, "_name", getattr(obj, "__name__", "function"))),
                    concrete_functions=[self.concrete(cf) for cf in cfs],
                )
            elif isinstance(obj, ConcreteFunction):
                node.update(kind="concrete_function", concrete=self.concrete(obj))
            elif isinstance(obj, tuple) and not hasattr(type(obj), "_trackable_children"):
                node.update(kind="tuple", length=len(obj))
            elif isinstance(obj, list) and not hasattr(type(obj), "_trackable_children"):
                node.update(kind="list", length=len(obj))
            elif isinstance(obj, collections.abc.Mapping) and not hasattr(
                type(obj), "_trackable_children"
            ):
                node.update(kind="dict")
            else:
                node.update(kind="user_object", class_name=type(obj).__name__)
            node["path"] = pretty_path(path)
            nodes.append(node)
        return nodes

    # ------------------------------------------------------------------ signatures
    def signatures(self, signatures: Any) -> dict:
        if signatures is None:
            previous = getattr(self.root, "signatures", None)
            if isinstance(previous, SignatureMap) and len(previous):
                # A loaded SavedModel saved again keeps its signatures, as in TensorFlow.
                return {k: self._signature(k, previous[k].concrete_function) for k in previous}
            found = [
                v
                for v in trackable.children(self.root, trackable.SAVEDMODEL).values()
                if isinstance(v, Function) and v._input_signature is not None
            ]
            if len(found) != 1:
                return {}
            try:
                return {
                    DEFAULT_SERVING_SIGNATURE_DEF_KEY: self._signature(
                        DEFAULT_SERVING_SIGNATURE_DEF_KEY, found[0].get_concrete_function()
                    )
                }
            except _SignatureError:
                # As TensorFlow: a function found by this rule that cannot serve as a
                # signature (non-tensor outputs) is saved without one.
                return {}
        if not isinstance(signatures, collections.abc.Mapping):
            signatures = {DEFAULT_SERVING_SIGNATURE_DEF_KEY: signatures}
        out = {}
        for key, fn in signatures.items():
            if not isinstance(key, str):
                raise ValueError(f"Signature keys must be strings, got {key!r}.")
            if isinstance(fn, Function):
                if fn._input_signature is None:
                    raise ValueError(
                        "Expected a TensorFlow function for which to generate a signature, but "
                        f"got {fn}. Only `tf.functions` with an input signature or concrete "
                        "functions can be used as a signature."
                    )
                cf = fn.get_concrete_function()
            elif isinstance(fn, ConcreteFunction):
                cf = fn
            else:
                raise ValueError(
                    "Expected a TensorFlow function for which to generate a signature, but got "
                    f"{fn!r}. Only `tf.functions` with an input signature or concrete functions "
                    "can be used as a signature."
                )
            out[key] = self._signature(key, cf)
        return out

    def _signature(self, key: str, cf: ConcreteFunction) -> dict:
        """Checks `cf` can serve as signature `key` (else _SignatureError), then
        serializes it (errors there are the function's own, not the signature's)."""
        inputs = []
        for name, value in zip(cf._arg_names, cf._arg_values):
            flat = nest.flatten(value)
            for i, leaf in enumerate(flat):
                if not isinstance(leaf, TensorSpec):
                    raise _SignatureError(
                        f"Signature '{key}': argument {name!r} is not a tensor ({leaf!r}); "
                        "signatures take tensors only."
                    )
                iname = leaf.name or (name if i == 0 else f"{name}_{i}")
                inputs.append(iname)
        template = cf._out_template
        n = len(cf._gf.outputs)
        if isinstance(template, collections.abc.Mapping):
            items = list(template.items())
            for k, _v in items:
                if not isinstance(k, str):
                    raise _SignatureError(
                        f"Got a dictionary with a non-string key {k!r} in the output of the "
                        f"function {cf.name} used to generate the SavedModel signature "
                        f"'{key}'."
                    )
            keys = sorted(template)
        elif isinstance(template, (list, tuple)):
            items = [(f"output_{i}", v) for i, v in enumerate(template)]
            keys = [k for k, _ in items]
        else:
            items = [("output_0", template)]
            keys = ["output_0"]
        for k, v in items:
            if not isinstance(v, Tensor):
                raise _SignatureError(
                    f"Got a non-Tensor value {v!r} for key '{k}' in the output of the function "
                    f"{cf.name} used to generate the SavedModel signature '{key}'. Outputs for "
                    "functions used as signatures must be a single Tensor, a sequence of "
                    "Tensors, or a dictionary from string to Tensor."
                )
        if len(keys) != n:
            raise _SignatureError(
                f"Signature '{key}': outputs do not match the function's outputs."
            )
        return {"concrete": self.concrete(cf), "inputs": inputs, "outputs": keys}


def _spec(t: Tensor) -> list:
    dims = t._dims if isinstance(t, SymbolicTensor) else tuple(np.shape(t._value))
    return [None if dims is None else list(dims), t._dtype.name]


def save(obj: Any, export_dir: Any, signatures: Any = None, options: Any = None) -> None:
    """`tf.saved_model.save`: exports `obj` (a tf.Module or other trackable) to
    `export_dir`, so `tf.saved_model.load` can rebuild it without its Python code.

    Saved: the objects reachable from `obj` (modules, variables, lists/dicts of them,
    tf.functions with the concrete functions traced so far or from their
    `input_signature`), each concrete function's graph, and the variables' values.

    >>> import ndflow as tf, tempfile
    >>> m = tf.Module()
    >>> m.v = tf.Variable(2.0)
    >>> m.f = tf.function(lambda x: x * m.v, input_signature=[tf.TensorSpec([], tf.float32)])
    >>> d = tempfile.mkdtemp()
    >>> tf.saved_model.save(m, d)
    >>> tf.saved_model.load(d).f(tf.constant(3.0))
    <tf.Tensor: shape=(), dtype=float32, numpy=6.0>
    """
    export_dir = os.fspath(export_dir)
    saver = _Saver(obj)
    sigs = saver.signatures(signatures)
    nodes = saver.object_nodes()
    os.makedirs(os.path.join(export_dir, VARIABLES_DIRECTORY), exist_ok=True)
    write_id = uuid.uuid4().hex
    base = f"variables-{write_id[:12]}"
    prefix = os.path.join(export_dir, VARIABLES_DIRECTORY, base)
    ckpt_io.write_checkpoint(prefix, saver.ckpt_json, saver.tensors)
    try:
        ckpt_id = ckpt_io.read_index(prefix)["write_id"]
        doc = {
            "format": FORMAT,
            "version": VERSION,
            "write_id": write_id,
            "variables": f"{VARIABLES_DIRECTORY}/{base}",
            "variables_write_id": ckpt_id,
            "object_graph": {"nodes": nodes},
            "concrete_functions": saver.concretes,
            "function_library": saver.library,
            "signatures": sigs,
        }
        text = json.dumps(doc, indent=1, allow_nan=False).encode("utf-8")
        ckpt_io.atomic_write(
            os.path.join(export_dir, SAVED_MODEL_FILENAME), lambda f: f.write(text)
        )
    except BaseException:
        for suffix in (ckpt_io.INDEX_SUFFIX, ckpt_io.DATA_SUFFIX):
            ckpt_io._remove_quietly(prefix + suffix)
        raise
    # The new SavedModel is in place: drop the variables of the one it replaced.
    vdir = os.path.join(export_dir, VARIABLES_DIRECTORY)
    for fname in os.listdir(vdir):
        if _VARIABLES_FILE.match(fname) and not fname.startswith(base):
            ckpt_io._remove_quietly(os.path.join(vdir, fname))


def contains_saved_model(export_dir: Any) -> bool:
    """`tf.saved_model.contains_saved_model`: whether `export_dir` holds a SavedModel."""
    return os.path.isfile(os.path.join(os.fspath(export_dir), SAVED_MODEL_FILENAME))
