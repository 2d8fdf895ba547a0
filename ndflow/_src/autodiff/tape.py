"""`tf.GradientTape`: records ops on watched tensors and walks them backwards.

`execute()` calls `record()` on every active tape. A tape keeps the records whose
inputs it watches (by object id; the records keep those objects alive), in execution
order, which is a topological order. `gradient()` walks them in reverse, calling each
op's registered gradient, summing broadcast gradients down to input shapes and
accumulating with `add`. Gradient functions run ndflow ops, so an outer tape records
the backward pass (higher derivatives), and inside a trace they build graph ops.
"""

from __future__ import annotations

import contextlib
import logging
from typing import Any, Iterator

from ndflow._src.core import dtypes, nest
from ndflow._src.core.context import ctx
from ndflow._src.framework.op_registry import OpDef, identity_grad
import numpy as np

from ndflow._src.framework.tensor import Tensor, wrap_with_dtype
from ndflow._src.framework.tensor import VariableBase as Variable
from ndflow._src.ops import math_ops

_logger = logging.getLogger("ndflow")


class UnconnectedGradients:
    """What `gradient()` returns for a source the target does not depend on."""

    NONE = "none"
    ZERO = "zero"


# A tape records each op as a plain tuple (cheaper to build than an object, on every
# recorded op): (opdef, inputs, outputs, attrs, in_ids, out_ids), inputs a tuple of
# tensors and in_ids their ids; for an op with one output (the usual case, told by an int
# out_ids) outputs is that tensor and out_ids its id, else both are tuples. Gradient
# functions get an `_Record` view.


class _Record:
    """One recorded op, shaped like a graph node for the gradient functions."""

    __slots__ = ("opdef", "inputs", "outputs", "attrs", "skip_input_indices", "in_ids", "out_ids")

    def __init__(
        self,
        opdef: OpDef,
        inputs: tuple,
        outputs: tuple,
        attrs: dict,
        in_ids: tuple,
        out_ids: tuple,
    ) -> None:
        self.opdef = opdef
        self.inputs = inputs
        self.outputs = outputs
        self.attrs = attrs
        self.skip_input_indices = ()
        self.in_ids = in_ids
        self.out_ids = out_ids

    @property
    def type(self) -> str:
        return self.opdef.name

    def get_attr(self, name: str) -> Any:
        return self.attrs[name]


def _op(rec: tuple, skip: tuple) -> _Record:
    """The `op` a gradient function receives for record `rec`."""
    op = _new(_Record)
    op.opdef, op.inputs, op.outputs, op.attrs, op.in_ids, op.out_ids = rec
    if type(op.out_ids) is int:
        op.outputs = (op.outputs,)
        op.out_ids = (op.out_ids,)
    op.skip_input_indices = skip
    return op


def _skip(in_ids: tuple, needed: set) -> tuple:
    """The indices of the inputs no gradient is needed for."""
    if needed.issuperset(in_ids):
        return ()
    return tuple([i for i, xid in enumerate(in_ids) if xid not in needed])


_RESOURCE = dtypes.resource
_new = object.__new__
_NO_ATTRS: dict = {}


# variant: TensorArray values inside graphs carry lists of gradients, as in TF. Kept as
# enums: a set lookup by int is cheaper than DType's properties (Python) on the hot path.
_DIFFERENTIABLE = frozenset(
    d._enum
    for d in vars(dtypes).values()
    if isinstance(d, dtypes.DType)
    and (d.is_floating or d.is_complex or d is dtypes.resource or d is dtypes.variant)
)


def _is_differentiable(dtype: dtypes.DType) -> bool:
    return dtype._enum in _DIFFERENTIABLE


def _eager(t: Any) -> bool:
    return type(t) is Tensor


def _same_shape(g: Tensor, x: Tensor) -> bool:
    if _eager(g) and _eager(x):
        return g._value.shape == x._value.shape
    gd, xd = g.shape._dims, x.shape._dims
    return gd is not None and gd == xd and None not in gd


