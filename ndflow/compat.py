"""Running TensorFlow code unchanged: ndflow under the names `tensorflow`, `keras` and
`keras_tuner`.

`install()` adds an import hook for the current process only, so `import tensorflow as
tf`, `from tensorflow.keras import layers` and `import keras_tuner as kt` load ndflow's
modules. `ndflow run script.py` calls it before running the script.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.util
import sys
from typing import Any

# name a script imports -> the ndflow module that serves it
ALIASES = {
    "tensorflow": "ndflow",
    "keras": "ndflow.keras",
    "keras_tuner": "ndflow.keras_tuner",
}


def _target(fullname: str) -> str | None:
    for alias, real in ALIASES.items():
        if fullname == alias:
            return real
        if fullname.startswith(alias + "."):
            return real + fullname[len(alias) :]
    return None


class _AliasLoader(importlib.abc.Loader):
    def __init__(self, real: str) -> None:
        self._real = real

    def create_module(self, spec: Any) -> Any:
        return importlib.import_module(self._real)

    def exec_module(self, module: Any) -> None:
        # The real module is already executed; register it under the alias as is.
        pass


class _AliasFinder(importlib.abc.MetaPathFinder):
    def find_spec(self, fullname: str, path: Any, target: Any = None) -> Any:
        real = _target(fullname)
        if real is None:
            return None
        if importlib.util.find_spec(real) is None:
            return None
        return importlib.util.spec_from_loader(fullname, _AliasLoader(real))


_finder = _AliasFinder()


def install() -> None:
    """Makes `tensorflow`, `keras` and `keras_tuner` import ndflow in this process.

    >>> import ndflow.compat
    >>> ndflow.compat.install()
    >>> import tensorflow as tf
    >>> tf.__name__
    'ndflow'
    """
    if _finder not in sys.meta_path:
        sys.meta_path.insert(0, _finder)


def uninstall() -> None:
    """Removes the aliases installed by `install()` (for tests)."""
    if _finder in sys.meta_path:
        sys.meta_path.remove(_finder)
    for name in list(sys.modules):
        if _target(name) is not None and sys.modules[name].__name__ != name:
            del sys.modules[name]
