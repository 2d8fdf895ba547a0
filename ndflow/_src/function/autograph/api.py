"""`convert(fn)`: load a function's source, rewrite it, compile it beside the original.

The rewritten function is compiled with the original file name and line numbers, inside
a throwaway factory function that declares the original's free variables; the new code
object is then bound to the original's globals dict and to its very closure cells, so
closures see current values (and `nonlocal` writes reach the original cells), defaults
and keyword defaults are the original objects, and `super()` keeps its `__class__` cell.
Conversions are cached per code object (the rewrite) and per function object (the bound
function).

Calls are routed through `ag__.converted_call`, which converts the called function
first only while a graph is being traced and only when it is user code (a source file
outside the standard library, installed packages and ndflow); eagerly, and for library
code, the call is made as written. Calls of builtins by name (`print`, `len`, `range`,
`super`, ...) are never rewritten.
"""

from __future__ import annotations

import __future__
import ast
import builtins
import enum
import functools
import inspect
import types
import warnings
import weakref
from typing import Any
from collections.abc import Callable

from ndflow._src.function.autograph import operators
from ndflow._src.function.autograph.ast_util import (
    Namer,
    all_identifiers,
    function_def,
    is_convertible,
)
from ndflow._src.function.autograph.transformer import transform

_FUTURE_FLAGS = 0
for _feature in __future__.all_feature_names:
    _FUTURE_FLAGS |= getattr(__future__, _feature).compiler_flag

_SKIP_FLAGS = inspect.CO_GENERATOR | inspect.CO_COROUTINE | inspect.CO_ASYNC_GENERATOR
_SKIP_MODULES = ("ndflow", "numpy")
_CONVERTIBLE_NODES = (ast.If, ast.While, ast.For, ast.BoolOp, ast.IfExp)
_BUILTINS = frozenset(dir(builtins))

# Original code object -> (converted code object or None when nothing needs converting,
# converted source text).
_code_cache: dict[types.CodeType, tuple[types.CodeType | None, str]] = {}
# Original function -> converted function (or the original when it is kept as is).
_fn_cache: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


class ConversionError(Exception):
    """A function could not be converted; `convert` warns and runs it as is."""


def do_not_convert(func: Callable | None = None) -> Callable:
    """`tf.autograph.experimental.do_not_convert`: keeps `func` plain Python inside
    `tf.function` (no control flow conversion).

    >>> import ndflow as tf
    >>> @tf.autograph.experimental.do_not_convert
    ... def f(x):
    ...     return x if x > 0 else -x
    >>> f(-2)
    2
    """
    if func is None:
        return do_not_convert

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        return func(*args, **kwargs)

    wrapper._ag_do_not_convert = True
    return wrapper


def _warn(fn: Any, cause: str) -> None:
    warnings.warn(
        f"AutoGraph could not transform {fn!r} and will run it as-is.\n"
        f"Cause: {cause}\n"
        "To silence this warning, decorate the function with "
        "@tf.autograph.experimental.do_not_convert",
        stacklevel=3,
    )


def convert(fn: Callable) -> Callable:
    """Returns `fn` with Python control flow on tensors turned into graph control flow.

    Functions, bound methods, `functools.partial` objects and callable objects (through
    their `__call__`) are converted; lambdas, generators, do_not_convert functions and
    ndflow's own functions are returned unchanged; builtins and functions without
    source code are returned unchanged with a warning.

    >>> def f(x):
    ...     if x > 0:
    ...         x = x * 2
    ...     return x
    >>> convert(f)(3)
    6
    """
    if getattr(fn, "_ag_do_not_convert", False) or getattr(fn, "_ag_converted", False):
        return fn
    if isinstance(fn, types.MethodType):
        converted = convert(fn.__func__)
        return fn if converted is fn.__func__ else types.MethodType(converted, fn.__self__)
    if isinstance(fn, functools.partial):
        converted = convert(fn.func)
        if converted is fn.func:
            return fn
        return functools.partial(converted, *fn.args, **fn.keywords)
    if isinstance(fn, types.FunctionType):
        return _convert_function(fn)
    if isinstance(fn, (types.BuiltinFunctionType, types.BuiltinMethodType)) or inspect.isroutine(
        fn
    ):
        _warn(fn, "it is a builtin or C function: there is no Python source to convert")
        return fn
    if callable(fn) and not isinstance(fn, type):
        call = inspect.getattr_static(type(fn), "__call__", None)
        if isinstance(call, types.FunctionType):
            converted = convert(call)
            return fn if converted is call else types.MethodType(converted, fn)
    return fn


