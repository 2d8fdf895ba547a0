"""The objects `tf.saved_model.load` returns: user objects, restored functions that
dispatch on their arguments to a saved concrete function, and signature functions."""

from __future__ import annotations

import collections.abc
from typing import Any

import numpy as np

from ndflow._src.core import nest
from ndflow._src.framework.constant import convert_to_tensor
from ndflow._src.framework.tensor import Tensor, VariableBase
from ndflow._src.function.tensor_spec import TensorSpec
from ndflow._src.graph.func_graph import call_function
from ndflow._src.module.module import Module

_KEYWORD = ("KEYWORD_ONLY", "VAR_KEYWORD")


class _UserObject(Module):
    """A restored object: its attributes mirror the saved object graph (sub-objects,
    variables, functions); as a tf.Module it has `variables` / `trainable_variables`
    and can be checkpointed or saved again."""

    def __init__(self, class_name: str = "_UserObject") -> None:
        super().__init__(name="user_object")
        object.__setattr__(self, "_saved_class_name", class_name)

    def __repr__(self) -> str:
        return f"<ndflow.saved_model.load._UserObject (saved from {self._saved_class_name})>"


class _CallableUserObject(_UserObject):
    """A restored object that was saved with a `__call__` function."""

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.__dict__["__call__"](*args, **kwargs)


def _to_tensor(v: Any, spec: TensorSpec) -> Any:
    if isinstance(v, VariableBase):
        v = v.value()
    if isinstance(v, (Tensor, TensorSpec)):
        return v
    try:
        if isinstance(v, (np.ndarray, np.generic)):
            return convert_to_tensor(v)
        return convert_to_tensor(v, dtype=spec.dtype)
    except (TypeError, ValueError, Exception):  # noqa: BLE001 - no match, not an error
        return None


def _match(spec: Any, value: Any, out: list) -> bool:
    if isinstance(spec, TensorSpec):
        t = _to_tensor(value, spec)
        if t is None or not spec.is_compatible_with(t):
            return False
        out.append(t)
        return True
    if isinstance(spec, collections.abc.Mapping):
        if not isinstance(value, collections.abc.Mapping) or set(spec) != set(value):
            return False
        return all(_match(spec[k], value[k], out) for k in spec)
    if isinstance(spec, (list, tuple)):
        if not isinstance(value, (list, tuple)) or len(spec) != len(value):
            return False
        return all(_match(s, v, out) for s, v in zip(spec, value))
    if isinstance(value, (Tensor, np.ndarray)):
        return False
    try:
        return bool(spec == value)
    except Exception:  # noqa: BLE001
        return False


def bind(cf: Any, args: tuple, kwargs: dict) -> list | None:
    """The flat tensors to call concrete function `cf` with, or None if the arguments do
    not match its signature."""
    names, kinds, values = cf._arg_names, cf._arg_kinds, cf._arg_values
    pos = [n for n, k in zip(names, kinds) if k not in _KEYWORD]
    if len(args) > len(pos):
        return None
    given = dict(zip(pos, args))
    for k, v in kwargs.items():
        if k not in names or k in given:
            return None
        given[k] = v
    out: list = []
    for name, spec in zip(names, values):
        if name not in given:
            if any(isinstance(x, TensorSpec) for x in nest.flatten(spec)):
                return None
            continue
        if not _match(spec, given[name], out):
            return None
    return out


def _named(spec: Any, name: str) -> Any:
    if isinstance(spec, TensorSpec) and spec.name is None:
        return TensorSpec(spec.shape, spec.dtype, name)
    return spec


def _option_text(cf: Any) -> str:
    args, kwargs = [], {}
    for name, kind, value in zip(cf._arg_names, cf._arg_kinds, cf._arg_values):
        if kind in _KEYWORD:
            kwargs[name] = _named(value, name)
        else:
            args.append(_named(value, name))
    lines = [f"  Positional arguments ({len(args)} total):"]
    lines += [f"    * {a!r}" for a in args]
    lines.append(f"  Keyword arguments: {kwargs}")
    return "\n".join(lines)


