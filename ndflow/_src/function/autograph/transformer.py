"""The AST rewrite behind autograph: Python control flow becomes calls of `ag__` operators.

`transform(fdef, namer)` rewrites one `ast.FunctionDef` (and the functions nested in it)
in these passes, each on the function's own scope (passes 1-4 live in `lowering`, shared
AST helpers in `ast_util`):

1. hoist `global` / `nonlocal` declarations to the top and turn `super()` into
   `super(__class__, self)`, because statements move into generated nested functions;
2. lower `break` / `continue` to boolean flags that guard the rest of the loop body and
   join the loop's test, and a loop's `else:` to an `if` after the loop (as TF does);
3. lower `return` inside control flow to `do_return` / `retval_` flags;
4. rewrite `and`, `or`, `not` and `x if c else y` into lazy `ag__` calls;
5. annotate each `if` / `while` / `for` with the names it modifies and the names live
   after it (a structured backward liveness pass);
6. initialise every name modified inside a block to `ag__.Undefined(name)` at the top of
   the function and read such names through `ag__.ld`, which raises `UnboundLocalError`
   as Python would, so a converted function run eagerly behaves like the original;
7. replace each `if` / `while` / `for` with generated `if_body` / `else_body` /
   `loop_body` / `loop_test` functions, `get_state` / `set_state` closures over the
   modified names (declared `nonlocal`) and a call of `ag__.if_stmt`, `ag__.while_stmt` or
   `ag__.for_stmt`, which decide at run time between plain Python and graph control flow.

Every generated statement takes the source location of the statement it replaces, so
tracebacks point at the user's lines.
"""

from __future__ import annotations

import ast
import copy
from collections.abc import Iterable, Iterator


from ndflow._src.function.autograph.ast_util import (
    _SCOPES,
    Namer,
    _ag_call,
    _and_all,
    _assign,
    _blocks,
    _const,
    _def,
    _load,
    _located,
    _stmt_bound,
    _store,
    _walk_stmts,
    bound_names,
    is_convertible,
    loaded_names,
    walk_scope,
)
from ndflow._src.function.autograph.lowering import (
    _CallConverter,
    _convert_logical,
    _DropLocalAnnotations,
    _hoist_declarations,
    _insert_after_docstring,
    _LogicalConverter,
    _lower_loops,
    _lower_returns,
    _rewrite_super,
)

# ---------------------------------------------------------------------------- pass 5


class _Liveness:
    """Structured backward liveness: annotates each if/while/for with `_ag_live_out`
    (names possibly read after it) and `_ag_modified` (names it binds)."""

    def block(self, stmts: list[ast.stmt], live: set[str]) -> set[str]:
        for s in reversed(stmts):
            live = self.stmt(s, live)
        return live

    def stmt(self, s: ast.stmt, live: set[str]) -> set[str]:
        if isinstance(s, ast.If):
            s._ag_live_out = frozenset(live)
            # Only the branches move into generated functions; a walrus in the test
            # binds in this scope as usual.
            s._ag_modified = bound_names(_walk_stmts(s.body + s.orelse))
            return loaded_names(s.test) | self.block(s.body, live) | self.block(s.orelse, live)
        if isinstance(s, ast.While):
            s._ag_live_out = frozenset(live)
            s._ag_modified = _stmt_bound(s)
            head = set(live) | loaded_names(s.test) | _extra_loads(s)
            while True:
                new = head | self.block(s.body, head)
                if new == head:
                    break
                head = new
            return head
        if isinstance(s, ast.For):
            s._ag_live_out = frozenset(live)
            s._ag_modified = bound_names(
                [s.target, *walk_scope(s.target), *_walk_stmts(s.body + s.orelse)]
            )
            target_defs = bound_names([s.target, *walk_scope(s.target)])
            head = set(live) | _extra_loads(s)
            while True:
                body_in = self.block(s.body, head)
                new = head | (body_in - target_defs) | loaded_names(s.target)
                if new == head:
                    break
                head = new
            return head | loaded_names(s.iter)
        if isinstance(s, (ast.With, ast.AsyncWith)):
            inner = self.block(s.body, live)
            for item in reversed(s.items):
                if item.optional_vars is not None:
                    inner = inner - bound_names(walk_scope(item)) | loaded_names(item.optional_vars)
                inner = inner | loaded_names(item.context_expr)
            return inner
        if isinstance(s, (ast.Try, ast.Match)) or type(s).__name__ == "TryStar":
            # Any part may run after any other: everything read inside stays live.
            everything = set(live) | loaded_names(s)
            for block in _blocks(s):
                self.block(block, everything)
            return everything
        if isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            return (live - {s.name}) | loaded_names(s)
        if isinstance(s, ast.AugAssign):
            # `x += 1` reads x before binding it.
            return (
                live
                | loaded_names(s)
                | bound_names(walk_scope(s.target))
                | ({s.target.id} if isinstance(s.target, ast.Name) else set())
            )
        if isinstance(s, ast.Delete):
            return live | loaded_names(s)
        return (live - _stmt_bound(s)) | loaded_names(s)


