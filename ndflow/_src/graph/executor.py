"""The executor: compiles a traced graph once into a flat plan and runs it.

Compilation:
1. prune to the nodes the outputs need, plus every stateful node (variable reads and
   writes, tf.print, random ops) and what those need;
2. fold constants: a stateless node whose inputs are all known is evaluated once, here;
3. merge common subexpressions: two stateless nodes with the same type, inputs and attrs
   share one result;
4. lay out a flat list of steps (kernel, input slots, output slots, attrs) in program
   order, so stateful ops keep their order, each step listing the slots whose last use it
   is, so buffers are released as soon as nothing needs them.

The kernels are the registry's, the same ones eager mode runs.

>>> import ndflow as tf
>>> from ndflow._src.graph.graph import Graph
>>> from ndflow._src.core.context import graph_scope
>>> g = Graph("demo")
>>> with graph_scope(g):
...     x = g.add_input(tf.float32, (2,), name="x")
...     y = x * 2.0 + 1.0
>>> plan = Plan(g, g.inputs, [y])
>>> plan.run([np.array([1.0, 2.0], np.float32)])[0]
array([3., 5.], dtype=float32)
"""

from __future__ import annotations

from typing import Any
from collections.abc import Callable, Sequence

import numpy as np

from ndflow._src.core import dtypes, errors
from ndflow._src.framework.execute import _KERNEL_ERRORS, kernel_error
from ndflow._src.framework.tensor import wrap_with_dtype
from ndflow._src.graph.graph import Graph, Node, SymbolicTensor, foldable

# Test hooks: called as hook(node, slots) after each step of every plan run. Empty in
# normal use (the fast loop is taken).
step_hooks: list[Callable[[Node, list], None]] = []


def _attrs_key(attrs: dict) -> Any:
    """A hashable form of an attrs dict for common-subexpression merging, or None."""
    items = []
    for k in sorted(attrs):
        v = attrs[k]
        if isinstance(v, list):
            v = tuple(v)
        if isinstance(v, np.ndarray):
            v = (v.dtype.str, v.shape, v.tobytes())
        try:
            hash(v)
        except TypeError:
            return None
        items.append((k, type(v).__name__, v))
    return tuple(items)


class Plan:
    """A compiled graph: `run(arrays)` feeds `inputs`, returns the `outputs` arrays.

    `stats` counts what compilation did: steps, pruned, folded, merged (CSE) nodes.
    """

    def __init__(
        self,
        graph: Graph,
        inputs: Sequence[SymbolicTensor],
        outputs: Sequence[SymbolicTensor],
        keep_stateful: bool = True,
    ) -> None:
        self.graph = graph
        self.stats = {"nodes": len(graph.nodes), "steps": 0, "pruned": 0, "folded": 0, "merged": 0}
        slot_of: dict[int, int] = {}
        constants: dict[int, Any] = {}
        n_slots = 0

        def new_slot(t: SymbolicTensor) -> int:
            nonlocal n_slots
            slot_of[id(t)] = n_slots
            n_slots += 1
            return n_slots - 1

        # Inputs fed by the caller.
        input_slots = [new_slot(t) for t in inputs]
        capture_phs = {id(ph) for _, ph in graph.captures}
        needed = _needed_nodes(graph, outputs, keep_stateful)
        self.stats["pruned"] = sum(1 for n in graph.nodes if id(n) not in needed)
        steps: list[list] = []
        seen: dict[tuple, tuple] = {}
        const_slots: dict[tuple, int] = {}
        for node in graph.nodes:
            if id(node) not in needed:
                continue
            if node.opdef is None:  # a placeholder
                t = node.outputs[0]
                if id(t) in slot_of:
                    continue
                if (
                    id(t) in capture_phs
                    and t._value is not None
                    and t._dtype is not dtypes.resource
                ):
                    v = np.asarray(t._value)
                    if v.size <= 64 and v.dtype != object:
                        # Equal small constants share one slot, so CSE sees them as one.
                        ckey = (t._dtype, v.shape, v.tobytes())
                        prev_slot = const_slots.get(ckey)
                        if prev_slot is not None:
                            slot_of[id(t)] = prev_slot
                            continue
                        const_slots[ckey] = n_slots
                s = new_slot(t)
                if id(t) in capture_phs and t._value is not None:
                    # A capture is fixed when the graph was traced: variables by
                    # reference (their resource), eager tensors by value.
                    constants[s] = t._value
                continue
            in_slots = tuple(slot_of[id(t)] for t in node.inputs)
            akey = None
            if foldable(node.opdef):
                # Constant folding: every input known now.
                folded = self._try_fold(node, in_slots, constants)
                if folded is not None:
                    for o, v in zip(node.outputs, folded):
                        constants[new_slot(o)] = v
                    self.stats["folded"] += 1
                    continue
                akey = _attrs_key(node.attrs)
                if akey is not None:
                    key = (node.opdef.name, in_slots, akey)
                    prev = seen.get(key)
                    if prev is not None:
                        for o, s in zip(node.outputs, prev):
                            slot_of[id(o)] = s
                        self.stats["merged"] += 1
                        continue
            out_slots = tuple(new_slot(o) for o in node.outputs)
            if akey is not None:
                seen[key] = out_slots
            single = node.opdef.num_outputs == 1
            steps.append([node.opdef.kernel, in_slots, out_slots, node.attrs, (), node, single])
        output_slots = [slot_of[id(t)] if id(t) in slot_of else None for t in outputs]
        for i, t in enumerate(outputs):
            if output_slots[i] is None:
                raise ValueError(f"Output {t!r} is not part of graph {graph.name}.")
        # Release each buffer after its last use (never inputs' caller-owned arrays
        # matter: dropping our reference is all freeing means).
        last_use: dict[int, int] = {}
        for i, st in enumerate(steps):
            for s in st[1]:
                last_use[s] = i
            for s in st[2]:
                last_use.setdefault(s, i)  # an unused output dies right away
        keep = set(output_slots)
        frees: list[list[int]] = [[] for _ in steps]
        for s, i in last_use.items():
            if s not in keep:
                frees[i].append(s)
        for st, fr in zip(steps, frees):
            st[4] = tuple(sorted(fr))
        template: list[Any] = [None] * n_slots
        for s, v in constants.items():
            template[s] = v
        self._template = template
        self._input_slots = input_slots
        self._output_slots = output_slots
        self._steps = [tuple(st) for st in steps]
        self.stats["steps"] = len(steps)

    @staticmethod
    def _try_fold(node: Node, in_slots: tuple, constants: dict) -> tuple | None:
        if any(getattr(v, "_is_graph_function", False) for v in node.attrs.values()):
            return None
        known = [o._value for o in node.outputs]
        if all(v is not None for v in known) and node.outputs:
            return tuple(known)
        if not in_slots or any(s not in constants for s in in_slots):
            return None
        if any(t._dtype is dtypes.resource for t in node.inputs):
            return None
        try:
            with np.errstate(all="ignore"):
                out = node.opdef.kernel(*[constants[s] for s in in_slots], **node.attrs)
        except Exception:  # noqa: BLE001 - leave the failure to run time, with context
            return None
        if node.opdef.num_outputs == 1:
            return (out,)
        return tuple(out)

    def run(self, args: Sequence[Any]) -> list:
        """Runs the plan on input arrays; returns the output arrays."""
        slots = list(self._template)
        for s, a in zip(self._input_slots, args):
            if slots[s] is None:
                slots[s] = a
        hooks = step_hooks
        for kernel, ins, outs, attrs, free, node, single in self._steps:
            try:
                r = kernel(*[slots[i] for i in ins], **attrs)
            except Exception as e:  # noqa: BLE001 - re-raised with the node's context
                raise _explain(node, [slots[i] for i in ins], e) from None
            if single:
                slots[outs[0]] = r
            elif outs:  # ops with no outputs (in-place updates) return None
                for s, v in zip(outs, r):
                    slots[s] = v
            for s in free:
                slots[s] = None
            if hooks:
                for h in hooks:
                    h(node, slots)
        return [slots[s] for s in self._output_slots]


