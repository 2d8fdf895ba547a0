"""The AST rewrite behind autograph: Python control flow becomes calls of `ag__` operators.

`transform(fdef, namer)` rewrites one `ast.FunctionDef` (and the functions nested in it)
in these passes, each on the function's own scope:

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
import builtins
import copy
from collections.abc import Iterable, Iterator

AG = "ag__"

_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)
_COMPREHENSIONS = (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)
_LOOPS = (ast.For, ast.While)


class Namer:
    """Hands out names that collide with nothing in the function being converted."""

    def __init__(self, used: Iterable[str]) -> None:
        self.used = set(used)
        self.generated: set[str] = set()

    def new(self, base: str) -> str:
        name, i = base, 1
        while name in self.used:
            name = f"{base}_{i}"
            i += 1
        self.used.add(name)
        self.generated.add(name)
        return name


def all_identifiers(tree: ast.AST) -> set[str]:
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            names.add(node.id)
        elif isinstance(node, ast.arg):
            names.add(node.arg)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, ast.alias):
            names.add((node.asname or node.name).split(".")[0])
    return names


# ---------------------------------------------------------------------------- AST helpers


def _load(name: str) -> ast.Name:
    return ast.Name(id=name, ctx=ast.Load())


def _store(name: str) -> ast.Name:
    return ast.Name(id=name, ctx=ast.Store())


def _ag(attr: str) -> ast.Attribute:
    return ast.Attribute(value=_load(AG), attr=attr, ctx=ast.Load())


def _ag_call(attr: str, *args: ast.expr) -> ast.Call:
    return ast.Call(func=_ag(attr), args=list(args), keywords=[])


def _assign(name: str, value: ast.expr) -> ast.Assign:
    return ast.Assign(targets=[_store(name)], value=value)


def _const(value: object) -> ast.Constant:
    return ast.Constant(value=value)


def _lambda(body: ast.expr) -> ast.Lambda:
    args = ast.arguments(
        posonlyargs=[], args=[], vararg=None, kwonlyargs=[], kw_defaults=[], kwarg=None, defaults=[]
    )
    return ast.Lambda(args=args, body=body)


def _def(name: str, params: list[str], body: list[ast.stmt]) -> ast.FunctionDef:
    args = ast.arguments(
        posonlyargs=[],
        args=[ast.arg(arg=p) for p in params],
        vararg=None,
        kwonlyargs=[],
        kw_defaults=[],
        kwarg=None,
        defaults=[],
    )
    return function_def(name, args, body or [ast.Pass()])


def function_def(name: str, args: ast.arguments, body: list[ast.stmt]) -> ast.FunctionDef:
    """An `ast.FunctionDef` on every supported Python (3.12 added `type_params`)."""
    node = ast.FunctionDef(name=name, args=args, body=body, decorator_list=[], returns=None)
    if "type_params" in ast.FunctionDef._fields:
        node.type_params = []
    return node


def _located(nodes: list[ast.stmt], origin: ast.AST) -> list[ast.stmt]:
    for n in nodes:
        if not hasattr(n, "lineno"):
            ast.copy_location(n, origin)
    return nodes


def _and_all(tests: list[ast.expr]) -> ast.expr:
    return tests[0] if len(tests) == 1 else ast.BoolOp(op=ast.And(), values=list(tests))


def _not(expr: ast.expr) -> ast.expr:
    return ast.UnaryOp(op=ast.Not(), operand=expr)


# ---------------------------------------------------------------------------- scope walks


def walk_scope(node: ast.AST) -> Iterator[ast.AST]:
    """The nodes under `node` in its own scope: nested functions, lambdas, classes and
    comprehensions are yielded but not entered."""
    stack = list(ast.iter_child_nodes(node))
    stack.reverse()
    while stack:
        n = stack.pop()
        yield n
        if isinstance(n, _SCOPES + _COMPREHENSIONS):
            continue
        children = list(ast.iter_child_nodes(n))
        children.reverse()
        stack.extend(children)


def _walk_stmts(stmts: list[ast.stmt]) -> Iterator[ast.AST]:
    for s in stmts:
        yield s
        if not isinstance(s, _SCOPES):
            yield from walk_scope(s)


def bound_names(nodes: Iterable[ast.AST]) -> set[str]:
    """Names bound (assigned, deleted, imported, defined) in these nodes' own scope."""
    names: set[str] = set()
    for n in nodes:
        if isinstance(n, ast.Name) and isinstance(n.ctx, (ast.Store, ast.Del)):
            names.add(n.id)
        elif isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(n.name)
        elif isinstance(n, ast.alias):
            if n.name != "*":
                names.add((n.asname or n.name).split(".")[0])
        # `except E as e` is left out: Python unbinds `e` when the handler ends, so it
        # never outlives the block and must stay local to the generated function.
        elif isinstance(n, (ast.MatchAs, ast.MatchStar)) and n.name:
            names.add(n.name)
        elif isinstance(n, ast.MatchMapping) and n.rest:
            names.add(n.rest)
        elif isinstance(n, _COMPREHENSIONS):
            # A walrus inside a comprehension binds in the enclosing function.
            for m in ast.walk(n):
                if isinstance(m, ast.NamedExpr) and isinstance(m.target, ast.Name):
                    names.add(m.target.id)
    return names


