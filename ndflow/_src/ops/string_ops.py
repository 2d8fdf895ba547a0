"""String ops (`tf.strings`): case, strip, regex, length, join, substr, number conversion,
formatting and hashing. Splitting, n-grams and Unicode are in `string_ragged_ops`.

String tensors are NumPy object arrays of `bytes`; Python `str` inputs are UTF-8 encoded
on conversion. Every op runs through `execute`, so text preprocessing also works inside
traced functions (tf.data map functions). Ops whose rows have different lengths (`split`
of a vector, `unicode_decode`, ...) return a `RaggedTensor` built from a values tensor and
row-splits tensors. String ops have no gradients. Regexes are RE2 in TensorFlow; here they
are Python's `re`, which agrees on the common syntax.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from typing import Any

import numpy as np

from ndflow._src.core import dtypes
from ndflow._src.framework.execute import execute
from ndflow._src.framework.op_registry import register_op
from ndflow._src.framework.tensor import Tensor
from ndflow._src.ops.op_util import (
    broadcast_dims,
    cpp_name,
    dims_of,
    dims_str,
    invalid,
    reduced_dims,
    to_tensor,
    unary_shape,
)
from ndflow._src.ops.ragged import RaggedTensor

_STRING = dtypes.string


def _non_string_leaf(x: Any) -> Any:
    stack = [x]
    while stack:
        v = stack.pop()
        if isinstance(v, (list, tuple)):
            stack.extend(reversed(v))
        elif isinstance(v, np.ndarray):
            if v.dtype.kind not in "USO":
                return v.reshape(-1)[0] if v.size else v
        elif not isinstance(v, (str, bytes)):
            return v
    return None


def _strings(x: Any) -> Tensor:
    """`x` as a tf.string tensor; TF's TypeError for non-strings."""
    if isinstance(x, Tensor):
        if x.dtype is not _STRING:
            raise TypeError(f"Cannot convert {x!r} to EagerTensor of dtype string")
        return x
    bad = _non_string_leaf(x)
    if bad is not None:
        raise TypeError(f"Cannot convert {bad!r} to EagerTensor of dtype string")
    return to_tensor(x, _STRING)


def _map(fn: Callable, x: np.ndarray, otype: Any = object) -> np.ndarray:
    """Applies `fn` to every element of `x`, keeping the shape."""
    flat = x.reshape(-1)
    out = np.empty(flat.shape, dtype=otype)
    for i, s in enumerate(flat):
        out[i] = fn(s)
    return out.reshape(x.shape)


def _elementwise(op_type: str, fn: Callable, out_dtype: Any = None) -> None:
    """Registers a one-input string op applying `fn(bytes, **attrs)` element by element."""
    otype = object if out_dtype is None else out_dtype._np

    def kernel(x: np.ndarray, **attrs: Any) -> np.ndarray:
        return _map(lambda s: fn(s, **attrs), x, otype)

    register_op(op_type, kernel, unary_shape(out_dtype))


def _ragged_elementwise(fn: Callable) -> Callable:
    """Lets an element-wise op take a RaggedTensor: it maps over the flat values and keeps
    the row structure, as TensorFlow's ragged dispatch does."""

    @functools.wraps(fn)
    def wrapper(input: Any, *args: Any, **kwargs: Any) -> Any:  # noqa: A002
        if isinstance(input, RaggedTensor):
            return input.with_flat_values(fn(input.flat_values, *args, **kwargs))
        return fn(input, *args, **kwargs)

    return wrapper


# ---------------------------------------------------------------------------- case, strip


def _lower(s: bytes, encoding: str) -> bytes:
    if encoding:
        return s.decode(encoding).lower().encode(encoding)
    return s.lower()  # bytes.lower touches ASCII only, as TF does without an encoding


def _upper(s: bytes, encoding: str) -> bytes:
    if encoding:
        return s.decode(encoding).upper().encode(encoding)
    return s.upper()


_elementwise("StringLower", _lower)
_elementwise("StringUpper", _upper)
_elementwise("StringStrip", lambda s: s.strip(b" \t\n\r\v\f"))


@_ragged_elementwise
def lower(input: Any, encoding: str = "", name: str | None = None) -> Tensor:  # noqa: A002
    """`tf.strings.lower`: lower-cases ASCII letters, or all letters with
    `encoding="utf-8"`.

    >>> import ndflow as tf
    >>> tf.strings.lower("HeLLo").numpy()
    b'hello'
    """
    return execute("StringLower", (_strings(input),), {"encoding": encoding.lower()})