def _convert_function(fn: types.FunctionType) -> Callable:
    cached = _fn_cache.get(fn)
    if cached is not None and (cached is fn or cached._ag_source_code is fn.__code__):
        return cached
    code = fn.__code__
    module = getattr(fn, "__module__", None) or ""
    if (
        fn.__name__ == "<lambda>"
        or code.co_flags & _SKIP_FLAGS
        or module.split(".")[0] in _SKIP_MODULES
    ):
        return fn
    try:
        new_code = _converted_code(fn)
    except ConversionError as e:
        _warn(fn, str(e))
        new_code = None
    except Exception as e:  # noqa: BLE001 - any failure falls back to the original
        _warn(fn, f"{type(e).__name__}: {e}")
        new_code = None
    if new_code is None:
        _code_cache.setdefault(code, (None, ""))
        _fn_cache[fn] = fn
        return fn
    converted = _instantiate(fn, new_code)
    _fn_cache[fn] = converted
    return converted


def _instantiate(fn: types.FunctionType, new_code: types.CodeType) -> types.FunctionType:
    cells = dict(zip(fn.__code__.co_freevars, fn.__closure__ or ()))
    closure = tuple(
        cells[name] if name in cells else types.CellType(operators if name == "ag__" else None)
        for name in new_code.co_freevars
    )
    new = types.FunctionType(new_code, fn.__globals__, fn.__name__, fn.__defaults__, closure)
    new.__kwdefaults__ = fn.__kwdefaults__
    new.__dict__.update(fn.__dict__)
    new.__doc__ = fn.__doc__
    new.__module__ = fn.__module__
    new.__qualname__ = fn.__qualname__
    new.__annotations__ = fn.__annotations__
    new.__wrapped__ = fn
    new._ag_converted = True
    new._ag_source_code = fn.__code__
    return new


def _converted_code(fn: types.FunctionType) -> types.CodeType | None:
    code = fn.__code__
    if code in _code_cache:
        return _code_cache[code][0]
    node = _function_ast(fn)
    if not any(_needs_conversion(n) for n in ast.walk(node)):
        _code_cache[code] = (None, "")
        return None
    if not is_convertible(node):
        _code_cache[code] = (None, "")
        return None
    introspection = _local_introspection(node)
    if introspection:
        raise ConversionError(
            f"it calls {introspection}, which would see the generated functions' scopes"
        )
    node.decorator_list = []
    class_name = _enclosing_class(fn.__qualname__)
    if class_name:
        _mangle(node, class_name)
    a = node.args
    params = [p.arg for p in a.posonlyargs + a.args + a.kwonlyargs]
    expected = code.co_argcount + code.co_kwonlyargcount  # co_argcount counts posonly
    if params != list(code.co_varnames[: len(params)]) or len(params) != expected:
        raise ConversionError("the source code does not match the function (edited file?)")
    transform(node, Namer(all_identifiers(node)))

    factory_body: list[ast.stmt] = [
        ast.Assign(targets=[ast.Name(id=name, ctx=ast.Store())], value=ast.Constant(None))
        for name in (*code.co_freevars, "ag__")
    ]
    for stmt in factory_body:
        ast.copy_location(stmt, node)
    no_args = ast.arguments(
        posonlyargs=[], args=[], vararg=None, kwonlyargs=[], kw_defaults=[], kwarg=None, defaults=[]
    )
    ast.fix_missing_locations(node)
    text = ast.unparse(node)
    # Under another name in the factory: the function's own name must stay a global (or
    # the original's closure cell), so that recursive calls reach it.
    name, node.name = node.name, "ag__converted"
    factory = function_def("ag__factory", no_args, [*factory_body, node])
    ast.copy_location(factory, node)
    module = ast.Module(body=[factory], type_ignores=[])
    ast.fix_missing_locations(module)
    compiled = compile(
        module, code.co_filename, "exec", flags=code.co_flags & _FUTURE_FLAGS, dont_inherit=True
    )
    factory_code = _find_code(compiled, "ag__factory")
    new_code = _find_code(factory_code, "ag__converted").replace(co_name=name)
    if hasattr(new_code, "co_qualname"):
        new_code = new_code.replace(co_qualname=code.co_qualname)
    _code_cache[code] = (new_code, text)
    return new_code


def _local_introspection(node: ast.AST) -> str | None:
    """`locals()`, `vars()`, `dir()` or a one-argument `eval` / `exec`: calls that read
    the calling scope, which conversion splits into nested functions."""
    for n in ast.walk(node):
        if isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and not n.keywords:
            name, nargs = n.func.id, len(n.args)
            if (name in ("locals", "vars", "dir") and nargs == 0) or (
                name in ("eval", "exec") and nargs == 1
            ):
                return f"{name}()"
    return None


