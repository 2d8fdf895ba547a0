"""`tf.data.Options`, `tf.data.AUTOTUNE` and the cardinality constants."""

from __future__ import annotations

from typing import Any

AUTOTUNE = -1
INFINITE_CARDINALITY = -1
UNKNOWN_CARDINALITY = -2


class _OptionGroup:
    """A group of options: attributes with defaults, set by assignment."""

    _defaults: dict[str, Any] = {}

    def __init__(self) -> None:
        for k, v in self._defaults.items():
            object.__setattr__(self, k, v)

    def __setattr__(self, name: str, value: Any) -> None:
        if name not in self._defaults:
            raise AttributeError(f"Cannot set the property {name} on {type(self).__name__}.")
        object.__setattr__(self, name, value)

    def _merge(self, other: _OptionGroup) -> None:
        for k, v in vars(other).items():
            if v is not None and v != self._defaults.get(k):
                object.__setattr__(self, k, v)

    def __eq__(self, other: Any) -> bool:
        return type(self) is type(other) and vars(self) == vars(other)


class ThreadingOptions(_OptionGroup):
    _defaults = {"max_intra_op_parallelism": None, "private_threadpool_size": None}


class OptimizationOptions(_OptionGroup):
    _defaults = {
        "apply_default_optimizations": None,
        "map_and_batch_fusion": None,
        "map_parallelization": None,
        "parallel_batch": None,
        "shuffle_and_repeat_fusion": None,
        "noop_elimination": None,
        "filter_parallelization": None,
        "inject_prefetch": None,
    }


class DistributeOptions(_OptionGroup):
    _defaults = {"auto_shard_policy": 0, "num_devices": None}


class AutotuneOptions(_OptionGroup):
    _defaults = {"enabled": None, "cpu_budget": None, "ram_budget": None}


class AutoShardPolicy:
    OFF = -1
    AUTO = 0
    FILE = 1
    DATA = 2
    HINT = 3


class Options:
    """`tf.data.Options`: settings attached to a dataset with `with_options`.

    >>> import ndflow as tf
    >>> o = tf.data.Options()
    >>> o.deterministic = True
    >>> tf.data.Dataset.range(3).with_options(o).options().deterministic
    True
    """

    def __init__(self) -> None:
        self.deterministic: bool | None = None
        self.experimental_deterministic: bool | None = None
        self.experimental_slack: bool | None = None
        self.experimental_external_state_policy: Any = None
        self.experimental_warm_start: bool | None = None
        self.experimental_symbolic_checkpoint: bool | None = None
        self.threading = ThreadingOptions()
        self.experimental_threading = self.threading
        self.experimental_optimization = OptimizationOptions()
        self.experimental_distribute = DistributeOptions()
        self.autotune = AutotuneOptions()

    def merge(self, other: Options) -> Options:
        out = Options()
        for src in (self, other):
            for k in (
                "deterministic",
                "experimental_deterministic",
                "experimental_slack",
                "experimental_external_state_policy",
                "experimental_warm_start",
                "experimental_symbolic_checkpoint",
            ):
                v = getattr(src, k)
                if v is not None:
                    setattr(out, k, v)
            out.threading._merge(src.threading)
            out.experimental_optimization._merge(src.experimental_optimization)
            out.experimental_distribute._merge(src.experimental_distribute)
            out.autotune._merge(src.autotune)
        return out

    def __eq__(self, other: Any) -> bool:
        if not isinstance(other, Options):
            return NotImplemented
        return all(
            getattr(self, k) == getattr(other, k)
            for k in (
                "deterministic",
                "experimental_slack",
                "threading",
                "experimental_optimization",
                "experimental_distribute",
                "autotune",
            )
        )
