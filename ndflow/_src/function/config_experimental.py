"""`tf.config.experimental`: memory and determinism settings, accepted as no-ops."""

from __future__ import annotations

from typing import Any

from ndflow._src.function.config import (
    LogicalDeviceConfiguration as VirtualDeviceConfiguration,  # noqa: F401
)
from ndflow._src.function.config import (
    get_visible_devices,  # noqa: F401
    list_logical_devices,  # noqa: F401
    list_physical_devices,  # noqa: F401
    set_visible_devices,  # noqa: F401
)
from ndflow._src.function.config import experimental_functions_run_eagerly as functions_run_eagerly  # noqa: F401
from ndflow._src.function.config import experimental_run_functions_eagerly as run_functions_eagerly  # noqa: F401

_memory_growth: dict = {}


def set_memory_growth(device: Any, enable: bool) -> None:
    """Accepted and remembered; there is no GPU memory to manage."""
    _memory_growth[device] = bool(enable)


def get_memory_growth(device: Any) -> bool:
    return _memory_growth.get(device, False)


def get_memory_info(device: Any) -> dict:
    return {"current": 0, "peak": 0}


def reset_memory_stats(device: Any) -> None:
    """No-op."""


def get_device_details(device: Any) -> dict:
    return {}


_determinism = {"enabled": False}


def enable_op_determinism() -> None:
    """NumPy kernels are deterministic already; remembered for `is_op_determinism_enabled`."""
    _determinism["enabled"] = True


def disable_op_determinism() -> None:
    _determinism["enabled"] = False


def is_op_determinism_enabled() -> bool:
    return _determinism["enabled"]


def enable_tensor_float_32_execution(enabled: bool) -> None:
    """No-op."""


def tensor_float_32_execution_enabled() -> bool:
    return False


def set_device_policy(policy: Any) -> None:
    """No-op."""


def set_synchronous_execution(enable: bool) -> None:
    """No-op."""
