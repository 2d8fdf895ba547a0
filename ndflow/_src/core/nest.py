"""`tf.nest`: flatten and rebuild nested structures of tuples, lists, dicts and namedtuples.

Dicts flatten in sorted key order, as TensorFlow does, so a structure flattens the same way
wherever it was built. Strings and tensors are leaves. Iteration is explicit (a stack), not
recursive.
"""

from __future__ import annotations

import collections.abc
from typing import Any, Callable


def _is_namedtuple(x: Any) -> bool:
    return isinstance(x, tuple) and hasattr(type(x), "_fields")


def _is_attrs(x: Any) -> bool:
    return hasattr(type(x), "__attrs_attrs__")


_LEAF_TYPES: set = set()  # types seen to be leaves, to skip the slower checks


def is_nested(x: Any) -> bool:
    """True for the containers nest recurses into."""
    cls = type(x)
    if cls in _LEAF_TYPES:
        return False
    if isinstance(x, (list, tuple, dict, collections.abc.Mapping)) or _is_attrs(x):
        return True
    _LEAF_TYPES.add(cls)
    return False


is_sequence = is_nested
is_nested_or_composite = is_nested


def _sorted_keys(d: Any) -> list:
    try:
        return sorted(d)
    except TypeError as e:
        raise TypeError("nest only supports dicts with sortable keys.") from e


def _children(x: Any) -> list:
    if isinstance(x, (dict, collections.abc.Mapping)):
        return [x[k] for k in _sorted_keys(x)]
    if _is_attrs(x):
        return [getattr(x, a.name) for a in type(x).__attrs_attrs__]
    return list(x)


def flatten(structure: Any, expand_composites: bool = False) -> list:
    """Returns the leaves of `structure` in TensorFlow's order.

    >>> flatten({"b": 2, "a": (1, [3])})
    [1, 3, 2]
    """
    if not is_nested(structure):
        return [structure]
    cls = type(structure)
    if cls is list or cls is tuple:  # the common flat case, without the stack walk
        for x in structure:
            if is_nested(x):
                break
        else:
            return list(structure)
    out: list = []
    stack = [structure]
    while stack:
        x = stack.pop()
        if is_nested(x):
            stack.extend(reversed(_children(x)))
        else:
            out.append(x)
    return out


def _rebuild(template: Any, children: list) -> Any:
    if isinstance(template, (dict, collections.abc.Mapping)):
        keys = _sorted_keys(template)
        by_key = dict(zip(keys, children))
        # Keep the template's own key order and mapping type.
        if isinstance(template, collections.defaultdict):
            result = collections.defaultdict(template.default_factory)
            for k in template:
                result[k] = by_key[k]
            return result
        try:
            return type(template)((k, by_key[k]) for k in template)
        except TypeError:
            return {k: by_key[k] for k in template}
    if _is_namedtuple(template):
        return type(template)(*children)
    if _is_attrs(template):
        return type(template)(*children)
    if isinstance(template, tuple):
        return tuple(children)
    if isinstance(template, list):
        return list(children)
    return type(template)(children)


def pack_sequence_as(structure: Any, flat_sequence: Any, expand_composites: bool = False) -> Any:
    """Packs `flat_sequence` into the shape of `structure`."""
    flat = list(flat_sequence)
    if not is_nested(structure):
        if len(flat) != 1:
            raise ValueError(f"Structure is a scalar but len(flat_sequence) == {len(flat)} > 1")
        return flat[0]
    cls = type(structure)
    if (cls is list or cls is tuple) and not any(is_nested(x) for x in structure):
        if len(structure) != len(flat):
            raise ValueError(
                "Could not pack sequence. Structure had "
                f"{len(structure)} atoms, but flat_sequence had {len(flat)} items. "
                f"Structure: {structure}, flat_sequence: {flat}."
            )
        return flat if cls is list else tuple(flat)
    n = len(flatten(structure))
    if n != len(flat):
        raise ValueError(
            "Could not pack sequence. Structure had "
            f"{n} atoms, but flat_sequence had {len(flat)} items. "
            f"Structure: {structure}, flat_sequence: {flat}."
        )
    pos = 0

    # Iterative post-order rebuild: (node, children_done) frames.
    def build(node: Any) -> Any:
        nonlocal pos
        stack: list = [(node, None)]
        results: list = []
        while stack:
            x, kids = stack.pop()
            if kids is None:
                if is_nested(x):
                    ch = _children(x)
                    stack.append((x, len(ch)))
                    for c in reversed(ch):
                        stack.append((c, None))
                else:
                    results.append(flat[pos])
                    pos += 1
            else:
                vals = results[len(results) - kids :] if kids else []
                del results[len(results) - kids :]
                results.append(_rebuild(x, vals))
        return results[0]

    return build(structure)


