"""`tf.config`: running functions eagerly, and the device queries TF code commonly makes.

There is one device, the CPU; GPU queries return empty lists and memory and threading
settings are accepted and ignored (NumPy's BLAS uses every core).
"""

from __future__ import annotations

from typing import Any, NamedTuple

from ndflow._src.core.context import config as _config


class PhysicalDevice(NamedTuple):
    """`tf.config.PhysicalDevice`."""

    name: str
    device_type: str


class LogicalDevice(NamedTuple):
    """`tf.config.LogicalDevice`."""

    name: str
    device_type: str


_CPU = PhysicalDevice("/physical_device:CPU:0", "CPU")
_CPU_LOGICAL = LogicalDevice("/device:CPU:0", "CPU")


def run_functions_eagerly(run_eagerly: bool) -> None:
    """`tf.config.run_functions_eagerly`: with True, every tf.function runs as plain
    Python (for debugging), as in TensorFlow.

    >>> import ndflow as tf
    >>> tf.config.run_functions_eagerly(False)
    """
    _config["run_functions_eagerly"] = bool(run_eagerly)


def functions_run_eagerly() -> bool:
    """`tf.config.functions_run_eagerly`: the current `run_functions_eagerly` setting."""
    return bool(_config["run_functions_eagerly"])


def list_physical_devices(device_type: str | None = None) -> list:
    """`tf.config.list_physical_devices`: the CPU (no GPUs here)."""
    if device_type is None or device_type.upper() == "CPU":
        return [_CPU]
    return []


def list_logical_devices(device_type: str | None = None) -> list:
    """`tf.config.list_logical_devices`."""
    if device_type is None or device_type.upper() == "CPU":
        return [_CPU_LOGICAL]
    return []


def get_visible_devices(device_type: str | None = None) -> list:
    return list_physical_devices(device_type)


def set_visible_devices(devices: Any, device_type: str | None = None) -> None:
    """Accepted and ignored: there is only the CPU."""


def get_logical_device_configuration(device: Any) -> None:
    return None


def set_logical_device_configuration(device: Any, logical_devices: Any) -> None:
    """Accepted and ignored."""


def set_soft_device_placement(enabled: bool) -> None:
    _config["soft_device_placement"] = bool(enabled)


def get_soft_device_placement() -> bool:
    return bool(_config["soft_device_placement"])


class LogicalDeviceConfiguration(NamedTuple):
    memory_limit: Any = None
    experimental_priority: Any = None
    experimental_device_ordinal: Any = None


def experimental_run_functions_eagerly(run_eagerly: bool) -> None:
    run_functions_eagerly(run_eagerly)


def experimental_functions_run_eagerly() -> bool:
    return functions_run_eagerly()
