"""tf.strings: outputs against hand-written expectations and real TensorFlow, errors,
and the minimal RaggedTensor."""

from __future__ import annotations

import re
import string

import numpy as np
import pytest

import ndflow as nd


class R:
    """A RaggedTensor input, built with each library's own `from_row_splits`."""

    def __init__(self, values, splits):
        self.values, self.splits = values, splits

    def build(self, lib):
        return lib.RaggedTensor.from_row_splits(self.values, np.array(self.splits, np.int64))


def _call(lib, name, args, kwargs):
    fn = lib.strings
    for part in name.split("."):
        fn = getattr(fn, part)
    args = [a.build(lib) if isinstance(a, R) else a for a in args]
    kwargs = {
        k: getattr(lib, v[3:]) if isinstance(v, str) and v.startswith("tf.") else v
        for k, v in kwargs.items()
    }
    return fn(*args, **kwargs)


def _plain(result):
    """(kind, dtype name, shape, value) of a Tensor or RaggedTensor, for comparison."""
    if hasattr(result, "row_splits"):
        return ("ragged", result.dtype.name, None, result.to_list())
    value = result.numpy()
    value = value.tolist() if isinstance(value, np.ndarray) else value
    if isinstance(value, float) and np.isnan(value):
        value = "nan"
    return ("dense", result.dtype.name, tuple(result.shape), value)