def map_structure(func: Callable, *structures: Any, **kwargs: Any) -> Any:
    """Applies `func` leaf by leaf across structures of the same shape."""
    if not structures:
        raise ValueError("Must provide at least one structure")
    check_types = kwargs.pop("check_types", True)
    kwargs.pop("expand_composites", None)
    if kwargs:
        raise ValueError(
            f"Only valid keyword arguments are `check_types` and "
            f"`expand_composites`, not: `{', '.join(kwargs)}`"
        )
    for other in structures[1:]:
        assert_same_structure(structures[0], other, check_types=check_types)
    flats = [flatten(s) for s in structures]
    return pack_sequence_as(structures[0], [func(*xs) for xs in zip(*flats)])


def _structure_signature(x: Any, check_types: bool) -> Any:
    if not is_nested(x):
        return None
    kind: Any = (
        type(x) if check_types else (dict if isinstance(x, collections.abc.Mapping) else list)
    )
    if check_types and isinstance(x, list):
        kind = list
    keys = tuple(_sorted_keys(x)) if isinstance(x, collections.abc.Mapping) else None
    return (kind, keys, len(_children(x)))


def assert_same_structure(
    nest1: Any, nest2: Any, check_types: bool = True, expand_composites: bool = False
) -> None:
    """Raises ValueError (or TypeError for differing sequence types) if shapes differ."""
    stack = [(nest1, nest2)]
    while stack:
        a, b = stack.pop()
        na, nb = is_nested(a), is_nested(b)
        if na != nb:
            raise ValueError(
                "The two structures don't have the same nested structure.\n\n"
                f"First structure: {nest1}\n\nSecond structure: {nest2}\n\n"
                f'More specifically: Substructure "{a if na else b}" is a sequence, while '
                f'substructure "{b if na else a}" is not'
            )
        if not na:
            continue
        if check_types and type(a) is not type(b):
            both_maps = isinstance(a, collections.abc.Mapping) and isinstance(
                b, collections.abc.Mapping
            )
            if not both_maps:
                raise TypeError(
                    "The two structures don't have the same sequence type. Input structure has "
                    f"type {type(a)}, while shallow structure has type {type(b)}."
                )
        if isinstance(a, collections.abc.Mapping) and isinstance(b, collections.abc.Mapping):
            if _sorted_keys(a) != _sorted_keys(b):
                raise ValueError(
                    "The two dictionaries don't have the same set of keys. First structure has "
                    f"keys {list(a.keys())}, while second structure has keys {list(b.keys())}."
                )
        ca, cb = _children(a), _children(b)
        if len(ca) != len(cb):
            raise ValueError(
                "The two structures don't have the same nested structure.\n\n"
                f"First structure: {nest1}\n\nSecond structure: {nest2}\n\n"
                f"More specifically: The two namedtuples don't have the same sequence type. "
                f"First structure has length {len(ca)}, while second structure has length {len(cb)}."
                if _is_namedtuple(a)
                else "The two structures don't have the same nested structure.\n\n"
                f"First structure: {nest1}\n\nSecond structure: {nest2}"
            )
        stack.extend(zip(ca, cb))


def flatten_with_joined_string_paths(structure: Any, separator: str = "/") -> list:
    return [(separator.join(str(p) for p in path), v) for path, v in flatten_with_paths(structure)]


def flatten_with_paths(structure: Any) -> list:
    """Leaves with the tuple of keys/indices leading to each."""
    out: list = []
    stack: list = [((), structure)]
    while stack:
        path, x = stack.pop()
        if is_nested(x):
            if isinstance(x, collections.abc.Mapping):
                items = [(k, x[k]) for k in _sorted_keys(x)]
            elif _is_namedtuple(x):
                items = list(zip(x._fields, x))
            else:
                items = list(enumerate(_children(x)))
            stack.extend((path + (k,), v) for k, v in reversed(items))
        else:
            out.append((path, x))
    return out


def map_structure_with_paths(func: Callable, *structures: Any, **kwargs: Any) -> Any:
    paths = [p for p, _ in flatten_with_paths(structures[0])]
    flats = [flatten(s) for s in structures]
    return pack_sequence_as(
        structures[0], [func("/".join(str(k) for k in p), *xs) for p, *xs in zip(paths, *flats)]
    )
