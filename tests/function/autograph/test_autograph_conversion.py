"""Autograph conversion keeps eager behaviour: converted functions run exactly like the
originals on Python values and eager tensors, keep tracebacks on the user's lines, and
fall back (with a warning) when there is no source."""

from __future__ import annotations

import functools
import inspect
import traceback
import types

import numpy as np
import pytest

import ndflow as tf
from ndflow._src.function.autograph import convert, do_not_convert, to_code

# ---------------------------------------------------------------------------- the table


def if_elif_else(x):
    if x > 10:
        y = "big"
    elif x > 0:
        y = "small"
    else:
        y = "neg"
    return y


def nested_loops_break_continue(n):
    total = 0
    for i in range(n):
        if i == 3:
            continue
        j = 0
        while True:
            j += 1
            if j > i:
                break
            if (i + j) % 2:
                continue
            total += i * j
        if total > 40:
            break
    return total, i, j


def return_in_loop(xs):
    for k, v in enumerate(xs):
        if v < 0:
            return k
        if v == 0:
            break
    return None


def return_in_while(n):
    i = 0
    while i < n:
        i += 1
        if i * i > n:
            return i
    return -1


def early_return(x):
    if x is None:
        return 0
    x = x * 2
    if x > 4:
        return x
    return -x


def break_stops_iteration(xs):
    it = iter(xs)
    for v in it:
        if v > 1:
            break
    return next(it, "end"), v


def defined_in_one_branch(x):
    if x > 0:
        y = x + 1
    return y


def closure_reads_unassigned(flag):
    if flag:
        y = 1

    def read():
        return y

    return (lambda: y)(), read()


def loop_var_after_loop(xs):
    for v in xs:
        pass
    return v


def for_else(xs, stop):
    seen = []
    for v in xs:
        if v == stop:
            break
        seen.append(v)
    else:
        seen.append("done")
    return seen


def while_else(n):
    out = []
    while n > 0:
        n -= 1
        out.append(n)
    else:
        out.append("end")
    return out


def python_while(n):
    a, b = 0, 1
    while b < n:
        a, b = b, a + b
    return a


def tuple_targets(pairs):
    s = 0
    for a, (b, c) in pairs:
        s += a * b - c
    return s


def logic_values(a, b, c):
    return (a and b) or c, not a, a if b else c, a or b and c


def walrus_if(cache, key):
    if (value := cache.get(key)) is None:
        cache[key] = value = len(key)
    return value


def return_in_try(values):
    for v in values:
        try:
            return int(v)
        except ValueError:
            pass
    raise LookupError("no integer")


def walrus_while(xs):
    it = iter(xs)
    got = []
    while (v := next(it, None)) is not None:
        got.append(v)
    return got, v


def with_return(lst):
    import contextlib

    with contextlib.suppress(KeyError):
        for v in lst:
            if v > 2:
                return v
    return "none"


def try_in_loop(xs):
    out = 0
    for v in xs:
        try:
            if v == 0:
                raise ZeroDivisionError
            out += 10 // v
        except ZeroDivisionError:
            out -= 1
            continue
        finally:
            out += 100
    return out


def defaults_and_varargs(a, b=2, *args, c=3, **kwargs):
    total = a + b + c
    for x in args:
        if x > 0:
            total += x
    for k in sorted(kwargs):
        if k.startswith("s"):
            total -= kwargs[k]
    return total


def recursive(n):
    if n <= 1:
        return 1
    return n * recursive(n - 1)


def nested_recursive(n):
    def fib(k):
        if k < 2:
            return k
        return fib(k - 1) + fib(k - 2)

    return [fib(i) for i in range(n)]


def nested_function(n):
    def helper(k):
        if k % 2:
            return k * 10
        return k

    acc = []
    for i in range(n):
        acc.append(helper(i))
    return acc


def generator_like(n):
    return [x for x in range(n) if x % 2 == 0 and x > 1]


def annotated_locals(x):
    total: int = 0
    label: str  # noqa: F842 - an annotation without a value is dropped
    for i in range(x):
        step: int = i * 2
        if step > 2:
            total += step
    return total


def _logged(fn):
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        if kwargs.get("skip"):
            return "skipped"
        return fn(*args)

    return wrapper