# (function, args, kwargs, expected value as to_list()/tolist(), or None: parity only)
CASES = [
    ("lower", (["Hello ÄÖ", "ÉCOLE"],), {}, [b"hello \xc3\x84\xc3\x96", b"\xc3\x89cole"]),
    ("lower", ("ÄB",), {"encoding": "utf-8"}, "äb".encode()),
    ("upper", ("straße ab",), {}, "STRAßE AB".encode()),
    ("upper", ("héllo",), {"encoding": "utf-8"}, "HÉLLO".encode()),
    ("strip", (["  a b \n", "\tc", "  é  "],), {}, [b"a b", b"c", "é".encode()]),
    ("split", ("a b  c",), {}, [b"a", b"b", b"c"]),
    ("split", (["a b", "c"],), {}, [[b"a", b"b"], [b"c"]]),
    ("split", (["a,b,,c", ""],), {"sep": ","}, [[b"a", b"b", b"", b"c"], [b""]]),
    ("split", (["a b c"],), {"maxsplit": 1}, [[b"a", b"b c"]]),
    ("split", (["", "  "],), {}, [[], []]),
    ("split", ("a  b",), {"sep": " "}, [b"a", b"", b"b"]),
    (
        "split",
        ([["a b", "c"], ["d", "e f g"]],),
        {},
        [[[b"a", b"b"], [b"c"]], [[b"d"], [b"e", b"f", b"g"]]],
    ),
    ("split", (["añb ñ c"],), {"sep": "ñ"}, [[b"a", b"b ", b" c"]]),
    (
        "split",
        (R(np.array([b"a b", b"c", b"d e"], object), [0, 2, 3]),),
        {},
        [[[b"a", b"b"], [b"c"]], [[b"d", b"e"]]],
    ),
    (
        "unicode_split",
        (R(np.array(["hé".encode(), b"x"], object), [0, 1, 2]), "UTF-8"),
        {},
        [[[b"h", "é".encode()]], [[b"x"]]],
    ),
    ("regex_replace", ("aaa bbb", "a+", "x"), {}, b"x bbb"),
    ("regex_replace", ("aaa bab", "a", "x"), {"replace_global": False}, b"xaa bab"),
    ("regex_replace", ("Hello", r"(l+)", r"<\1>"), {}, b"He<ll>o"),
    ("regex_replace", (["ab12", "x9"], r"\d", ""), {}, [b"ab", b"x"]),
    ("regex_replace", ("café crème", "é", "e"), {}, "cafe crème".encode()),
    ("regex_replace", ("<b>Hi</b> there", "<[^>]+>", " "), {}, b" Hi  there"),
    ("regex_replace", ("naïve café", "[^a-z ]", "_"), {}, b"na_ve caf_"),
    ("regex_replace", (b"a\xffb", "b", "c"), {}, b"a\xffc"),
    ("regex_full_match", (["abc", "ab1"], "[a-z]+"), {}, [True, False]),
    ("regex_full_match", ("naïve", "na.ve"), {}, True),
    ("length", (["héllo", ""],), {}, [6, 0]),
    ("length", (["héllo", "日本"],), {"unit": "UTF8_CHAR"}, [5, 2]),
    ("length", ([["ab"], ["c"]],), {}, [[2], [1]]),
    ("join", (["a", "b"],), {"separator": "-"}, b"a-b"),
    ("join", ([["a", "b"], "c"],), {}, [b"ac", b"bc"]),
    ("join", (["a", ["b", "é", "d"]],), {}, [b"ab", "aé".encode(), b"ad"]),
    ("reduce_join", ([["a", "b"], ["c", "d"]],), {"axis": 1, "separator": ","}, [b"a,b", b"c,d"]),
    ("reduce_join", ([["a", "b"], ["c", "d"]],), {}, b"abcd"),
    ("reduce_join", ([["a", "b"], ["c", "d"]],), {"axis": 0, "keepdims": True}, [[b"ac", b"bd"]]),
    ("reduce_join", (["a", "b"],), {"axis": -1, "separator": ", "}, b"a, b"),
    (
        "reduce_join",
        (R(np.array([b"h", b"i", b"y", b"o"], object), [0, 2, 2, 4]),),
        {"axis": -1},
        [b"hi", b"", b"yo"],
    ),
    (
        "lower",
        (R(np.array([b"A", b"\xc3\x89", b"C"], object), [0, 2, 3]),),
        {"encoding": "utf-8"},
        [[b"a", "é".encode()], [b"c"]],
    ),
    ("length", (R(np.array([b"ab", b"c"], object), [0, 0, 2]),), {}, [[], [2, 1]]),
    (
        "regex_replace",
        (
            R(np.array([b"a!", b"b?"], object), [0, 1, 2]),
            "[%s]" % re.escape(string.punctuation),  # noqa: UP031 - the tutorials write this
            "",
        ),
        {},
        [[b"a"], [b"b"]],
    ),
    ("substr", ("héllo", 1, 3), {}, b"\xc3\xa9l"),
    ("substr", ("héllo", 1, 3), {"unit": "UTF8_CHAR"}, "éll".encode()),
    ("substr", (["hello", "ab"], [1, 0], [2, 5]), {}, [b"el", b"ab"]),
    ("substr", (["hello", "ab"], 1, 2), {}, [b"el", b"b"]),
    ("substr", ("hello", -2, 5), {}, b"lo"),
    ("to_number", (["1.5", "2", "-3e2"],), {}, [1.5, 2.0, -300.0]),
    ("to_number", (["1", "-2", " 7 "],), {"out_type": "tf.int32"}, [1, -2, 7]),
    ("to_number", (["1.5"],), {"out_type": "tf.float64"}, [1.5]),
    ("to_number", ([" 1.5 ", "1e3", "inf", "0x10"],), {}, [1.5, 1000.0, float("inf"), 16.0]),
    ("to_number", ("12345678901",), {"out_type": "tf.int64"}, 12345678901),
    ("as_string", ([1.5, 2.0],), {}, [b"1.500000", b"2.000000"]),
    ("as_string", ([1.5, 2.25],), {"precision": 1}, [b"1.5", b"2.2"]),
    ("as_string", ([1.5e10],), {"scientific": True}, [b"1.500000e+10"]),
    (
        "as_string",
        ([1.5, 0.1, 1e-7, 123456789.0],),
        {"shortest": True},
        [b"1.5", b"0.1", b"1e-07", b"1.23457e+08"],
    ),
    ("as_string", ([1, 22],), {"width": 4, "fill": "0"}, [b"0001", b"0022"]),
    ("as_string", ([1, 22],), {"width": 4}, [b"   1", b"  22"]),
    ("as_string", ([True, False],), {}, [b"true", b"false"]),
    ("as_string", ([1.0, -2.5],), {"width": 8, "precision": 2}, [b"    1.00", b"   -2.50"]),
    ("as_string", (np.array([7], np.int64),), {}, [b"7"]),
    ("format", ("x={} y={}", (1, [1.5, 2.0])), {}, b"x=1 y=[1.5 2]"),
    ("format", ("{} and {}", (1.5, np.array([[1, 2], [3, 4]]))), {}, b"1.5 and [[1 2]\n [3 4]]"),
    ("format", ("{}", (np.arange(10),)), {}, b"[0 1 2 ... 7 8 9]"),
    ("unicode_decode", ("héllo", "UTF-8"), {}, [104, 233, 108, 108, 111]),
    ("unicode_decode", (["hé", "abc"], "UTF-8"), {}, [[104, 233], [97, 98, 99]]),
    ("unicode_decode", (b"\xffa", "UTF-8"), {}, [65533, 97]),
    ("unicode_decode", (b"\xffa", "UTF-8"), {"errors": "ignore"}, [97]),
    ("unicode_encode", ([104, 233], "UTF-8"), {}, "hé".encode()),
    ("unicode_encode", ([[104, 233], [97, 98]], "UTF-8"), {}, ["hé".encode(), b"ab"]),
    (
        "unicode_encode",
        (R(np.array([104, 233, 97], np.int32), [0, 2, 3]), "UTF-8"),
        {},
        ["hé".encode(), b"a"],
    ),
    ("unicode_encode", ([104, -1], "UTF-8"), {}, "h\ufffd".encode()),
    ("unicode_split", ("héllo", "UTF-8"), {}, [b"h", "é".encode(), b"l", b"l", b"o"]),
    ("unicode_split", (["hé", "abc"], "UTF-8"), {}, [[b"h", "é".encode()], [b"a", b"b", b"c"]]),
    ("unicode_transcode", ("héllo", "UTF-8", "UTF-16-BE"), {}, "héllo".encode("utf-16-be")),
    ("bytes_split", ("hé",), {}, [b"h", b"\xc3", b"\xa9"]),
    ("bytes_split", (["hé", "ab"],), {}, [[b"h", b"\xc3", b"\xa9"], [b"a", b"b"]]),
    ("ngrams", (["a", "b", "c"], 2), {}, [b"a b", b"b c"]),
    ("ngrams", ([["a", "b", "c"], ["d", "e", "f"]], 2), {}, [[b"a b", b"b c"], [b"d e", b"e f"]]),
    ("ngrams", (["a", "b"], 3), {}, []),
    (
        "ngrams",
        (["a", "b"], 3),
        {"pad_values": ("<s>", "</s>")},
        [b"<s> <s> a", b"<s> a b", b"a b </s>", b"b </s> </s>"],
    ),
    ("ngrams", (["a", "b", "c"], (1, 2)), {"separator": "_"}, [b"a", b"b", b"c", b"a_b", b"b_c"]),
    (
        "ngrams",
        (R(np.array([b"a", b"b", b"c", b"d"], object), [0, 3, 4]), 2),
        {},
        [[b"a b", b"b c"], []],
    ),
    (
        "ngrams",
        (R(np.array([b"a", b"b"], object), [0, 2, 2]), 3),
        {"preserve_short_sequences": True},
        [[b"a b"], []],
    ),
]
IDS = [f"{c[0]}-{i}" for i, c in enumerate(CASES)]


