"""`tf.config.optimizer`: graph-optimizer and JIT switches, accepted and remembered."""

from __future__ import annotations

from typing import Any

_state: dict = {"jit": False, "experimental_options": {}}


def set_jit(enabled: Any) -> None:
    """Accepted; there is no XLA here."""
    _state["jit"] = enabled


def get_jit() -> Any:
    return _state["jit"]


def set_experimental_options(options: dict) -> None:
    _state["experimental_options"].update(options)


def get_experimental_options() -> dict:
    return dict(_state["experimental_options"])