def _needed_nodes(
    graph: Graph, outputs: Sequence[SymbolicTensor], keep_stateful: bool = True
) -> set[int]:
    """Ids of nodes the outputs or the stateful nodes depend on (iterative walk)."""
    needed: set[int] = set()
    stack = [t._node for t in outputs if t._node.graph is graph]
    if keep_stateful:
        stack.extend(n for n in graph.nodes if n.stateful)
    while stack:
        n = stack.pop()
        if id(n) in needed:
            continue
        needed.add(id(n))
        for t in n.inputs:
            if id(t._node) not in needed:
                stack.append(t._node)
    return needed


def _explain(node: Node, arrays: list, e: Exception) -> Exception:
    """An error naming the node, the Python line that created it and the input shapes."""
    if getattr(e, "_graph_explained", False):
        return e
    if isinstance(e, errors.OpError):
        cls = type(e)
        msg = e.message
    elif isinstance(e, _KERNEL_ERRORS):
        inputs = [wrap_with_dtype(a, t._dtype) for a, t in zip(arrays, node.inputs)]
        try:
            err = kernel_error(node.opdef, inputs, node.attrs, e)
        except Exception:  # noqa: BLE001
            err = errors.InvalidArgumentError(None, None, str(e))
        cls = type(err)
        msg = err.message
    else:
        return e
    cut = msg.find(f" [Op:{node.type}]")
    if cut >= 0:
        msg = msg[:cut]
    shapes = ", ".join(
        str(list(np.shape(a))) for a in arrays if isinstance(a, (np.ndarray, np.generic))
    )
    loc = node.location
    where = f'  File "{loc[0]}", line {loc[1]}, in {loc[2]}\n' if loc else ""
    text = (
        f"Graph execution error:\n\nDetected at node {node.name} defined at (most recent call "
        f"last):\n{where}\n{msg}\n\t [[{{{{node {node.name}}}}}]] (op: {node.type}, input "
        f"shapes: {shapes}) [Op:__inference_{node.graph.name}]"
    )
    out = cls(None, node, text)
    out._graph_explained = True
    return out


def lift_value(t: SymbolicTensor) -> np.ndarray | None:
    """The value of `t` computed now, if it depends only on captures and constants
    (TF lifts such variable initializers out of a function); else None."""
    if t._value is not None:
        return np.asarray(t._value)
    g = t._node.graph
    needed = _needed_nodes(g, [t], keep_stateful=False)
    caps = {id(ph) for _, ph in g.captures}
    for n in g.nodes:
        if id(n) in needed and n.opdef is None and id(n.outputs[0]) not in caps:
            return None
    try:
        return np.asarray(Plan(g, [], [t], keep_stateful=False).run([])[0])
    except Exception:  # noqa: BLE001 - not liftable: the caller raises its own error
        return None
