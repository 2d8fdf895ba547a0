"""Graph, Node and SymbolicTensor: what tracing builds.

`execute()` calls `Graph.add_op` for every op while a graph is current
(`context.graph_scope`). The builder maps each input into this graph (an eager tensor or
a tensor of an enclosing graph becomes a *capture*: a placeholder fed with that tensor),
runs the op's shape rule to get static shapes (None for unknown dimensions), records the
Python line that created the op (for error messages), and folds small all-constant ops
so shape rules downstream see their values (`static_value`).

>>> import ndflow as tf
>>> from ndflow._src.graph.graph import Graph
>>> from ndflow._src.core.context import graph_scope
>>> g = Graph("demo")
>>> with graph_scope(g):
...     x = g.placeholder(tf.float32, (None, 3), name="x")
...     y = tf.reduce_sum(x * 2.0, axis=1)
>>> y
<tf.Tensor 'Sum:0' shape=(None,) dtype=float32>
"""

from __future__ import annotations

import os
import sys
from typing import Any
from collections.abc import Sequence

import numpy as np

from ndflow._src.core import dtypes, errors
from ndflow._src.core.context import ctx
from ndflow._src.core.dtypes import DType
from ndflow._src.core.tensor_shape import TensorShape
from ndflow._src.framework.op_registry import OpDef
from ndflow._src.framework.tensor import Tensor

# Ops whose inputs are all statically known and whose inputs hold at most this many
# elements are evaluated while tracing, so shape rules see their values (TF's constant
# folding of shape computations). Larger ones are folded once by the executor.
_TRACE_FOLD_LIMIT = 1024

_NDFLOW_DIR = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


_UNFOLDABLE_WORDS = ("Random", "Multinomial", "Shuffle", "Dropout")


def foldable(opdef: OpDef) -> bool:
    """Whether an op may be evaluated ahead of time when its inputs are known: never a
    stateful op, and (defensively) never a random draw even if registered stateless,
    unless it is a Stateless* op (those are pure functions of their seed)."""
    if opdef.stateful:
        return False
    name = opdef.name
    if name.startswith("Stateless"):
        return True
    return not any(w in name for w in _UNFOLDABLE_WORDS)


class SymbolicTensor(Tensor):
    """A tensor of a graph being traced: static shape and dtype, a value only at run time.

    `_value` holds the statically known value (a constant, a folded shape) or None.
    """

    __slots__ = ("_dims", "_node", "_index")

    @property
    def shape(self) -> TensorShape:
        return TensorShape._from_tuple(self._dims)

    @property
    def ndim(self) -> int | None:
        return None if self._dims is None else len(self._dims)

    @property
    def rank(self) -> int | None:
        return self.ndim

    @property
    def name(self) -> str:
        return f"{self._node.name}:{self._index}"

    @property
    def op(self) -> Node:
        return self._node

    @property
    def graph(self) -> Graph:
        return self._node.graph

    @property
    def value_index(self) -> int:
        return self._index

    def set_shape(self, shape: Any) -> None:
        new = TensorShape(shape)
        if not self.shape.is_compatible_with(new):
            raise ValueError(
                f"Tensor's shape {self.shape} is not compatible with supplied shape {new}."
            )
        self._dims = self.shape.merge_with(new)._dims

    def numpy(self) -> Any:
        raise NotImplementedError(
            f"Cannot convert a symbolic tf.Tensor ({self.name}) to a numpy array: .numpy() "
            "is only available on eager tensors. This error may indicate that you're trying "
            "to pass a Tensor to a NumPy call, or to read a value inside tf.function; use "
            "tf.print to see values while a function runs."
        )

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        raise NotImplementedError(
            f"Cannot convert a symbolic tf.Tensor ({self.name}) to a numpy array. This error "
            "may indicate that you're trying to pass a Tensor to a NumPy call, which is not "
            "supported."
        )

    def __len__(self) -> int:
        if self._dims is None or not self._dims or self._dims[0] is None:
            raise TypeError(
                f"len is not well defined for a symbolic Tensor ({self.name}). Please call "
                "`x.shape` rather than `len(x)` for shape information."
            )
        return self._dims[0]

    def __iter__(self):
        if self._dims is None or not self._dims:
            raise TypeError("Cannot iterate over a scalar tensor.")
        if self._dims[0] is None:
            raise TypeError(
                "Iterating over a symbolic `tf.Tensor` is not allowed: the first dimension "
                "is unknown. Use tf.while_loop or tf.data to iterate."
            )
        getitem = type(self).__getitem__
        return (getitem(self, i) for i in range(self._dims[0]))

    def _scalar(self, what: str) -> Any:
        raise TypeError(
            f"Using a symbolic `tf.Tensor` as a Python `{what}` is not allowed. Use tf.cond "
            "or tf.while_loop (or let autograph convert Python control flow) instead."
        )

    def __bool__(self) -> bool:
        raise TypeError(
            "Using a symbolic `tf.Tensor` as a Python `bool` is not allowed. Use tf.cond or "
            "tf.while_loop (or let autograph convert Python control flow) instead."
        )

    def __index__(self) -> int:
        if self._value is not None and self._value.ndim == 0 and self._dtype.is_integer:
            return int(self._value)
        raise TypeError(f"Cannot use symbolic tensor {self.name} as a Python index.")

    def __format__(self, format_spec: str) -> str:
        return format(repr(self), format_spec)

    def __repr__(self) -> str:
        return f"<tf.Tensor '{self.name}' shape={self.shape} dtype={self._dtype.name}>"

    def __str__(self) -> str:
        return f'Tensor("{self.name}", shape={self.shape}, dtype={self._dtype.name})'

    def __reduce__(self):
        raise TypeError(f"Cannot pickle symbolic tensor {self.name}.")