class GradientTape:
    """Records operations for automatic differentiation.

    >>> import ndflow as tf
    >>> x = tf.constant(3.0)
    >>> with tf.GradientTape() as tape:
    ...     tape.watch(x)
    ...     y = x * x
    >>> tape.gradient(y, x)
    <tf.Tensor: shape=(), dtype=float32, numpy=6.0>
    """

    def __init__(self, persistent: bool = False, watch_accessed_variables: bool = True) -> None:
        self._persistent = persistent
        self._watch_accessed_variables = watch_accessed_variables
        self._records: list[tuple] = []
        # Eager variable reads, as (output tensor, handle id): not records, since their
        # gradient is the output's, added to the handle's when the walk ends.
        self._reads: list[tuple] = []
        self._watched: set[int] = set()
        # Ids watched directly (tensors passed to watch(), variables' handles): when they
        # are all among a gradient's sources, every record lies downstream of a source.
        self._roots: set[int] = set()
        self._keep: list = []  # keeps watched objects alive so their ids stay unique
        self._variables: dict[int, Variable] = {}
        self._recording = False
        self._used = False

    # ------------------------------------------------------------------ context
    def __enter__(self) -> GradientTape:
        if self._recording:
            raise ValueError(
                "Tape is still recording, This can happen if you try to re-enter an already-active tape."
            )
        ctx.tapes = ctx.tapes + [self]
        self._recording = True
        return self

    def __exit__(self, *exc: Any) -> None:
        if self._recording:
            self._pop()

    def _pop(self) -> None:
        tapes = ctx.tapes
        if tapes and tapes[-1] is self:  # the usual case: this tape is the innermost
            ctx.tapes = tapes[:-1]
        else:
            ctx.tapes = [t for t in tapes if t is not self]
        self._recording = False

    @contextlib.contextmanager
    def stop_recording(self) -> Iterator[None]:
        """Temporarily stops recording on this tape."""
        if not self._recording:
            raise ValueError("Tape must be recording.")
        self._pop()
        try:
            yield
        finally:
            ctx.tapes = ctx.tapes + [self]
            self._recording = True

    def reset(self) -> None:
        """Clears everything recorded and watched, keeping the tape active."""
        self._records = []
        self._reads = []
        self._watched = set()
        self._roots = set()
        self._keep = []
        self._variables = {}
        self._used = False

    # ------------------------------------------------------------------ watching
    def watch(self, tensor: Any) -> None:
        """Makes the tape record ops on `tensor` (a tensor, variable or structure of them)."""
        for t in nest.flatten(tensor):
            if isinstance(t, Variable):
                self._watch_variable(t)
                continue
            if not isinstance(t, Tensor):
                raise ValueError(
                    f"Passed in object {t!r} of type {type(t).__name__!r}, not tf.Tensor or "
                    "tf.Variable or ExtensionType."
                )
            if not _is_differentiable(t.dtype):
                _logger.warning(
                    "The dtype of the watched tensor must be floating (e.g. tf.float32), got %r",
                    t.dtype,
                )
            self._watched.add(id(t))
            self._roots.add(id(t))
            self._keep.append(t)

    def _watch_variable(self, var: Variable) -> None:
        h = var.handle
        if id(h) not in self._watched:
            self._watched.add(id(h))
            self._roots.add(id(h))
            self._keep.append(h)
            self._variables[id(h)] = var

    def watched_variables(self) -> tuple:
        """The variables this tape watches, in the order it first saw them."""
        return tuple(self._variables.values())

    # ------------------------------------------------------------------ recording
    def record(self, opdef: OpDef, inputs: Any, outputs: Any, attrs: dict) -> None:
        """Called by execute() for every differentiable op while this tape is active."""
        watched = self._watched
        # Unrolled for one and two inputs: tuple(map(id, ...)) costs twice as much.
        n = len(inputs)
        if n == 2:
            in_ids = (id(inputs[0]), id(inputs[1]))
        elif n == 1:
            in_ids = (id(inputs[0]),)
        else:
            in_ids = tuple(map(id, inputs))
        if watched.isdisjoint(in_ids):
            # Unwatched inputs: not recorded, unless it reads a variable to watch now.
            if opdef.name != "ReadVariableOp":
                return
            var = inputs[0]._value.var
            if not (self._watch_accessed_variables and var._trainable):
                return
            self._watch_variable(var)
        if type(outputs) is tuple:
            out_ids = tuple(map(id, outputs))
            watched.update(out_ids)
        else:
            out_ids = id(outputs)
            watched.add(out_ids)
        if type(inputs) is not tuple:
            inputs = tuple(inputs)
        self._records.append((opdef, inputs, outputs, attrs, in_ids, out_ids))

    def record_binary(self, opdef: OpDef, x: Tensor, y: Tensor, out: Tensor) -> None:
        """record() for a one-output op of two inputs and no attrs (execute_binary)."""
        watched = self._watched
        a = id(x)
        b = id(y)
        if a in watched or b in watched:
            oid = id(out)
            watched.add(oid)
            self._records.append((opdef, (x, y), out, _NO_ATTRS, (a, b), oid))

    def _record_read(self, opdef: OpDef, var: Variable, out: Tensor) -> None:
        """Records an eager read of `var` that returned `out`: Variable.value() calls
        this instead of dispatching `opdef` (ReadVariableOp); the record is the same."""
        h = var.handle
        hid = id(h)
        watched = self._watched
        if hid not in watched:
            if not (self._watch_accessed_variables and var._trainable):
                return
            watched.add(hid)  # _watch_variable inlined (_variables keeps the handle alive)
            self._roots.add(hid)
            self._variables[hid] = var
        watched.add(id(out))
        self._reads.append((out, hid))

    # ------------------------------------------------------------------ gradients
    def gradient(
        self,
        target: Any,
        sources: Any,
        output_gradients: Any = None,
        unconnected_gradients: str = UnconnectedGradients.NONE,
    ) -> Any:
        """d(sum of `target`)/d`sources`, in the structure of `sources`.

        Raises:
            RuntimeError: on a second call to a non-persistent tape.
        """
        self._begin_backward()
        if unconnected_gradients not in (UnconnectedGradients.NONE, UnconnectedGradients.ZERO):
            raise ValueError(f"Unknown value for unconnected_gradients: {unconnected_gradients!r}")
        flat_targets = [target] if type(target) is Tensor else nest.flatten(target)
        cls = type(sources)
        if cls is list or cls is tuple:
            flat_sources = list(sources)
            for s in flat_sources:  # the common case: a flat list of tensors or variables
                if type(s) is not Tensor and not isinstance(s, Variable):
                    flat_sources = nest.flatten(sources)
                    cls = None
                    break
        else:
            flat_sources = nest.flatten(sources)
        for t in flat_targets:
            if isinstance(t, Tensor) and t._dtype._enum not in _DIFFERENTIABLE:
                _logger.warning(
                    "The dtype of the target tensor must be floating (e.g. tf.float32) when "
                    "calling GradientTape.gradient, got %r",
                    t.dtype,
                )
        flat_out_grads = None
        if output_gradients is not None:
            flat_out_grads = nest.flatten(output_gradients)
        results = self._backward(flat_targets, flat_sources, flat_out_grads)
        if not self._persistent:
            # Release what the tape holds (the values it read), as TF does: it also lets
            # optimizers update variable buffers in place without a defensive copy.
            self._records = []
            self._reads = []
            self._keep = []
        if unconnected_gradients == UnconnectedGradients.ZERO:
            results = [_zeros_for(s) if g is None else g for s, g in zip(flat_sources, results)]
        if cls is list:
            return results
        if cls is tuple:
            return tuple(results)
        return nest.pack_sequence_as(sources, results)

    def _begin_backward(self) -> None:
        """Every gradient or jacobian call starts here: a non-persistent tape allows one
        and stops recording (TF pops it), a persistent one keeps recording."""
        if self._used and not self._persistent:
            raise RuntimeError(
                "A non-persistent GradientTape can only be used to compute one set of "
                "gradients (or jacobians)"
            )
        if self._recording and not self._persistent:
            self._pop()
        self._used = True

    def _backward(self, targets: list, sources: list, out_grads: list | None) -> list:
        source_ids = []
        for s in sources:
            if isinstance(s, Variable):
                source_ids.append(id(s.handle))
            elif isinstance(s, Tensor):
                source_ids.append(id(s))
                if not _is_differentiable(s.dtype):
                    _logger.warning(
                        "The dtype of the source tensor must be floating (e.g. tf.float32) "
                        "when calling GradientTape.gradient, got %r",
                        s.dtype,
                    )
            elif s is None:
                raise ValueError(
                    "Argument `sources` contains a None value; every source must be a "
                    "tf.Tensor or tf.Variable."
                )
            else:
                raise ValueError(
                    f"Argument `sources` must be tensors or variables. Received: {s!r}"
                )
        keep = set(source_ids)
        if _ARRAY_BACKWARD[0] and ctx.graph is None and not ctx.tapes:
            # Nothing records the backward pass: gradients flow as NumPy arrays.
            watched = self._watched
            if self._roots.issubset(keep) and watched.issuperset(keep):
                # Every record descends from a source (the usual `gradient(loss,
                # variables)`): no need to search which ones do.
                relevant, needed = self._records, watched
            else:
                relevant, needed = self._relevant(source_ids)
            return _backward_arrays(
                targets, sources, source_ids, out_grads, relevant, needed, keep, self._reads
            )
        relevant, needed = self._relevant(source_ids)
        reads = list(self._reads)  # the walk may read variables (an outer tape's records)
        grads: dict[int, Tensor] = {}
        for i, t in enumerate(targets):
            if isinstance(t, Variable):
                t = t.value()
            if id(t) not in needed:
                continue
            g = None if out_grads is None else out_grads[i]
            if g is None:
                g = _ones_like(t)
            elif not isinstance(g, Tensor):
                g = _convert(g, t.dtype)
            prev = grads.get(id(t))
            grads[id(t)] = g if prev is None else math_ops.add(prev, g)
        for rec in reversed(relevant):
            out_ids = rec[5]
            if type(out_ids) is int:
                oid = out_ids
                # A gradient is consumed by the op that produced its tensor, unless that
                # tensor is also a source whose gradient we return.
                og = grads.get(oid) if oid in keep else grads.pop(oid, None)
                if og is None:
                    continue
                out_grads_list = (og,)
            else:
                out_grads_list = tuple(grads.get(o) for o in out_ids)
                if all(g is None for g in out_grads_list):
                    continue
                out_grads_list = _fill_zero_grads(rec[2], out_grads_list)
            in_ids = rec[4]
            grad_fn = rec[0].grad
            if grad_fn is identity_grad:  # a variable read: its gradient is g itself
                in_grads = out_grads_list
            else:
                in_grads = _call_grad(grad_fn, _op(rec, _skip(in_ids, needed)), out_grads_list)
            for x, xid, g in zip(rec[1], in_ids, in_grads):
                if g is None or xid not in needed:
                    continue
                if x._dtype is not _RESOURCE:
                    # Inlined _same_shape for eager tensors (the common case).
                    if type(g) is Tensor and type(x) is Tensor:
                        if g._value.shape != x._value.shape:
                            g = math_ops.reduce_to_like(g, x)
                    elif not _same_shape(g, x):
                        g = math_ops.reduce_to_like(g, x)
                prev = grads.get(xid)
                grads[xid] = g if prev is None else math_ops.add(prev, g)
        for out, hid in reversed(reads):  # each read's gradient flows to its variable
            oid = id(out)
            g = grads.get(oid) if oid in keep else grads.pop(oid, None)
            if g is not None and hid in needed:
                prev = grads.get(hid)
                grads[hid] = g if prev is None else math_ops.add(prev, g)
        return [
            grads.get(sid) if s._dtype._enum in _DIFFERENTIABLE else None
            for s, sid in zip(sources, source_ids)
        ]

    def _relevant(self, source_ids: list) -> tuple[list, set]:
        """The records downstream of a source, and the ids of every tensor on them."""
        needed = set(source_ids)
        for out, hid in self._reads:
            if hid in needed:
                needed.add(id(out))
        relevant = []
        for rec in self._records:  # gradient functions record nothing before this loop ends
            if not needed.isdisjoint(rec[4]):
                relevant.append(rec)
                out_ids = rec[5]
                if type(out_ids) is int:
                    needed.add(out_ids)
                else:
                    needed.update(out_ids)
        return relevant, needed

    # ------------------------------------------------------------------ jacobians
    def jacobian(
        self,
        target: Any,
        sources: Any,
        unconnected_gradients: str = UnconnectedGradients.NONE,
        parallel_iterations: Any = None,
        experimental_use_pfor: bool = True,
    ) -> Any:
        """d`target`[i...]/d`sources`[j...]: shape target.shape + source.shape."""
        from ndflow._src.autodiff import jacobians

        return jacobians.jacobian(self, target, sources, unconnected_gradients)

    def batch_jacobian(
        self,
        target: Any,
        source: Any,
        unconnected_gradients: str = UnconnectedGradients.NONE,
        parallel_iterations: Any = None,
        experimental_use_pfor: bool = True,
    ) -> Any:
        """Per-example jacobians: shape [batch] + target.shape[1:] + source.shape[1:]."""
        from ndflow._src.autodiff import jacobians

        return jacobians.batch_jacobian(self, target, source, unconnected_gradients)