@_ragged_elementwise
def upper(input: Any, encoding: str = "", name: str | None = None) -> Tensor:  # noqa: A002
    """`tf.strings.upper`: upper-cases ASCII letters, or all letters with
    `encoding="utf-8"`."""
    return execute("StringUpper", (_strings(input),), {"encoding": encoding.lower()})


@_ragged_elementwise
def strip(input: Any, name: str | None = None) -> Tensor:  # noqa: A002
    """`tf.strings.strip`: removes leading and trailing whitespace.

    >>> import ndflow as tf
    >>> tf.strings.strip("  a b \\n").numpy()
    b'a b'
    """
    return execute("StringStrip", (_strings(input),))


# ---------------------------------------------------------------------------- length


def _length(s: bytes, unit: str) -> int:
    if unit == "UTF8_CHAR":
        # Count bytes that do not continue a multi-byte sequence.
        return sum(1 for b in s if b & 0xC0 != 0x80)
    return len(s)


_elementwise("StringLength", _length, dtypes.int32)
_UNITS = ("BYTE", "UTF8_CHAR")


def _check_unit(unit: str, op_type: str) -> None:
    if unit not in _UNITS:
        raise invalid(
            op_type,
            f"Value for attr 'unit' of \"{unit}\" is not in the list of allowed values: "
            '"BYTE", "UTF8_CHAR"',
        )


@_ragged_elementwise
def length(input: Any, unit: str = "BYTE", name: str | None = None) -> Tensor:  # noqa: A002
    """`tf.strings.length`: string lengths in bytes, or in UTF-8 characters.

    >>> import ndflow as tf
    >>> tf.strings.length(["héllo"], unit="UTF8_CHAR").numpy()
    array([5], dtype=int32)
    """
    _check_unit(unit, "StringLength")
    return execute("StringLength", (_strings(input),), {"unit": unit})


# ---------------------------------------------------------------------------- regex


class _Regex:
    """A pattern matched as RE2 does in TensorFlow: on UTF-8 characters (so `.` matches
    `é`), falling back to bytes for strings that are not valid UTF-8."""

    def __init__(self, pattern: bytes, op_type: str) -> None:
        try:
            self.bytes = re.compile(pattern)
            try:
                self.text = re.compile(pattern.decode("utf-8"))
            except UnicodeDecodeError:
                self.text = None
        except re.error as e:
            raise invalid(
                op_type, f"Invalid pattern: {pattern.decode('utf-8', 'replace')}, error: {e}"
            ) from None

    def sub(self, rewrite: bytes, s: bytes, count: int) -> bytes:
        if self.text is not None:
            try:
                text, template = s.decode("utf-8"), rewrite.decode("utf-8")
            except UnicodeDecodeError:
                pass
            else:
                return self.text.sub(_rewrite_template(template, ""), text, count=count).encode()
        return self.bytes.sub(_rewrite_template(rewrite, b""), s, count=count)

    def fullmatch(self, s: bytes) -> bool:
        if self.text is not None:
            try:
                return self.text.fullmatch(s.decode("utf-8")) is not None
            except UnicodeDecodeError:
                pass
        return self.bytes.fullmatch(s) is not None


def _rewrite_template(rewrite: Any, empty: Any) -> Callable:
    r"""RE2 rewrites use \0-\9 for groups and \\ for a backslash (str or bytes)."""

    def expand(m: re.Match) -> Any:
        out = []
        i = 0
        while i < len(rewrite):
            c = rewrite[i : i + 1]
            if c in ("\\", b"\\") and i + 1 < len(rewrite):
                nxt = rewrite[i + 1 : i + 2]
                if nxt.isdigit():
                    out.append(m.group(int(nxt)) or empty)
                    i += 2
                    continue
                if nxt == c:
                    out.append(c)
                    i += 2
                    continue
            out.append(c)
            i += 1
        return empty.join(out)

    return expand


def _regex_replace_kernel(x, pattern, rewrite, replace_global):
    regex = _Regex(pattern, "StaticRegexReplace")
    count = 0 if replace_global else 1
    return _map(lambda s: regex.sub(rewrite, s, count), x)


register_op("StaticRegexReplace", _regex_replace_kernel, unary_shape())


def _as_bytes(value: Any) -> bytes:
    if isinstance(value, Tensor):
        value = value.numpy()
    return value.encode("utf-8") if isinstance(value, str) else bytes(value)