def _stmt_bound(s: ast.AST) -> set[str]:
    return bound_names([s, *walk_scope(s)])


def loaded_names(node: ast.AST | None) -> set[str]:
    """Every name read anywhere under `node`, nested scopes included (conservative)."""
    if node is None:
        return set()
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}


def _has_yield(fdef: ast.AST) -> bool:
    return any(isinstance(n, (ast.Yield, ast.YieldFrom, ast.Await)) for n in walk_scope(fdef))


def is_convertible(fdef: ast.AST) -> bool:
    """Generators and coroutines keep Python semantics: their bodies cannot move into
    nested functions."""
    return isinstance(fdef, ast.FunctionDef) and not _has_yield(fdef)


# ---------------------------------------------------------------------------- pass 1


def _hoist_declarations(fdef: ast.FunctionDef) -> tuple[set[str], set[str]]:
    """Moves `global` / `nonlocal` statements to the top of the function (they apply to
    the whole function anyway) and returns the declared names."""
    globals_, nonlocals = set(), set()

    def strip(stmts: list[ast.stmt]) -> list[ast.stmt]:
        out = []
        for s in stmts:
            if isinstance(s, ast.Global):
                globals_.update(s.names)
                continue
            if isinstance(s, ast.Nonlocal):
                nonlocals.update(s.names)
                continue
            if not isinstance(s, _SCOPES):
                for field in ("body", "orelse", "finalbody"):
                    block = getattr(s, field, None)
                    if isinstance(block, list) and block and isinstance(block[0], ast.stmt):
                        setattr(s, field, strip(block) or [ast.Pass()])
                for h in getattr(s, "handlers", []):
                    h.body = strip(h.body) or [ast.Pass()]
                for c in getattr(s, "cases", []):
                    c.body = strip(c.body) or [ast.Pass()]
            out.append(s)
        return out

    fdef.body = strip(fdef.body) or [ast.Pass()]
    decls: list[ast.stmt] = []
    if globals_:
        decls.append(ast.Global(names=sorted(globals_)))
    if nonlocals:
        decls.append(ast.Nonlocal(names=sorted(nonlocals)))
    _insert_after_docstring(fdef, _located(decls, fdef))
    return globals_, nonlocals


def _insert_after_docstring(fdef: ast.FunctionDef, stmts: list[ast.stmt]) -> None:
    first = fdef.body[0]
    has_doc = (
        isinstance(first, ast.Expr)
        and isinstance(first.value, ast.Constant)
        and isinstance(first.value.value, str)
    )
    at = 1 if has_doc else 0
    # Declarations stay first: the prologue goes after any global/nonlocal statements.
    while at < len(fdef.body) and isinstance(fdef.body[at], (ast.Global, ast.Nonlocal)):
        at += 1
    fdef.body[at:at] = stmts