def _zero_grad(o: Tensor) -> Tensor:
    """The gradient of an unused output of a multi-output op. A constant when the shape
    is known, so gradient rules can see it is zero and skip work (the second-order term
    of fused cross entropy, for one) and graphs fold it away."""
    dims = o.shape._dims
    if o.dtype is not dtypes.variant and dims is not None and None not in dims:
        return wrap_with_dtype(np.zeros(dims, o.dtype.as_numpy_dtype), o.dtype)
    return math_ops.zeros_like(o)


def _ones_like(t: Tensor) -> Tensor:
    if type(t) is Tensor:  # eager: skip the op, nothing records the seed gradient
        v = t._value
        ones = np.empty(v.shape, v.dtype)
        ones.fill(1)  # np.ones' own Python wrapper costs more than the fill
        return wrap_with_dtype(ones, t._dtype)
    return math_ops.ones_like(t)


def _zeros_for(s: Any) -> Tensor:
    if isinstance(s, Variable):
        return math_ops.zeros_like(s.value())
    return math_ops.zeros_like(s)


def _convert(g: Any, dtype: dtypes.DType) -> Tensor:
    from ndflow._src.framework.constant import convert_to_tensor

    return convert_to_tensor(g, dtype=dtype)


def _call_grad(grad_fn: Any, rec: _Record, out_grads: tuple) -> Any:
    if len(out_grads) == 1:
        in_grads = grad_fn(rec, out_grads[0])
    else:
        in_grads = grad_fn(rec, *out_grads)
    if not isinstance(in_grads, (tuple, list)):
        in_grads = (in_grads,)
    return in_grads


