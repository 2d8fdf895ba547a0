"""Runtime operators called by autograph-converted code (the `ag__` namespace).

Each operator looks at its condition or iterable when it runs: a symbolic Tensor (a
graph is being traced and the value is a graph tensor) stages the statement as
`control_flow.cond` / `control_flow.while_loop`; anything else (Python values, eager
Tensors) runs plain Python, so a converted function run eagerly behaves exactly like the
original.

Statement operators receive the converted block as functions that read and write the
enclosing function's variables through `nonlocal`, plus `get_state()` / `set_state(t)`
closures over the variables the block modifies, named by `symbol_names`. Graph staging
uses them to thread those variables through `cond` / `while_loop` as branch outputs and
loop state.
"""

from __future__ import annotations

import builtins
import functools
import importlib
import sys
import threading
import types
from typing import Any
from collections.abc import Callable, Sequence

from ndflow._src.core.context import ctx
from ndflow._src.framework.tensor import Tensor

# ---------------------------------------------------------------------------- undefined


class Undefined:
    """The value of a variable not yet assigned (for example, set in one branch only)."""

    __slots__ = ("symbol_name", "after_loop")

    def __init__(self, symbol_name: str, after_loop: bool = False) -> None:
        self.symbol_name = symbol_name
        self.after_loop = after_loop

    def __repr__(self) -> str:
        return f"<undefined {self.symbol_name}>"


class UndefinedReturnValue:
    """The return value of a function that has not executed a `return` yet."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "<undefined return value>"


def _unbound_error(name: str, free: bool) -> NameError:
    if free:
        return NameError(
            f"cannot access free variable '{name}' where it is not associated with a value "
            "in enclosing scope"
        )
    if sys.version_info >= (3, 11):
        text = f"cannot access local variable '{name}' where it is not associated with a value"
    else:
        text = f"local variable '{name}' referenced before assignment"
    return UnboundLocalError(text)


def ld(value: Any, free: bool = False) -> Any:
    """Reads a variable that may still be undefined, raising as Python would
    (`free`: the read is in a nested function, where Python raises NameError)."""
    if type(value) is Undefined:
        if value.after_loop:
            raise UnboundLocalError(
                f"'{value.symbol_name}' is not available after a loop whose condition is a "
                f"tensor: '{value.symbol_name}' must be defined before the loop."
            )
        raise _unbound_error(value.symbol_name, free)
    return value


def retval(value: Any) -> Any:
    """The converted function's result: `None` when it never reached a `return`."""
    if isinstance(value, UndefinedReturnValue):
        return None
    if type(value) is Undefined:
        raise ValueError(
            "A `return` inside a loop whose condition is a tensor is not supported: assign "
            "the result to a variable defined before the loop and return it after the loop."
        )
    return value


def _is_undefined(value: Any) -> bool:
    return type(value) is Undefined or isinstance(value, UndefinedReturnValue)


# ---------------------------------------------------------------------------- dispatch


def is_symbolic(value: Any) -> bool:
    """True for a graph (symbolic) tensor while a graph is being traced."""
    return ctx.graph is not None and isinstance(value, Tensor) and type(value) is not Tensor


_CONTROL_FLOW = "ndflow._src.graph.control_flow"


def _control_flow() -> Any:
    # Imported lazily, by name: graph control flow is only needed while tracing.
    module = sys.modules.get(_CONTROL_FLOW)
    return module if module is not None else importlib.import_module(_CONTROL_FLOW)


def _func_graph() -> Any:
    return importlib.import_module("ndflow._src.graph.func_graph")


def _as_tuple(result: Any, n: int) -> tuple:
    if result is None:
        return ()
    if isinstance(result, (tuple, list)):
        return tuple(result)
    if n == 1:
        return (result,)
    return tuple(result)


# ---------------------------------------------------------------------------- calls

_user_code_cache: dict[str, bool] = {}