def _extra_loads(loop: ast.AST) -> set[str]:
    names: set[str] = set()
    for t in getattr(loop, "_ag_extra_tests", []):
        names |= loaded_names(t)
    return names


def _control_nodes(stmts: list[ast.stmt]) -> Iterator[ast.stmt]:
    for n in _walk_stmts(stmts):
        if isinstance(n, (ast.If, ast.While, ast.For)):
            yield n


# ---------------------------------------------------------------------------- pass 6


class _LoadWrapper(ast.NodeTransformer):
    """Reads `names` through `ag__.ld`, also from nested functions and lambdas where
    they are free variables (Python raises NameError there too)."""

    def __init__(self, names: set[str], free: bool = False) -> None:
        self.names = names
        self.free = free

    def visit_FunctionDef(self, node: ast.AST) -> ast.AST:
        for field in ("decorator_list", "returns"):
            value = getattr(node, field, None)
            if isinstance(value, list):
                setattr(node, field, [self.visit(v) for v in value])
        node.args = self.visit(node.args)  # defaults are evaluated in this scope
        if getattr(node, "_ag_state_getter", False):
            return node  # get_state reads undefined variables on purpose
        inner = self.names - _local_names(node)
        if inner:
            wrapper = _LoadWrapper(inner, free=True)
            node.body = [wrapper.visit(s) for s in node.body]
        return node

    visit_AsyncFunctionDef = visit_FunctionDef  # noqa: N815 - ast.NodeVisitor naming

    def visit_Lambda(self, node: ast.Lambda) -> ast.AST:
        node.args = self.visit(node.args)
        inner = self.names - _local_names(node)
        if inner:
            node.body = _LoadWrapper(inner, free=True).visit(node.body)
        return node

    def visit_ClassDef(self, node: ast.AST) -> ast.AST:
        return node

    def visit_Name(self, node: ast.Name) -> ast.AST:
        if isinstance(node.ctx, ast.Load) and node.id in self.names:
            call = _ag_call("ld", node, _const(True)) if self.free else _ag_call("ld", node)
            return ast.copy_location(call, node)
        return node


# ---------------------------------------------------------------------------- pass 7


def _local_names(node: ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda) -> set[str]:
    a = node.args
    local = {p.arg for p in a.posonlyargs + a.args + a.kwonlyargs}
    local |= {p.arg for p in (a.vararg, a.kwarg) if p is not None}
    if isinstance(node, ast.Lambda):
        return local | bound_names(walk_scope(node.body)) | bound_names([node.body])
    declared = set()
    for n in walk_scope(node):
        if isinstance(n, ast.Nonlocal):
            declared.update(n.names)
        elif isinstance(n, ast.Global):
            local.update(n.names)
    return local | (bound_names(walk_scope(node)) - declared)


