"""`tf.function`: traces a Python function into graphs, one per input signature.

The cache key, as in TensorFlow: a TensorSpec (shape, dtype) per tensor argument, the
value of each Python scalar/string (and the structure of tuples, lists and dicts), the
identity of each Variable and of any other object (such as a tf.Module). A miss traces:
the Python function runs once on placeholders, so its Python side effects happen only
then, while `tf.print` runs at every call. Variables created during the first trace are
created eagerly and captured (the function is then traced again, as TF does, with
creation forbidden); creating one on a later trace raises ValueError.
"""

from __future__ import annotations

import functools
import inspect
import logging
import threading
import weakref
from typing import Any
from collections.abc import Callable

import numpy as np

from ndflow._src.core import dtypes, nest
from ndflow._src.core.context import config as _config
from ndflow._src.core.context import ctx
from ndflow._src.framework.constant import convert_to_tensor
from ndflow._src.framework.tensor import Tensor, VariableBase
from ndflow._src.function.concrete_function import ConcreteFunction
from ndflow._src.function.tensor_spec import TensorSpec, _relax
from ndflow._src.graph.func_graph import GraphFunction, tracing_scope
from ndflow._src.graph.graph import Graph, SymbolicTensor

_logger = logging.getLogger("ndflow")

# ---------------------------------------------------------------------------- variables

_VARIABLE_ERROR = (
    "tf.function only supports singleton tf.Variables created on the first call. Make sure "
    "the tf.Variable is only created once or created outside tf.function. See "
    "https://www.tensorflow.org/guide/function#creating_tfvariables for more information."
)


class _TraceState(threading.local):
    def __init__(self) -> None:
        # One entry per trace in progress: [allow_creation, created_count].
        self.stack: list = []


_trace_state = _TraceState()


def _on_variable_created(var: Any) -> None:
    stack = _trace_state.stack
    if not stack:
        return
    top = stack[-1]
    if not top[0]:
        raise ValueError(_VARIABLE_ERROR)
    top[1] += 1


def _install_hook() -> None:
    from ndflow._src.variables import variable

    if _on_variable_created not in variable._creation_hooks:
        variable._creation_hooks.append(_on_variable_created)


# ---------------------------------------------------------------------------- retracing

_WARNING_THRESHOLD = 5
_CALL_HISTORY = 10
_MAX_WARNINGS = 2


class _CallCounter:
    """Tracings among the last calls of one Python function (across Function objects)."""

    def __init__(self) -> None:
        self.calls_per_trace: list[int] = []
        self.call_count = 0
        self.warnings = 0

    def traced(self) -> None:
        self.call_count += 1
        self.calls_per_trace.append(1)
        while self.calls_per_trace and self.call_count - self.calls_per_trace[0] > _CALL_HISTORY:
            self.call_count -= self.calls_per_trace.pop(0)

    def not_traced(self) -> None:
        if not self.calls_per_trace:
            self.calls_per_trace = [0]
        self.calls_per_trace[-1] += 1
        self.call_count += 1


_counters: dict = {}


def _counter_for(fn: Callable) -> _CallCounter:
    key = getattr(fn, "__code__", None) or fn
    c = _counters.get(key)
    if c is None:
        c = _counters[key] = _CallCounter()
    return c


def _warn_retracing(fn: Callable, counter: _CallCounter) -> None:
    n = len(counter.calls_per_trace)
    if n >= _WARNING_THRESHOLD and counter.warnings < _MAX_WARNINGS:
        counter.warnings += 1
        _logger.warning(
            "%d out of the last %d calls to %s triggered tf.function retracing. Tracing is "
            "expensive and the excessive number of tracings could be due to (1) creating "
            "@tf.function repeatedly in a loop, (2) passing tensors with different shapes, "
            "(3) passing Python objects instead of tensors. For (1), please define your "
            "@tf.function outside of the loop. For (2), @tf.function has "
            "reduce_retracing=True option that can avoid unnecessary retracing. For (3), "
            "please refer to https://www.tensorflow.org/guide/function#controlling_retracing"
            " and https://www.tensorflow.org/api_docs/python/tf/function for  more details.",
            n,
            counter.call_count,
            fn,
        )