def _fill_zero_grads(outputs: tuple, out_grads: tuple) -> tuple:
    """Zeros for the unused outputs of a multi-output op, as its gradient expects."""
    return tuple(
        _zero_grad(o) if g is None and _is_differentiable(o.dtype) else g
        for o, g in zip(outputs, out_grads)
    )


# ---------------------------------------------------------------------------- array mode
# When no tape records the backward pass and no graph is being built, nothing can see the
# intermediate gradients, so the walker passes them around as bare ndarrays: ops that
# register an `array_grad` (the element-wise and reduction ops of every loss) compute on
# them without a dispatch or a Tensor per step; others get Tensors and run as usual. The
# array grads run the very kernels their ops would, so results are the same bit for bit.
# `_ARRAY_BACKWARD[0] = False` forces the op-by-op walk (the tests compare the two).
_ARRAY_BACKWARD = [True]
_NP_TO_DTYPE = dtypes._BY_NP
# Output gradients array grads accept: real floats (complex ones take the holomorphic path).
_REAL_FLOATS = frozenset(np.dtype(t) for t in (np.float16, np.float32, np.float64))
_ndarray = np.ndarray
_generic = np.generic


def _to_array(g: Any) -> Any:
    """An eager Tensor as its ndarray when the array says its dtype; else unchanged."""
    if type(g) is Tensor:
        v = g._value
        if _NP_TO_DTYPE.get(v.dtype) is g._dtype:
            return v if type(v) is _ndarray else np.asarray(v)
    elif isinstance(g, _generic):
        return np.asarray(g)
    return g


