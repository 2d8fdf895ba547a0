"""`tf.saved_model.load`: rebuilds a saved object graph without the saver's Python code.

Graphs are rebuilt node by node through the op registry and the graph builder (so shape
rules run again), captures are wired to the newly created variables and to the saved
constants, and functions are exposed as `RestoredFunction`s dispatching on their
argument specs.
"""

from __future__ import annotations

import importlib
import inspect
import json
import os
import pkgutil
from typing import Any

from ndflow._src.checkpoint import fileio as ckpt_io
from ndflow._src.core import errors
from ndflow._src.core.context import eager_scope
from ndflow._src.framework.op_registry import get_op
from ndflow._src.framework.tensor import wrap_with_dtype
from ndflow._src.function.concrete_function import ConcreteFunction
from ndflow._src.graph.func_graph import GraphFunction, tracing_scope
from ndflow._src.graph.graph import Graph
from ndflow._src.saved_model import serialize
from ndflow._src.saved_model.restored import (
    RestoredFunction,
    SignatureFunction,
    SignatureMap,
    _CallableUserObject,
    _UserObject,
)
from ndflow._src.saved_model.save import FORMAT, SAVED_MODEL_FILENAME, VERSION
from ndflow._src.variables.variable import Variable

FormatError = serialize.FormatError
_KINDS = (
    "POSITIONAL_ONLY",
    "POSITIONAL_OR_KEYWORD",
    "VAR_POSITIONAL",
    "KEYWORD_ONLY",
    "VAR_KEYWORD",
)


class LoadOptions:
    """`tf.saved_model.LoadOptions`: accepted for compatibility (no option applies)."""

    def __init__(
        self,
        allow_partial_checkpoint: bool = False,
        experimental_io_device: Any = None,
        experimental_skip_checkpoint: bool = False,
        experimental_variable_policy: Any = None,
        experimental_load_function_aliases: bool = False,
    ) -> None:
        self.allow_partial_checkpoint = allow_partial_checkpoint
        self.experimental_io_device = experimental_io_device
        self.experimental_skip_checkpoint = experimental_skip_checkpoint
        self.experimental_variable_policy = experimental_variable_policy
        self.experimental_load_function_aliases = experimental_load_function_aliases


_all_ops_imported = False


def _find_op(op_type: str) -> Any:
    """The registered op, importing every op family first if needed (some, such as the
    optimizers' training ops, are only registered when their module is imported)."""
    global _all_ops_imported
    try:
        return get_op(op_type)
    except KeyError:
        pass
    if not _all_ops_imported:
        _all_ops_imported = True
        ops = importlib.import_module("ndflow._src.ops")
        for info in pkgutil.iter_modules(ops.__path__):
            importlib.import_module(f"ndflow._src.ops.{info.name}")
        try:
            return get_op(op_type)
        except KeyError:
            pass
    return None


def _need(cond: bool, why: str) -> None:
    if not cond:
        raise FormatError(why)