@_ragged_elementwise
def regex_replace(
    input: Any,  # noqa: A002
    pattern: Any,
    rewrite: Any,
    replace_global: bool = True,
    name: str | None = None,
) -> Tensor:
    r"""`tf.strings.regex_replace`: replaces matches of `pattern` with `rewrite`
    (`\1` refers to a group); only the first match when `replace_global=False`.

    >>> import ndflow as tf
    >>> tf.strings.regex_replace("aaa bbb", "a+", "x").numpy()
    b'x bbb'
    """
    pattern_b = _as_bytes(pattern)
    _Regex(pattern_b, "StaticRegexReplace")
    return execute(
        "StaticRegexReplace",
        (_strings(input),),
        {
            "pattern": pattern_b,
            "rewrite": _as_bytes(rewrite),
            "replace_global": bool(replace_global),
        },
    )


def _full_match_kernel(x, pattern):
    regex = _Regex(pattern, "StaticRegexFullMatch")
    return _map(regex.fullmatch, x, bool)


register_op("StaticRegexFullMatch", _full_match_kernel, unary_shape(dtypes.bool))


@_ragged_elementwise
def regex_full_match(input: Any, pattern: Any, name: str | None = None) -> Tensor:  # noqa: A002
    """`tf.strings.regex_full_match`: whether each whole string matches `pattern`.

    >>> import ndflow as tf
    >>> tf.strings.regex_full_match(["abc", "ab1"], "[a-z]+").numpy()
    array([ True, False])
    """
    pattern_b = _as_bytes(pattern)
    _Regex(pattern_b, "StaticRegexFullMatch")
    return execute("StaticRegexFullMatch", (_strings(input),), {"pattern": pattern_b})


# ---------------------------------------------------------------------------- join


def _join_kernel(*xs, separator):
    try:
        shape = np.broadcast_shapes(*[x.shape for x in xs if x.ndim])
    except ValueError:
        shapes = [x.shape for x in xs if x.ndim]
        raise invalid(
            "StringJoin",
            f"Input shapes do not match: {dims_str(shapes[0])} vs. {dims_str(shapes[1])}",
        ) from None
    for x in xs:
        if x.ndim and x.shape != shape:
            raise invalid(
                "StringJoin",
                f"Input shapes do not match: {dims_str(x.shape)} vs. {dims_str(shape)}",
            )
    parts = [np.broadcast_to(x, shape).reshape(-1) for x in xs]
    out = np.empty(len(parts[0]) if parts else 0, dtype=object)
    for i in range(out.shape[0]):
        out[i] = separator.join(p[i] for p in parts)
    return out.reshape(shape)


def _join_rule(inputs, attrs):
    dims: Any = ()
    for t in inputs:
        d = dims_of(t)
        if d != ():
            dims = broadcast_dims(dims, d, "StringJoin") if dims != () else d
    return [(dims, _STRING)]


register_op("StringJoin", _join_kernel, _join_rule)


def join(inputs: Any, separator: Any = "", name: str | None = None) -> Tensor:
    """`tf.strings.join`: element-wise concatenation of a list of string tensors
    (scalars broadcast).

    >>> import ndflow as tf
    >>> tf.strings.join(["a", ["b", "c"]], separator="-").numpy()
    array([b'a-b', b'a-c'], dtype=object)
    """
    ts = [_strings(x) for x in inputs]
    return execute("StringJoin", tuple(ts), {"separator": _as_bytes(separator)})


def _reduce_join_kernel(x, axis, keepdims, separator):
    axes = tuple(range(x.ndim)) if axis is None else axis
    rank = x.ndim
    for a in axes:
        if not -rank <= a < max(rank, 1) or (rank == 0 and a != 0):
            raise errors_out_of_range(a, rank)
    axes_n = sorted({a % rank for a in axes}) if rank else []
    keep = [a for a in range(rank) if a not in axes_n]
    moved = np.transpose(x, keep + axes_n) if rank else x
    kept_shape = tuple(x.shape[a] for a in keep)
    flat = moved.reshape(kept_shape + (-1,)) if rank else moved.reshape(1)
    out = np.empty(kept_shape, dtype=object)
    it = out.reshape(-1)
    rows = flat.reshape(-1, flat.shape[-1]) if flat.size or kept_shape else flat.reshape(1, -1)
    for i in range(it.shape[0]):
        it[i] = separator.join(rows[i]) if rows.shape[1] else b""
    if keepdims:
        out = out.reshape(tuple(1 if a in axes_n else x.shape[a] for a in range(rank)))
    return out


