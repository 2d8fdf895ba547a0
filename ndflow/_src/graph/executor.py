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

import functools
import sys
from typing import Any
from collections.abc import Callable, Sequence

import numpy as np

from ndflow._src.core import dtypes, errors
from ndflow._src.framework.execute import _KERNEL_ERRORS, kernel_error
from ndflow._src.framework.tensor import wrap_with_dtype
from ndflow._src.graph.blas_threads import adapt as adapt_blas_threads
from ndflow._src.graph.graph import Graph, Node, SymbolicTensor, foldable

# Test hooks: called as hook(node, slots) after each step of every plan run. Empty in
# normal use (the fast loop is taken).
step_hooks: list[Callable[[Node, list], None]] = []

# Switches for plans compiled from now on (tests and benchmarks compare both ways): fusing
# producer/consumer pairs (nn_ops.FUSED_KERNELS), running in-place kernels on donated
# buffers (nn_ops.INPLACE_KERNELS), folding ops whose inputs are known up to SHAPE_ONLY_INPUTS.
fusion_enabled = True
donation_enabled = True
shape_folding_enabled = True


def _registry() -> tuple[dict, dict]:
    """(in-place kernels, fusions) offered by the ops modules."""
    from ndflow._src.ops import nn_ops

    return nn_ops.INPLACE_KERNELS, nn_ops.FUSED_KERNELS


def _bind(kernel: Callable, attrs: dict) -> Callable:
    return functools.partial(kernel, **attrs) if attrs else kernel


def _exclusive(a: Any) -> bool:
    """Whether the array `a`, taken from a slot at its last use, may be overwritten: a
    writable array that nothing else references, whose memory is its own (or that of a
    chain of bases, such as `fresh.reshape(shape)` or a numba-allocated buffer, each
    referenced only by the next)."""
    if type(a) is not np.ndarray or not a.flags.writeable:
        return False
    if sys.getrefcount(a) > _SOLE_REFS[0]:
        return False
    nbytes = a.nbytes
    b = a.base
    while b is not None:
        if type(b) is np.ndarray:
            if b.nbytes != nbytes or sys.getrefcount(b) > _SOLE_REFS[1]:
                return False
            b = b.base
        elif type(b).__name__ == "_MemInfo":  # numba's owner of the memory
            return sys.getrefcount(b) <= _SOLE_REFS[1]
        else:
            return False
    return True


def _top_refs(a: Any) -> int:
    return sys.getrefcount(a)


