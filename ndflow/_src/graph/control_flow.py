"""Control flow: tf.cond, tf.case, tf.switch_case and tf.while_loop.

Eagerly they are plain Python (tapes see the ops that ran). While tracing, each branch,
condition and body is traced into its own graph function, and one node (`If` /
`StatelessIf`, `While` / `StatelessWhile`) runs the chosen branch's or the loop's plans.
Gradients: through `If` by an `If` of the branches' gradient functions; through `While`
by another `tf.while_loop` that applies the body's gradient function, last iteration
first, to the values the forward loop saved (each iteration's loop values and body side
outputs, kept when a tape records the loop or a call around it). The backward loop is an
ordinary differentiable loop, so higher derivatives work; the forward loop never reruns.

>>> import ndflow as tf
>>> tf.cond(tf.constant(3.0) > 2.0, lambda: tf.constant(1.0), lambda: tf.constant(0.0))
<tf.Tensor: shape=(), dtype=float32, numpy=1.0>
>>> tf.while_loop(lambda i: i < 10, lambda i: i * 2, [1])
[<tf.Tensor: shape=(), dtype=int32, numpy=16>]
"""

from __future__ import annotations

from typing import Any
from collections.abc import Callable, Sequence

import numpy as np

from ndflow._src.core import dtypes, nest
from ndflow._src.core.context import ctx
from ndflow._src.core.tensor_shape import TensorShape
from ndflow._src.framework.constant import convert_to_tensor
from ndflow._src.framework.execute import execute
from ndflow._src.framework.op_registry import register_op
from ndflow._src.framework.tensor import Tensor, VariableBase
from ndflow._src.graph.func_graph import (
    GraphFunction,
    call_function,
    differentiable,
    filler,
    is_zero,
    saving,
    saving_scope,
    trace_graph_function,
    watch_variables_read,
)
from ndflow._src.graph.graph import SymbolicTensor
from ndflow._src.ops import math_ops

# ---------------------------------------------------------------------------- helpers


def _to_tensor(x: Any) -> Tensor:
    if isinstance(x, Tensor):
        return x
    if isinstance(x, VariableBase):
        return x.value()
    return convert_to_tensor(x)


def _merge_dims(a: Any, b: Any) -> Any:
    """The most specific shape compatible with both (None where they differ)."""
    if a is None or b is None or len(a) != len(b):
        return None
    return tuple(x if x == y else None for x, y in zip(a, b))


def _pred_tensor(pred: Any) -> Tensor:
    p = _to_tensor(pred)
    if p.dtype is not dtypes.bool:
        raise TypeError(f"pred must be a tf.bool tensor; got {p.dtype.name}: {p!r}")
    if p.shape.rank not in (None, 0):
        raise ValueError(
            f"Shape must be rank 0 but is rank {p.shape.rank} for 'cond' (pred: {p!r})"
        )
    return p


# ---------------------------------------------------------------------------- cond


def _if_kernel(
    pred: np.ndarray,
    *arrays: Any,
    then_branch: GraphFunction,
    else_branch: GraphFunction,
    expose: Any = False,
) -> tuple:
    # Inputs: each branch's inputs in order (a cond's branches take only captures).
    n = len(then_branch.inputs)
    taken, other = (then_branch, else_branch) if bool(pred) else (else_branch, then_branch)
    ins = arrays[:n] if bool(pred) else arrays[n:]
    if not expose:
        return tuple(taken.run_arrays(ins))
    if expose == "lazy" and not saving():
        n_side = len(then_branch.side_outputs()) + len(else_branch.side_outputs())
        return tuple(taken.run_arrays(ins)) + (None,) * n_side
    with saving_scope():
        res = taken.exposed_plan.run(ins)
    k = len(taken.outputs)
    outs, mine = list(res[:k]), list(res[k:])
    fill = [filler(t) for t in other.side_outputs()]
    return tuple(outs + (mine + fill if taken is then_branch else fill + mine))