@functools.lru_cache(maxsize=1)
def _library_dirs() -> tuple[str, ...]:
    import os
    import site
    import sysconfig

    dirs = {sysconfig.get_paths()[k] for k in ("stdlib", "platstdlib", "purelib", "platlib")}
    try:
        dirs.update(site.getsitepackages())
    except AttributeError:  # virtualenvs with an old site module
        pass
    dirs.add(os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(__file__)))))
    return tuple(os.path.join(os.path.realpath(d), "") for d in dirs)


def _is_user_code(filename: str) -> bool:
    """User code: a real source file outside the standard library, installed packages
    and ndflow itself."""
    known = _user_code_cache.get(filename)
    if known is None:
        import os

        if filename.startswith("<"):
            known = False
        else:
            path = os.path.realpath(filename)
            known = not path.startswith(_library_dirs())
        _user_code_cache[filename] = known
    return known


def converted_call(f: Any, args: tuple, kwargs: dict | None) -> Any:
    """Calls `f(*args, **kwargs)`; while a graph is traced, user functions and methods are
    converted first (recursive autograph). Eagerly the call is made as written."""
    if ctx.graph is not None:
        target = f.__func__ if isinstance(f, types.MethodType) else f
        if isinstance(target, types.FunctionType) and _is_user_code(target.__code__.co_filename):
            from ndflow._src.function.autograph.api import convert

            f = convert(f)
    if kwargs is None:
        return f(*args)
    return f(*args, **kwargs)


# ---------------------------------------------------------------------------- logical


def _logical(name: str, *args: Any) -> Tensor:
    from ndflow._src.ops import math_ops

    fn = getattr(math_ops, name, None)
    if fn is not None:
        return fn(*args)
    # Fallback while the math ops lack the logical family: SelectV2 on booleans.
    from ndflow._src.framework.constant import convert_to_tensor
    from ndflow._src.ops.array_ops import where

    x = convert_to_tensor(args[0])
    if name == "logical_not":
        return where(x, False, True)
    y = convert_to_tensor(args[1])
    return where(x, y, False) if name == "logical_and" else where(x, True, y)


def not_(value: Any) -> Any:
    """`not value`; `tf.logical_not` for a graph tensor."""
    if is_symbolic(value):
        return _logical("logical_not", value)
    return not value


def and_(a_fn: Callable[[], Any], b_fn: Callable[[], Any]) -> Any:
    """`a and b` with Python's short circuit; a lazy `cond` when `a` is a graph tensor."""
    a = a_fn()
    if is_symbolic(a):
        return _control_flow().cond(a, lambda: _to_bool(b_fn()), lambda: a)
    return b_fn() if a else a


def or_(a_fn: Callable[[], Any], b_fn: Callable[[], Any]) -> Any:
    """`a or b` with Python's short circuit; a lazy `cond` when `a` is a graph tensor."""
    a = a_fn()
    if is_symbolic(a):
        return _control_flow().cond(a, lambda: a, lambda: _to_bool(b_fn()))
    return a if a else b_fn()


def _to_bool(value: Any) -> Any:
    if isinstance(value, Tensor):
        return value
    from ndflow._src.framework.constant import convert_to_tensor

    return convert_to_tensor(bool(value))


def if_exp(
    cond: Any, if_true: Callable[[], Any], if_false: Callable[[], Any], expr_repr: str = ""
) -> Any:
    """`if_true() if cond else if_false()`; `cond` for a graph tensor condition."""
    if is_symbolic(cond):
        return _control_flow().cond(cond, if_true, if_false)
    return if_true() if cond else if_false()


# ---------------------------------------------------------------------------- if


def if_stmt(
    cond: Any,
    body: Callable[[], None],
    orelse: Callable[[], None],
    get_state: Callable[[], tuple],
    set_state: Callable[[tuple], None],
    symbol_names: Sequence[str],
    nouts: int,
) -> None:
    """An `if` statement. The first `nouts` symbols are the outputs (live afterwards)."""
    if is_symbolic(cond):
        _tf_if_stmt(cond, body, orelse, get_state, set_state, symbol_names, nouts)
    elif cond:
        body()
    else:
        orelse()