@_logged
def decorated(x):
    while x > 10:
        x //= 2
    return x


def deletes_and_imports(flag):
    value = 3
    if flag:
        import math as m

        value = m.floor(2.5)
        del m
    else:
        del value
        value = "gone"
    return value


def comprehension_and_lambda(xs):
    key = (lambda v: -v) if xs and xs[0] > 0 else (lambda v: v)
    kept = sorted([x for x in xs if not x % 2], key=key)
    return kept, {x: x > 1 and x < 4 for x in xs}


COUNTER = {"global": 0}
_flag = 0


def modifies_global(x):
    global _flag
    if x:
        _flag = x
    else:
        _flag = -1
    return _flag


def make_closure(start):
    count = start

    def step(k):
        nonlocal count
        if k > 0:
            count += k
        else:
            count = 0
        return count

    return step


class Base:
    def describe(self, x):
        return f"base:{x}"


class Child(Base):
    scale = 3

    def __init__(self):
        self.__secret = 7

    def describe(self, x):
        if x > 1:
            return super().describe(x * self.scale) + str(self.__secret)
        return super().describe(x)


def eager_tensor_control_flow(x):
    total = tf.constant(0.0)
    if tf.reduce_sum(x) > 0:
        total = total + tf.reduce_sum(x)
    else:
        total = total - 1.0
    i = 0
    while i < 3 and total < 100.0:
        total = total * 2.0
        i += 1
    return total


CASES = [
    (if_elif_else, [(20,), (5,), (-3,), (0,)]),
    (nested_loops_break_continue, [(0,), (1,), (5,), (12,)]),
    (return_in_loop, [([1, 2, -3, 4],), ([1, 0, -1],), ([],), ([5, 6],)]),
    (return_in_while, [(0,), (10,), (99,)]),
    (early_return, [(None,), (1,), (5,)]),
    (break_stops_iteration, [([0, 1, 2, 3, 4],), ([0, 1],)]),
    (defined_in_one_branch, [(1,), (-1,)]),
    (loop_var_after_loop, [([1, 2],), ([],)]),
    (closure_reads_unassigned, [(True,), (False,)]),
    (for_else, [([1, 2, 3], 2), ([1, 2, 3], 9), ([], 1)]),
    (while_else, [(0,), (3,)]),
    (python_while, [(1,), (100,)]),
    (tuple_targets, [([(1, (2, 3)), (4, (5, 6))],)]),
    (logic_values, [(0, 1, 2), (1, 0, 2), (1, 2, 0), ("", [], "c")]),
    (walrus_while, [([1, 2, 3],), ([],)]),
    (walrus_if, [({}, "abc"), ({"abc": 7}, "abc")]),
    (return_in_try, [(["x", "2"],), (["x"],)]),
    (with_return, [([1, 2],), ([1, 5, 9],)]),
    (try_in_loop, [([1, 0, 2, 5],), ([],)]),
    (defaults_and_varargs, [(1,), (1, 5, 6, -2, 7)]),
    (nested_function, [(0,), (5,)]),
    (recursive, [(1,), (5,)]),
    (nested_recursive, [(0,), (7,)]),
    (generator_like, [(7,)]),
    (modifies_global, [(3,), (0,)]),
    (annotated_locals, [(0,), (5,)]),
    (decorated, [(100,), (3,)]),
    (deletes_and_imports, [(True,), (False,)]),
    (comprehension_and_lambda, [([],), ([4, 1, 2, 3],), ([-2, 2, 6],)]),
]


def _outcome(fn, args, kwargs):
    try:
        return "ok", fn(*args, **kwargs)
    except Exception as e:  # noqa: BLE001 - the outcome compared is the exception type
        return "raised", type(e)


@pytest.mark.parametrize(
    "fn,args",
    [(fn, a) for fn, arg_list in CASES for a in arg_list],
    ids=lambda v: v.__name__ if callable(v) else None,
)
def test_converted_function_behaves_like_the_original(fn, args):
    kwargs = {}
    if fn is defaults_and_varargs and len(args) > 1:
        kwargs = {"c": 1, "s1": 3, "t": 4}
    converted = convert(fn)
    assert converted is not fn
    assert _outcome(converted, args, kwargs) == _outcome(fn, args, kwargs)