def errors_out_of_range(axis: int, rank: int) -> Exception:
    from ndflow._src.core import errors

    return errors.op_error(
        errors.OutOfRangeError,
        "ReduceJoin",
        f"Invalid reduction dimension {axis} for input with {rank} dimension(s)",
    )


def _reduce_join_rule(inputs, attrs):
    dims = dims_of(inputs[0])
    try:
        return [(reduced_dims(dims, attrs["axis"], attrs["keepdims"], "ReduceJoin"), _STRING)]
    except Exception:
        raise errors_out_of_range(attrs["axis"][0], len(dims)) from None


register_op("ReduceJoin", _reduce_join_kernel, _reduce_join_rule)


def reduce_join(
    inputs: Any,
    axis: Any = None,
    keepdims: bool = False,
    separator: Any = "",
    name: str | None = None,
) -> Tensor:
    """`tf.strings.reduce_join`: joins strings across `axis` (all axes when None).

    >>> import ndflow as tf
    >>> tf.strings.reduce_join([["a", "b"], ["c", "d"]], axis=1, separator=",").numpy()
    array([b'a,b', b'c,d'], dtype=object)
    """
    if axis is not None:
        if isinstance(axis, Tensor):
            axis = axis.numpy().tolist()
        axis = tuple(int(a) for a in axis) if isinstance(axis, (list, tuple)) else (int(axis),)
    if isinstance(inputs, RaggedTensor):
        return _ragged_reduce_join(inputs, axis, keepdims, _as_bytes(separator))
    x = _strings(inputs)
    return execute(
        "ReduceJoin",
        (x,),
        {"axis": axis, "keepdims": bool(keepdims), "separator": _as_bytes(separator)},
    )


def _ragged_reduce_join_kernel(values, splits, separator):
    out = np.empty(splits.shape[0] - 1, dtype=object)
    for i in range(out.shape[0]):
        out[i] = separator.join(values[splits[i] : splits[i + 1]])
    return out


register_op(
    "RaggedReduceJoin",
    _ragged_reduce_join_kernel,
    lambda inputs, attrs: [
        ((None if dims_of(inputs[1]) is None else _minus_one(dims_of(inputs[1])[0]),), _STRING)
    ],
)


def _minus_one(n: Any) -> Any:
    return None if n is None else n - 1


def _ragged_reduce_join(r: RaggedTensor, axis: Any, keepdims: bool, separator: bytes) -> Any:
    """reduce_join over the innermost (ragged) dimension of a RaggedTensor."""
    rank = r.ragged_rank + 1
    if axis is None or len(axis) != 1 or axis[0] % rank != rank - 1 or keepdims:
        raise NotImplementedError(
            "ndflow's reduce_join of a RaggedTensor supports only the innermost axis"
        )
    splits = r.nested_row_splits
    joined = execute("RaggedReduceJoin", (r.flat_values, splits[-1]), {"separator": separator})
    if len(splits) == 1:
        return joined
    return RaggedTensor.from_nested_row_splits(joined, splits[:-1], validate=False)


# ---------------------------------------------------------------------------- substr


def _char_starts(s: bytes) -> list[int]:
    return [i for i, b in enumerate(s) if b & 0xC0 != 0x80]


def _substr_one(s: bytes, pos: int, n: int, unit: str, index: int) -> bytes:
    if unit == "UTF8_CHAR":
        starts = _char_starts(s)
        size = len(starts)
    else:
        size = len(s)
    p = pos + size if pos < 0 else pos
    if p < 0 or p > size:
        where = "" if unit == "UTF8_CHAR" else f" {s!r}"
        raise invalid("Substr", f"pos {pos} out of range for string{where} at index {index}")
    end = min(p + max(n, 0), size)
    if unit == "UTF8_CHAR":
        starts.append(len(s))
        return s[starts[p] : starts[end]]
    return s[p:end]


def _substr_kernel(x, pos, n, unit):
    shape = np.broadcast_shapes(x.shape, pos.shape, n.shape)
    xs = np.broadcast_to(x, shape).reshape(-1)
    ps = np.broadcast_to(pos, shape).reshape(-1)
    ns = np.broadcast_to(n, shape).reshape(-1)
    out = np.empty(xs.shape, dtype=object)
    for i in range(xs.shape[0]):
        out[i] = _substr_one(xs[i], int(ps[i]), int(ns[i]), unit, i)
    return out.reshape(shape)


