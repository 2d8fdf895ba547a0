"""`tf.py_function` and `tf.numpy_function`: Python code run as an op.

The op's kernel calls the Python function each time the op runs, eagerly or inside a
compiled graph, so code that needs concrete values (parsers, NumPy libraries) works in
`tf.function` and `tf.data.Dataset.map`. Outputs have the declared dtypes and unknown
shapes (call `set_shape` to declare more). They are stateful: never folded or merged.
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np

from ndflow._src.core import dtypes, errors
from ndflow._src.framework.execute import execute
from ndflow._src.framework.op_registry import register_op
from ndflow._src.framework.tensor import Tensor, wrap
from ndflow._src.ops.op_util import to_tensor


def _as_arrays(result: Any, tout: tuple, func: Callable) -> tuple:
    values = list(result) if isinstance(result, (list, tuple)) else [result]
    if len(values) != len(tout):
        raise errors.op_error(
            errors.InvalidArgumentError,
            "EagerPyFunc",
            f"{getattr(func, '__name__', func)} returned {len(values)} values, but Tout "
            f"declares {len(tout)}",
        )
    out = []
    for v, d in zip(values, tout):
        arr = v._value if isinstance(v, Tensor) else np.asarray(v)
        if d is dtypes.string:
            if arr.dtype.kind in "US":
                arr = np.vectorize(
                    lambda s: s.encode() if isinstance(s, str) else bytes(s), otypes=[object]
                )(arr)
            arr = arr.astype(object)
        elif arr.dtype != d._np:
            arr = arr.astype(d._np)
        out.append(arr)
    return tuple(out)


def _py_func_kernel(*arrays: np.ndarray, func: Callable, Tout: tuple, eager: bool) -> tuple:
    args = [wrap(a) for a in arrays] if eager else list(arrays)
    return _as_arrays(func(*args), Tout, func)


def _py_func_shape(inputs: list, attrs: dict) -> list:
    return [(None, d) for d in attrs["Tout"]]


register_op("EagerPyFunc", _py_func_kernel, _py_func_shape, num_outputs=-1, stateful=True)


def _call(func: Callable, inp: Any, Tout: Any, eager: bool) -> Any:
    single = not isinstance(Tout, (list, tuple))
    tout = tuple(dtypes.as_dtype(d) for d in ([Tout] if single else Tout))
    inputs = [to_tensor(x) for x in (inp if isinstance(inp, (list, tuple)) else [inp])]
    outs = execute("EagerPyFunc", inputs, {"func": func, "Tout": tout, "eager": eager})
    return outs[0] if single else list(outs)


def py_function(func: Callable, inp: Any, Tout: Any, name: str | None = None) -> Any:
    """`tf.py_function`: runs `func` on eager Tensors each time the op runs.

    >>> import ndflow as tf
    >>> tf.py_function(lambda x: x * 2, [tf.constant(3)], tf.int32)
    <tf.Tensor: shape=(), dtype=int32, numpy=6>
    """
    return _call(func, inp, Tout, eager=True)


def numpy_function(
    func: Callable, inp: Any, Tout: Any, stateful: bool = True, name: str | None = None
) -> Any:
    """`tf.numpy_function`: runs `func` on NumPy arrays each time the op runs."""
    return _call(func, inp, Tout, eager=False)
