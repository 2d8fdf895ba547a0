"""Graph functions: a traced graph with flat inputs and outputs, callable as one op.

`trace_graph_function(fn, specs)` runs `fn` on placeholders under a new graph. Calling a
GraphFunction goes through `execute("StatefulPartitionedCall" / "PartitionedCall")`, so
eagerly its compiled plan runs, inside another trace it becomes one node, and tapes record
it like any op. Its gradient differentiates the graph: the backward graph replays the
forward nodes under a tape and asks that tape for the gradients, then it is itself called
as a graph function (so second derivatives work the same way).

A call made while a tape records also returns the values of the stateful nodes the
outputs depend on (variable reads, random draws) and the saved values of nested calls,
cond branches and loops (a loop's per-iteration history); the backward graph uses those
instead of reading, drawing or looping again, so a gradient sees exactly what the
forward pass saw, however deeply the stateful node is nested. While tracing, a call of
a function with such values declares them as extra outputs ("lazy": computed only while
an enclosing recorded call runs), so every enclosing function can save them too.
"""

from __future__ import annotations

import contextlib
import threading
from typing import Any
from collections.abc import Callable, Iterator, Sequence

import numpy as np

from ndflow._src.core import dtypes
from ndflow._src.core.context import ctx, graph_scope
from ndflow._src.framework.execute import execute
from ndflow._src.framework.op_registry import register_op
from ndflow._src.framework.tensor import Tensor
from ndflow._src.graph.executor import Plan, _needed_nodes, lift_value
from ndflow._src.graph.graph import Graph, SymbolicTensor, foldable


def differentiable(dtype: dtypes.DType) -> bool:
    return (
        dtype.is_floating or dtype.is_complex or dtype is dtypes.resource or dtype is dtypes.variant
    )


@contextlib.contextmanager
def tracing_scope(graph: Graph) -> Iterator[Graph]:
    """Makes `graph` current with no active tapes (outer tapes must not see trace-time
    ops; the function call op is what they record)."""
    saved = ctx.tapes
    ctx.tapes = []
    try:
        with graph_scope(graph):
            yield graph
    finally:
        ctx.tapes = saved


