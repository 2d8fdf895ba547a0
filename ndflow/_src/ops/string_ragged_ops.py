"""String ops with ragged results (`tf.strings.split`, `bytes_split`, `unicode_decode`,
`unicode_split`, `ngrams`) and the other Unicode ops (`unicode_encode`, `unicode_transcode`).

A kernel here returns the flat values plus one row-splits array per input dimension, and
the public function wraps them in a `RaggedTensor` (a scalar input gives a plain 1-D
Tensor, as in TensorFlow). All run through `execute`, so they trace like any op.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import numpy as np

from ndflow._src.core import dtypes
from ndflow._src.framework.execute import execute
from ndflow._src.framework.op_registry import register_op
from ndflow._src.framework.tensor import Tensor
from ndflow._src.ops.op_util import dims_of, invalid, to_tensor, unary_shape
from ndflow._src.ops.ragged import RaggedTensor
from ndflow._src.ops.string_ops import _STRING, _as_bytes, _map, _ragged_elementwise, _strings


# ---------------------------------------------------------------------------- ragged results


def _ragged_kernel(piece_fn: Callable, value_dtype: Any) -> Callable:
    """A kernel mapping each string to a list of values, returning the flat values and
    row splits for every input dimension (outermost first); a scalar gives values only."""

    def kernel(x: np.ndarray, **attrs: Any) -> tuple:
        flat = x.reshape(-1)
        pieces = [piece_fn(s, **attrs) for s in flat]
        lengths = np.fromiter((len(p) for p in pieces), np.int64, count=len(pieces))
        values = np.empty(int(lengths.sum()), dtype=value_dtype)
        k = 0
        for p in pieces:
            values[k : k + len(p)] = p
            k += len(p)
        if x.ndim == 0:
            return (values,)
        splits = []
        rows = 1
        for j in range(x.ndim - 1):
            rows *= x.shape[j]
            splits.append(np.arange(rows + 1, dtype=np.int64) * x.shape[j + 1])
        splits.append(np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64))
        return (values, *splits)

    return kernel


def _ragged_rule(value_dtype: Any) -> Callable:
    def rule(inputs: list, attrs: dict) -> list:
        dims = dims_of(inputs[0])
        if dims is None:
            raise ValueError("String ops with ragged results need an input of known rank.")
        out = [((None,), value_dtype)]
        rows = 1
        for d in dims:
            rows = None if rows is None or d is None else rows * d
            out.append(((None if rows is None else rows + 1,), dtypes.int64))
        return out

    return rule


def _register_ragged(op_type: str, piece_fn: Callable, value_dtype: Any) -> None:
    np_type = object if value_dtype is _STRING else value_dtype._np
    register_op(
        op_type, _ragged_kernel(piece_fn, np_type), _ragged_rule(value_dtype), num_outputs=-1
    )


def _ragged_or_strings(x: Any) -> Any:
    return x if isinstance(x, RaggedTensor) else _strings(x)


def _run_ragged(op_type: str, x: Any, attrs: dict) -> Any:
    if isinstance(x, RaggedTensor):
        # Split the flat strings, then put the input's rows back on top.
        inner = _run_ragged(op_type, x.flat_values, attrs)
        return RaggedTensor.from_nested_row_splits(
            inner.flat_values, x.nested_row_splits + inner.nested_row_splits, validate=False
        )
    outputs = execute(op_type, (x,), attrs)
    values, splits = outputs[0], outputs[1:]
    if not splits:
        return values
    # Every level but the innermost comes from a dense input dimension: uniform rows.
    dims = x.shape._dims
    result = RaggedTensor.from_row_splits(values, splits[-1], validate=False)
    for level in range(len(splits) - 2, -1, -1):
        result = RaggedTensor(
            result, splits[level], internal=True, uniform_row_length=dims[level + 1]
        )
    return result


_WHITESPACE = re.compile(rb"[ \t\n\r\v\f]+")


def _split_one(s: bytes, sep: bytes | None, maxsplit: int) -> list:
    if sep is None:
        parts = _WHITESPACE.split(s.strip(b" \t\n\r\v\f"), maxsplit=max(maxsplit, 0))
        return [] if parts == [b""] else parts
    if not s:
        return [b""]
    return s.split(sep, maxsplit)


_register_ragged("StringSplitV2", _split_one, _STRING)


def split(
    input: Any,  # noqa: A002
    sep: Any = None,
    maxsplit: int = -1,
    name: str | None = None,
) -> Any:
    """`tf.strings.split`: splits each string on `sep` (runs of whitespace when None).

    Returns:
      A 1-D Tensor for a scalar input; otherwise a RaggedTensor with one ragged row of
      pieces per input string.

    >>> import ndflow as tf
    >>> tf.strings.split(["a b", "c"])
    <tf.RaggedTensor [[b'a', b'b'], [b'c']]>
    """
    sep_b = None if sep is None else _as_bytes(sep)
    if sep_b == b"":
        sep_b = None
    return _run_ragged(
        "StringSplitV2", _ragged_or_strings(input), {"sep": sep_b, "maxsplit": int(maxsplit)}
    )


def _bytes_split_one(s: bytes) -> list:
    return [s[i : i + 1] for i in range(len(s))]


_register_ragged("StringBytesSplit", _bytes_split_one, _STRING)


def bytes_split(input: Any, name: str | None = None) -> Any:  # noqa: A002
    """`tf.strings.bytes_split`: each string as a sequence of one-byte strings.

    >>> import ndflow as tf
    >>> tf.strings.bytes_split("ab").numpy()
    array([b'a', b'b'], dtype=object)
    """
    return _run_ragged("StringBytesSplit", _ragged_or_strings(input), {})


def _check_encoding(encoding: str) -> str:
    norm = encoding.upper().replace("_", "-")
    if norm not in ("UTF-8", "UTF8"):
        raise ValueError(f"ndflow supports only UTF-8 for Unicode string ops; got {encoding!r}")
    return "utf-8"


def _decode_one(s: bytes, errors: str, replacement_char: int) -> list:
    if errors == "strict":
        try:
            text = s.decode("utf-8")
        except UnicodeDecodeError:
            raise invalid("UnicodeDecode", "Invalid formatting on input string") from None
    elif errors == "ignore":
        text = s.decode("utf-8", "ignore")
    else:
        text = s.decode("utf-8", "replace")
        if replacement_char != 0xFFFD:
            text = text.replace("\ufffd", chr(replacement_char))
    return [ord(c) for c in text]


def _unicode_split_one(s: bytes, errors: str, replacement_char: int) -> list:
    return [chr(c).encode("utf-8") for c in _decode_one(s, errors, replacement_char)]


_register_ragged("UnicodeDecode", _decode_one, dtypes.int32)
_register_ragged("UnicodeSplit", _unicode_split_one, _STRING)


def _unicode_attrs(input_encoding: str, errors: str, replacement_char: int) -> dict:
    _check_encoding(input_encoding)
    if errors not in ("strict", "replace", "ignore"):
        raise ValueError(f"errors must be one of 'strict', 'replace', 'ignore'; got {errors!r}")
    return {"errors": errors, "replacement_char": int(replacement_char)}


def unicode_decode(
    input: Any,  # noqa: A002
    input_encoding: str,
    errors: str = "replace",
    replacement_char: int = 65533,
    replace_control_characters: bool = False,
    name: str | None = None,
) -> Any:
    """`tf.strings.unicode_decode`: each string as its int32 Unicode code points
    (a RaggedTensor for non-scalar inputs).

    >>> import ndflow as tf
    >>> tf.strings.unicode_decode("hé", "UTF-8").numpy()
    array([104, 233], dtype=int32)
    """
    attrs = _unicode_attrs(input_encoding, errors, replacement_char)
    return _run_ragged("UnicodeDecode", _ragged_or_strings(input), attrs)


def unicode_split(
    input: Any,  # noqa: A002
    input_encoding: str,
    errors: str = "replace",
    replacement_char: int = 65533,
    name: str | None = None,
) -> Any:
    """`tf.strings.unicode_split`: each string as a sequence of one-character strings."""
    attrs = _unicode_attrs(input_encoding, errors, replacement_char)
    return _run_ragged("UnicodeSplit", _ragged_or_strings(input), attrs)


def _encode_codepoints(cps: Any, errors: str, replacement_char: int) -> bytes:
    chars = []
    for c in cps:
        c = int(c)
        if 0 <= c <= 0x10FFFF and not 0xD800 <= c <= 0xDFFF:
            chars.append(chr(c))
        elif errors == "strict":
            raise invalid("UnicodeEncode", f"Invalid code point: {c}")
        elif errors == "replace":
            chars.append(chr(replacement_char))
    return "".join(chars).encode("utf-8")


def _unicode_encode_kernel(values, *splits, errors, replacement_char):
    if not splits:
        rows = values.reshape(-1, values.shape[-1]) if values.ndim else values.reshape(1, 1)
        out = np.empty(rows.shape[0], dtype=object)
        for i, r in enumerate(rows):
            out[i] = _encode_codepoints(r, errors, replacement_char)
        return out.reshape(values.shape[:-1]) if values.ndim else out.reshape(())
    s = splits[-1]
    out = np.empty(s.shape[0] - 1, dtype=object)
    for i in range(out.shape[0]):
        out[i] = _encode_codepoints(values[s[i] : s[i + 1]], errors, replacement_char)
    # Outer ragged levels of the input stay ragged; ndflow supports one level.
    return out


def _unicode_encode_rule(inputs, attrs):
    if len(inputs) > 1:
        n = dims_of(inputs[-1])
        return [((None if n is None or n[0] is None else n[0] - 1,), _STRING)]
    dims = dims_of(inputs[0])
    return [(None if dims is None else tuple(dims[:-1]), _STRING)]


register_op("UnicodeEncode", _unicode_encode_kernel, _unicode_encode_rule)


def unicode_encode(
    input: Any,  # noqa: A002
    output_encoding: str,
    errors: str = "replace",
    replacement_char: int = 65533,
    name: str | None = None,
) -> Tensor:
    """`tf.strings.unicode_encode`: int32 code points (innermost dimension, dense or
    ragged) to UTF-8 strings.

    >>> import ndflow as tf
    >>> tf.strings.unicode_encode([104, 233], "UTF-8").numpy().decode()
    'hé'
    """
    _check_encoding(output_encoding)
    attrs = {"errors": errors, "replacement_char": int(replacement_char)}
    if isinstance(input, RaggedTensor):
        if input.ragged_rank != 1:
            raise NotImplementedError("unicode_encode supports one ragged dimension in ndflow")
        values = to_tensor(input.flat_values, dtypes.int32)
        return execute("UnicodeEncode", (values, input.row_splits), attrs)
    return execute("UnicodeEncode", (to_tensor(input, dtypes.int32),), attrs)


# ---------------------------------------------------------------------------- ngrams


def _ngram_rows(
    tokens: list, widths: tuple, separator: bytes, pad: tuple, pad_width: int, preserve_short: bool
) -> list:
    out: list = []
    for n in widths:
        p = (n - 1) if pad_width < 0 else min(pad_width, n - 1)
        seq = [pad[0]] * p + list(tokens) + [pad[1]] * p if pad[0] is not None else list(tokens)
        grams = [separator.join(seq[i : i + n]) for i in range(len(seq) - n + 1)]
        out.extend(grams)
    if not out and preserve_short and tokens:
        out.append(separator.join(tokens))
    return out


def _ngrams_kernel(values, *splits, widths, separator, pad, pad_width, preserve_short):
    if splits:
        s = splits[0]
        rows = [values[s[i] : s[i + 1]].tolist() for i in range(s.shape[0] - 1)]
        grams = [_ngram_rows(r, widths, separator, pad, pad_width, preserve_short) for r in rows]
        flat = np.empty(sum(len(g) for g in grams), dtype=object)
        flat[:] = [x for g in grams for x in g] if flat.size else []
        new_splits = np.concatenate([[0], np.cumsum([len(g) for g in grams])]).astype(np.int64)
        return flat, new_splits
    lead = values.reshape(-1, values.shape[-1]) if values.ndim > 1 else values.reshape(1, -1)
    grams = [
        _ngram_rows(r.tolist(), widths, separator, pad, pad_width, preserve_short) for r in lead
    ]
    width = len(grams[0]) if grams else 0
    out = np.empty((len(grams), width), dtype=object)
    for i, g in enumerate(grams):
        out[i, :] = g if width else []
    return out.reshape(values.shape[:-1] + (width,)), np.zeros((1,), np.int64)


def _ngrams_rule(inputs, attrs):
    if len(inputs) > 1:
        return [((None,), _STRING), (dims_of(inputs[1]), dtypes.int64)]
    dims = dims_of(inputs[0])
    return [(None if dims is None else tuple(dims[:-1]) + (None,), _STRING), ((1,), dtypes.int64)]


register_op("StringNGrams", _ngrams_kernel, _ngrams_rule, num_outputs=2)


def ngrams(
    data: Any,
    ngram_width: Any,
    separator: str = " ",
    pad_values: Any = None,
    padding_width: Any = None,
    preserve_short_sequences: bool = False,
    name: str | None = None,
) -> Any:
    """`tf.strings.ngrams`: n-grams of the innermost dimension of a string tensor (dense
    or ragged), joined with `separator`.

    >>> import ndflow as tf
    >>> tf.strings.ngrams(["a", "b", "c"], 2).numpy()
    array([b'a b', b'b c'], dtype=object)
    """
    widths = tuple(ngram_width) if isinstance(ngram_width, (list, tuple)) else (int(ngram_width),)
    if pad_values is None:
        pad = (None, None)
    elif isinstance(pad_values, (list, tuple)):
        pad = (_as_bytes(pad_values[0]), _as_bytes(pad_values[1]))
    else:
        pad = (_as_bytes(pad_values), _as_bytes(pad_values))
    attrs = {
        "widths": widths,
        "separator": _as_bytes(separator),
        "pad": pad,
        "pad_width": -1 if padding_width is None else int(padding_width),
        "preserve_short": bool(preserve_short_sequences),
    }
    if isinstance(data, RaggedTensor):
        if data.ragged_rank != 1:
            raise NotImplementedError("ngrams supports one ragged dimension in ndflow")
        values, splits = execute("StringNGrams", (data.flat_values, data.row_splits), attrs)
        return RaggedTensor.from_row_splits(values, splits, validate=False)
    x = _strings(data)
    if x.shape.rank == 0:
        raise ValueError("ngrams requires data of rank >= 1")
    return execute("StringNGrams", (x,), attrs)[0]


# ---------------------------------------------------------------------------- transcode

_CODECS = {
    "UTF-8": "utf-8",
    "UTF-16-BE": "utf-16-be",
    "UTF-32-BE": "utf-32-be",
    "US-ASCII": "ascii",
    "ISO-8859-1": "latin-1",
}


def _codec(name: str) -> str:
    try:
        return _CODECS[name.upper()]
    except KeyError:
        raise ValueError(
            f"Unsupported encoding {name!r}; ndflow supports {sorted(_CODECS)}"
        ) from None


def _transcode_one(s: bytes, src: str, dst: str, errors: str, replacement_char: int) -> bytes:
    if errors == "strict":
        try:
            text = s.decode(src)
        except UnicodeDecodeError:
            raise invalid("UnicodeTranscode", "Invalid formatting on input string") from None
    else:
        text = s.decode(src, "ignore" if errors == "ignore" else "replace")
        if errors == "replace" and replacement_char != 0xFFFD:
            text = text.replace("\ufffd", chr(replacement_char))
    return text.encode(dst, "replace")


register_op(
    "UnicodeTranscode",
    lambda x, src, dst, errors, replacement_char: _map(
        lambda s: _transcode_one(s, src, dst, errors, replacement_char), x
    ),
    unary_shape(),
)


@_ragged_elementwise
def unicode_transcode(
    input: Any,  # noqa: A002
    input_encoding: str,
    output_encoding: str,
    errors: str = "replace",
    replacement_char: int = 65533,
    replace_control_characters: bool = False,
    name: str | None = None,
) -> Tensor:
    """`tf.strings.unicode_transcode`: re-encodes strings (UTF-8, UTF-16-BE, UTF-32-BE).

    >>> import ndflow as tf
    >>> tf.strings.unicode_transcode("hé", "UTF-8", "UTF-16-BE").numpy()
    b'\\x00h\\x00\\xe9'
    """
    attrs = {
        "src": _codec(input_encoding),
        "dst": _codec(output_encoding),
        "errors": errors,
        "replacement_char": int(replacement_char),
    }
    return execute("UnicodeTranscode", (_strings(input),), attrs)