@pytest.mark.parametrize("name,args,kwargs,expected", CASES, ids=IDS)
def test_string_op_gives_expected_value(name, args, kwargs, expected):
    kind, _, _, value = _plain(_call(nd, name, args, kwargs))
    assert value == expected


@pytest.mark.parametrize("name,args,kwargs,expected", CASES, ids=IDS)
def test_string_op_shape_rules_agree_with_kernels(monkeypatch, name, args, kwargs, expected):
    from ndflow._src.ops import string_ops, string_ragged_ops

    from ._shape_rule_check import checking_execute

    monkeypatch.setattr(string_ops, "execute", checking_execute)
    monkeypatch.setattr(string_ragged_ops, "execute", checking_execute)
    _call(nd, name, args, kwargs)


@pytest.mark.parity
@pytest.mark.parametrize("name,args,kwargs,expected", CASES, ids=IDS)
def test_string_op_matches_tensorflow(real_tf, name, args, kwargs, expected):
    assert _plain(_call(nd, name, args, kwargs)) == _plain(_call(real_tf, name, args, kwargs))


def test_to_number_nan_and_string_inputs_from_numpy():
    assert np.isnan(nd.strings.to_number("nan").numpy())
    out = nd.strings.upper(np.array(["ab", "cd"]))
    assert out.dtype == nd.string and out.numpy().tolist() == [b"AB", b"CD"]


