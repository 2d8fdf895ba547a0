"""Autograph's early passes: declarations, annotations, calls, jumps and logic.

They rewrite a function's own scope so that the control flow conversion afterwards only
sees structured `if` / `while` / `for` statements: `break`, `continue` and `return` become
boolean flags (TF's lowering), `and` / `or` / `not` / `x if c else y` become `ag__` calls.
"""

from __future__ import annotations

import ast
import builtins

from ndflow._src.function.autograph.ast_util import (
    _COMPREHENSIONS,
    _LOOPS,
    _SCOPES,
    AG,
    Namer,
    _ag_call,
    _assign,
    _blocks,
    _const,
    _lambda,
    _load,
    _located,
    _not,
    walk_scope,
)

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