class GraphFunction:
    """A graph with flat `inputs` (its own placeholders), `captured` outside tensors (fed
    after the inputs) and flat `outputs`."""

    def __init__(
        self,
        graph: Graph,
        inputs: Sequence[SymbolicTensor],
        outputs: Sequence[SymbolicTensor],
        name: str | None = None,
    ) -> None:
        self.graph = graph
        self.name = name or graph.name
        self.arg_inputs = list(inputs)
        caps = graph.captures
        self.captured = [ext for ext, _ in caps]
        self.inputs = self.arg_inputs + [ph for _, ph in caps]
        self.outputs = list(outputs)
        needed = _needed_nodes(graph, self.outputs)
        self.stateful = any(_effectful(n) and id(n) in needed for n in graph.nodes)
        self._plan: Plan | None = None
        self._backward: dict = {}
        self._output_deps: set | None = None
        self._side: list | None = None
        self._exposed_plan: Plan | None = None
        self._saved_fn: GraphFunction | None = None

    @property
    def plan(self) -> Plan:
        if self._plan is None:
            self._plan = Plan(self.graph, self.inputs, self.outputs)
        return self._plan

    def run_arrays(self, arrays: Sequence[Any]) -> list:
        return self.plan.run(arrays)

    _is_graph_function = True

    def output_deps(self) -> set:
        """Ids of the nodes the outputs depend on (stateful side effects excluded)."""
        if self._output_deps is None:
            deps: set[int] = set()
            stack = [o._node for o in self.outputs]
            while stack:
                n = stack.pop()
                if id(n) in deps:
                    continue
                deps.add(id(n))
                stack.extend(t._node for t in n.inputs)
            self._output_deps = deps
        return self._output_deps

    def read_variables(self) -> list:
        """The variables this function captures (by their resource handles)."""
        out = []
        for ext in self.captured:
            if ext._dtype is dtypes.resource and ext._value is not None:
                out.append(ext._value.var)
        return out

    def __call__(self, args: Sequence[Tensor]) -> tuple:
        return call_function(self, args)

    # ------------------------------------------------------------------ gradients
    def side_outputs(self) -> list:
        """The values a gradient needs that must not be recomputed: outputs of the
        stateful nodes the outputs depend on (variable reads, random draws), and the
        saved values of nested calls, cond branches and loops (their own side outputs,
        a loop's per-iteration history), in program order. A call under a tape returns
        them too, so the gradient uses the values the forward pass saw instead of
        drawing or reading again, and never reruns a loop."""
        if self._side is None:
            deps = self.output_deps()
            side = []
            for n in self.graph.nodes:
                if id(n) not in deps or n.opdef is None:
                    continue
                if _has_function_attr(n):
                    side.extend(exposed_side(n))
                elif _effectful(n):
                    side.extend(n.outputs)
            self._side = side
        return self._side

    def saved_fn(self) -> GraphFunction:
        """This function re-expressed on (inputs, side-output values): stateful nodes
        take the given values, so it is a pure function (its gradient still reaches the
        variables read). Used to replay a cond branch from what the forward pass saw."""
        if self._saved_fn is None:
            g = Graph(self.name + "_saved", outer=ctx.graph)
            with tracing_scope(g):
                phs = [g.add_input(t._dtype, t._dims, "x") for t in self.inputs]
                for ph, t in zip(phs, self.inputs):
                    if t._dtype is dtypes.resource:
                        ph._value = t._value
                side_in = [g.add_input(o._dtype, o._dims, "saved") for o in self.side_outputs()]
                outs, _ = replay_saved(self, phs, side_in)
                flat = [_own(g, o) for o in outs]
            self._saved_fn = GraphFunction(g, phs + side_in, flat, self.name + "_saved")
        return self._saved_fn

    @property
    def exposed_plan(self) -> Plan:
        if self._exposed_plan is None:
            self._exposed_plan = Plan(self.graph, self.inputs, self.outputs + self.side_outputs())
        return self._exposed_plan

    def backward(self, mask: tuple, saved: bool = False) -> tuple[GraphFunction, list[int]]:
        """The gradient function for output-gradient pattern `mask` (True where an output
        has a gradient; with `saved`, the side outputs follow the outputs, missing
        entries meaning False): inputs are this function's inputs, then (with `saved`)
        the side outputs of the forward call, then the given gradients; outputs the
        gradients of the inputs listed in the returned index list."""
        n_all = len(self.outputs) + (len(self.side_outputs()) if saved else 0)
        mask = tuple(mask[:n_all]) + (False,) * (n_all - len(mask))
        hit = self._backward.get((mask, saved))
        if hit is not None:
            return hit
        from ndflow._src.autodiff.tape import GradientTape

        g = Graph(self.name + "_grad", outer=ctx.graph)
        with tracing_scope(g):
            phs = [g.add_input(t._dtype, t._dims, "x") for t in self.inputs]
            for ph, t in zip(phs, self.inputs):
                if t._dtype is dtypes.resource:
                    ph._value = t._value  # the same variable: shape rules need it
            sides = self.side_outputs() if saved else []
            side_in = [g.add_input(o._dtype, o._dims, "saved") for o in sides]
            grads_in = [
                g.add_input(o._dtype, o._dims, "dy")
                for o, m in zip(self.outputs + sides, mask)
                if m
            ]
            tape = GradientTape(watch_accessed_variables=False)
            with tape:
                for ph in phs:
                    if differentiable(ph._dtype):
                        tape.watch(ph)
                if saved:
                    outs, side_new = replay_saved(self, phs, side_in)
                else:
                    outs, side_new = replay(self, phs), []
            targets = [o for o, m in zip(outs + side_new, mask) if m]
            src = [i for i, ph in enumerate(phs) if differentiable(ph._dtype)]
            grads = [None] * len(phs)
            if targets and src:
                found = tape.gradient(targets, [phs[i] for i in src], output_gradients=grads_in)
                for i, gr in zip(src, found):
                    grads[i] = gr
            indices = [i for i, gr in enumerate(grads) if gr is not None]
            flat = [_own(g, grads[i]) for i in indices]
        bf = GraphFunction(g, phs + side_in + grads_in, flat)
        self._backward[(mask, saved)] = (bf, indices)
        return bf, indices


