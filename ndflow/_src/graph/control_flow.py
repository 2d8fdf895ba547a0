"""Control flow: tf.cond, tf.case, tf.switch_case and tf.while_loop.

Eagerly they are plain Python (tapes see the ops that ran). While tracing, each branch,
condition and body is traced into its own graph function, and one node (`If` /
`StatelessIf`, `While` / `StatelessWhile`) runs the chosen branch's or the loop's plans.
Gradients: through `If` by an `If` of the branches' gradient functions; through `While`
by `WhileGrad`, which reruns the loop keeping every iteration's values, then applies the
body's gradient function to them in reverse.

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
    pred: np.ndarray, *arrays: Any, then_branch: GraphFunction, else_branch: GraphFunction
) -> tuple:
    n = len(then_branch.captured)
    if bool(pred):
        return tuple(then_branch.run_arrays(arrays[:n]))
    return tuple(else_branch.run_arrays(arrays[n:]))


def _if_shape(inputs: list, attrs: dict) -> list:
    t, e = attrs["then_branch"], attrs["else_branch"]
    return [(_merge_dims(a._dims, b._dims), a._dtype) for a, b in zip(t.outputs, e.outputs)]


def _if_grad(op: Any, *grads: Any) -> list:
    tb: GraphFunction = op.get_attr("then_branch")
    eb: GraphFunction = op.get_attr("else_branch")
    pred = op.inputs[0]
    n = len(tb.captured)
    t_inputs = list(op.inputs[1 : 1 + n])
    e_inputs = list(op.inputs[1 + n :])
    mask = tuple(g is not None for g in grads)
    given = [g for g in grads if g is not None]
    t_bf, t_idx = tb.backward(mask)
    e_bf, e_idx = eb.backward(mask)
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

    results = cond(pred, branch(t_bf, t_idx, t_inputs, 0), branch(e_bf, e_idx, e_inputs, n))
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
    outs = execute(op, [p] + tb.captured + eb.captured, {"then_branch": tb, "else_branch": eb})
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


def _while_run(
    arrays: Sequence[Any],
    n_vars: int,
    has_max: bool,
    cond_f: GraphFunction,
    body_f: GraphFunction,
    keep: list | None = None,
) -> list:
    vals = list(arrays[:n_vars])
    pos = n_vars
    max_iter = None
    if has_max:
        max_iter = int(arrays[pos])
        pos += 1
    nc = len(cond_f.captured)
    cond_caps = list(arrays[pos : pos + nc])
    body_caps = list(arrays[pos + nc :])
    i = 0
    while max_iter is None or i < max_iter:
        if not bool(cond_f.run_arrays(vals + cond_caps)[0]):
            break
        if keep is not None:
            keep.append(vals)
        vals = body_f.run_arrays(vals + body_caps)
        i += 1
    return vals


def _while_kernel(
    *arrays: Any, cond_f: GraphFunction, body_f: GraphFunction, n_vars: int, has_max: bool
) -> tuple:
    return tuple(_while_run(arrays, n_vars, has_max, cond_f, body_f))


def _while_shape(inputs: list, attrs: dict) -> list:
    # The loop variables keep their (invariant) shapes, the body's placeholders'.
    return [(i._dims, i._dtype) for i in attrs["body_f"].arg_inputs]


def _while_grad(op: Any, *grads: Any) -> list:
    attrs = op.attrs
    body_f: GraphFunction = attrs["body_f"]
    n_vars = attrs["n_vars"]
    pos = n_vars + (1 if attrs["has_max"] else 0) + len(attrs["cond_f"].captured)
    # Which loop vars and body captures can carry a gradient.
    var_diff = [
        differentiable(t._dtype) and t._dtype is not dtypes.resource for t in body_f.outputs
    ]
    if not any(g is not None for g in grads) or not (any(var_diff) or body_f.captured):
        return [None] * len(op.inputs)
    mask = tuple(var_diff)
    bf, idx = body_f.backward(mask)
    given = [
        g if g is not None else math_ops.zeros_like(o)
        for g, o, d in zip(grads, op.outputs, var_diff)
        if d
    ]
    targets = [i for i in range(n_vars) if var_diff[i]] + [
        n_vars + j for j in range(len(body_f.captured)) if differentiable(body_f.captured[j]._dtype)
    ]
    outs = execute(
        "WhileGrad",
        list(op.inputs) + given,
        {
            "body_bf": bf,
            "bf_idx": tuple(idx),
            "targets": tuple(targets),
            "loop": dict(attrs),
            "out_specs": tuple(_grad_spec(op, body_f, t, n_vars, pos) for t in targets),
        },
    )
    result: list = [None] * len(op.inputs)
    for t, o in zip(targets, outs):
        result[t if t < n_vars else pos + (t - n_vars)] = o
    return result


def _grad_spec(op: Any, body_f: GraphFunction, t: int, n_vars: int, pos: int) -> tuple:
    x = op.inputs[t if t < n_vars else pos + (t - n_vars)]
    if x._dtype is dtypes.resource:
        var = x._value.var
        return (var._shape_dims, var.dtype)
    return (x.shape._dims, x._dtype)


def _while_grad_kernel(
    *arrays: Any,
    body_bf: GraphFunction,
    bf_idx: tuple,
    targets: tuple,
    loop: dict,
    out_specs: tuple,
) -> tuple:
    n_vars = loop["n_vars"]
    body_f: GraphFunction = loop["body_f"]
    n_in = (
        n_vars + (1 if loop["has_max"] else 0) + len(loop["cond_f"].captured) + len(body_f.captured)
    )
    fwd = arrays[:n_in]
    g_given = list(arrays[n_in:])
    history: list = []
    _while_run(fwd, n_vars, loop["has_max"], loop["cond_f"], body_f, keep=history)
    body_caps = list(fwd[n_in - len(body_f.captured) :])
    diff_vars = [i for i in range(n_vars) if i in targets]
    # Gradient w.r.t. the current loop values (dense for differentiable vars).
    g_vars = {i: g for i, g in zip(diff_vars, g_given)}
    g_caps: dict[int, Any] = {}
    for vals in reversed(history):
        outs = body_bf.run_arrays(list(vals) + body_caps + [g_vars[i] for i in diff_vars])
        by_in = dict(zip(bf_idx, outs))
        g_vars = {i: by_in.get(i, np.zeros_like(vals[i])) for i in diff_vars}
        for j in range(len(body_caps)):
            g = by_in.get(n_vars + j)
            if g is not None:
                g_caps[j] = g if j not in g_caps else g_caps[j] + g
    result = []
    for t, (_dims, dtype) in zip(targets, out_specs):
        if t < n_vars:
            g = g_vars[t]
            if dtype is dtypes.variant:
                box = np.empty((), dtype=object)
                box[()] = g[()] if isinstance(g, np.ndarray) else g
                g = box
            result.append(np.asarray(g))
        else:
            g = g_caps.get(t - n_vars)
            if g is None:
                cap = body_caps[t - n_vars]
                shape = np.shape(cap) if isinstance(cap, np.ndarray) else cap.var._array.shape
                g = np.zeros(shape, dtype=dtype._np)
            result.append(np.asarray(g, dtype=dtype._np))
    return tuple(result)


def _while_grad_shape(inputs: list, attrs: dict) -> list:
    return list(attrs["out_specs"])


register_op("While", _while_kernel, _while_shape, _while_grad, num_outputs=-1, stateful=True)
register_op("StatelessWhile", _while_kernel, _while_shape, _while_grad, num_outputs=-1)
register_op("WhileGrad", _while_grad_kernel, _while_grad_shape, None, num_outputs=-1)


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
    outs = execute(
        op, inputs, {"cond_f": cond_f, "body_f": body_f, "n_vars": len(flow), "has_max": has_max}
    )
    result = rebuild(list(outs))
    result = list(result) if isinstance(loop_vars, list) else tuple(result)
    return result if packed else result[0]