def _substr_rule(inputs, attrs):
    dims = broadcast_dims(dims_of(inputs[0]), dims_of(inputs[1]), "Substr")
    return [(broadcast_dims(dims, dims_of(inputs[2]), "Substr"), _STRING)]


register_op("Substr", _substr_kernel, _substr_rule)


@_ragged_elementwise
def substr(
    input: Any,  # noqa: A002
    pos: Any,
    len: Any,  # noqa: A002
    unit: str = "BYTE",
    name: str | None = None,
) -> Tensor:
    """`tf.strings.substr`: `len` bytes (or UTF-8 characters) from position `pos`;
    a negative `pos` counts from the end.

    Raises:
      InvalidArgumentError: `pos` beyond the string.

    >>> import ndflow as tf
    >>> tf.strings.substr("héllo", 1, 3, unit="UTF8_CHAR").numpy().decode()
    'éll'
    """
    _check_unit(unit, "Substr")
    x = _strings(input)
    p = to_tensor(pos, dtypes.int32)
    n = to_tensor(len, p.dtype)
    return execute("Substr", (x, p, n), {"unit": unit})


# ---------------------------------------------------------------------------- numbers

_NUMBER_TYPES = (
    dtypes.float32,
    dtypes.float64,
    dtypes.int32,
    dtypes.int64,
    dtypes.uint32,
    dtypes.uint64,
)


def _parse_number(s: bytes, is_int: bool) -> Any:
    raw = s.decode("utf-8", "replace")
    text = raw.strip()
    bad = invalid("StringToNumber", f"StringToNumberOp could not correctly convert string: {raw}")
    if not text or "_" in text:
        raise bad
    try:
        if is_int:
            return int(text, 10)
        return float(text)
    except ValueError:
        pass
    if not is_int and text.lower().lstrip("+-").startswith("0x"):
        try:
            return float(int(text, 16))
        except ValueError:
            pass
    raise bad


def _to_number_kernel(x, out_type):
    is_int = out_type.is_integer
    info = np.iinfo(out_type._np) if is_int else None
    flat = x.reshape(-1)
    out = np.empty(flat.shape, dtype=out_type._np)
    for i, s in enumerate(flat):
        v = _parse_number(s, is_int)
        if is_int and not info.min <= v <= info.max:
            raise invalid(
                "StringToNumber",
                f"StringToNumberOp could not correctly convert string: {s.decode('utf-8', 'replace')}",
            )
        out[i] = v
    return out.reshape(x.shape)


register_op(
    "StringToNumber",
    _to_number_kernel,
    lambda inputs, attrs: [(dims_of(inputs[0]), attrs["out_type"])],
)


@_ragged_elementwise
def to_number(
    string_tensor: Any, out_type: Any = dtypes.float32, name: str | None = None
) -> Tensor:
    """`tf.strings.to_number`: parses numbers (float32 by default).

    Raises:
      InvalidArgumentError: a string that is not a number of `out_type`.

    >>> import ndflow as tf
    >>> tf.strings.to_number(["1.5", "2"]).numpy()
    array([1.5, 2. ], dtype=float32)
    """
    out_type = dtypes.as_dtype(out_type)
    if out_type not in _NUMBER_TYPES:
        raise invalid(
            "StringToNumber",
            f"Value for attr 'out_type' of {cpp_name(out_type)} is not in the list of allowed "
            "values: float, double, int32, int64, uint32, uint64",
        )
    return execute("StringToNumber", (_strings(string_tensor),), {"out_type": out_type})


def _as_string_kernel(x, precision, scientific, shortest, width, fill):
    kind = x.dtype.kind
    if kind == "O":
        return x.copy()
    if kind == "b":
        return _map(lambda v: b"true" if v else b"false", x)
    flags = "0" if fill == "0" else ("-" if fill == "-" else "")
    w = str(width) if width > -1 else ""
    if kind in "iu":
        fmt = "%" + flags + w + "d"
        return _map(lambda v: (fmt % int(v)).encode(), x)
    p = f".{precision}" if precision > -1 else ""
    conv = "e" if scientific else ("g" if shortest else "f")
    fmt = "%" + flags + w + p + conv
    if kind == "c":
        return _map(lambda v: f"({fmt % v.real},{fmt % v.imag})".encode(), x)
    return _map(lambda v: (fmt % float(v)).encode(), x)


register_op("AsString", _as_string_kernel, unary_shape(_STRING))