def test_unassigned_variable_raises_unbound_local_error_like_python():
    with pytest.raises(UnboundLocalError, match="'y'"):
        convert(defined_in_one_branch)(-1)
    with pytest.raises(UnboundLocalError, match="'v'"):
        convert(loop_var_after_loop)([])


def test_eager_tensors_run_plain_python_control_flow():
    for value in ([1.0, 2.0], [-1.0, -2.0]):
        x = tf.constant(value)
        expected = eager_tensor_control_flow(x).numpy()
        got = convert(eager_tensor_control_flow)(x).numpy()
        np.testing.assert_allclose(got, expected)


def test_closure_sees_current_values_and_writes_back_through_nonlocal():
    step = make_closure(10)
    converted = convert(step)
    assert converted(5) == 15
    assert step(1) == 16  # the original and the converted function share the cell
    assert converted(0) == 0
    assert step(2) == 2


def test_closure_over_a_later_rebound_variable():
    factor = 2

    def scaled(x):
        if x > 0:
            return x * factor
        return -x

    converted = convert(scaled)
    factor = 10  # noqa: F841 - read through the closure cell
    assert converted(3) == 30


def test_methods_keep_self_super_and_private_names():
    obj = Child()
    converted = convert(obj.describe)
    assert isinstance(converted, types.MethodType) and converted.__self__ is obj
    for x in (0, 1, 2, 5):
        assert converted(x) == obj.describe(x)


def test_unbound_method_and_partial_and_callable_object():
    assert convert(Child.describe)(Child(), 4) == Child().describe(4)
    part = functools.partial(defaults_and_varargs, 1, 2)
    assert convert(part)(3, c=0) == part(3, c=0)

    class Callable_:
        def __call__(self, x):
            if x:
                return "yes"
            return "no"

    obj = Callable_()
    assert convert(obj)(0) == "no"


def test_decorated_function_wrapper_is_converted_from_its_own_source():
    converted = convert(decorated)
    assert converted(40) == 10
    assert converted(40, skip=True) == "skipped"
    assert "def wrapper" in to_code(decorated)


def test_conversion_is_cached_per_function():
    assert convert(if_elif_else) is convert(if_elif_else)
    first = convert(make_closure(1))
    second = convert(make_closure(2))
    assert first is not second
    assert (first(1), second(1)) == (2, 3)


def test_converted_function_keeps_metadata():
    converted = convert(defaults_and_varargs)
    assert converted.__name__ == "defaults_and_varargs"
    assert converted.__qualname__ == defaults_and_varargs.__qualname__
    assert inspect.signature(converted) == inspect.signature(defaults_and_varargs)
    assert converted.__defaults__ == (2,)
    assert converted.__kwdefaults__ == {"c": 3}
    assert convert(converted) is converted


def test_print_is_left_alone(capsys):
    def talk(n):
        for i in range(n):
            if i % 2:
                print("odd", i)
        return n

    assert convert(talk)(4) == 4
    assert capsys.readouterr().out == "odd 1\nodd 3\n"
    text = to_code(talk)
    assert "print('odd'," in text and "converted_call(print" not in text


def test_do_not_convert_leaves_the_function_untouched():
    @do_not_convert
    def plain(x):
        if x:
            return 1
        return 2

    assert convert(plain) is plain
    assert plain(0) == 2
    assert tf.autograph.experimental.do_not_convert is do_not_convert

    @tf.autograph.experimental.do_not_convert()
    def plain2(x):
        return x if x else 3

    assert convert(plain2) is plain2 and plain2(0) == 3


def test_functions_without_control_flow_generators_and_lambdas_are_kept():
    def simple(x):
        return x + 1

    def gen(n):
        for i in range(n):
            if i:
                yield i

    square = lambda x: x * x  # noqa: E731
    assert convert(simple) is simple
    assert convert(gen) is gen
    assert convert(square) is square


def test_functions_without_source_fall_back_with_a_warning():
    namespace: dict = {}
    exec("def no_source(x):\n    if x:\n        return 1\n    return 2\n", namespace)
    fn = namespace["no_source"]
    with pytest.warns(UserWarning, match="AutoGraph could not transform .*no_source"):
        converted = convert(fn)
    assert converted is fn and fn(0) == 2
    with pytest.warns(UserWarning, match="could not transform"):
        assert convert(len) is len