class _ControlFlow:
    def __init__(self, namer: Namer, globals_: set[str]) -> None:
        self.namer = namer
        self.globals = globals_

    def block(self, stmts: list[ast.stmt]) -> list[ast.stmt]:
        out: list[ast.stmt] = []
        for s in stmts:
            if isinstance(s, ast.If):
                out.extend(self.if_stmt(s))
            elif isinstance(s, ast.While):
                out.extend(self.while_stmt(s))
            elif isinstance(s, ast.For):
                out.extend(self.for_stmt(s))
            else:
                if not isinstance(s, _SCOPES):
                    for block in _blocks(s):
                        if block:
                            block[:] = self.block(block) or [ast.Pass()]
                out.append(s)
        return out

    # -- shared pieces
    def _decls(self, names: Iterable[str]) -> list[ast.stmt]:
        names = sorted(names)
        glob = [n for n in names if n in self.globals]
        loc = [n for n in names if n not in self.globals]
        decls: list[ast.stmt] = []
        if glob:
            decls.append(ast.Global(names=glob))
        if loc:
            decls.append(ast.Nonlocal(names=loc))
        return decls

    def _state_fns(self, symbols: list[str]) -> tuple[str, str, list[ast.stmt]]:
        get_name, set_name = self.namer.new("get_state"), self.namer.new("set_state")
        values = ast.Tuple(elts=[_load(n) for n in symbols], ctx=ast.Load())
        getter = _def(get_name, [], [ast.Return(value=values)])
        getter._ag_state_getter = True
        param = self.namer.new("vars_")
        if symbols:
            target = ast.Tuple(elts=[_store(n) for n in symbols], ctx=ast.Store())
            set_body = self._decls(symbols) + [ast.Assign(targets=[target], value=_load(param))]
        else:
            set_body = [ast.Pass()]
        setter = _def(set_name, [param], set_body)
        return get_name, set_name, [getter, setter]

    @staticmethod
    def _symbols_tuple(symbols: list[str]) -> ast.Tuple:
        return ast.Tuple(elts=[_const(n) for n in symbols], ctx=ast.Load())

    # -- statements
    def if_stmt(self, s: ast.If) -> list[ast.stmt]:
        body = self.block(s.body)
        orelse = self.block(s.orelse)
        modified = set(s._ag_modified)
        outs = sorted(modified & s._ag_live_out)
        symbols = outs + sorted(modified - set(outs))
        get_name, set_name, state_defs = self._state_fns(symbols)
        body_name, else_name = self.namer.new("if_body"), self.namer.new("else_body")
        decls = self._decls(symbols)
        defs = [
            _def(body_name, [], decls + body),
            _def(else_name, [], copy.deepcopy(decls) + orelse),
        ]
        call = _ag_call(
            "if_stmt",
            s.test,
            _load(body_name),
            _load(else_name),
            _load(get_name),
            _load(set_name),
            self._symbols_tuple(symbols),
            _const(len(outs)),
        )
        return _located(state_defs + defs + [ast.Expr(value=call)], s)

    def while_stmt(self, s: ast.While) -> list[ast.stmt]:
        options = _loop_directives(s)
        body = self.block(s.body)
        symbols = sorted(s._ag_modified)
        get_name, set_name, state_defs = self._state_fns(symbols)
        body_name, test_name = self.namer.new("loop_body"), self.namer.new("loop_test")
        test = _LogicalConverter().visit(_and_all([*getattr(s, "_ag_extra_tests", []), s.test]))
        test_decls = self._decls(bound_names([test, *walk_scope(test)]))
        defs = [
            _def(body_name, [], self._decls(symbols) + body),
            _def(test_name, [], test_decls + [ast.Return(value=test)]),
        ]
        call = _ag_call(
            "while_stmt",
            _load(test_name),
            _load(body_name),
            _load(get_name),
            _load(set_name),
            self._symbols_tuple(symbols),
            options,
        )
        return _located(state_defs + defs + [ast.Expr(value=call)], s)

    def for_stmt(self, s: ast.For) -> list[ast.stmt]:
        options = _loop_directives(s)
        body = self.block(s.body)
        symbols = sorted(s._ag_modified)
        get_name, set_name, state_defs = self._state_fns(symbols)
        body_name, itr = self.namer.new("loop_body"), self.namer.new("itr")
        target_assign = ast.copy_location(
            ast.Assign(targets=[s.target], value=_load(itr)), s.target
        )
        defs: list[ast.stmt] = [
            _def(body_name, [itr], self._decls(symbols) + [target_assign] + body)
        ]
        extras = getattr(s, "_ag_extra_tests", [])
        if extras:
            test_name = self.namer.new("extra_test")
            test = _LogicalConverter().visit(_and_all(extras))
            defs.append(_def(test_name, [], [ast.Return(value=test)]))
            extra: ast.expr = _load(test_name)
        else:
            extra = _const(None)
        iterable = s.iter
        if (
            isinstance(iterable, ast.Call)
            and isinstance(iterable.func, ast.Name)
            and iterable.func.id == "range"
            and not iterable.keywords
            and not any(isinstance(a, ast.Starred) for a in iterable.args)
        ):
            iterable = ast.copy_location(
                _ag_call("range_", iterable.func, *iterable.args), iterable
            )
        call = _ag_call(
            "for_stmt",
            iterable,
            extra,
            _load(body_name),
            _load(get_name),
            _load(set_name),
            self._symbols_tuple(symbols),
            options,
        )
        return _located(state_defs + defs + [ast.Expr(value=call)], s)