@_ragged_elementwise
def as_string(
    input: Any,  # noqa: A002
    precision: int = -1,
    scientific: bool = False,
    shortest: bool = False,
    width: int = -1,
    fill: str = "",
    name: str | None = None,
) -> Tensor:
    """`tf.strings.as_string`: formats numbers and booleans as strings (printf style).

    >>> import ndflow as tf
    >>> tf.strings.as_string([1.5, 2.25], precision=1).numpy()
    array([b'1.5', b'2.2'], dtype=object)
    """
    x = to_tensor(input)
    if scientific and shortest:
        raise invalid("AsString", "Cannot select both scientific and shortest notation")
    if len(fill) > 1:
        raise invalid("AsString", "Fill string must be one or fewer characters")
    if fill and fill not in (" ", "0", "+", "-", "#"):
        raise invalid("AsString", f'Fill argument not supported: "{fill}"')
    if precision > -1 and not (x.dtype.is_floating or x.dtype.is_complex):
        raise invalid("AsString", f"precision not supported for datatype {x.dtype.name}")
    return execute(
        "AsString",
        (x,),
        {
            "precision": int(precision),
            "scientific": bool(scientific),
            "shortest": bool(shortest),
            "width": int(width),
            "fill": fill,
        },
    )


def _summarize(value: np.ndarray, summarize: int) -> str:
    """NumPy-style text of `value`, eliding the middle of dimensions longer than
    2 * summarize (all of it when summarize < 0), as tf.print does."""
    if value.dtype == object:
        value = _map(lambda b: b.decode("utf-8", "replace"), value)
    if value.ndim == 0:
        v = value.item()
        return f"{v:g}" if isinstance(v, float) else str(v)
    threshold = 10**9 if summarize < 0 else max(2 * summarize, 1)
    edge = max(summarize, 1)
    with np.printoptions(threshold=threshold, edgeitems=edge):
        return np.array2string(value, separator=" ", formatter={"float_kind": lambda f: f"{f:g}"})


def _format_kernel(*xs, template, placeholder, summarize):
    pieces = template.split(placeholder)
    out = pieces[0]
    for x, piece in zip(xs, pieces[1:]):
        out += _summarize(x, summarize) + piece
    return np.asarray(out.encode("utf-8"), dtype=object)


register_op("StringFormat", _format_kernel, lambda inputs, attrs: [((), _STRING)])


def format(  # noqa: A001 - TensorFlow's name
    template: str,
    inputs: Any,
    placeholder: str = "{}",
    summarize: int = 3,
    name: str | None = None,
) -> Tensor:
    """`tf.strings.format`: fills each `placeholder` in `template` with a tensor,
    printed like NumPy (the first and last `summarize` entries of long dimensions).

    >>> import ndflow as tf
    >>> tf.strings.format("x={}", (tf.constant([1, 2]),)).numpy()
    b'x=[1 2]'
    """
    if isinstance(inputs, (list, tuple)):
        items = list(inputs)
    else:
        items = [inputs]
    count = template.count(placeholder)
    if count != len(items):
        raise ValueError(
            f"The template expects {count} tensors, but the inputs only has {len(items)}. "
            "Please ensure the number of placeholders in template matches inputs length."
        )
    ts = tuple(to_tensor(x) for x in items)
    return execute(
        "StringFormat",
        ts,
        {"template": template, "placeholder": placeholder, "summarize": int(summarize)},
    )


# ---------------------------------------------------------------------------- hashing


def _fingerprint64(s: bytes) -> int:
    # FNV-1a: a stable 64-bit hash (TensorFlow uses Farmhash; the buckets differ).
    h = 0xCBF29CE484222325
    for b in s:
        h = ((h ^ b) * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return h


register_op(
    "StringToHashBucketFast",
    lambda x, num_buckets: _map(lambda s: _fingerprint64(s) % num_buckets, x, np.int64),
    unary_shape(dtypes.int64),
)


def to_hash_bucket_fast(input: Any, num_buckets: int, name: str | None = None) -> Tensor:  # noqa: A002
    """`tf.strings.to_hash_bucket_fast`: a stable hash of each string modulo
    `num_buckets` (stable across runs, though not TensorFlow's Farmhash values)."""
    if num_buckets < 1:
        raise ValueError(f"num_buckets must be >= 1, got {num_buckets}")
    return execute("StringToHashBucketFast", (_strings(input),), {"num_buckets": int(num_buckets)})


to_hash_bucket = to_hash_bucket_fast
