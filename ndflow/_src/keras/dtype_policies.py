"""`keras.DTypePolicy`: the compute and variable dtypes of a layer ("mixed_float16", ...).

>>> DTypePolicy("mixed_float16").compute_dtype, DTypePolicy("mixed_float16").variable_dtype
('float16', 'float32')
"""

from __future__ import annotations

from typing import Any

from ndflow._src.core import dtypes
from ndflow._src.keras.saving import serialization_lib

_global_policy: list = [None]


class DTypePolicy:
    """A named dtype policy: "float32", "float64", "mixed_float16", "mixed_bfloat16", ..."""

    def __init__(self, name: str | None = None) -> None:
        if name is None:
            name = "float32"
        if not isinstance(name, str):
            raise TypeError(
                f"'name' must be a string, such as 'mixed_float16'. Received: name={name} "
                f"(of type {type(name)})"
            )
        if name.startswith("mixed_"):
            compute, variable = name[len("mixed_") :], "float32"
            if compute not in ("float16", "bfloat16"):
                raise ValueError(f"Cannot convert '{name}' to a mixed precision DTypePolicy.")
        else:
            try:
                compute = variable = dtypes.as_dtype(name).name
            except Exception:
                raise ValueError(
                    f"Cannot convert '{name}' to a mixed precision DTypePolicy."
                ) from None
        self._name = name
        self._compute_dtype = compute
        self._variable_dtype = variable

    @property
    def name(self) -> str:
        return self._name

    @property
    def compute_dtype(self) -> str:
        return self._compute_dtype

    @property
    def variable_dtype(self) -> str:
        return self._variable_dtype

    def get_config(self) -> dict:
        return {"name": self._name}

    @classmethod
    def from_config(cls, config: dict) -> DTypePolicy:
        return cls(**config)

    def __repr__(self) -> str:
        return f'<DTypePolicy "{self._name}">'

    def __eq__(self, other: Any) -> bool:
        return isinstance(other, DTypePolicy) and other.name == self.name

    def __hash__(self) -> int:
        return hash(self._name)


serialization_lib.register_builtin("keras", DTypePolicy)
FloatDTypePolicy = DTypePolicy


def set_dtype_policy(policy: Any) -> None:
    """`keras.config.set_dtype_policy`: the policy of layers created without `dtype`."""
    _global_policy[0] = None if policy is None else get(policy)


def dtype_policy() -> DTypePolicy:
    """`keras.config.dtype_policy`: the global policy (float32 unless set)."""
    return _global_policy[0] or DTypePolicy(floatx())


def floatx() -> str:
    """`keras.config.floatx`: the default float dtype name."""
    return "float32"


def get(identifier: Any) -> DTypePolicy:
    """A policy from None (the global one), a name, a DType, a config dict or a policy."""
    if identifier is None:
        return dtype_policy()
    if isinstance(identifier, DTypePolicy):
        return identifier
    if isinstance(identifier, dict):
        return serialization_lib.deserialize_keras_object(identifier)
    if isinstance(identifier, dtypes.DType):
        return DTypePolicy(identifier.name)
    if isinstance(identifier, str):
        return DTypePolicy(identifier)
    try:
        return DTypePolicy(dtypes.as_dtype(identifier).name)
    except Exception:
        raise ValueError(
            f"Cannot interpret `dtype` argument. Received: dtype={identifier}"
        ) from None
