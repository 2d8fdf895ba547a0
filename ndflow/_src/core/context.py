"""The one home of ndflow's global state: graph stack, tape stack, name scope and seeds.

Everything here changes only through context managers that restore in `finally`. The
graph and tape stacks are per thread (tf.data runs user code on worker threads); seeds
and configuration are process wide, as in TensorFlow.

`execute()` reads `ctx.graph` and `ctx.tapes` on every op, so they are plain attributes.
"""

from __future__ import annotations

import contextlib
import re
import threading
from typing import Any, Iterator


class _ThreadContext(threading.local):
    def __init__(self) -> None:
        # The graph being traced into (set by ndflow._src.graph), or None when eager.
        self.graph: Any = None
        # Active GradientTapes, innermost last (set by ndflow._src.autodiff).
        self.tapes: list = []
        # Current name scope, "" or "outer/inner/".
        self.scope: str = ""
        # Stack of (graph, tapes) saved by init_scope-like escapes.
        self.graph_stack: list = []


ctx = _ThreadContext()


def executing_eagerly() -> bool:
    """True unless a graph is being traced on this thread."""
    return ctx.graph is None


@contextlib.contextmanager
def graph_scope(graph: Any) -> Iterator[Any]:
    """Makes `graph` the target of ops on this thread until the block ends."""
    ctx.graph_stack.append(ctx.graph)
    ctx.graph = graph
    try:
        yield graph
    finally:
        ctx.graph = ctx.graph_stack.pop()


@contextlib.contextmanager
def eager_scope() -> Iterator[None]:
    """Runs ops eagerly inside a trace (`tf.init_scope`): for creating variables."""
    saved_graph, saved_tapes, saved_scope = ctx.graph, ctx.tapes, ctx.scope
    ctx.graph = None
    ctx.tapes = []
    try:
        yield
    finally:
        ctx.graph, ctx.tapes, ctx.scope = saved_graph, saved_tapes, saved_scope


# ---------------------------------------------------------------------------- name scopes

_VALID_SCOPE = re.compile(r"^[A-Za-z0-9.][A-Za-z0-9_.\\/>-]*$")


class name_scope:  # noqa: N801 - TensorFlow's name
    """`tf.name_scope(name)`: prefixes the names of variables and ops created inside.

    >>> import ndflow as tf
    >>> with tf.name_scope("layer"):
    ...     v = tf.Variable(1.0, name="w")
    >>> v.name
    'layer/w:0'
    """

    def __init__(self, name: str | None) -> None:
        if name and not _VALID_SCOPE.match(name.rstrip("/")):
            raise ValueError(f"'{name}' is not a valid scope name")
        self._name = name
        self._saved: str | None = None

    @property
    def name(self) -> str | None:
        return self._name

    def __enter__(self) -> str:
        self._saved = ctx.scope
        name = self._name
        if not name:
            ctx.scope = ""
        elif name.endswith("/"):
            ctx.scope = name
        else:
            ctx.scope = ctx.scope + name + "/"
        return ctx.scope

    def __exit__(self, *exc: Any) -> None:
        ctx.scope = self._saved


def current_scope() -> str:
    return ctx.scope


# ---------------------------------------------------------------------------- seeds

# TensorFlow's seed rules: with a global seed, each random op draws its own op seed from
# a counter that set_seed resets, so a program repeats; without one, ops are random.
DEFAULT_GRAPH_SEED = 87654321
_seed_state: dict[str, Any] = {"global": None, "counter": 0}


def set_global_seed(seed: int | None) -> None:
    _seed_state["global"] = None if seed is None else int(seed)
    _seed_state["counter"] = 0


def global_seed() -> int | None:
    return _seed_state["global"]


def get_seed(op_seed: int | None) -> tuple[int | None, int | None]:
    """`tf.random.get_seed`: the (global, op) seed pair a random op should use."""
    g = _seed_state["global"]
    if g is not None:
        if op_seed is None:
            _seed_state["counter"] += 1
            op_seed = _seed_state["counter"]
        return g, int(op_seed)
    if op_seed is not None:
        return DEFAULT_GRAPH_SEED, int(op_seed)
    return None, None


# ---------------------------------------------------------------------------- config

config: dict[str, Any] = {
    "run_functions_eagerly": False,
    "soft_device_placement": True,
}