# ---------------------------------------------------------------------------- keys


def _leaf_key(x: Any, keep: list) -> Any:
    if isinstance(x, Tensor):
        return ("T", x.dtype, x.shape._dims)
    if isinstance(x, TensorSpec):
        return ("T", x.dtype, x.shape._dims)
    if isinstance(x, np.ndarray):
        return ("T", dtypes.from_numpy(x.dtype), x.shape)
    if isinstance(x, VariableBase):
        keep.append(x)
        return ("V", id(x))
    if x is None or isinstance(x, (bool, int, float, str, bytes, complex)):
        # By value, as TF: 1, 1.0 and True are equal, so they share a trace.
        return ("L", x)
    if isinstance(x, np.generic):
        return ("L", x.item())
    if isinstance(x, type) or inspect.isfunction(x):
        keep.append(x)
        return ("O", id(x))
    keep.append(x)
    return ("O", id(x))


def _key(x: Any, keep: list) -> Any:
    t = type(x)
    if t is Tensor and type(x._value) is np.ndarray:
        # An eager tensor: _leaf_key's key without building a TensorShape.
        return ("T", x._dtype, x._value.shape)
    if t is np.ndarray:
        return ("T", dtypes.from_numpy(x.dtype), x.shape)
    if isinstance(x, (list, tuple)):
        return (type(x), tuple(_key(e, keep) for e in x))
    if isinstance(x, dict):
        return (dict, tuple((k, _key(x[k], keep)) for k in sorted(x)))
    return _leaf_key(x, keep)


def _subtype(entry: Any, call: Any) -> bool:
    """True if a call with key `call` can run the trace made for key `entry`."""
    if entry == call:
        return True
    if type(entry) is not tuple or type(call) is not tuple or len(entry) != len(call):
        return False
    if entry and entry[0] == "T" and call[0] == "T":
        if entry[1] is not call[1]:
            return False
        e, c = entry[2], call[2]
        if e is None:
            return True
        if c is None or len(e) != len(c):
            return False
        return all(a is None or a == b for a, b in zip(e, c))
    if entry and isinstance(entry[0], str):
        return False
    return all(_subtype(a, b) for a, b in zip(entry, call))


def _relax_key(a: Any, b: Any) -> Any:
    """The most specific key both fit, or None if they differ beyond tensor shapes."""
    if a == b:
        return a
    if type(a) is not tuple or type(b) is not tuple or len(a) != len(b):
        return None
    if a and a[0] == "T" and b[0] == "T":
        if a[1] is not b[1]:
            return None
        from ndflow._src.core.tensor_shape import TensorShape

        return ("T", a[1], _relax(TensorShape(a[2]), TensorShape(b[2]))._dims)
    if a and isinstance(a[0], str):
        return None
    parts = [_relax_key(x, y) for x, y in zip(a, b)]
    if any(p is None for p in parts):
        return None
    return tuple(parts)


# ---------------------------------------------------------------------------- Function