def _if_shape(inputs: list, attrs: dict) -> list:
    t, e = attrs["then_branch"], attrs["else_branch"]
    out = [(_merge_dims(a._dims, b._dims), a._dtype) for a, b in zip(t.outputs, e.outputs)]
    if attrs.get("expose"):
        out += [(o._dims, o._dtype) for o in t.side_outputs() + e.side_outputs()]
    return out


def _if_grad(op: Any, *grads: Any) -> list:
    tb: GraphFunction = op.get_attr("then_branch")
    eb: GraphFunction = op.get_attr("else_branch")
    expose = bool(op.attrs.get("expose"))
    pred = op.inputs[0]
    n = len(tb.inputs)
    t_inputs = list(op.inputs[1 : 1 + n])
    e_inputs = list(op.inputs[1 + n :])
    k = len(tb.outputs)
    grads = grads[:k]
    t_saved: list = []
    e_saved: list = []
    if expose:
        nts = len(tb.side_outputs())
        t_saved = list(op.outputs[k : k + nts])
        e_saved = list(op.outputs[k + nts :])
    mask = tuple(g is not None for g in grads)
    given = [g for g in grads if g is not None]
    t_bf, t_idx = tb.backward(mask, expose)
    e_bf, e_idx = eb.backward(mask, expose)
    wanted = sorted(set(t_idx) | set(n + i for i in e_idx))
    if not wanted:
        return [None] * len(op.inputs)

    def branch(bf: GraphFunction, idx: list, inputs: list, offset: int) -> Callable:
        def fn() -> list:
            outs = call_function(bf, inputs + given)
            by_pos = {offset + i: o for i, o in zip(idx, outs)}
            res = []
            for w in wanted:
                if w in by_pos:
                    res.append(by_pos[w])
                else:
                    res.append(_zeros_for(op.inputs[1 + w]))
            return res

        return fn

    results = cond(
        pred,
        branch(t_bf, t_idx, t_inputs + t_saved, 0),
        branch(e_bf, e_idx, e_inputs + e_saved, n),
    )
    out: list = [None] * len(op.inputs)
    for w, r in zip(wanted, results):
        out[1 + w] = r
    return out


def _zeros_for(t: Tensor) -> Tensor:
    if t.dtype is dtypes.resource:
        return math_ops.zeros_like(execute("ReadVariableOp", (t,)))
    return math_ops.zeros_like(t)


register_op("If", _if_kernel, _if_shape, _if_grad, num_outputs=-1, stateful=True)
register_op("StatelessIf", _if_kernel, _if_shape, _if_grad, num_outputs=-1)


def cond(
    pred: Any,
    true_fn: Callable | None = None,
    false_fn: Callable | None = None,
    name: str | None = None,
) -> Any:
    """`tf.cond`: `true_fn()` if `pred` else `false_fn()`.

    While tracing, both branches are traced (their Python side effects run) and must
    return the same structure and dtypes; only the chosen one runs.

    >>> import ndflow as tf
    >>> tf.cond(tf.constant(False), lambda: tf.constant(1), lambda: tf.constant(2))
    <tf.Tensor: shape=(), dtype=int32, numpy=2>
    """
    if true_fn is None or not callable(true_fn):
        raise TypeError("'true_fn' must be callable.")
    if false_fn is None or not callable(false_fn):
        raise TypeError("'false_fn' must be callable.")
    if ctx.graph is None:
        p = pred if isinstance(pred, (bool, np.bool_)) else _pred_tensor(pred)
        return true_fn() if bool(p) else false_fn()
    p = _pred_tensor(pred)
    tb, t_res = trace_graph_function(lambda: true_fn(), [], "cond_true")
    eb, e_res = trace_graph_function(lambda: false_fn(), [], "cond_false")
    try:
        nest.assert_same_structure(t_res, e_res, check_types=False)
        if [x is None for x in nest.flatten(t_res)] != [x is None for x in nest.flatten(e_res)]:
            raise ValueError("one branch returns None where the other returns a value")
    except (ValueError, TypeError) as e:
        raise ValueError(
            "true_fn and false_fn arguments to tf.cond must have the same number, type, and "
            f"overall structure of return values.\n\ntrue_fn output: {t_res}\nfalse_fn output: "
            f"{e_res}\n\nError details:\n{e}"
        ) from None
    for a, b in zip(tb.outputs, eb.outputs):
        if a.dtype is not b.dtype:
            raise TypeError(
                f"true_fn and false_fn arguments to tf.cond must have the same dtypes: "
                f"true_fn returned {a.dtype.name} and false_fn returned {b.dtype.name}."
            )
    if ctx.tapes:
        watch_variables_read(tb)
        watch_variables_read(eb)
    op = "If" if (tb.stateful or eb.stateful) else "StatelessIf"
    attrs: dict = {"then_branch": tb, "else_branch": eb}
    if tb.side_outputs() or eb.side_outputs():
        # The branches' saved values (reads, draws, loop histories) are outputs too,
        # computed when a recorded call runs this graph, so a gradient reuses them.
        attrs["expose"] = True if ctx.tapes else "lazy"
    outs = execute(op, [p] + tb.captured + eb.captured, attrs)
    outs = outs[: len(tb.outputs)]
    it = iter(outs)
    flat = [None if leaf is None else next(it) for leaf in nest.flatten(t_res)]
    return nest.pack_sequence_as(t_res, flat)