class RestoredFunction:
    """A tf.function loaded from a SavedModel: calls the saved concrete function whose
    input signature matches the arguments; there is no Python code to trace again."""

    def __init__(self, name: str, concrete_functions: list) -> None:
        self._name = name
        self.__name__ = name
        self._concrete_functions = list(concrete_functions)

    @property
    def concrete_functions(self) -> list:
        return list(self._concrete_functions)

    def _list_all_concrete_functions(self) -> list:
        return list(self._concrete_functions)

    def get_concrete_function(self, *args: Any, **kwargs: Any) -> Any:
        """The saved concrete function matching these arguments (tensors or specs)."""
        if not args and not kwargs and len(self._concrete_functions) == 1:
            return self._concrete_functions[0]
        for cf in self._concrete_functions:
            if bind(cf, args, kwargs) is not None:
                return cf
        raise ValueError(self._mismatch(args, kwargs))

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        for cf in self._concrete_functions:
            tensors = bind(cf, args, kwargs)
            if tensors is not None and all(isinstance(t, Tensor) for t in tensors):
                return cf._call_flat(tensors)
        raise ValueError(self._mismatch(args, kwargs))

    def _mismatch(self, args: tuple, kwargs: dict) -> str:
        got = [f"  Positional arguments ({len(args)} total):"]
        got += [f"    * {a!r}" for a in args]
        got.append(f"  Keyword arguments: {kwargs}")
        n = len(self._concrete_functions)
        options = "\n\n".join(
            f"Option {i + 1}:\n{_option_text(cf)}" for i, cf in enumerate(self._concrete_functions)
        )
        return (
            "Could not find matching concrete function to call loaded from the SavedModel. "
            "Got:\n" + "\n".join(got) + f"\n\n Expected these arguments to match one of the "
            f"following {n} option(s):\n\n" + options
        )

    def __repr__(self) -> str:
        return f"<RestoredFunction {self._name} ({len(self._concrete_functions)} concrete)>"


class SignatureFunction:
    """A serving signature: called with tensors (by keyword, or positionally in input
    order), returns a dict of output name -> tensor."""

    def __init__(self, cf: Any, input_names: list, output_keys: list) -> None:
        self._cf = cf
        self._input_names = list(input_names)
        self._output_keys = list(output_keys)
        self._specs = [x for x in nest.flatten(cf._arg_values) if isinstance(x, TensorSpec)]

    @property
    def concrete_function(self) -> Any:
        return self._cf

    @property
    def structured_input_signature(self) -> tuple:
        return (), {
            n: TensorSpec(s.shape, s.dtype, n) for n, s in zip(self._input_names, self._specs)
        }

    @property
    def structured_outputs(self) -> dict:
        return {
            k: TensorSpec(o.shape, o.dtype, k)
            for k, o in zip(self._output_keys, self._cf._gf.outputs)
        }

    @property
    def inputs(self) -> list:
        return self._cf.inputs

    @property
    def outputs(self) -> list:
        return self._cf.outputs

    @property
    def variables(self) -> tuple:
        return self._cf.variables

    @property
    def trainable_variables(self) -> tuple:
        return self._cf.trainable_variables

    def __call__(self, *args: Any, **kwargs: Any) -> dict:
        names = self._input_names
        if len(args) > len(names):
            raise TypeError(
                f"Signature takes {len(names)} argument(s) ({', '.join(names)}), got "
                f"{len(args)} positional."
            )
        given = dict(zip(names, args))
        for k, v in kwargs.items():
            if k not in names:
                raise TypeError(
                    f"Got an unexpected keyword argument '{k}'; the signature's arguments "
                    f"are {names}."
                )
            if k in given:
                raise TypeError(f"Got two values for argument '{k}'.")
            given[k] = v
        missing = [n for n in names if n not in given]
        if missing:
            raise TypeError(f"Missing required arguments: {', '.join(missing)}.")
        tensors = []
        for n, s in zip(names, self._specs):
            t = _to_tensor(given[n], s)
            if t is None or not s.is_compatible_with(t):
                got = given[n] if t is None else TensorSpec.from_tensor(t)
                raise ValueError(
                    f"Signature argument '{n}' expects {TensorSpec(s.shape, s.dtype, n)}, got "
                    f"{got!r}."
                )
            tensors.append(t)
        outs = call_function(self._cf._gf, tensors)
        return dict(zip(self._output_keys, outs))

    def __repr__(self) -> str:
        return f"<SignatureFunction inputs={self._input_names} outputs={self._output_keys}>"


class SignatureMap(collections.abc.Mapping):
    """`loaded.signatures`: signature key -> signature function (read only)."""

    def __init__(self, signatures: dict | None = None) -> None:
        self._signatures = dict(signatures or {})

    def __getitem__(self, key: str) -> SignatureFunction:
        return self._signatures[key]

    def __iter__(self):
        return iter(self._signatures)

    def __len__(self) -> int:
        return len(self._signatures)

    def __repr__(self) -> str:
        return f"_SignatureMap({self._signatures!r})"