def _calibrate() -> tuple[int, int]:
    """The reference counts `_exclusive` sees for an array held only by one local of its
    caller (as in Plan.run), and for a base held only by its view."""
    a = np.empty(4).reshape(2, 2)
    top = _top_refs(a)
    b = a.base
    return top, sys.getrefcount(b)


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
        self.stats = {
            "nodes": len(graph.nodes),
            "steps": 0,
            "pruned": 0,
            "folded": 0,
            "merged": 0,
            "fused": 0,
            "donating": 0,
        }
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
                # Constant folding: every input known now (or only its static shape
                # matters and is fully known).
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
            steps.append(
                [node.opdef.kernel, in_slots, out_slots, node.attrs, (), node, single, node.type]
            )
        output_slots = [slot_of[id(t)] if id(t) in slot_of else None for t in outputs]
        for i, t in enumerate(outputs):
            if output_slots[i] is None:
                raise ValueError(f"Output {t!r} is not part of graph {graph.name}.")
        keep = set(output_slots)
        steps = self._fuse(steps, keep)
        # Release each buffer after its last use (never inputs' caller-owned arrays
        # matter: dropping our reference is all freeing means).
        last_use: dict[int, int] = {}
        for i, st in enumerate(steps):
            for s in st[1]:
                last_use[s] = i
            for s in st[2]:
                last_use.setdefault(s, i)  # an unused output dies right away
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
        # What the run loop executes: per step, the kernel with its attrs bound, the
        # input slots unrolled for one and two inputs, and the in-place kernel when the
        # first input's buffer may be donated (its last use, and not fed, kept or constant).
        inplace = _registry()[0] if donation_enabled else {}
        fixed = set(input_slots) | set(constants) | keep
        fast = []
        for i, (kernel, ins, outs, attrs, free, node, single, key) in enumerate(steps):
            donate = None
            if ins and key in inplace:
                s0 = ins[0]
                if last_use[s0] == i and s0 not in fixed and ins.count(s0) == 1:
                    donate = _bind(inplace[key], attrs)
                    self.stats["donating"] += 1
            n = len(ins)
            fast.append(
                (
                    _bind(kernel, attrs),
                    ins,
                    n,
                    ins[0] if n else 0,
                    ins[1] if n > 1 else 0,
                    outs[0] if single else -1,
                    outs,
                    free,
                    donate,
                    node,
                )
            )
        self._fast = fast

    def _fuse(self, steps: list, keep: set) -> list:
        """Replaces a producer/consumer pair with one fused step where the producer's only
        output feeds only the consumer (nn_ops.FUSED_KERNELS, e.g. BiasAdd -> Relu), whose
        inputs are what the fusion's pattern says: the producer's output ("out") or one of
        the producer's own inputs (its index)."""
        fusions = _registry()[1] if fusion_enabled else {}
        if not fusions:
            return steps
        users: dict[int, list[int]] = {}
        for i, st in enumerate(steps):
            for s in st[1]:
                users.setdefault(s, []).append(i)
        dropped: set[int] = set()
        for i, st in enumerate(steps):
            if i in dropped or not st[6] or len(st[2]) != 1:
                continue
            out = st[2][0]
            use = users.get(out, ())
            if len(use) != 1 or out in keep:
                continue
            j = use[0]
            nxt = steps[j]
            fused = fusions.get((st[7], nxt[7]))
            if fused is None or nxt[3] or not nxt[6] or j in dropped:
                continue
            name, kernel = fused[:2]
            pattern = fused[2] if len(fused) > 2 else ("out",)
            wanted = tuple(out if r == "out" else st[1][r] for r in pattern)
            if nxt[1] != wanted:
                continue
            steps[i] = [kernel, st[1], nxt[2], st[3], (), st[5], True, name]
            dropped.add(j)
            self.stats["fused"] += 1
        return [st for i, st in enumerate(steps) if i not in dropped]

    @staticmethod
    def _try_fold(node: Node, in_slots: tuple, constants: dict) -> tuple | None:
        if any(getattr(v, "_is_graph_function", False) for v in node.attrs.values()):
            return None
        known = [o._value for o in node.outputs]
        if all(v is not None for v in known) and node.outputs:
            return tuple(known)
        if not in_slots:
            return None
        if any(t._dtype is dtypes.resource for t in node.inputs):
            return None
        args = []
        by_shape = False
        for k, (s, t) in enumerate(zip(in_slots, node.inputs)):
            if s in constants:
                args.append(constants[s])
                continue
            stand_in = _shape_stand_in(node.opdef.name, k, t) if shape_folding_enabled else None
            if stand_in is None:
                return None
            args.append(stand_in)
            by_shape = True
        try:
            with np.errstate(all="ignore"):
                out = node.opdef.kernel(*args, **node.attrs)
        except Exception:  # noqa: BLE001 - leave the failure to run time, with context
            return None
        outs = (out,) if node.opdef.num_outputs == 1 else tuple(out)
        if by_shape and not all(_small_or_broadcast(o) for o in outs):
            return None  # a large constant would be held for the plan's lifetime
        return outs

    def run(self, args: Sequence[Any]) -> list:
        """Runs the plan on input arrays; returns the output arrays."""
        adapt_blas_threads()
        slots = list(self._template)
        for s, a in zip(self._input_slots, args):
            if slots[s] is None:
                slots[s] = a
        if step_hooks:
            return self._run_hooked(slots)
        for kernel, ins, n, a0, a1, out, outs, free, donate, node in self._fast:
            try:
                if donate is not None:
                    r = None  # may be the previous step's result: this buffer
                    a = slots[a0]
                    slots[a0] = None  # its last use: only `a` may hold it now
                    if _exclusive(a):
                        kernel = donate
                    if n == 1:
                        r = kernel(a)
                    elif n == 2:
                        r = kernel(a, slots[a1])
                    else:
                        r = kernel(a, *[slots[i] for i in ins[1:]])
                    del a
                elif n == 2:
                    r = kernel(slots[a0], slots[a1])
                elif n == 1:
                    r = kernel(slots[a0])
                else:
                    r = kernel(*[slots[i] for i in ins])
            except Exception as e:  # noqa: BLE001 - re-raised with the node's context
                if donate is not None:
                    slots[a0] = a
                raise _explain(node, [slots[i] for i in ins], e) from None
            if out >= 0:
                slots[out] = r
            elif outs:  # ops with no outputs (in-place updates) return None
                for s, v in zip(outs, r):
                    slots[s] = v
            for s in free:
                slots[s] = None
        return [slots[s] for s in self._output_slots]

    def _run_hooked(self, slots: list) -> list:
        """The plain loop (no donation) that calls `step_hooks` after every step."""
        for kernel, ins, outs, attrs, free, node, single, _ in self._steps:
            try:
                r = kernel(*[slots[i] for i in ins], **attrs)
            except Exception as e:  # noqa: BLE001 - re-raised with the node's context
                raise _explain(node, [slots[i] for i in ins], e) from None
            if single:
                slots[outs[0]] = r
            elif outs:
                for s, v in zip(outs, r):
                    slots[s] = v
            for s in free:
                slots[s] = None
            for h in step_hooks:
                h(node, slots)
        return [slots[s] for s in self._output_slots]


