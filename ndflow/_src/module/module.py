"""`tf.Module`: a named container that finds its variables and submodules by reflection.

Reflection walks the instance's attributes in sorted name order, looking inside lists,
tuples, dicts and namedtuples with `tf.nest`'s order (dict keys sorted), so a module tree
lists its variables in the same order as TensorFlow. Each object is reported once (by
identity), and a module's own attributes come before those of its submodules.
"""

from __future__ import annotations

import functools
import re
from typing import Any
from collections.abc import Callable, Iterator

from ndflow._src.core import nest
from ndflow._src.core.context import ctx, name_scope
from ndflow._src.framework.tensor import VariableBase
from ndflow._src.module import trackable

_VALID_IDENTIFIER = re.compile(r"^[a-zA-Z_][a-zA-Z0-9_]*$")
# An underscore goes before a capital that follows a lowercase letter or digit, and before
# the last capital of an acronym when a lowercase letter follows: HTTPServer -> http_server.
_CAMEL_BOUNDARY = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<!^)(?=[A-Z][a-z])")


def camel_to_snake(value: str) -> str:
    """`"HTTPServerModule"` -> `"http_server_module"` (the default module name)."""
    return _CAMEL_BOUNDARY.sub("_", value).lower()


class _ModuleNameScope(name_scope):
    """An absolute name scope ("outer/name/") captured when the module was created.

    Module names are Python identifiers, which may start with "_", so this skips the
    op-name validation of `tf.name_scope`.
    """

    def __init__(self, scope: str) -> None:
        self._name = scope
        self._saved = None


def _is_variable(obj: Any) -> bool:
    return isinstance(obj, VariableBase)


def _is_trainable_variable(obj: Any) -> bool:
    return isinstance(obj, VariableBase) and getattr(obj, "trainable", False)


def _is_non_trainable_variable(obj: Any) -> bool:
    return isinstance(obj, VariableBase) and not getattr(obj, "trainable", False)


def _is_module(obj: Any) -> bool:
    return isinstance(obj, Module)


