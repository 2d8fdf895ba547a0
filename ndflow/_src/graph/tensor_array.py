"""`tf.TensorArray`: a list of same-dtype tensors written one index at a time.

Eagerly it is a Python list of tensors (as TensorFlow's eager TensorArray is); `stack`
packs them with one op whose gradient splits the incoming gradient back, so tapes see
through write/stack. While tracing it is a value: a `variant` flow tensor holding an
immutable tuple, threaded through `tf.while_loop` like any loop variable; each write
returns a new TensorArray (use `ta = ta.write(i, x)` as in TensorFlow).

>>> import ndflow as tf
>>> ta = tf.TensorArray(tf.float32, size=2)
>>> ta = ta.write(0, 1.0).write(1, 2.0)
>>> ta.stack()
<tf.Tensor: shape=(2,), dtype=float32, numpy=array([1., 2.], dtype=float32)>
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ndflow._src.core import dtypes, errors
from ndflow._src.core.context import ctx
from ndflow._src.core.tensor_shape import TensorShape
from ndflow._src.framework.constant import convert_to_tensor
from ndflow._src.framework.execute import execute
from ndflow._src.framework.op_registry import register_op
from ndflow._src.framework.tensor import Tensor, static_value

_variant = dtypes.variant


# ---------------------------------------------------------------------------- ops


def _stack_n_kernel(*arrays: Any) -> np.ndarray:
    return np.stack(arrays)


def _stack_n_shape(inputs: list, attrs: dict) -> list:
    d = inputs[0].shape._dims
    return [(None if d is None else (len(inputs),) + d, inputs[0].dtype)]


def _stack_n_grad(op: Any, g: Tensor) -> tuple:
    return execute("TensorArrayUnstackN", (g,), {"num": len(op.inputs)})


register_op("TensorArrayStackN", _stack_n_kernel, _stack_n_shape, _stack_n_grad)


def _unstack_n_kernel(g: np.ndarray, num: int) -> tuple:
    return tuple(g[i] for i in range(num))


def _unstack_n_shape(inputs: list, attrs: dict) -> list:
    d = inputs[0].shape._dims
    return [(None if d is None else d[1:], inputs[0].dtype)] * attrs["num"]


register_op(
    "TensorArrayUnstackN", _unstack_n_kernel, _unstack_n_shape,
    lambda op, *gs: (execute("TensorArrayStackN", tuple(gs)),), num_outputs=-1,
)  # fmt: skip


class _Items:
    """A TensorArray value (or its gradient): a tuple of arrays, None where unwritten.
    `+` adds gradients element by element, so tapes can accumulate them. Not a sequence,
    so NumPy keeps it as one object in a 0-d array."""

    __slots__ = ("items",)

    def __init__(self, items: tuple) -> None:
        self.items = tuple(items)

    def __add__(self, other: Any) -> _Items:
        a_items, b_items = self.items, _as_items(other)
        n = max(len(a_items), len(b_items))
        out = []
        for i in range(n):
            a = a_items[i] if i < len(a_items) else None
            b = b_items[i] if i < len(b_items) else None
            out.append(a if b is None else b if a is None else a + b)
        return _Items(tuple(out))

    __radd__ = __add__

    def __repr__(self) -> str:
        return f"<TensorArray value of {len(self.items)} items>"


def _as_items(x: Any) -> tuple:
    """The items of a variant value; zeros (from ZerosLike) and None mean "no gradient"."""
    if isinstance(x, np.ndarray) and x.dtype == object and x.ndim == 0:
        x = x[()]
    if isinstance(x, _Items):
        return x.items
    return ()


def _box(items: Any) -> np.ndarray:
    a = np.empty((), dtype=object)
    a[()] = _Items(tuple(items))
    return a


_items = _as_items


def _variant_rule(inputs: list, attrs: dict) -> list:
    return [((), _variant)]


def _reserve_kernel(size: np.ndarray, dynamic_size: bool) -> np.ndarray:
    return _box((None,) * int(size))


def _set_kernel(
    h: np.ndarray, index: np.ndarray, value: np.ndarray, dynamic_size: bool
) -> np.ndarray:
    items = _items(h)
    i = int(index)
    if i < 0:
        raise errors.InvalidArgumentError(
            None, None, f"Tried to write to index {i} but it is negative."
        )
    if i >= len(items):
        if not dynamic_size:
            raise errors.InvalidArgumentError(
                None,
                None,
                f"Tried to write to index {i} but array is not resizeable and size is: {len(items)}",
            )
        items = items + (None,) * (i + 1 - len(items))
    return _box(items[:i] + (value,) + items[i + 1 :])


def _set_grad(op: Any, g: Tensor) -> tuple:
    h, i, v = op.inputs
    g_h = execute("TensorListClearItem", (g, i))
    g_v = execute("TensorListGetItemOrZeros", (g, i, v))
    return g_h, None, g_v


def _get_kernel(
    h: np.ndarray, index: np.ndarray, dtype: dtypes.DType, element_shape: Any
) -> np.ndarray:
    items = _items(h)
    i = int(index)
    if i < 0 or i >= len(items):
        raise errors.InvalidArgumentError(
            None, None, f"Tried to read from index {i} but array size is: {len(items)}"
        )
    v = items[i]
    if v is None:
        if element_shape is None or None in element_shape:
            raise errors.InvalidArgumentError(
                None,
                None,
                f"Could not read from TensorArray index {i}.  Furthermore, the element shape is "
                "not fully defined, so we cannot read zeros.",
            )
        return np.zeros(element_shape, dtype._np)
    return v


def _get_shape(inputs: list, attrs: dict) -> list:
    return [(attrs["element_shape"], attrs["dtype"])]


def _get_grad(op: Any, g: Tensor) -> tuple:
    h, i = op.inputs
    return execute("TensorListScatterOne", (h, i, g)), None


def _stack_kernel(h: np.ndarray, dtype: dtypes.DType, element_shape: Any) -> np.ndarray:
    items = _items(h)
    if not items:
        shape = (0,) + tuple(d or 0 for d in (element_shape or ()))
        return np.zeros(shape, dtype._np)
    out = []
    for i, v in enumerate(items):
        if v is None:
            v = _get_kernel(h, np.asarray(i), dtype, element_shape)
        out.append(v)
    return np.stack(out).astype(dtype._np, copy=False)


def _stack_shape(inputs: list, attrs: dict) -> list:
    es = attrs["element_shape"]
    return [(None if es is None else (None,) + tuple(es), attrs["dtype"])]


def _from_tensor_kernel(t: np.ndarray) -> np.ndarray:
    return _box(tuple(t[i] for i in range(t.shape[0])))


def _size_kernel(h: np.ndarray) -> np.ndarray:
    return np.asarray(len(_items(h)), np.int32)


# Gradient helpers: a gradient of a TensorArray is a TensorArray of gradients.
def _clear_kernel(g: np.ndarray, index: np.ndarray) -> np.ndarray:
    items = _items(g)
    i = int(index)
    if i >= len(items):
        return _box(items)
    return _box(items[:i] + (None,) + items[i + 1 :])


def _get_or_zeros_kernel(g: np.ndarray, index: np.ndarray, like: np.ndarray) -> np.ndarray:
    items = _items(g)
    i = int(index)
    v = items[i] if i < len(items) else None
    return np.zeros_like(like) if v is None else np.asarray(v, like.dtype)


def _scatter_one_kernel(h: np.ndarray, index: np.ndarray, g: np.ndarray) -> np.ndarray:
    n = len(_items(h))
    i = int(index)
    items = [None] * max(n, i + 1)
    items[i] = g
    return _box(tuple(items))


def _stack_like_kernel(g: np.ndarray, like: np.ndarray) -> np.ndarray:
    items = _items(g)
    out = np.zeros_like(like)
    for i, v in enumerate(items[: like.shape[0]]):
        if v is not None:
            out[i] = v
    return out


register_op("TensorListReserve", _reserve_kernel, _variant_rule)
register_op("TensorListSetItem", _set_kernel, _variant_rule, _set_grad)
register_op("TensorListGetItem", _get_kernel, _get_shape, _get_grad)
register_op(
    "TensorListStack",
    _stack_kernel,
    _stack_shape,
    lambda op, g: (execute("TensorListFromTensor", (g,)),),
)
register_op(
    "TensorListFromTensor",
    _from_tensor_kernel,
    _variant_rule,
    lambda op, g: (execute("TensorListStackLike", (g, op.inputs[0])),),
)
register_op("TensorListLength", _size_kernel, lambda inputs, attrs: [((), dtypes.int32)])
# The helpers are linear in their list and value inputs, so their gradients are each
# other: higher derivatives through TensorArrays and loop histories work.
register_op(
    "TensorListClearItem",
    _clear_kernel,
    _variant_rule,
    lambda op, g: (execute("TensorListClearItem", (g, op.inputs[1])), None),
)
register_op(
    "TensorListGetItemOrZeros",
    _get_or_zeros_kernel,
    lambda inputs, attrs: [(inputs[2].shape._dims, inputs[2].dtype)],
    lambda op, g: (execute("TensorListScatterOne", (op.inputs[0], op.inputs[1], g)), None, None),
)
register_op(
    "TensorListScatterOne",
    _scatter_one_kernel,
    _variant_rule,
    lambda op, g: (
        None,
        None,
        execute("TensorListGetItemOrZeros", (g, op.inputs[1], op.inputs[2])),
    ),
)
register_op(
    "TensorListStackLike",
    _stack_like_kernel,
    lambda inputs, attrs: [(inputs[1].shape._dims, inputs[1].dtype)],
)


# ---------------------------------------------------------------------------- TensorArray


class TensorArray:
    """`tf.TensorArray(dtype, size=0, dynamic_size=False, ..., element_shape=None)`."""

    def __init__(
        self,
        dtype: Any,
        size: Any = None,
        dynamic_size: bool | None = None,
        clear_after_read: bool | None = None,
        tensor_array_name: str | None = None,
        handle: Any = None,
        flow: Any = None,
        infer_shape: bool = True,
        element_shape: Any = None,
        colocate_with_first_write_call: bool = True,
        name: str | None = None,
    ) -> None:
        self._dtype = dtypes.as_dtype(dtype)
        self._dynamic_size = bool(dynamic_size)
        self._element_shape = None if element_shape is None else TensorShape(element_shape)._dims
        self._infer_shape = infer_shape
        if flow is not None:
            self._flow = flow
            self._list = None
        elif ctx.graph is None:
            n = 0 if size is None else int(convert_to_tensor(size))
            self._list: list | None = [None] * n
            self._flow = None
        else:
            self._list = None
            s = convert_to_tensor(0 if size is None else size, dtype=dtypes.int32)
            self._flow = execute("TensorListReserve", (s,), {"dynamic_size": self._dynamic_size})

    # ------------------------------------------------------------------ plumbing
    def _with_flow(self, flow: Tensor) -> TensorArray:
        ta = TensorArray.__new__(TensorArray)
        ta._dtype = self._dtype
        ta._dynamic_size = self._dynamic_size
        ta._element_shape = self._element_shape
        ta._infer_shape = self._infer_shape
        ta._flow = flow
        ta._list = None
        return ta

    @property
    def flow(self) -> Tensor:
        if self._flow is None:
            # An eager TensorArray entering a graph: its elements, packed as a value.
            self._to_graph()
        return self._flow

    def _to_graph(self) -> None:
        items = self._list or []
        if any(v is None for v in items) or not items:
            s = convert_to_tensor(len(items), dtype=dtypes.int32)
            flow = execute("TensorListReserve", (s,), {"dynamic_size": self._dynamic_size})
            for i, v in enumerate(items):
                if v is not None:
                    flow = execute(
                        "TensorListSetItem", (flow, convert_to_tensor(i), v), {"dynamic_size": True}
                    )
        else:
            flow = execute("TensorListFromTensor", (execute("TensorArrayStackN", tuple(items)),))
        self._flow = flow

    @property
    def dtype(self) -> dtypes.DType:
        return self._dtype

    @property
    def dynamic_size(self) -> bool:
        return self._dynamic_size

    @property
    def element_shape(self) -> TensorShape:
        return TensorShape._from_tuple(self._element_shape)

    @property
    def handle(self) -> Tensor:
        return self.flow

    def _eager(self) -> bool:
        return self._list is not None and self._flow is None

    def _merge_shape(self, t: Tensor) -> None:
        d = t.shape._dims
        if self._element_shape is None:
            self._element_shape = d
        elif d is not None:
            if not TensorShape._from_tuple(self._element_shape).is_compatible_with(t.shape):
                raise ValueError(
                    f"Inconsistent shapes: saw {TensorShape._from_tuple(self._element_shape)} "
                    f"but expected {t.shape} (and infer_shape=True)"
                )
            self._element_shape = (
                TensorShape._from_tuple(self._element_shape).merge_with(t.shape)._dims
            )

    # ------------------------------------------------------------------ API
    def write(self, index: Any, value: Any, name: str | None = None) -> TensorArray:
        """Writes `value` at `index`; returns the TensorArray to use from now on."""
        v = convert_to_tensor(value, dtype=self._dtype)
        if self._infer_shape:
            self._merge_shape(v)
        if self._eager():
            i = int(convert_to_tensor(index))
            if i < 0:
                raise errors.InvalidArgumentError(
                    None, None, f"Tried to write to index {i} but it is negative."
                )
            if i >= len(self._list):
                if not self._dynamic_size:
                    raise errors.InvalidArgumentError(
                        None,
                        None,
                        f"Tried to write to index {i} but array is not resizeable and size is: "
                        f"{len(self._list)}",
                    )
                self._list.extend([None] * (i + 1 - len(self._list)))
            self._list[i] = v
            return self
        idx = convert_to_tensor(index, dtype=dtypes.int32)
        flow = execute(
            "TensorListSetItem", (self.flow, idx, v), {"dynamic_size": self._dynamic_size}
        )
        return self._with_flow(flow)

    def read(self, index: Any, name: str | None = None) -> Tensor:
        """The element at `index` (zeros of the element shape if never written)."""
        if self._eager():
            i = int(convert_to_tensor(index))
            if i < 0 or i >= len(self._list):
                raise errors.InvalidArgumentError(
                    None, None, f"Tried to read from index {i} but array size is: {len(self._list)}"
                )
            v = self._list[i]
            if v is None:
                from ndflow._src.ops import math_ops

                if self._element_shape is None or None in self._element_shape:
                    raise errors.InvalidArgumentError(
                        None,
                        None,
                        f"Could not read from TensorArray index {i}.  Furthermore, "
                        "the element shape is not fully defined, so we cannot read zeros.",
                    )
                return math_ops.zeros_like(
                    convert_to_tensor(np.zeros(self._element_shape, self._dtype._np))
                )
            return v
        idx = convert_to_tensor(index, dtype=dtypes.int32)
        return execute(
            "TensorListGetItem",
            (self.flow, idx),
            {"dtype": self._dtype, "element_shape": self._element_shape},
        )

    def stack(self, name: str | None = None) -> Tensor:
        """All elements packed along a new first axis."""
        if self._eager():
            items = [self.read(i) if v is None else v for i, v in enumerate(self._list)]
            if not items:
                shape = (0,) + tuple(d or 0 for d in (self._element_shape or ()))
                return convert_to_tensor(np.zeros(shape, self._dtype._np))
            return execute("TensorArrayStackN", tuple(items))
        return execute(
            "TensorListStack",
            (self.flow,),
            {"dtype": self._dtype, "element_shape": self._element_shape},
        )

    def gather(self, indices: Any, name: str | None = None) -> Tensor:
        idx = static_value(convert_to_tensor(indices, dtype=dtypes.int32))
        if idx is None:
            raise NotImplementedError("TensorArray.gather needs indices known while tracing.")
        items = [self.read(int(i)) for i in np.asarray(idx).reshape(-1)]
        return execute("TensorArrayStackN", tuple(items))

    def unstack(self, value: Any, name: str | None = None) -> TensorArray:
        """Splits `value` along its first axis into the elements."""
        t = convert_to_tensor(value, dtype=self._dtype)
        if self._infer_shape and t.shape._dims is not None:
            self._merge_shape_dims(t.shape._dims[1:])
        if self._eager():
            n = t.shape._dims[0]
            parts = execute("TensorArrayUnstackN", (t,), {"num": n}) if n else ()
            self._list = list(parts)
            return self
        return self._with_flow(execute("TensorListFromTensor", (t,)))

    def _merge_shape_dims(self, dims: tuple) -> None:
        if self._element_shape is None:
            self._element_shape = dims

    def scatter(self, indices: Any, value: Any, name: str | None = None) -> TensorArray:
        idx = np.asarray(static_value(convert_to_tensor(indices, dtype=dtypes.int32))).reshape(-1)
        t = convert_to_tensor(value, dtype=self._dtype)
        parts = execute("TensorArrayUnstackN", (t,), {"num": len(idx)})
        ta = self
        for i, p in zip(idx, parts):
            ta = ta.write(int(i), p)
        return ta

    def size(self, name: str | None = None) -> Tensor:
        if self._eager():
            return convert_to_tensor(len(self._list), dtype=dtypes.int32)
        return execute("TensorListLength", (self.flow,))

    def concat(self, name: str | None = None) -> Tensor:
        from ndflow._src.ops import array_ops

        s = self.stack()
        dims = s.shape._dims
        if dims is not None and len(dims) >= 2:
            rest = [-1] + [d if d is not None else -1 for d in dims[2:]]
            return array_ops.reshape(s, rest)
        return s

    def identity(self) -> TensorArray:
        return self

    def close(self, name: str | None = None) -> None:
        """No-op, as in TensorFlow 2."""

    def mark_used(self) -> None:
        """No-op."""

    def __repr__(self) -> str:
        return f"<TensorArray dtype={self._dtype.name} element_shape={self.element_shape}>"