def _branch_error(name: str, branch: str) -> ValueError:
    # TensorFlow's wording for both cases.
    if name.startswith("retval_"):
        return ValueError(f"the {branch} branch must also have a return statement.")
    return ValueError(f"'{name}' must also be initialized in the {branch} branch")


def _tf_if_stmt(cond, body, orelse, get_state, set_state, symbol_names, nouts) -> None:
    init = tuple(get_state())
    if _probing.depth:
        # Inside a loop body traced only to learn dtypes: run both branches and keep,
        # per variable, whichever defines it; the scratch graph is thrown away.
        body()
        taken = tuple(get_state())
        set_state(init)
        orelse()
        other = tuple(get_state())
        set_state(tuple(b if _is_undefined(a) else a for a, b in zip(taken, other)))
        return

    def branch(fn: Callable[[], None], which: str) -> Callable[[], tuple]:
        def run() -> tuple:
            set_state(init)  # each branch starts from the state before the `if`
            fn()
            outs = tuple(get_state())[:nouts]
            for name, value in zip(symbol_names, outs):
                if _is_undefined(value):
                    raise _branch_error(name, which)
            return outs

        return run

    result = _control_flow().cond(cond, branch(body, "if"), branch(orelse, "else"))
    outs = _as_tuple(result, nouts)
    set_state(outs + init[nouts:])


# ---------------------------------------------------------------------------- loops


class _Probing(threading.local):
    depth = 0


_probing = _Probing()


class _LoopState:
    """Splits a statement's state into loop variables (defined before the loop) and
    loop-local temporaries (undefined before it), which `while_loop` cannot carry."""

    def __init__(self, get_state, set_state, symbol_names: Sequence[str]) -> None:
        self.get_state, self.set_state = get_state, set_state
        self.names = tuple(symbol_names)
        self.init = tuple(get_state())
        self.carried = [i for i, v in enumerate(self.init) if not _is_undefined(v)]

    def initial(self) -> tuple:
        return tuple(self.init[i] for i in self.carried)

    def restore(self, values: Sequence[Any], after_loop: bool = False) -> None:
        state = list(self.init)
        if after_loop:
            for i, v in enumerate(state):
                if _is_undefined(v):
                    state[i] = Undefined(self.names[i], after_loop=True)
        for i, v in zip(self.carried, values):
            state[i] = v
        self.set_state(tuple(state))

    def current(self) -> tuple:
        state = tuple(self.get_state())
        out = []
        for i in self.carried:
            if _is_undefined(state[i]):
                raise ValueError(f"'{self.names[i]}' must be defined before the loop.")
            out.append(state[i])
        return tuple(out)

    def define_live_undefined(
        self, opts: dict | None, run_body: Callable[[tuple], None], leading: tuple = ()
    ) -> None:
        """Gives variables that are first assigned inside the loop but read after it (a
        `return` value, say) a zero initial value, so the loop can carry them. Their dtype
        and shape come from tracing the body once in a scratch graph, as TF does; the
        body's Python side effects run once more. Without a graph layer that can trace,
        or for values of unknown shape, the variables stay loop-local."""
        live = set((opts or {}).get("live_out", ()))
        missing = [i for i, v in enumerate(self.init) if _is_undefined(v) and self.names[i] in live]
        if not missing:
            return
        try:
            trace = _func_graph().trace_graph_function
            from ndflow._src.framework.constant import convert_to_tensor

            tensors = [convert_to_tensor(v) for v in (*leading, *self.initial())]
        except Exception:  # noqa: BLE001 - no graph layer, or state a graph cannot carry
            return
        specs = [(t.dtype, t.shape._dims) for t in tensors]

        def probe(*placeholders: Any) -> tuple:
            run_body(placeholders)
            state = tuple(self.get_state())
            return tuple(None if _is_undefined(state[i]) else state[i] for i in missing)

        _probing.depth += 1
        try:
            _, found = trace(probe, specs, "autograph_probe")
        except Exception:  # noqa: BLE001 - the real loop reports the problem
            return
        finally:
            _probing.depth -= 1
            self.set_state(self.init)
        import numpy as np

        init = list(self.init)
        for i, value in zip(missing, found):
            try:
                value = convert_to_tensor(value)  # a Python value returned, say
                dims = value.shape._dims
                if dims is None or None in dims:
                    continue
                init[i] = convert_to_tensor(np.zeros(dims, value.dtype._np))
            except Exception:  # noqa: BLE001 - stays loop-local; the loop reports it
                continue
        self.init = tuple(init)
        self.carried = [i for i, v in enumerate(self.init) if not _is_undefined(v)]