def _needs_conversion(node: ast.AST) -> bool:
    if isinstance(node, ast.UnaryOp):
        return isinstance(node.op, ast.Not)
    if isinstance(node, ast.Call):  # a call that converted_call may convert
        return not (isinstance(node.func, ast.Name) and node.func.id in _BUILTINS)
    return isinstance(node, _CONVERTIBLE_NODES)


def _find_code(code: types.CodeType, name: str) -> types.CodeType:
    for const in code.co_consts:
        if isinstance(const, types.CodeType) and const.co_name == name:
            return const
    raise ConversionError(f"internal error: no code object named {name!r}")


def _function_ast(fn: types.FunctionType) -> ast.FunctionDef:
    try:
        # The code object, not the function: inspect would follow a decorator's
        # `__wrapped__` to another function's source.
        lines, first = inspect.getsourcelines(fn.__code__)
    except (OSError, TypeError) as e:
        raise ConversionError(f"could not get source code ({e})") from None
    source = "".join(lines)
    indented = bool(lines) and lines[0][:1].isspace()
    try:
        if indented:
            tree = ast.parse("if 1:\n" + source)
            node = tree.body[0].body[0]
            offset = first - 2
        else:
            tree = ast.parse(source)
            node = tree.body[0]
            offset = first - 1
    except SyntaxError as e:
        raise ConversionError(f"could not parse the source code ({e.msg})") from None
    if (
        not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
        or node.name != fn.__code__.co_name
    ):
        raise ConversionError("could not find the function's definition in its source code")
    ast.increment_lineno(node, offset)
    return node


def _enclosing_class(qualname: str) -> str | None:
    parts = qualname.split(".")[:-1]
    for i in range(len(parts) - 1, -1, -1):
        if parts[i] == "<locals>":
            continue
        following = parts[i + 1] if i + 1 < len(parts) else None
        if following != "<locals>":
            return parts[i]
    return None


def _mangle(node: ast.AST, class_name: str) -> None:
    """Private name mangling, which Python applied to the original inside its class."""
    stripped = class_name.lstrip("_")
    if not stripped:
        return

    def mangled(name: str) -> str:
        if name.startswith("__") and not name.endswith("__") and "." not in name:
            return f"_{stripped}{name}"
        return name

    for n in ast.walk(node):
        if isinstance(n, ast.Name):
            n.id = mangled(n.id)
        elif isinstance(n, ast.Attribute):
            n.attr = mangled(n.attr)
        elif isinstance(n, ast.arg):
            n.arg = mangled(n.arg)
        elif isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and n is not node:
            n.name = mangled(n.name)


def to_code(fn: Callable) -> str:
    """`tf.autograph.to_code`: the source of the converted function, as text.

    >>> def f(x):
    ...     if x > 0:
    ...         x = -x
    ...     return x
    >>> "ag__.if_stmt" in to_code(f)
    True
    """
    target = fn.__func__ if isinstance(fn, types.MethodType) else fn
    if not isinstance(target, types.FunctionType):
        raise TypeError(f"to_code expects a Python function or method. Received: {fn!r}")
    new_code = _converted_code(target)
    if new_code is None:
        return inspect.getsource(target)
    return _code_cache[target.__code__][1]


def to_graph(
    entity: Callable, recursive: bool = True, experimental_optional_features: Any = None
) -> Callable:
    """`tf.autograph.to_graph`: the converted function (see `convert`).

    >>> def f(n):
    ...     total = 0
    ...     for i in range(n):
    ...         if i % 2:
    ...             continue
    ...         total += i
    ...     return total
    >>> to_graph(f)(5)
    6
    """
    return convert(entity)


class Feature(enum.Enum):
    """`tf.autograph.experimental.Feature`: optional conversions. Accepted for
    compatibility; ndflow applies its one conversion whatever is asked."""

    ALL = "ALL"
    AUTO_CONTROL_DEPS = "AUTO_CONTROL_DEPS"
    ASSERT_STATEMENTS = "ASSERT_STATEMENTS"
    BUILTIN_FUNCTIONS = "BUILTIN_FUNCTIONS"
    EQUALITY_OPERATORS = "EQUALITY_OPERATORS"
    LISTS = "LISTS"
    NAME_SCOPES = "NAME_SCOPES"


_verbosity = {"level": 0, "alsologtostdout": False}


def set_verbosity(level: int, alsologtostdout: bool = False) -> None:
    """`tf.autograph.set_verbosity`: kept for compatibility; ndflow's conversion logs
    nothing beyond its warnings, so the level is only recorded."""
    _verbosity["level"] = int(level)
    _verbosity["alsologtostdout"] = bool(alsologtostdout)


def trace(*args: Any) -> None:
    """`tf.autograph.trace`: prints its arguments when the code runs (during tracing in
    a `tf.function`), like `print`."""
    print(*args)