# ---------------------------------------------------------------------------- case


def _pairs(branch_fns: Any) -> list:
    if isinstance(branch_fns, dict):
        items = sorted(branch_fns.items())
    else:
        items = list(branch_fns)
        if items and callable(items[0]):
            items = list(enumerate(items))
    for k, fn in items:
        if not callable(fn):
            raise TypeError(f"fn for branch {k} must be callable.")
    return items


def switch_case(
    branch_index: Any, branch_fns: Any, default: Callable | None = None, name: str = "switch_case"
) -> Any:
    """`tf.switch_case`: runs `branch_fns[branch_index]`; out of range runs `default`
    (the last branch when not given), as in TensorFlow.

    >>> import ndflow as tf
    >>> tf.switch_case(tf.constant(1), [lambda: 10, lambda: 20, lambda: 30])
    20
    """
    items = _pairs(branch_fns)
    if not items:
        raise ValueError("Must provide at least one item in branch_fns")
    if default is None:
        default = items[-1][1]
    if ctx.graph is None:
        idx = int(_to_tensor(branch_index))
        for k, fn in items:
            if k == idx:
                return _to_tensor_structure(fn())
        return _to_tensor_structure(default())
    idx = _to_tensor(branch_index)

    def chain(i: int) -> Any:
        if i == len(items):
            return default()
        k, fn = items[i]
        return cond(_equal(idx, k), fn, lambda: chain(i + 1))

    return chain(0)


def _equal(x: Tensor, k: int) -> Tensor:
    ge = math_ops.greater_equal(x, k)
    le = math_ops.less_equal(x, k)
    from ndflow._src.ops import array_ops

    return array_ops.where(ge, le, ge)  # ge and le, with the ops this layer has


def _to_tensor_structure(x: Any) -> Any:
    # Eagerly TF returns the branch's result as it is (Python values stay Python).
    return x


def case(
    pred_fn_pairs: Any,
    default: Callable | None = None,
    exclusive: bool = False,
    strict: bool = False,
    name: str = "case",
) -> Any:
    """`tf.case`: the result of the first `fn` whose `pred` holds, else `default()`.

    With no default, the last pair's fn is the default, as in TensorFlow. `exclusive`
    checks at run time that at most one predicate holds.

    >>> import ndflow as tf
    >>> x = tf.constant(5)
    >>> tf.case([(x < 3, lambda: 1), (x < 10, lambda: 2)], default=lambda: 3)
    2
    """
    if isinstance(pred_fn_pairs, dict):
        pairs = list(pred_fn_pairs.items())
    else:
        pairs = list(pred_fn_pairs)
    for p in pairs:
        if not isinstance(p, tuple) or len(p) != 2:
            raise TypeError(f"Each entry in pred_fn_pairs must be a 2-tuple. Received {p!r}.")
        if not callable(p[1]):
            raise TypeError(f"fn for pred {p[0]} must be callable.")
    if not pairs:
        if default is None:
            raise ValueError("Must provide at least one item in pred_fn_pairs")
        return _to_tensor_structure(default())
    if default is None:
        *pairs, (_, default) = pairs
    if exclusive and ctx.graph is None:
        preds = [bool(_pred_tensor(p)) for p, _ in pairs]
        if sum(preds) > 1:
            from ndflow._src.core import errors

            raise errors.InvalidArgumentError(
                None,
                None,
                f"Input error: exclusive=True: more than 1 conditions ({', '.join(str(p) for p, _ in pairs)}) evaluated as True",
            )
    if ctx.graph is None:
        for p, fn in pairs:
            if bool(_pred_tensor(p)):
                return _to_tensor_structure(fn())
        return _to_tensor_structure(default())

    def chain(i: int) -> Any:
        if i == len(pairs):
            return default()
        p, fn = pairs[i]
        return cond(p, fn, lambda: chain(i + 1))

    return chain(0)