def test_functions_reading_their_own_scope_fall_back_with_a_warning():
    def reads_locals(a, b):
        for name in ("a", "b"):
            if locals()[name] is None:
                return name
        return None

    with pytest.warns(UserWarning, match=r"it calls locals\(\)"):
        assert convert(reads_locals) is reads_locals


def test_source_edited_after_import_falls_back_with_a_warning(tmp_path):
    import importlib.util
    import linecache

    path = tmp_path / "edited_module.py"
    path.write_text("def f(x):\n    if x:\n        return 1\n    return 2\n")
    spec = importlib.util.spec_from_file_location("edited_module", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    path.write_text("def f(y, z):\n    if y:\n        return z\n    return 2\n")
    linecache.checkcache(str(path))
    with pytest.warns(UserWarning, match="does not match"):
        assert convert(module.f) is module.f


# ---------------------------------------------------------------------------- tracebacks


def raises_in_branch(x):
    if x > 0:
        y = x * 2
        raise ValueError(f"bad {y}")  # marker: raise-in-branch
    return x


def raises_in_loop(xs):
    total = 0
    for v in xs:
        while v > 0:
            v -= 1
            total += 1 // v  # marker: raise-in-loop
    return total


def _marker_line(fn, marker):
    lines, first = inspect.getsourcelines(fn)
    for offset, line in enumerate(lines):
        if marker in line:
            return first + offset
    raise AssertionError(marker)


@pytest.mark.parametrize(
    "fn,args,exc,marker",
    [
        (raises_in_branch, (3,), ValueError, "raise-in-branch"),
        (raises_in_loop, ([2],), ZeroDivisionError, "raise-in-loop"),
    ],
)
def test_traceback_points_at_the_users_file_and_line(fn, args, exc, marker):
    with pytest.raises(exc) as info:
        convert(fn)(*args)
    frames = traceback.extract_tb(info.value.__traceback__)
    last = frames[-1]
    assert last.filename == __file__
    assert last.lineno == _marker_line(fn, marker)
    assert marker in last.line


def test_to_code_shows_the_rewritten_source():
    text = to_code(if_elif_else)
    assert "ag__.if_stmt" in text and "def if_elif_else(x):" in text
    assert "ag__.for_stmt" in tf.autograph.to_code(return_in_loop)
    assert tf.autograph.to_graph(if_elif_else)(5) == "small"


# ---------------------------------------------------------------------------- real code


def _convert_module(module, monkeypatch) -> int:
    """Replaces every function and method defined in `module` by its conversion."""
    count = 0
    for name, obj in list(vars(module).items()):
        if isinstance(obj, types.FunctionType) and obj.__module__ == module.__name__:
            converted = convert(obj)
            count += converted is not obj
            monkeypatch.setattr(module, name, converted)
        elif isinstance(obj, type) and obj.__module__ == module.__name__:
            for attr, value in list(vars(obj).items()):
                if isinstance(value, types.FunctionType) and attr != "__new__":
                    converted = convert(value)
                    count += converted is not value
                    monkeypatch.setattr(obj, attr, converted)
    return count


def test_standard_library_modules_behave_the_same_when_converted(monkeypatch):
    import difflib
    import shlex
    import textwrap

    text = "The quick brown fox jumps over the lazy dog. " * 4
    a, b = ["one\n", "two\n", "three\n"], ["one\n", "2\n", "three\n", "four\n"]

    def run():
        return (
            textwrap.fill(text, 23),
            textwrap.dedent("    x\n      y\n"),
            textwrap.shorten(text, 30),
            shlex.split("a 'b c' \"d e\" f\\ g"),
            list(difflib.unified_diff(a, b)),
            difflib.SequenceMatcher(None, "abcd", "bcde").get_opcodes(),
            difflib.get_close_matches("appel", ["ape", "apple", "peach"]),
        )

    expected = run()
    assert _convert_module(textwrap, monkeypatch) > 5
    assert _convert_module(shlex, monkeypatch) > 5
    assert _convert_module(difflib, monkeypatch) > 10
    assert run() == expected
