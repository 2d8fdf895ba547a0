"""A name scope from a user-chosen object name (which may hold spaces or symbols)."""

from __future__ import annotations

import re

import ndflow as tf

_UNSAFE = re.compile(r"[^A-Za-z0-9_.\-/]")


def safe_name(name: str) -> str:
    """`name` with characters a scope name cannot hold replaced by "_"."""
    name = _UNSAFE.sub("_", str(name)).lstrip("-/_.") or "scope"
    return name if name[0].isalnum() else f"scope{name}"


def scope(name: str) -> tf.name_scope:
    """`tf.name_scope` for an object's (possibly invalid) name."""
    return tf.name_scope(safe_name(name))