class Module:
    """`tf.Module`: a named collection of variables, submodules and functions.

    Args:
        name: a Python identifier; defaults to the class name in snake_case.

    Raises:
        ValueError: `name` is not a valid Python identifier.

    >>> import ndflow as tf
    >>> class Dense(tf.Module):
    ...     def __init__(self, n, name=None):
    ...         super().__init__(name=name)
    ...         self.w = tf.Variable([[1.0] * n] * n, name="w")
    ...         self.b = tf.Variable([0.0] * n, name="b")
    >>> d = Dense(2)
    >>> d.name, [v.name for v in d.variables]
    ('dense', ['b:0', 'w:0'])
    """

    # Attributes reflection skips (subclasses may extend the set).
    _TF_MODULE_IGNORED_PROPERTIES: frozenset = frozenset()

    def __init__(self, name: str | None = None) -> None:
        if name is None:
            name = camel_to_snake(type(self).__name__)
        elif not isinstance(name, str) or not _VALID_IDENTIFIER.match(name):
            raise ValueError(
                f"{name!r} is not a valid module name. Module names must be valid Python "
                "identifiers (e.g. a valid class name)."
            )
        self._name = name
        self._name_scope = _ModuleNameScope(ctx.scope + name + "/")

    def _ensure_named(self) -> None:
        # Subclasses that skip super().__init__() (common in tutorials) still get a name.
        if "_name" not in vars(self):
            Module.__init__(self)

    @property
    def name(self) -> str:
        """The module's name (without the enclosing name scopes)."""
        self._ensure_named()
        return self._name

    @property
    def name_scope(self) -> name_scope:
        """The `tf.name_scope` this module's variables and ops are created under."""
        self._ensure_named()
        return self._name_scope

    @property
    def variables(self) -> tuple:
        """Variables owned by this module and its submodules, in reflection order."""
        return tuple(self._flatten(predicate=_is_variable, expand_composites=True))

    @property
    def trainable_variables(self) -> tuple:
        """The `variables` whose `trainable` is True."""
        return tuple(self._flatten(predicate=_is_trainable_variable, expand_composites=True))

    @property
    def non_trainable_variables(self) -> tuple:
        """The `variables` whose `trainable` is False."""
        return tuple(self._flatten(predicate=_is_non_trainable_variable, expand_composites=True))

    @property
    def submodules(self) -> tuple:
        """Every module reachable from this one (not itself), each once.

        >>> import ndflow as tf
        >>> a = tf.Module(name="a"); a.b = tf.Module(name="b"); a.b.c = tf.Module(name="c")
        >>> [m.name for m in a.submodules]
        ['b', 'c']
        """
        return tuple(self._flatten(predicate=_is_module))

    def _flatten(
        self,
        recursive: bool = True,
        predicate: Callable[[Any], bool] | None = None,
        attribute_traversal_key: Callable | None = None,
        with_path: bool = False,
        expand_composites: bool = False,
    ) -> Iterator[Any]:
        """Yields the leaves of this module's attributes that satisfy `predicate`.

        Attributes are visited in sorted order (or by `attribute_traversal_key`), the
        values inside nested lists/tuples/dicts in `tf.nest` order; with `recursive`, each
        submodule is walked after all of its parent's attributes. Without `with_path` each
        object is yielded once; with it, every path to a match is yielded as
        `(path_tuple, leaf)` and cycles are cut at modules already on the current path.
        """
        if predicate is None:
            predicate = lambda _: True  # noqa: E731
        return _walk(self, recursive, predicate, attribute_traversal_key, with_path)

    @classmethod
    def with_name_scope(cls, method: Callable) -> Callable:
        """Decorator: runs `method` inside the module's name scope.

        >>> import ndflow as tf
        >>> class M(tf.Module):
        ...     @tf.Module.with_name_scope
        ...     def make(self):
        ...         return tf.Variable(1.0, name="v")
        >>> M(name="m").make().name
        'm/v:0'
        """

        @functools.wraps(method)
        def method_with_name_scope(self: Module, *args: Any, **kwargs: Any) -> Any:
            self._ensure_named()
            with _ModuleNameScope(self._name_scope.name):
                return method(self, *args, **kwargs)

        return method_with_name_scope

    # ------------------------------------------------------------------ trackable protocol
    def __setattr__(self, name: str, value: Any) -> None:
        super().__setattr__(name, value)
        if trackable._attach_hooks:
            trackable.notify_attached(self, name, value)

    def _trackable_children(self, save_type: str = trackable.CHECKPOINT, **kwargs: Any) -> dict:
        """Attributes holding trackables (variables, modules, containers of them), in
        assignment order, which is the order TensorFlow's object graph uses."""
        ignored = self._TF_MODULE_IGNORED_PROPERTIES
        kids = {
            k: v
            for k, v in vars(self).items()
            if k not in ignored and trackable.holds_trackable(v, save_type)
        }
        extra_types = trackable._extra_types.get(save_type, ())
        if extra_types:
            # Objects registered for this save type that live on the class (a decorated
            # method such as `@tf.function def __call__`), bound to this instance.
            for k in dir(type(self)):
                if k not in kids and k not in ignored:
                    if isinstance(getattr(type(self), k, None), extra_types):
                        kids[k] = getattr(self, k)
        return kids


def _walk(
    root: Module,
    recursive: bool,
    predicate: Callable[[Any], bool],
    key: Callable | None,
    with_path: bool,
) -> Iterator[Any]:
    # A stack of (path, module, ancestor ids). Children are pushed in reverse so each
    # submodule's subtree is finished before its next sibling, as a recursive walk would.
    seen = {id(root)}
    stack: list = [((), root, ())]
    while stack:
        path, module, ancestors = stack.pop()
        descend = recursive and id(module) not in ancestors
        inner = ancestors + (id(module),)
        ignored = getattr(module, "_TF_MODULE_IGNORED_PROPERTIES", frozenset())
        found = []
        attrs = vars(module)
        for name in sorted(attrs, key=key):
            if name in ignored:
                continue
            prop = attrs[name]
            try:
                leaves = nest.flatten_with_paths(prop)
            except Exception as cause:
                raise ValueError(f"Error processing property {name!r} of {prop!r}") from cause
            for leaf_path, leaf in leaves:
                full = path + (name,) + leaf_path
                if not with_path:
                    if id(leaf) in seen:
                        continue
                    seen.add(id(leaf))
                if predicate(leaf):
                    yield (full, leaf) if with_path else leaf
                if descend and isinstance(leaf, Module):
                    found.append((full, leaf, inner))
        stack.extend(reversed(found))