class _DropLocalAnnotations(ast.NodeTransformer):
    """`x: T = v` -> `x = v`: Python never evaluates a local variable's annotation, and
    an annotated name cannot be declared `nonlocal` in the generated functions."""

    def visit_FunctionDef(self, node: ast.AST) -> ast.AST:
        return node

    visit_AsyncFunctionDef = visit_FunctionDef  # noqa: N815
    visit_ClassDef = visit_FunctionDef  # noqa: N815
    visit_Lambda = visit_FunctionDef  # noqa: N815

    def visit_AnnAssign(self, node: ast.AnnAssign) -> ast.AST:
        if not isinstance(node.target, ast.Name):
            return node
        if node.value is None:
            return ast.copy_location(ast.Pass(), node)
        return ast.copy_location(ast.Assign(targets=[node.target], value=node.value), node)


_BUILTIN_NAMES = frozenset(dir(builtins))


class _CallConverter(ast.NodeTransformer):
    """`f(a, *b, k=c)` -> `ag__.converted_call(f, (a, *b), {'k': c})`, so functions the
    user calls are converted too while a graph is traced. Calls of builtins by name
    (`print`, `super`, `range`, `len`, ...) stay as written."""

    def visit_FunctionDef(self, node: ast.AST) -> ast.AST:
        return node

    visit_AsyncFunctionDef = visit_FunctionDef  # noqa: N815
    visit_ClassDef = visit_FunctionDef  # noqa: N815

    def visit_Call(self, node: ast.Call) -> ast.AST:
        self.generic_visit(node)
        func = node.func
        if isinstance(func, ast.Name) and (func.id in _BUILTIN_NAMES or func.id == AG):
            return node
        if isinstance(func, ast.Attribute):
            if func.attr == "set_loop_options":  # a directive the loop conversion reads
                return node
            if isinstance(func.value, ast.Name) and func.value.id == AG:
                return node
        args = ast.Tuple(elts=node.args, ctx=ast.Load())
        if node.keywords:
            kwargs: ast.expr = ast.Dict(
                keys=[_const(k.arg) if k.arg else None for k in node.keywords],
                values=[k.value for k in node.keywords],
            )
        else:
            kwargs = _const(None)
        return ast.copy_location(_ag_call("converted_call", func, args, kwargs), node)


def _rewrite_super(fdef: ast.FunctionDef) -> None:
    params = fdef.args.posonlyargs + fdef.args.args
    if not params:
        return
    for n in walk_scope(fdef):
        if (
            isinstance(n, ast.Call)
            and isinstance(n.func, ast.Name)
            and n.func.id == "super"
            and not n.args
            and not n.keywords
        ):
            n.args = [_load("__class__"), _load(params[0].arg)]


# ---------------------------------------------------------------------------- pass 2 / 3


class _Lowerer:
    """Replaces one kind of jump (`break`, `continue` or `return`) by setting `flag` and
    guards every statement that could run after the jump with `if not flag:`."""

    def __init__(self, kind: type, flag: str, retval: str | None = None) -> None:
        self.kind = kind
        self.flag = flag
        self.retval = retval

    def block(self, stmts: list[ast.stmt]) -> tuple[list[ast.stmt], bool]:
        out: list[ast.stmt] = []
        for i, s in enumerate(stmts):
            new, jumps = self.stmt(s)
            out.extend(new)
            if jumps:
                rest, _ = self.block(stmts[i + 1 :])
                if rest:
                    guard = ast.If(test=_not(_load(self.flag)), body=rest, orelse=[])
                    out.append(ast.copy_location(guard, stmts[i + 1]))
                return out, True
        return out, False

    def stmt(self, s: ast.stmt) -> tuple[list[ast.stmt], bool]:
        if isinstance(s, self.kind):
            new: list[ast.stmt] = [_assign(self.flag, _const(True))]
            if self.retval is not None:
                # The value first: if computing it raises (and a handler catches that),
                # the function has not returned.
                value = s.value if s.value is not None else _const(None)
                new.insert(0, _assign(self.retval, value))
            return _located(new, s), True
        if isinstance(s, ast.If):
            s.body, a = self.block(s.body)
            s.orelse, b = self.block(s.orelse)
            return [s], a or b
        if isinstance(s, _LOOPS):
            if self.kind is not ast.Return:
                return [s], False  # break/continue inside belong to that loop
            s.body, found = self.block(s.body)
            if found:
                s._ag_extra_tests = [_not(_load(self.flag)), *getattr(s, "_ag_extra_tests", [])]
            return [s], found
        if isinstance(s, (ast.With, ast.AsyncWith)):
            s.body, found = self.block(s.body)
            return [s], found
        if isinstance(s, ast.Try) or type(s).__name__ == "TryStar":
            s.body, a = self.block(s.body)
            found = a
            for h in s.handlers:
                h.body, f = self.block(h.body)
                found = found or f
            s.orelse, b = self.block(s.orelse)
            s.finalbody, c = self.block(s.finalbody)
            return [s], found or b or c
        if isinstance(s, ast.Match):
            found = False
            for c in s.cases:
                c.body, f = self.block(c.body)
                found = found or f
            return [s], found
        return [s], False