_new = object.__new__


def _symbolic(node: Node, index: int, dims: Any, dtype: DType, value: Any = None) -> SymbolicTensor:
    t = _new(SymbolicTensor)
    t._value = value
    t._dtype = dtype
    t._dims = None if dims is None else tuple(dims)
    t._node = node
    t._index = index
    return t


class Node:
    """One op in a graph. It has the record shape gradient functions expect
    (`type`, `inputs`, `outputs`, `attrs`, `get_attr`, `skip_input_indices`)."""

    __slots__ = (
        "graph", "opdef", "name", "inputs", "outputs", "attrs", "location",
        "skip_input_indices", "__weakref__",
    )  # fmt: skip

    def __init__(
        self, graph: Graph, opdef: OpDef | None, name: str, inputs: tuple, attrs: dict
    ) -> None:
        self.graph = graph
        self.opdef = opdef
        self.name = name
        self.inputs = inputs
        self.outputs: tuple = ()
        self.attrs = attrs
        self.location = _user_location()
        self.skip_input_indices = ()

    @property
    def type(self) -> str:
        return self.opdef.name if self.opdef is not None else "Placeholder"

    @property
    def stateful(self) -> bool:
        return self.opdef is not None and self.opdef.stateful

    def get_attr(self, name: str) -> Any:
        return self.attrs[name]

    @property
    def node_def(self) -> str:
        return f"{{{{node {self.name}}}}}"

    def __repr__(self) -> str:
        return f"<tf.Operation '{self.name}' type={self.type}>"


def _user_location() -> tuple | None:
    """(file, line, function) of the innermost frame outside ndflow: the user's line."""
    f = sys._getframe(2)
    while f is not None:
        fn = f.f_code.co_filename
        if not fn.startswith(_NDFLOW_DIR) or "/tests/" in fn:
            return (fn, f.f_lineno, f.f_code.co_name)
        f = f.f_back
    return None