class Function:
    """The callable `tf.function` returns. See `function`."""

    def __init__(
        self,
        python_function: Callable,
        input_signature: Any = None,
        autograph: bool = True,
        jit_compile: Any = None,
        reduce_retracing: bool = False,
        name: str | None = None,
        experimental_attributes: Any = None,
        instance: Any = None,
    ) -> None:
        _install_hook()
        self._python_function = python_function
        self._autograph = autograph
        self._jit_compile = jit_compile
        self._reduce_retracing = reduce_retracing
        self._name = name or getattr(python_function, "__name__", "function")
        self._instance_ref = instance
        self._input_signature = None if input_signature is None else list(input_signature)
        self._converted: Callable | None = None
        self._cache: dict = {}
        self._entries: list = []  # (key, ConcreteFunction, kept objects) in trace order
        self._tracing_count = 0
        self._variables_created = False
        self._first_trace_done = False
        self._instances: Any = weakref.WeakKeyDictionary()
        self._by_id: dict = {}
        self._lock = threading.RLock()
        target = python_function
        try:
            self._signature = inspect.signature(target)
        except (TypeError, ValueError):
            self._signature = None
        if instance is not None and self._signature is not None:
            params = list(self._signature.parameters.values())[1:]
            self._signature = self._signature.replace(parameters=params)
        # (names, kinds) when every parameter is positional: a call passing exactly that
        # many positional arguments binds without inspect's Signature.bind (~4 us).
        self._positional: tuple | None = None
        if self._signature is not None:
            params = list(self._signature.parameters.values())
            if all(p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) for p in params):
                self._positional = (
                    tuple(p.name for p in params),
                    tuple(p.kind.name for p in params),
                )
        functools.update_wrapper(self, python_function, updated=())
        if self._input_signature is not None:
            for s in nest.flatten(self._input_signature):
                if not isinstance(s, TensorSpec):
                    raise TypeError(
                        f"input_signature must be a possibly nested sequence of TensorSpec "
                        f"objects, got invalid args {s!r} with type {type(s)}."
                    )

    # ------------------------------------------------------------------ descriptor
    def __get__(self, instance: Any, owner: Any = None) -> Any:
        if instance is None:
            return self
        try:
            bound = self._instances.get(instance)
        except TypeError:
            bound = self._by_id.get(id(instance))
        if bound is None:
            ref = _ref(instance)
            bound = Function(
                self._python_function,
                self._input_signature,
                self._autograph,
                self._jit_compile,
                self._reduce_retracing,
                self._name,
                instance=ref,
            )
            try:
                self._instances[instance] = bound
            except TypeError:
                self._by_id[id(instance)] = bound
        return bound

    # ------------------------------------------------------------------ properties
    @property
    def python_function(self) -> Callable:
        return self._python_function

    @property
    def input_signature(self) -> Any:
        return None if self._input_signature is None else tuple(self._input_signature)

    @property
    def function_spec(self) -> Any:
        return self._signature

    def experimental_get_tracing_count(self) -> int:
        """How many times the Python function has been traced."""
        return self._tracing_count

    def _callable(self) -> Callable:
        fn = self._python_function
        if self._autograph:
            if self._converted is None:
                try:
                    from ndflow._src.function.autograph import convert  # type: ignore
                except ImportError:
                    self._converted = fn
                else:
                    try:
                        self._converted = convert(fn)
                    except Exception:  # noqa: BLE001 - autograph is best effort
                        self._converted = fn
            fn = self._converted
        if self._instance_ref is not None:
            inst = self._instance_ref()
            if inst is None:
                raise ReferenceError("The instance this tf.function method is bound to is gone.")
            return functools.partial(fn, inst)
        return fn

    # ------------------------------------------------------------------ binding
    def _bind(self, args: tuple, kwargs: dict) -> tuple[list, list, list]:
        """(names, kinds, values) of the arguments in signature order."""
        if self._input_signature is not None:
            return self._bind_signature(args, kwargs)
        positional = self._positional
        if positional is not None and not kwargs and len(args) == len(positional[0]):
            return list(positional[0]), list(positional[1]), list(args)
        sig = self._signature
        if sig is None:
            names = [f"arg{i}" for i in range(len(args))] + sorted(kwargs)
            return (
                names,
                ["POSITIONAL_ONLY"] * len(args) + ["KEYWORD_ONLY"] * len(kwargs),
                list(args) + [kwargs[k] for k in sorted(kwargs)],
            )
        try:
            bound = sig.bind(*args, **kwargs)
        except TypeError as e:
            raise TypeError(
                f"Binding inputs to tf.function failed due to `{e}`. Received args: {args} and kwargs: {kwargs} for signature: {sig}."
            ) from None
        bound.apply_defaults()
        names, kinds, values = [], [], []
        for name, value in bound.arguments.items():
            p = sig.parameters[name]
            if p.kind is p.VAR_POSITIONAL:
                for i, v in enumerate(value):
                    names.append(f"{name}_{i}")
                    kinds.append("VAR_POSITIONAL")
                    values.append(v)
            elif p.kind is p.VAR_KEYWORD:
                for k in sorted(value):
                    names.append(k)
                    kinds.append("VAR_KEYWORD")
                    values.append(value[k])
            else:
                names.append(name)
                kinds.append(p.kind.name)
                values.append(value)
        return names, kinds, values

    def _bind_signature(self, args: tuple, kwargs: dict) -> tuple[list, list, list]:
        specs = self._input_signature
        sig = self._signature
        params = list(sig.parameters.values()) if sig is not None else []
        names = [p.name for p in params[: len(specs)]] or [f"arg{i}" for i in range(len(specs))]
        values = list(args)
        for n in names[len(values) :]:
            if n in kwargs:
                values.append(kwargs[n])
        sig_text = "(" + ", ".join(f"{n}: {s!r}" for n, s in zip(names, specs)) + ")"
        if len(values) != len(specs) or len(args) + len(kwargs) > len(specs):
            raise TypeError(
                f"Binding inputs to tf.function failed due to `too many positional arguments`."
                f" Received args: {args} and kwargs: {kwargs} for signature: {sig_text}."
                if len(args) > len(specs)
                else f"Binding inputs to tf.function failed due to `missing a required argument`. "
                f"Received args: {args} and kwargs: {kwargs} for signature: {sig_text}."
            )
        out = []
        for v, s in zip(values, specs):
            try:
                flat_s = nest.flatten(s)
                flat_v = nest.flatten(v) if nest.is_nested(s) else [v]
                if len(flat_s) != len(flat_v):
                    raise ValueError("structure")
                conv = []
                for x, sp in zip(flat_v, flat_s):
                    t = (
                        x
                        if isinstance(x, Tensor)
                        else convert_to_tensor(x, dtype=sp.dtype)
                        if not isinstance(x, VariableBase)
                        else x.value()
                    )
                    if not sp.is_compatible_with(t):
                        raise TypeError(f"Can not cast {TensorSpec.from_tensor(t)} to {sp}")
                    conv.append(t)
                out.append(nest.pack_sequence_as(s, conv) if nest.is_nested(s) else conv[0])
            except (TypeError, ValueError) as e:
                raise TypeError(
                    f"Binding inputs to tf.function failed due to `{e}`. Received args: {args} "
                    f"and kwargs: {kwargs} for signature: {sig_text}."
                ) from None
        return names, ["POSITIONAL_OR_KEYWORD"] * len(out), out

    # ------------------------------------------------------------------ calling
    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if _config["run_functions_eagerly"]:
            fn = self._python_function
            if self._instance_ref is not None:
                return fn(self._instance_ref(), *args, **kwargs)
            return fn(*args, **kwargs)
        with self._lock:
            names, kinds, values = self._bind(args, kwargs)
            concrete = self._lookup_or_trace(names, kinds, values, specs_given=False)
        tensors = [
            x if isinstance(x, Tensor) else convert_to_tensor(x)
            for x in nest.flatten(values)
            if isinstance(x, (Tensor, np.ndarray))
        ]
        return concrete._call_flat(tensors)

    def get_concrete_function(self, *args: Any, **kwargs: Any) -> ConcreteFunction:
        """The ConcreteFunction for these arguments (tensors or TensorSpecs), tracing if
        needed. With an input_signature and no arguments, the signature's."""
        if self._input_signature is not None and not args and not kwargs:
            args = tuple(self._input_signature)
            names = self._bind_signature_names()
            values = list(args)
            kinds = ["POSITIONAL_OR_KEYWORD"] * len(values)
        elif self._input_signature is not None:
            names = self._bind_signature_names()
            values = list(self._input_signature)
            kinds = ["POSITIONAL_OR_KEYWORD"] * len(values)
        else:
            names, kinds, values = self._bind(args, kwargs)
        with self._lock:
            return self._lookup_or_trace(names, kinds, values, specs_given=True)

    def _bind_signature_names(self) -> list:
        sig = self._signature
        params = list(sig.parameters.values()) if sig is not None else []
        n = len(self._input_signature)
        return [p.name for p in params[:n]] or [f"arg{i}" for i in range(n)]

    def _lookup_or_trace(
        self, names: list, kinds: list, values: list, specs_given: bool
    ) -> ConcreteFunction:
        keep: list = []
        key = tuple([_key(v, keep) for v in values])
        counter = _counter_for(self._python_function)
        hit = self._cache.get(key)
        if hit is None:
            for ekey, cf, _ in self._entries:
                if _subtype(ekey, key):
                    hit = cf
                    break
        if hit is not None:
            counter.not_traced()
            return hit
        trace_key = key
        if self._input_signature is not None:
            trace_key = tuple(_key(s, keep) for s in self._input_signature)
        elif self._reduce_retracing:
            for ekey, _, _ in self._entries:
                relaxed = _relax_key(ekey, key)
                if relaxed is not None:
                    trace_key = relaxed
                    break
        cf = self._trace(names, kinds, values, trace_key)
        self._cache[key] = cf
        self._entries.append((trace_key, cf, keep))
        counter.traced()
        _warn_retracing(self._python_function, counter)
        return cf

    # ------------------------------------------------------------------ tracing
    def _trace(self, names: list, kinds: list, values: list, key: tuple) -> ConcreteFunction:
        allow = not self._first_trace_done
        state = [allow, 0, True]
        _trace_state.stack.append(state)
        try:
            cf = self._trace_once(names, kinds, values, key)
        finally:
            _trace_state.stack.pop()
        self._tracing_count += 1
        self._first_trace_done = True
        if state[1]:
            # Variables were created (eagerly, lifted out of the graph): trace again with
            # creation forbidden, as TensorFlow does, so the graph only reads them.
            self._variables_created = True
            state = [False, 0, True]
            _trace_state.stack.append(state)
            try:
                cf = self._trace_once(names, kinds, values, key)
            finally:
                _trace_state.stack.pop()
            self._tracing_count += 1
        return cf

    def _trace_once(self, names: list, kinds: list, values: list, key: tuple) -> ConcreteFunction:
        fn = self._callable()
        g = Graph(self._name, outer=ctx.graph)
        placeholders: list = []
        with tracing_scope(g):
            call_values = []
            spec_values = []
            for name, value, vkey in zip(names, values, key):
                cv, sv = _placeholders_for(g, name, value, vkey, placeholders)
                call_values.append(cv)
                spec_values.append(sv)
            args, kwargs = [], {}
            for name, kind, v in zip(names, kinds, call_values):
                if kind in ("KEYWORD_ONLY", "VAR_KEYWORD"):
                    kwargs[name] = v
                else:
                    args.append(v)
            result = fn(*args, **kwargs)
            out_template = nest.map_structure(lambda x: _output(g, x), result)
            flat_out = [x for x in nest.flatten(out_template) if isinstance(x, Tensor)]
        gf = GraphFunction(g, placeholders, flat_out, self._name)
        structured = out_template
        return ConcreteFunction(gf, structured, out_template, names, spec_values, kinds, self._name)

    def __repr__(self) -> str:
        return f"<ndflow.python.eager.polymorphic_function.Function object at {hex(id(self))}>"