def set_loop_options(
    parallel_iterations: Any = None,
    swap_memory: Any = None,
    maximum_iterations: Any = None,
    shape_invariants: Any = None,
) -> None:
    """`tf.autograph.experimental.set_loop_options`: the converter moves these options
    into the enclosing loop's `opts`; called directly it does nothing, as in TF.

    >>> set_loop_options(maximum_iterations=10) is None
    True
    """


def _loop_options(opts: dict | None, loop_vars: tuple) -> dict:
    """`while_loop` keywords from a loop's options. `shape_invariants` is given as
    (variable, shape) pairs; it is aligned with the loop variables (None: unchanged)."""
    opts = opts or {}
    pairs = opts.get("shape_invariants")
    invariants = None
    if pairs:
        invariants = tuple(
            next((shape for var, shape in pairs if var is value), None) for value in loop_vars
        )
    return {"shape_invariants": invariants, "maximum_iterations": opts.get("maximum_iterations")}


def while_stmt(
    test: Callable[[], Any],
    body: Callable[[], None],
    get_state: Callable[[], tuple],
    set_state: Callable[[tuple], None],
    symbol_names: Sequence[str],
    opts: dict | None = None,
) -> None:
    """A `while` loop: `while_loop` when the first test is a graph tensor."""
    t = test()
    if is_symbolic(t):
        _tf_while_stmt(test, body, get_state, set_state, symbol_names, opts)
        return
    while t:
        body()
        t = test()
        if is_symbolic(t):
            raise _became_tensor("while")


def _became_tensor(kind: str) -> NotImplementedError:
    return NotImplementedError(
        f"The condition of this `{kind}` loop was a Python value when the loop started but "
        "became a tensor during the loop; make it a tensor before the loop starts."
    )


def _tf_while_stmt(test, body, get_state, set_state, symbol_names, opts) -> None:
    state = _LoopState(get_state, set_state, symbol_names)

    def run_body(values: tuple) -> None:
        state.restore(values)
        body()

    state.define_live_undefined(opts, run_body)

    def cond_fn(*values: Any) -> Any:
        state.restore(values)
        return test()

    def body_fn(*values: Any) -> tuple:
        state.restore(values)
        body()
        return state.current()

    initial = state.initial()
    result = _control_flow().while_loop(cond_fn, body_fn, initial, **_loop_options(opts, initial))
    state.restore(_as_tuple(result, len(state.carried)), after_loop=True)


class _TensorRange:
    """`range(...)` called with a tensor argument inside converted code."""

    def __init__(self, args: tuple) -> None:
        self.args = args


def range_(range_fn: Any, *args: Any) -> Any:
    """`range(*args)` in a `for` statement; staged when an argument is a graph tensor."""
    if range_fn is builtins.range and any(is_symbolic(a) for a in args):
        return _TensorRange(args)
    return range_fn(*args)