# ---------------------------------------------------------------------------- while_loop


def _var_diff(t: Tensor) -> bool:
    return differentiable(t._dtype) and t._dtype is not dtypes.resource


def _while_run(
    arrays: Sequence[Any],
    n_vars: int,
    has_max: bool,
    cond_f: GraphFunction,
    body_f: GraphFunction,
    keep: list | None = None,
) -> list:
    """Runs the loop. With `keep`, appends each iteration's (loop values at entry,
    body side outputs) and runs the body's exposed plan."""
    vals = list(arrays[:n_vars])
    pos = n_vars
    max_iter = None
    if has_max:
        max_iter = int(arrays[pos])
        pos += 1
    nc = len(cond_f.captured)
    cond_caps = list(arrays[pos : pos + nc])
    body_caps = list(arrays[pos + nc :])
    plan = body_f.exposed_plan if keep is not None else body_f.plan
    i = 0
    while max_iter is None or i < max_iter:
        if not bool(cond_f.run_arrays(vals + cond_caps)[0]):
            break
        res = plan.run(vals + body_caps)
        if keep is not None:
            keep.append((vals, res[n_vars:]))
            res = res[:n_vars]
        vals = res
        i += 1
    return vals


def _n_hist(attrs: dict) -> int:
    return attrs["n_vars"] + len(attrs["body_f"].side_outputs())


def _while_kernel(
    *arrays: Any,
    cond_f: GraphFunction,
    body_f: GraphFunction,
    n_vars: int,
    has_max: bool,
    hist: Any = False,
) -> tuple:
    if not hist or (hist == "lazy" and not saving()):
        vals = _while_run(arrays, n_vars, has_max, cond_f, body_f)
        if not hist:
            return tuple(vals)
        return tuple(vals) + (None,) * (n_vars + len(body_f.side_outputs()))
    from ndflow._src.graph.tensor_array import _box

    history: list = []
    with saving_scope():
        vals = _while_run(arrays, n_vars, has_max, cond_f, body_f, keep=history)
    n_side = len(body_f.side_outputs())
    var_hist = [_box(tuple(h[0][k] for h in history)) for k in range(n_vars)]
    side_hist = [_box(tuple(h[1][s] for h in history)) for s in range(n_side)]
    return tuple(vals) + tuple(var_hist) + tuple(side_hist)


def _while_shape(inputs: list, attrs: dict) -> list:
    # The loop variables keep their (invariant) shapes, the body's placeholders'; with
    # `hist`, one list per loop variable (its value entering each iteration) and per
    # body side output (its value in each iteration) follows.
    out = [(i._dims, i._dtype) for i in attrs["body_f"].arg_inputs]
    if attrs.get("hist"):
        out += [((), dtypes.variant)] * _n_hist(attrs)
    return out


def _n_loop_inputs(attrs: dict) -> int:
    return (
        attrs["n_vars"]
        + (1 if attrs["has_max"] else 0)
        + len(attrs["cond_f"].captured)
        + len(attrs["body_f"].captured)
    )


