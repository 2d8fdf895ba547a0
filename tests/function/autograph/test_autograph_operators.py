"""Autograph's runtime operators: graph tensors dispatch to `control_flow.cond` /
`control_flow.while_loop` with the modified variables as branch outputs and loop state;
Python values and eager tensors stay plain Python.

The graph layer is replaced by fakes: `FakeGraph` runs each op's kernel at once and
returns `Sym` tensors (graph tensors that refuse Python truthiness), and a fake
`control_flow` module records every call and evaluates it, so converted functions run
under the fakes must compute what the originals compute eagerly.
"""

from __future__ import annotations

import sys
import types

import numpy as np
import pytest

import ndflow as tf
from ndflow._src.core.context import eager_scope, graph_scope
from ndflow._src.framework.tensor import Tensor, wrap
from ndflow._src.function.autograph import convert, operators

# ---------------------------------------------------------------------------- fakes


class Sym(Tensor):
    """A stand-in graph tensor."""

    op = None

    def __bool__(self) -> bool:
        raise TypeError("Using a symbolic tf.Tensor as a Python bool is not allowed.")

    def __getitem__(self, index):
        i = int(index._value) if isinstance(index, Tensor) else index
        return sym(self._value[i])


def sym(value, cls=Sym) -> Sym:
    t = value if isinstance(value, Tensor) else tf.convert_to_tensor(value)
    s = object.__new__(cls)
    s._value, s._dtype = t._value, t._dtype
    return s


class FakeGraph:
    def __init__(self) -> None:
        self.ops: list[str] = []

    def add_op(self, opdef, inputs, attrs):
        self.ops.append(opdef.name)
        return sym(wrap(opdef.kernel(*[t._value for t in inputs], **attrs)))


class FakeControlFlow(types.ModuleType):
    def __init__(self) -> None:
        super().__init__("fake_control_flow")
        self.calls: list[dict] = []

    @staticmethod
    def _sym_all(value):
        if isinstance(value, tuple):
            return tuple(sym(v) for v in value)
        return sym(value)

    def cond(self, pred, true_fn, false_fn):
        call = {"op": "cond", "pred": pred}
        self.calls.append(call)
        call["true"] = true_fn()  # traced in this order, like TensorFlow
        call["false"] = false_fn()
        return self._sym_all(call["true"] if pred._value else call["false"])

    def while_loop(self, cond, body, loop_vars, shape_invariants=None, maximum_iterations=None):
        call = {"op": "while_loop", "loop_vars": loop_vars, "iterations": 0}
        call.update(shape_invariants=shape_invariants, maximum_iterations=maximum_iterations)
        self.calls.append(call)
        assert isinstance(loop_vars, tuple)
        values = self._sym_all(loop_vars)
        while cond(*values)._value:
            out = body(*values)
            assert isinstance(out, tuple) and len(out) == len(values)
            values = self._sym_all(out)
            call["iterations"] += 1
        return values

    def ops(self, name):
        return [c for c in self.calls if c["op"] == name]


def fake_func_graph() -> types.ModuleType:
    """A scratch tracer for the loop-body probe: placeholders are zero `Sym`s."""
    module = types.ModuleType("fake_func_graph")

    def trace_graph_function(fn, specs, name="fn"):
        placeholders = [sym(np.zeros(dims, dtype._np)) for dtype, dims in specs]
        return None, fn(*placeholders)

    module.trace_graph_function = trace_graph_function
    return module


@pytest.fixture
def graph(monkeypatch):
    """Fake graph control flow; no scratch tracer (the graph layer may be missing)."""
    fake = FakeControlFlow()
    monkeypatch.setitem(sys.modules, "ndflow._src.graph.control_flow", fake)
    monkeypatch.setitem(sys.modules, "ndflow._src.graph.func_graph", None)
    with graph_scope(FakeGraph()):
        yield fake


@pytest.fixture
def graph_with_probe(graph, monkeypatch):
    monkeypatch.setitem(sys.modules, "ndflow._src.graph.func_graph", fake_func_graph())
    return graph


