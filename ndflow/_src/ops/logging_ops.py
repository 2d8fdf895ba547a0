"""`tf.print`: a stateful `PrintV2` op, so it prints at every call of a tf.function.

Tensors are formatted as TensorFlow does: NumPy-like brackets without commas, at most
`summarize` elements per dimension at each end (`[0 1 2 ... 7 8 9]`), floats with up to 9
significant digits and no trailing zeros, strings quoted inside tensors. Output goes to
stderr unless `output_stream=sys.stdout`.
"""

from __future__ import annotations

import sys
from typing import Any

import numpy as np

from ndflow._src.core import nest
from ndflow._src.framework.execute import execute
from ndflow._src.framework.op_registry import register_op
from ndflow._src.framework.tensor import Tensor, VariableBase

_STREAMS = {"stderr", "stdout", "log(info)", "log(warning)", "log(error)"}


def _scalar_text(v: Any, top: bool) -> str:
    if isinstance(v, (bytes, np.bytes_)):
        s = v.decode("utf-8", "replace")
        return s if top else f'"{s}"'
    if isinstance(v, (bool, np.bool_)):
        return "1" if v else "0"
    if isinstance(v, (float, np.floating)):
        # TF's float printing: the short form if it reads back exactly, else more digits
        # (6 then 9 significant digits for float32, 15 then 17 for float64).
        if isinstance(v, np.float64) or type(v) is float:
            short, full, cast = 15, 17, float
        else:
            short, full, cast = 6, 9, np.float32
        text = f"{float(v):.{short}g}"
        if np.isfinite(v) and cast(text) != cast(v):
            text = f"{float(v):.{full}g}"
        return text
    if isinstance(v, (complex, np.complexfloating)):
        return f"({_scalar_text(v.real, True)},{_scalar_text(v.imag, True)})"
    return str(v)


def format_tensor(a: np.ndarray, summarize: int = 3) -> str:
    """One tensor as tf.print shows it (string tensors' elements quoted)."""
    a = np.asarray(a)
    if a.ndim == 0:
        return _scalar_text(a[()], False)
    limit = None if summarize is None or summarize < 0 else summarize

    def rec(x: np.ndarray, depth: int) -> str:
        n = x.shape[0]
        if limit is not None and n > 2 * limit:
            idx = list(range(limit)) + [None] + list(range(n - limit, n))
        else:
            idx = list(range(n))
        if x.ndim == 1:
            parts = ["..." if i is None else _scalar_text(x[i], False) for i in idx]
            return "[" + " ".join(parts) + "]"
        sep = "\n" * (x.ndim - 1) + " " * (depth + 1)
        parts = ["..." if i is None else rec(x[i], depth + 1) for i in idx]
        return "[" + sep.join(parts) + "]"

    return rec(a, 0)


def _print_kernel(
    *arrays: Any, template: tuple, stream: str, summarize: int, sep: str, end: str
) -> tuple:
    pieces = []
    it = iter(arrays)
    for kind, value in template:
        if kind == "t":
            pieces.append(format_tensor(next(it), summarize))
        elif kind == "j":
            text = value[0]
            for part in value[1:]:
                text += format_tensor(next(it), summarize) + part
            pieces.append(text)
        else:
            pieces.append(value)
    text = sep.join(pieces) + end
    if stream == "stdout":
        sys.stdout.write(text)
    elif stream.startswith("log("):
        import logging

        level = {"info": logging.INFO, "warning": logging.WARNING, "error": logging.ERROR}[
            stream[4:-1]
        ]
        logging.getLogger("ndflow").log(level, text.rstrip("\n"))
    elif stream.startswith("file://"):
        with open(stream[7:], "a", encoding="utf-8") as fh:
            fh.write(text)
    else:
        sys.stderr.write(text)
    return ()


register_op("PrintV2", _print_kernel, lambda inputs, attrs: [], None, num_outputs=0, stateful=True)


def print(
    *inputs: Any,
    output_stream: Any = sys.stderr,
    summarize: int = 3,
    sep: str = " ",
    end: str = "\n",
    name: str | None = None,
) -> Any:  # noqa: A001
    """`tf.print`: prints tensors (and Python values) when the op runs: at once eagerly,
    at every call inside a tf.function.

    >>> import ndflow as tf, sys
    >>> tf.print("x:", tf.constant([1.5, 2.0]), output_stream=sys.stdout)
    x: [1.5 2]
    """
    if output_stream is sys.stdout:
        stream = "stdout"
    elif output_stream is sys.stderr or output_stream is None:
        stream = "stderr"
    elif isinstance(output_stream, str) and (
        output_stream in _STREAMS or output_stream.startswith("file://")
    ):
        stream = output_stream
    elif hasattr(output_stream, "write"):
        stream = "stdout" if output_stream is sys.__stdout__ else "stderr"
    else:
        raise ValueError(
            f"Unsupported output stream, logging level, or file.{output_stream}. Supported "
            "streams are sys.stdout, sys.stderr, tf.compat.v1.logging.info/warning/error, "
            "or a file path prefixed with 'file://'."
        )
    template: list = []
    tensors: list = []
    for x in inputs:
        if isinstance(x, VariableBase):
            x = x.value()
        if isinstance(x, Tensor):
            template.append(("t", None))
            tensors.append(x)
        elif nest.is_nested(x):
            template.append(("s", _nested_text(x, tensors, template, summarize)))
        else:
            template.append(("s", str(x)))
    flat_template = _expand(template, tensors, summarize)
    execute(
        "PrintV2",
        tuple(tensors),
        {
            "template": tuple(flat_template),
            "stream": stream,
            "summarize": summarize,
            "sep": sep,
            "end": end,
        },
    )
    return None


_MARK = "\x00tensor\x00"


def _nested_text(x: Any, tensors: list, template: list, summarize: int) -> str:
    """Python containers print like Python's repr with tensors formatted in place; the
    tensors' positions are marked and filled at run time."""

    def fmt(v: Any) -> str:
        if isinstance(v, VariableBase):
            v = v.value()
        if isinstance(v, Tensor):
            tensors.append(v)
            return _MARK
        if isinstance(v, dict):
            return "{" + ", ".join(f"{k!r}: {fmt(v[k])}" for k in sorted(v)) + "}"
        if isinstance(v, list):
            return "[" + ", ".join(fmt(e) for e in v) + "]"
        if isinstance(v, tuple):
            inner = ", ".join(fmt(e) for e in v)
            return "(" + inner + ("," if len(v) == 1 else "") + ")"
        return repr(v)

    return fmt(x)


def _expand(template: list, tensors: list, summarize: int) -> list:
    """Splits nested-structure text at tensor marks into ("t"/"s") pieces joined by ""."""
    out = []
    for kind, value in template:
        if kind == "t":
            out.append(("t", None))
            continue
        if _MARK not in value:
            out.append(("s", value))
            continue
        parts = value.split(_MARK)
        out.append(("j", tuple(parts)))
    return out