def _ref(instance: Any) -> Callable:
    try:
        return weakref.ref(instance)
    except TypeError:
        return lambda: instance


def _placeholders_for(g: Graph, name: str, value: Any, vkey: Any, out: list) -> tuple[Any, Any]:
    """The value the traced function sees for one argument (placeholders for tensors and
    specs), and its signature description (TensorSpecs, python values)."""
    flat = nest.flatten(value)
    flat_keys = _flat_keys(vkey)
    call_leaves, spec_leaves = [], []
    for i, (leaf, k) in enumerate(zip(flat, flat_keys)):
        if isinstance(leaf, (Tensor, TensorSpec, np.ndarray)) and k[0] == "T":
            ph_name = leaf.name if isinstance(leaf, TensorSpec) else None
            base = ph_name or (name if len(flat) == 1 else f"{name}_{i}")
            ph = g.add_input(k[1], k[2], base)
            out.append(ph)
            call_leaves.append(ph)
            spec_leaves.append(TensorSpec(k[2], k[1], ph_name if ph_name else None))
        else:
            call_leaves.append(leaf)
            spec_leaves.append(leaf)
    if not nest.is_nested(value):
        return call_leaves[0], spec_leaves[0]
    return nest.pack_sequence_as(value, call_leaves), nest.pack_sequence_as(value, spec_leaves)