def _while_grad(op: Any, *grads: Any) -> list:
    """The gradient of a loop as another loop, over the saved history: iteration t
    (last to first) reads the loop values entering forward iteration t (and the body's
    saved draws and reads) and applies the body's gradient function. Being a
    `while_loop` itself (with its own history), it can be differentiated again."""
    attrs = op.attrs
    body_f: GraphFunction = attrs["body_f"]
    n_vars = attrs["n_vars"]
    n_in = _n_loop_inputs(attrs)
    pos = n_in - len(body_f.captured)
    result: list = [None] * len(op.inputs)
    if "hist" not in attrs:
        # A loop built without history (a SavedModel from before loops kept it): run
        # it again here, keeping the history, and differentiate that run.
        if not any(g is not None for g in grads):
            return result
        attrs = dict(attrs, hist=True)
        outs = list(execute(op.type, list(op.inputs[:n_in]), attrs))
    elif not attrs["hist"]:  # back_prop=False
        return result
    else:
        outs = list(op.outputs)
    grads = tuple(grads) + (None,) * (len(outs) - len(grads))
    sides = body_f.side_outputs()
    finals = outs[:n_vars]
    var_hist = outs[n_vars : 2 * n_vars]
    side_hist = outs[2 * n_vars : 2 * n_vars + len(sides)]
    g_final = list(grads[:n_vars])
    g_hist = [None if is_zero(g) else g for g in grads[n_vars : 2 * n_vars]]
    var_diff = [_var_diff(t) for t in body_f.outputs]
    diff_vars = [k for k in range(n_vars) if var_diff[k]]
    body_caps = list(op.inputs[pos:n_in])
    diff_caps = [j for j, c in enumerate(body_f.captured) if differentiable(c._dtype)]
    live = [k for k in diff_vars if g_final[k] is not None or g_hist[k] is not None]
    if not live or not (diff_vars or diff_caps):
        return result
    bf, idx = body_f.backward(tuple(var_diff), True)
    if not idx:
        return result
    from ndflow._src.graph.tensor_array import TensorArray  # noqa: F401 (ops registered)

    init_g = [g_final[k] if g_final[k] is not None else _zero_grad(finals[k]) for k in diff_vars]
    init_c = [_zero_cap(op.inputs[pos + j]) for j in diff_caps]
    in_dims = [t._dims for t in body_f.arg_inputs]
    side_dims = [(o._dims, o._dtype) for o in sides]

    def bcond(i: Tensor, gv: list, gc: list) -> Tensor:
        return math_ops.greater_equal(i, 0)

    def bbody(i: Tensor, gv: list, gc: list) -> tuple:
        vals = [
            execute(
                "TensorListGetItem",
                (var_hist[k], i),
                {"dtype": finals[k]._dtype, "element_shape": in_dims[k]},
            )
            for k in range(n_vars)
        ]
        svals = [
            execute("TensorListGetItem", (h, i), {"dtype": dt, "element_shape": d})
            for h, (d, dt) in zip(side_hist, side_dims)
        ]
        res = call_function(bf, vals + body_caps + svals + list(gv))
        by = dict(zip(idx, res))
        new_gv = []
        for k in diff_vars:
            g = by.get(k)
            if g is None:
                g = _zero_grad(vals[k])
            if g_hist[k] is not None:
                g = math_ops.add(g, execute("TensorListGetItemOrZeros", (g_hist[k], i, vals[k])))
            new_gv.append(g)
        new_gc = []
        for c, j in zip(gc, diff_caps):
            g = by.get(n_vars + j)
            new_gc.append(c if g is None else math_ops.add(c, g))
        return i - 1, new_gv, new_gc

    length = execute("TensorListLength", (var_hist[0],))
    inv = (
        TensorShape(()),
        [TensorShape._from_tuple(in_dims[k]) for k in diff_vars],
        [TensorShape._from_tuple(c.shape._dims) for c in init_c],
    )
    _, gv, gc = while_loop(bcond, bbody, (length - 1, init_g, init_c), shape_invariants=inv)
    for k, g in zip(diff_vars, gv):
        result[k] = g
    for j, g in zip(diff_caps, gc):
        result[pos + j] = g
    return result