class Graph:
    """A traced computation: nodes in creation (= program) order, plus its captures.

    `captures` maps each outside tensor used here (eager, or of an enclosing graph) to
    the placeholder that stands for it; callers feed the outside tensors after the
    graph's own inputs.
    """

    def __init__(self, name: str = "graph", outer: Graph | None = None) -> None:
        self.name = name
        self.outer_graph = outer
        self.nodes: list[Node] = []
        self._names: dict[str, int] = {}
        self.inputs: list[SymbolicTensor] = []
        self._captures: dict[int, tuple[Tensor, SymbolicTensor]] = {}
        # Filled by the tf.function layer: the structure of the traced function's outputs.
        self.structured_outputs: Any = None

    # ------------------------------------------------------------------ names
    def unique_name(self, base: str) -> str:
        base = ctx.scope + base
        n = self._names.get(base)
        if n is None:
            self._names[base] = 1
            return base
        while True:
            name = f"{base}_{n}"
            n += 1
            if name not in self._names:
                self._names[base] = n
                self._names[name] = 1
                return name

    # ------------------------------------------------------------------ building
    def placeholder(
        self, dtype: Any, shape: Any = None, name: str = "Placeholder", value: Any = None
    ) -> SymbolicTensor:
        """A graph input of `dtype` and static `shape` (None dims allowed)."""
        dtype = dtypes.as_dtype(dtype)
        dims = TensorShape(shape)._dims if not isinstance(shape, tuple) else shape
        node = Node(self, None, self.unique_name(name), (), {"dtype": dtype})
        t = _symbolic(node, 0, dims, dtype, value)
        node.outputs = (t,)
        self.nodes.append(node)
        return t

    def add_input(self, dtype: Any, shape: Any = None, name: str = "Placeholder") -> SymbolicTensor:
        t = self.placeholder(dtype, shape, name)
        self.inputs.append(t)
        return t

    def capture(self, t: Tensor) -> SymbolicTensor:
        """The placeholder standing for outside tensor `t` (created on first use)."""
        entry = self._captures.get(id(t))
        if entry is not None:
            return entry[1]
        if isinstance(t, SymbolicTensor):
            g = self.outer_graph
            while g is not None and g is not t._node.graph:
                g = g.outer_graph
            if g is None:
                raise TypeError(
                    f"{t!r} is a symbolic tensor of another graph ({t._node.graph.name}), "
                    f"not of graph {self.name} or a graph enclosing it: it leaked out of a "
                    "function trace (for example, saved in a Python list or attribute while "
                    "tracing). Return it from the function instead."
                )
            value = t._value
            dims = t._dims
        else:
            value = t._value
            dims = tuple(np.shape(value)) if t._dtype is not dtypes.resource else ()
        ph = self.placeholder(t._dtype, dims, "Const" if value is not None else "capture", value)
        self._captures[id(t)] = (t, ph)
        return ph

    @property
    def captures(self) -> list[tuple[Tensor, SymbolicTensor]]:
        """(outside tensor, placeholder) pairs, in capture order."""
        return list(self._captures.values())

    def is_capture(self, t: SymbolicTensor) -> bool:
        entry = self._captures
        return any(ph is t for _, ph in entry.values())

    def _own(self, t: Any) -> SymbolicTensor:
        if isinstance(t, SymbolicTensor) and t._node.graph is self:
            return t
        if not isinstance(t, Tensor):
            raise TypeError(f"Expected a tf.Tensor as an op input, got {type(t).__name__}: {t!r}")
        return self.capture(t)

    def add_op(self, opdef: OpDef, inputs: Sequence[Tensor], attrs: dict) -> Any:
        """Adds a node running `opdef`; returns its SymbolicTensor (a tuple for
        multi-output ops). Called by `execute()` while this graph is current."""
        ins = tuple(self._own(t) for t in inputs)
        name = self.unique_name(opdef.name)
        node = Node(self, opdef, name, ins, attrs)
        specs = self._shapes(node)
        n = opdef.num_outputs
        if n == -1:
            n = len(specs)
        values = self._fold(node) if foldable(opdef) else None
        outs = tuple(
            _symbolic(node, i, specs[i][0], specs[i][1], None if values is None else values[i])
            for i in range(n)
        )
        node.outputs = outs
        self.nodes.append(node)
        if opdef.num_outputs == 1:
            return outs[0]
        return outs

    def _shapes(self, node: Node) -> list:
        opdef = node.opdef
        if opdef.shape is None:
            n = max(opdef.num_outputs, 1)
            dtype = node.inputs[0].dtype if node.inputs else dtypes.float32
            return [(None, dtype)] * n
        try:
            return opdef.shape(list(node.inputs), node.attrs)
        except (errors.OpError, ValueError) as e:
            msg = str(e)
            cut = msg.find(f" [Op:{opdef.name}]")
            if cut >= 0:
                msg = msg[:cut]
            shapes = ", ".join(_dims_text(t._dims) for t in node.inputs)
            raise ValueError(
                f"{msg} for '{node.node_def} = {opdef.name}[]"
                f"({', '.join(t.name for t in node.inputs)})' with input shapes: {shapes}."
            ) from None

    def _fold(self, node: Node) -> tuple | None:
        """Evaluates a small op whose inputs are all statically known."""
        opdef = node.opdef
        arrays = []
        size = 0
        for t in node.inputs:
            v = t._value
            if v is None or t._dtype is dtypes.resource or t._dtype is dtypes.variant:
                if opdef.name == "Shape" and t._dims is not None and None not in t._dims:
                    return (np.asarray(t._dims, dtype=node.attrs["out_type"]._np),)
                return None
            size += v.size
            arrays.append(v)
        if size > _TRACE_FOLD_LIMIT or opdef.num_outputs != 1:
            return None
        try:
            with np.errstate(all="ignore"):
                out = opdef.kernel(*arrays, **node.attrs)
        except Exception:  # noqa: BLE001 - a failing fold is left to run time
            return None
        return (np.asarray(out),)

    # ------------------------------------------------------------------ inspection
    def get_operations(self) -> list[Node]:
        return list(self.nodes)

    def get_operation_by_name(self, name: str) -> Node:
        for n in self.nodes:
            if n.name == name:
                return n
        raise KeyError(f"The name {name!r} refers to an Operation not in the graph.")

    def get_tensor_by_name(self, name: str) -> SymbolicTensor:
        op_name, _, idx = name.partition(":")
        return self.get_operation_by_name(op_name).outputs[int(idx or 0)]

    def as_default(self):
        from ndflow._src.core.context import graph_scope

        return graph_scope(self)

    def __repr__(self) -> str:
        return f"FuncGraph(name={self.name}, id={id(self)})"


def _dims_text(dims: Any) -> str:
    if dims is None:
        return "?"
    return "[" + ",".join("?" if d is None else str(d) for d in dims) + "]"


def dims_text(dims: Any) -> str:
    """TF's short shape text for error messages: `[2,?]`, `?` for unknown rank."""
    return _dims_text(dims)