def _flat_keys(k: Any) -> list:
    out = []
    stack = [k]
    while stack:
        x = stack.pop()
        if (
            type(x) is tuple
            and len(x) == 2
            and x[0] in (list, tuple, dict)
            or (
                type(x) is tuple
                and len(x) == 2
                and isinstance(x[0], type)
                and issubclass(x[0], tuple)
            )
        ):
            children = x[1]
            if x[0] is dict:
                children = [c for _, c in children]
            stack.extend(reversed(list(children)))
        else:
            out.append(x)
    return out


def _output(g: Graph, x: Any) -> Any:
    """An output leaf as a tensor of `g` behind an Identity (TF names them Identity:0)."""
    from ndflow._src.framework.execute import execute

    if x is None:
        return None
    if isinstance(x, VariableBase):
        x = x.value()
    if not isinstance(x, Tensor):
        if isinstance(x, (bool, int, float, str)) or hasattr(x, "_as_tensor_hook"):
            return x
        try:
            x = convert_to_tensor(x)
        except (TypeError, ValueError):
            return x
    return execute("Identity", (x,))


# ---------------------------------------------------------------------------- decorator


def function(
    func: Callable | None = None,
    input_signature: Any = None,
    autograph: bool = True,
    jit_compile: Any = None,
    reduce_retracing: bool = False,
    experimental_implements: Any = None,
    experimental_autograph_options: Any = None,
    experimental_attributes: Any = None,
    experimental_relax_shapes: Any = None,
    experimental_compile: Any = None,
    experimental_follow_type_hints: Any = None,
) -> Any:
    """`tf.function`: compiles a Python function into a callable graph function.

    Use as `@tf.function`, `@tf.function(...)` or `tf.function(f)`, on functions and on
    methods (each instance gets its own cache). `jit_compile` is accepted and ignored
    (there is no XLA here; the graph executor runs either way).

    >>> import ndflow as tf
    >>> @tf.function
    ... def add(a, b):
    ...     return a + b
    >>> add(tf.constant(1), tf.constant(2))
    <tf.Tensor: shape=(), dtype=int32, numpy=3>
    """
    if experimental_relax_shapes:
        reduce_retracing = True

    def decorate(fn: Callable) -> Function:
        if isinstance(fn, Function):
            fn = fn.python_function
        return Function(fn, input_signature, autograph, jit_compile, reduce_retracing)

    if func is not None:
        return decorate(func)
    return decorate


def init_scope():
    """`tf.init_scope`: runs the block eagerly, outside any function being traced."""
    from ndflow._src.core.context import eager_scope

    return eager_scope()


def get_static_value(tensor: Any, partial: bool = False) -> Any:
    """`tf.get_static_value`: the value of `tensor` if known now (eager tensors, graph
    constants and folded shapes), else None."""
    if isinstance(tensor, VariableBase):
        return None
    if isinstance(tensor, SymbolicTensor):
        v = tensor._value
        if v is None or tensor.dtype is dtypes.resource:
            return None
        return np.array(v)
    if isinstance(tensor, Tensor):
        return tensor.numpy()
    return tensor