class _Loader:
    def __init__(self, export_dir: str, doc: dict) -> None:
        self.dir = export_dir
        self.doc = doc
        rel = doc.get("variables")
        _need(isinstance(rel, str), "missing variables reference")
        parts = rel.split("/")
        _need(
            len(parts) == 2 and parts[0] == "variables" and parts[1] not in ("", ".", ".."),
            f"bad variables reference {rel!r}",
        )
        self.prefix = os.path.join(export_dir, *parts)
        index = ckpt_io.read_index(self.prefix)
        if index["write_id"] != doc.get("variables_write_id"):
            raise errors.DataLossError(
                None,
                None,
                f"Unable to read SavedModel variables {self.prefix}{ckpt_io.INDEX_SUFFIX}: they "
                "do not belong to this saved_model.json (an interrupted save?)",
            )
        self.index = index
        self.data = ckpt_io.DataFile(self.prefix, index)
        self.library = doc.get("function_library")
        self.concretes = doc.get("concrete_functions")
        _need(isinstance(self.library, dict), "bad function_library")
        _need(isinstance(self.concretes, dict), "bad concrete_functions")
        self._fn_cache: dict = {}
        self._cf_cache: dict = {}
        self._building: set = set()
        self.objects: list = []

    def array(self, key: Any) -> Any:
        _need(isinstance(key, str) and key in self.index["tensors"], f"missing array {key!r}")
        return self.data.get(key)

    def _array_value(self, key: Any) -> Any:
        return self.array(key)[0]

    # ------------------------------------------------------------------ functions
    def function(self, name: Any, stack: list) -> GraphFunction:
        _need(isinstance(name, str) and name in self.library, f"unknown function {name!r}")
        hit = self._fn_cache.get(name)
        if hit is not None:
            return hit
        _need(name not in self._building, f"function {name!r} calls itself")
        self._building.add(name)
        try:
            gf, uses_outer = self._build(name, self.library[name], stack)
        finally:
            self._building.discard(name)
        if not uses_outer:
            self._fn_cache[name] = gf
        return gf

    def _build(self, fname: str, e: Any, stack: list) -> tuple[GraphFunction, bool]:
        _need(isinstance(e, dict), f"bad function {fname!r}")
        outer = stack[-1][0] if stack else None
        g = Graph(str(e.get("name", fname)), outer=outer)
        tmap: dict[str, Any] = {}
        uses_outer = False
        with tracing_scope(g):
            inputs = []
            for item in serialize._list(e.get("inputs")):
                _need(isinstance(item, list) and len(item) in (3, 4), "bad function input")
                name, dims, dt = item[:3]
                ph = g.add_input(serialize.dtype_of(dt), serialize.dims_of(dims), "x")
                if len(item) == 4:
                    handle, _ = self._capture(item[3], stack)
                    _need(
                        handle._dtype is ph._dtype and "variable" in item[3],
                        "bad resource input",
                    )
                    ph._value = handle._value
                tmap[str(name)] = ph
                inputs.append(ph)
            for item in serialize._list(e.get("captures")):
                _need(isinstance(item, list) and len(item) == 2, "bad capture")
                ph_name, desc = item
                ext, outer_ref = self._capture(desc, stack)
                uses_outer = uses_outer or outer_ref
                tmap[str(ph_name)] = g.capture(ext)
            inner_stack = stack + [(g, tmap)]
            for node in serialize._list(e.get("nodes")):
                self._node(g, node, tmap, inner_stack)
            outputs = []
            for ref in serialize._list(e.get("outputs")):
                _need(isinstance(ref, str) and ref in tmap, f"bad output {ref!r}")
                outputs.append(tmap[ref])
        return GraphFunction(g, inputs, outputs, str(e.get("name", fname))), uses_outer

    def _capture(self, desc: Any, stack: list) -> tuple[Any, bool]:
        _need(isinstance(desc, dict) and len(desc) == 1, "bad capture")
        if "variable" in desc:
            i = desc["variable"]
            _need(
                isinstance(i, int)
                and 0 <= i < len(self.objects)
                and isinstance(self.objects[i], Variable),
                f"capture refers to a missing variable {i!r}",
            )
            return self.objects[i].handle, False
        if "constant" in desc:
            value, dtype = self.array(desc["constant"])
            return wrap_with_dtype(value, dtype), False
        if "outer" in desc:
            ref = desc["outer"]
            _need(isinstance(ref, list) and len(ref) == 2, "bad outer capture")
            level, name = ref
            _need(isinstance(level, int) and 0 <= level < len(stack), "bad outer capture level")
            tmap = stack[level][1]
            _need(isinstance(name, str) and name in tmap, f"bad outer capture {name!r}")
            return tmap[name], True
        raise FormatError(f"unknown capture {sorted(desc)!r}")

    def _node(self, g: Graph, node: Any, tmap: dict, stack: list) -> None:
        _need(isinstance(node, dict) and isinstance(node.get("name"), str), "bad node")
        outs_spec = serialize._list(node.get("outputs"))
        specs = []
        for s in outs_spec:
            _need(isinstance(s, list) and len(s) == 2, "bad node output")
            specs.append((serialize.dims_of(s[0]), serialize.dtype_of(s[1])))
        op = node.get("op")
        name = node["name"]
        if op is None:
            _need(len(specs) == 1, "bad placeholder")
            value = None
            if "value" in node:
                value = self._array_value(node["value"])
            tmap[f"{name}:0"] = g.placeholder(specs[0][1], specs[0][0], "Placeholder", value)
            return
        _need(isinstance(op, str), "bad op type")
        opdef = _find_op(op)
        if opdef is None:
            raise FormatError(f"node {name!r} has an unknown op type {op!r}")
        ins = []
        for ref in serialize._list(node.get("inputs")):
            _need(isinstance(ref, str) and ref in tmap, f"node {name!r}: bad input {ref!r}")
            ins.append(tmap[ref])
        attrs_j = node.get("attrs")
        _need(isinstance(attrs_j, dict), f"node {name!r}: bad attrs")
        attrs = {
            k: serialize.decode_value(v, self._array_value, lambda f: self.function(f, stack))
            for k, v in attrs_j.items()
        }
        out = g.add_op(opdef, ins, attrs)
        outs = out if isinstance(out, tuple) else (out,)
        _need(len(outs) == len(specs), f"node {name!r}: output count differs")
        for i, (o, (dims, dt)) in enumerate(zip(outs, specs)):
            _need(o._dtype is dt, f"node {name!r}: output {i} is {o._dtype.name}, saved {dt.name}")
            if o._dims is None and dims is not None:
                o._dims = dims
            tmap[f"{name}:{i}"] = o

    def concrete(self, cname: Any) -> ConcreteFunction:
        _need(isinstance(cname, str) and cname in self.concretes, f"unknown concrete {cname!r}")
        hit = self._cf_cache.get(cname)
        if hit is not None:
            return hit
        c = self.concretes[cname]
        _need(isinstance(c, dict), "bad concrete function")
        gf = self.function(c.get("function"), [])
        names = serialize._list(c.get("arg_names"))
        kinds = serialize._list(c.get("arg_kinds"))
        args = serialize.decode_structure(c.get("args"))
        _need(
            isinstance(args, list)
            and len(names) == len(kinds) == len(args)
            and all(isinstance(n, str) for n in names)
            and all(k in _KINDS for k in kinds),
            "bad concrete function signature",
        )
        template = serialize.decode_structure(c.get("outputs"), list(gf.outputs))
        cf = ConcreteFunction(gf, template, template, names, args, kinds, str(c.get("name", cname)))
        self._cf_cache[cname] = cf
        return cf

    # ------------------------------------------------------------------ objects
    def load(self) -> Any:
        graph = self.doc.get("object_graph")
        _need(isinstance(graph, dict), "bad object_graph")
        nodes = serialize._list(graph.get("nodes"))
        _need(len(nodes) > 0, "empty object graph")
        for node in nodes:
            _need(isinstance(node, dict), "bad object node")
            for c in serialize._list(node.get("children", [])):
                _need(
                    isinstance(c, dict)
                    and isinstance(c.get("local_name"), str)
                    and isinstance(c.get("node_id"), int)
                    and 0 <= c["node_id"] < len(nodes),
                    "bad child reference",
                )
        objects: list = [None] * len(nodes)
        self.objects = objects
        with eager_scope():
            for i, node in enumerate(nodes):
                if node.get("kind") == "variable":
                    objects[i] = self._variable(node)
            for i, node in enumerate(nodes):
                kind = node.get("kind")
                if kind == "user_object":
                    cls = _UserObject
                    names = [c["local_name"] for c in node.get("children", [])]
                    if "__call__" in names:
                        cls = _CallableUserObject
                    # A saved attribute named like a tf.Module property (`variables`,
                    # `name`, ...) shadows it on this object, as it did on the saved one.
                    shadowed = {
                        n: None
                        for n in names
                        if hasattr(type(inspect.getattr_static(cls, n, None)), "__set__")
                    }
                    if shadowed:
                        cls = type(cls.__name__, (cls,), shadowed)
                    objects[i] = cls(str(node.get("class_name", "_UserObject")))
                elif kind == "list":
                    objects[i] = []
                elif kind == "dict":
                    objects[i] = {}
                elif kind == "function":
                    cfs = [
                        self.concrete(n) for n in serialize._list(node.get("concrete_functions"))
                    ]
                    objects[i] = RestoredFunction(str(node.get("name", "function")), cfs)
                elif kind == "concrete_function":
                    objects[i] = self.concrete(node.get("concrete"))
                elif kind not in ("variable", "tuple"):
                    raise FormatError(f"unknown object kind {kind!r}")

            def resolve(i: int, seen: tuple = ()) -> Any:
                if objects[i] is None:  # a tuple: built from its children
                    _need(i not in seen, "cyclic tuple")
                    kids = nodes[i].get("children", [])
                    objects[i] = tuple(resolve(c["node_id"], seen + (i,)) for c in kids)
                return objects[i]

            for i in range(len(nodes)):
                resolve(i)
            for i, node in enumerate(nodes):
                obj = objects[i]
                for c in node.get("children", []):
                    child = objects[c["node_id"]]
                    name = c["local_name"]
                    if isinstance(obj, _UserObject):
                        setattr(obj, name, child)
                    elif isinstance(obj, list):
                        obj.append(child)
                    elif isinstance(obj, dict):
                        obj[name] = child
            root = objects[0]
            sigs = self._signatures()
            if isinstance(root, _UserObject):
                root.signatures = sigs
        self.data.close()
        return root

    def _variable(self, node: dict) -> Variable:
        value, dtype = self.array(node.get("checkpoint_key"))
        _need(dtype.name == node.get("dtype"), "variable dtype differs from its value")
        shape = node.get("shape")
        _need(shape is None or list(value.shape) == shape, "variable shape differs from its value")
        name = node.get("name")
        return Variable(
            value,
            trainable=bool(node.get("trainable", True)),
            name=name if isinstance(name, str) and name else None,
            dtype=dtype,
        )

    def _signatures(self) -> SignatureMap:
        sigs = self.doc.get("signatures", {})
        _need(isinstance(sigs, dict), "bad signatures")
        out = {}
        for key, s in sigs.items():
            _need(isinstance(s, dict), "bad signature")
            cf = self.concrete(s.get("concrete"))
            ins = serialize._list(s.get("inputs"))
            keys = serialize._list(s.get("outputs"))
            _need(all(isinstance(x, str) for x in ins + keys), "bad signature names")
            _need(len(keys) == len(cf._gf.outputs), "signature output count differs")
            out[key] = SignatureFunction(cf, ins, keys)
        return SignatureMap(out)