def _to_tensor(g: Any) -> Any:
    """The inverse of _to_array: ndarrays become eager Tensors, anything else is kept."""
    if type(g) is _ndarray:
        return wrap_with_dtype(g, _NP_TO_DTYPE[g.dtype])
    return g


def _backward_arrays(
    targets: list,
    sources: list,
    source_ids: list,
    out_grads: list | None,
    relevant: list,
    needed: set,
    keep: set,
    reads: list,
) -> list:
    grads: dict[int, Any] = {}
    for i, t in enumerate(targets):
        if isinstance(t, Variable):
            t = t.value()
        if id(t) not in needed:
            continue
        g = None if out_grads is None else out_grads[i]
        if g is None:
            g = _ones_array(t)
        else:
            if not isinstance(g, Tensor):
                g = _convert(g, t.dtype)
            g = _to_array(g)
        prev = grads.get(id(t))
        grads[id(t)] = g if prev is None else _add(prev, g)
    for rec in reversed(relevant):
        opdef, inputs, outputs, attrs, in_ids, oid = rec
        if type(oid) is int:
            og = grads.get(oid) if oid in keep else grads.pop(oid, None)
            if og is None:
                continue
            grad_fn = opdef.grad
            if grad_fn is identity_grad:  # a variable read: its gradient is g itself
                in_grads = (og,)
            else:
                if needed.issuperset(in_ids):
                    skip = ()
                elif len(in_ids) == 2:
                    skip = (1,) if in_ids[0] in needed else (0,) if in_ids[1] in needed else (0, 1)
                else:
                    skip = tuple([i for i, xid in enumerate(in_ids) if xid not in needed])
                array_grad = opdef.array_grad
                if array_grad is not None and type(og) is _ndarray and og.dtype in _REAL_FLOATS:
                    in_grads = array_grad(inputs, outputs, attrs, skip, og)
                    if in_grads is None:
                        in_grads = _call_grad(grad_fn, _op(rec, skip), (_to_tensor(og),))
                else:
                    in_grads = _call_grad(grad_fn, _op(rec, skip), (_to_tensor(og),))
        else:
            out_grads_list = tuple(grads.get(o) for o in oid)
            if all(g is None for g in out_grads_list):
                continue
            out_grads_list = _fill_zero_grads(outputs, tuple(map(_to_tensor, out_grads_list)))
            in_grads = _call_grad(opdef.grad, _op(rec, _skip(in_ids, needed)), out_grads_list)
        for x, xid, g in zip(inputs, in_ids, in_grads):
            if g is None or xid not in needed:
                continue
            if type(g) is _ndarray:
                if x._dtype is not _RESOURCE and g.shape != x._value.shape:
                    g = math_ops.reduce_to_like_array(g, x._value)
            else:
                g = _to_array(g)
                if x._dtype is not _RESOURCE:
                    if type(g) is _ndarray:
                        if g.shape != x._value.shape:
                            g = math_ops.reduce_to_like_array(g, x._value)
                    elif not _same_shape(g, x):
                        g = _to_array(math_ops.reduce_to_like(g, x))
            prev = grads.get(xid)
            grads[xid] = g if prev is None else _add(prev, g)
    for out, hid in reversed(reads):  # each read's gradient flows to its variable
        oid = id(out)
        g = grads.get(oid) if oid in keep else grads.pop(oid, None)
        if g is not None and hid in needed:
            prev = grads.get(hid)
            grads[hid] = g if prev is None else _add(prev, g)
    results = []
    for s, sid in zip(sources, source_ids):
        g = grads.get(sid) if s._dtype._enum in _DIFFERENTIABLE else None
        if type(g) is _ndarray:  # _to_tensor inlined
            t = _new(Tensor)
            t._value = g
            t._dtype = _NP_TO_DTYPE[g.dtype]
            g = t
        results.append(g)
    return results


# One read-only 1 per dtype: the seed gradient of every scalar loss.
_ONES_0D: dict = {}


def _ones_array(t: Any) -> Any:
    """The seed gradient of target `t` for the array walk."""
    if type(t) is Tensor:
        v = t._value
        if _NP_TO_DTYPE.get(v.dtype) is t._dtype:
            if not v.ndim:
                ones = _ONES_0D.get(v.dtype)
                if ones is None:
                    ones = np.ones((), v.dtype)
                    ones.flags.writeable = False
                    _ONES_0D[v.dtype] = ones
                return ones
            ones = np.empty(v.shape, v.dtype)
            ones.fill(1)
            return ones
    return _to_array(_ones_like(t))


def _add(a: Any, b: Any) -> Any:
    """Sums two gradients of one tensor: AddV2's kernel on arrays of one dtype."""
    if type(a) is _ndarray and type(b) is _ndarray and a.dtype == b.dtype:
        s = np.add(a, b)
        return s if type(s) is _ndarray else np.asarray(s)
    return _to_array(math_ops.add(_to_tensor(a), _to_tensor(b)))