def test_to_hash_bucket_fast_is_stable_and_in_range():
    a = nd.strings.to_hash_bucket_fast(["a", "b", "hello"], 10).numpy()
    b = nd.strings.to_hash_bucket_fast(["a", "b", "hello"], 10).numpy()
    assert a.dtype == np.int64 and np.array_equal(a, b)
    assert a.min() >= 0 and a.max() < 10


# ---------------------------------------------------------------------------- errors

ERRORS = [
    (lambda s: s.lower(3), TypeError, "Cannot convert 3 to EagerTensor of dtype string"),
    (lambda s: s.length(3), TypeError, "Cannot convert 3 to EagerTensor of dtype string"),
    (lambda s: s.join(["a", 1]), TypeError, "Cannot convert 1 to EagerTensor of dtype string"),
    (
        lambda s: s.to_number(["abc"]),
        "InvalidArgumentError",
        r"StringToNumberOp could not correctly convert string: abc \[Op:StringToNumber\]",
    ),
    (
        lambda s: s.to_number(["1.5"], out_type="int32"),
        "InvalidArgumentError",
        "StringToNumberOp could not correctly convert string: 1.5",
    ),
    (
        lambda s: s.to_number("1_0"),
        "InvalidArgumentError",
        "StringToNumberOp could not correctly convert string: 1_0",
    ),
    (
        lambda s: s.to_number(""),
        "InvalidArgumentError",
        "StringToNumberOp could not correctly convert string: ",
    ),
    (
        lambda s: s.to_number("1", out_type="string"),
        "InvalidArgumentError",
        "Value for attr 'out_type' of string is not in the list of allowed values",
    ),
    (
        lambda s: s.substr("hello", 9, 2),
        "InvalidArgumentError",
        r"pos 9 out of range for string b'hello' at index 0 \[Op:Substr\]",
    ),
    (
        lambda s: s.substr("héllo", 10, 3, unit="UTF8_CHAR"),
        "InvalidArgumentError",
        "pos 10 out of range for string at index 0",
    ),
    (
        lambda s: s.length(["é"], unit="BYTES"),
        "InvalidArgumentError",
        "Value for attr 'unit' of \"BYTES\" is not in the list of allowed values",
    ),
    (
        lambda s: s.reduce_join([["a", "b"]], axis=2),
        "OutOfRangeError",
        r"Invalid reduction dimension 2 for input with 2 dimension\(s\)",
    ),
    (
        lambda s: s.join([["a", "b"], ["c", "d", "e"]]),
        "InvalidArgumentError",
        r"Input shapes do not match: \[2\] vs. \[3\]",
    ),
    (
        lambda s: s.regex_replace("a", "(", "x"),
        "InvalidArgumentError",
        r"Invalid pattern: \(, error: missing \)",
    ),
    (
        lambda s: s.regex_full_match("a", "("),
        "InvalidArgumentError",
        r"Invalid pattern: \(, error: missing \)",
    ),
    (
        lambda s: s.as_string([1.5], scientific=True, shortest=True),
        "InvalidArgumentError",
        "Cannot select both scientific and shortest notation",
    ),
    (
        lambda s: s.as_string([1], fill="ab"),
        "InvalidArgumentError",
        "Fill string must be one or fewer characters",
    ),
    (
        lambda s: s.as_string([1], precision=2),
        "InvalidArgumentError",
        "precision not supported for datatype int32",
    ),
    (
        lambda s: s.unicode_decode(b"\xffa", "UTF-8", errors="strict"),
        "InvalidArgumentError",
        "Invalid formatting on input string",
    ),
    (
        lambda s: s.format("{}", (1, 2)),
        ValueError,
        "The template expects 1 tensors, but the inputs only has 2",
    ),
]


def _exception(lib, exc):
    return getattr(lib.errors, exc) if isinstance(exc, str) else exc


@pytest.mark.parametrize("fn,exc,message", ERRORS)
def test_errors_use_tensorflow_classes_and_messages(fn, exc, message):
    with pytest.raises(_exception(nd, exc), match=message):
        fn(nd.strings)


@pytest.mark.parity
@pytest.mark.parametrize("fn,exc,message", ERRORS)
def test_tensorflow_raises_the_same_errors(real_tf, fn, exc, message):
    with pytest.raises(_exception(real_tf, exc), match=message):
        fn(real_tf.strings)


# ---------------------------------------------------------------------------- RaggedTensor