def _zero_grad(t: Tensor) -> Tensor:
    return math_ops.zeros_like(t)


def _zero_cap(x: Tensor) -> Tensor:
    """Zeros shaped like a body capture's gradient (a variable's value for a handle)."""
    if x._dtype is dtypes.resource:
        var = x._value.var
        dims = var._shape_dims
        if dims is not None and None not in dims:
            return convert_to_tensor(np.zeros(dims, var.dtype._np))
        return math_ops.zeros_like(execute("ReadVariableOp", (x,)))
    return math_ops.zeros_like(x)


def _while_replay_kernel(*arrays: Any, **attrs: Any) -> tuple:
    return tuple(arrays[_n_loop_inputs(attrs) :])


register_op("While", _while_kernel, _while_shape, _while_grad, num_outputs=-1, stateful=True)
register_op("StatelessWhile", _while_kernel, _while_shape, _while_grad, num_outputs=-1)
# A loop replayed by a gradient from what its forward run saved (results and history):
# its kernel passes them through; its gradient is the loop's.
register_op("WhileReplay", _while_replay_kernel, _while_shape, _while_grad, num_outputs=-1)


def _flatten_up_to(structure: Any, inv: Any) -> list:
    """The invariants matching `structure`'s leaves (a TensorShape or list is a leaf)."""
    out: list = []
    stack = [(structure, inv)]
    while stack:
        s, i = stack.pop()
        if isinstance(s, (list, tuple)) and not isinstance(i, TensorShape):
            if not isinstance(i, (list, tuple)) or len(i) != len(s):
                raise ValueError(
                    f"shape_invariants {inv!r} must have the same structure as loop_vars."
                )
            stack.extend(reversed(list(zip(s, i))))
        elif isinstance(s, dict):
            stack.extend(reversed([(s[k], i[k]) for k in sorted(s)]))
        else:
            out.append(i)
    return out


def _check_invariant(inp: Tensor, out: Tensor, inv: Any) -> None:
    inv_dims = inv
    out_dims = out.shape._dims
    ok = inv_dims is None or (
        out_dims is not None
        and len(out_dims) == len(inv_dims)
        and all(a is None or a == b for a, b in zip(inv_dims, out_dims))
    )
    if not ok:
        name = inp.name if isinstance(inp, SymbolicTensor) else "loop_var"
        raise ValueError(
            f"Input tensor '{name}' enters the loop with shape {TensorShape._from_tuple(inv_dims)}, "
            f"but has shape {out.shape} after one iteration. To allow the shape to vary across "
            "iterations, use the `shape_invariants` argument of tf.while_loop to specify a "
            "less-specific shape."
        )