def eager(fn, *args):
    """The original function run eagerly (outside the fake graph)."""
    with eager_scope():
        return fn(*args)


def _value(x):
    return x._value if isinstance(x, Tensor) else np.asarray(x)


# ---------------------------------------------------------------------------- functions


def tensor_if(x):
    if x > 0:
        y = x * 2.0
        z = 1.0
    else:
        y = -x
        z = 2.0
    return y + z


def branch_local_temp(x):
    y = x
    if x > 0:
        t = x * 3.0
        y = t + 1.0
    return y


def handler_in_tensor_if(x):
    y = x
    if x > 0:
        try:
            raise KeyError("k")
        except KeyError as e:
            y = x * 2.0 if e.args else x
    return y


def returns_in_if_only(x):
    if x > 0:
        return x


def defined_in_if_only(x):
    if x > 0:
        y = x
    return y


def tensor_while(n):
    i = 0
    s = 0
    while i < n:
        s += i
        i += 1
    return s


def range_loop(n):
    total = 0
    for i in range(n):
        if i > 3:
            continue
        total += i
    return total


def nested_tensor_loops(n):
    total = 0
    for i in range(n):
        j = 0
        while j < i:
            if j > 1:
                total += j
            else:
                total -= 1
            j += 1
    return total


def tensor_iteration(xs):
    acc = 0.0
    for x in xs:
        acc = acc + x * x
    return acc


def int_sum_of_squares(xs):
    acc = 0
    for x in xs:
        acc = acc + x * x
    return acc


def tensor_break(xs, limit):
    acc = 0.0
    for x in xs:
        if acc > limit:
            break
        acc = acc + x
    return acc


def tensor_return(x):
    if x > 0:
        return x * 2.0
    return -x


def logic(a, b):
    return (a > 0 and b > 0), (a > 0 or b > 0), not (a > 0), (a if b > 0 else b)


def loop_with_options(n):
    i = 0
    s = 1.0
    while i < n:
        tf.autograph.experimental.set_loop_options(
            maximum_iterations=10, shape_invariants=[(s, tf.TensorShape([]))]
        )
        i += 1
        s = s * 2.0
    return s


def loop_temp_read_after(n):
    i = 0
    while i < n:
        tmp = i * 2
        i += 1
    return tmp


def return_from_tensor_loop(n):
    i = 0
    while i < n:
        i += 1
        if i > 2:
            return i
    return -1


def python_loop_becomes_tensor(x):
    i = 0
    while i < 3:
        i = i + x
    return i


def python_if(flag, x):
    if flag:
        return x * 2.0
    return x


# ---------------------------------------------------------------------------- tests


@pytest.mark.parametrize("value", [3.0, -2.0])
def test_tensor_if_dispatches_to_cond_with_branch_outputs(graph, value):
    out = convert(tensor_if)(sym(value))
    (call,) = graph.ops("cond")
    assert isinstance(call["pred"], Sym)
    assert len(call["true"]) == len(call["false"]) == 2  # (y, z), sorted by name
    assert [float(_value(v)) for v in call["true"]] == [value * 2.0, 1.0]
    assert [float(_value(v)) for v in call["false"]] == [-value, 2.0]
    assert _value(out) == pytest.approx(_value(eager(tensor_if, tf.constant(value))))


def test_branch_local_temporaries_are_not_cond_outputs(graph):
    out = convert(branch_local_temp)(sym(2.0))
    (call,) = graph.ops("cond")
    assert len(call["true"]) == 1 and len(call["false"]) == 1
    assert float(_value(out)) == 7.0


def test_return_in_one_branch_only_is_an_error_in_a_graph(graph):
    with pytest.raises(ValueError, match="the else branch must also have a return statement"):
        convert(returns_in_if_only)(sym(1.0))


def test_exception_names_stay_local_to_the_branch(graph):
    assert float(_value(convert(handler_in_tensor_if)(sym(2.0)))) == 4.0