def for_stmt(
    iter_: Any,
    extra_test: Callable[[], Any] | None,
    body: Callable[[Any], None],
    get_state: Callable[[], tuple],
    set_state: Callable[[tuple], None],
    symbol_names: Sequence[str],
    opts: dict | None = None,
) -> None:
    """A `for` loop. Over a graph tensor: a `while_loop` over its first axis (or over the
    index of a `tf.range`); otherwise Python iteration. `extra_test` carries lowered
    `break` / `return` flags: the loop stops once it is false."""
    if isinstance(iter_, _TensorRange) or is_symbolic(iter_):
        _tf_for_stmt(iter_, extra_test, body, get_state, set_state, symbol_names, opts)
        return
    if ctx.graph is not None and hasattr(iter_, "_autograph_for_loop"):
        # A tf.data.Dataset: one loop op that iterates the dataset each time it runs.
        iter_._autograph_for_loop(extra_test, body, get_state, set_state)
        return
    for item in iter_:
        body(item)
        if extra_test is not None:
            t = extra_test()
            if is_symbolic(t):
                raise _became_tensor("for")
            if not t:
                break


def _range_bounds(iter_: Any) -> tuple[Any, Any, Any] | None:
    """(start, limit, delta) of a `range(...)` with tensor arguments or of a tensor made
    by a `Range` op, else None."""
    if isinstance(iter_, _TensorRange):
        args = iter_.args
        if len(args) == 1:
            return 0, args[0], 1
        if len(args) == 2:
            return args[0], args[1], 1
        return args[0], args[1], args[2]
    op = getattr(iter_, "op", None)  # eager tensors raise AttributeError for .op
    if op is not None and getattr(op, "type", None) == "Range":
        start, limit, delta = op.inputs[:3]
        return start, limit, delta
    return None


def _tf_for_stmt(iter_, extra_test, body, get_state, set_state, symbol_names, opts) -> None:
    from ndflow._src.framework.constant import convert_to_tensor
    from ndflow._src.ops import math_ops

    state = _LoopState(get_state, set_state, symbol_names)
    bounds = _range_bounds(iter_)
    if bounds is not None:
        dtype = next((b.dtype for b in bounds if isinstance(b, Tensor)), None)
        start, limit, delta = (convert_to_tensor(b, dtype=dtype) for b in bounds)
        delta_value = _static_scalar(delta)

        def in_range(i: Tensor) -> Any:
            if delta_value is not None:
                if delta_value > 0:
                    return math_ops.less(i, limit)
                return math_ops.greater(i, limit)
            from ndflow._src.ops.array_ops import where

            return where(
                math_ops.greater(delta, 0), math_ops.less(i, limit), math_ops.greater(i, limit)
            )

        def element(i: Tensor) -> Any:
            return i

        def step(i: Tensor) -> Tensor:
            return math_ops.add(i, delta)

    else:
        start = convert_to_tensor(0)
        n = _first_dim(iter_)

        def in_range(i: Tensor) -> Any:
            return math_ops.less(i, n)

        def element(i: Tensor) -> Any:
            return iter_[i]

        def step(i: Tensor) -> Tensor:
            return math_ops.add(i, 1)

    def run_body(values: tuple) -> None:
        state.restore(values[1:])
        body(element(values[0]))

    state.define_live_undefined(opts, run_body, leading=(start,))

    def cond_fn(i: Tensor, *values: Any) -> Any:
        ok = in_range(i)
        if extra_test is None:
            return ok
        state.restore(values)
        return and_(lambda: ok, extra_test)

    def body_fn(i: Tensor, *values: Any) -> tuple:
        state.restore(values)
        body(element(i))
        return (step(i), *state.current())

    initial = (start, *state.initial())
    result = _control_flow().while_loop(cond_fn, body_fn, initial, **_loop_options(opts, initial))
    result = _as_tuple(result, len(state.carried) + 1)
    state.restore(result[1:], after_loop=True)


def _static_scalar(t: Tensor) -> Any:
    from ndflow._src.framework.tensor import static_value

    v = static_value(t)
    if v is None or getattr(v, "size", 0) != 1:
        return None
    return v.reshape(()).item()


def _first_dim(t: Tensor) -> Any:
    dims = t.shape._dims
    if dims is None or not dims:
        if dims == ():
            raise TypeError("Cannot iterate over a scalar tensor.")
    elif dims[0] is not None:
        return dims[0]
    from ndflow._src.ops.array_ops import shape

    return shape(t)[0]