def test_ragged_split_result_structure_and_printing():
    r = nd.strings.split(["a b", "c"])
    assert isinstance(r, nd.RaggedTensor)
    assert repr(r) == "<tf.RaggedTensor [[b'a', b'b'], [b'c']]>"
    assert str(r) == repr(r)
    assert r.dtype == nd.string and r.ragged_rank == 1
    assert tuple(r.shape.as_list()) == (2, None)
    assert r.flat_values.numpy().tolist() == [b"a", b"b", b"c"]
    assert r.row_splits.dtype == nd.int64 and r.row_splits.numpy().tolist() == [0, 2, 3]
    assert r.row_lengths().numpy().tolist() == [2, 1]
    assert int(r.nrows()) == 2


def test_ragged_rows_slices_and_iteration():
    r = nd.strings.split(["a b", "c", "d e f"])
    assert r[1].numpy().tolist() == [b"c"]
    assert r[-1].numpy().tolist() == [b"d", b"e", b"f"]
    assert r[0:2].to_list() == [[b"a", b"b"], [b"c"]]
    assert r[::2].to_list() == [[b"a", b"b"], [b"d", b"e", b"f"]]
    assert [row.numpy().tolist() for row in r] == [[b"a", b"b"], [b"c"], [b"d", b"e", b"f"]]
    with pytest.raises(IndexError):
        r[3]


def test_ragged_numpy_and_to_tensor_like_tensorflow():
    r = nd.strings.split(["a b", "c"])
    arr = r.numpy()
    assert arr.dtype == object and [a.tolist() for a in arr] == [[b"a", b"b"], [b"c"]]
    dense = r.to_tensor()
    assert dense.numpy().tolist() == [[b"a", b"b"], [b"c", b""]]
    codes = nd.strings.unicode_decode(["hé", "abc"], "UTF-8")
    assert codes.to_tensor(default_value=-1).numpy().tolist() == [[104, 233, -1], [97, 98, 99]]


def test_ragged_factories_validate_splits():
    r = nd.RaggedTensor.from_row_lengths([1, 2, 3], [2, 0, 1])
    assert r.to_list() == [[1, 2], [], [3]]
    nested = nd.RaggedTensor.from_nested_row_splits([1, 2, 3], [[0, 1, 2], [0, 2, 3]])
    assert nested.to_list() == [[[1, 2]], [[3]]]
    uniform = nd.RaggedTensor.from_uniform_row_length([1, 2, 3, 4, 5, 6], 3)
    assert uniform.to_list() == [[1, 2, 3], [4, 5, 6]] and uniform.shape.as_list() == [2, 3]
    with pytest.raises(ValueError, match="do not form a valid RaggedTensor"):
        nd.RaggedTensor.from_row_splits([1, 2], [1, 2])
    with pytest.raises(ValueError, match="constructor is private"):
        nd.RaggedTensor([1], [0, 1])


@pytest.mark.parity
def test_ragged_shape_and_row_splits_match_tensorflow(real_tf):
    for inp in (
        ["a b", "c"],
        ["", "x y z"],
        [["a b", "c"], ["d", "e f g"]],
        ["a b c d e f g h i j k l m n o p q r s t u v", "c"],
        ["a b", "c d"],
        [],
    ):
        a, b = nd.strings.split(inp), real_tf.strings.split(inp)
        assert a.shape.as_list() == b.shape.as_list()
        assert a.row_splits.numpy().tolist() == b.row_splits.numpy().tolist()
        assert a.row_splits.dtype.name == b.row_splits.dtype.name
        assert repr(a) == repr(b)
        np.testing.assert_array_equal(a.numpy().shape, b.numpy().shape)
    for rows in ([[1.5, 2.0], [3.0]], [[1, 2], [3, 4]], [[1] * 30, [1]]):
        lengths = [len(r) for r in rows]
        flat = np.array([x for r in rows for x in r])
        a = nd.RaggedTensor.from_row_lengths(flat, lengths)
        b = real_tf.RaggedTensor.from_row_lengths(flat, lengths)
        assert repr(a) == repr(b)
        assert str(a) == str(b)
    nested = ([1.5, 2.0, 3.0, 4.0], [0, 2, 3], [0, 2, 3, 4])
    a = nd.RaggedTensor.from_nested_row_splits(nested[0], nested[1:])
    b = real_tf.RaggedTensor.from_nested_row_splits(nested[0], nested[1:])
    assert repr(a) == repr(b)