def _own(g: Graph, t: Tensor) -> SymbolicTensor:
    if isinstance(t, SymbolicTensor) and t._node.graph is g:
        return t
    return g.capture(t)


def _effectful(node: Any) -> bool:
    """Stateful, or a random draw: what must run every call and never be recomputed."""
    return node.opdef is not None and not foldable(node.opdef)


def _has_function_attr(node: Any) -> bool:
    return any(getattr(v, "_is_graph_function", False) for v in node.attrs.values())


# Nodes that run graph functions and, when exposed, also return saved values.
_CALL_OPS = ("StatefulPartitionedCall", "PartitionedCall")
_IF_OPS = ("If", "StatelessIf")
_WHILE_OPS = ("While", "StatelessWhile")


def exposed_side(node: Any) -> list:
    """The outputs of a function-running node that are saved values (empty unless the
    node was built to expose them): a call's or cond's side outputs, and for a loop
    every output (its results and per-iteration history), so a replay never reruns it."""
    name = node.opdef.name
    if name in _WHILE_OPS:
        return list(node.outputs) if node.attrs.get("hist") else []
    if not node.attrs.get("expose"):
        return []
    if name in _CALL_OPS:
        return list(node.outputs[len(node.attrs["f"].outputs) :])
    if name in _IF_OPS:
        return list(node.outputs[len(node.attrs["then_branch"].outputs) :])
    return []


def _eager_attrs(node: Any) -> dict:
    """A replayed node's attrs: saved values a gradient reads are always computed."""
    attrs = node.attrs
    if attrs.get("expose") == "lazy":
        attrs = dict(attrs, expose=True)
    if attrs.get("hist") == "lazy":
        attrs = dict(attrs, hist=True)
    return attrs


def replay(
    f: GraphFunction, new_inputs: Sequence[Tensor], saved: Sequence[Tensor] | None = None
) -> list:
    """Re-runs `f`'s nodes (those its outputs need) through execute() on `new_inputs`;
    returns the new outputs. Tapes see every op. With `saved` (values of
    `f.side_outputs()`), stateful nodes take those values instead of running again;
    a saved variable read still passes its gradient to the variable."""
    if saved is not None:
        return replay_saved(f, new_inputs, saved)[0]
    m: dict[int, Tensor] = {id(ph): t for ph, t in zip(f.inputs, new_inputs)}
    needed = f.output_deps()
    for node in f.graph.nodes:
        if node.opdef is None or id(node) not in needed:
            continue
        ins = [m[id(t)] for t in node.inputs]
        out = execute(node.opdef.name, ins, _eager_attrs(node))
        outs = out if isinstance(out, tuple) else (out,)
        for old, new in zip(node.outputs, outs):
            m[id(old)] = new
    return [m[id(o)] for o in f.outputs]


