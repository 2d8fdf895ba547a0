"""`tf.config`: public re-exports only."""

# ruff: noqa: F401
from ndflow._src.function import config_experimental as experimental
from ndflow._src.function import config_optimizer as optimizer
from ndflow._src.function import config_threading as threading
from ndflow._src.function.config import LogicalDevice as LogicalDevice
from ndflow._src.function.config import LogicalDeviceConfiguration as LogicalDeviceConfiguration
from ndflow._src.function.config import PhysicalDevice as PhysicalDevice
from ndflow._src.function.config import functions_run_eagerly as functions_run_eagerly
from ndflow._src.function.config import (
    get_logical_device_configuration as get_logical_device_configuration,
)
from ndflow._src.function.config import get_soft_device_placement as get_soft_device_placement
from ndflow._src.function.config import get_visible_devices as get_visible_devices
from ndflow._src.function.config import list_logical_devices as list_logical_devices
from ndflow._src.function.config import list_physical_devices as list_physical_devices
from ndflow._src.function.config import run_functions_eagerly as run_functions_eagerly
from ndflow._src.function.config import (
    set_logical_device_configuration as set_logical_device_configuration,
)
from ndflow._src.function.config import set_soft_device_placement as set_soft_device_placement
from ndflow._src.function.config import set_visible_devices as set_visible_devices