def test_variable_defined_in_one_branch_only_is_an_error_in_a_graph(graph):
    with pytest.raises(ValueError, match="'y' must also be initialized in the else branch"):
        convert(defined_in_if_only)(sym(1.0))


def test_tensor_while_dispatches_to_while_loop_with_loop_state(graph):
    out = convert(tensor_while)(sym(5))
    (call,) = graph.ops("while_loop")
    assert call["loop_vars"] == (0, 0)  # (i, s) as they were before the loop
    assert call["iterations"] == 5
    assert int(_value(out)) == 10


def test_for_over_range_of_a_tensor_loops_over_the_index(graph):
    out = convert(range_loop)(sym(7))
    (call,) = graph.ops("while_loop")
    start, *state = call["loop_vars"]
    assert int(_value(start)) == 0 and len(state) == 1  # the index, then `total`
    assert call["iterations"] == 7
    assert graph.ops("cond")  # `continue` on a tensor condition is a cond
    assert int(_value(out)) == eager(range_loop, 7)


def test_nested_tensor_loops_and_conds(graph):
    out = convert(nested_tensor_loops)(sym(5))
    assert len(graph.ops("while_loop")) == 1 + 5  # the outer loop, then one per i
    assert int(_value(out)) == eager(nested_tensor_loops, 5)


def test_for_over_a_tensor_loops_over_its_first_axis(graph):
    xs = np.array([1.0, 2.0, 3.0], np.float32)
    out = convert(tensor_iteration)(sym(xs))
    (call,) = graph.ops("while_loop")
    assert call["iterations"] == 3
    assert float(_value(out)) == pytest.approx(14.0)


def test_for_over_a_range_op_tensor_uses_the_op_inputs(graph):
    class RangeSym(Sym):
        op = types.SimpleNamespace(
            type="Range", inputs=(tf.constant(2), tf.constant(8), tf.constant(3))
        )

    out = convert(int_sum_of_squares)(sym(np.arange(2, 8, 3, dtype=np.int32), RangeSym))
    (call,) = graph.ops("while_loop")
    assert int(_value(call["loop_vars"][0])) == 2
    assert call["iterations"] == 2
    assert int(_value(out)) == 4 + 25


@pytest.mark.parametrize("limit", [2.5, 100.0])
def test_break_on_a_tensor_condition_stops_the_while_loop(graph, limit):
    xs = np.array([1.0, 2.0, 3.0, 4.0], np.float32)
    out = convert(tensor_break)(sym(xs), limit)
    expected = eager(tensor_break, xs, limit)  # NumPy rows stand in for eager rows
    assert float(_value(out)) == pytest.approx(float(_value(expected)))
    assert graph.ops("while_loop")


@pytest.mark.parametrize("value", [3.0, -3.0])
def test_return_in_both_branches_of_a_tensor_if(graph, value):
    out = convert(tensor_return)(sym(value))
    (call,) = graph.ops("cond")
    assert float(_value(out)) == pytest.approx(abs(value) * (2.0 if value > 0 else 1.0))
    assert len(call["true"]) == len(call["false"])


def test_logical_operators_and_conditional_expressions_on_tensors(graph):
    out = convert(logic)(sym(1.0), sym(-1.0))
    assert [bool(_value(v)) for v in out[:3]] == [False, True, False]
    assert float(_value(out[3])) == -1.0
    # `and`, `or` and the conditional expression are lazy conds; `not` is an op.
    assert len(graph.ops("cond")) == 3


def test_set_loop_options_become_while_loop_arguments(graph):
    out = convert(loop_with_options)(sym(3))
    (call,) = graph.ops("while_loop")
    assert call["maximum_iterations"] == 10
    assert call["shape_invariants"] == (None, tf.TensorShape([]))  # aligned with (i, s)
    assert float(_value(out)) == 8.0
    assert convert(loop_with_options)(2) == loop_with_options(2) == 4.0


def test_loop_temporary_read_after_a_tensor_loop_raises(graph):
    with pytest.raises(UnboundLocalError, match="'tmp' must be defined before the loop"):
        convert(loop_temp_read_after)(sym(3))