def replay_saved(
    f: GraphFunction, new_inputs: Sequence[Tensor], saved: Sequence[Tensor]
) -> tuple[list, list]:
    """`replay` from the values of `f.side_outputs()`: variable reads and random draws
    take them; a nested call is replayed inline from its own saved values, a cond runs
    its branches' `saved_fn`s, a loop is not rerun (a `WhileReplay` node passes its
    saved results and history through and differentiates from them). Returns the new
    outputs and the side outputs as the replay sees them (a saved read is still
    connected to its variable, a loop's results to its inputs)."""
    m: dict[int, Tensor] = {id(ph): t for ph, t in zip(f.inputs, new_inputs)}
    side = {id(o): t for o, t in zip(f.side_outputs(), saved)}
    needed = f.output_deps()
    for node in f.graph.nodes:
        if node.opdef is None or id(node) not in needed:
            continue
        ins = [m[id(t)] for t in node.inputs]
        name = node.opdef.name
        if _has_function_attr(node):
            mine = exposed_side(node)
            if mine:
                _replay_function_node(node, ins, [side[id(o)] for o in mine], m)
                continue
        elif node.outputs and id(node.outputs[0]) in side:
            if name == "ReadVariableOp":
                m[id(node.outputs[0])] = execute(
                    "ReadVariableSaved", (ins[0], side[id(node.outputs[0])])
                )
            else:
                for o in node.outputs:
                    m[id(o)] = side[id(o)]
            continue
        out = execute(name, ins, _eager_attrs(node))
        outs = out if isinstance(out, tuple) else (out,)
        for old, new in zip(node.outputs, outs):
            m[id(old)] = new
    return [m[id(o)] for o in f.outputs], [m[id(o)] for o in f.side_outputs()]


def _replay_function_node(node: Any, ins: list, saved: list, m: dict) -> None:
    name = node.opdef.name
    if name in _CALL_OPS:
        inner: GraphFunction = node.attrs["f"]
        outs, sides = replay_saved(inner, ins, saved)
        for old, new in zip(node.outputs, outs + sides):
            m[id(old)] = new
        return
    if name in _IF_OPS:
        tb: GraphFunction = node.attrs["then_branch"]
        eb: GraphFunction = node.attrs["else_branch"]
        nt, nts = len(tb.inputs), len(tb.side_outputs())
        tsf, esf = tb.saved_fn(), eb.saved_fn()
        if_ins = (
            [ins[0]] + ins[1 : 1 + nt] + saved[:nts] + tsf.captured
            + ins[1 + nt :] + saved[nts:] + esf.captured
        )  # fmt: skip
        out = execute("StatelessIf", if_ins, {"then_branch": tsf, "else_branch": esf})
        k = len(tb.outputs)
        for old, new in zip(node.outputs[:k], out):
            m[id(old)] = new
        for old, new in zip(node.outputs[k:], saved):
            m[id(old)] = new
        return
    # A loop: its results and history pass through; its gradient reads the history.
    out = execute("WhileReplay", ins + saved, dict(node.attrs, hist=True))
    for old, new in zip(node.outputs, out):
        m[id(old)] = new


def trace_graph_function(
    fn: Callable, specs: Sequence[tuple], name: str = "fn", outer: Graph | None = None
) -> tuple[GraphFunction, Any]:
    """Traces `fn(*placeholders)` where specs are (dtype, dims); returns the function
    and `fn`'s raw (structured) result. Output leaves become graph tensors."""
    from ndflow._src.core import nest
    from ndflow._src.framework.constant import convert_to_tensor

    g = Graph(name, outer=outer if outer is not None else ctx.graph)
    with tracing_scope(g):
        phs = [g.add_input(dt, dims, "x") for dt, dims in specs]
        result = fn(*phs)
        flat = nest.flatten(result)
        outs = []
        for leaf in flat:
            if leaf is None:  # a None leaf stays None (no output)
                continue
            t = leaf if isinstance(leaf, Tensor) else convert_to_tensor(leaf)
            outs.append(_own(g, t))
    return GraphFunction(g, phs, outs, name), result


# ---------------------------------------------------------------------------- call op


_saving_state = threading.local()


def saving() -> bool:
    """Whether the running graph's saved values are wanted: inside the plan of a call a
    tape records. Nodes built to expose saved values lazily compute them only then."""
    return getattr(_saving_state, "on", False)


@contextlib.contextmanager
def saving_scope() -> Iterator[None]:
    prev = saving()
    _saving_state.on = True
    try:
        yield
    finally:
        _saving_state.on = prev


def filler(t: Any) -> Any:
    """A stand-in value for a saved value that was not computed (a branch not taken)."""
    dims = () if t._dims is None else tuple(0 if d is None else d for d in t._dims)
    if t._dtype is dtypes.variant or t._dtype is dtypes.resource:
        return np.empty((), dtype=object)
    return np.zeros(dims, t._dtype._np)