def _loop_directives(loop: ast.For | ast.While) -> ast.Dict:
    """Removes `tf.autograph.experimental.set_loop_options(...)` calls from the top of
    the loop body and returns their keyword arguments as the loop's options dict."""
    keys: list[ast.expr | None] = []
    values: list[ast.expr] = []
    kept = []
    for stmt in loop.body:
        call = stmt.value if isinstance(stmt, ast.Expr) else None
        func = call.func if isinstance(call, ast.Call) else None
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
        if name == "set_loop_options" and not call.args:
            for kw in call.keywords:
                keys.append(_const(kw.arg) if kw.arg else None)
                values.append(kw.value)
            continue
        kept.append(stmt)
    loop.body = kept or [ast.Pass()]
    # Variables the loop binds that are read after it: the runtime may need to give the
    # ones undefined before the loop an initial value.
    live = sorted(loop._ag_modified & loop._ag_live_out)
    keys.append(_const("live_out"))
    values.append(ast.Tuple(elts=[_const(n) for n in live], ctx=ast.Load()))
    return ast.Dict(keys=keys, values=values)


# ---------------------------------------------------------------------------- driver


def _params(fdef: ast.FunctionDef) -> set[str]:
    a = fdef.args
    names = {p.arg for p in a.posonlyargs + a.args + a.kwonlyargs}
    if a.vararg:
        names.add(a.vararg.arg)
    if a.kwarg:
        names.add(a.kwarg.arg)
    return names


def _transform_nested(stmts: list[ast.stmt], namer: Namer, recursive: bool) -> None:
    for n in _walk_stmts(stmts):
        for field in ("body", "orelse", "finalbody"):
            block = getattr(n, field, None)
            if isinstance(n, _SCOPES) or not isinstance(block, list):
                continue
            for i, s in enumerate(block):
                if isinstance(s, ast.FunctionDef) and is_convertible(s):
                    block[i] = transform(s, namer, recursive)
        for h in getattr(n, "handlers", []) if not isinstance(n, _SCOPES) else []:
            for i, s in enumerate(h.body):
                if isinstance(s, ast.FunctionDef) and is_convertible(s):
                    h.body[i] = transform(s, namer, recursive)
    for i, s in enumerate(stmts):
        if isinstance(s, ast.FunctionDef) and is_convertible(s):
            stmts[i] = transform(s, namer, recursive)


def transform(fdef: ast.FunctionDef, namer: Namer, recursive: bool = True) -> ast.FunctionDef:
    """Rewrites `fdef` (in place, and returns it) and every function nested in it.
    `recursive`: route calls through `ag__.converted_call`."""
    _transform_nested(fdef.body, namer, recursive)
    globals_, nonlocals = _hoist_declarations(fdef)
    fdef.body = [_DropLocalAnnotations().visit(s) for s in fdef.body]
    if recursive:
        fdef.body = [_CallConverter().visit(s) for s in fdef.body]
    _rewrite_super(fdef)
    fdef.body = _lower_loops(fdef.body, namer)
    _lower_returns(fdef, namer)
    _convert_logical(fdef)

    exit_live = set(globals_) | set(nonlocals)
    for s in _walk_stmts(fdef.body):
        if isinstance(s, _SCOPES):
            exit_live |= loaded_names(s)  # closures may read the final values later
    _Liveness().block(fdef.body, exit_live)

    modified: set[str] = set()
    for node in _control_nodes(fdef.body):
        modified |= node._ag_modified
    prologue_names = modified - _params(fdef) - globals_ - nonlocals
    if prologue_names:
        wrapper = _LoadWrapper(prologue_names)
        fdef.body = [wrapper.visit(s) for s in fdef.body]
        inits = [_assign(n, _ag_call("Undefined", _const(n))) for n in sorted(prologue_names)]
        _insert_after_docstring(fdef, _located(inits, fdef.body[0]))

    fdef.body = _ControlFlow(namer, globals_).block(fdef.body)
    return fdef