@pytest.mark.parametrize("n", [1, 5])
def test_return_inside_a_tensor_loop_carries_a_probed_return_value(graph_with_probe, n):
    out = convert(return_from_tensor_loop)(sym(n))
    (call,) = graph_with_probe.ops("while_loop")
    assert len(call["loop_vars"]) == 3  # do_return, i and the zero-initialised retval_
    assert int(_value(out)) == eager(return_from_tensor_loop, n)


def test_loop_temporary_read_after_a_tensor_loop_gets_a_probed_initial_value(graph_with_probe):
    assert int(_value(convert(loop_temp_read_after)(sym(3)))) == 4


def test_return_inside_a_tensor_loop_is_reported(graph):
    with pytest.raises(ValueError, match="return"):
        convert(return_from_tensor_loop)(sym(5))


def test_python_loop_whose_condition_becomes_a_tensor_is_reported(graph):
    with pytest.raises(NotImplementedError, match="became a tensor"):
        convert(python_loop_becomes_tensor)(sym(1))


def test_python_values_and_eager_tensors_stay_python_while_tracing(graph):
    assert float(_value(convert(python_if)(True, sym(2.0)))) == 4.0
    assert convert(tensor_while)(4) == 6
    with eager_scope():
        true = tf.constant(True)
    assert float(_value(convert(python_if)(true, 2.0))) == 4.0  # an eager Tensor: Python
    assert graph.calls == []


def test_operators_follow_python_semantics_for_python_values():
    assert operators.and_(lambda: 0, lambda: 1 / 0) == 0
    assert operators.or_(lambda: "a", lambda: 1 / 0) == "a"
    assert operators.not_([]) is True
    assert operators.if_exp(0, lambda: 1 / 0, lambda: "no") == "no"
    assert operators.range_(range, 3) == range(3)
    assert not operators.is_symbolic(sym(1.0))  # no graph is being traced


def test_while_stmt_and_if_stmt_run_python_callbacks():
    log = []
    state = {"i": 0}

    def body():
        state["i"] += 1
        log.append(state["i"])

    operators.while_stmt(lambda: state["i"] < 3, body, tuple, lambda s: None, (), {})
    operators.if_stmt(
        tf.constant(True),
        lambda: log.append("t"),
        lambda: log.append("f"),
        tuple,
        lambda s: None,
        (),
        0,
    )
    assert log == [1, 2, 3, "t"]


# ---------------------------------------------------------------------------- calls


def sign_helper(x):
    if x > 0:
        return 1.0
    return -1.0


def calls_helper(x):
    return sign_helper(x) * 3.0


class Scaler:
    def apply(self, x):
        if x > 0:
            return x * 10.0
        return x


def calls_method(obj, x):
    return obj.apply(x)


@pytest.mark.parametrize("value", [2.0, -2.0])
def test_user_functions_called_while_tracing_are_converted(graph, value):
    out = convert(calls_helper)(sym(value))
    assert len(graph.ops("cond")) == 1
    assert float(_value(out)) == (3.0 if value > 0 else -3.0)
    out = convert(calls_method)(Scaler(), sym(value))
    assert len(graph.ops("cond")) == 2
    assert float(_value(out)) == (20.0 if value > 0 else -2.0)


def test_converted_call_converts_only_user_code_and_only_while_tracing(graph):
    import json

    from ndflow._src.function.autograph import api

    def fresh(x):
        if x:
            return "yes"
        return "no"

    assert operators.converted_call(fresh, (1,), None) == "yes"
    assert fresh in api._fn_cache  # traced: converted first
    with eager_scope():

        def eager_fresh(x):
            if x:
                return "yes"
            return "no"

        assert operators.converted_call(eager_fresh, (0,), {}) == "no"
    assert eager_fresh not in api._fn_cache
    assert operators.converted_call(json.dumps, ([1],), {"indent": None}) == "[1]"
    assert json.dumps not in api._fn_cache