def _contains(stmts: list[ast.stmt], kind: type, into_loops: bool) -> bool:
    stack = list(stmts)
    while stack:
        n = stack.pop()
        if isinstance(n, kind):
            return True
        if isinstance(n, _SCOPES + _COMPREHENSIONS) or (isinstance(n, _LOOPS) and not into_loops):
            continue
        stack.extend(ast.iter_child_nodes(n))
    return False


def _lower_loops(stmts: list[ast.stmt], namer: Namer) -> list[ast.stmt]:
    """Lowers break/continue and loop `else:` clauses, innermost loops first."""
    out: list[ast.stmt] = []
    for s in stmts:
        if isinstance(s, _LOOPS):
            out.extend(_lower_loop(s, namer))
            continue
        if isinstance(s, ast.If):
            s.body = _lower_loops(s.body, namer)
            s.orelse = _lower_loops(s.orelse, namer)
        elif isinstance(s, (ast.With, ast.AsyncWith)):
            s.body = _lower_loops(s.body, namer)
        elif isinstance(s, ast.Try) or type(s).__name__ == "TryStar":
            s.body = _lower_loops(s.body, namer)
            for h in s.handlers:
                h.body = _lower_loops(h.body, namer)
            s.orelse = _lower_loops(s.orelse, namer)
            s.finalbody = _lower_loops(s.finalbody, namer)
        elif isinstance(s, ast.Match):
            for c in s.cases:
                c.body = _lower_loops(c.body, namer)
        out.append(s)
    return out


def _lower_loop(loop: ast.For | ast.While, namer: Namer) -> list[ast.stmt]:
    loop.body = _lower_loops(loop.body, namer)
    orelse = _lower_loops(loop.orelse, namer)
    loop.orelse = []
    before: list[ast.stmt] = []
    after: list[ast.stmt] = []
    if _contains(loop.body, ast.Break, into_loops=False):
        flag = namer.new("break_")
        loop.body, _ = _Lowerer(ast.Break, flag).block(loop.body)
        loop._ag_extra_tests = [_not(_load(flag))]
        before.append(_assign(flag, _const(False)))
        if orelse:
            after.append(ast.If(test=_not(_load(flag)), body=orelse, orelse=[]))
    else:
        after.extend(orelse)
    if _contains(loop.body, ast.Continue, into_loops=False):
        flag = namer.new("continue_")
        body, _ = _Lowerer(ast.Continue, flag).block(loop.body)
        loop.body = _located([_assign(flag, _const(False))], loop.body[0]) + body
    return _located(before, loop) + [loop] + _located(after, loop)


def _lower_returns(fdef: ast.FunctionDef, namer: Namer) -> None:
    nested = any(
        isinstance(n, ast.Return)
        for s in fdef.body
        if not isinstance(s, ast.Return)
        for n in ([s] if isinstance(s, _SCOPES) else walk_scope(s))
    )
    if not nested:
        return
    fdef.body = _fold_returns(fdef.body)
    flag, retval = namer.new("do_return"), namer.new("retval_")
    body, _ = _Lowerer(ast.Return, flag, retval).block(fdef.body)
    prologue = [
        _assign(flag, _const(False)),
        _assign(retval, _ag_call("UndefinedReturnValue")),
    ]
    final = ast.Return(value=_ag_call("retval", _load(retval)))
    end = body[-1] if body else fdef
    fdef.body = body + [ast.copy_location(final, end)]
    _insert_after_docstring(fdef, _located(prologue, fdef))


