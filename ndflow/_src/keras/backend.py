"""Keras-side state shared by layers: unique names, the call context and tensor masks.

Masks ride beside tensors (ndflow tensors have fixed slots), keyed by the tensor's id and
dropped when the tensor is garbage-collected.

>>> unique_name("dense"), unique_name("dense")
('dense', 'dense_1')
>>> clear_session()
"""

from __future__ import annotations

import re
import threading
import weakref
from typing import Any

_state = threading.local()
_uids: dict[str, int] = {}
_masks: dict[int, Any] = {}


def to_snake_case(name: str) -> str:
    """Keras' class-name rule: "Conv2DTranspose" -> "conv2d_transpose"."""
    s = re.sub(r"(.)([A-Z][a-z0-9]+)", r"\1_\2", name)
    s = re.sub(r"([a-z])([A-Z])", r"\1_\2", s).lower()
    return s[1:] if s.startswith("_") else s


def unique_name(prefix: str) -> str:
    """ "prefix" the first time, then "prefix_1", "prefix_2", ... (per session)."""
    n = _uids.get(prefix, 0)
    _uids[prefix] = n + 1
    return prefix if n == 0 else f"{prefix}_{n}"


def epsilon() -> float:
    """`keras.backend.epsilon`: the fuzz factor Keras adds to avoid division by zero."""
    return 1e-7


def image_data_format() -> str:
    """`keras.backend.image_data_format`: channels last, the layout TF's CPU kernels use."""
    return "channels_last"


def clear_session() -> None:
    """`keras.backend.clear_session`: resets automatic names."""
    _uids.clear()


# ------------------------------------------------------------------ call context
class CallContext:
    """The enclosing layer calls: their `training` value and name path."""

    def __init__(self, training: Any = None) -> None:
        self.training = training
        self.path: list[str] = []


def call_context() -> CallContext | None:
    return getattr(_state, "ctx", None)


def enter_call_context(training: Any) -> tuple[CallContext, bool]:
    ctx = call_context()
    if ctx is None:
        ctx = CallContext(training)
        _state.ctx = ctx
        return ctx, True
    return ctx, False


def exit_call_context(is_outer: bool) -> None:
    if is_outer:
        _state.ctx = None


# ------------------------------------------------------------------ masks
def set_mask(tensor: Any, mask: Any) -> None:
    """Attaches a Keras mask to `tensor` (None removes it)."""
    key = id(tensor)
    if mask is None:
        _masks.pop(key, None)
        return
    try:
        weakref.finalize(tensor, _masks.pop, key, None)
    except TypeError:
        return
    _masks[key] = mask


def get_mask(tensor: Any) -> Any:
    """The Keras mask attached to `tensor`, or None."""
    return _masks.get(id(tensor))