def _call_kernel(*arrays: Any, f: GraphFunction, expose: Any = False) -> tuple:
    if expose:
        if expose == "lazy" and not saving():
            return tuple(f.run_arrays(arrays)) + (None,) * len(f.side_outputs())
        with saving_scope():
            return tuple(f.exposed_plan.run(arrays))
    return tuple(f.run_arrays(arrays))


def _call_shape(inputs: list, attrs: dict) -> list:
    f = attrs["f"]
    outs = f.outputs + f.side_outputs() if attrs.get("expose") else f.outputs
    return [(o._dims, o._dtype) for o in outs]


def is_zero(g: Any) -> bool:
    """Whether gradient `g` is None or known to be zero (the tape fills the unused
    outputs of a multi-output op with zeros)."""
    if g is None:
        return True
    if isinstance(g, SymbolicTensor):
        node = g._node
        if node.opdef is not None and node.opdef.name == "ZerosLike":
            return True
        v = g._value
    else:
        v = g._value
    if v is None:
        return False
    v = np.asarray(v)
    if v.dtype == object:
        from ndflow._src.graph.tensor_array import _as_items

        return not any(x is not None for x in _as_items(v))
    return v.size < 65536 and not v.any()


def _call_grad(op: Any, *grads: Any) -> list:
    f: GraphFunction = op.get_attr("f")
    expose = bool(op.attrs.get("expose"))
    n = len(f.outputs)
    saved = list(op.outputs[n:]) if expose else []
    mask = tuple(g is not None for g in grads[:n])
    if expose:
        mask += tuple(not is_zero(g) for g in grads[n:])
    bf, indices = f.backward(mask, expose)
    result: list = [None] * len(op.inputs)
    if not indices:
        return result
    given = [g for g, m in zip(grads, mask) if m]
    outs = call_function(bf, list(op.inputs) + saved + given)
    for i, o in zip(indices, outs):
        result[i] = o
    return result


register_op(
    "StatefulPartitionedCall", _call_kernel, _call_shape, _call_grad, num_outputs=-1, stateful=True
)
register_op("PartitionedCall", _call_kernel, _call_shape, _call_grad, num_outputs=-1)
# A variable read replayed from the value the forward pass saw: the gradient still
# reaches the variable (its resource handle).
register_op(
    "ReadVariableSaved",
    lambda handle, value: value,
    lambda inputs, attrs: [(inputs[1].shape._dims, inputs[1].dtype)],
    lambda op, g: (g, None),
)


def watch_variables_read(f: GraphFunction) -> None:
    """Active tapes watch the trainable variables `f` reads, as if read eagerly."""
    for var in f.read_variables():
        for tape in ctx.tapes:
            if tape._watch_accessed_variables and var._trainable:
                tape._watch_variable(var)


def call_function(f: GraphFunction, args: Sequence[Tensor]) -> tuple:
    """Calls `f` on flat tensors `args` (its captures are added); returns a tuple.

    Under a tape the call also returns `f`'s side outputs (kept for the gradient);
    while tracing, a call of a function that has side outputs always declares them
    ("lazy": computed only when an enclosing call is recorded), so the enclosing
    function can save them too."""
    if ctx.tapes:
        watch_variables_read(f)
    op = "StatefulPartitionedCall" if f.stateful else "PartitionedCall"
    if f.side_outputs() and (ctx.tapes or ctx.graph is not None):
        expose = True if ctx.tapes else "lazy"
        out = execute(op, list(args) + f.captured, {"f": f, "expose": expose})
        return out[: len(f.outputs)]
    out = execute(op, list(args) + f.captured, {"f": f})
    return out


def _install_lift_hook() -> None:
    from ndflow._src.variables import variable

    if lift_value not in variable._lift_hooks:
        variable._lift_hooks.append(lift_value)


_install_lift_hook()
