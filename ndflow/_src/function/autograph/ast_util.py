"""AST helpers shared by the autograph passes: node builders, scope walks, names."""

from __future__ import annotations

import ast
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


def _blocks(s: ast.stmt) -> list[list[ast.stmt]]:
    blocks = [
        getattr(s, f)
        for f in ("body", "orelse", "finalbody")
        if isinstance(getattr(s, f, None), list)
    ]
    blocks += [h.body for h in getattr(s, "handlers", [])]
    blocks += [c.body for c in getattr(s, "cases", [])]
    return blocks
