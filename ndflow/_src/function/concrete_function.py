"""ConcreteFunction: one trace of a tf.function, callable with tensors of its signature."""

from __future__ import annotations

from typing import Any

from ndflow._src.core import nest
from ndflow._src.framework.constant import convert_to_tensor
from ndflow._src.framework.tensor import Tensor, VariableBase
from ndflow._src.function.tensor_spec import TensorSpec
from ndflow._src.graph.func_graph import GraphFunction, call_function


class ConcreteFunction:
    """A traced graph plus its captures (variables by reference, eager tensors by value)
    and the structure of its inputs and outputs.

    >>> import ndflow as tf
    >>> f = tf.function(lambda x: x * 2.0)
    >>> cf = f.get_concrete_function(tf.TensorSpec([None], tf.float32))
    >>> cf(tf.constant([1.0, 2.0]))
    <tf.Tensor: shape=(2,), dtype=float32, numpy=array([2., 4.], dtype=float32)>
    """

    def __init__(
        self,
        gf: GraphFunction,
        structured_outputs: Any,
        out_template: Any,
        arg_names: list,
        arg_values: list,
        arg_kinds: list,
        name: str,
    ) -> None:
        self._gf = gf
        self.structured_outputs = structured_outputs
        self._out_template = out_template  # the outputs with graph tensors as leaves
        self._arg_names = arg_names
        self._arg_values = arg_values  # specs (TensorSpec) and python values, structured
        self._arg_kinds = arg_kinds
        self._name = name
        self.graph = gf.graph
        self.graph.structured_outputs = structured_outputs

    # ------------------------------------------------------------------ properties
    @property
    def name(self) -> str:
        return self._name

    @property
    def inputs(self) -> list:
        return list(self._gf.inputs)

    @property
    def outputs(self) -> list:
        return list(self._gf.outputs)

    @property
    def captured_inputs(self) -> list:
        return [c.handle if False else c for c in self._gf.captured]

    @property
    def variables(self) -> tuple:
        return tuple(self._gf.read_variables())

    @property
    def trainable_variables(self) -> tuple:
        return tuple(v for v in self._gf.read_variables() if v.trainable)

    @property
    def structured_input_signature(self) -> tuple:
        args, kwargs = [], {}
        for name, kind, value in zip(self._arg_names, self._arg_kinds, self._arg_values):
            if kind == "KEYWORD_ONLY" or kind == "VAR_KEYWORD":
                kwargs[name] = value
            else:
                args.append(value)
        return tuple(args), kwargs

    @property
    def function_def(self) -> Any:
        return None

    # ------------------------------------------------------------------ calling
    def _call_flat(self, tensors: list) -> Any:
        outs = call_function(self._gf, tensors)
        return _pack_outputs(self._out_template, list(outs))

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        """Calls with tensors matching this function's signature (Python arguments must
        equal the traced values; they may be omitted)."""
        flat_specs = [v for v in nest.flatten(self._arg_values) if isinstance(v, TensorSpec)]
        # Arguments in signature order: positional first, then by name; an argument not
        # given keeps its traced value (only Python values may be left out).
        values = list(self._arg_values)
        kinds = self._arg_kinds
        pos = [i for i, k in enumerate(kinds) if k not in ("KEYWORD_ONLY", "VAR_KEYWORD")]
        if len(args) > len(pos):
            raise TypeError(
                f"{self._name}(...) takes {len(pos)} positional argument(s) but {len(args)} "
                "were given."
            )
        for i, a in zip(pos, args):
            values[i] = a
        for k, a in kwargs.items():
            if k not in self._arg_names:
                raise TypeError(f"{self._name}(...) got an unexpected keyword argument '{k}'.")
            values[self._arg_names.index(k)] = a
        leaves = [
            x
            for v in values
            for x in nest.flatten(v)
            if isinstance(x, (Tensor, TensorSpec))
            or (hasattr(x, "__array__") and not isinstance(x, VariableBase))
        ]
        if any(isinstance(x, TensorSpec) for x in leaves):
            raise TypeError(
                f"{self._name}(...) is missing tensor argument(s) for signature "
                f"{self.pretty_printed_signature(verbose=False)}."
            )
        tensors = [x if isinstance(x, Tensor) else convert_to_tensor(x) for x in leaves]
        if len(tensors) != len(flat_specs):
            raise TypeError(
                f"{self._name}(...) expected {len(flat_specs)} tensor argument(s) matching "
                f"{self.pretty_printed_signature(verbose=False)}, got {len(tensors)}."
            )
        for t, s in zip(tensors, flat_specs):
            if not s.is_compatible_with(t):
                raise TypeError(
                    f"Binding inputs to tf.function failed due to `Can not cast "
                    f"{TensorSpec.from_tensor(t)} to {s}`. Received args: {args} and kwargs: "
                    f"{kwargs} for signature: {self.pretty_printed_signature(verbose=False)}."
                )
        return self._call_flat(tensors)

    # ------------------------------------------------------------------ printing
    def pretty_printed_signature(self, verbose: bool = True) -> str:
        """The signature as TensorFlow prints it: inputs, output type, captures."""
        params = []
        for name, kind, value in zip(self._arg_names, self._arg_kinds, self._arg_values):
            params.append(f"  {name} ({kind}): {_type_text(value)}")
        if not verbose:
            return (
                "("
                + ", ".join(
                    f"{n}: {_type_text(v)}" for n, v in zip(self._arg_names, self._arg_values)
                )
                + ")"
            )
        out = _type_text(nest.map_structure(_spec_of, self.structured_outputs))
        caps = [c for c in self._gf.captured]
        cap_text = (
            "  None" if not caps else "\n".join(f"  {id(c)}: {_capture_text(c)}" for c in caps)
        )
        return (
            "Input Parameters:\n"
            + "\n".join(params)
            + f"\nOutput Type:\n  {out}\nCaptures:\n{cap_text}"
        )

    def __repr__(self) -> str:
        return f"<ConcreteFunction {self.pretty_printed_signature(verbose=False)} at {hex(id(self)).upper()}>"

    def __str__(self) -> str:
        return f"ConcreteFunction {self.pretty_printed_signature()}"


def _spec_of(x: Any) -> Any:
    if isinstance(x, Tensor):
        return TensorSpec(x.shape, x.dtype)
    return x


def _capture_text(c: Any) -> str:
    from ndflow._src.core import dtypes

    if c.dtype is dtypes.resource:
        return "TensorSpec(shape=(), dtype=tf.resource, name=None)"
    return repr(TensorSpec(c.shape, c.dtype))


def _type_text(v: Any) -> str:
    if isinstance(v, TensorSpec):
        return repr(v)
    if isinstance(v, dict):
        inner = ", ".join(f"[{k!r}, {_type_text(v[k])}]" for k in sorted(v))
        return f"Dict[{inner}]"
    if isinstance(v, list):
        return "List[" + ", ".join(_type_text(x) for x in v) + "]"
    if isinstance(v, tuple):
        return "Tuple[" + ", ".join(_type_text(x) for x in v) + "]"
    if v is None:
        return "None"
    if isinstance(v, VariableBase):
        return f"Variable(shape={v.shape}, dtype={v.dtype!r})"
    if isinstance(v, (bool, int, float, str)):
        return f"Literal[{v!r}]"
    return f"{type(v).__name__}"


def _pack_outputs(template: Any, flat: list) -> Any:
    it = iter(flat)

    def fill(x: Any) -> Any:
        return next(it) if isinstance(x, Tensor) else x

    if isinstance(template, Tensor):
        return flat[0]
    return nest.map_structure(fill, template)