def load(export_dir: Any, tags: Any = None, options: Any = None) -> Any:
    """`tf.saved_model.load`: the object saved by `tf.saved_model.save`, rebuilt.

    Its attributes mirror the saved object graph: sub-objects, variables (new, trainable
    tf.Variables holding the saved values), and functions that run the saved graphs.
    `.signatures` maps signature keys to functions taking keyword tensors and returning
    dicts. No Python code from the saver is needed or run; files are never unpickled.

    >>> import ndflow as tf, tempfile
    >>> m = tf.Module()
    >>> m.v = tf.Variable([1.0, 2.0])
    >>> d = tempfile.mkdtemp()
    >>> tf.saved_model.save(m, d)
    >>> tf.saved_model.load(d).v.numpy()
    array([1., 2.], dtype=float32)
    """
    export_dir = os.fspath(export_dir)
    path = os.path.join(export_dir, SAVED_MODEL_FILENAME)
    if not os.path.isfile(path):
        if os.path.isfile(os.path.join(export_dir, "saved_model.pb")):
            raise OSError(
                f"{os.path.join(export_dir, 'saved_model.pb')} is a TensorFlow SavedModel "
                "(protocol buffer format), which ndflow cannot read; ndflow reads "
                f"SavedModels written by ndflow ({SAVED_MODEL_FILENAME})."
            )
        raise OSError(f"SavedModel file does not exist at: {export_dir}/{{{SAVED_MODEL_FILENAME}}}")
    with open(path, "rb") as f:
        raw = f.read()
    try:
        doc = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as e:
        raise OSError(f"Cannot parse file {path}: truncated, corrupt or not JSON ({e}).") from None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise OSError(f"Cannot parse file {path}: not an ndflow SavedModel (no format marker).")
    version = doc.get("version")
    if not isinstance(version, int) or version > VERSION:
        raise OSError(f"Cannot parse file {path}: unsupported format version {version!r}.")
    try:
        return _Loader(export_dir, doc).load()
    except (FormatError, KeyError, IndexError, TypeError, AttributeError, RecursionError) as e:
        raise OSError(f"Cannot parse file {path}: corrupt SavedModel ({e}).") from None
    except ValueError as e:  # a graph that does not rebuild (shape rules reject it)
        raise OSError(f"Cannot parse file {path}: corrupt SavedModel ({e})") from e