def while_loop(
    cond: Callable,
    body: Callable,
    loop_vars: Any,
    shape_invariants: Any = None,
    parallel_iterations: int = 10,
    back_prop: bool = True,
    swap_memory: bool = False,
    maximum_iterations: Any = None,
    name: str | None = None,
) -> Any:
    """`tf.while_loop`: repeats `loop_vars = body(*loop_vars)` while `cond(*loop_vars)`.

    `loop_vars` is a (nested) tuple/list of tensors (and TensorArrays); the result has the
    same structure. `maximum_iterations` bounds the loop; `shape_invariants` lets a
    variable's shape change between iterations.

    >>> import ndflow as tf
    >>> i, s = tf.while_loop(lambda i, s: i < 4, lambda i, s: (i + 1, s + i), (0, 0))
    >>> int(s)
    6
    """
    from ndflow._src.graph.tensor_array import TensorArray

    if not callable(cond):
        raise TypeError("'cond' must be callable.")
    if not callable(body):
        raise TypeError("'body' must be callable.")
    packed = isinstance(loop_vars, (list, tuple))
    structure = loop_vars if packed else (loop_vars,)
    is_ta = lambda x: isinstance(x, TensorArray)  # noqa: E731

    def to_loop(x: Any) -> Any:
        return x if is_ta(x) else _to_tensor(x)

    structure = nest.map_structure(to_loop, structure)

    def call(fn: Callable, vals: Any) -> Any:
        return fn(*vals)

    def pack_body_result(res: Any) -> Any:
        # A body may return its single loop variable bare, as TF's graph mode allows.
        one = isinstance(res, (list, tuple)) and len(res) == 1
        if len(structure) == 1 and not one or not isinstance(res, (list, tuple)):
            res = [res] if isinstance(structure, list) else (res,)
        return res

    if ctx.graph is None:
        vals = structure
        i = 0
        max_iter = None if maximum_iterations is None else int(_to_tensor(maximum_iterations))
        while max_iter is None or i < max_iter:
            c = call(cond, vals)
            if not bool(c):
                break
            res = pack_body_result(call(body, vals))
            nest.assert_same_structure(res, vals, check_types=False)
            # Eagerly TF hands back the body's own containers (a list stays a list).
            vals = nest.map_structure(to_loop, res)
            i += 1
        return vals if packed else vals[0]

    # Tracing: flatten, TensorArrays to their flow tensors.
    flat = nest.flatten(structure)
    flow = [x.flow if is_ta(x) else x for x in flat]
    if shape_invariants is not None:
        inv_struct = shape_invariants if packed else (shape_invariants,)
        inv_flat = [
            t.shape._dims if s is None else TensorShape(s)._dims
            for t, s in zip(flow, _flatten_up_to(structure, inv_struct))
        ]
    else:
        inv_flat = [t.shape._dims for t in flow]
    specs = [(t.dtype, d) for t, d in zip(flow, inv_flat)]

    def rebuild(tensors: Sequence[Tensor]) -> Any:
        leaves = [x._with_flow(t) if is_ta(x) else t for x, t in zip(flat, tensors)]
        return nest.pack_sequence_as(structure, leaves)

    cond_f, _ = trace_graph_function(
        lambda *ts: _to_tensor(call(cond, rebuild(ts))), specs, "while_cond"
    )
    if cond_f.outputs[0].dtype is not dtypes.bool:
        raise TypeError("A tf.while_loop `cond` must return a boolean scalar tensor.")

    def body_flat(*ts: Tensor) -> list:
        res = pack_body_result(call(body, rebuild(ts)))
        try:
            nest.assert_same_structure(res, structure, check_types=False)
        except (ValueError, TypeError) as e:
            raise ValueError(
                f"The two structures don't have the same nested structure.\n\nFirst structure: "
                f"{structure}\n\nSecond structure: {res}\n\nMore specifically: {e}"
            ) from None
        leaves = nest.flatten(res)
        return [x.flow if is_ta(x) else _to_tensor(x) for x in leaves]

    body_f, _ = trace_graph_function(body_flat, specs, "while_body")
    for t, o, inv in zip(flow, body_f.outputs, inv_flat):
        if o.dtype is not t.dtype:
            raise TypeError(
                f"Loop var {t!r} enters the loop with type {t.dtype!r}, but has type "
                f"{o.dtype!r} after 1 iteration."
            )
        _check_invariant(t, o, inv)
    inputs = list(flow)
    has_max = maximum_iterations is not None
    if has_max:
        inputs.append(math_ops.cast(_to_tensor(maximum_iterations), dtypes.int32))
    inputs += cond_f.captured + body_f.captured
    if ctx.tapes:
        watch_variables_read(cond_f)
        watch_variables_read(body_f)
    op = "While" if (cond_f.stateful or body_f.stateful) else "StatelessWhile"
    attrs = {"cond_f": cond_f, "body_f": body_f, "n_vars": len(flow), "has_max": has_max}
    if back_prop and (
        any(_var_diff(o) for o in body_f.outputs)
        or any(differentiable(c._dtype) for c in body_f.captured)
    ):
        # Keep each iteration's values for the gradient: always under a tape, else
        # lazily (only when a recorded call runs this graph).
        attrs["hist"] = True if ctx.tapes else "lazy"
    elif not back_prop:
        attrs["hist"] = False  # no gradient
    outs = execute(op, inputs, attrs)
    outs = outs[: len(flow)]
    result = rebuild(list(outs))
    result = list(result) if isinstance(loop_vars, list) else tuple(result)
    return result if packed else result[0]