# Inputs that ops read only for their static shape and dtype (the value never matters):
# op type -> input indices. With the shape fully known such an input does not stop
# constant folding (TF's grappler materializes shapes the same way): the gradient seeds
# of a loss (OnesLike of a scalar, spread by BroadcastLike over the batch) become
# constants instead of three ops per step, and a mean written as sum / size (Keras'
# losses) divides by a constant.
SHAPE_ONLY_INPUTS: dict[str, tuple[int, ...]] = {
    "OnesLike": (0,),
    "ZerosLike": (0,),
    "BroadcastLike": (1,),
    "ReduceToLike": (1,),
    "Shape": (0,),
    "Size": (0,),
    "Rank": (0,),
}

# A constant folded from static shapes is kept only if it is at most this big or a
# zero-stride broadcast view (which costs no memory).
_SHAPE_FOLD_LIMIT_BYTES = 1 << 16


def _shape_stand_in(op_type: str, index: int, t: SymbolicTensor) -> np.ndarray | None:
    """A zero-stride array with `t`'s static shape and dtype, standing in for its value
    where `op_type` reads only the shape of input `index`; None if that is not so."""
    if index not in SHAPE_ONLY_INPUTS.get(op_type, ()):
        return None
    dims = t._dims
    if dims is None or any(d is None for d in dims):
        return None
    try:
        dt = np.dtype(t._dtype.as_numpy_dtype)
    except Exception:  # noqa: BLE001 - resource, variant, ...: no stand-in
        return None
    if dt.kind not in "biufc":
        return None
    return np.broadcast_to(np.zeros((), dt), dims)


def _small_or_broadcast(a: Any) -> bool:
    if not isinstance(a, np.ndarray):
        return True
    return a.nbytes <= _SHAPE_FOLD_LIMIT_BYTES or not any(a.strides)


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


_SOLE_REFS = _calibrate()