def _exits(stmts: list[ast.stmt]) -> bool:
    if not stmts:
        return False
    last = stmts[-1]
    if isinstance(last, (ast.Return, ast.Raise)):
        return True
    return isinstance(last, ast.If) and _exits(last.body) and _exits(last.orelse)


def _fold_returns(stmts: list[ast.stmt]) -> list[ast.stmt]:
    """`if c: return a` followed by more statements becomes `if c: return a else: <rest>`,
    so both branches of a tensor `if` define the return value (as TF's converter does)."""
    out: list[ast.stmt] = []
    for i, s in enumerate(stmts):
        if not isinstance(s, _SCOPES):
            for block in _blocks(s):
                if block:
                    block[:] = _fold_returns(block)
        out.append(s)
        rest = stmts[i + 1 :]
        if isinstance(s, ast.If) and rest:
            if _exits(s.body) and not _exits(s.orelse):
                s.orelse = _fold_returns(s.orelse + rest)
                return out
            if s.orelse and _exits(s.orelse) and not _exits(s.body):
                s.body = _fold_returns(s.body + rest)
                return out
    return out


# ---------------------------------------------------------------------------- pass 4


class _LogicalConverter(ast.NodeTransformer):
    """`a and b` -> `ag__.and_(lambda: a, lambda: b)`, `not a` -> `ag__.not_(a)`,
    `x if c else y` -> `ag__.if_exp(c, lambda: x, lambda: y, 'expr')`."""

    def visit_FunctionDef(self, node: ast.AST) -> ast.AST:
        return node  # nested functions are converted on their own

    visit_AsyncFunctionDef = visit_FunctionDef  # noqa: N815 - ast.NodeVisitor naming
    visit_ClassDef = visit_FunctionDef  # noqa: N815

    def visit_BoolOp(self, node: ast.BoolOp) -> ast.AST:
        self.generic_visit(node)
        if _binds_inline(node):
            return node
        op = "and_" if isinstance(node.op, ast.And) else "or_"
        result = node.values[-1]
        for value in reversed(node.values[:-1]):
            result = _ag_call(op, _lambda(value), _lambda(result))
        return ast.copy_location(result, node)

    def visit_UnaryOp(self, node: ast.UnaryOp) -> ast.AST:
        self.generic_visit(node)
        if not isinstance(node.op, ast.Not):
            return node
        return ast.copy_location(_ag_call("not_", node.operand), node)

    def visit_IfExp(self, node: ast.IfExp) -> ast.AST:
        self.generic_visit(node)
        if _binds_inline(node):
            return node
        call = _ag_call(
            "if_exp", node.test, _lambda(node.body), _lambda(node.orelse), _const(_unparse(node))
        )
        return ast.copy_location(call, node)


def _binds_inline(node: ast.AST) -> bool:
    # Wrapping an operand holding a walrus (or a yield) in a lambda would change its scope.
    return any(
        isinstance(n, (ast.NamedExpr, ast.Yield, ast.YieldFrom, ast.Await)) for n in ast.walk(node)
    )


def _unparse(node: ast.AST) -> str:
    try:
        return ast.unparse(node)
    except Exception:  # noqa: BLE001 - only a label for error messages
        return "<expr>"


def _convert_logical(fdef: ast.FunctionDef) -> None:
    conv = _LogicalConverter()
    fdef.body = [conv.visit(s) for s in fdef.body]


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


def _blocks(s: ast.stmt) -> list[list[ast.stmt]]:
    blocks = [
        getattr(s, f)
        for f in ("body", "orelse", "finalbody")
        if isinstance(getattr(s, f, None), list)
    ]
    blocks += [h.body for h in getattr(s, "handlers", [])]
    blocks += [c.body for c in getattr(s, "cases", [])]
    return blocks


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
